//! Wiring: builds the source, the state and the runner (headless or TUI) from the command line, and maps
//! the way the session ended to an exit code.

pub mod channels;
pub mod exit;
pub mod headless;
mod latency;
pub mod rooms;
pub mod serve;
pub mod signals;
pub mod tui;
pub mod twitch;

use crate::app::msg::exit_code;
use crate::app::{ExitReason, State};
use crate::cli::{Cli, Command};
use crate::config::rooms::RoomSpec;
use crate::effects::SessionFiles;
use crate::event::{RoomKey, SourceKind};
use crate::sources::{self, replay, simulator};
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

/// Pane history kept in headless mode (nothing is drawn; see `run_inner`).
const HEADLESS_HISTORY: usize = 16;

/// Runs the whole program for a parsed command line; returns the exit code.
pub async fn run(cli: Cli) -> i32 {
    exit::install_panic_hook();
    if let Some(code) = run_utility(&cli.command) {
        return code;
    }
    if let Command::Twitch {
        account: Some(action),
        ..
    } = &cli.command
    {
        return twitch::account(action).await;
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
        Command::ApiUrl { serve, config } => serve::print_urls(*serve, config.clone()),
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
    // Bound before anything starts: a taken port changes nothing.
    let mut serving = match common.serve {
        Some(addr) => {
            let opts = crate::api::ServeOptions {
                addr,
                public: common.serve_public,
            };
            Some(serve::start(&opts, &config)?)
        }
        None => None,
    };
    if let Command::Channels {
        interval,
        viewer_step,
        webhook_callback,
        channels,
        ..
    } = &cli.command
    {
        // The command line wins over `[watch]`; its alerts apply to whichever list is watched.
        let watch = &config.watch;
        let channels = if channels.is_empty() {
            &watch.channels
        } else {
            channels
        };
        if channels.is_empty() {
            return Err(RunError::usage(
                "no channel to watch: name them (roomwatch channels twitch:NAME …) or list them in the \
                 config's [watch] channels",
            ));
        }
        let args = channels::WatchArgs {
            interval: interval
                .or(watch.interval.map(|d| d.as_secs()))
                .unwrap_or(60),
            viewer_step: viewer_step.or(watch.viewer_step).unwrap_or(100),
            webhook_callback: webhook_callback.as_deref(),
            channels,
            alerts: &watch.alerts,
        };
        let reason =
            channels::run(args, common.headless, &config, &mut signals, &mut serving).await?;
        tracing::info!(?reason, "channel watch ended");
        say_watch_end(&reason, "");
        return Ok(reason);
    }
    // `watch` with channels in `[watch]` also runs the channel watch: its table is a pane of the live screen.
    // Its credentials are checked before any room starts, as the rooms' are.
    let with_channels =
        matches!(cli.command, Command::Watch { .. }) && !config.watch.channels.is_empty();
    let channel_watch = if with_channels {
        let watch = &config.watch;
        let args = channels::WatchArgs {
            interval: watch.interval.map_or(60, |d| d.as_secs()),
            viewer_step: watch.viewer_step.unwrap_or(100),
            webhook_callback: None,
            channels: &watch.channels,
            alerts: &watch.alerts,
        };
        match channels::start(args, &config, &mut serving).await? {
            Ok(w) => Some(w),
            Err(reason) => {
                say_watch_end(&reason, "[watch] channels: ");
                return Ok(reason);
            }
        }
    } else {
        None
    };
    // A Chaturbate room writes its journal unless `--no-journal` (`exit::file_options`).
    let started = start_rooms(cli.command, &config, !common.no_journal).await?;
    let mut tasks = Tasks(started.iter().map(|r| r.task.abort_handle()).collect());
    let replay = started.iter().any(|r| r.replay_of.is_some());
    let mut files: Vec<SessionFiles> = (started.iter())
        .map(|r| {
            SessionFiles::new(exit::file_options(
                &common,
                &config,
                r.replay_of.clone(),
                r.save_cursor,
            ))
        })
        .collect();
    let mut settings = config.settings.clone();
    if common.headless {
        // No screen, no scrollback: the panes keep only a token history. The totals and the summary come
        // from the session statistics, which stay exact; this keeps headless memory small and flat.
        settings.history_per_pane = HEADLESS_HISTORY;
    }
    let keys = started.iter().map(|r| r.key.clone()).collect();
    let mut state = State::with_rooms(keys, Utc::now(), settings);
    state.live.replay = replay;
    if let Some(s) = serving.as_mut() {
        s.set_rooms(&state);
        state.live.serving = Some(s.addr().to_string());
    }
    for (f, room) in files.iter_mut().zip(&state.rooms) {
        f.open(room).map_err(RunError::fatal)?;
    }
    let mut _locks = Vec::new();
    let mut channels = Vec::new();
    for r in started {
        _locks.extend(r.room_lock);
        channels.push((r.key, r.rx));
    }
    let mut inbox = rooms::Inbox::new(channels);
    let channel_watch = channel_watch.map(|w| w.attach(&mut inbox, &mut state));
    let runner = async {
        if common.headless {
            let opts = headless::HeadlessOptions {
                max_events: common.max_events,
            };
            headless::run(
                &mut state,
                &mut inbox,
                &mut signals,
                &opts,
                &mut files,
                &mut serving,
            )
            .await
        } else {
            tui::run(
                &mut state,
                &mut inbox,
                &mut signals,
                &mut files,
                &mut serving,
                common.max_events,
            )
            .await
        }
    };
    // A panic anywhere in the runner still ends here, with the state it left, so the summary is written.
    let reason = exit::catch_panic(runner).await.unwrap_or(ExitReason::Panic);
    // In-flight requests are cancelled, not awaited.
    tasks.abort();
    if let Some(w) = channel_watch {
        w.finish(&mut inbox, &mut state, &serving, common.headless)
            .await;
        channels::write_summary(&state, &reason, &config);
    }
    exit::finish_session(&mut files, &mut state, &reason);
    tracing::info!(?reason, "session ended");
    report_end(&reason, &state);
    Ok(reason)
}

/// The source tasks, aborted when the session ends or a start-up error returns early.
struct Tasks(Vec<tokio::task::AbortHandle>);

impl Tasks {
    fn abort(&mut self) {
        for t in self.0.drain(..) {
            t.abort();
        }
    }
}

impl Drop for Tasks {
    fn drop(&mut self) {
        self.abort();
    }
}

fn check_rate(rate: f64) -> Result<(), RunError> {
    if rate == 0.0 || (MIN_RATE..=MAX_RATE).contains(&rate) {
        return Ok(());
    }
    Err(RunError::usage(format!(
        "--rate must be 0 (as fast as possible) or between {MIN_RATE} and {MAX_RATE} events per second, \
         got {rate}"
    )))
}

/// Refuses a room given twice, before anything starts (the second would fight the first for its lock and
/// files).
fn unique_rooms(keys: impl Iterator<Item = RoomKey>) -> Result<(), RunError> {
    let mut seen = std::collections::BTreeSet::new();
    for key in keys {
        if !seen.insert(key.clone()) {
            return Err(RunError::usage(format!(
                "the room {} is given twice; each room runs once per session",
                crate::sanitize::clean(&key.to_string())
            )));
        }
    }
    Ok(())
}

/// A `[[rooms]]` entry checked and ready to start.
enum Prepared {
    Demo(simulator::SimConfig),
    Chaturbate(Box<sources::chaturbate::poller::PollerConfig>),
    Twitch(Box<sources::twitch::session::TwitchConfig>),
}

/// Starts every room of the command. A start-up error stops the rooms already started (their tasks are
/// aborted when the returned rooms drop).
async fn start_rooms(
    command: Command,
    config: &crate::config::Config,
    journal: bool,
) -> Result<Vec<rooms::StartedRoom>, RunError> {
    let paths = &config.paths;
    let started = match command {
        Command::Demo { seed, rate, .. } => {
            check_rate(rate)?;
            vec![rooms::start_demo(simulator::SimConfig {
                seed,
                rate,
                panic_after_batches: exit::fault_source_panic(),
                ..simulator::SimConfig::default()
            })]
        }
        Command::Chaturbate { testbed, fresh, .. } => {
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
            let cfg = sources::chaturbate::configure(&opts).map_err(RunError::usage)?;
            vec![rooms::start_chaturbate(
                cfg,
                fresh,
                journal,
                paths.cursor_dir.as_ref(),
            )?]
        }
        Command::Twitch { channel, .. } => {
            let mut logins = twitch::Logins::default();
            let source = twitch::default_source();
            let (key, cfg) = twitch::prepare(channel, &source, &mut logins, config).await?;
            vec![twitch::start(key, cfg)]
        }
        Command::Watch {
            demo,
            seed,
            rate,
            fresh,
            common,
        } => {
            check_rate(rate)?;
            let specs = rooms::watch_specs(demo, seed, rate, &config.rooms);
            if specs.is_empty() {
                return Err(RunError::usage(
                    "no rooms to watch: add [[rooms]] to the config (see `roomwatch config --print-default`) \
                     or try `roomwatch watch --demo 3`",
                ));
            }
            if specs.len() > 1 && common.journal.is_some() {
                return Err(RunError::usage(
                    "--journal names one file, but each room writes its own journal; leave it out (or use \
                     --no-journal)",
                ));
            }
            // Credentials of every room are read before any room starts: a typo fails fast, with nothing sent.
            let mut logins = twitch::Logins::default();
            let mut prepared = Vec::new();
            for (n, spec) in specs.into_iter().enumerate() {
                prepared.push(match spec {
                    RoomSpec::Chaturbate {
                        name,
                        credentials,
                        testbed,
                    } => {
                        let poller =
                            rooms::chaturbate_config(n, name.as_deref(), &credentials, testbed)?;
                        let key = RoomKey::new(SourceKind::Chaturbate, poller.url.room());
                        (key, Prepared::Chaturbate(Box::new(poller)))
                    }
                    RoomSpec::Twitch {
                        channel,
                        access_env,
                    } => {
                        let source = access_env
                            .map_or(twitch::TokenSource::Stored, twitch::TokenSource::Env);
                        let (key, cfg) = twitch::prepare(channel, &source, &mut logins, config)
                            .await
                            .map_err(|e| RunError {
                                message: format!("rooms[{n}]: {}", e.message),
                                ..e
                            })?;
                        (key, Prepared::Twitch(Box::new(cfg)))
                    }
                    RoomSpec::Demo { name, seed, rate } => {
                        let sim = simulator::SimConfig {
                            seed,
                            rate,
                            room: name,
                            panic_after_batches: exit::fault_source_panic().filter(|_| n == 0),
                        };
                        (
                            RoomKey::new(SourceKind::Simulator, sim.room.clone()),
                            Prepared::Demo(sim),
                        )
                    }
                });
            }
            unique_rooms(prepared.iter().map(|(key, _)| key.clone()))?;
            let mut started = Vec::new();
            for (key, room) in prepared {
                let room = match room {
                    Prepared::Demo(sim) => Ok(rooms::start_demo(sim)),
                    Prepared::Chaturbate(poller) => {
                        rooms::start_chaturbate(*poller, fresh, journal, paths.cursor_dir.as_ref())
                    }
                    Prepared::Twitch(cfg) => Ok(twitch::start(key, *cfg)),
                };
                match room {
                    Ok(room) => started.push(room),
                    Err(e) => {
                        started.iter().for_each(|r| r.task.abort());
                        return Err(e);
                    }
                }
            }
            started
        }
        Command::Replay {
            journals,
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
            if journals.len() > 1 && common.journal.is_some() {
                return Err(RunError::usage(
                    "--journal names one file, but several journals are played; leave it out",
                ));
            }
            let opened = (journals.iter())
                .map(|j| replay::Replay::open(j))
                .collect::<Result<Vec<_>, _>>()
                .map_err(RunError::usage)?;
            unique_rooms((opened.iter()).map(|o| RoomKey::new(o.source, o.room.clone()))).map_err(
                |e| {
                    RunError::usage(format!(
                        "{}; journals of one room play one after the other (one replay each)",
                        e.message
                    ))
                },
            )?;
            let mut started = Vec::new();
            for (opened, journal) in opened.into_iter().zip(journals) {
                let (tx, rx) = mpsc::channel(sources::CHANNEL_BATCHES);
                let key = RoomKey::new(opened.source, opened.room.clone());
                let task = sources::supervisor::spawn(replay::run(opened, pacing, tx.clone()), tx);
                started.push(rooms::StartedRoom {
                    key,
                    rx,
                    task,
                    replay_of: Some(journal),
                    save_cursor: false,
                    room_lock: None,
                });
            }
            started
        }
        Command::Config { .. }
        | Command::Completions { .. }
        | Command::Man
        | Command::ApiUrl { .. }
        | Command::Channels { .. } => {
            return Err(RunError::usage("this command does not run rooms"))
        }
    };
    Ok(started)
}

/// `--max-events`: cuts `batch` to the events still wanted; `true` when the session must end after it.
fn cut_at_max_events(batch: &mut sources::Batch, max: Option<u64>, state: &State) -> bool {
    let Some(max) = max else {
        return false;
    };
    let left = max.saturating_sub(state.events_total());
    if batch.events.len() as u64 >= left {
        batch
            .events
            .truncate(usize::try_from(left).unwrap_or(usize::MAX));
        return true;
    }
    false
}

fn report_end(reason: &ExitReason, state: &State) {
    // The platforms whose refusal ended the session (all rooms' when none says so).
    let refused: Vec<SourceKind> = (state.rooms.iter())
        .filter(|r| r.ended == Some(ExitReason::CredentialsRefused))
        .map(|r| r.key.platform)
        .collect();
    let kinds = if refused.is_empty() {
        state.rooms.iter().map(|r| r.key.platform).collect()
    } else {
        refused
    };
    if let Some(text) = why(reason, &kinds) {
        crate::stderr::say(&format!("roomwatch: {text}"));
    }
}

/// What the user should read about an end that was not a normal one (`None` for a normal end); `kinds` are the
/// platforms concerned (each says what to do about refused credentials).
pub fn why(reason: &ExitReason, kinds: &[SourceKind]) -> Option<String> {
    Some(match reason {
        ExitReason::FatalError(text) => text.clone(),
        ExitReason::CredentialsRefused => {
            let mut help: Vec<&str> = (kinds.iter())
                .map(|k| sources::platform::of(*k).refused_help)
                .collect();
            help.dedup();
            help.join(" ")
        }
        ExitReason::SourceFailed => format!(
            "{}. The session summary was written; please report this bug.",
            sources::SourceError::Vanished
        ),
        ExitReason::Panic => format!(
            "internal error ({}). The session summary was written; please report this bug.",
            exit::last_panic().unwrap_or_else(|| "panic".into())
        ),
        _ => return None,
    })
}

/// Why the channel watch ended, on stderr; a refused app token was said with its own advice already (a new
/// login would not help).
fn say_watch_end(reason: &ExitReason, prefix: &str) {
    let said = *reason == ExitReason::CredentialsRefused && channels::client_secret().is_some();
    if let Some(text) = why(reason, &[SourceKind::Twitch]).filter(|_| !said) {
        crate::stderr::say(&format!("roomwatch: {prefix}{text}"));
    }
}
