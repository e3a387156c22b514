//! The server through the binary: a simulated room served on an ephemeral port.

use crate::support::{client, roomwatch, wait_exit, Served, SseReader, WAIT};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;

fn demo(home: &std::path::Path, rate: &str) -> Served {
    let sessions = home.join("sessions");
    let sessions = sessions.to_str().unwrap().to_string();
    Served::start(
        home,
        &[
            "demo",
            "--headless",
            "--no-journal",
            "--rate",
            rate,
            "--summary-dir",
            &sessions,
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_needs_the_key_in_the_header_or_the_query() {
    let home = tempfile::tempdir().unwrap();
    let s = demo(home.path(), "20");
    let key_file = home.path().join("data/roomwatch/api-key");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(s.key.len(), 64);
    let http = client();
    for path in [
        "/api/v1/rooms",
        "/api/v1/events",
        "/api/v1/channels",
        "/api/v1/rooms/demo_room/summary",
    ] {
        for (bearer, query) in [
            (None, ""),
            (Some("wrong"), ""),
            (None, "?key=wrong"),
            (Some(&s.key[..63]), ""),
            (None, "?key="),
        ] {
            let mut req = http.get(s.url(&format!("{path}{query}")));
            if let Some(b) = bearer {
                req = req.bearer_auth(b);
            }
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 401, "{path}{query} {bearer:?}");
            assert_eq!(resp.text().await.unwrap(), "", "no detail");
        }
    }
    let by_header = (http.get(s.url("/api/v1/rooms")).bearer_auth(&s.key))
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), 200);
    assert_eq!(by_header.headers()["content-type"], "application/json");
    let rooms: Value = by_header.json().await.unwrap();
    let by_query: Value = (http.get(s.url(&format!("/api/v1/rooms?key={}", s.key))))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_query["rooms"][0]["room"], "demo_room");
    let room = &rooms["rooms"][0];
    assert_eq!(room["room"], "demo_room");
    assert_eq!(room["platform"], "simulator");
    assert!(
        ["live", "connecting"].contains(&room["status"].as_str().unwrap()),
        "{room}"
    );
    assert_eq!(room["ended"], Value::Null);
    assert_eq!(room["totals"][0]["unit"], "tokens");
    assert!(room["events"].as_u64().is_some(), "{room}");

    let summary = |name: &str| {
        (http.get(s.url(&format!("/api/v1/rooms/{name}/summary"))))
            .bearer_auth(&s.key)
            .send()
    };
    let resp = summary("demo_room").await.unwrap();
    assert_eq!(resp.status(), 200);
    let sum: Value = resp.json().await.unwrap();
    assert_eq!(sum["room"], "demo_room");
    assert_eq!(sum["exit_reason"], "running");
    assert!(sum["tips"]["count"].as_u64().is_some(), "{sum}");
    assert_eq!(summary("simulator:demo_room").await.unwrap().status(), 200);
    assert_eq!(summary("nobody").await.unwrap().status(), 404);
    assert_eq!(summary("twitch:demo_room").await.unwrap().status(), 404);
    let channels: Value = (http.get(s.url("/api/v1/channels")).bearer_auth(&s.key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(channels, serde_json::json!({"channels": []}));
    let (code, _) = s.stop();
    assert_eq!(code, Some(0));
}

/// The SSE lines are the headless lines, numbered as stdout orders them; a client that reconnects with
/// `Last-Event-ID` gets the next line, with no gap and no duplicate; filters keep the numbering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_the_headless_lines_and_a_resume_has_no_gap_and_no_duplicate() {
    let home = tempfile::tempdir().unwrap();
    let mut s = demo(home.path(), "200");
    let stdout = s.lines();
    let events = s.url(&format!("/api/v1/events?key={}", s.key));
    let mut got = Vec::new();
    let mut first = SseReader::open(&events, Some(0)).await;
    let mut tips = SseReader::open(&format!("{events}&kind=tip&room=demo_room"), Some(0)).await;
    while got.len() < 60 {
        got.push(first.next().await);
    }
    drop(first);
    let mut again = SseReader::open(&events, Some(60)).await;
    while got.len() < 200 {
        got.push(again.next().await);
    }
    let mut tip_events = Vec::new();
    while tip_events.len() < 3 {
        tip_events.push(tips.next().await);
    }
    let (code, _) = s.stop();
    assert_eq!(code, Some(0));
    let lines: Vec<String> = stdout.iter().collect();
    assert!(lines.len() >= 200, "{} lines", lines.len());
    for (i, ev) in got.iter().enumerate() {
        assert_eq!(ev.id, Some(i as u64 + 1), "consecutive ids from 1: {ev:?}");
        assert_eq!(ev.event, None);
        assert_eq!(ev.data, lines[i], "id {} is stdout line {}", i + 1, i + 1);
    }
    let mut last = 0;
    for ev in &tip_events {
        let id = ev.id.unwrap();
        assert!(id > last);
        last = id;
        assert_eq!(ev.data, lines[id as usize - 1]);
        let v: Value = serde_json::from_str(&ev.data).unwrap();
        assert_eq!(v["kind"], "tip");
    }
}

