//! EventSub webhooks for the channel watch: the subscriptions it creates (`--webhook-callback`), and what a
//! webhook message does (an early poll).

use super::RunError;
use crate::api::eventsub::Webhook;
use crate::sources::twitch::auth::TwitchHttp;
use crate::sources::twitch::channels::Watched;
use crate::sources::twitch::token::{AppToken, NoAppToken};
use crate::stderr::say;
use serde_json::json;
use std::time::Duration;

/// A webhook message: a watched channel's `stream.online`/`stream.offline` polls at once, so the change is
/// reported by the one diff (never twice, and the poll stays the truth); a revocation is said on stderr.
pub(super) fn webhook(hook: &Webhook, watched: &[Watched], poll_now: &tokio::sync::Notify) {
    match hook {
        Webhook::Notification {
            subscription_type,
            event,
            ..
        } => {
            let login = event["broadcaster_user_login"].as_str().unwrap_or("");
            let id = event["broadcaster_user_id"].as_str();
            let about_stream = matches!(
                subscription_type.as_str(),
                "stream.online" | "stream.offline"
            );
            // By id where known: a renamed channel's webhooks carry its new login.
            let ours = |w: &Watched| match (&w.id, id) {
                (Some(mine), Some(theirs)) => mine == theirs,
                _ => w.login.eq_ignore_ascii_case(login),
            };
            if about_stream && watched.iter().any(ours) {
                poll_now.notify_one();
            } else {
                crate::run::serve::unwatched_webhook(hook);
            }
        }
        Webhook::Revoked {
            subscription_type,
            status,
        } => say(&format!(
            "roomwatch: Twitch ended the webhook subscription {} ({}); polling goes on",
            crate::sanitize::clean(subscription_type),
            crate::sanitize::clean(status)
        )),
    }
}

/// A `--webhook-callback`: Twitch calls only HTTPS on port 443; plain HTTP is taken on loopback only (a local
/// proxy, a test).
pub(super) fn check_callback(text: &str) -> Result<String, RunError> {
    let bad = || {
        RunError::usage(format!(
            "--webhook-callback {} is not an https:// URL on port 443 (Twitch calls nothing else)",
            crate::sanitize::clean(text)
        ))
    };
    let url = url::Url::parse(text).map_err(|_| bad())?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" if url.port().is_none_or(|p| p == 443) => Ok(url.to_string()),
        "http" if loopback => Ok(url.to_string()),
        _ => Err(bad()),
    }
}

/// Helix allows 800 requests a minute to an app: creating subscriptions takes about half, the polls share the
/// rest.
const SUBSCRIBE_GAP: Duration = Duration::from_millis(150);

