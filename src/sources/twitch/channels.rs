//! Twitch channels for the channel watch: their live status, title, category and viewers from Helix `Get
//! Streams` (100 logins per request), and the changes between two polls (DESIGN.md "Channel watch").

use super::auth::{status_error, TwitchHttp};
use crate::sources::watch::engine::{Failure, Snapshot};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Logins per `Get Streams` request (Helix's maximum).
pub const PER_REQUEST: usize = 100;

/// The watched channels at one poll, by login.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Channels {
    pub channels: BTreeMap<String, Channel>,
    /// Report viewers when they cross a multiple of this (0: never). Set by the poll, not saved.
    #[serde(skip)]
    pub viewer_step: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    pub live: bool,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub viewers: Option<u64>,
}

/// One change of one channel: DESIGN.md's `kind` and its `data`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelChange {
    pub channel: String,
    pub kind: &'static str,
    pub data: Value,
}

impl Snapshot for Channels {
    type Change = ChannelChange;

    fn diff(old: Option<&Self>, new: &Self) -> Vec<ChannelChange> {
        let mut out = Vec::new();
        for (login, now) in &new.channels {
            let change = |kind, data| ChannelChange {
                channel: login.clone(),
                kind,
                data,
            };
            let before = old.and_then(|o| o.channels.get(login));
            match (before, now.live) {
                // No earlier state: report who is live now, nothing for the others.
                (None, true) => out.push(change(
                    "went_live",
                    json!({
                        "initial": true, "started_at": now.started_at, "title": now.title,
                        "category": now.category, "viewers": now.viewers,
                    }),
                )),
                (None, false) => {}
                (Some(b), true) if !b.live => out.push(change(
                    "went_live",
                    json!({
                        "started_at": now.started_at, "title": now.title, "category": now.category,
                        "viewers": now.viewers,
                    }),
                )),
                (Some(b), false) if b.live => {
                    let lasted = (b.started_at.as_deref())
                        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                        .map(|s| {
                            (chrono::Utc::now() - s.with_timezone(&chrono::Utc))
                                .num_seconds()
                                .max(0)
                        });
                    out.push(change("went_offline", json!({ "duration_s": lasted })));
                }
                (Some(b), true) => {
                    if b.title != now.title {
                        out.push(change(
                            "title_changed",
                            json!({"from": b.title, "to": now.title}),
                        ));
                    }
                    if b.category != now.category {
                        out.push(change(
                            "category_changed",
                            json!({"from": b.category, "to": now.category}),
                        ));
                    }
                    let step = new.viewer_step;
                    if let (Some(from), Some(to), true) = (b.viewers, now.viewers, step > 0) {
                        if from / step != to / step {
                            out.push(change("viewers", json!({"from": from, "viewers": to})));
                        }
                    }
                }
                (Some(_), false) => {}
            }
        }
        out
    }
}

#[derive(Deserialize)]
struct Page {
    #[serde(default = "Vec::new")]
    data: Vec<Stream>,
}

#[derive(Deserialize)]
struct Stream {
    #[serde(default)]
    user_login: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    started_at: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    game_name: Option<String>,
    #[serde(default)]
    viewer_count: Option<u64>,
}

