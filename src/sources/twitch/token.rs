//! The user token: what `roomwatch twitch login` stores in `<data dir>/twitch/token.json` (0600, written
//! atomically), or `TWITCH_ACCESS_TOKEN` from the environment (no refresh then). Every token is registered with
//! the mask as soon as it is read or received, so it never reaches a screen, a log or a file other than the store.

use crate::files::atomic::{self, Durability, Place};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub const ACCESS_TOKEN_VAR: &str = "TWITCH_ACCESS_TOKEN";
pub const CLIENT_ID_VAR: &str = "TWITCH_CLIENT_ID";

/// Largest token file read (a real one is ~600 bytes).
const MAX_TOKEN_FILE: u64 = 16 * 1024;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub access: String,
    /// `None` for `TWITCH_ACCESS_TOKEN` (nothing to refresh with).
    #[serde(default)]
    pub refresh: Option<String>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub login: String,
    #[serde(default)]
    pub user_id: String,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access", &crate::mask::MASK)
            .field("refresh", &self.refresh.as_ref().map(|_| crate::mask::MASK))
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("login", &self.login)
            .field("user_id", &self.user_id)
            .finish()
    }
}

impl Token {
    /// Registers both tokens with the mask.
    pub fn register_secrets(&self) {
        crate::mask::register(&self.access);
        if let Some(r) = &self.refresh {
            crate::mask::register(r);
        }
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Where the token is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenStore {
    path: PathBuf,
}

impl TokenStore {
    pub fn new(path: PathBuf) -> Self {
        TokenStore { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored token; `Ok(None)` when there is none. A file that others may read, or that is not a token,
    /// is an error that says what to do.
    pub fn load(&self) -> Result<Option<Token>, String> {
        let shown = self.path.display();
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read the Twitch token {shown}: {e}")),
        };
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(format!(
                "refusing the Twitch token {shown}: other users can read it; run `chmod 600 {shown}` \
                 (or `roomwatch twitch login` again)"
            ));
        }
        let text = crate::files::read_text(&self.path, MAX_TOKEN_FILE)
            .map_err(|e| format!("cannot read the Twitch token {shown}: {e}"))?;
        let token: Token = serde_json::from_str(&text).map_err(|_| {
            format!("{shown} is not a roomwatch Twitch token; run `roomwatch twitch login` again")
        })?;
        if token.access.is_empty() {
            return Err(format!(
                "{shown} holds no access token; run `roomwatch twitch login`"
            ));
        }
        token.register_secrets();
        Ok(Some(token))
    }

    /// Saves the token atomically (0600, directory 0700), synced: a refresh token is single-use, so the new
    /// pair must be on disk before the old one is gone for good.
    pub fn save(&self, token: &Token) -> io::Result<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            atomic::ensure_dir(dir)?;
        }
        let json = serde_json::to_vec_pretty(token).map_err(io::Error::other)?;
        atomic::write(&self.path, &json, Place::Replace, Durability::Synced)
    }

    /// Removes the stored token; `false` when there was none.
    pub fn delete(&self) -> io::Result<bool> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// One login shared by every room that uses it. A refresh token works once, so two rooms must not both spend
/// it: the refresh happens under a lock, and a room whose access token is already replaced simply takes the new
/// one.
#[derive(Debug)]
pub struct SharedToken {
    store: Option<TokenStore>,
    token: tokio::sync::Mutex<Token>,
}

/// What a refresh came to.
#[derive(Debug)]
pub enum Refreshed {
    /// The new token (saved first when there is a store; `Some(error)` when it could not be saved).
    Token(Token, Option<String>),
    /// Twitch refused the refresh token, or there is none: a new login is needed.
    Refused,
    /// A network failure: the refresh token was not spent, try again later.
    Later(String),
}

impl SharedToken {
    pub fn new(token: Token, store: Option<TokenStore>) -> std::sync::Arc<Self> {
        token.register_secrets();
        std::sync::Arc::new(SharedToken {
            store,
            token: tokio::sync::Mutex::new(token),
        })
    }

    pub async fn current(&self) -> Token {
        self.token.lock().await.clone()
    }

