//! The end of a session, however it comes: panics caught around the runner and the source, the summary
//! written, and the report printed on stderr with writes that may fail silently (the terminal may be gone).

use crate::app::{ExitReason, State};
use crate::cli::CommonArgs;
use crate::effects::{FileOptions, SessionFiles};
use crate::sources::{SourceError, SourceMsg};
use chrono::Utc;
use futures_util::FutureExt;
use std::any::Any;
use std::future::Future;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::mpsc;

/// The last panic's message and place, kept by the hook for the end report.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Hidden: autosave interval in milliseconds (tests use a tight one); the config will set it for users.
pub const AUTOSAVE_ENV: &str = "ROOMWATCH_AUTOSAVE_MS";
/// Hidden, debug builds only: panic after this many events (the panic exit-path test).
pub const FAULT_PANIC_ENV: &str = "ROOMWATCH_FAULT_PANIC_AFTER_EVENTS";

/// One line on stderr; never panics (after a hang-up there is no terminal to write to).
pub fn say(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// Replaces the default panic output (a backtrace hint on a screen that may be in raw mode) with a record
/// kept for the end report and the log. The TUI may wrap this hook to restore the terminal first.
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

fn panic_text(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// Runs `fut`, turning a panic inside it into `Err(message)`. Whatever `fut` borrowed (the state, the files)
/// is usable afterwards: that is what lets a panic still write the summary.
pub async fn catch_panic<F: Future>(fut: F) -> Result<F::Output, String> {
    AssertUnwindSafe(fut)
        .catch_unwind()
        .await
        .map_err(|p| panic_text(&*p))
}

/// Spawns a source task; if it panics, the runner gets a [`SourceMsg::Fatal`] instead of a silent end.
pub fn spawn_source<F>(fut: F, tx: mpsc::Sender<SourceMsg>) -> tokio::task::JoinHandle<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(text) = catch_panic(fut).await {
            let text = format!("the event source stopped on an internal error: {text}");
            let _ = tx.send(SourceMsg::Fatal(SourceError::Fatal(text))).await;
        }
    })
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

/// Writes the final summary and prints the report. Call after the terminal is restored.
pub fn finish_session(files: &mut SessionFiles, state: &mut State, reason: &ExitReason) {
    state.quit.get_or_insert_with(|| reason.clone());
    let finished =
        std::panic::catch_unwind(AssertUnwindSafe(|| files.finish(state, reason, Utc::now())));
    match finished {
        Ok(_) => {
            for line in files.end_report() {
                say(&line);
            }
        }
        Err(p) => say(&format!(
            "roomwatch: internal error while writing the session summary: {}",
            crate::mask::scrub(&panic_text(&*p))
        )),
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
            state.stats.events_total = 41;
            tokio::task::yield_now().await;
            state.stats.events_total += 1;
            if state.stats.events_total == 42 {
                panic!("boom in the runner");
            }
            ExitReason::QuitKey
        };
        let got = catch_panic(runner).await;
        assert_eq!(got.unwrap_err(), "boom in the runner");
        assert_eq!(state.stats.events_total, 42);
    }

    #[tokio::test]
    async fn a_panicking_source_becomes_a_fatal_message() {
        let (tx, mut rx) = mpsc::channel(4);
        let task = spawn_source(
            async {
                panic!("source broke");
            },
            tx,
        );
        let msg = rx.recv().await.expect("a message");
        match msg {
            SourceMsg::Fatal(SourceError::Fatal(text)) => assert!(text.contains("source broke")),
            other => panic!("{other:?}"),
        }
        assert!(rx.recv().await.is_none(), "channel closes after the fatal");
        task.await.unwrap();
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
