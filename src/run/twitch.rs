//! `roomwatch twitch`: the account commands (`login` by the device code flow, `logout`) and the start of a
//! Twitch room from the stored token or `TWITCH_ACCESS_TOKEN`.

use super::rooms::StartedRoom;
use super::RunError;
use crate::app::msg::exit_code;
use crate::cli::TwitchAccount;
use crate::config::Config;
use crate::event::{RoomKey, SourceKind};
use crate::sources::backoff::Backoff;
use crate::sources::twitch::auth::{ApiError, DevicePoll, TwitchHttp, DEFAULT_SCOPES};
use crate::sources::twitch::endpoints::Endpoints;
use crate::sources::twitch::session::{self, TwitchConfig};
use crate::sources::twitch::token::{
    SharedToken, Token, TokenStore, ACCESS_TOKEN_VAR, CLIENT_ID_VAR,
};
use crate::stderr::say;
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;

const REGISTER_HINT: &str =
    "register an application at https://dev.twitch.tv/console (client type \
     \"Public\"), then set TWITCH_CLIENT_ID or twitch.client_id in the config";

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The client id (`TWITCH_CLIENT_ID` first, then the config) and the endpoints, as an HTTP client.
pub fn http(config: &Config) -> Result<TwitchHttp, RunError> {
    let client_id = env(CLIENT_ID_VAR)
        .or_else(|| config.twitch_client_id.clone())
        .ok_or_else(|| RunError::usage(format!("no Twitch client id: {REGISTER_HINT}")))?;
    if !client_id.chars().all(|c| c.is_ascii_alphanumeric()) || client_id.len() > 64 {
        return Err(RunError::usage(format!(
            "{CLIENT_ID_VAR} is not a client id (letters and digits); {REGISTER_HINT}"
        )));
    }
    let endpoints = Endpoints::from_env(env).map_err(RunError::usage)?;
    TwitchHttp::new(endpoints, client_id).map_err(RunError::fatal)
}

fn store(config: &Config) -> Result<TokenStore, RunError> {
    (config.paths.twitch_token.clone())
        .map(TokenStore::new)
        .ok_or_else(|| {
            RunError::usage("no data directory to keep the Twitch token in; set data_dir")
        })
}

fn refused(text: impl Into<String>) -> RunError {
    RunError {
        code: exit_code::CREDENTIALS,
        message: text.into(),
    }
}

/// `twitch login` / `twitch logout`: the exit code.
pub async fn account(action: &TwitchAccount) -> i32 {
    let config_file = match action {
        TwitchAccount::Login { config, .. } | TwitchAccount::Logout { config } => config.clone(),
    };
    let result = async {
        let config = crate::config::load(&crate::config::LoadOptions {
            config_file,
            env: crate::config::process_env(),
            ..Default::default()
        })
        .map_err(|e| RunError::usage(e.to_string()))?;
        match action {
            TwitchAccount::Login { scopes, .. } => login(&config, scopes).await,
            TwitchAccount::Logout { .. } => logout(&config).await,
        }
    }
    .await;
    match result {
        Ok(()) => exit_code::OK,
        Err(e) => {
            say(&format!("roomwatch: {}", e.message));
            e.code
        }
    }
}