/// A client that stops reading never holds ingest back: the session goes on at full speed; when the client
/// reads again it is told how many lines it missed and goes on from there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_is_skipped_forward_and_never_slows_ingest() {
    let home = tempfile::tempdir().unwrap();
    let mut s = demo(home.path(), "0");
    let stdout = s.lines();
    let mut stalled = SseReader::open(&s.url(&format!("/api/v1/events?key={}", s.key)), None).await;
    // Far more than the socket buffers and the fan-out hold: only possible if nobody waits for the client.
    for n in 0..300_000 {
        if stdout.recv_timeout(WAIT).is_err() {
            panic!("ingest stopped after {n} lines with a stalled SSE client");
        }
    }
    let mut prev: Option<u64> = None;
    let mut lagged = None;
    for _ in 0..200_000 {
        let ev = stalled.next().await;
        if ev.event.as_deref() == Some("lagged") {
            assert_eq!(ev.id, None, "only headless lines carry ids");
            let v: Value = serde_json::from_str(&ev.data).unwrap();
            // Two notices in a row (one at the end of a write, one at the start of the next) add up.
            lagged = Some(lagged.unwrap_or(0) + v["skipped"].as_u64().unwrap());
            continue;
        }
        let id = ev.id.unwrap();
        if let Some(skipped) = lagged {
            // Before any line reached it, the client's place is where it subscribed (not known here).
            match prev {
                Some(p) => assert_eq!(id, p + skipped + 1, "goes on right after what it missed"),
                None => assert!(id > skipped),
            }
            break;
        }
        if let Some(p) = prev {
            assert_eq!(id, p + 1);
        }
        prev = Some(id);
    }
    assert!(
        lagged.is_some_and(|n| n > 0),
        "the client was told it lagged"
    );
    drop(stalled);
    let (code, _) = s.stop();
    assert_eq!(code, Some(0));
}