impl TwitchHttp {
    /// Every watched channel's state: `Get Streams` per 100 logins; a login missing from a good reply is
    /// offline. Any failed request fails the whole poll (a partial view must not turn channels offline).
    pub async fn channels(
        &self,
        access: &str,
        logins: &[String],
        viewer_step: u64,
    ) -> Result<Channels, (Failure, Option<u16>)> {
        let mut snapshot = Channels {
            channels: (logins.iter())
                .map(|l| (l.clone(), Channel::default()))
                .collect(),
            viewer_step,
        };
        for chunk in logins.chunks(PER_REQUEST) {
            let mut query: Vec<(&str, &str)> =
                chunk.iter().map(|l| ("user_login", l.as_str())).collect();
            query.push(("first", "100"));
            let req = self
                .client
                .get(format!("{}/streams", self.endpoints.api))
                .bearer_auth(access)
                .header("Client-Id", &self.client_id)
                .query(&query);
            let resp = req.send().await.map_err(|e| {
                let (_, text) = crate::sources::http::transport_error(e, false);
                (Failure::Unreachable(text), None)
            })?;
            let status = resp.status().as_u16();
            let reset = (resp.headers().get("ratelimit-reset"))
                .and_then(|v| v.to_str().ok()?.trim().parse::<i64>().ok());
            let body = crate::sources::http::read_capped(resp, super::auth::MAX_API_REPLY)
                .await
                .map_err(|(_, text)| (Failure::Unreachable(text), None))?;
            match status {
                200..=299 => {}
                429 => {
                    let wait = reset
                        .map(|r| (r - chrono::Utc::now().timestamp()).clamp(1, 600) as u64)
                        .unwrap_or(60);
                    return Err((Failure::RateLimited(Duration::from_secs(wait)), Some(429)));
                }
                503 => {
                    return Err((
                        Failure::Maintenance(status_error(status, &body).to_string()),
                        Some(503),
                    ))
                }
                _ => {
                    return Err((
                        Failure::Unreachable(status_error(status, &body).to_string()),
                        Some(status),
                    ))
                }
            }
            let page: Page = serde_json::from_slice(&body).map_err(|_| {
                (
                    Failure::Unreachable("a Get Streams reply that does not read".into()),
                    None,
                )
            })?;
            for s in page.data {
                let Some(login) = s.user_login.map(|l| l.to_ascii_lowercase()) else {
                    continue;
                };
                if let Some(c) = snapshot.channels.get_mut(&login) {
                    *c = Channel {
                        live: s.kind.as_deref().is_none_or(|k| k == "live"),
                        started_at: s.started_at,
                        title: s.title,
                        category: s.game_name.filter(|g| !g.is_empty()),
                        viewers: s.viewer_count,
                    };
                }
            }
        }
        Ok(snapshot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A live channel's title, category and viewers.
    type Live<'a> = Option<(&'a str, &'a str, u64)>;

    fn snap(entries: &[(&str, Live)]) -> Channels {
        Channels {
            channels: (entries.iter())
                .map(|(l, s)| {
                    let c = match s {
                        Some((title, cat, v)) => Channel {
                            live: true,
                            started_at: Some("2026-11-28T10:00:00Z".into()),
                            title: Some(title.to_string()),
                            category: Some(cat.to_string()),
                            viewers: Some(*v),
                        },
                        None => Channel::default(),
                    };
                    (l.to_string(), c)
                })
                .collect(),
            viewer_step: 100,
        }
    }

    fn kinds(c: &[ChannelChange]) -> Vec<(String, &'static str)> {
        c.iter().map(|c| (c.channel.clone(), c.kind)).collect()
    }

    #[test]
    fn the_first_poll_announces_who_is_live_as_initial() {
        let c = Channels::diff(None, &snap(&[("a", Some(("t", "g", 5))), ("b", None)]));
        assert_eq!(kinds(&c), [("a".into(), "went_live")]);
        assert_eq!(c[0].data["initial"], true);
    }

    #[test]
    fn live_offline_title_category_and_viewer_steps() {
        let old = snap(&[
            ("a", Some(("t", "g", 150))),
            ("b", None),
            ("c", Some(("x", "y", 10))),
        ]);
        let new = snap(&[
            ("a", Some(("t2", "g2", 260))),
            ("b", Some(("hi", "g", 1))),
            ("c", None),
        ]);
        let c = Channels::diff(Some(&old), &new);
        assert_eq!(
            kinds(&c),
            [
                ("a".into(), "title_changed"),
                ("a".into(), "category_changed"),
                ("a".into(), "viewers"),
                ("b".into(), "went_live"),
                ("c".into(), "went_offline"),
            ]
        );
        assert_eq!(c[2].data, json!({"from": 150, "viewers": 260}));
        assert!(c[3].data.get("initial").is_none());
        // Within the same hundred: no viewers line.
        let quiet = snap(&[("a", Some(("t2", "g2", 299)))]);
        assert!(Channels::diff(Some(&snap(&[("a", Some(("t2", "g2", 260)))])), &quiet).is_empty());
    }
}
