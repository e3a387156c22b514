//! The journal: owner-only, one header per session, every event's original JSON with its receive time, and
//! never a secret.

mod session_support;

use serde_json::Value;
use session_support::{journal_events, Sandbox};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const FAKE_TOKEN: &str = "FaKeT0kenNeverStored1234";

fn demo(sb: &Sandbox, n: u32, journal: &Path) -> std::process::Output {
    let out = sb
        .headless_demo(
            "0",
            &[
                "--max-events",
                &n.to_string(),
                "--journal",
                journal.to_str().unwrap(),
            ],
        )
        .env(
            "CB_EVENTS_URL",
            format!("https://eventsapi.chaturbate.com/events/someone/{FAKE_TOKEN}/"),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    out
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort();
    k
}

/// Every file under `dir`, recursively.
fn all_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn the_journal_is_private_and_holds_only_what_was_received() {
    let sb = Sandbox::new();
    let journal = sb.path("j.jsonl");
    let out = demo(&sb, 500, &journal);
    let mode = std::fs::metadata(&journal).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    let text = std::fs::read_to_string(&journal).unwrap();
    let header: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(
        keys(&header),
        ["room", "roomwatch_journal", "source", "started_at"]
    );
    assert_eq!(header["room"], "demo_room");
    let events = journal_events(&journal);
    let printed: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), printed.len());
    let mut last_batch = 0;
    for (j, p) in events.iter().zip(&printed) {
        assert_eq!(keys(j), ["batch", "event", "received_at", "source"]);
        assert_eq!(j["event"]["id"], p["id"]);
        assert_eq!(j["source"], p["source"]);
        let method = j["event"]["method"].as_str().unwrap();
        assert!(!method.is_empty());
        let received = j["received_at"].as_str().unwrap();
        assert!(
            received.len() == 24 && received.ends_with('Z'),
            "{received}"
        );
        let batch = j["batch"].as_u64().unwrap();
        assert!(batch >= last_batch);
        last_batch = batch;
    }
}

#[test]
fn no_file_roomwatch_writes_contains_the_token() {
    let sb = Sandbox::new();
    demo(&sb, 300, &sb.path("j.jsonl"));
    let mut files = Vec::new();
    all_files(sb.dir.path(), &mut files);
    assert!(files.len() >= 3, "journal and summary pair: {files:?}");
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(FAKE_TOKEN),
            "{} holds the token",
            f.display()
        );
        assert!(
            !text.contains("eventsapi.chaturbate.com"),
            "{}",
            f.display()
        );
    }
}

#[test]
fn sessions_append_to_a_named_journal_and_replay_plays_them_all() {
    let sb = Sandbox::new();
    let journal = sb.path("shared.jsonl");
    let first = demo(&sb, 120, &journal);
    let second = demo(&sb, 80, &journal);
    let text = std::fs::read_to_string(&journal).unwrap();
    let headers = text
        .lines()
        .filter(|l| l.contains("\"roomwatch_journal\""))
        .count();
    assert_eq!(headers, 2);
    let out = sb
        .cmd(&[
            "replay",
            journal.to_str().unwrap(),
            "--headless",
            "--no-journal",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let mut expected = first.stdout;
    expected.extend_from_slice(&second.stdout);
    assert!(out.stdout == expected);
}

#[test]
fn no_journal_writes_none() {
    let sb = Sandbox::new();
    let out = sb
        .headless_demo("0", &["--max-events", "50", "--no-journal"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!sb.path("data/roomwatch/journals").exists());
    assert!(sb.path("data/roomwatch/sessions").is_dir());
}
