//! `roomwatch channels`: Twitch channels' live status by poll-and-diff, one JSON line per change on stdout
//! (DESIGN.md "Channel watch"). The snapshot is kept in `<state dir>/watch/` so a restart reports what changed
//! while roomwatch was off instead of announcing everything again. Without `--headless` the same changes feed the
//! table (`app::channels`, drawn by `ui::channels`).

use super::serve::Serving;
use super::signals::Signals;
use super::RunError;
use crate::api::eventsub::Webhook;
use crate::app::channels::ChannelBoard;
use crate::app::{ExitReason, Msg, State};
use crate::config::Config;
use crate::event::format_at;
use crate::sources::supervisor::AbortOnDrop;
use crate::sources::twitch::auth::TwitchHttp;
use crate::sources::twitch::channels::{watched_login, Watched};
use crate::sources::twitch::token::{AppToken, NoAppToken, Refreshed};
use crate::sources::watch::channels::{ChannelChange, Channels};
use crate::sources::watch::engine::{Failure, Health, Report, Timing, MIN_INTERVAL};
use crate::sources::watch::{self, SnapshotStore, WatchMsg};
use crate::stderr::say;
use chrono::Utc;
use serde_json::{json, Value};
use std::io::Write;
use std::time::Duration;
use tokio::sync::mpsc;

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

/// The change line: `{"source":"twitch","room":…,"kind":…,"at":…,"data":{…}}`.
fn line(room: &str, kind: &str, at: chrono::DateTime<chrono::Utc>, data: Value) -> Value {
    json!({"source": "twitch", "room": room, "kind": kind, "at": format_at(at), "data": data})
}

/// Writes one line to stdout and hands it to the API's clients (as the same bytes, without the newline).
fn emit(
    out: &mut (impl Write + ?Sized),
    serving: &Option<Serving>,
    room: &str,
    kind: &'static str,
    value: &Value,
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(256);
    crate::event::write_terminal_safe(&mut buf, value)?;
    out.write_all(&buf)?;
    if let Some(s) = serving {
        buf.pop();
        s.publish_as(
            room,
            "twitch",
            kind,
            String::from_utf8(buf).unwrap_or_default(),
        );
    }
    Ok(())
}

fn write_changes(
    out: &mut (impl Write + ?Sized),
    serving: &Option<Serving>,
    changes: Vec<ChannelChange>,
    while_off: bool,
    at: chrono::DateTime<chrono::Utc>,
) -> std::io::Result<()> {
    // `at` is when the poll that found the change was made.
    changes.into_iter().try_for_each(|c| {
        let mut data = c.data;
        if while_off {
            data["while_off"] = json!(true);
        }
        emit(
            out,
            serving,
            &c.channel,
            c.kind,
            &line(&c.channel, c.kind, at, data),
        )
    })
}

/// Writes the change lines of a watch message (its changes, or the end of an outage) to `out` and the API's
/// clients; other messages have none.
pub fn write_lines(
    out: &mut (impl Write + ?Sized),
    serving: &Option<Serving>,
    msg: &WatchMsg<ChannelChange, Channels>,
) -> std::io::Result<()> {
    match msg {
        WatchMsg::Report(Report::Changes {
            changes,
            while_off,
            at,
        }) => write_changes(out, serving, changes.clone(), *while_off, *at),
        WatchMsg::Report(Report::Recovered { from, to }) => emit(
            out,
            serving,
            "twitch",
            "unreachable",
            &line(
                "twitch",
                "unreachable",
                *to,
                json!({"from": format_at(*from), "to": format_at(*to)}),
            ),
        ),
        _ => Ok(()),
    }
}

