//! `GET /api/v1/events`: the session's headless lines as Server-Sent Events. `id:` is the line's number,
//! `Last-Event-ID` (or `?since=`) resumes after it from the hub's ring, `?room=` and `?kind=` (comma-separated) filter, a
//! comment every 15 s keeps proxies from closing a quiet stream, and a client that fell behind gets an
//! `event: lagged` (no id) saying how many lines it missed before the stream goes on.

use super::hub::{Line, Subscription};
use super::Shared;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderName};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::convert::Infallible;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

/// DESIGN.md: a heartbeat comment every 15 s.
const HEARTBEAT: Duration = Duration::from_secs(15);

#[derive(Debug, Default, Deserialize)]
pub(super) struct Filters {
    room: Option<String>,
    kind: Option<String>,
    /// `Last-Event-ID` for clients that cannot set it on the first request (a page's `EventSource`); the
    /// header wins, as it is what a reconnect sends.
    since: Option<u64>,
    /// The session the client's id is from (`GET /api/v1/session`): another one means roomwatch restarted, and
    /// every line this session still holds is new to the client.
    session: Option<String>,
}

/// Which lines a client asked for: rooms by name or `platform:name`, kinds by their headless name.
#[derive(Debug, Default)]
struct Filter {
    rooms: Vec<String>,
    kinds: Vec<String>,
}

