//! `GET /api/v1/events`: the session's headless lines as Server-Sent Events. `id:` is the line's number,
//! `Last-Event-ID` (or `?since=`) resumes after it from the hub's ring, `?room=` and `?kind=` (comma-separated) filter, a
//! comment every 15 s keeps proxies from closing a quiet stream, and a client that fell behind gets an
//! `event: lagged` (no id) saying how many lines it missed before the stream goes on.

use super::hub::{Line, Subscription};
use super::Shared;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// DESIGN.md: a heartbeat comment every 15 s.
const HEARTBEAT: Duration = Duration::from_secs(15);

#[derive(Debug, Default, Deserialize)]
pub(super) struct Filters {
    room: Option<String>,
    kind: Option<String>,
    /// `Last-Event-ID` for clients that cannot set it on the first request (a page's `EventSource`); the
    /// header wins, as it is what a reconnect sends.
    since: Option<u64>,
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
}

pub(super) async fn stream(
    State(s): State<Shared>,
    Query(filters): Query<Filters>,
    headers: HeaderMap,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let last_seen = (headers.get("last-event-id"))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .or(filters.since);
    let feed = Feed {
        sub: s.hub.subscribe(last_seen),
        filter: Filter {
            rooms: list(filters.room),
            kinds: list(filters.kind),
        },
    };
    let events = futures_util::stream::unfold(feed, |mut f| async move {
        let event = f.next().await?;
        Some((Ok(event), f))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT))
}

impl Feed {
    /// The next event for this client; `None` when the hub is gone (the session ended).
    async fn next(&mut self) -> Option<Event> {
        if self.sub.missed > 0 {
            return Some(lagged(std::mem::take(&mut self.sub.missed)));
        }
        while let Some(line) = self.sub.backlog.pop_front() {
            if self.filter.wants(&line) {
                return Some(event(&line));
            }
        }
        loop {
            match self.sub.live.recv().await {
                Ok(line) if line.id <= self.sub.covered => continue,
                Ok(line) => {
                    self.sub.covered = line.id;
                    if self.filter.wants(&line) {
                        return Some(event(&line));
                    }
                }
                Err(RecvError::Lagged(n)) => return Some(lagged(n)),
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

fn event(line: &Arc<Line>) -> Event {
    // A headless line is one line of JSON with every control character escaped: a valid `data:` field.
    Event::default().id(line.id.to_string()).data(&line.text)
}

fn lagged(skipped: u64) -> Event {
    Event::default()
        .event("lagged")
        .data(format!("{{\"skipped\":{skipped}}}"))
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
