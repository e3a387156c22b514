//! `--serve` with Twitch: a room's figures and lines over the API with no token in any reply, and the channel
//! watch's table and change lines.

use crate::binary::{cheer, log_in, roomwatch, ALL_SUBS, WAIT};
use crate::channels::mock_with;
use crate::mock::{MockOptions, StreamInfo, TwitchMock};
use crate::served::{post, sign, Served, SseReader};
use serde_json::Value;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_twitch_room_over_the_api_serves_its_figures_and_lines_and_never_a_token() {
    let mock = TwitchMock::start(MockOptions::default());
    let home = tempfile::tempdir().unwrap();
    let (access, refresh) = (mock.access_token(), mock.refresh_token());
    log_in(home.path(), &access, &refresh);
    let sessions = home.path().join("sessions");
    let mut s = Served::spawn(
        home.path(),
        roomwatch(
            home.path(),
            &mock,
            &[
                "twitch",
                "--headless",
                "--summary-dir",
                sessions.to_str().unwrap(),
            ],
        ),
    );
    let stdout = s.lines();
    assert!(mock.wait_subscribed(ALL_SUBS, WAIT), "subscribed");
    mock.notify("channel.cheer", "1", cheer(Some("bigfan"), 500));
    let line = stdout.recv_timeout(WAIT).expect("the cheer's line");
    let rt = runtime();
    let mut bodies = Vec::new();
    rt.block_on(async {
        let (status, rooms) = s.get("/api/v1/rooms").await;
        assert_eq!(status, 200, "{rooms}");
        let v: Value = serde_json::from_str(&rooms).unwrap();
        let room = &v["rooms"][0];
        assert_eq!(room["room"], "streamer");
        assert_eq!(room["platform"], "twitch");
        assert_eq!(room["status"], "live");
        assert_eq!(room["totals"][0]["unit"], "bits");
        assert_eq!(room["totals"][0]["amount"], 500);
        let (status, summary) = s.get("/api/v1/rooms/twitch:streamer/summary").await;
        assert_eq!(status, 200);
        let v: Value = serde_json::from_str(&summary).unwrap();
        assert_eq!(v["bits"]["bits"], 500);
        assert_eq!(v["bits"]["top"][0]["user"], "bigfan");
        let mut sse =
            SseReader::open(&s.url(&format!("/api/v1/events?key={}", s.key)), Some(0)).await;
        let ev = sse.next().await;
        assert_eq!((ev.id, ev.data.as_str()), (Some(1), line.as_str()));
        bodies.extend([rooms, summary, ev.data]);
    });
    let (code, stderr) = s.stop();
    assert_eq!(code, Some(0), "{stderr}");
    for body in &bodies {
        assert!(
            !body.contains(&access)
                && !body.contains(&refresh)
                && !body.contains(&mock.client_id()),
            "no token or client id in {body}"
        );
    }
}

