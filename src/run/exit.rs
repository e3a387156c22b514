//! The end of a session, however it comes: panics caught around the runner and the source, the summary
//! written, and the report printed on stderr with writes that may fail silently (the terminal may be gone).

use crate::app::{ExitReason, State};
use crate::cli::CommonArgs;
use crate::config::layers::{AUTOSAVE_ENV, FAULT_PANIC_ENV, FAULT_SOURCE_PANIC_ENV};
use crate::effects::{FileOptions, SessionFiles};
use crate::sources::supervisor::panic_text;
use chrono::Utc;
use futures_util::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// The last panic's message and place, kept by the hook for the end report.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// The simulator's fault injection, in debug builds only.
pub fn fault_source_panic() -> Option<u64> {
    if !cfg!(debug_assertions) {
        return None;
    }
    std::env::var(FAULT_SOURCE_PANIC_ENV).ok()?.parse().ok()
}

/// Replaces the default panic output (a backtrace hint on a screen that may be in raw mode) with a record
/// kept for the end report and the log. It never touches the terminal: every panic is caught and ends the
/// session through the one exit path, which restores it.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let text = crate::mask::scrub(&panic_text(info.payload())).into_owned();
        let text = match info.location() {
            Some(l) => format!("{text} at {}:{}", l.file(), l.line()),
            None => text,
        };
        tracing::error!(panic = %text, "panic");
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(text);
        }
    }));
}

/// The last panic recorded by the hook.
pub fn last_panic() -> Option<String> {
    LAST_PANIC.lock().ok().and_then(|l| l.clone())
}

/// Runs `fut`, turning a panic inside it into `Err(message)`. Whatever `fut` borrowed (the state, the files)
/// is usable afterwards: that is what lets a panic still write the summary.
pub async fn catch_panic<F: Future>(fut: F) -> Result<F::Output, String> {
    AssertUnwindSafe(fut)
        .catch_unwind()
        .await
        .map_err(|p| panic_text(&*p))
}

/// The session's file options from the command line. A replay writes no journal unless `--journal` asks.
pub fn file_options(
    common: &CommonArgs,
    config: &crate::config::Config,
    replay_of: Option<PathBuf>,
    save_cursor: bool,
) -> FileOptions {
    let mut opts = FileOptions {
        // The config already layered `--summary-dir` over `summary_dir`.
        summary_dir: config.paths.summary_dir.clone(),
        journal_dir: config.paths.journal_dir.clone(),
        autosave_every: config.settings.autosave_every,
        journal: common.journal.clone(),
        no_journal: common.no_journal || (replay_of.is_some() && common.journal.is_none()),
        save_cursor,
        cursor_dir: config.paths.cursor_dir.clone(),
        replay_of,
        ..FileOptions::default()
    };
    if let Some(ms) = std::env::var(AUTOSAVE_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        opts.autosave_every = Duration::from_millis(ms.max(1));
    }
    if cfg!(debug_assertions) {
        opts.panic_after_events = std::env::var(FAULT_PANIC_ENV)
            .ok()
            .and_then(|v| v.parse().ok());
    }
    opts
}

/// Writes every room's final summary and prints the report. Call after the terminal is restored. A room
/// that ended earlier keeps its own reason; the others end with the session's.
pub fn finish_session(files: &mut [SessionFiles], state: &mut State, reason: &ExitReason) {
    state.quit.get_or_insert_with(|| reason.clone());
    let now = Utc::now();
    let finished = std::panic::catch_unwind(AssertUnwindSafe(|| {
        for (f, room) in files.iter_mut().zip(&state.rooms) {
            f.finish(room, room.ended.as_ref().unwrap_or(reason), now);
        }
    }));
    match finished {
        Ok(()) => {
            let multi = files.len() > 1;
            for (f, room) in files.iter().zip(&state.rooms) {
                if multi {
                    crate::stderr::say(&format!("roomwatch: room {}:", room.key));
                }
                for line in f.end_report() {
                    crate::stderr::say(&line);
                }
            }
        }
        Err(p) => crate::stderr::say(&format!(
            "roomwatch: internal error while writing the session summary: {}",
            crate::mask::scrub(&panic_text(&*p))
        )),
    }
}

