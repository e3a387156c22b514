//! `POST /eventsub` through the binary: reference bodies re-signed with the current time and roomwatch's own
//! secret are taken; tampered, wrongly signed, truncated, stale or unsigned ones get a bare 403.

use crate::support::{fixture, now_ts, post, sign, Served};
use std::os::unix::fs::PermissionsExt;

pub fn secret(home: &std::path::Path) -> String {
    let path = home.join("data/roomwatch/eventsub-secret");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    std::fs::read_to_string(path).unwrap().trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_fresh_messages_are_taken_and_everything_else_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let log = home.path().join("roomwatch.log");
    let s = Served::start(
        home.path(),
        &[
            "demo",
            "--headless",
            "--no-journal",
            "--log-file",
            log.to_str().unwrap(),
        ],
    );
    let secret = secret(home.path());
    assert!((10..=100).contains(&secret.len()), "Twitch's range");
    let url = s.url("/eventsub");
    let body = fixture("webhook-notification_channel.follow_1_twitch-api-hmac.body.json");
    let id = "ae2ff348-e102-16be-a3eb-6830c1bf38d2";
    let ts = now_ts(0);
    let good = sign(&secret, id, &ts, &body);

    // The reference message as Twitch signed it: its secret is not ours, and it is years old.
    let headers: serde_json::Value = serde_json::from_str(&fixture(
        "webhook-notification_channel.follow_1_twitch-api-hmac.headers.json",
    ))
    .unwrap();
    let h = &headers["headers"];
    let (status, _, text) = post(
        &url,
        "notification",
        id,
        h["Twitch-Eventsub-Message-Timestamp"].as_str().unwrap(),
        h["Twitch-Eventsub-Message-Signature"].as_str(),
        &body,
    )
    .await;
    assert_eq!((status, text.as_str()), (403, ""));

    // Signed correctly: only the freshness check refuses these.
    let stale = now_ts(11);
    let ahead = now_ts(-11);
    let refused = [
        (
            "tampered body",
            id,
            ts.clone(),
            Some(good.clone()),
            body.replacen("testFromUser", "evil", 1),
        ),
        (
            "wrong secret",
            id,
            ts.clone(),
            Some(sign("not-the-secret", id, &ts, &body)),
            body.clone(),
        ),
        (
            "truncated",
            id,
            ts.clone(),
            Some(good[..good.len() - 8].to_string()),
            body.clone(),
        ),
        ("no signature", id, ts.clone(), None, body.clone()),
        (
            "another id",
            "other-id",
            ts.clone(),
            Some(good.clone()),
            body.clone(),
        ),
        (
            "stale",
            id,
            stale.clone(),
            Some(sign(&secret, id, &stale, &body)),
            body.clone(),
        ),
        (
            "from the future",
            id,
            ahead.clone(),
            Some(sign(&secret, id, &ahead, &body)),
            body.clone(),
        ),
    ];
    for (what, id, ts, sig, body) in refused {
        let (status, _, text) = post(&url, "notification", id, &ts, sig.as_deref(), &body).await;
        assert_eq!((status, text.as_str()), (403, ""), "{what}");
    }
    // Re-signed with the current time and our secret: taken; the same id again is acknowledged.
    for _ in 0..2 {
        let (status, _, _) = post(&url, "notification", id, &ts, Some(&good), &body).await;
        assert_eq!(status, 204);
    }
    // A challenge is answered with itself, as text/plain, exactly.
    let challenge_body = fixture("webhook-challenge_channel.subscribe_1_twitch-api-hmac.body.json");
    let challenge = serde_json::from_str::<serde_json::Value>(&challenge_body).unwrap()
        ["challenge"]
        .as_str()
        .unwrap()
        .to_string();
    let cid = "8d8fa82b-9792-79da-4e11-a6fa58a7a582";
    let sig = sign(&secret, cid, &ts, &challenge_body);
    for _ in 0..2 {
        let (status, ctype, text) = post(
            &url,
            "webhook_callback_verification",
            cid,
            &ts,
            Some(&sig),
            &challenge_body,
        )
        .await;
        assert_eq!(
            (status, ctype.as_str(), text.as_str()),
            (200, "text/plain", challenge.as_str())
        );
    }
    let revocation = fixture("webhook-revocation_channel.follow_1_twitch-api.json");
    let rid = "revocation-1";
    let sig = sign(&secret, rid, &ts, &revocation);
    let (status, _, _) = post(&url, "revocation", rid, &ts, Some(&sig), &revocation).await;
    assert_eq!(status, 204);
    // The webhook takes no API key, and the API key opens no webhook.
    let (status, _, _) = post(
        &format!("{url}?key={}", s.key),
        "notification",
        "x",
        &ts,
        Some(&format!("sha256={}", "0".repeat(64))),
        &body,
    )
    .await;
    assert_eq!(status, 403);
    let (code, stderr) = s.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains(&secret), "the secret is never said");
    // What reached the runner (a demo has no channel watch: it logs them): the notification once, the
    // revocation once.
    let log = std::fs::read_to_string(&log).unwrap();
    let passed = |what: &str| {
        log.lines()
            .filter(|l| l.contains("no channel watch running") && l.contains(what))
            .count()
    };
    assert_eq!((passed("Notification"), passed("Revoked")), (1, 1), "{log}");
    assert!(!log.contains(&secret), "nor logged");
}
