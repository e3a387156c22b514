//! What EventSub does not push and roomwatch polls from Helix every minute: the chatter list (diffed into
//! enters and leaves) and the stream's viewers, title and category. A polled change travels as a frame of the
//! same shape as a notification, with a `roomwatch.poll.*` type, so the journal keeps it and replay re-parses it
//! like any other event. A failed poll changes nothing: no leaves from an error.

use super::auth::{json_ok, ApiError, TwitchHttp};
use super::token::{Refreshed, SharedToken};
use crate::event::SourceKind;
use crate::sources::{Batch, SourceError, SourceMsg};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

pub const ENTER: &str = "roomwatch.poll.user_enter";
pub const LEAVE: &str = "roomwatch.poll.user_leave";
pub const STREAM: &str = "roomwatch.poll.stream";

/// Chatter pages read per poll (1000 each): beyond 10 000 chatters, enters and leaves are not followed.
pub const MAX_CHATTER_PAGES: usize = 10;

/// What the poll task needs: who to ask about, how often, and the login to ask with.
pub struct PollConfig {
    pub http: TwitchHttp,
    pub token: Arc<SharedToken>,
    pub broadcaster_id: String,
    /// The token's user (the moderator `Get Chatters` asks as).
    pub reader_id: String,
    pub every: Duration,
}

/// Polls until the receiver is gone (the session aborts it when it ends). Runs beside the socket, so a slow
/// Helix never holds up notifications; its events go straight to the room as their own batches. A failed
/// request changes nothing and is tried again next round; a 401 refreshes the shared token (a refused refresh is
/// the session's to report).
pub async fn run(cfg: PollConfig, tx: mpsc::Sender<SourceMsg>) {
    let mut chatters = Chatters::default();
    let mut stream_now: Option<StreamNow> = None;
    let mut capped = false;
    let mut seq = 0u64;
    let mut tick = tokio::time::interval(cfg.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let token = cfg.token.current().await;
        let now = Utc::now();
        let mut found = Vec::new();
        let mut unauthorized = false;
        if token.has_scope("moderator:read:chatters") && !capped {
            match (cfg.http)
                .chatters(&token.access, &cfg.broadcaster_id, &cfg.reader_id)
                .await
            {
                Ok(Some(list)) => {
                    let (entered, left) = chatters.diff(list);
                    for (kind, users) in [(ENTER, entered), (LEAVE, left)] {
                        found.extend(
                            users
                                .into_iter()
                                .map(|u| (kind, json!({ "user_login": u }))),
                        );
                    }
                }
                Ok(None) => {
                    capped = true;
                    let text = format!(
                        "more than {} chatters: enters and leaves are no longer followed",
                        MAX_CHATTER_PAGES * 1000
                    );
                    if tx.send(SourceMsg::Notice(text)).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    unauthorized |= e.status() == Some(401);
                    tracing::warn!(error = %e, "twitch: chatter poll failed");
                }
            }
        }
        match cfg.http.stream(&token.access, &cfg.broadcaster_id).await {
            Ok(Some(s)) if stream_now.as_ref() != Some(&s) => {
                let event =
                    json!({"viewer_count": s.viewers, "title": s.title, "game_name": s.category});
                found.push((STREAM, event));
                stream_now = Some(s);
            }
            Ok(Some(_)) => {}
            Ok(None) => stream_now = None,
            Err(e) => {
                unauthorized |= e.status() == Some(401);
                tracing::warn!(error = %e, "twitch: stream poll failed");
            }
        }
        if unauthorized {
            match cfg.token.refresh(&cfg.http, &token.access).await {
                Refreshed::Later(e) => {
                    tracing::warn!(error = %e, "twitch: token refresh for the polls failed")
                }
                Refreshed::Refused => {
                    let refused = SourceError::CredentialsRefused { status: 401 };
                    let _ = tx.send(SourceMsg::Fatal(refused)).await;
                    return;
                }
                Refreshed::Token(..) => {}
            }
        }
        if found.is_empty() {
            continue;
        }
        let mut batch = Batch {
            received_at: now,
            events: Vec::with_capacity(found.len()),
            skipped: 0,
            duplicates_dropped: 0,
        };
        for (kind, event) in found {
            seq += 1;
            // Unique by construction (time of the round + a counter), so no de-dup is needed.
            let id = format!("roomwatch-poll-{}-{seq}", now.timestamp_millis());
            let parsed = RawValue::from_string(frame(kind, &id, now, event))
                .ok()
                .and_then(|raw| super::parse_frame(&raw, SourceKind::Twitch, now).ok());
            match parsed {
                Some(ev) => batch.events.push(ev),
                None => batch.skipped += 1,
            }
        }
        if tx.send(SourceMsg::Batch(batch)).await.is_err() {
            return;
        }
    }
}

