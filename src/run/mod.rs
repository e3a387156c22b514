//! Wiring: builds the source, the state and the runner (headless or TUI) from the command line, and maps
//! the way the session ended to an exit code.

pub mod exit;
pub mod headless;
pub mod signals;
pub mod tui;

use crate::app::msg::exit_code;
use crate::app::{ExitReason, State};
use crate::cli::{Cli, Command, CommonArgs};
use crate::effects::SessionFiles;
use crate::event::SourceKind;
use crate::sources::{self, replay, simulator, SourceMsg};
use chrono::Utc;
use signals::Signals;
use std::path::PathBuf;
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
            code: exit_code::USAGE,
            message: message.into(),
        }
    }
    pub fn fatal(message: impl Into<String>) -> Self {
        RunError {
            code: exit_code::FATAL,
            message: message.into(),
        }
    }
}

/// `demo --rate` range (besides 0, flat out): slower would wait for days between events, faster is what 0 is for.
const MIN_RATE: f64 = 0.000_001;
const MAX_RATE: f64 = 1_000_000.0;
/// `replay --speed` range: a speed near 0 (`1e-300`) overflowed the replay's clock and froze the screen.
const MIN_SPEED: f64 = 0.001;
const MAX_SPEED: f64 = 100_000.0;

/// A started source: its channel and its task (aborted, not awaited, at the end).
/// Pane history kept in headless mode (nothing is drawn; see `run_inner`).
const HEADLESS_HISTORY: usize = 16;

pub struct StartedSource {
    pub rx: mpsc::Receiver<SourceMsg>,
    pub task: tokio::task::JoinHandle<()>,
    pub room: String,
    pub kind: SourceKind,
    /// The journal being played (replay only).
    pub replay_of: Option<PathBuf>,
    /// Keep the room's resume cursor (the Chaturbate source only).
    pub save_cursor: bool,
    /// The room's lock, held to the end of the session (sources with a resume cursor).
    pub room_lock: Option<crate::effects::room_lock::RoomLock>,
}

/// Runs the whole program for a parsed command line; returns the exit code.
pub async fn run(cli: Cli) -> i32 {
    exit::install_panic_hook();
    if let Some(code) = run_utility(&cli.command) {
        return code;
    }
    match run_inner(cli).await {
        Ok(reason) => reason.exit_code(),
        Err(e) => {
            crate::stderr::say(&format!("roomwatch: {}", e.message));
            e.code
        }
    }
}

/// `config`, `completions` and `man`: no session, no config loading, no logging.
fn run_utility(command: &Command) -> Option<i32> {
    use crate::config::command::{self as config_command, Ask};
    Some(match command {
        Command::Config {
            path,
            print_default,
            check,
            config,
            set,
        } => {
            let ask = match (path, print_default, check) {
                (true, _, _) => Ask::Path,
                (_, true, _) => Ask::PrintDefault,
                _ => Ask::Check,
            };
            config_command::run(ask, config.clone(), set.clone())
        }
        Command::Completions { shell } => {
            crate::manual::completions(*shell, &mut std::io::stdout().lock());
            exit_code::OK
        }
        Command::Man => match crate::manual::man(&mut std::io::stdout().lock()) {
            Ok(()) => exit_code::OK,
            Err(e) => {
                crate::stderr::say(&format!("roomwatch: cannot write the man page: {e}"));
                exit_code::FATAL
            }
        },
        _ => return None,
    })
}