/// A webhook message: a watched channel's `stream.online`/`stream.offline` polls at once, so the change is
/// reported by the one diff (never twice, and the poll stays the truth); a revocation is said on stderr.
fn webhook(hook: &Webhook, watched: &[Watched], poll_now: &tokio::sync::Notify) {
    match hook {
        Webhook::Notification {
            subscription_type,
            event,
            ..
        } => {
            let login = event["broadcaster_user_login"].as_str().unwrap_or("");
            let id = event["broadcaster_user_id"].as_str();
            let about_stream = matches!(
                subscription_type.as_str(),
                "stream.online" | "stream.offline"
            );
            // By id where known: a renamed channel's webhooks carry its new login.
            let ours = |w: &Watched| match (&w.id, id) {
                (Some(mine), Some(theirs)) => mine == theirs,
                _ => w.login.eq_ignore_ascii_case(login),
            };
            if about_stream && watched.iter().any(ours) {
                poll_now.notify_one();
            } else {
                super::serve::unwatched_webhook(hook);
            }
        }
        Webhook::Revoked {
            subscription_type,
            status,
        } => say(&format!(
            "roomwatch: Twitch ended the webhook subscription {} ({}); polling goes on",
            crate::sanitize::clean(subscription_type),
            crate::sanitize::clean(status)
        )),
    }
}

/// A `--webhook-callback`: Twitch calls only HTTPS on port 443; plain HTTP is taken on loopback only (a local
/// proxy, a test).
fn check_callback(text: &str) -> Result<String, RunError> {
    let bad = || {
        RunError::usage(format!(
            "--webhook-callback {} is not an https:// URL on port 443 (Twitch calls nothing else)",
            crate::sanitize::clean(text)
        ))
    };
    let url = url::Url::parse(text).map_err(|_| bad())?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" if url.port().is_none_or(|p| p == 443) => Ok(url.to_string()),
        "http" if loopback => Ok(url.to_string()),
        _ => Err(bad()),
    }
}

