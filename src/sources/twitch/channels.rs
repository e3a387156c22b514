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
    /// When this poll was made.
    #[serde(default)]
    pub polled_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Report viewers when they move a whole step from the last count reported (0: never). Set by the poll,
    /// not saved.
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
    /// The viewer count last reported (the diff's memory, so a wavering count does not flap).
    #[serde(default)]
    pub viewers_reported: Option<u64>,
}

impl Channels {
    /// The channels in the order the table and the API show them: live first (most viewers first), then by
    /// name.
    pub fn live_first(&self) -> Vec<(&str, &Channel)> {
        let mut all: Vec<(&str, &Channel)> =
            self.channels.iter().map(|(n, c)| (n.as_str(), c)).collect();
        all.sort_by(|a, b| {
            (b.1.live.cmp(&a.1.live))
                .then(b.1.viewers.unwrap_or(0).cmp(&a.1.viewers.unwrap_or(0)))
                .then(a.0.cmp(b.0))
        });
        all
    }
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

    fn diff(old: Option<&Self>, new: &mut Self) -> Vec<ChannelChange> {
        let mut out = Vec::new();
        let step = new.viewer_step;
        for (login, now) in new.channels.iter_mut() {
            let change = |kind, data| ChannelChange {
                channel: login.clone(),
                kind,
                data,
            };
            let went_live = |now: &Channel, initial: bool| {
                let mut data = json!({
                    "started_at": now.started_at, "title": now.title, "category": now.category,
                    "viewers": now.viewers,
                });
                if initial {
                    data["initial"] = json!(true);
                }
                change("went_live", data)
            };
            // How long a stream that ended lasted: to the last poll that saw it live (never the time
            // roomwatch was off or Twitch unreachable since).
            let lasted = |b: &Channel, seen: Option<chrono::DateTime<chrono::Utc>>| {
                let start = chrono::DateTime::parse_from_rfc3339(b.started_at.as_deref()?).ok()?;
                Some(
                    (seen? - start.with_timezone(&chrono::Utc))
                        .num_seconds()
                        .max(0),
                )
            };
            let before = old.and_then(|o| o.channels.get(login));
            let seen = old.and_then(|o| o.polled_at);
            match (before, now.live) {
                // No earlier state: report who is live now, nothing for the others.
                (None, true) => out.push(went_live(now, true)),
                (None, false) => {}
                (Some(b), true) if !b.live => out.push(went_live(now, false)),
                (Some(b), false) if b.live => {
                    out.push(change(
                        "went_offline",
                        json!({ "duration_s": lasted(b, seen) }),
                    ));
                }
                // Live at both polls, but another stream: the first ended, a new one began.
                (Some(b), true) if b.started_at != now.started_at => {
                    out.push(change(
                        "went_offline",
                        json!({ "duration_s": lasted(b, seen) }),
                    ));
                    out.push(went_live(now, false));
                }
                (Some(b), true) => {
                    if b.title != now.title {
                        let data = json!({"from": b.title, "to": now.title});
                        out.push(change("title_changed", data));
                    }
                    if b.category != now.category {
                        let data = json!({"from": b.category, "to": now.category});
                        out.push(change("category_changed", data));
                    }
                    // Reported when the count is a whole step away from the last one reported (or seen at
                    // going live), so a count wavering around a multiple does not flap.
                    let reported = b.viewers_reported.or(b.viewers);
                    now.viewers_reported = reported;
                    if let (Some(from), Some(to), true) = (reported, now.viewers, step > 0) {
                        if from.abs_diff(to) >= step {
                            out.push(change("viewers", json!({"from": from, "viewers": to})));
                            now.viewers_reported = Some(to);
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
            polled_at: Some(chrono::Utc::now()),
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
                // A 401 is the token's (refreshed by the caller); another 4xx is a request Twitch will never
                // accept (retrying it would only hammer): the watch stops and says why.
                400..=499 if status != 401 && status != 408 => {
                    let why = status_error(status, &body);
                    return Err((
                        Failure::Fatal(format!("Twitch refused the poll ({why})")),
                        Some(status),
                    ));
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
                        // In the reply means live: Helix sends `"type": ""` on an internal error, not
                        // for an offline channel (those are not in `data`).
                        live: s
                            .kind
                            .as_deref()
                            .is_none_or(|k| k == "live" || k.is_empty()),
                        started_at: s.started_at,
                        title: s.title,
                        category: s.game_name.filter(|g| !g.is_empty()),
                        viewers: s.viewer_count,
                        viewers_reported: None,
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
                            viewers_reported: None,
                        },
                        None => Channel::default(),
                    };
                    (l.to_string(), c)
                })
                .collect(),
            polled_at: None,
            viewer_step: 100,
        }
    }

    fn kinds(c: &[ChannelChange]) -> Vec<(String, &'static str)> {
        c.iter().map(|c| (c.channel.clone(), c.kind)).collect()
    }

    #[test]
    fn the_first_poll_announces_who_is_live_as_initial() {
        let c = Channels::diff(None, &mut snap(&[("a", Some(("t", "g", 5))), ("b", None)]));
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
        let mut new = snap(&[
            ("a", Some(("t2", "g2", 260))),
            ("b", Some(("hi", "g", 1))),
            ("c", None),
        ]);
        let c = Channels::diff(Some(&old), &mut new);
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
        let mut quiet = snap(&[("a", Some(("t2", "g2", 299)))]);
        assert!(
            Channels::diff(Some(&snap(&[("a", Some(("t2", "g2", 260)))])), &mut quiet).is_empty()
        );
    }

    #[test]
    fn a_count_wavering_around_a_step_does_not_flap() {
        let mut prev = snap(&[("a", Some(("t", "g", 99)))]);
        let mut lines = 0;
        for v in [100, 99, 100, 99, 101, 150, 198, 199] {
            let mut now = snap(&[("a", Some(("t", "g", v)))]);
            lines += Channels::diff(Some(&prev), &mut now).len();
            prev = now;
        }
        assert_eq!(lines, 1, "only 99 → 199 is a whole step");
    }

    #[test]
    fn a_new_stream_between_polls_and_durations_to_the_last_poll_seen_live() {
        let at = |s: &str| Some(chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc());
        let mut old = snap(&[("a", Some(("t", "g", 5)))]);
        old.polled_at = at("2026-11-28T11:00:00Z");
        // Ten hours later (roomwatch was off): the stream of 10:00 ended, another began at 20:00.
        let mut new = snap(&[("a", Some(("t", "g", 5)))]);
        new.channels.get_mut("a").unwrap().started_at = Some("2026-11-28T20:00:00Z".into());
        let c = Channels::diff(Some(&old), &mut new);
        assert_eq!(
            kinds(&c),
            [("a".into(), "went_offline"), ("a".into(), "went_live")]
        );
        assert_eq!(
            c[0].data["duration_s"], 3600,
            "to the last poll that saw it, not to now"
        );
        let mut gone = snap(&[("a", None)]);
        let c = Channels::diff(Some(&old), &mut gone);
        assert_eq!(c[0].data["duration_s"], 3600);
    }
}
