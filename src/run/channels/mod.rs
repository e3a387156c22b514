//! `roomwatch channels`: Twitch channels' live status by poll-and-diff, one JSON line per change on stdout
//! (DESIGN.md "Channel watch"). The snapshot is kept in `<state dir>/watch/` so a restart reports what changed
//! while roomwatch was off instead of announcing everything again. Without `--headless` the same changes feed the
//! table (`app::channels`, drawn by `ui::channels`).

use super::serve::Serving;
use super::signals::Signals;
use super::RunError;
use crate::app::channels::ChannelBoard;
use crate::app::{ExitReason, Msg, State};
use crate::config::Config;
use crate::sources::supervisor::AbortOnDrop;
use crate::sources::twitch::channels::watched_login;
use crate::sources::twitch::token::AppToken;
use crate::sources::watch::channels::{ChannelChange, Channels};
use crate::sources::watch::engine::{Timing, MIN_INTERVAL};
use crate::sources::watch::{self, SnapshotStore, WatchMsg};
use crate::stderr::say;
use chrono::Utc;
use std::io::Write;
use std::time::Duration;
use tokio::sync::mpsc;

mod auth;
mod output;
mod webhooks;

pub use auth::client_secret;
use auth::{known_only, PollAuth};
pub use output::{say_headless, write_lines};
use webhooks::{check_callback, subscribe_webhooks, webhook};

/// The longest `--interval`: a day.
const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// Most channels one session watches (10 requests of 100 per poll).
pub const MAX_CHANNELS: usize = 1000;

/// The logins of `twitch:NAME` (or `NAME`) arguments, checked, lower-case, each once.
pub fn logins(args: &[String]) -> Result<Vec<String>, RunError> {
    let mut out: Vec<String> = Vec::new();
    for a in args {
        let name = watched_login(a).map_err(RunError::usage)?;
        if !out.contains(&name) {
            out.push(name);
        }
    }
    if out.len() > MAX_CHANNELS {
        return Err(RunError::usage(format!(
            "at most {MAX_CHANNELS} channels, got {}",
            out.len()
        )));
    }
    Ok(out)
}

/// `roomwatch channels`' own options.
pub struct WatchArgs<'a> {
    pub interval: u64,
    pub viewer_step: u64,
    pub webhook_callback: Option<&'a str>,
    pub channels: &'a [String],
    /// The channels whose going live rings the bell (logins).
    pub alerts: &'a [String],
}

/// A started channel watch: its messages (for the `Inbox`), its table, and what stops it.
pub struct StartedWatch {
    pub rx: mpsc::Receiver<WatchMsg<ChannelChange, Channels>>,
    /// The table, with the watched channels and their alerts (the session's `State.channels`).
    pub board: ChannelBoard,
    task: AbortOnDrop,
    stop: tokio::sync::watch::Sender<bool>,
    _webhooks: Option<AbortOnDrop>,
}

/// `roomwatch channels`: the watch alone, on the table or headless.
pub async fn run(
    args: WatchArgs<'_>,
    headless: bool,
    config: &Config,
    signals: &mut Signals,
    serving: &mut Option<Serving>,
) -> Result<ExitReason, RunError> {
    let started = match start(args, config, serving).await? {
        Ok(w) => w,
        Err(reason) => return Ok(reason),
    };
    let mut state = State::with_rooms(Vec::new(), Utc::now(), config.settings.clone());
    state.live.serving = serving.as_ref().map(|s| s.addr().to_string());
    let mut inbox = super::rooms::Inbox::new(Vec::new());
    let watch = started.attach(&mut inbox, &mut state);
    let runner = async {
        if headless {
            let opts = super::headless::HeadlessOptions { max_events: None };
            super::headless::run(&mut state, &mut inbox, signals, &opts, &mut [], serving).await
        } else {
            super::tui::run(&mut state, &mut inbox, signals, &mut [], serving, None).await
        }
    };
    // A panic in the runner still ends here, so the summary is written (as for rooms).
    let reason = super::exit::catch_panic(runner)
        .await
        .unwrap_or(ExitReason::Panic);
    watch
        .finish(&mut inbox, &mut state, serving, headless)
        .await;
    write_summary(&state, &reason, config);
    Ok(reason)
}

