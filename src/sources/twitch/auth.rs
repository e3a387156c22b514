//! Twitch's OAuth host, as a public client (no secret): the Device Code Grant Flow (`roomwatch twitch login`),
//! refresh, validate and revoke (twitch.md §5). Three form POSTs and a GET, written against reqwest directly:
//! the replies are read tolerantly, within a size cap, and no error text carries a token.

use super::endpoints::Endpoints;
use super::token::Token;
use crate::sources::http::{read_capped, transport_error};
use crate::sources::ErrorClass;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::time::Duration;

/// Largest OAuth or Helix reply read.
pub const MAX_API_REPLY: usize = 1024 * 1024;

/// Scopes `roomwatch twitch login` asks for by default: everything the monitor can use (twitch.md §5).
pub const DEFAULT_SCOPES: &[&str] = &[
    "user:read:chat",
    "bits:read",
    "channel:read:subscriptions",
    "moderator:read:followers",
    "channel:read:redemptions",
    "user:read:whispers",
    "moderator:read:chatters",
    "moderator:read:banned_users",
    "moderator:read:blocked_terms",
    "moderator:read:chat_messages",
    "moderator:read:chat_settings",
    "moderator:read:unban_requests",
    "moderator:read:warnings",
    "moderator:read:moderators",
    "moderator:read:vips",
];

/// The HTTP side of Twitch (OAuth and Helix) for one client id.
#[derive(Debug, Clone)]
pub struct TwitchHttp {
    pub client: reqwest::Client,
    pub endpoints: Endpoints,
    pub client_id: String,
}

/// A failed exchange with the OAuth host or Helix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The request never got a usable reply: retried with backoff.
    Transport(ErrorClass, String),
    /// An HTTP status with Twitch's `message` (or the start of the body), never a token.
    Status { status: u16, message: String },
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Transport(_, text) => f.write_str(text),
            ApiError::Status { status, message } if message.is_empty() => {
                write!(f, "HTTP {status}")
            }
            ApiError::Status { status, message } => write!(f, "HTTP {status}: {message}"),
        }
    }
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            ApiError::Transport(..) => None,
        }
    }

    pub fn class(&self) -> ErrorClass {
        match self {
            ApiError::Status { status, .. } => ErrorClass::Status(*status),
            ApiError::Transport(class, _) => *class,
        }
    }
}

/// `POST /device`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeviceCode {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    #[serde(default = "default_expires")]
    pub expires_in: u64,
    #[serde(default = "default_interval")]
    pub interval: u64,
}

fn default_expires() -> u64 {
    1800
}
fn default_interval() -> u64 {
    5
}

/// One poll of the device flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevicePoll {
    Pending,
    SlowDown,
    Granted(Grant),
    /// The user refused.
    Denied,
    /// The code expired (or Twitch no longer knows it).
    Expired,
}

/// A token grant (device flow or refresh).
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct Grant {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default, deserialize_with = "scopes")]
    pub scope: Vec<String>,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// `scope` is an array, `null`, or (in some replies) one space-separated string.
fn scopes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scopes {
        List(Vec<String>),
        Text(String),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Option::<Scopes>::deserialize(d)? {
        Some(Scopes::List(v)) => v,
        Some(Scopes::Text(t)) => t.split_whitespace().map(str::to_string).collect(),
        Some(Scopes::Other(_)) | None => Vec::new(),
    })
}

/// `GET /validate`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Validation {
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub login: String,
    #[serde(default)]
    pub user_id: String,
    #[serde(default, deserialize_with = "scopes")]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

impl Grant {
    /// The token to store once the grant is known to belong to `who`. A refresh that names no new refresh
    /// token keeps the old one.
    pub fn into_token(
        self,
        who: &Validation,
        previous_refresh: Option<String>,
        now: DateTime<Utc>,
    ) -> Token {
        let token = Token {
            expires_at: self
                .expires_in
                .map(|s| now + chrono::Duration::seconds(s.min(365 * 86_400) as i64)),
            access: self.access_token,
            refresh: self.refresh_token.or(previous_refresh),
            scopes: if self.scope.is_empty() {
                who.scopes.clone()
            } else {
                self.scope
            },
            login: who.login.clone(),
            user_id: who.user_id.clone(),
        };
        token.register_secrets();
        token
    }
}

