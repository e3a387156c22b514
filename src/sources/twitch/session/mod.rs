//! The EventSub WebSocket source (twitch.md §2.13): validate the token, connect, create the subscriptions
//! within the welcome's window, then read notifications under a keepalive watchdog. A `session_reconnect` opens
//! the new URL while the old socket keeps delivering until the new welcome (subscriptions move with the
//! session); any other loss reconnects to the base URL with backoff and creates them again. Notifications are
//! de-duplicated by `message_id` across sockets. Only a refused or revoked authorization ends the room.

use super::auth::{ApiError, TwitchHttp, Validation};
use super::helix::Created;
use super::poll;
use super::socket::{self, Socket, SocketEvent, SocketId};
use super::subscriptions::{self, Wanted};
use super::token::{Refreshed, SharedToken, Token};
use crate::event::SourceKind;
use crate::sources::backoff::Backoff;
use crate::sources::dedup::{Dedup, DEFAULT_CAPACITY};
use crate::sources::supervisor::AbortOnDrop;
use crate::sources::{
    Batch, ConnState, ConnStatus, ErrorClass, SocketInfo, SourceError, SourceMsg,
};
use chrono::Utc;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How the source runs. [`TwitchConfig::new`] gives the production defaults; tests shorten the waits.
#[derive(Debug, Clone)]
pub struct TwitchConfig {
    pub http: TwitchHttp,
    /// The login, shared with the other rooms that use it (they refresh it in turn).
    pub token: Arc<SharedToken>,
    /// The channel's login; `None`: the token's own channel.
    pub channel: Option<String>,
    /// The `keepalive_timeout_seconds` asked for (10–600).
    pub keepalive_request: u32,
    pub welcome_timeout: Duration,
    pub revalidate_every: Duration,
    pub backoff: Backoff,
    pub dedup_capacity: usize,
    /// How often the chatter list and the stream's figures are polled.
    pub poll_every: Duration,
}

impl TwitchConfig {
    pub fn new(http: TwitchHttp, token: Arc<SharedToken>) -> Self {
        TwitchConfig {
            http,
            token,
            channel: None,
            keepalive_request: 30,
            welcome_timeout: Duration::from_secs(10),
            // Twitch requires validation at start and hourly.
            revalidate_every: Duration::from_secs(3600),
            backoff: Backoff::default(),
            dedup_capacity: DEFAULT_CAPACITY,
            poll_every: Duration::from_secs(60),
        }
    }
}

/// Spawns the source on the current runtime, under the supervisor.
pub fn spawn(cfg: TwitchConfig, tx: mpsc::Sender<SourceMsg>) -> tokio::task::JoinHandle<()> {
    crate::sources::supervisor::spawn(run(cfg, tx.clone()), tx)
}

pub async fn run(cfg: TwitchConfig, tx: mpsc::Sender<SourceMsg>) {
    let (events_tx, events) = mpsc::channel(64);
    let mut s = Session {
        token: cfg.token.current().await,
        dedup: Dedup::new(cfg.dedup_capacity),
        cfg,
        tx,
        status: ConnStatus::default(),
        events_tx,
        events,
        next_socket: 0,
        active: None,
        incoming: None,
        broadcaster_id: String::new(),
        wanted: Vec::new(),
        lost: None,
        polls: None,
        active_closed: None,
        planned: 0,
        enabled: Vec::new(),
        to_retry: Vec::new(),
        retry_subs: None,
    };
    match s.run().await {
        Err(Stop::Fatal(e)) => {
            let _ = s.tx.send(SourceMsg::Fatal(e)).await;
        }
        Err(Stop::Closed) | Ok(()) => {}
    }
}

/// Why the source stops.
enum Stop {
    /// The receiver is gone.
    Closed,
    Fatal(SourceError),
}

/// Why a socket was lost.
struct Loss {
    class: ErrorClass,
    why: String,
}

