//! `POST /eventsub`: the Twitch EventSub webhook receiver (DESIGN.md "Local API"). Authenticated by its
//! signature, not the API key: HMAC-SHA256 over message id ‖ timestamp ‖ raw body with the webhook secret,
//! compared in constant time. A bad or missing signature, or a timestamp more than 10 minutes away, is a bare 403;
//! a challenge is answered with itself as `text/plain`; a message id seen before is acknowledged and not passed
//! on again; notifications and revocations go to the runner as [`super::Query::Webhook`].

use super::{Query, Shared};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::time::Duration;

/// Largest body taken (Twitch's notifications are a few KiB).
pub const MAX_BODY: usize = 256 * 1024;
/// The whole body must arrive within this.
const BODY_WITHIN: Duration = Duration::from_secs(5);
/// Message ids remembered for de-duplication (Twitch retries for a while; a day of a busy watch fits).
pub const REMEMBERED: usize = 10_000;
/// Longest message id taken: Twitch's are UUIDs.
const MAX_ID: usize = 128;
/// DESIGN.md: a timestamp more than 10 minutes old is refused (a replay); as far ahead is a wrong clock.
const FRESH: chrono::Duration = chrono::Duration::minutes(10);
/// How long the runner may take to take a message before Twitch is told to retry (it wants an answer within a
/// few seconds).
const HAND_OVER_WITHIN: Duration = Duration::from_secs(2);

/// What a verified webhook message tells the session.
#[derive(Debug, Clone, PartialEq)]
pub enum Webhook {
    /// A notification: its subscription type (`stream.online`, …) and its `event` object.
    Notification {
        message_id: String,
        subscription_type: String,
        event: Value,
    },
    /// Twitch ended a subscription: its type, and why (`authorization_revoked`, `user_removed`, …).
    Revoked {
        subscription_type: String,
        status: String,
    },
}