/// Creates the `stream.online`/`stream.offline` webhook subscriptions of the watched channels with an app token,
/// and says on stderr how it went. Polling does not depend on it: any failure is said, and the watch goes on.
pub(super) async fn subscribe_webhooks(
    http: TwitchHttp,
    app: std::sync::Arc<AppToken>,
    logins: Vec<String>,
    callback: String,
    secret: String,
) {
    use crate::sources::twitch::helix::Created;
    // Twitch out of reach at start: tried again later (the polls go on meanwhile); a refusal ends it.
    let mut wait = Duration::from_secs(30);
    let (app, users) = loop {
        let looked_up = match app.current(&http).await {
            Ok(t) => (http.users_by_login(&t, &logins).await)
                .map(|u| (t, u))
                .map_err(|e| e.to_string()),
            Err(NoAppToken::Refused(e)) => {
                say(&format!(
                    "roomwatch: webhooks: Twitch refused the app token ({e}); check TWITCH_CLIENT_SECRET. \
                     Polling goes on"
                ));
                return;
            }
            Err(NoAppToken::Later(e)) => Err(e),
        };
        match looked_up {
            Ok(got) => break got,
            Err(e) => {
                say(&format!(
                    "roomwatch: webhooks: Twitch did not answer ({e}); trying again in {} s",
                    wait.as_secs()
                ));
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(600));
            }
        }
    };
    // The watch already said which logins Twitch does not know; they are not in `logins`.
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    let (mut created, mut kept, mut replaced, mut failed) = (0u32, 0u32, 0u32, Vec::new());
    'all: for kind in WEBHOOK_TYPES {
        // Twitch keeps one subscription per type and channel whatever its callback (a 409 says nothing about
        // it): ours at this URL and enabled are kept, others for these channels (an old tunnel URL, a failed
        // verification) are deleted and made anew.
        let existing = match http.webhook_subscriptions(&app, kind).await {
            Ok(list) => list,
            Err(e) => {
                failed.push(format!("listing {kind}: {e}"));
                Vec::new()
            }
        };
        for user in &users {
            let mine: Vec<_> = (existing.iter())
                .filter(|w| w.broadcaster_user_id == user.id)
                .collect();
            if mine
                .iter()
                .any(|w| w.callback == callback && w.status == "enabled")
            {
                kept += 1;
                continue;
            }
            for old in mine {
                if let Err(e) = http.delete_subscription(&app, &old.id).await {
                    failed.push(format!("{} {kind} (deleting the old one): {e}", user.login));
                }
                replaced += 1;
                tokio::time::sleep(SUBSCRIBE_GAP).await;
            }
            let body = json!({
                "type": kind,
                "version": "1",
                "condition": {"broadcaster_user_id": user.id},
                "transport": {"method": "webhook", "callback": callback, "secret": secret},
            });
            // Helix's bucket refills within a minute: a 429 waits one and tries again (three times at most).
            let mut tries = 0;
            let result = loop {
                match http.create_subscription(&app, &body).await {
                    Err(e) if e.status() == Some(429) && tries < 3 => {
                        tries += 1;
                        tokio::time::sleep(Duration::from_secs(60)).await;
                    }
                    other => break other,
                }
            };
            match result {
                Ok(Created::Enabled) => created += 1,
                Ok(Created::AlreadyThere) => kept += 1,
                Err(e) => {
                    let refused = matches!(e.status(), Some(401 | 403));
                    failed.push(format!("{} {kind}: {e}", user.login));
                    if refused {
                        break 'all;
                    }
                }
            }
            tokio::time::sleep(SUBSCRIBE_GAP).await;
        }
    }
    let failures = match failed.len() {
        0 => String::new(),
        n => format!("; {n} failed, first: {}", failed[0]),
    };
    say(&format!(
        "roomwatch: webhooks to {callback}: {created} subscriptions created ({replaced} old ones replaced), \
         {kept} already there{failures}"
    ));
    if created == 0 {
        return;
    }
    // Twitch enables a new subscription only once its challenge reached roomwatch through the URL: say how
    // that went, so a wrong proxy path does not pass for working webhooks.
    tokio::time::sleep(VERIFY_WITHIN).await;
    let mut enabled = 0;
    let mut pending_or_failed = 0;
    for kind in WEBHOOK_TYPES {
        if let Ok(list) = http.webhook_subscriptions(&app, kind).await {
            for w in list
                .iter()
                .filter(|w| w.callback == callback && ids.contains(&w.broadcaster_user_id.as_str()))
            {
                if w.status == "enabled" {
                    enabled += 1;
                } else {
                    pending_or_failed += 1;
                }
            }
        }
    }
    if pending_or_failed > 0 {
        say(&format!(
            "roomwatch: webhooks: {pending_or_failed} subscriptions are not enabled (Twitch's check of {callback} \
             did not reach roomwatch: is the proxy passing it to /eventsub?); {enabled} are"
        ));
    }
}

/// The webhook subscriptions of a watched channel.
const WEBHOOK_TYPES: [&str; 2] = ["stream.online", "stream.offline"];
/// How long Twitch gets to verify new subscriptions before roomwatch looks.
const VERIFY_WITHIN: Duration = Duration::from_secs(15);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_callback_is_https_on_443_or_loopback_http() {
        assert_eq!(
            check_callback("https://stream.example.com/eventsub").unwrap(),
            "https://stream.example.com/eventsub"
        );
        assert!(check_callback("https://example.com:443/x").is_ok());
        assert!(check_callback("http://127.0.0.1:7797/eventsub").is_ok());
        assert!(check_callback("http://localhost:7797/eventsub").is_ok());
        for bad in [
            "http://example.com/eventsub",
            "https://example.com:8443/eventsub",
            "ftp://example.com/",
            "example.com/eventsub",
            "",
        ] {
            let err = check_callback(bad).unwrap_err();
            assert_eq!(err.code, 2, "{bad}");
            assert!(err.message.contains("port 443"), "{}", err.message);
        }
    }
}
