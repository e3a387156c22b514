//! The event hub behind `GET /api/v1/events`: every headless line of the session, numbered from 1, kept in a
//! bounded ring for `Last-Event-ID` resumes and fanned out to the SSE clients.
//!
//! The runner publishes without waiting for anyone: the fan-out is a `broadcast` channel, where a client that
//! falls a whole channel behind is skipped forward (it gets `Lagged`, then the oldest line still held), so a
//! stalled client costs the runner nothing. The ring lock is held only to push one line or to copy a
//! backlog, and a subscription is taken under it, so a resume sees every line once: no gap, no duplicate.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;

/// Lines kept for resumes (a few minutes of a busy room; about 1 MB of typical lines).
pub const RING: usize = 4096;
/// Lines a client may fall behind before it is skipped forward.
pub const FANOUT: usize = 1024;

/// One headless line and what the filters look at.
#[derive(Debug)]
pub struct Line {
    pub id: u64,
    pub room: Arc<str>,
    pub platform: &'static str,
    pub kind: &'static str,
    pub text: String,
}

pub struct Hub {
    inner: Mutex<Inner>,
    tx: broadcast::Sender<Arc<Line>>,
    /// This session's name among others: ids restart at 1 with each session, so a client that resumes names
    /// the session its id is from.
    session: String,
}

struct Inner {
    ring: VecDeque<Arc<Line>>,
    capacity: usize,
    next_id: u64,
}

/// What a new client gets: the backlog it asked for, how many lines it asked for that are gone, and the live
/// lines after the backlog.
pub struct Subscription {
    pub missed: u64,
    pub backlog: VecDeque<Arc<Line>>,
    pub live: broadcast::Receiver<Arc<Line>>,
    /// The id of the newest line already covered (backlog or before): live lines up to it are skipped.
    pub covered: u64,
}

impl Hub {
    pub fn new(ring: usize, fanout: usize) -> Arc<Hub> {
        Arc::new(Hub {
            inner: Mutex::new(Inner {
                ring: VecDeque::with_capacity(ring.min(RING)),
                capacity: ring.max(1),
                next_id: 1,
            }),
            tx: broadcast::channel(fanout.max(1)).0,
            session: session_name(),
        })
    }

    pub fn session(&self) -> &str {
        &self.session
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding it left a consistent ring (pushes are one step): carry on.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Numbers `text` (the next id) and hands it to every client.
    pub fn publish(
        &self,
        room: &Arc<str>,
        platform: &'static str,
        kind: &'static str,
        text: String,
    ) {
        let mut inner = self.lock();
        let line = Arc::new(Line {
            id: inner.next_id,
            room: Arc::clone(room),
            platform,
            kind,
            text,
        });
        inner.next_id += 1;
        if inner.ring.len() == inner.capacity {
            inner.ring.pop_front();
        }
        inner.ring.push_back(Arc::clone(&line));
        // No receiver is not an error: nobody is listening yet.
        let _ = self.tx.send(line);
    }

    /// The lines after `last_seen` (the client's `Last-Event-ID`; `None`: from now on).
    ///
    /// An id beyond this session's newest line comes from an earlier session (ids restart at 1 with each
    /// one): the client gets the lines from now on, as a new one would.
    pub fn subscribe(&self, last_seen: Option<u64>) -> Subscription {
        let inner = self.lock();
        let live = self.tx.subscribe();
        let newest = inner.next_id - 1;
        let Some(after) = last_seen.filter(|&a| a <= newest) else {
            return Subscription {
                missed: 0,
                backlog: VecDeque::new(),
                live,
                covered: newest,
            };
        };
        let oldest = inner.ring.front().map_or(inner.next_id, |l| l.id);
        let missed = oldest.saturating_sub(after + 1);
        let backlog = inner
            .ring
            .iter()
            .filter(|l| l.id > after)
            .cloned()
            .collect();
        Subscription {
            missed,
            backlog,
            live,
            covered: newest,
        }
    }

    /// Lines published so far.
    pub fn published(&self) -> u64 {
        self.lock().next_id - 1
    }
}

/// 16 hex characters from the OS's randomness (the clock's nanoseconds where that fails): only told apart.
fn session_name() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        bytes = nanos.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub_with(n: u64, ring: usize) -> Arc<Hub> {
        let hub = Hub::new(ring, 16);
        let room: Arc<str> = Arc::from("alice");
        for i in 1..=n {
            hub.publish(&room, "simulator", "tip", format!("line {i}"));
        }
        hub
    }

    fn ids(lines: &VecDeque<Arc<Line>>) -> Vec<u64> {
        lines.iter().map(|l| l.id).collect()
    }

    #[test]
    fn a_resume_gets_what_follows_its_id_and_a_new_client_nothing_old() {
        let hub = hub_with(10, 100);
        let s = hub.subscribe(Some(7));
        assert_eq!(
            (ids(&s.backlog), s.missed, s.covered),
            (vec![8, 9, 10], 0, 10)
        );
        let s = hub.subscribe(None);
        assert!(s.backlog.is_empty());
        assert_eq!(s.covered, 10);
        let s = hub.subscribe(Some(0));
        assert_eq!(ids(&s.backlog), (1..=10).collect::<Vec<_>>());
    }

    #[test]
    fn a_resume_older_than_the_ring_says_how_many_are_gone() {
        let hub = hub_with(10, 4);
        let s = hub.subscribe(Some(3));
        assert_eq!((ids(&s.backlog), s.missed), (vec![7, 8, 9, 10], 3));
        let s = hub.subscribe(Some(6));
        assert_eq!((ids(&s.backlog), s.missed), (vec![7, 8, 9, 10], 0));
    }

    #[test]
    fn an_id_from_an_earlier_session_starts_from_now() {
        let hub = hub_with(5, 100);
        let s = hub.subscribe(Some(5000));
        assert!(s.backlog.is_empty());
        assert_eq!((s.missed, s.covered), (0, 5));
    }

    #[tokio::test]
    async fn lines_published_after_subscribing_arrive_live_in_order() {
        let hub = hub_with(2, 100);
        let mut s = hub.subscribe(Some(1));
        hub.publish(&Arc::from("bob"), "twitch", "cheer", "three".into());
        assert_eq!(ids(&s.backlog), vec![2]);
        let next = s.live.recv().await.unwrap();
        assert_eq!(
            (next.id, &*next.room, next.text.as_str()),
            (3, "bob", "three")
        );
        assert_eq!(hub.published(), 3);
    }
}