/// The open socket and what its welcome said.
struct Live {
    socket: Socket,
    session_id: String,
    keepalive: Duration,
    last_frame: Instant,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    metadata: Metadata<'a>,
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Metadata<'a> {
    #[serde(borrow, default)]
    message_id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    message_type: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
struct SessionPayload {
    #[serde(default)]
    session: SessionInfo,
    #[serde(default)]
    subscription: Option<serde_json::Value>,
}

#[derive(Deserialize, Default)]
struct SessionInfo {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    keepalive_timeout_seconds: Option<u64>,
    #[serde(default)]
    reconnect_url: Option<String>,
}

struct Session {
    cfg: TwitchConfig,
    /// This room's copy of the shared token (replaced on a refresh).
    token: Token,
    tx: mpsc::Sender<SourceMsg>,
    status: ConnStatus,
    events_tx: mpsc::Sender<SocketEvent>,
    events: mpsc::Receiver<SocketEvent>,
    next_socket: SocketId,
    active: Option<Live>,
    /// The socket opened on a `session_reconnect`, until its welcome.
    incoming: Option<(Socket, Instant)>,
    dedup: Dedup,
    broadcaster_id: String,
    wanted: Vec<&'static Wanted>,
    /// When the last socket was lost and why (reported once the next one is live).
    lost: Option<(chrono::DateTime<Utc>, String)>,
    /// The active socket closed while a requested reconnect is under way (its replacement must take over).
    active_closed: Option<Instant>,
    /// The Helix poll task (aborted when the session ends).
    polls: Option<AbortOnDrop>,
    /// How many subscriptions the token's scopes allowed (the status line's total).
    planned: u32,
    /// The subscription types enabled on the current session.
    enabled: Vec<&'static str>,
    /// Subscriptions to create again (they failed for a passing reason).
    to_retry: Vec<&'static Wanted>,
    /// Subscriptions that failed for a passing reason, retried while live: when, and the attempt number.
    retry_subs: Option<(Instant, u32)>,
}

/// How long a `session_reconnect` may take before the new socket is given up (Twitch's grace is 30 s).
const RECONNECT_GRACE: Duration = Duration::from_secs(30);
/// How long the new socket of a requested reconnect may take for its welcome once the old one is closed.
const ORPHAN_WELCOME: Duration = Duration::from_secs(5);
/// How long a socket must stay up before a loss starts the backoff from its first step again.
const STABLE_AFTER: Duration = Duration::from_secs(60);
/// Frames handled before a batch is sent, when many are waiting.
const BATCH_FRAMES: usize = 512;

mod messages;
use messages::{close_loss, welcome_of};
mod subscribe;

impl Session {
    async fn send(&self, msg: SourceMsg) -> Result<(), Stop> {
        self.tx.send(msg).await.map_err(|_| Stop::Closed)
    }

    async fn notice(&self, text: String) -> Result<(), Stop> {
        tracing::info!(notice = %crate::mask::scrub(&text), "twitch");
        self.send(SourceMsg::Notice(text)).await
    }

    async fn set_state(&mut self, state: ConnState) -> Result<(), Stop> {
        self.status.state = state;
        self.status.since = Some(Utc::now());
        self.send(SourceMsg::Status(self.status.clone())).await
    }

    fn count_error(&mut self, class: ErrorClass) {
        *self.status.errors_by_class.entry(class.key()).or_default() += 1;
    }

    async fn run(&mut self) -> Result<(), Stop> {
        self.set_state(ConnState::Connecting).await?;
        self.prepare().await?;
        // Under the supervisor too: a poll task that panics ends the room with the panic, not in silence.
        let polls = poll::run(
            poll::PollConfig {
                http: self.cfg.http.clone(),
                token: self.cfg.token.clone(),
                broadcaster_id: self.broadcaster_id.clone(),
                reader_id: self.token.user_id.clone(),
                every: self.cfg.poll_every,
            },
            self.tx.clone(),
        );
        self.polls = Some(AbortOnDrop(crate::sources::supervisor::spawn(
            polls,
            self.tx.clone(),
        )));
        let mut attempt = 0u32;
        let mut revalidate_at = Instant::now() + self.cfg.revalidate_every;
        loop {
            let loss = match self.connect().await? {
                Ok(()) => {
                    let since = Instant::now();
                    let loss = self.live(&mut revalidate_at).await?;
                    // Only a socket that stayed up a while resets the backoff: one that dies right after its
                    // subscriptions must not be re-dialled (and re-subscribed) every second.
                    if since.elapsed() >= STABLE_AFTER {
                        attempt = 0;
                    }
                    loss
                }
                Err(loss) => loss,
            };
            self.active = None;
            self.incoming = None;
            self.active_closed = None;
            self.retry_subs = None;
            self.count_error(loss.class);
            self.lost.get_or_insert((Utc::now(), loss.why.clone()));
            attempt = attempt.saturating_add(1);
            self.status.retries += 1;
            let wait = self.cfg.backoff.delay(attempt, fastrand::f64());
            tracing::warn!(why = %loss.why, ?wait, "twitch socket lost");
            self.set_state(ConnState::Retrying {
                attempt,
                next_in: wait,
                last: loss.class,
            })
            .await?;
            tokio::time::sleep(wait).await;
            self.set_state(ConnState::Connecting).await?;
        }
    }

