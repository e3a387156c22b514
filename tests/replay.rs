//! `roomwatch replay` reproduces the live headless output byte for byte, through the same pipeline.

mod session_support;

use session_support::{only_summary, Sandbox};
use std::path::Path;
use std::process::Output;

fn live(sb: &Sandbox, n: u32, journal: &Path, sessions: &Path) -> Output {
    let out = sb
        .headless_demo(
            "0",
            &[
                "--seed",
                "11",
                "--max-events",
                &n.to_string(),
                "--journal",
                journal.to_str().unwrap(),
                "--summary-dir",
                sessions.to_str().unwrap(),
            ],
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    out
}

fn replay(sb: &Sandbox, journal: &Path, sessions: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "replay",
        journal.to_str().unwrap(),
        "--headless",
        "--summary-dir",
        sessions.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    sb.cmd(&args).output().unwrap()
}

#[test]
fn replay_reproduces_the_live_headless_output_byte_for_byte() {
    let sb = Sandbox::new();
    let journal = sb.path("live.jsonl");
    let live_out = live(&sb, 1200, &journal, &sb.path("s_live"));
    assert_eq!(
        live_out.stdout.iter().filter(|&&b| b == b'\n').count(),
        1200
    );

    let instant = replay(&sb, &journal, &sb.path("s_instant"), &["--instant"]);
    assert_eq!(instant.status.code(), Some(0));
    assert!(
        instant.stdout == live_out.stdout,
        "replay --instant differs from the live run"
    );
    // Headless without --instant or --speed plays at once too (timing is not part of the output).
    let default = replay(&sb, &journal, &sb.path("s_default"), &[]);
    assert!(default.stdout == live_out.stdout);

    let (live_sum, _) = only_summary(&sb.path("s_live"));
    let (replay_sum, md) = only_summary(&sb.path("s_instant"));
    assert_eq!(replay_sum["exit_reason"], "end_of_replay");
    assert_eq!(replay_sum["room"], live_sum["room"]);
    assert_eq!(replay_sum["source"], live_sum["source"]);
    assert_eq!(replay_sum["replay_of"], journal.to_str().unwrap());
    for key in [
        "events",
        "tips",
        "viewers",
        "chat",
        "follows",
        "unfollows",
        "fanclub_joins",
        "media_purchases",
        "tokens_per_5min",
        "first_event_at",
        "last_event_at",
    ] {
        assert_eq!(replay_sum[key], live_sum[key], "{key}");
    }
    assert!(md.contains("Replay of the journal"));
    // A replay writes no journal of its own unless asked.
    assert!(!sb.path("data/roomwatch/journals").exists());
}

#[test]
fn a_damaged_line_is_reported_skipped_and_counted() {
    let sb = Sandbox::new();
    let journal = sb.path("live.jsonl");
    let live_out = live(&sb, 300, &journal, &sb.path("s_live"));
    let text = std::fs::read_to_string(&journal).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(
        101,
        "{\"received_at\":\"2026-01-01T00:00:00.000Z\",\"source\":",
    );
    std::fs::write(&journal, lines.join("\n") + "\n").unwrap();

    let out = replay(&sb, &journal, &sb.path("s_replay"), &["--instant"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("line 102"), "{stderr}");
    assert!(
        out.stdout == live_out.stdout,
        "every good event still played"
    );
    let (summary, _) = only_summary(&sb.path("s_replay"));
    assert_eq!(summary["events"]["skipped"], 1);
    assert_eq!(summary["events"]["total"], 300);
}

#[test]
fn bad_replay_arguments_are_usage_errors() {
    let sb = Sandbox::new();
    let missing = sb.path("missing.jsonl");
    let out = replay(&sb, &missing, &sb.path("s"), &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot open the journal"), "{stderr}");

    let journal = sb.path("j.jsonl");
    live(&sb, 10, &journal, &sb.path("s_live"));
    let out = replay(&sb, &journal, &sb.path("s"), &["--speed", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--speed"));
    let out = replay(&sb, &journal, &sb.path("s"), &["--speed", "2", "--instant"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !sb.path("s").exists(),
        "no summary for a session that never started"
    );
}

/// Lines of `stdout` grouped by their `room`, each room's in order.
fn lines_by_room(stdout: &[u8]) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut by_room: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for l in String::from_utf8_lossy(stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let room = v["room"].as_str().unwrap().to_string();
        by_room.entry(room).or_default().push(l.to_string());
    }
    by_room
}

#[test]
fn several_journals_replay_side_by_side_each_room_byte_for_byte() {
    let sb = Sandbox::new();
    let live_out = sb
        .cmd(&[
            "watch",
            "--demo",
            "2",
            "--rate",
            "0",
            "--headless",
            "--max-events",
            "4500",
            "--summary-dir",
            sb.path("s_live").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(live_out.status.code(), Some(0));
    let live = lines_by_room(&live_out.stdout);
    assert_eq!(live.values().map(Vec::len).sum::<usize>(), 4500);
    assert_eq!(live.len(), 2, "both rooms delivered");
    let journals: Vec<std::path::PathBuf> = std::fs::read_dir(sb.path("data/roomwatch/journals"))
        .expect("the journals dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(journals.len(), 2, "one journal per room: {journals:?}");
    let sessions = sb.path("s_replay");
    let mut args = vec!["replay"];
    args.extend(journals.iter().map(|j| j.to_str().unwrap()));
    args.extend(["--headless", "--summary-dir", sessions.to_str().unwrap()]);
    let out = sb.cmd(&args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        lines_by_room(&out.stdout),
        live,
        "each room's lines, in order, byte for byte"
    );
    let found = session_support::summaries(&sessions);
    assert_eq!(found.len(), 2, "a summary pair per room: {found:?}");
    for p in found {
        let v = session_support::read_json(&p);
        assert_eq!(v["exit_reason"], "end_of_replay");
        let room = v["room"].as_str().unwrap();
        assert_eq!(v["events"]["total"], live[room].len() as u64);
    }
}
