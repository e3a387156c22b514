use super::*;
use crate::app::{update, Msg, State};
use crate::event::SourceKind;
use crate::sources::simulator::fixed_start;
use crate::sources::SourceMsg;
use chrono::TimeZone;
use std::os::unix::fs::PermissionsExt;

fn batches(n_batches: usize, per_batch: usize) -> Vec<Batch> {
    crate::sources::simulator::recorded_batches(5, "files_room", n_batches, per_batch, 1000)
}

struct Setup {
    dir: tempfile::TempDir,
    state: State,
    files: SessionFiles,
}

fn setup(save_cursor: bool) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let state = State::new("files_room", SourceKind::Simulator, fixed_start());
    let mut files = SessionFiles::new(FileOptions {
        summary_dir: Some(dir.path().join("sessions")),
        journal: Some(dir.path().join("journal.jsonl")),
        autosave_every: Duration::from_secs(60),
        save_cursor,
        cursor_dir: Some(dir.path().join("cursors")),
        ..FileOptions::default()
    });
    files.open(&state.rooms[0]).unwrap();
    Setup { dir, state, files }
}

fn feed(s: &mut Setup, batches: Vec<Batch>) {
    for b in batches {
        s.files.on_batch(&b);
        let key = s.state.rooms[0].key.clone();
        update(
            &mut s.state,
            Msg::Source(key, SourceMsg::Batch(b)),
            fixed_start(),
        );
    }
}

fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn autosave_waits_for_its_interval_then_finish_overwrites_the_same_files() {
    let mut s = setup(false);
    feed(&mut s, batches(3, 10));
    let sessions = s.dir.path().join("sessions");
    s.files.maybe_autosave(
        &s.state.rooms[0],
        fixed_start() + chrono::Duration::seconds(59),
    );
    assert!(!sessions.exists(), "nothing before the interval");
    s.files.maybe_autosave(
        &s.state.rooms[0],
        fixed_start() + chrono::Duration::seconds(60),
    );
    let json = sessions.join("roomwatch-files_room-20260101T200000.json");
    let md = sessions.join("roomwatch-files_room-20260101T200000.md");
    let auto = read_json(&json);
    assert_eq!(auto["exit_reason"], "running");
    assert_eq!(auto["events"]["total"], 30);
    assert!(std::fs::read_to_string(&md).unwrap().contains("files_room"));

    feed(&mut s, batches(1, 5));
    let end = fixed_start() + chrono::Duration::seconds(90);
    let written = s
        .files
        .finish(&s.state.rooms[0], &ExitReason::Terminate, end);
    assert_eq!(written, vec![json.clone(), md.clone()]);
    let fin = read_json(&json);
    assert_eq!(fin["exit_reason"], "sigterm");
    assert_eq!(fin["events"]["total"], 35);
    assert_eq!(fin["duration_s"], 90.0);
    let names: Vec<_> = std::fs::read_dir(&sessions).unwrap().collect();
    assert_eq!(names.len(), 2, "no temp files, no second pair");
    for p in [&json, &md] {
        let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let report = s.files.end_report();
    assert!(report[0].contains(&json.display().to_string()));
    assert_eq!(report.iter().filter(|l| l.starts_with("  ")).count(), 5);
}

#[test]
fn a_taken_name_gets_a_suffix() {
    let mut s = setup(false);
    let sessions = s.dir.path().join("sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    std::fs::write(
        sessions.join("roomwatch-files_room-20260101T200000.json"),
        b"{}",
    )
    .unwrap();
    std::fs::write(
        sessions.join("roomwatch-files_room-20260101T200000-2.md"),
        b"other",
    )
    .unwrap();
    let written = s
        .files
        .finish(&s.state.rooms[0], &ExitReason::QuitKey, fixed_start());
    assert_eq!(
        written[0],
        sessions.join("roomwatch-files_room-20260101T200000-3.json")
    );
    assert_eq!(
        std::fs::read(sessions.join("roomwatch-files_room-20260101T200000.json")).unwrap(),
        b"{}",
        "someone else's file is left alone"
    );
}

#[test]
fn the_journal_holds_a_header_and_every_event_as_received() {
    let mut s = setup(false);
    let bs = batches(4, 25);
    let raws: Vec<String> = bs
        .iter()
        .flat_map(|b| {
            b.events
                .iter()
                .map(|e| e.raw.as_deref().unwrap().to_string())
        })
        .collect();
    feed(&mut s, bs);
    s.files
        .finish(&s.state.rooms[0], &ExitReason::MaxEvents, fixed_start());
    let path = s.dir.path().join("journal.jsonl");
    assert_eq!(s.files.journal_path(), Some(path.as_path()));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + raws.len());
    let header: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(header["room"], "files_room");
    assert_eq!(header["source"], "simulator");
    for (line, raw) in lines[1..].iter().zip(&raws) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["batch", "event", "received_at", "source"]);
        let original: serde_json::Value = serde_json::from_str(raw).unwrap();
        assert_eq!(v["event"], original);
        assert!(
            line.ends_with(&format!("\"event\":{raw}}}")),
            "raw kept verbatim"
        );
    }
}