    /// Validates the token (refreshing it when Twitch says it is invalid), finds the channel and plans the
    /// subscriptions. Network failures are retried with backoff; a refused token ends the room.
    async fn prepare(&mut self) -> Result<(), Stop> {
        let mut attempt = 0u32;
        loop {
            let step = self.prepare_once().await?;
            let Err(e) = step else {
                return self.plan().await;
            };
            self.count_error(e.class());
            attempt = attempt.saturating_add(1);
            self.status.retries += 1;
            let wait = self.cfg.backoff.delay(attempt, fastrand::f64());
            tracing::warn!(error = %e, ?wait, "twitch: start-up request failed");
            self.set_state(ConnState::Retrying {
                attempt,
                next_in: wait,
                last: e.class(),
            })
            .await?;
            tokio::time::sleep(wait).await;
        }
    }

    /// The subscriptions the token's scopes allow; the rest is said once, with the login line that adds them
    /// (keeping the scopes the token has: `--scopes` replaces the whole set).
    async fn plan(&mut self) -> Result<(), Stop> {
        let (wanted, missing) = subscriptions::plan(&self.token.scopes);
        self.planned = wanted.len() as u32;
        self.wanted = wanted;
        if missing.is_empty() {
            return Ok(());
        }
        let lacking: Vec<&str> = (subscriptions::TABLE.iter())
            .filter(|w| !w.missing(&self.token.scopes).is_empty())
            .map(|w| w.kind)
            .collect();
        let mut scopes: Vec<&str> = self.token.scopes.iter().map(String::as_str).collect();
        scopes.extend(missing);
        scopes.sort_unstable();
        scopes.dedup();
        self.notice(format!(
            "the token cannot read {}; to add them: roomwatch twitch login --scopes {}",
            lacking.join(", "),
            scopes.join(",")
        ))
        .await
    }

    async fn prepare_once(&mut self) -> Result<Result<(), ApiError>, Stop> {
        if let Err(e) = self.validate().await? {
            return Ok(Err(e));
        }
        let own = &self.token.login;
        self.broadcaster_id = match self.cfg.channel.clone() {
            Some(channel) if !channel.eq_ignore_ascii_case(own) => {
                self.status.requests += 1;
                let access = self.token.access.clone();
                match self.cfg.http.user_by_login(&access, &channel).await {
                    Ok(Some(user)) => user.id,
                    Ok(None) => {
                        return Err(Stop::Fatal(SourceError::Fatal(format!(
                            "Twitch knows no channel named {}; check the name",
                            crate::sanitize::clean(&channel)
                        ))))
                    }
                    Err(e) if e.status() == Some(401) => {
                        return Ok(self.refresh().await?.and(Err(e)));
                    }
                    Err(e) => return Ok(Err(e)),
                }
            }
            _ => self.token.user_id.clone(),
        };
        Ok(Ok(()))
    }

    /// Asks Twitch whether the token is still good; on 401, refreshes it (or ends the room).
    async fn validate(&mut self) -> Result<Result<(), ApiError>, Stop> {
        self.status.requests += 1;
        match self.cfg.http.validate(&self.token.access).await {
            Ok(v) => {
                self.adopt(&v);
                Ok(Ok(()))
            }
            Err(e) if e.status() == Some(401) => self.refresh().await,
            Err(e) => Ok(Err(e)),
        }
    }

