//! How the channel watch authenticates (the `twitch login` token or an app token), and which channels Twitch
//! knows.

use crate::sources::twitch::auth::TwitchHttp;
use crate::sources::twitch::channels::Watched;
use crate::sources::twitch::token::{AppToken, NoAppToken, Refreshed};
use crate::sources::watch::engine::Failure;
use crate::stderr::say;

/// `TWITCH_CLIENT_SECRET`, when set: the channel watch then uses an app token.
pub fn client_secret() -> Option<String> {
    (std::env::var("TWITCH_CLIENT_SECRET").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// How the polls authenticate: the `twitch login` token (refreshed) or an app token (asked for again).
#[derive(Clone)]
pub(super) enum PollAuth {
    User(std::sync::Arc<crate::sources::twitch::token::SharedToken>),
    App(std::sync::Arc<AppToken>),
}

impl PollAuth {
    pub(super) async fn access(&self, http: &TwitchHttp) -> Result<String, Failure> {
        match self {
            PollAuth::User(t) => Ok(t.current().await.access),
            PollAuth::App(a) => a.current(http).await.map_err(no_app_token),
        }
    }

    pub(super) async fn worked(&self, access: &str) {
        if let PollAuth::App(a) = self {
            a.worked(access).await;
        }
    }

    /// After a 401: a new token, or `Refused` when none can be had.
    pub(super) async fn renew(&self, http: &TwitchHttp, seen: &str) -> Result<(), Failure> {
        match self {
            PollAuth::User(t) => match t.refresh(http, seen).await {
                Refreshed::Refused => Err(Failure::Refused),
                _ => Ok(()),
            },
            PollAuth::App(a) => a.renew(http, seen).await.map(drop).map_err(no_app_token),
        }
    }
}

fn no_app_token(e: NoAppToken) -> Failure {
    match e {
        NoAppToken::Refused(why) => {
            say(&format!(
                "roomwatch: Twitch refused the app token ({why}): check TWITCH_CLIENT_ID and TWITCH_CLIENT_SECRET"
            ));
            Failure::Refused
        }
        NoAppToken::Later(why) => Failure::Unreachable(why),
    }
}

/// The channels Twitch knows, with their ids (polled by id, so a rename does not lose one): the others are said
/// once and not polled (DESIGN.md: "reported once and dropped from polling until the config changes"). When
/// Twitch cannot be asked, all are kept (polled by login). `None` when the credentials are refused.
pub(super) async fn known_only(
    http: &TwitchHttp,
    auth: &PollAuth,
    logins: Vec<String>,
) -> Option<Vec<Watched>> {
    let by_login = |logins: Vec<String>| {
        let all = logins.into_iter().map(|login| Watched { login, id: None });
        Some(all.collect())
    };
    let asked = match auth.access(http).await {
        Ok(access) => match http.users_by_login(&access, &logins).await {
            // A stored token past its hours: refreshed once, as a poll would, and asked again.
            Err(e) if e.status() == Some(401) => match auth.renew(http, &access).await {
                Err(Failure::Refused) => return None,
                _ => match auth.access(http).await {
                    Ok(fresh) => http.users_by_login(&fresh, &logins).await,
                    Err(_) => Err(e),
                },
            },
            other => other,
        },
        Err(Failure::Refused) => return None,
        Err(f) => {
            // Only "no app token yet" reaches here (a user token is at hand; a refusal returned above).
            let why = match f {
                Failure::Unreachable(why) => why,
                _ => "no app token".into(),
            };
            say(&format!(
                "roomwatch: cannot check the channel names now ({why}); all of them are watched"
            ));
            return by_login(logins);
        }
    };
    let users = match asked {
        Ok(u) => u,
        Err(e) => {
            say(&format!(
                "roomwatch: cannot check the channel names now ({e}); all of them are watched"
            ));
            return by_login(logins);
        }
    };
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for login in logins {
        match users.iter().find(|u| u.login.eq_ignore_ascii_case(&login)) {
            Some(u) => known.push(Watched {
                login,
                id: Some(u.id.clone()),
            }),
            None => unknown.push(login),
        }
    }
    if !unknown.is_empty() {
        say(&format!(
            "roomwatch: Twitch knows no channel named {}; not watched",
            unknown.join(", ")
        ));
    }
    Some(known)
}