fn list(v: Option<String>) -> Vec<String> {
    (v.unwrap_or_default().split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Filter {
    fn wants(&self, l: &Line) -> bool {
        let room = self.rooms.is_empty()
            || self.rooms.iter().any(|r| {
                **r == *l.room
                    || r.split_once(':')
                        .is_some_and(|(p, n)| p == l.platform && n == &*l.room)
            });
        room && (self.kinds.is_empty() || self.kinds.iter().any(|k| k == l.kind))
    }
}

struct Feed {
    sub: Subscription,
    filter: Filter,
    buf: Vec<u8>,
    last_write: tokio::time::Instant,
    /// Lines the fan-out skipped and the client was not told of yet.
    skipped: u64,
    /// The session's name, until it is sent (the stream's first event).
    greeting: Option<String>,
}

/// Bytes gathered into one chunk at most, when lines are waiting.
const CHUNK: usize = 64 * 1024;

pub(super) async fn stream(
    State(s): State<Shared>,
    Query(filters): Query<Filters>,
    headers: HeaderMap,
) -> Response {
    let last_seen = (headers.get("last-event-id"))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .or(filters.since)
        .map(|id| match &filters.session {
            Some(theirs) if theirs != s.hub.session() => 0,
            _ => id,
        });
    let feed = Feed {
        sub: s.hub.subscribe(last_seen),
        filter: Filter {
            rooms: list(filters.room),
            kinds: list(filters.kind),
        },
        buf: Vec::with_capacity(CHUNK),
        last_write: tokio::time::Instant::now(),
        skipped: 0,
        greeting: Some(s.hub.session().to_string()),
    };
    let chunks = futures_util::stream::unfold(feed, |mut f| async move {
        let chunk = f.next_chunk().await?;
        Some((Ok::<_, Infallible>(chunk), f))
    });
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
            // A reverse proxy (nginx) must not hold the stream back.
            (HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::from_stream(chunks),
    )
        .into_response()
}

impl Feed {
    /// The next bytes for this client: every line already waiting (up to [`CHUNK`]) in one write, a lagged
    /// notice, or a heartbeat comment after 15 s of silence; `None` when the hub is gone (the session ended).
    async fn next_chunk(&mut self) -> Option<Bytes> {
        let chunk = self.gather().await;
        self.last_write = tokio::time::Instant::now();
        chunk
    }

    async fn gather(&mut self) -> Option<Bytes> {
        self.buf.clear();
        if let Some(session) = self.greeting.take() {
            // First, which session this is (no id): a client that knew another one learns roomwatch restarted.
            let _ = write!(
                self.buf,
                "event: session\ndata: {{\"session\":\"{session}\"}}\n\n"
            );
        }
        self.skipped = std::mem::take(&mut self.sub.missed);
        while self.buf.len() < CHUNK {
            let Some(line) = self.sub.backlog.pop_front() else {
                break;
            };
            self.write(&line);
        }
        self.say_skipped();
        if !self.buf.is_empty() {
            return Some(Bytes::copy_from_slice(&self.buf));
        }
        loop {
            // From the last write, not the last line: lines the filter drops must not keep the heartbeat away.
            let beat = self.last_write + HEARTBEAT;
            match tokio::time::timeout_at(beat, self.sub.live.recv()).await {
                Err(_) => return Some(Bytes::from_static(b":\n\n")),
                Ok(Err(RecvError::Closed)) => return None,
                Ok(Err(RecvError::Lagged(n))) => self.skipped += n,
                Ok(Ok(line)) => self.take(&line),
            }
            // Everything else already waiting goes in the same write.
            while self.buf.len() < CHUNK {
                match self.sub.live.try_recv() {
                    Ok(line) => self.take(&line),
                    Err(TryRecvError::Lagged(n)) => self.skipped += n,
                    Err(_) => break,
                }
            }
            self.say_skipped();
            if !self.buf.is_empty() {
                return Some(Bytes::copy_from_slice(&self.buf));
            }
        }
    }

    /// A live line: skipped when the backlog had it, else written if the filter wants it.
    fn take(&mut self, line: &Arc<Line>) {
        if line.id > self.sub.covered {
            self.sub.covered = line.id;
            self.write(line);
        }
    }

    /// One `lagged` notice for every skip since the last line written (the fan-out can lap a slow client
    /// twice in a row): the next id is then the last one plus the sum, plus one.
    fn say_skipped(&mut self) {
        if self.skipped > 0 {
            lagged(&mut self.buf, std::mem::take(&mut self.skipped));
        }
    }

    fn write(&mut self, line: &Line) {
        if self.filter.wants(line) {
            self.say_skipped();
            // A headless line is one line of JSON with every control character escaped: a valid `data:` field.
            let _ = write!(self.buf, "id: {}\ndata: {}\n\n", line.id, line.text);
        }
    }
}

fn lagged(buf: &mut Vec<u8>, skipped: u64) {
    let _ = write!(buf, "event: lagged\ndata: {{\"skipped\":{skipped}}}\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(room: &str, platform: &'static str, kind: &'static str) -> Line {
        Line {
            id: 1,
            room: Arc::from(room),
            platform,
            kind,
            text: String::new(),
        }
    }

    fn feed(hub: &super::super::hub::Hub, last_seen: Option<u64>, kind: &str) -> Feed {
        Feed {
            sub: hub.subscribe(last_seen),
            filter: Filter {
                rooms: Vec::new(),
                kinds: list(Some(kind.into())),
            },
            buf: Vec::new(),
            last_write: tokio::time::Instant::now(),
            skipped: 0,
            greeting: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_starts_by_naming_its_session() {
        let hub = super::super::hub::Hub::new(8, 4);
        publish(&hub, "tip", "{}");
        let mut f = feed(&hub, Some(0), "");
        f.greeting = Some(hub.session().to_string());
        let first = f.next_chunk().await.unwrap();
        let want = format!(
            "event: session\ndata: {{\"session\":\"{}\"}}\n\nid: 1\ndata: {{}}\n\n",
            hub.session()
        );
        assert_eq!(std::str::from_utf8(&first).unwrap(), want);
        assert_eq!(hub.session().len(), 16);
        assert_ne!(hub.session(), super::super::hub::Hub::new(8, 4).session());
    }

    fn publish(hub: &super::super::hub::Hub, kind: &'static str, text: &str) {
        hub.publish(&Arc::from("alice"), "simulator", kind, text.into());
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_lines_go_in_one_write_and_silence_gets_a_heartbeat_after_15_s() {
        let hub = super::super::hub::Hub::new(8, 4);
        publish(&hub, "tip", "{\"a\":1}");
        let mut f = feed(&hub, Some(0), "");
        publish(&hub, "chat_message", "{\"b\":2}");
        publish(&hub, "tip", "{\"c\":3}");
        let first = f.next_chunk().await.unwrap();
        assert_eq!(
            &first[..],
            b"id: 1\ndata: {\"a\":1}\n\n",
            "the backlog first"
        );
        let live = f.next_chunk().await.unwrap();
        assert_eq!(
            &live[..],
            b"id: 2\ndata: {\"b\":2}\n\nid: 3\ndata: {\"c\":3}\n\n",
            "both waiting lines in one chunk"
        );
        let before = tokio::time::Instant::now();
        let beat = f.next_chunk().await.unwrap();
        assert_eq!(&beat[..], b":\n\n");
        assert_eq!(before.elapsed(), HEARTBEAT);
    }

    /// Lines the filter drops do not hold the heartbeat back (a quiet kind in a busy room).
    #[tokio::test(start_paused = true)]
    async fn dropped_lines_still_get_a_heartbeat_15_s_after_the_last_write() {
        let hub = std::sync::Arc::new(super::super::hub::Hub::new(64, 64));
        let mut f = feed(&hub, None, "tip");
        let chatter = {
            let hub = hub.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    publish(&hub, "chat_message", "{}");
                }
            })
        };
        let before = tokio::time::Instant::now();
        let beat = f.next_chunk().await.unwrap();
        assert_eq!(&beat[..], b":\n\n");
        assert_eq!(before.elapsed(), HEARTBEAT);
        chatter.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_behind_the_fan_out_is_told_how_many_it_missed_and_filters_keep_ids() {
        let hub = super::super::hub::Hub::new(64, 4);
        let mut f = feed(&hub, None, "tip");
        for i in 0..10 {
            publish(
                &hub,
                if i % 2 == 0 { "tip" } else { "chat_message" },
                &i.to_string(),
            );
        }
        let chunk = f.next_chunk().await.unwrap();
        assert_eq!(
            std::str::from_utf8(&chunk).unwrap(),
            "event: lagged\ndata: {\"skipped\":6}\n\nid: 7\ndata: 6\n\nid: 9\ndata: 8\n\n"
        );
        // A resume from before the ring's oldest line says how many are gone.
        let hub = super::super::hub::Hub::new(4, 4);
        for i in 0..10 {
            publish(&hub, "tip", &i.to_string());
        }
        let mut f = feed(&hub, Some(2), "");
        let chunk = f.next_chunk().await.unwrap();
        assert!(
            std::str::from_utf8(&chunk)
                .unwrap()
                .starts_with("event: lagged\ndata: {\"skipped\":4}\n\nid: 7\n"),
            "{chunk:?}"
        );
    }

    #[test]
    fn filters_by_room_name_or_platform_and_name_and_by_kinds() {
        let f = |room: &str, kind: &str| Filter {
            rooms: list(Some(room.into())),
            kinds: list(Some(kind.into())),
        };
        let tip = line("alice", "chaturbate", "tip");
        assert!(f("", "").wants(&tip));
        assert!(f("alice", "").wants(&tip));
        assert!(f("chaturbate:alice", "tip").wants(&tip));
        assert!(f("bob, alice", "cheer,tip").wants(&tip));
        assert!(!f("twitch:alice", "").wants(&tip));
        assert!(!f("bob", "").wants(&tip));
        assert!(!f("", "cheer").wants(&tip));
        assert!(!f("alic", "").wants(&tip));
    }
}