#[test]
fn a_bind_that_cannot_be_served_is_refused_before_anything_starts() {
    let home = tempfile::tempdir().unwrap();
    let sessions = home.path().join("sessions");
    let run = |serve: &[&str]| {
        let mut args = vec![
            "demo",
            "--headless",
            "--no-journal",
            "--summary-dir",
            sessions.to_str().unwrap(),
        ];
        args.extend(serve);
        let out = roomwatch(home.path(), &args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, err) = run(&["--serve", "0.0.0.0:0"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("not a loopback address") && err.contains("--serve-public"),
        "{err}"
    );
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (code, err) = run(&["--serve", &port]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(&format!("cannot serve on 127.0.0.1:{port}")),
        "{err}"
    );
    assert!(err.contains("--serve ADDR"), "{err}");
    let (code, err) = run(&["--serve", "journal.jsonl"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not an address"), "{err}");
    let (code, err) = run(&["--serve-public"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        !sessions.exists() || std::fs::read_dir(&sessions).unwrap().next().is_none(),
        "no session ran"
    );
}

#[test]
fn api_url_prints_the_urls_with_the_key_and_refuses_a_shared_key_file() {
    let home = tempfile::tempdir().unwrap();
    let out = roomwatch(home.path(), &["api-url", "--serve", "7799"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let key = crate::support::api_key(home.path());
    let text = String::from_utf8(out.stdout).unwrap();
    for path in [
        "overlay/goal",
        "overlay/latest",
        "overlay/top",
        "overlay/feed",
        "api/v1/events",
    ] {
        assert!(
            text.contains(&format!("http://127.0.0.1:7799/{path}?key={key}")),
            "{path}: {text}"
        );
    }
    let again = roomwatch(home.path(), &["api-url"]).output().unwrap();
    let text = String::from_utf8(again.stdout).unwrap();
    assert!(
        text.contains(&format!("127.0.0.1:7797/api/v1/rooms?key={key}")),
        "the same key: {text}"
    );
    let file = home.path().join("data/roomwatch/api-key");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let refused = roomwatch(home.path(), &["api-url"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("chmod 600"), "{err}");
    assert!(!err.contains(&key), "never the key in an error");
    assert!(refused.stdout.is_empty());
    let _ = wait_exit;
}

/// A client that opens a connection and never finishes its request does not hold it (or a descriptor) for
/// ever: the server closes it once the head is overdue.
#[test]
fn a_connection_that_never_finishes_its_request_is_closed() {
    use std::io::{Read, Write};
    let home = tempfile::tempdir().unwrap();
    let s = demo(home.path(), "4");
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut half = std::net::TcpStream::connect(&addr).unwrap();
    half.write_all(b"GET /api/v1/rooms HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    half.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut buf = [0u8; 512];
    let n = half
        .read(&mut buf)
        .expect("closed by the server, not left open");
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(n == 0 || answer.starts_with("HTTP/1.1 408"), "{answer}");
    let (code, _) = s.stop();
    assert_eq!(code, Some(0));
}

/// A webhook sender that stalls in the middle of its body is answered 408 and does not keep its connection.
#[test]
fn a_webhook_body_that_stalls_is_cut_off() {
    use std::io::{Read, Write};
    let home = tempfile::tempdir().unwrap();
    let s = demo(home.path(), "4");
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    slow.write_all(
        b"POST /eventsub HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\":",
    )
    .unwrap();
    slow.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut buf = [0u8; 512];
    let n = slow
        .read(&mut buf)
        .expect("an answer, not a connection held open");
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let (code, _) = s.stop();
    assert_eq!(code, Some(0));
}

/// Ids restart at 1 with each session: a client that resumes across a restart names the session its id is from
/// (`/api/v1/session`), and gets every line the new session holds instead of skipping up to its old id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_across_a_restart_names_its_session_and_misses_nothing() {
    let home = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let start = || {
        Served::spawn_on(
            home.path(),
            roomwatch(
                home.path(),
                &["demo", "--headless", "--no-journal", "--rate", "50"],
            ),
            &addr,
        )
    };
    let s = start();
    let (_, body) = s.get("/api/v1/session").await;
    let first: Value = serde_json::from_str(&body).unwrap();
    let old_session = first["session"].as_str().unwrap().to_string();
    let events = s.url(&format!("/api/v1/events?key={}", s.key));
    let mut sse = SseReader::open(&events, Some(0)).await;
    let mut last = 0;
    while last < 30 {
        last = sse.next().await.id.unwrap();
    }
    assert_eq!(
        sse.session.as_deref(),
        Some(format!("{{\"session\":\"{old_session}\"}}").as_str())
    );
    drop(sse);
    assert_eq!(s.stop().0, Some(0));

    let mut s = start();
    let _lines = s.lines();
    // Let the new session pass the old id, then come back with it.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let (_, body) = s.get("/api/v1/session").await;
    let now: Value = serde_json::from_str(&body).unwrap();
    assert_ne!(now["session"], first["session"]);
    assert!(now["newest_id"].as_u64().unwrap() > last, "{now}");
    let mut named = SseReader::open(&format!("{events}&session={old_session}"), Some(last)).await;
    assert_eq!(
        named.next().await.id,
        Some(1),
        "every line of the new session"
    );
    let mut unnamed = SseReader::open(&events, Some(last)).await;
    assert_eq!(
        unnamed.next().await.id,
        Some(last + 1),
        "without a session: after the id, as before"
    );
    assert_eq!(s.stop().0, Some(0));
}