/// The frame of one polled event.
pub fn frame(kind: &str, id: &str, at: DateTime<Utc>, event: Value) -> String {
    json!({
        "metadata": {
            "message_id": id,
            "message_type": "notification",
            "message_timestamp": at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "subscription_type": kind,
            "subscription_version": "poll",
        },
        "payload": {"subscription": {"type": kind}, "event": event},
    })
    .to_string()
}

/// The chatter list between polls.
#[derive(Debug, Default)]
pub struct Chatters {
    known: Option<BTreeSet<String>>,
}

impl Chatters {
    /// Who entered and who left since the last successful poll (on the first, everyone present entered).
    pub fn diff(&mut self, now: BTreeSet<String>) -> (Vec<String>, Vec<String>) {
        let before = self.known.take().unwrap_or_default();
        let entered = now.difference(&before).cloned().collect();
        let left = before.difference(&now).cloned().collect();
        self.known = Some(now);
        (entered, left)
    }
}

/// The stream's figures as last reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamNow {
    pub viewers: Option<u64>,
    pub title: Option<String>,
    pub category: Option<String>,
}

#[derive(Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    data: Vec<T>,
    #[serde(default)]
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
struct Pagination {
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Deserialize)]
struct Chatter {
    #[serde(default)]
    user_login: Option<String>,
}

#[derive(Deserialize)]
struct Stream {
    #[serde(default)]
    viewer_count: Option<u64>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    game_name: Option<String>,
}

impl TwitchHttp {
    /// `GET /chat/chatters`, every page up to [`MAX_CHATTER_PAGES`]; `Ok(None)` when there are more.
    pub async fn chatters(
        &self,
        access: &str,
        broadcaster_id: &str,
        moderator_id: &str,
    ) -> Result<Option<BTreeSet<String>>, ApiError> {
        let mut all = BTreeSet::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_CHATTER_PAGES {
            let mut query = vec![
                ("broadcaster_id", broadcaster_id.to_string()),
                ("moderator_id", moderator_id.to_string()),
                ("first", "1000".to_string()),
            ];
            if let Some(a) = after.take() {
                query.push(("after", a));
            }
            let req = self
                .client
                .get(format!("{}/chat/chatters", self.endpoints.api))
                .bearer_auth(access)
                .header("Client-Id", &self.client_id)
                .query(&query);
            let page: Page<Chatter> = json_ok(self.exchange(req).await?)?;
            all.extend(page.data.into_iter().filter_map(|c| c.user_login));
            match page
                .pagination
                .and_then(|p| p.cursor)
                .filter(|c| !c.is_empty())
            {
                Some(cursor) => after = Some(cursor),
                None => return Ok(Some(all)),
            }
        }
        Ok(None)
    }

    /// `GET /streams?user_id=`: the figures while live, `None` while offline.
    pub async fn stream(&self, access: &str, user_id: &str) -> Result<Option<StreamNow>, ApiError> {
        let req = self
            .client
            .get(format!("{}/streams", self.endpoints.api))
            .bearer_auth(access)
            .header("Client-Id", &self.client_id)
            .query(&[("user_id", user_id)]);
        let page: Page<Stream> = json_ok(self.exchange(req).await?)?;
        Ok(page.data.into_iter().next().map(|s| StreamNow {
            viewers: s.viewer_count,
            title: s.title,
            category: s.game_name.filter(|g| !g.is_empty()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventBody, SourceKind};

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn chatters_diff_into_enters_and_leaves() {
        let mut c = Chatters::default();
        assert_eq!(
            c.diff(set(&["a", "b"])),
            (vec!["a".into(), "b".into()], vec![])
        );
        assert_eq!(
            c.diff(set(&["b", "c"])),
            (vec!["c".into()], vec!["a".into()])
        );
        assert_eq!(c.diff(set(&["b", "c"])), (vec![], vec![]));
    }

    #[test]
    fn polled_frames_parse_back_into_their_events() {
        let at = Utc::now();
        let f = frame(ENTER, "poll-1", at, json!({"user_login": "viewer1"}));
        let raw = serde_json::value::RawValue::from_string(f.clone()).unwrap();
        let ev = super::super::parse_frame(&raw, SourceKind::Twitch, at).unwrap();
        assert_eq!(ev.body, EventBody::UserEnter);
        assert_eq!(ev.user.unwrap().username, "viewer1");
        assert_eq!(ev.raw.as_deref(), Some(f.as_str()));
        let f = frame(
            STREAM,
            "poll-2",
            at,
            json!({"viewer_count": 42, "title": "hi", "game_name": ""}),
        );
        let raw = serde_json::value::RawValue::from_string(f).unwrap();
        let ev = super::super::parse_frame(&raw, SourceKind::Twitch, at).unwrap();
        assert_eq!(
            ev.body,
            EventBody::StreamUpdate {
                viewers: Some(42),
                title: Some("hi".into()),
                category: None
            }
        );
    }
}