/// `TWITCH_CLIENT_SECRET`, when set: the channel watch then uses an app token.
pub fn client_secret() -> Option<String> {
    (std::env::var("TWITCH_CLIENT_SECRET").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// How the polls authenticate: the `twitch login` token (refreshed) or an app token (asked for again).
#[derive(Clone)]
enum PollAuth {
    User(std::sync::Arc<crate::sources::twitch::token::SharedToken>),
    App(std::sync::Arc<AppToken>),
}

impl PollAuth {
    async fn access(&self, http: &TwitchHttp) -> Result<String, Failure> {
        match self {
            PollAuth::User(t) => Ok(t.current().await.access),
            PollAuth::App(a) => a.current(http).await.map_err(no_app_token),
        }
    }

    async fn worked(&self, access: &str) {
        if let PollAuth::App(a) = self {
            a.worked(access).await;
        }
    }

    /// After a 401: a new token, or `Refused` when none can be had.
    async fn renew(&self, http: &TwitchHttp, seen: &str) -> Result<(), Failure> {
        match self {
            PollAuth::User(t) => match t.refresh(http, seen).await {
                Refreshed::Refused => Err(Failure::Refused),
                _ => Ok(()),
            },
            PollAuth::App(a) => a.renew(http, seen).await.map(drop).map_err(no_app_token),
        }
    }
}

fn no_app_token(e: NoAppToken) -> Failure {
    match e {
        NoAppToken::Refused(why) => {
            say(&format!(
                "roomwatch: Twitch refused the app token ({why}): check TWITCH_CLIENT_ID and TWITCH_CLIENT_SECRET"
            ));
            Failure::Refused
        }
        NoAppToken::Later(why) => Failure::Unreachable(why),
    }
}

/// The channels Twitch knows, with their ids (polled by id, so a rename does not lose one): the others are said
/// once and not polled (DESIGN.md: "reported once and dropped from polling until the config changes"). When
/// Twitch cannot be asked, all are kept (polled by login). `None` when the credentials are refused.
async fn known_only(
    http: &TwitchHttp,
    auth: &PollAuth,
    logins: Vec<String>,
) -> Option<Vec<Watched>> {
    let by_login = |logins: Vec<String>| {
        let all = logins.into_iter().map(|login| Watched { login, id: None });
        Some(all.collect())
    };
    let asked = match auth.access(http).await {
        Ok(access) => match http.users_by_login(&access, &logins).await {
            // A stored token past its hours: refreshed once, as a poll would, and asked again.
            Err(e) if e.status() == Some(401) => match auth.renew(http, &access).await {
                Err(Failure::Refused) => return None,
                _ => match auth.access(http).await {
                    Ok(fresh) => http.users_by_login(&fresh, &logins).await,
                    Err(_) => Err(e),
                },
            },
            other => other,
        },
        Err(Failure::Refused) => return None,
        Err(f) => {
            // Only "no app token yet" reaches here (a user token is at hand; a refusal returned above).
            let why = match f {
                Failure::Unreachable(why) => why,
                _ => "no app token".into(),
            };
            say(&format!(
                "roomwatch: cannot check the channel names now ({why}); all of them are watched"
            ));
            return by_login(logins);
        }
    };
    let users = match asked {
        Ok(u) => u,
        Err(e) => {
            say(&format!(
                "roomwatch: cannot check the channel names now ({e}); all of them are watched"
            ));
            return by_login(logins);
        }
    };
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for login in logins {
        match users.iter().find(|u| u.login.eq_ignore_ascii_case(&login)) {
            Some(u) => known.push(Watched {
                login,
                id: Some(u.id.clone()),
            }),
            None => unknown.push(login),
        }
    }
    if !unknown.is_empty() {
        say(&format!(
            "roomwatch: Twitch knows no channel named {}; not watched",
            unknown.join(", ")
        ));
    }
    Some(known)
}

/// Helix allows 800 requests a minute to an app: creating subscriptions takes about half, the polls share the
/// rest.
const SUBSCRIBE_GAP: Duration = Duration::from_millis(150);

/// Creates the `stream.online`/`stream.offline` webhook subscriptions of the watched channels with an app token,
/// and says on stderr how it went. Polling does not depend on it: any failure is said, and the watch goes on.
async fn subscribe_webhooks(
    http: TwitchHttp,
    app: std::sync::Arc<AppToken>,
    logins: Vec<String>,
    callback: String,
    secret: String,
) {
    use crate::sources::twitch::helix::Created;
    // Twitch out of reach at start: tried again later (the polls go on meanwhile); a refusal ends it.
    let mut wait = Duration::from_secs(30);
    let (app, users) = loop {
        let looked_up = match app.current(&http).await {
            Ok(t) => (http.users_by_login(&t, &logins).await)
                .map(|u| (t, u))
                .map_err(|e| e.to_string()),
            Err(NoAppToken::Refused(e)) => {
                say(&format!(
                    "roomwatch: webhooks: Twitch refused the app token ({e}); check TWITCH_CLIENT_SECRET. \
                     Polling goes on"
                ));
                return;
            }
            Err(NoAppToken::Later(e)) => Err(e),
        };
        match looked_up {
            Ok(got) => break got,
            Err(e) => {
                say(&format!(
                    "roomwatch: webhooks: Twitch did not answer ({e}); trying again in {} s",
                    wait.as_secs()
                ));
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(600));
            }
        }
    };
    // The watch already said which logins Twitch does not know; they are not in `logins`.
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    let (mut created, mut kept, mut replaced, mut failed) = (0u32, 0u32, 0u32, Vec::new());
    'all: for kind in WEBHOOK_TYPES {
        // Twitch keeps one subscription per type and channel whatever its callback (a 409 says nothing about
        // it): ours at this URL and enabled are kept, others for these channels (an old tunnel URL, a failed
        // verification) are deleted and made anew.
        let existing = match http.webhook_subscriptions(&app, kind).await {
            Ok(list) => list,
            Err(e) => {
                failed.push(format!("listing {kind}: {e}"));
                Vec::new()
            }
        };
        for user in &users {
            let mine: Vec<_> = (existing.iter())
                .filter(|w| w.broadcaster_user_id == user.id)
                .collect();
            if mine
                .iter()
                .any(|w| w.callback == callback && w.status == "enabled")
            {
                kept += 1;
                continue;
            }
            for old in mine {
                if let Err(e) = http.delete_subscription(&app, &old.id).await {
                    failed.push(format!("{} {kind} (deleting the old one): {e}", user.login));
                }
                replaced += 1;
                tokio::time::sleep(SUBSCRIBE_GAP).await;
            }
            let body = json!({
                "type": kind,
                "version": "1",
                "condition": {"broadcaster_user_id": user.id},
                "transport": {"method": "webhook", "callback": callback, "secret": secret},
            });
            // Helix's bucket refills within a minute: a 429 waits one and tries again (three times at most).
            let mut tries = 0;
            let result = loop {
                match http.create_subscription(&app, &body).await {
                    Err(e) if e.status() == Some(429) && tries < 3 => {
                        tries += 1;
                        tokio::time::sleep(Duration::from_secs(60)).await;
                    }
                    other => break other,
                }
            };
            match result {
                Ok(Created::Enabled) => created += 1,
                Ok(Created::AlreadyThere) => kept += 1,
                Err(e) => {
                    let refused = matches!(e.status(), Some(401 | 403));
                    failed.push(format!("{} {kind}: {e}", user.login));
                    if refused {
                        break 'all;
                    }
                }
            }
            tokio::time::sleep(SUBSCRIBE_GAP).await;
        }
    }
    let failures = match failed.len() {
        0 => String::new(),
        n => format!("; {n} failed, first: {}", failed[0]),
    };
    say(&format!(
        "roomwatch: webhooks to {callback}: {created} subscriptions created ({replaced} old ones replaced), \
         {kept} already there{failures}"
    ));
    if created == 0 {
        return;
    }
    // Twitch enables a new subscription only once its challenge reached roomwatch through the URL: say how
    // that went, so a wrong proxy path does not pass for working webhooks.
    tokio::time::sleep(VERIFY_WITHIN).await;
    let mut enabled = 0;
    let mut pending_or_failed = 0;
    for kind in WEBHOOK_TYPES {
        if let Ok(list) = http.webhook_subscriptions(&app, kind).await {
            for w in list
                .iter()
                .filter(|w| w.callback == callback && ids.contains(&w.broadcaster_user_id.as_str()))
            {
                if w.status == "enabled" {
                    enabled += 1;
                } else {
                    pending_or_failed += 1;
                }
            }
        }
    }
    if pending_or_failed > 0 {
        say(&format!(
            "roomwatch: webhooks: {pending_or_failed} subscriptions are not enabled (Twitch's check of {callback} \
             did not reach roomwatch: is the proxy passing it to /eventsub?); {enabled} are"
        ));
    }
}