/// With several rooms, writes the final summary of each room that has ended since the last call (its source
/// stopped while the others go on); returns their indices. A session of one room writes its summary when the
/// session ends: the screen held after the end still takes markers, and the summary's duration is the session's.
pub fn finish_ended_rooms(
    files: &mut [SessionFiles],
    state: &State,
    now: chrono::DateTime<Utc>,
) -> Vec<usize> {
    let mut done = Vec::new();
    if !state.multi_room() {
        return done;
    }
    for (r, (f, room)) in files.iter_mut().zip(&state.rooms).enumerate() {
        if let (Some(reason), false) = (&room.ended, f.is_finished()) {
            f.finish(room, reason, now);
            done.push(r);
        }
    }
    done
}

/// The autosave of every room that is due.
pub fn autosave(files: &mut [SessionFiles], state: &State, now: chrono::DateTime<Utc>) {
    for (f, room) in files.iter_mut().zip(&state.rooms) {
        f.maybe_autosave(room, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SourceKind;

    #[tokio::test]
    async fn a_panicking_runner_leaves_its_state_usable() {
        let mut state = State::new("room", SourceKind::Simulator, Utc::now());
        let runner = async {
            state.rooms[0].stats.events_total = 41;
            tokio::task::yield_now().await;
            state.rooms[0].stats.events_total += 1;
            if state.rooms[0].stats.events_total == 42 {
                panic!("boom in the runner");
            }
            ExitReason::QuitKey
        };
        let got = catch_panic(runner).await;
        assert_eq!(got.unwrap_err(), "boom in the runner");
        assert_eq!(state.rooms[0].stats.events_total, 42);
    }

    #[test]
    fn one_room_keeps_its_summary_for_the_end_of_the_session() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::new("room", SourceKind::Simulator, Utc::now());
        let mut files = [SessionFiles::new(FileOptions {
            summary_dir: Some(dir.path().to_path_buf()),
            no_journal: true,
            ..FileOptions::default()
        })];
        files[0].open(&state.rooms[0]).unwrap();
        state.rooms[0].ended = Some(ExitReason::EndOfReplay);
        assert!(finish_ended_rooms(&mut files, &state, Utc::now()).is_empty());
        assert!(
            !files[0].is_finished(),
            "written when the user quits, markers included"
        );
        // With several rooms, the one that ended is written at once.
        let keys = ["a", "b"]
            .map(|n| crate::event::RoomKey::new(SourceKind::Simulator, n))
            .to_vec();
        let mut state = State::with_rooms(keys, Utc::now(), Default::default());
        let mut files: Vec<SessionFiles> = (0..2)
            .map(|_| {
                SessionFiles::new(FileOptions {
                    summary_dir: Some(dir.path().to_path_buf()),
                    no_journal: true,
                    ..FileOptions::default()
                })
            })
            .collect();
        for (f, r) in files.iter_mut().zip(&state.rooms) {
            f.open(r).unwrap();
        }
        state.rooms[1].ended = Some(ExitReason::CredentialsRefused);
        assert_eq!(finish_ended_rooms(&mut files, &state, Utc::now()), vec![1]);
        assert!(files[1].is_finished() && !files[0].is_finished());
        assert!(
            finish_ended_rooms(&mut files, &state, Utc::now()).is_empty(),
            "once"
        );
    }

    #[test]
    fn a_replay_writes_no_journal_unless_asked() {
        let common = CommonArgs::default();
        let config = crate::config::Config::default();
        assert!(file_options(&common, &config, Some("j.jsonl".into()), false).no_journal);
        assert!(!file_options(&common, &config, None, false).no_journal);
        let asked = CommonArgs {
            journal: Some("out.jsonl".into()),
            ..CommonArgs::default()
        };
        assert!(!file_options(&asked, &config, Some("j.jsonl".into()), false).no_journal);
    }
}