/// Starts the watch of `args`' channels: credentials, the channels Twitch knows (`Ok(Err(reason))` when the
/// credentials are refused), the webhooks if asked, and the polling task.
pub async fn start(
    args: WatchArgs<'_>,
    config: &Config,
    serving: &mut Option<Serving>,
) -> Result<Result<StartedWatch, ExitReason>, RunError> {
    let WatchArgs {
        interval,
        viewer_step,
        webhook_callback,
        channels,
        alerts,
    } = args;
    let logins = logins(channels)?;
    let interval = Duration::from_secs(interval);
    if !(MIN_INTERVAL..=MAX_INTERVAL).contains(&interval) {
        return Err(RunError::usage(format!(
            "--interval must be between {} s (Helix's rate limit is shared by every tool of the account) and {} s",
            MIN_INTERVAL.as_secs(),
            MAX_INTERVAL.as_secs()
        )));
    }
    // An app token (client credentials) when the application's secret is given: no login needed.
    let app = client_secret().map(AppToken::new);
    // Checked before anything is sent: a webhook needs the receiver, an app token and a URL Twitch calls.
    let webhooks = match webhook_callback {
        None => None,
        Some(url) => {
            let serving = serving.as_ref().ok_or_else(|| {
                RunError::usage(
                    "--webhook-callback needs --serve: its POST /eventsub receives the webhooks",
                )
            })?;
            let callback = check_callback(url)?;
            let app = app.clone().ok_or_else(|| {
                RunError::usage(
                    "--webhook-callback needs an app token: set TWITCH_CLIENT_SECRET to your application's \
                     client secret (dev.twitch.tv/console)",
                )
            })?;
            Some((callback, app, serving.webhook_secret.clone()))
        }
    };
    let (http, auth) = match &app {
        Some(app) => (super::twitch::http(config)?, PollAuth::App(app.clone())),
        None => {
            let mut login = super::twitch::Logins::default();
            let (_, cfg) =
                super::twitch::prepare(None, &super::twitch::default_source(), &mut login, config)
                    .await?;
            (cfg.http.clone(), PollAuth::User(cfg.token.clone()))
        }
    };
    let Some(known) = known_only(&http, &auth, logins).await else {
        return Ok(Err(ExitReason::CredentialsRefused));
    };
    let logins: Vec<String> = known.iter().map(|w| w.login.clone()).collect();
    if logins.is_empty() {
        return Err(RunError::usage(
            "Twitch knows none of these channels: check the names",
        ));
    }
    let webhooks = webhooks.map(|(callback, app, secret)| {
        AbortOnDrop(tokio::spawn(subscribe_webhooks(
            http.clone(),
            app,
            logins.clone(),
            callback,
            secret,
        )))
    });
    // One snapshot for Twitch: a channel added to the list is new (reported as initial), one taken out is
    // dropped at the next save, and the others keep their state across the change.
    let store = (config.paths.cursor_dir.as_ref())
        .and_then(|d| d.parent())
        .map(|state| state.join("watch").join("twitch.json"))
        .map(SnapshotStore::new);
    let timing = Timing {
        interval,
        ..Timing::default()
    };
    let watched = logins.clone();
    let (tx, rx) = mpsc::channel::<WatchMsg<ChannelChange, Channels>>(16);
    // Renames are said once each (the channel stays watched, and reported, under the name it was given).
    let told = std::sync::Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let hooked = known.clone();
    let fetch = move || {
        let (http, auth, known, told) = (http.clone(), auth.clone(), known.clone(), told.clone());
        async move {
            let access = auth.access(&http).await?;
            match http.channels(&access, &known, viewer_step).await {
                Ok((s, renamed)) => {
                    auth.worked(&access).await;
                    for (was, now) in renamed {
                        if told
                            .lock()
                            .is_ok_and(|mut t| t.insert((was.clone(), now.clone())))
                        {
                            say(&format!(
                                "roomwatch: Twitch now calls {was} {now}; still watched (and reported) as {was}"
                            ));
                        }
                    }
                    Ok(s)
                }
                Err((failure, status)) => {
                    if status == Some(401) {
                        auth.renew(&http, &access).await?;
                    }
                    Err(failure)
                }
            }
        }
    };
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let poll_now = std::sync::Arc::new(tokio::sync::Notify::new());
    let task = AbortOnDrop(tokio::spawn(watch::run::<Channels, _, _>(
        timing,
        store,
        fetch,
        tx,
        stopping,
        poll_now.clone(),
    )));
    if let Some(s) = serving.as_mut() {
        s.on_webhook(move |hook| webhook(hook, &hooked, &poll_now));
    }
    let alerts = (alerts.iter()).filter(|a| watched.contains(a)).cloned();
    Ok(Ok(StartedWatch {
        rx,
        board: ChannelBoard::new(&watched, alerts),
        task,
        stop,
        _webhooks: webhooks,
    }))
}