/// The webhook subscriptions of a watched channel.
const WEBHOOK_TYPES: [&str; 2] = ["stream.online", "stream.offline"];
/// How long Twitch gets to verify new subscriptions before roomwatch looks.
const VERIFY_WITHIN: Duration = Duration::from_secs(15);

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

/// A watch message said on stderr when headless (the table shows these on screen): notices, the platform's
/// health as it changes, and, beside rooms (`alone` false), why the watch stopped (alone, that is the session's
/// end, which the runner says).
pub fn say_headless(msg: &WatchMsg<ChannelChange, Channels>, alone: bool) {
    match msg {
        WatchMsg::Notice(text) => say(&format!("roomwatch: {text}")),
        WatchMsg::Refused if !alone => say(
            "roomwatch: the channel watch stopped: Twitch refused the login (run `roomwatch twitch login`); the rooms go on",
        ),
        WatchMsg::Fatal(why) if !alone => say(&format!(
            "roomwatch: the channel watch stopped: {}; the rooms go on",
            crate::sanitize::clean(why)
        )),
        WatchMsg::Report(Report::Health { health, last_good }) => {
            let since = last_good
                .map(|t| format!(" (last good poll {})", format_at(t)))
                .unwrap_or_default();
            say(&format!(
                "roomwatch: Twitch is {}{since}",
                match health {
                    Health::Good => "reachable again",
                    Health::Degraded => "degraded: polls fail; changes are held until one works",
                    Health::Maintenance => "in maintenance: changes are held until it ends",
                }
            ));
        }
        _ => {}
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_callback_is_https_on_443_or_loopback_http() {
        assert_eq!(
            check_callback("https://stream.example.com/eventsub").unwrap(),
            "https://stream.example.com/eventsub"
        );
        assert!(check_callback("https://example.com:443/x").is_ok());
        assert!(check_callback("http://127.0.0.1:7797/eventsub").is_ok());
        assert!(check_callback("http://localhost:7797/eventsub").is_ok());
        for bad in [
            "http://example.com/eventsub",
            "https://example.com:8443/eventsub",
            "ftp://example.com/",
            "example.com/eventsub",
            "",
        ] {
            let err = check_callback(bad).unwrap_err();
            assert_eq!(err.code, 2, "{bad}");
            assert!(err.message.contains("port 443"), "{}", err.message);
        }
    }
}