async fn login(config: &Config, scopes: &[String]) -> Result<(), RunError> {
    let http = http(config)?;
    let store = store(config)?;
    let scopes: Vec<String> = if scopes.is_empty() {
        DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect()
    } else {
        scopes
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let code = http
        .device_start(&scopes)
        .await
        .map_err(|e| match e.status() {
            Some(400..=499) => refused(format!(
                "Twitch refused the login request ({e}); check the client id: {REGISTER_HINT}"
            )),
            _ => RunError::fatal(format!("cannot reach Twitch to log in: {e}")),
        })?;
    let minutes = code.expires_in.div_ceil(60);
    say(&format!(
        "To log in, open {} on any device and enter the code {} (valid for {minutes} min). Waiting…",
        code.verification_uri, code.user_code
    ));
    let mut interval = Duration::from_secs(code.interval.clamp(1, 60));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(code.expires_in.min(3600));
    let backoff = Backoff::default();
    let mut failures = 0u32;
    let grant = loop {
        if tokio::time::Instant::now() + interval > deadline {
            return Err(refused(
                "the code expired before it was approved; run `roomwatch twitch login` again",
            ));
        }
        tokio::time::sleep(interval).await;
        match http.device_poll(&code.device_code).await {
            Ok(DevicePoll::Pending) => failures = 0,
            Ok(DevicePoll::SlowDown) => {
                // RFC 8628 §3.5: five more seconds between polls from now on.
                interval += Duration::from_secs(5);
            }
            Ok(DevicePoll::Granted(g)) => break g,
            Ok(DevicePoll::Denied) => {
                return Err(refused(
                    "the authorization was declined on Twitch; run `roomwatch twitch login` to try again",
                ))
            }
            Ok(DevicePoll::Expired) => {
                return Err(refused(
                    "the code expired before it was approved; run `roomwatch twitch login` again",
                ))
            }
            Err(e @ ApiError::Status { status, .. }) if status < 500 && status != 429 => {
                return Err(refused(format!("Twitch ended the login: {e}")))
            }
            Err(e) => {
                failures += 1;
                if failures == 1 {
                    say(&format!("roomwatch: cannot reach Twitch ({e}); still trying"));
                }
                tokio::time::sleep(backoff.delay(failures, fastrand::f64())).await;
            }
        }
    };
    // Whose token it is; if Twitch cannot say now, the token is kept anyway (the grant cannot be asked for
    // twice) and the first `roomwatch twitch` asks again.
    let who = match http.validate(&grant.access_token).await {
        Ok(who) => who,
        Err(e) => {
            say(&format!(
                "roomwatch: Twitch did not say whose the new token is ({e}); it is kept, and checked at start"
            ));
            crate::sources::twitch::auth::Validation {
                client_id: String::new(),
                login: String::new(),
                user_id: String::new(),
                scopes: Vec::new(),
                expires_in: None,
            }
        }
    };
    let token = grant.into_token(&who, None, Utc::now());
    store.save(&token).map_err(|e| {
        RunError::fatal(format!(
            "cannot save the Twitch token to {}: {e}",
            store.path().display()
        ))
    })?;
    say(&format!(
        "Logged in to Twitch as {} ({} scopes). Run `roomwatch twitch` to watch your channel.",
        token.login,
        token.scopes.len()
    ));
    Ok(())
}

async fn logout(config: &Config) -> Result<(), RunError> {
    let store = store(config)?;
    let token = store.load().map_err(RunError::usage)?;
    let Some(token) = token else {
        say("roomwatch: not logged in to Twitch; nothing to do");
        return Ok(());
    };
    // Revoke what can be revoked; the file goes in any case (the user asked to forget the token).
    let revoked = match http(config) {
        Ok(http) => match http.revoke(&token.access).await {
            Ok(()) => true,
            Err(e) => {
                say(&format!(
                    "roomwatch: Twitch did not confirm the revocation ({e})"
                ));
                false
            }
        },
        Err(e) => {
            say(&format!("roomwatch: not revoked ({})", e.message));
            false
        }
    };
    store
        .delete()
        .map_err(|e| RunError::fatal(format!("cannot delete {}: {e}", store.path().display())))?;
    say(if revoked {
        "Logged out of Twitch: the token was revoked and deleted."
    } else {
        "The Twitch token was deleted but not revoked: disconnect roomwatch at \
         https://www.twitch.tv/settings/connections to be sure it is dead."
    });
    Ok(())
}

/// Where a Twitch room's token comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// `roomwatch twitch login`'s store (refreshed, shared by every room that uses it).
    Stored,
    /// An access token in this environment variable (not refreshed).
    Env(String),
}

/// The logins of a session, one per token source, shared by the rooms that use it.
#[derive(Default)]
pub struct Logins(Vec<(TokenSource, Arc<SharedToken>, usize)>);

/// Twitch allows 3 EventSub sockets per user and client id (twitch.md §2.11); each room holds one.
pub const MAX_ROOMS_PER_LOGIN: usize = 3;

