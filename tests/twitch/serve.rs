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

/// A signed `stream.online` webhook for a watched channel polls at once (not a minute later), the poll reports
/// the change once, and the same message again is acknowledged without another poll.
#[test]
fn a_stream_online_webhook_polls_at_once_and_a_replay_polls_nothing() {
    let mock = mock_with(&["alpha", "beta"]);
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    let s = Served::spawn(
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
    let polls = || {
        (mock.requests().iter())
            .filter(|r| r.method == "GET" && r.target.contains("/streams"))
            .count()
    };
    let started = std::time::Instant::now();
    while polls() == 0 {
        assert!(started.elapsed() < WAIT, "no first poll");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    mock.set_stream_for("beta", Some(StreamInfo::live("Now", "Art", 12)));
    let secret = std::fs::read_to_string(home.path().join("data/roomwatch/eventsub-secret"))
        .unwrap()
        .trim()
        .to_string();
    let body = serde_json::json!({
        "subscription": {"id": "s1", "type": "stream.online", "version": "1", "status": "enabled",
                         "cost": 0, "condition": {"broadcaster_user_id": "2"},
                         "transport": {"method": "webhook", "callback": "https://example.com/eventsub"},
                         "created_at": "2026-11-28T12:00:00Z"},
        "event": {"id": "9001", "broadcaster_user_id": "2", "broadcaster_user_login": "beta",
                  "broadcaster_user_name": "Beta", "type": "live", "started_at": "2026-11-28T12:00:00Z"}
    })
    .to_string();
    let ts = (chrono::Utc::now()).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let sig = sign(&secret, "hook-1", &ts, &body);
    let rt = runtime();
    let mut stdout = s;
    let lines = stdout.lines();
    let url = stdout.url("/eventsub");
    let status = rt
        .block_on(post(&url, "notification", "hook-1", &ts, Some(&sig), &body))
        .0;
    assert_eq!(status, 204);
    let line = lines
        .recv_timeout(std::time::Duration::from_secs(15))
        .expect("went_live within the hint's gap, not the 300 s interval");
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        (v["room"].as_str(), v["kind"].as_str()),
        (Some("beta"), Some("went_live"))
    );
    let after = polls();
    assert_eq!(after, 2, "one early poll");
    let status = rt
        .block_on(post(&url, "notification", "hook-1", &ts, Some(&sig), &body))
        .0;
    assert_eq!(status, 204, "a replay is acknowledged");
    std::thread::sleep(std::time::Duration::from_secs(6));
    assert_eq!(polls(), after, "and polls nothing");
    assert!(lines.try_recv().is_err(), "and reports nothing");
    let (code, stderr) = stdout.stop();
    assert_eq!(code, Some(0), "{stderr}");
}