    fn adopt(&mut self, v: &Validation) {
        let t = &mut self.token;
        if !v.login.is_empty() {
            t.login = v.login.clone();
        }
        if !v.user_id.is_empty() {
            t.user_id = v.user_id.clone();
        }
        if !v.scopes.is_empty() {
            t.scopes = v.scopes.clone();
        }
    }

    /// Exchanges the refresh token for a new pair, saved before it is used (a refresh token works once; the
    /// rooms sharing the login take turns). Without a refresh token, or when Twitch refuses it, the room ends on
    /// refused credentials; a network failure leaves the token as it is for the next try.
    async fn refresh(&mut self) -> Result<Result<(), ApiError>, Stop> {
        self.status.requests += 1;
        let seen = self.token.access.clone();
        match self.cfg.token.refresh(&self.cfg.http, &seen).await {
            Refreshed::Token(token, unsaved) => {
                if let Some(e) = unsaved {
                    self.notice(format!(
                        "the refreshed Twitch token could not be saved ({e}); the next start will need \
                         `roomwatch twitch login`"
                    ))
                    .await?;
                }
                self.token = token;
                tracing::info!("twitch: token refreshed");
                Ok(Ok(()))
            }
            Refreshed::Refused => Err(Stop::Fatal(SourceError::CredentialsRefused { status: 401 })),
            // The refresh token was not spent: the caller retries with its backoff.
            Refreshed::Later(e) => Ok(Err(ApiError::Transport(
                ErrorClass::Network,
                format!("the token refresh failed ({e})"),
            ))),
        }
    }

    fn base_url(&self) -> url::Url {
        let mut url = self.cfg.http.endpoints.eventsub.clone();
        url.query_pairs_mut().append_pair(
            "keepalive_timeout_seconds",
            &self.cfg.keepalive_request.clamp(10, 600).to_string(),
        );
        url
    }

    fn open(&mut self, url: url::Url) -> Socket {
        self.next_socket += 1;
        self.status.requests += 1;
        socket::open(self.next_socket, url, self.events_tx.clone())
    }

    /// A fresh connection to the base URL: welcome, then every subscription. `Err(Loss)` is retried.
    async fn connect(&mut self) -> Result<Result<(), Loss>, Stop> {
        let socket = self.open(self.base_url());
        let deadline = Instant::now() + self.cfg.welcome_timeout;
        let welcome = loop {
            let ev = tokio::select! {
                ev = self.events.recv() => ev,
                _ = tokio::time::sleep_until(deadline) => {
                    return Ok(Err(Loss { class: ErrorClass::Timeout, why: "no welcome from Twitch".into() }))
                }
            };
            match ev {
                Some(SocketEvent::Text(id, text)) if id == socket.id => match welcome_of(&text) {
                    Some(w) => break w,
                    None => continue,
                },
                Some(SocketEvent::Closed(id, code, why)) if id == socket.id => {
                    return Ok(Err(close_loss(code, &why)));
                }
                Some(SocketEvent::Failed(id, why)) if id == socket.id => {
                    return Ok(Err(Loss {
                        class: ErrorClass::Connect,
                        why: format!("cannot connect to Twitch EventSub: {why}"),
                    }));
                }
                // A socket given up earlier may still have delivered notifications: they are real events.
                Some(SocketEvent::Text(_, text)) => self.late_notification(text).await?,
                Some(_) => continue,
                None => return Err(Stop::Closed),
            }
        };
        let (session_id, keepalive) = welcome;
        let now = Instant::now();
        self.active = Some(Live {
            socket,
            session_id,
            keepalive,
            last_frame: now,
        });
        self.enabled.clear();
        self.to_retry.clear();
        match self.subscribe(self.wanted.clone()).await? {
            Ok(()) => {
                self.go_live().await?;
                Ok(Ok(()))
            }
            Err(loss) => Ok(Err(loss)),
        }
    }

    async fn go_live(&mut self) -> Result<(), Stop> {
        self.set_state(ConnState::Live).await?;
        if let Some((at, why)) = self.lost.take() {
            let gap = (Utc::now() - at).num_seconds().max(0);
            self.notice(format!(
                "Twitch EventSub was unreachable for {gap} s ({why}); Twitch does not replay what happened \
                 in the gap"
            ))
            .await?;
        }
        Ok(())
    }

