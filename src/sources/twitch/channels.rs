//! Twitch channels for the channel watch: their live status, title, category and viewers from Helix `Get
//! Streams` (100 logins per request).

use super::auth::{status_error, TwitchHttp};
use crate::sources::watch::channels::{Channel, Channels};
use crate::sources::watch::engine::Failure;
use serde::Deserialize;
use std::time::Duration;

/// A watched channel as written on the command line or in `[watch]` (`twitch:NAME` or `NAME`): its login, checked
/// and lower-case; `Err` says what is wrong.
pub fn watched_login(text: &str) -> Result<String, String> {
    let name = match text.split_once(':') {
        Some(("twitch", n)) => n,
        Some((platform, _)) => {
            return Err(format!(
                "{}: channel watch follows Twitch channels (twitch:NAME)",
                crate::sanitize::clean(platform)
            ))
        }
        None => text,
    }
    .trim()
    .to_ascii_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 25
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "{} is not a Twitch login (letters, digits and _, at most 25)",
            crate::sanitize::clean(&name)
        ));
    }
    Ok(name)
}

/// Logins per `Get Streams` request (Helix's maximum).
pub const PER_REQUEST: usize = 100;

/// A watched channel: the login it is watched (and reported) as, and its user id once Twitch told it. With the
/// id, the channel is asked for by id, so a rename does not lose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    pub login: String,
    pub id: Option<String>,
}

/// A poll's snapshot, and the watched channels Twitch now names otherwise (watched login → its login now).
pub type Polled = (Channels, Vec<(String, String)>);

#[derive(Deserialize)]
struct Page {
    #[serde(default = "Vec::new")]
    data: Vec<Stream>,
}

#[derive(Deserialize)]
struct Stream {
    #[serde(default)]
    user_id: Option<String>,
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
    /// Every watched channel's state: `Get Streams` per 100 channels (by id where known, else by login); a
    /// channel missing from a good reply is offline. Any failed request fails the whole poll (a partial view
    /// must not turn channels offline).
    pub async fn channels(
        &self,
        access: &str,
        watched: &[Watched],
        viewer_step: u64,
    ) -> Result<Polled, (Failure, Option<u16>)> {
        let mut snapshot = Channels {
            channels: (watched.iter())
                .map(|w| (w.login.clone(), Channel::default()))
                .collect(),
            polled_at: Some(chrono::Utc::now()),
            viewer_step,
        };
        let by_id: std::collections::HashMap<&str, &str> = (watched.iter())
            .filter_map(|w| Some((w.id.as_deref()?, w.login.as_str())))
            .collect();
        let mut renamed = Vec::new();
        let requests = watched.len().div_ceil(PER_REQUEST);
        for (n, chunk) in watched.chunks(PER_REQUEST).enumerate() {
            let mut query: Vec<(&str, &str)> = (chunk.iter())
                .map(|w| match &w.id {
                    Some(id) => ("user_id", id.as_str()),
                    None => ("user_login", w.login.as_str()),
                })
                .collect();
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
            let header = |name: &str| {
                (resp.headers().get(name)).and_then(|v| v.to_str().ok()?.trim().parse::<i64>().ok())
            };
            let (reset, remaining) = (header("ratelimit-reset"), header("ratelimit-remaining"));
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
                let now_named = s.user_login.map(|l| l.to_ascii_lowercase());
                // By id first: a channel renamed since it was looked up is still the one watched.
                let login = match s.user_id.as_deref().and_then(|id| by_id.get(id)) {
                    Some(watched_as) => {
                        if let Some(now) = now_named.filter(|n| n != watched_as) {
                            renamed.push((watched_as.to_string(), now));
                        }
                        watched_as.to_string()
                    }
                    None => match now_named {
                        Some(l) => l,
                        None => continue,
                    },
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
            // The bucket is empty and requests remain: wait for its refill rather than take a 429 (the bucket
            // is the account's, shared with every other tool of it).
            if remaining == Some(0) && n + 1 < requests {
                let wait = reset.map_or(1, |r| (r - chrono::Utc::now().timestamp()).clamp(1, 60));
                tracing::debug!(wait, "Helix rate limit: waiting for the bucket to refill");
                tokio::time::sleep(Duration::from_secs(wait as u64)).await;
            }
        }
        Ok((snapshot, renamed))
    }
}