/// What keeps a started watch until the session ends.
pub struct RunningWatch {
    task: AbortOnDrop,
    stop: tokio::sync::watch::Sender<bool>,
    _webhooks: Option<AbortOnDrop>,
}

impl StartedWatch {
    /// Hands the messages to `inbox` and the table to `state`.
    pub fn attach(self, inbox: &mut super::rooms::Inbox, state: &mut State) -> RunningWatch {
        state.channels = Some(self.board);
        inbox.watch = super::rooms::WatchInbox::new(self.rx);
        RunningWatch {
            task: self.task,
            stop: self.stop,
            _webhooks: self._webhooks,
        }
    }
}

impl RunningWatch {
    /// Stops the watch at its next safe point (what it reported is saved with its snapshot) and takes its last
    /// messages, a few seconds at most, so that it never waits on a full channel: their lines go to stdout
    /// when headless (to the API's clients either way) and the table counts them for the summary.
    pub async fn finish(
        self,
        inbox: &mut super::rooms::Inbox,
        state: &mut State,
        serving: &Option<Serving>,
        headless: bool,
    ) {
        let _ = self.stop.send(true);
        let drained = async {
            let mut stdout = std::io::stdout().lock();
            let mut sink = std::io::sink();
            let out: &mut dyn Write = if headless { &mut stdout } else { &mut sink };
            // A channel already closed (the watch stopped by itself) has nothing more to give.
            while inbox.watch.is_open() {
                let Some(msg) = inbox.watch.next().await else {
                    break;
                };
                if write_lines(out, serving, &msg)
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    break;
                }
                if headless {
                    say_headless(&msg, state.rooms.is_empty());
                }
                if !matches!(msg, WatchMsg::Notice(_)) {
                    crate::app::update(state, Msg::Watch(msg), Utc::now());
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(5), drained).await;
        drop(self.task);
    }
}

/// The watch's channel closed after it said why it stopped, beside rooms that go on.
pub fn stopped_by_itself(state: &State) -> bool {
    (state.channels.as_ref()).is_some_and(|b| b.stopped.is_some())
}

/// The watch's channel closed without a word: its task panicked.
pub fn vanished() -> ExitReason {
    ExitReason::FatalError(
        "the channel watch stopped on an internal error; please report this bug".into(),
    )
}

/// Writes the session's summary pair (who was live, when, peak viewers) and says where on stderr.
pub fn write_summary(state: &State, reason: &ExitReason, config: &Config) {
    use crate::effects::channels_summary;
    let Some(board) = &state.channels else {
        return;
    };
    let now = Utc::now();
    let summary = channels_summary::build(board, state.started_at, now, reason);
    let dir = crate::effects::summary_dir(config.paths.summary_dir.as_deref());
    let written = channels_summary::write(&dir, &summary, state.started_at)
        .map_err(|e| format!("{}: {e}", dir.display()));
    if let Err(e) = &written {
        tracing::warn!(error = %e, "channel watch summary not written");
    }
    for line in channels_summary::end_report(&summary, written.as_ref().map_err(Clone::clone)) {
        say(&line);
    }
}