    /// Reads notifications until the socket is lost.
    async fn live(&mut self, revalidate_at: &mut Instant) -> Result<Loss, Stop> {
        loop {
            let Some(live) = &self.active else {
                return Ok(Loss {
                    class: ErrorClass::Network,
                    why: "the socket closed".into(),
                });
            };
            let margin = (live.keepalive / 2).min(Duration::from_secs(5));
            let silent_after = live.last_frame + live.keepalive + margin;
            let silence = live.keepalive + margin;
            // Once the old socket is gone, the new one has a few seconds for its welcome, not Twitch's 30.
            let incoming_deadline = self.incoming.as_ref().map(|(_, at)| {
                let grace = *at + RECONNECT_GRACE;
                self.active_closed
                    .map_or(grace, |closed| grace.min(closed + ORPHAN_WELCOME))
            });
            let retry_at = self.retry_subs.map(|(at, _)| at);
            let ev = tokio::select! {
                // Frames first: after a stall (a slow consumer), what arrived is read before the watchdog
                // can call the socket lost.
                biased;
                ev = self.events.recv() => ev,
                _ = tokio::time::sleep_until(silent_after) => {
                    return Ok(Loss {
                        class: ErrorClass::Timeout,
                        why: format!("no message for {:.0} s (keepalive missed)", silence.as_secs_f64()),
                    });
                }
                _ = sleep_until_some(incoming_deadline) => {
                    self.incoming = None;
                    if self.active_closed.is_some() {
                        return Ok(Loss {
                            class: ErrorClass::Timeout,
                            why: "the reconnect Twitch asked for did not complete".into(),
                        });
                    }
                    self.notice("the reconnect Twitch asked for did not complete; staying on the old socket".into()).await?;
                    continue;
                }
                _ = sleep_until_some(retry_at) => {
                    if let Err(loss) = self.retry_subscriptions().await? {
                        return Ok(loss);
                    }
                    continue;
                }
                _ = tokio::time::sleep_until(*revalidate_at) => {
                    self.revalidate(revalidate_at).await?;
                    continue;
                }
            };
            let Some(ev) = ev else {
                return Err(Stop::Closed);
            };
            let mut batch = Batch {
                received_at: Utc::now(),
                events: Vec::new(),
                skipped: 0,
                duplicates_dropped: 0,
            };
            let mut next = Some(ev);
            let mut handled = 0;
            while let Some(ev) = next.take() {
                match self.handle(ev, &mut batch).await {
                    Ok(None) => {}
                    Ok(Some(loss)) => {
                        self.flush(batch).await?;
                        return Ok(loss);
                    }
                    // What arrived before the end (e.g. a revocation) still reaches the room.
                    Err(stop) => {
                        let _ = self.flush(batch).await;
                        return Err(stop);
                    }
                }
                handled += 1;
                if handled < BATCH_FRAMES {
                    next = self.events.try_recv().ok();
                }
            }
            self.flush(batch).await?;
            // Frames win the select above; under a backlog that never ends, the timers still get their turn.
            if Instant::now() >= *revalidate_at {
                self.revalidate(revalidate_at).await?;
            }
            if self.retry_subs.is_some_and(|(at, _)| Instant::now() >= at) {
                if let Err(loss) = self.retry_subscriptions().await? {
                    return Ok(loss);
                }
            }
        }
    }

    /// The hourly validation Twitch requires (a 401 refreshes; a network failure waits for the next hour).
    async fn revalidate(&mut self, revalidate_at: &mut Instant) -> Result<(), Stop> {
        *revalidate_at = Instant::now() + self.cfg.revalidate_every;
        if let Err(e) = self.validate().await? {
            tracing::warn!(error = %e, "twitch: hourly validation failed; trying again later");
        }
        Ok(())
    }

    async fn flush(&mut self, batch: Batch) -> Result<(), Stop> {
        if batch.events.is_empty() && batch.skipped == 0 && batch.duplicates_dropped == 0 {
            return Ok(());
        }
        self.send(SourceMsg::Batch(batch)).await
    }
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