async fn run_inner(cli: Cli) -> Result<ExitReason, RunError> {
    let common = cli.command.common().cloned().unwrap_or_default();
    // Checked before anything starts: no request, no file, no cursor for a session that cannot be shown.
    if !common.headless && !tui::has_terminal() {
        return Err(RunError::usage(
            "no terminal: the live screen needs one (stdin and stdout); use --headless for JSON lines",
        ));
    }
    let config = crate::config::load(&crate::config::LoadOptions::from_cli(&common))
        .map_err(|e| RunError::usage(e.to_string()))?;
    // Held to the end of the run: dropping it flushes the log.
    let _log = crate::logging::init(&crate::logging::LogSetup {
        level: common.log_level.clone(),
        rust_log: std::env::var("RUST_LOG").ok(),
        file: config.paths.log_file.clone(),
        dir: config.paths.log_dir.clone(),
    })
    .map_err(|e| RunError::usage(e.to_string()))?;
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        config = ?config.paths.config_file,
        "roomwatch starting"
    );
    tracing::debug!(settings = ?config.settings, paths = ?config.paths, "effective config");
    let mut signals = Signals::install()
        .map_err(|e| RunError::fatal(format!("cannot install signal handlers: {e}")))?;
    let (source, common) = start_source(cli.command, &config.paths)?;
    let StartedSource {
        mut rx,
        task,
        room,
        kind,
        replay_of,
        save_cursor,
        room_lock: _room_lock,
    } = source;
    let replay = replay_of.is_some();
    let mut files = SessionFiles::new(exit::file_options(&common, &config, replay_of, save_cursor));
    let mut settings = config.settings;
    if common.headless {
        // No screen, no scrollback: the panes keep only a token history. The totals and the summary come
        // from the session statistics, which stay exact; this keeps headless memory small and flat.
        settings.history_per_pane = HEADLESS_HISTORY;
    }
    let mut state = State::with_settings(room, kind, Utc::now(), settings);
    state.live.replay = replay;
    if let Err(e) = files.open(&state) {
        task.abort();
        return Err(RunError::fatal(e));
    }
    let runner = async {
        if common.headless {
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
        }
    };
    // A panic anywhere in the runner still ends here, with the state it left, so the summary is written.
    let reason = exit::catch_panic(runner).await.unwrap_or(ExitReason::Panic);
    // In-flight requests are cancelled, not awaited.
    task.abort();
    exit::finish_session(&mut files, &mut state, &reason);
    tracing::info!(?reason, "session ended");
    report_end(&reason);
    Ok(reason)
}