#[test]
fn the_channel_watch_serves_its_table_live_first_and_its_change_lines() {
    let mock = mock_with(&["alpha", "beta"]);
    mock.set_stream_for("beta", Some(StreamInfo::live("<b>Hi</b>", "Music", 5)));
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    let mut s = Served::spawn(
        home.path(),
        roomwatch(
            home.path(),
            &mock,
            &["channels", "--headless", "twitch:alpha", "beta"],
        ),
    );
    let stdout = s.lines();
    let line = stdout.recv_timeout(WAIT).expect("beta went live");
    let rt = runtime();
    rt.block_on(async {
        let (status, body) = s.get("/api/v1/channels").await;
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["health"], "good");
        assert!(v["last_good_poll"].is_string(), "{v}");
        let names: Vec<&str> = (v["channels"].as_array().unwrap().iter())
            .map(|c| c["channel"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["beta", "alpha"], "live first");
        assert_eq!(v["channels"][0]["live"], true);
        assert_eq!(v["channels"][0]["title"], "<b>Hi</b>");
        assert_eq!(v["channels"][0]["viewers"], 5);
        assert_eq!(v["channels"][1]["live"], false);
        let (_, rooms) = s.get("/api/v1/rooms").await;
        assert_eq!(rooms, r#"{"rooms":[]}"#);
        let mut sse = SseReader::open(
            &s.url(&format!("/api/v1/events?key={}&kind=went_live", s.key)),
            Some(0),
        )
        .await;
        let ev = sse.next().await;
        assert_eq!((ev.id, ev.data.as_str()), (Some(1), line.as_str()));
    });
    let (code, stderr) = s.stop();
    assert_eq!(code, Some(0), "{stderr}");
}

/// A signed `stream.online` webhook for a watched channel starts early polls: Helix may list the stream only a
/// little after the webhook, so the poll that finds it is one of the series, long before the 300 s interval.
#[test]
fn a_stream_online_webhook_polls_early_until_helix_lists_the_stream() {
    let mock = mock_with(&["alpha", "beta"]);
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    let mut s = Served::spawn(
        home.path(),
        roomwatch(
            home.path(),
            &mock,
            &[
                "channels",
                "--headless",
                "--interval",
                "300",
                "twitch:alpha",
                "beta",
            ],
        ),
    );
    let lines = s.lines();
    let polls = || {
        (mock.requests().iter())
            .filter(|r| r.method == "GET" && r.target.contains("/streams"))
            .count()
    };
    let wait_polls = |n: usize| {
        let started = std::time::Instant::now();
        while polls() < n {
            assert!(started.elapsed() < WAIT, "only {} polls", polls());
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    wait_polls(1);
    let secret = std::fs::read_to_string(home.path().join("data/roomwatch/eventsub-secret"))
        .unwrap()
        .trim()
        .to_string();
    let body = serde_json::json!({
        "subscription": {"id": "s1", "type": "stream.online", "version": "1", "status": "enabled",
                         "cost": 0, "condition": {"broadcaster_user_id": "5001"},
                         "transport": {"method": "webhook", "callback": "https://example.com/eventsub"},
                         "created_at": "2026-11-28T12:00:00Z"},
        "event": {"id": "9001", "broadcaster_user_id": "5001", "broadcaster_user_login": "beta",
                  "broadcaster_user_name": "Beta", "type": "live", "started_at": "2026-11-28T12:00:00Z"}
    })
    .to_string();
    let ts = (chrono::Utc::now()).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let sig = sign(&secret, "hook-1", &ts, &body);
    let url = s.url("/eventsub");
    let rt = runtime();
    let status = rt
        .block_on(post(&url, "notification", "hook-1", &ts, Some(&sig), &body))
        .0;
    assert_eq!(status, 204);
    // The first early poll does not see the stream yet (Helix lags); a later one of the series does.
    wait_polls(2);
    mock.set_stream_for("beta", Some(StreamInfo::live("Now", "Art", 12)));
    let line = lines
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("went_live within the early polls, not the 300 s interval");
    assert_went_live(&line, "beta");
    assert!(
        polls() <= 4,
        "a few early polls, not a stream of them: {}",
        polls()
    );
    let (code, stderr) = s.stop();
    assert_eq!(code, Some(0), "{stderr}");
}

/// `channels --webhook-callback` on a port of its own; the callback URL is `http://127.0.0.1:PORT{path}`.
fn watch_with_callback(mock: &TwitchMock, home: &std::path::Path, path: &str) -> (Served, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let callback = format!("http://127.0.0.1:{port}{path}");
    let mut cmd = roomwatch(
        home,
        mock,
        &[
            "channels",
            "--headless",
            "--interval",
            "300",
            "--webhook-callback",
            &callback,
            "twitch:alpha",
            "beta",
            "nobody_here",
        ],
    );
    cmd.env("TWITCH_CLIENT_SECRET", "mock-client-secret");
    (
        Served::spawn_on(home, cmd, &format!("127.0.0.1:{port}")),
        callback,
    )
}

/// Waits until the mock holds `n` webhook subscriptions, all enabled, all to `callback`.
fn wait_enabled(mock: &TwitchMock, n: usize, callback: &str) {
    let started = std::time::Instant::now();
    loop {
        let subs = mock.webhook_subs();
        let ok = |w: &crate::mock::WebhookSub| w.status == "enabled" && w.callback == callback;
        if subs.len() == n && subs.iter().all(ok) {
            return;
        }
        assert!(started.elapsed() < WAIT, "{subs:?}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// `channels --webhook-callback`: with an app token (client credentials), each known channel gets its
/// stream.online/offline webhook subscription; Twitch's challenge, signed with roomwatch's secret, is answered,
/// so they are enabled; an unknown channel is said once; a notification then polls at once. A restart at a new
/// URL (a tunnel's new address) replaces the old subscriptions (Twitch's 409 ignores the callback); a restart
/// at the same URL keeps them.
#[test]
fn webhook_subscriptions_are_created_verified_replaced_and_make_changes_immediate() {
    let mock = mock_with(&["alpha", "beta"]);
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    let (mut s, callback) = watch_with_callback(&mock, home.path(), "/eventsub");
    let lines = s.lines();
    wait_enabled(&mock, 4, &callback);
    let secret = std::fs::read_to_string(home.path().join("data/roomwatch/eventsub-secret"))
        .unwrap()
        .trim()
        .to_string();
    let mut types: Vec<(String, String)> = (mock.webhook_subs().into_iter())
        .map(|w| {
            assert_eq!(w.secret, secret, "roomwatch's own secret");
            (w.broadcaster_user_id, w.sub_type)
        })
        .collect();
    types.sort();
    types.dedup();
    assert_eq!(types.len(), 4, "online and offline for both channels");
    s.wait_said("4 subscriptions created (0 old ones replaced), 0 already there");

    // The first poll has seen beta offline; the webhook brings its going live in at once.
    let first_poll = std::time::Instant::now();
    while !mock
        .requests()
        .iter()
        .any(|r| r.target.contains("/streams"))
    {
        assert!(first_poll.elapsed() < WAIT);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    mock.set_stream_for("beta", Some(StreamInfo::live("Now", "Art", 12)));
    assert_eq!(mock.notify_webhook("stream.online", "beta"), Some(204));
    let line = lines
        .recv_timeout(std::time::Duration::from_secs(15))
        .expect("went_live at once, not at the 300 s poll");
    assert_went_live(&line, "beta");
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        v["data"].get("initial"),
        None,
        "found by the early poll: {line}"
    );
    let (code, stderr) = s.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("knows no channel named nobody_here"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("mock-client-secret") && !stderr.contains(&secret),
        "{stderr}"
    );

    // A new run on another port: the callback URL changed.
    let (mut s, moved) = watch_with_callback(&mock, home.path(), "/eventsub");
    assert_ne!(moved, callback);
    wait_enabled(&mock, 4, &moved);
    s.wait_said("4 subscriptions created (4 old ones replaced), 0 already there");
    let (code, stderr) = s.stop();
    assert_eq!(code, Some(0), "{stderr}");
    let same_url = moved.clone();
    let (mut s, _) = {
        // The same URL again: its port is free once the last run is gone.
        let port = same_url
            .split(':')
            .nth(2)
            .unwrap()
            .split('/')
            .next()
            .unwrap();
        let mut cmd = roomwatch(
            home.path(),
            &mock,
            &[
                "channels",
                "--headless",
                "--interval",
                "300",
                "--webhook-callback",
                &same_url,
                "twitch:alpha",
                "beta",
            ],
        );
        cmd.env("TWITCH_CLIENT_SECRET", "mock-client-secret");
        (
            Served::spawn_on(home.path(), cmd, &format!("127.0.0.1:{port}")),
            (),
        )
    };
    s.wait_said("0 subscriptions created (0 old ones replaced), 4 already there");
    let (code, stderr) = s.stop();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_webhook_callback_without_its_receiver_or_app_secret_is_a_usage_error() {
    let mock = mock_with(&["alpha"]);
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    let run = |extra: &[&str], secret: bool| {
        let mut args = vec![
            "channels",
            "--headless",
            "--webhook-callback",
            "https://example.com/eventsub",
        ];
        args.extend_from_slice(extra);
        args.push("alpha");
        let mut cmd = roomwatch(home.path(), &mock, &args);
        cmd.env_remove("TWITCH_CLIENT_SECRET");
        if secret {
            cmd.env("TWITCH_CLIENT_SECRET", "mock-client-secret");
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, err) = run(&[], true);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("needs --serve"), "{err}");
    let (code, err) = run(&["--serve", "127.0.0.1:0"], false);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("TWITCH_CLIENT_SECRET"), "{err}");
    assert!(
        mock.requests()
            .iter()
            .all(|r| !r.target.contains("/streams")),
        "nothing polled"
    );
}

fn assert_went_live(line: &str, channel: &str) {
    let v: Value = serde_json::from_str(line).unwrap();
    assert_eq!(
        (v["room"].as_str(), v["kind"].as_str()),
        (Some(channel), Some("went_live")),
        "{line}"
    );
}