impl Logins {
    fn get(&mut self, source: &TokenSource, config: &Config) -> Result<Arc<SharedToken>, RunError> {
        if let Some((_, t, rooms)) = self.0.iter_mut().find(|(s, ..)| s == source) {
            *rooms += 1;
            if *rooms > MAX_ROOMS_PER_LOGIN {
                return Err(RunError::usage(format!(
                    "Twitch allows {MAX_ROOMS_PER_LOGIN} EventSub connections per login: at most \
                     {MAX_ROOMS_PER_LOGIN} Twitch rooms can share one (give the others credentials_env)"
                )));
            }
            return Ok(t.clone());
        }
        let shared = match source {
            TokenSource::Env(var) => {
                let access = env(var).ok_or_else(|| {
                    RunError::usage(format!("the environment variable {var} is not set (it should hold a Twitch access token)"))
                })?;
                let access = access.strip_prefix("oauth:").unwrap_or(&access).to_string();
                let token = Token {
                    access,
                    refresh: None,
                    expires_at: None,
                    scopes: Vec::new(),
                    login: String::new(),
                    user_id: String::new(),
                };
                SharedToken::new(token, None)
            }
            TokenSource::Stored => {
                let store = store(config)?;
                let token = store.load().map_err(RunError::usage)?.ok_or_else(|| {
                    RunError::usage(format!(
                        "not logged in to Twitch: run `roomwatch twitch login` (or set {ACCESS_TOKEN_VAR})"
                    ))
                })?;
                SharedToken::new(token, Some(store))
            }
        };
        self.0.push((source.clone(), shared.clone(), 1));
        Ok(shared)
    }
}

/// The token source of `roomwatch twitch`: `TWITCH_ACCESS_TOKEN` when set, else the stored login.
pub fn default_source() -> TokenSource {
    match env(ACCESS_TOKEN_VAR) {
        Some(_) => TokenSource::Env(ACCESS_TOKEN_VAR.into()),
        None => TokenSource::Stored,
    }
}

/// A Twitch room ready to start: its key and its source's configuration. Nothing has been sent yet, unless a
/// bare access token had to be asked whose it is.
pub async fn prepare(
    channel: Option<String>,
    source: &TokenSource,
    logins: &mut Logins,
    config: &Config,
) -> Result<(RoomKey, TwitchConfig), RunError> {
    let http = http(config)?;
    let shared = logins.get(source, config)?;
    let token = shared.current().await;
    let channel = channel.map(|c| c.trim().trim_start_matches('#').to_ascii_lowercase());
    if let Some(c) = &channel {
        let valid = !c.is_empty()
            && c.len() <= 25
            && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        if !valid {
            return Err(RunError::usage(format!(
                "{} is not a Twitch login (letters, digits and _, at most 25)",
                crate::sanitize::clean(c)
            )));
        }
    }
    let room = match (&channel, token.login.is_empty()) {
        (Some(c), _) => c.clone(),
        (None, false) => token.login.clone(),
        // A bare access token: ask Twitch whose it is.
        (None, true) => match http.validate(&token.access).await {
            Ok(v) if !v.login.is_empty() => v.login,
            Ok(_) => return Err(refused("Twitch did not say whose the access token is")),
            Err(e) if e.status() == Some(401) => {
                return Err(refused(format!(
                    "Twitch refused the access token ({e}); get a new token or use `roomwatch twitch login`"
                )))
            }
            Err(e) => {
                return Err(RunError::fatal(format!(
                    "cannot reach Twitch to find whose the access token is ({e}); name the channel: \
                     roomwatch twitch CHANNEL"
                )))
            }
        },
    };
    let mut cfg = TwitchConfig::new(http, shared);
    cfg.channel = channel;
    Ok((RoomKey::new(SourceKind::Twitch, room), cfg))
}

/// Starts a prepared Twitch room.
pub fn start(key: RoomKey, cfg: TwitchConfig) -> StartedRoom {
    StartedRoom::live(key, |tx| session::spawn(cfg, tx))
}
