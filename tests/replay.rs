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

/// A Twitch journal as the WebSocket source will write it: the header, then whole notification frames.
fn twitch_journal(path: &Path) -> Vec<String> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/twitch");
    let files = [
        "channel.cheer_1_twitch-api.json",
        "channel.cheer_1_twitch-api.json",
        "channel.subscribe_1_twitch-api.json",
        "channel.subscription.message_1_twitch-api.json",
        "channel.subscription.gift_1_twitch-api.json",
        "channel.channel_points_custom_reward_redemption.add_1_twitch-api.json",
        "channel.raid_1_twitch-api.json",
        "channel.chat.message_1_twitch-api.json",
        "channel.hype_train.begin",
    ];
    let mut lines =
        vec![r#"{"roomwatch_journal":1,"room":"cooler_user","source":"twitch","started_at":"2026-11-23T12:00:00.000Z"}"#.to_string()];
    for (n, file) in files.iter().enumerate() {
        let payload: serde_json::Value = match std::fs::read_to_string(fixtures.join(file)) {
            Ok(text) => serde_json::from_str(&text).unwrap(),
            // A type this build does not know: kept as unknown.
            Err(_) => serde_json::json!({"subscription": {"type": file}, "event": {"level": 2}}),
        };
        let frame = serde_json::json!({
            "metadata": {"message_id": format!("msg-{n}"), "message_type": "notification",
                         "message_timestamp": format!("2026-11-23T12:00:0{n}.000Z")},
            "payload": payload,
        });
        lines.push(format!(
            r#"{{"received_at":"2026-11-23T12:00:0{n}.100Z","source":"twitch","batch":{n},"event":{frame}}}"#
        ));
    }
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
    lines
}

#[test]
fn a_twitch_journal_replays_with_bits_subs_redemptions_and_raids() {
    let sb = Sandbox::new();
    let journal = sb.path("twitch.jsonl");
    twitch_journal(&journal);
    let sessions = sb.path("s_twitch");
    let out = replay(&sb, &journal, &sessions, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let kinds: Vec<String> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "cheer",
            "cheer",
            "subscription",
            "resubscription",
            "sub_gift",
            "redemption",
            "raid",
            "chat_message",
            "unknown"
        ]
    );
    assert!(stdout
        .lines()
        .all(|l| l.starts_with(r#"{"source":"twitch","room":"cooler_user","id":"msg-"#)));
    let (summary, md) = only_summary(&sessions);
    assert_eq!(summary["source"], "twitch");
    assert_eq!(
        summary["bits"],
        serde_json::json!({"count": 2, "bits": 2000, "anonymous": {"count": 0, "bits": 0},
                           "top": [{"user": "cool_user", "bits": 2000, "count": 2}]})
    );
    assert_eq!(
        summary["subs"],
        serde_json::json!({"new": 1, "resubs": 1, "gifted": 2, "gift_events": 1, "by_tier": {"1000": 4}})
    );
    assert_eq!(
        summary["redemptions"],
        serde_json::json!({"count": 1, "by_reward": {"title": 1}})
    );
    assert_eq!(
        summary["raids"],
        serde_json::json!({"count": 1, "viewers": 9001})
    );
    assert_eq!(summary["events"]["by_kind"]["unknown"], 1);
    assert_eq!(summary["events"]["by_kind"]["redemption"], 1);
    assert!(
        md.contains("## Twitch") && md.contains("| Bits | 2,000 in 2 cheers"),
        "{md}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "bits 2,000 · 2 cheers · subs 1 new, 1 resubs, 2 gifted · 1 raid (9,001 viewers)"
        ),
        "{stderr}"
    );
    // Journaled again by a second replay, the frames come back byte for byte.
    let again = sb.path("again.jsonl");
    let out2 = replay(
        &sb,
        &journal,
        &sb.path("s_again"),
        &["--journal", again.to_str().unwrap()],
    );
    assert_eq!(out2.stdout, out.stdout);
    let events = |p: &Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .filter_map(|l| {
                serde_json::from_str::<serde_json::Value>(l)
                    .ok()?
                    .get("event")
                    .map(|e| e.to_string())
            })
            .collect()
    };
    assert_eq!(events(&again), events(&journal));
}
