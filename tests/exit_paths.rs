//! Every way a session ends writes the summary: signals, --max-events, a panic, a fatal source error; and a
//! kill -9 never leaves half a summary under its final name.

mod session_support;

use session_support::{journal_events, kill, only_summary, read_json, summaries, Sandbox};
use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;

/// Starts a headless demo, lets it print some events, stops it with `signal`, and checks the files.
fn stopped_by(signal: &str, reason: &str) {
    let sb = Sandbox::new();
    let sessions = sb.path("sessions");
    let journal = sb.path("j.jsonl");
    let mut child = sb
        .headless_demo(
            "200",
            &[
                "--summary-dir",
                sessions.to_str().unwrap(),
                "--journal",
                journal.to_str().unwrap(),
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    let mut line = String::new();
    while lines.len() < 30 {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "demo ended early");
        lines.push(line.clone());
    }
    kill(signal, child.id());
    loop {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            break;
        }
        lines.push(line.clone());
    }
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");

    let (summary, md) = only_summary(&sessions);
    assert_eq!(summary["exit_reason"], reason);
    assert_eq!(summary["events"]["total"], lines.len() as u64);
    assert_eq!(summary["room"], "demo_room");
    assert!(md.contains("| Duration |") && md.contains("## Connection"));
    let journaled = journal_events(&journal);
    assert_eq!(journaled.len(), lines.len());
    for (j, l) in journaled.iter().zip(&lines) {
        let shown: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(j["event"]["id"], shown["id"]);
    }
    let json_path = summaries(&sessions)[0].display().to_string();
    assert!(stderr.contains(&json_path), "{stderr}");
    assert!(stderr.contains(&format!("ended: {reason}")), "{stderr}");
}

#[test]
fn sigterm_writes_the_summary() {
    stopped_by("TERM", "sigterm");
}

#[test]
fn sighup_writes_the_summary() {
    stopped_by("HUP", "sighup");
}

#[test]
fn sigint_writes_the_summary() {
    stopped_by("INT", "sigint");
}

#[test]
fn max_events_writes_the_summary_and_exits_0() {
    let sb = Sandbox::new();
    let out = sb
        .headless_demo("0", &["--max-events", "777"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 777);
    // Default places: the data dir's sessions/ and journals/.
    let (summary, _) = only_summary(&sb.path("data/roomwatch/sessions"));
    assert_eq!(summary["exit_reason"], "max_events");
    assert_eq!(summary["events"]["total"], 777);
    let journals: Vec<_> = std::fs::read_dir(sb.path("data/roomwatch/journals"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(journals.len(), 1);
    assert_eq!(journal_events(&journals[0]).len(), 777);
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "fault injection exists in debug builds only"
)]
fn a_panic_still_writes_the_summary_and_exits_4() {
    let sb = Sandbox::new();
    let sessions = sb.path("sessions");
    let out = sb
        .headless_demo(
            "0",
            &["--no-journal", "--summary-dir", sessions.to_str().unwrap()],
        )
        .env("ROOMWATCH_FAULT_PANIC_AFTER_EVENTS", "2500")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    let (summary, md) = only_summary(&sessions);
    assert_eq!(summary["exit_reason"], "panic");
    let total = summary["events"]["total"].as_u64().unwrap();
    let printed = out.stdout.iter().filter(|&&b| b == b'\n').count() as u64;
    // The batch in flight when the panic hit was printed but never reached the state.
    assert!(total >= 2500 && total <= printed, "{total} vs {printed}");
    assert!(md.contains("ended by: panic"));
    assert!(stderr.contains("internal error"), "{stderr}");
    assert!(!stderr.contains("RUST_BACKTRACE") && !stderr.contains("stack backtrace"));
}

#[test]
fn kill_9_never_leaves_a_partial_summary_under_the_final_name() {
    let sb = Sandbox::new();
    let sessions = sb.path("sessions");
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    for _ in 0..10 {
        let mut child = sb
            .headless_demo(
                "400",
                &["--no-journal", "--summary-dir", sessions.to_str().unwrap()],
            )
            // Autosave on every wake-up: the process is nearly always in the middle of a summary write.
            .env("ROOMWATCH_AUTOSAVE_MS", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(rng.u64(150..600)));
        kill("KILL", child.id());
        child.wait().unwrap();
        for json in summaries(&sessions) {
            let v = read_json(&json);
            assert_eq!(v["exit_reason"], "running", "{}", json.display());
            let md = json.with_extension("md");
            if md.exists() {
                let text = std::fs::read_to_string(&md).unwrap();
                assert!(text.contains("## Connection"), "{} is cut", md.display());
            }
        }
    }
    assert!(
        !summaries(&sessions).is_empty(),
        "the autosave ran at least once in ten runs"
    );
    // The next start sweeps what the killed runs left half-written (plus one planted for certain).
    std::fs::write(sessions.join(".planted.json.tmp-4294967290-1"), "half").unwrap();
    let status = sb
        .headless_demo(
            "0",
            &[
                "--max-events",
                "10",
                "--no-journal",
                "--summary-dir",
                sessions.to_str().unwrap(),
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let leftovers: Vec<String> = std::fs::read_dir(&sessions)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn a_fatal_source_error_after_the_start_writes_the_summary() {
    use roomwatch::app::{ExitReason, State};
    use roomwatch::effects::{FileOptions, SessionFiles};
    use roomwatch::event::SourceKind;
    use roomwatch::run::{headless, rooms::Inbox, signals::Signals};
    use roomwatch::sources::{Batch, SourceError, SourceMsg};

    let dir = tempfile::tempdir().unwrap();
    let mut state = State::new("room", SourceKind::Chaturbate, chrono::Utc::now());
    let mut files = SessionFiles::new(FileOptions {
        summary_dir: Some(dir.path().to_path_buf()),
        no_journal: true,
        ..FileOptions::default()
    });
    files.open(&state.rooms[0]).unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let empty = Batch {
        received_at: chrono::Utc::now(),
        events: Vec::new(),
        skipped: 3,
        duplicates_dropped: 0,
    };
    tx.send(SourceMsg::Batch(empty)).await.unwrap();
    let fatal = SourceError::Fatal("HTTP 404: the events URL does not exist".into());
    tx.send(SourceMsg::Fatal(fatal)).await.unwrap();
    let mut signals = Signals::install().unwrap();
    let opts = headless::HeadlessOptions { max_events: None };
    let mut inbox = Inbox::new(vec![(state.rooms[0].key.clone(), rx)]);
    let mut files = [files];
    let reason = headless::run(
        &mut state,
        &mut inbox,
        &mut signals,
        &opts,
        &mut files,
        &mut None,
    )
    .await;
    assert!(matches!(reason, ExitReason::FatalError(_)));
    assert_eq!(reason.exit_code(), 4);
    files[0].finish(&state.rooms[0], &reason, chrono::Utc::now());
    let (summary, _) = only_summary(dir.path());
    assert_eq!(summary["exit_reason"], "fatal_error");
    assert_eq!(
        summary["exit_detail"],
        "HTTP 404: the events URL does not exist"
    );
    assert_eq!(summary["events"]["skipped"], 3);
}