    /// Replaces the token whose access was `seen` (it got a 401) by a refreshed one; when another room already
    /// did, returns that one without a request.
    pub async fn refresh(&self, http: &super::auth::TwitchHttp, seen: &str) -> Refreshed {
        let mut current = self.token.lock().await;
        if current.access != seen {
            return Refreshed::Token(current.clone(), None);
        }
        let Some(old) = current.refresh.clone() else {
            return Refreshed::Refused;
        };
        let grant = match http.refresh(&old).await {
            Ok(g) => g,
            Err(e)
                if e.status()
                    .is_some_and(|s| (400..500).contains(&s) && s != 408 && s != 429) =>
            {
                // Another roomwatch may have spent it and stored the new pair: take that one.
                let stored = self.store.as_ref().and_then(|s| s.load().ok().flatten());
                let same_user =
                    |t: &Token| t.user_id == current.user_id || current.user_id.is_empty();
                return match stored.filter(|t| t.access != current.access && same_user(t)) {
                    Some(t) => {
                        *current = t.clone();
                        Refreshed::Token(t, None)
                    }
                    None => Refreshed::Refused,
                };
            }
            Err(e) => return Refreshed::Later(e.to_string()),
        };
        let who = super::auth::Validation {
            client_id: String::new(),
            login: current.login.clone(),
            user_id: current.user_id.clone(),
            scopes: current.scopes.clone(),
            expires_in: None,
        };
        let token = grant.into_token(&who, Some(old), Utc::now());
        // Saved before it is used: the old refresh token is spent from now on.
        let unsaved = (self.store.as_ref())
            .and_then(|s| s.save(&token).err())
            .map(|e| e.to_string());
        *current = token.clone();
        Refreshed::Token(token, unsaved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Token {
        Token {
            access: "tokenstoretestaccess0123456789".into(),
            refresh: Some("tokenstoretestrefresh0123456789".into()),
            expires_at: None,
            scopes: vec!["bits:read".into()],
            login: "streamer".into(),
            user_id: "1001".into(),
        }
    }

    #[test]
    fn saved_private_loaded_back_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("twitch").join("token.json"));
        assert_eq!(store.load().unwrap(), None);
        store.save(&token()).unwrap();
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(store.load().unwrap(), Some(token()));
        assert!(store.delete().unwrap());
        assert!(!store.delete().unwrap());
    }

    #[test]
    fn a_readable_or_foreign_file_is_refused_and_debug_masks() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("token.json"));
        std::fs::write(store.path(), "{\"nope\":1}").unwrap();
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(store.load().unwrap_err().contains("twitch login"));
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(store.load().unwrap_err().contains("chmod 600"));
        let shown = format!("{:?}", token());
        assert!(!shown.contains("tokenstoretest"), "{shown}");
    }
}

/// An app access token (client credentials, `TWITCH_CLIENT_SECRET`): asked for on first use and again when
/// Twitch refuses it (it has no refresh token). Shared by the channel watch's polls and its webhook subscriptions.
pub struct AppToken {
    client_secret: String,
    access: tokio::sync::Mutex<AppAccess>,
}

#[derive(Default)]
struct AppAccess {
    token: Option<String>,
    /// The token came from `renew` and has not worked yet: a 401 on it too is a refusal, not a reason to ask
    /// again and again.
    unproven: bool,
}

/// Why there is no app token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoAppToken {
    /// Twitch refused the client id or the secret.
    Refused(String),
    /// Twitch did not answer; try again later.
    Later(String),
}

impl AppToken {
    pub fn new(client_secret: String) -> std::sync::Arc<Self> {
        crate::mask::register(&client_secret);
        std::sync::Arc::new(AppToken {
            client_secret,
            access: tokio::sync::Mutex::new(AppAccess::default()),
        })
    }

    /// The token, asked for when there is none yet.
    pub async fn current(&self, http: &super::auth::TwitchHttp) -> Result<String, NoAppToken> {
        let mut access = self.access.lock().await;
        if let Some(a) = access.token.as_ref() {
            return Ok(a.clone());
        }
        let fresh = Self::ask(http, &self.client_secret).await?;
        access.token = Some(fresh.clone());
        Ok(fresh)
    }

    /// `access` was taken by Twitch: a later 401 on it means it expired, worth a new one.
    pub async fn worked(&self, access: &str) {
        let mut current = self.access.lock().await;
        if current.token.as_deref() == Some(access) {
            current.unproven = false;
        }
    }

    /// Drops the token whose access was `seen` (it got a 401) and asks for a new one; when another task already
    /// did, returns that one.
    pub async fn renew(
        &self,
        http: &super::auth::TwitchHttp,
        seen: &str,
    ) -> Result<String, NoAppToken> {
        let mut access = self.access.lock().await;
        if let Some(a) = access.token.as_ref().filter(|a| *a != seen) {
            return Ok(a.clone());
        }
        if access.unproven && access.token.is_some() {
            return Err(NoAppToken::Refused(
                "a token Twitch had just issued was refused too".into(),
            ));
        }
        access.token = None;
        let fresh = Self::ask(http, &self.client_secret).await?;
        access.token = Some(fresh.clone());
        access.unproven = true;
        Ok(fresh)
    }

    async fn ask(http: &super::auth::TwitchHttp, secret: &str) -> Result<String, NoAppToken> {
        http.app_token(secret).await.map_err(|e| match e.status() {
            Some(s) if (400..500).contains(&s) && s != 408 && s != 429 => {
                NoAppToken::Refused(e.to_string())
            }
            _ => NoAppToken::Later(e.to_string()),
        })
    }
}