/// `sha256=<hex>` (either case) is the HMAC of `id ‖ timestamp ‖ body` under `secret`.
pub fn signature_valid(
    secret: &[u8],
    id: &str,
    timestamp: &str,
    body: &[u8],
    signature: &str,
) -> bool {
    let Some(hex) = signature.strip_prefix("sha256=") else {
        return false;
    };
    let Some(given) = decode_hex(hex) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(id.as_bytes());
    mac.update(timestamp.as_bytes());
    mac.update(body);
    // Constant-time, and a truncated signature (a shorter slice) is refused.
    mac.verify_slice(&given).is_ok()
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || hex.len() > 128 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Within 10 minutes of `now`, either way.
pub fn fresh(timestamp: &str, now: DateTime<Utc>) -> bool {
    DateTime::parse_from_rfc3339(timestamp)
        .is_ok_and(|t| (now - t.with_timezone(&Utc)).abs() <= FRESH)
}

fn forbidden() -> Response {
    StatusCode::FORBIDDEN.into_response()
}

pub(super) async fn receive(State(s): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    // The body within a few seconds: a sender that stalls mid-body must not hold a connection (and a slot).
    let body = match tokio::time::timeout(BODY_WITHIN, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        Err(_) => return StatusCode::REQUEST_TIMEOUT.into_response(),
    };
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(id), Some(timestamp), Some(signature), Some(kind)) = (
        get("twitch-eventsub-message-id"),
        get("twitch-eventsub-message-timestamp"),
        get("twitch-eventsub-message-signature"),
        get("twitch-eventsub-message-type"),
    ) else {
        return forbidden();
    };
    if id.len() > MAX_ID
        || !signature_valid(s.webhook_secret.as_bytes(), id, timestamp, &body, signature)
        || !fresh(timestamp, Utc::now())
    {
        return forbidden();
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let subscription_type = body["subscription"]["type"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let msg = match kind {
        "webhook_callback_verification" => {
            // Answered every time: a retried challenge is Twitch asking again, not a replay to drop.
            return match body["challenge"].as_str() {
                Some(challenge) => (
                    [(header::CONTENT_TYPE, "text/plain")],
                    challenge.to_string(),
                )
                    .into_response(),
                None => StatusCode::BAD_REQUEST.into_response(),
            };
        }
        "notification" => Webhook::Notification {
            message_id: id.to_string(),
            subscription_type,
            event: body["event"].clone(),
        },
        "revocation" => Webhook::Revoked {
            subscription_type,
            status: body["subscription"]["status"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        },
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    // A place in the runner's queue first: a message that cannot be handed over is not remembered, so
    // Twitch's retry is taken.
    let Ok(Ok(permit)) = tokio::time::timeout(HAND_OVER_WITHIN, s.queries.reserve()).await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let first = (s.webhook_seen.lock())
        .map(|mut seen| seen.first_time(id))
        .unwrap_or(true);
    if first {
        permit.send(Query::Webhook(msg));
    }
    StatusCode::NO_CONTENT.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn payload(name: &str) -> String {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/twitch/");
        std::fs::read_to_string(format!("{dir}{name}")).unwrap()
    }

    /// The reference vectors (twitch_api, twitch4j): each signature verifies over the byte-exact body, and
    /// any change to the secret, the body, the id, the timestamp or the signature is refused.
    #[test]
    fn the_reference_hmac_vectors_verify_and_tampering_does_not() {
        for name in [
            "webhook-challenge_channel.subscribe_1_twitch-api-hmac",
            "webhook-notification_channel.follow_1_twitch-api-hmac",
        ] {
            let v: Value = serde_json::from_str(&payload(&format!("{name}.headers.json"))).unwrap();
            let body = payload(&format!("{name}.body.json"));
            let secret = v["secret"].as_str().unwrap().as_bytes();
            let h = &v["headers"];
            let id = h["Twitch-Eventsub-Message-Id"].as_str().unwrap();
            let ts = h["Twitch-Eventsub-Message-Timestamp"].as_str().unwrap();
            let sig = h["Twitch-Eventsub-Message-Signature"].as_str().unwrap();
            assert!(
                signature_valid(secret, id, ts, body.as_bytes(), sig),
                "{name}"
            );
            assert!(!signature_valid(
                b"wrong-secret",
                id,
                ts,
                body.as_bytes(),
                sig
            ));
            let tampered = body.replacen('1', "2", 1);
            assert!(!signature_valid(secret, id, ts, tampered.as_bytes(), sig));
            assert!(!signature_valid(
                secret,
                "other-id",
                ts,
                body.as_bytes(),
                sig
            ));
            assert!(!signature_valid(
                secret,
                id,
                "2030-01-01T00:00:00Z",
                body.as_bytes(),
                sig
            ));
            assert!(!signature_valid(
                secret,
                id,
                ts,
                body.as_bytes(),
                &sig[..sig.len() - 2]
            ));
            assert!(
                !signature_valid(secret, id, ts, body.as_bytes(), &sig[7..]),
                "no prefix"
            );
        }
        let v: Value = serde_json::from_str(&payload("webhook-hmac-vector_twitch4j.json")).unwrap();
        let s = |k: &str| v[k].as_str().unwrap();
        let (id, ts, body) = (
            s("message_id"),
            s("message_timestamp"),
            s("body").as_bytes(),
        );
        let sig = s("expected_signature");
        assert!(signature_valid(s("secret").as_bytes(), id, ts, body, sig));
        let upper = format!("sha256={}", sig[7..].to_uppercase());
        assert!(signature_valid(
            s("secret").as_bytes(),
            id,
            ts,
            body,
            &upper
        ));
        let reject = &v["must_reject"];
        let wrong = reject["wrong_secret"].as_str().unwrap().as_bytes();
        assert!(!signature_valid(wrong, id, ts, body, sig));
        let truncated = reject["truncated_signature"].as_str().unwrap();
        assert!(!signature_valid(
            s("secret").as_bytes(),
            id,
            ts,
            body,
            truncated
        ));
    }

    #[test]
    fn a_timestamp_is_fresh_within_ten_minutes_either_way() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(fresh("2026-11-28T11:50:30.5Z", now));
        assert!(fresh("2026-11-28T12:09:00+00:00", now));
        assert!(!fresh("2026-11-28T11:49:59Z", now));
        assert!(!fresh("2026-11-28T12:10:01Z", now));
        assert!(
            !fresh("2022-02-06T04:03:24.2726598Z", now),
            "the vectors are stale"
        );
        assert!(!fresh("yesterday", now));
    }
}
