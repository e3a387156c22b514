//! Faults found in review, each a test that failed before its fix: what arrives before a revocation is kept,
//! a socket that dies right after subscribing backs off, both sockets lost during a reconnect reconnect at once,
//! a refresh that meets a 503 is retried (not exit 3), the scope hint keeps the granted scopes, and a stalled
//! consumer neither loses events nor reconnects.

use crate::binary::{chat, cheer, log_in, roomwatch, Session, ALL_SUBS, WAIT};
use crate::mock::{MockOptions, TwitchMock};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[test]
fn authorization_revoked_ends_with_exit_3_after_what_came_before() {
    let mock = TwitchMock::start(MockOptions::default());
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    let mut s = Session::start(home.path(), &mock, &["--no-journal"]);
    s.check(mock.wait_subscribed(ALL_SUBS, WAIT), "subscribed");
    let id = mock.notify("channel.cheer", "1", cheer(Some("fan"), 1));
    mock.revoke("channel.cheer", "authorization_revoked");
    let (code, lines, stderr) = s.finish();
    assert_eq!(code, Some(3), "{stderr}");
    let ids: Vec<&str> = lines.iter().filter_map(|l| l["id"].as_str()).collect();
    assert_eq!(ids, [id.as_str()], "{stderr}");
    assert!(
        stderr.contains("revoked the subscription channel.cheer"),
        "{stderr}"
    );
    assert!(stderr.contains("roomwatch twitch login"), "{stderr}");
}

#[test]
fn a_socket_that_dies_right_after_subscribing_backs_off() {
    let mock = TwitchMock::start(MockOptions::default());
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    let mut s = Session::start(home.path(), &mock, &["--no-journal"]);
    let mut gaps = Vec::new();
    for n in 1..=4u64 {
        s.check(mock.wait_subscribed(ALL_SUBS, WAIT), "subscribed");
        let t = Instant::now();
        mock.close(4000);
        s.check(mock.wait_connections(n + 1, WAIT), "reconnect");
        gaps.push(t.elapsed());
    }
    let _ = s.child.kill();
    // 1, 2, 4, 8 s less up to 20 % jitter: the fourth is at least 6.4 s, not another second.
    assert!(gaps[3] >= Duration::from_secs(6), "gaps {gaps:?}");
}

#[test]
fn both_sockets_lost_during_a_reconnect_reconnect_at_once() {
    // The old socket is closed (4004) right after `session_reconnect`; the reconnect URL then dies with the
    // session (4007) — or, when the new socket got there first, it carries the session on. Either way the room
    // must be receiving again within seconds, not after the keepalive watchdog (35 s here).
    let mock = TwitchMock::start(MockOptions {
        reconnect_grace: Duration::ZERO,
        ..MockOptions::default()
    });
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    let mut s = Session::start(home.path(), &mock, &["--no-journal"]);
    s.check(mock.wait_subscribed(ALL_SUBS, WAIT), "subscribed");
    mock.reconnect();
    // Whichever way the race goes, a notification sent now and then must reach the output within 10 s.
    let t = Instant::now();
    let mut sent = Vec::new();
    let received = loop {
        if mock.session_id().is_some() {
            sent.push(mock.notify("channel.cheer", "1", cheer(Some("fan"), 3)));
        }
        if let Some(line) = s.next_line(Duration::from_millis(500)) {
            break Some(line);
        }
        if t.elapsed() > Duration::from_secs(10) {
            break None;
        }
    };
    let took = t.elapsed();
    let Some(line) = received else {
        s.fail(&format!(
            "nothing received for {took:?} after the reconnect"
        ));
    };
    assert!(sent.iter().any(|id| line["id"] == id.as_str()), "{line}");
    let _ = s.child.kill();
}

#[test]
fn a_refresh_that_meets_a_503_is_retried_not_refused() {
    let mock = TwitchMock::start(MockOptions::default());
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    mock.expire_access_token();
    // An OAuth host whose /validate says 401 and whose /token is down.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 8192];
            let n = stream.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]);
            let (status, body) = if req.starts_with("GET /oauth2/validate") {
                (
                    "401 Unauthorized",
                    r#"{"status":401,"message":"invalid access token"}"#,
                )
            } else {
                (
                    "503 Service Unavailable",
                    r#"{"status":503,"message":"try later"}"#,
                )
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let mut child = roomwatch(
        home.path(),
        &mock,
        &["twitch", "--headless", "--no-journal"],
    )
    .env(
        "ROOMWATCH_TWITCH_AUTH_URL",
        format!("http://127.0.0.1:{port}/oauth2"),
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_secs(4));
    let exited = child.try_wait().unwrap();
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(
        exited.is_none(),
        "exited {exited:?} on a 503: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_missing_scope_hint_keeps_the_granted_scopes() {
    let mock = TwitchMock::start(MockOptions {
        scopes: vec!["bits:read".into()],
        ..MockOptions::default()
    });
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    let mut s = Session::start(home.path(), &mock, &["--no-journal", "--max-events", "1"]);
    s.check(mock.wait_subscribed(5, WAIT), "subscribed");
    mock.notify("channel.cheer", "1", cheer(Some("fan"), 1));
    let (_, _, stderr) = s.finish();
    let line = (stderr.lines())
        .find(|l| l.contains("--scopes"))
        .unwrap_or_else(|| panic!("no hint: {stderr}"));
    let list = line.split("--scopes ").nth(1).unwrap();
    assert!(list.split(',').any(|s| s.trim() == "bits:read"), "{line}");
    assert!(
        list.split(',').any(|s| s.trim() == "user:read:chat"),
        "{line}"
    );
}

#[test]
fn a_stalled_consumer_neither_reconnects_nor_loses_events() {
    let mock = TwitchMock::start(MockOptions {
        keepalive_secs: Some(2),
        ..MockOptions::default()
    });
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    let mut child = roomwatch(
        home.path(),
        &mock,
        &["twitch", "--headless", "--no-journal"],
    )
    .arg("--summary-dir")
    .arg(home.path().join("sessions"))
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    assert!(mock.wait_subscribed(ALL_SUBS, WAIT));
    let long = "x".repeat(300);
    let want: Vec<String> = (0..1500)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(2));
            mock.notify("channel.chat.message", "1", chat(&long))
        })
        .collect();
    // Nobody reads stdout for longer than the watchdog: the pipe fills, the room blocks, the source waits.
    std::thread::sleep(Duration::from_secs(6));
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut got = std::collections::HashSet::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(15)) {
        let v: Value = serde_json::from_str(&line).unwrap();
        got.insert(v["id"].as_str().unwrap().to_string());
        if got.len() == want.len() {
            break;
        }
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let missing = want.iter().filter(|id| !got.contains(*id)).count();
    assert!(
        missing == 0 && mock.connections() == 1,
        "{missing} of {} lost, {} connections; stderr: {}",
        want.len(),
        mock.connections(),
        String::from_utf8_lossy(&out.stderr)
    );
}
