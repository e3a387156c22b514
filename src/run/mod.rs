//! Wiring: builds the source, the state and the runner (headless or TUI) from the command line, and maps
//! the way the session ended to an exit code.

pub mod headless;
pub mod signals;
pub mod tui;

use crate::app::{ExitReason, State};
use crate::cli::{Cli, Command, CommonArgs};
use crate::effects::{FileOptions, SessionFiles};
use crate::event::SourceKind;
use crate::sources::{self, simulator, SourceMsg};
use chrono::Utc;
use signals::Signals;
use tokio::sync::mpsc;

/// A setup error: one clear line on stderr and an exit code (2 usage/config, 3 credentials, 4 other).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RunError {
    pub code: i32,
    pub message: String,
}

impl RunError {
    pub fn usage(message: impl Into<String>) -> Self {
        RunError {
            code: 2,
            message: message.into(),
        }
    }
    pub fn fatal(message: impl Into<String>) -> Self {
        RunError {
            code: 4,
            message: message.into(),
        }
    }
}

/// A started source: its channel and its task (aborted, not awaited, at the end).
pub struct StartedSource {
    pub rx: mpsc::Receiver<SourceMsg>,
    pub task: tokio::task::JoinHandle<()>,
    pub room: String,
    pub kind: SourceKind,
}

/// Runs the whole program for a parsed command line; returns the exit code.
pub async fn run(cli: Cli) -> i32 {
    match run_inner(cli).await {
        Ok(reason) => reason.exit_code(),
        Err(e) => {
            eprintln!("roomwatch: {}", crate::mask::scrub(&e.message));
            e.code
        }
    }
}

async fn run_inner(cli: Cli) -> Result<ExitReason, RunError> {
    let mut signals = Signals::install()
        .map_err(|e| RunError::fatal(format!("cannot install signal handlers: {e}")))?;
    let (source, common) = start_source(cli.command)?;
    let StartedSource {
        mut rx,
        task,
        room,
        kind,
    } = source;
    let mut state = State::new(room, kind, Utc::now());
    let mut files = SessionFiles::new(FileOptions {
        summary_dir: common.summary_dir.clone(),
        journal: common.journal.clone(),
        no_journal: common.no_journal,
    });
    let reason = if common.headless {
        let opts = headless::HeadlessOptions {
            max_events: common.max_events,
        };
        headless::run(&mut state, &mut rx, &mut signals, &opts, &mut files).await
    } else {
        tui::run(
            &mut state,
            &mut rx,
            &mut signals,
            &mut files,
            common.max_events,
        )
        .await
    };
    // In-flight requests are cancelled, not awaited.
    task.abort();
    files.finish(&state, &reason, Utc::now());
    report_end(&reason);
    Ok(reason)
}

fn start_source(command: Command) -> Result<(StartedSource, CommonArgs), RunError> {
    let (tx, rx) = mpsc::channel(sources::CHANNEL_BATCHES);
    match command {
        Command::Demo { seed, rate, common } => {
            if !(rate.is_finite() && rate >= 0.0) {
                return Err(RunError::usage(format!(
                    "--rate must be a number of events per second ≥ 0, got {rate}"
                )));
            }
            let cfg = simulator::SimConfig {
                seed,
                rate,
                ..simulator::SimConfig::default()
            };
            let room = cfg.room.clone();
            let task = tokio::spawn(simulator::run(cfg, tx));
            Ok((
                StartedSource {
                    rx,
                    task,
                    room,
                    kind: SourceKind::Simulator,
                },
                common,
            ))
        }
        Command::Chaturbate { .. } => Err(RunError::usage(
            "the Chaturbate source is not available in this build yet",
        )),
        Command::Replay { .. } => Err(RunError::usage("replay is not available in this build yet")),
    }
}

fn report_end(reason: &ExitReason) {
    match reason {
        ExitReason::FatalError(text) => {
            eprintln!("roomwatch: {}", crate::mask::scrub(text));
        }
        ExitReason::CredentialsRefused => eprintln!(
            "roomwatch: the platform refused the credentials (HTTP 401/403). Create a new token with the \
             \"Events API\" scope at https://chaturbate.com/statsapi/authtoken/ and set CB_EVENTS_URL to its URL."
        ),
        _ => {}
    }
}