#[test]
fn no_journal_means_no_journal_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = State::new("r", SourceKind::Simulator, fixed_start());
    let mut files = SessionFiles::new(FileOptions {
        summary_dir: Some(dir.path().to_path_buf()),
        journal: Some(dir.path().join("j.jsonl")),
        no_journal: true,
        ..FileOptions::default()
    });
    files.open(&state.rooms[0]).unwrap();
    files.on_batch(&batches(1, 3).remove(0));
    assert!(!dir.path().join("j.jsonl").exists());
    assert_eq!(files.journal_path(), None);
}

#[test]
fn the_cursor_follows_every_batch_when_kept() {
    let mut s = setup(true);
    s.files.options.cursor_every = Duration::ZERO;
    let bs = batches(3, 4);
    let last = bs[2].events[3].id.to_string();
    let first_last = bs[0].events[3].id.to_string();
    let mut it = bs.into_iter();
    feed(&mut s, vec![it.next().unwrap()]);
    let store = CursorStore::new(s.dir.path().join("cursors"));
    assert_eq!(store.load("files_room"), Some(first_last));
    feed(&mut s, it.collect());
    assert_eq!(store.load("files_room"), Some(last));
}

#[test]
fn a_burst_writes_the_cursor_once_and_the_rest_when_due() {
    let mut s = setup(true);
    s.files.options.cursor_every = Duration::from_secs(3600);
    let bs = batches(4, 4);
    let first = bs[0].events[3].id.to_string();
    let third = bs[2].events[3].id.to_string();
    let fourth = bs[3].events[3].id.to_string();
    let mut it = bs.into_iter();
    feed(&mut s, it.by_ref().take(3).collect());
    let store = CursorStore::new(s.dir.path().join("cursors"));
    assert_eq!(
        store.load("files_room"),
        Some(first.clone()),
        "the first batch at once"
    );
    let due = s
        .files
        .cursor_due_in(Instant::now())
        .expect("the newer id waits");
    assert!(due > Duration::from_secs(3500), "{due:?}");
    // The runners' timers see it.
    let start = fixed_start();
    assert_eq!(
        s.files.autosave_in(start).unwrap(),
        due.min(Duration::from_secs(60))
    );
    s.files.maybe_autosave(&s.state.rooms[0], start);
    assert_eq!(store.load("files_room"), Some(first), "not due yet");
    // Due: the next wake-up writes it, and nothing is pending after.
    s.files.options.cursor_every = Duration::ZERO;
    s.files.maybe_autosave(&s.state.rooms[0], start);
    assert_eq!(store.load("files_room"), Some(third));
    assert_eq!(s.files.cursor_due_in(Instant::now()), None);
    // Held back again, the end writes it.
    s.files.options.cursor_every = Duration::from_secs(3600);
    feed(&mut s, it.collect());
    s.files
        .finish(&s.state.rooms[0], &ExitReason::Hangup, start);
    assert_eq!(store.load("files_room"), Some(fourth));
    assert_eq!(s.files.cursor_due_in(Instant::now()), None);
}

#[test]
fn without_a_cursor_store_nothing_is_ever_due() {
    // A pending cursor with nowhere to go once made the live screen wake ~900 times a second.
    let mut s = setup(false);
    feed(&mut s, batches(2, 4));
    assert_eq!(s.files.cursor_due_in(Instant::now()), None);
    let start = fixed_start();
    assert_eq!(s.files.autosave_in(start), Some(Duration::from_secs(60)));
}

#[test]
fn an_unwritable_summary_dir_falls_back_to_the_temp_dir() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not_a_dir");
    std::fs::write(&blocker, b"x").unwrap();
    let started = Utc.with_ymd_and_hms(2026, 2, 3, 4, 5, 6).unwrap();
    let room = format!("fallback_{}", std::process::id());
    let state = State::new(room.as_str(), SourceKind::Simulator, started);
    let mut files = SessionFiles::new(FileOptions {
        summary_dir: Some(blocker.join("sessions")),
        no_journal: true,
        ..FileOptions::default()
    });
    files.open(&state.rooms[0]).unwrap();
    let written = files.finish(&state.rooms[0], &ExitReason::Hangup, started);
    assert_eq!(written.len(), 2);
    assert!(written[0].starts_with(std::env::temp_dir()));
    assert_eq!(read_json(&written[0])["exit_reason"], "sighup");
    assert!(files.end_report().iter().any(|l| l.contains("warning")));
    for p in written {
        std::fs::remove_file(p).unwrap();
    }
}

#[test]
fn a_finished_room_has_no_autosave_due() {
    // A zero here once kept a headless runner of several rooms waking up about 900 times a second after the
    // first room ended.
    let mut s = setup(false);
    assert_eq!(
        s.files.autosave_in(fixed_start()),
        Some(Duration::from_secs(60))
    );
    let end = fixed_start() + chrono::Duration::seconds(120);
    s.files
        .finish(&s.state.rooms[0], &ExitReason::EndOfReplay, end);
    assert_eq!(s.files.autosave_in(end), None);
    assert_eq!(s.files.autosave_in(end + chrono::Duration::hours(1)), None);
}