fn start_source(
    command: Command,
    paths: &crate::config::Paths,
) -> Result<(StartedSource, CommonArgs), RunError> {
    let (tx, rx) = mpsc::channel(sources::CHANNEL_BATCHES);
    match command {
        Command::Demo { seed, rate, common } => {
            if !(rate == 0.0 || (MIN_RATE..=MAX_RATE).contains(&rate)) {
                return Err(RunError::usage(format!(
                    "--rate must be 0 (as fast as possible) or between {MIN_RATE} and {MAX_RATE} events per \
                     second, got {rate}"
                )));
            }
            let cfg = simulator::SimConfig {
                seed,
                rate,
                panic_after_batches: exit::fault_source_panic(),
                ..simulator::SimConfig::default()
            };
            let room = cfg.room.clone();
            let task = sources::supervisor::spawn(simulator::run(cfg, tx.clone()), tx);
            Ok((
                StartedSource {
                    rx,
                    task,
                    room,
                    kind: SourceKind::Simulator,
                    replay_of: None,
                    save_cursor: false,
                    room_lock: None,
                },
                common,
            ))
        }
        Command::Chaturbate {
            testbed,
            fresh,
            common,
        } => {
            let opts = sources::chaturbate::StartOptions {
                testbed,
                fresh,
                // The default file is only read when it exists; a file named in the config must exist.
                credentials_file: paths.credentials_file.clone().filter(|f| {
                    f.exists()
                        || Some(f) != sources::chaturbate::credentials::default_file().as_ref()
                }),
                save_to: paths.credentials_file.clone(),
            };
            let mut cfg = sources::chaturbate::configure(&opts).map_err(RunError::usage)?;
            let room = cfg.url.room().to_string();
            // One process per room, taken before the first request (decisions.md: no read-only second run).
            let store = paths
                .cursor_dir
                .as_ref()
                .map(crate::effects::cursor::CursorStore::new);
            use crate::effects::room_lock::{acquire, LockError};
            let room_lock = match store.as_ref().map(|s| acquire(s.dir(), &room)) {
                None => None,
                Some(Ok(lock)) => Some(lock),
                Some(Err(LockError::Held(why))) => return Err(RunError::usage(why)),
                Some(Err(LockError::Unavailable(why))) => {
                    tracing::warn!("{why}; going on without the room lock");
                    None
                }
            };
            // The room is only known once the URL is read, so the saved cursor is looked up here.
            cfg.start_cursor = store.filter(|_| !fresh).and_then(|s| s.load(&room));
            if let Some(cursor) = &cfg.start_cursor {
                tracing::info!(room = %room, cursor = %cursor, "resuming from the saved cursor");
            }
            let task = sources::chaturbate::poller::spawn(cfg, tx);
            Ok((
                StartedSource {
                    rx,
                    task,
                    room,
                    kind: SourceKind::Chaturbate,
                    replay_of: None,
                    save_cursor: true,
                    room_lock,
                },
                common,
            ))
        }
        Command::Replay {
            journal,
            speed,
            instant,
            common,
        } => {
            let pacing = match (instant, speed) {
                (true, _) => replay::Pacing::Instant,
                (false, Some(x)) if (MIN_SPEED..=MAX_SPEED).contains(&x) => {
                    replay::Pacing::Recorded { speed: x }
                }
                (false, Some(x)) => {
                    return Err(RunError::usage(format!(
                        "--speed must be between {MIN_SPEED} and {MAX_SPEED} (1 = as recorded), got {x}; \
                         use --instant for no waiting"
                    )))
                }
                // Headless output carries no timing: play at once unless a speed is asked for.
                (false, None) if common.headless => replay::Pacing::Instant,
                (false, None) => replay::Pacing::Recorded { speed: 1.0 },
            };
            let opened = replay::Replay::open(&journal).map_err(RunError::usage)?;
            let room = opened.room.clone();
            let kind = opened.source;
            let task = sources::supervisor::spawn(replay::run(opened, pacing, tx.clone()), tx);
            Ok((
                StartedSource {
                    rx,
                    task,
                    room,
                    kind,
                    replay_of: Some(journal),
                    save_cursor: false,
                    room_lock: None,
                },
                common,
            ))
        }
        Command::Config { .. } | Command::Completions { .. } | Command::Man => {
            Err(RunError::usage("this command does not run a session"))
        }
    }
}

/// `--max-events`: cuts `batch` to the events still wanted; `true` when the session must end after it.
fn cut_at_max_events(batch: &mut sources::Batch, max: Option<u64>, state: &State) -> bool {
    let Some(max) = max else {
        return false;
    };
    let left = max.saturating_sub(state.stats.events_total);
    if batch.events.len() as u64 >= left {
        batch
            .events
            .truncate(usize::try_from(left).unwrap_or(usize::MAX));
        return true;
    }
    false
}

fn report_end(reason: &ExitReason) {
    match reason {
        ExitReason::FatalError(text) => {
            crate::stderr::say(&format!("roomwatch: {text}"));
        }
        ExitReason::CredentialsRefused => crate::stderr::say(
            "roomwatch: the platform refused the credentials (HTTP 401/403). Create a new token with the \
             \"Events API\" scope at https://chaturbate.com/statsapi/authtoken/ and set CB_EVENTS_URL to its URL.",
        ),
        ExitReason::SourceFailed => crate::stderr::say(&format!(
            "roomwatch: {}. The session summary was written; please report this bug.",
            sources::SourceError::Vanished
        )),
        ExitReason::Panic => crate::stderr::say(&format!(
            "roomwatch: internal error ({}). The session summary was written; please report this bug.",
            exit::last_panic().unwrap_or_else(|| "panic".into())
        )),
        _ => {}
    }
}