impl TwitchHttp {
    /// An HTTP client as every source builds it: rustls, no redirects (a redirect could carry a token
    /// elsewhere), timeouts, no proxy for loopback endpoints.
    pub fn new(endpoints: Endpoints, client_id: String) -> Result<Self, String> {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("roomwatch/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(20));
        if endpoints.all_loopback() {
            b = b.no_proxy();
        }
        let client = b
            .build()
            .map_err(|e| format!("cannot start the HTTP client: {}", e.without_url()))?;
        Ok(TwitchHttp {
            client,
            endpoints,
            client_id,
        })
    }

    fn auth_url(&self, path: &str) -> String {
        format!("{}/{path}", self.endpoints.auth)
    }

    /// Sends a request and reads its body (capped); any status is returned with the body.
    pub async fn exchange(&self, req: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>), ApiError> {
        let resp = req.send().await.map_err(|e| {
            let (class, text) = transport_error(e, false);
            ApiError::Transport(class, text)
        })?;
        let status = resp.status().as_u16();
        let body = read_capped(resp, MAX_API_REPLY)
            .await
            .map_err(|(class, text)| ApiError::Transport(class, text))?;
        Ok((status, body))
    }

    /// Starts the device flow.
    pub async fn device_start(&self, scopes: &[String]) -> Result<DeviceCode, ApiError> {
        let req = self.client.post(self.auth_url("device")).form(&[
            ("client_id", self.client_id.as_str()),
            ("scopes", scopes.join(" ").as_str()),
        ]);
        let code: DeviceCode = json_ok(self.exchange(req).await?)?;
        crate::mask::register(&code.device_code);
        Ok(code)
    }

    /// One poll of the device flow.
    pub async fn device_poll(&self, device_code: &str) -> Result<DevicePoll, ApiError> {
        let req = self.client.post(self.auth_url("token")).form(&[
            ("client_id", self.client_id.as_str()),
            ("device_code", device_code),
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ]);
        match json_ok::<Grant>(self.exchange(req).await?) {
            Ok(grant) => {
                crate::mask::register(&grant.access_token);
                grant.refresh_token.as_deref().map(crate::mask::register);
                Ok(DevicePoll::Granted(grant))
            }
            Err(ApiError::Status { status, message }) if (400..500).contains(&status) => {
                let m = message.to_ascii_lowercase();
                Ok(if m.contains("authorization_pending") {
                    DevicePoll::Pending
                } else if m.contains("slow_down") {
                    DevicePoll::SlowDown
                } else if m.contains("denied") {
                    DevicePoll::Denied
                } else if m.contains("expired") || m.contains("invalid device code") {
                    DevicePoll::Expired
                } else {
                    return Err(ApiError::Status { status, message });
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Exchanges a (single-use) refresh token for a new pair.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Grant, ApiError> {
        let req = self.client.post(self.auth_url("token")).form(&[
            ("client_id", self.client_id.as_str()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ]);
        let grant: Grant = json_ok(self.exchange(req).await?)?;
        crate::mask::register(&grant.access_token);
        grant.refresh_token.as_deref().map(crate::mask::register);
        Ok(grant)
    }

    /// An app access token (client credentials): what webhook subscriptions need. Not refreshable: a new one is
    /// asked for when it expires.
    pub async fn app_token(&self, client_secret: &str) -> Result<String, ApiError> {
        let req = self.client.post(self.auth_url("token")).form(&[
            ("client_id", self.client_id.as_str()),
            ("client_secret", client_secret),
            ("grant_type", "client_credentials"),
        ]);
        let grant: Grant = json_ok(self.exchange(req).await?)?;
        crate::mask::register(&grant.access_token);
        Ok(grant.access_token)
    }

    /// Asks Twitch who the token belongs to and what it may do; 401 = the token is invalid.
    pub async fn validate(&self, access: &str) -> Result<Validation, ApiError> {
        let req = self
            .client
            .get(self.auth_url("validate"))
            .header("Authorization", format!("OAuth {access}"));
        json_ok(self.exchange(req).await?)
    }

    /// Revokes a token (logout).
    pub async fn revoke(&self, token: &str) -> Result<(), ApiError> {
        let req = self
            .client
            .post(self.auth_url("revoke"))
            .form(&[("client_id", self.client_id.as_str()), ("token", token)]);
        let (status, body) = self.exchange(req).await?;
        if (200..300).contains(&status) {
            return Ok(());
        }
        Err(status_error(status, &body))
    }
}

/// A 2xx reply's JSON, or the status with Twitch's message.
pub fn json_ok<T: serde::de::DeserializeOwned>(
    (status, body): (u16, Vec<u8>),
) -> Result<T, ApiError> {
    if !(200..300).contains(&status) {
        return Err(status_error(status, &body));
    }
    serde_json::from_slice(&body).map_err(|_| {
        ApiError::Transport(
            ErrorClass::InvalidReply,
            format!("HTTP {status} with a reply that is not the expected JSON"),
        )
    })
}

/// The status with Twitch's `message` (`{"status":400,"message":"authorization_pending"}`), sanitized and short.
pub fn status_error(status: u16, body: &[u8]) -> ApiError {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let message = parsed
        .and_then(|b| b.message.or(b.error))
        .unwrap_or_default();
    let message: String = crate::mask::scrub(&crate::sanitize::clean(&message))
        .chars()
        .take(200)
        .collect();
    ApiError::Status { status, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_read_scopes_in_every_shape_and_hide_tokens_in_debug() {
        for (json, want) in [
            (r#"{"access_token":"a","scope":["x","y"]}"#, vec!["x", "y"]),
            (r#"{"access_token":"a","scope":"x y"}"#, vec!["x", "y"]),
            (r#"{"access_token":"a","scope":null}"#, vec![]),
            (r#"{"access_token":"a","scope":7}"#, vec![]),
            (r#"{"access_token":"a"}"#, vec![]),
        ] {
            let g: Grant = serde_json::from_str(json).unwrap();
            assert_eq!(g.scope, want, "{json}");
        }
        let g: Grant =
            serde_json::from_str(r#"{"access_token":"grantdebugsecret","refresh_token":"r"}"#)
                .unwrap();
        assert!(!format!("{g:?}").contains("grantdebugsecret"));
    }

    #[test]
    fn status_errors_keep_twitchs_message_short_and_clean() {
        let e = status_error(400, br#"{"status":400,"message":"authorization_pending"}"#);
        assert_eq!(e.to_string(), "HTTP 400: authorization_pending");
        let e = status_error(401, br#"{"error":"Unauthorized","status":401}"#);
        assert_eq!(e.to_string(), "HTTP 401: Unauthorized");
        let e = status_error(500, b"<html>");
        assert_eq!(e.to_string(), "HTTP 500");
        let long = format!(r#"{{"message":"{}\u001b[2J"}}"#, "x".repeat(500));
        let e = status_error(400, long.as_bytes());
        assert!(e.to_string().len() < 220 && !e.to_string().contains('\u{1b}'));
    }
}
