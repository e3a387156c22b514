//! The EventSub WebSocket source (twitch.md §2.13): validate the token, connect, create the subscriptions
//! within the welcome's window, then read notifications under a keepalive watchdog. A `session_reconnect` opens
//! the new URL while the old socket keeps delivering until the new welcome (subscriptions move with the
//! session); any other loss reconnects to the base URL with backoff and creates them again. Notifications are
//! de-duplicated by `message_id` across sockets. Only a refused or revoked authorization ends the room.

use super::auth::{ApiError, TwitchHttp, Validation};
use super::helix::Created;
use super::poll::{self, Chatters, StreamNow};
use super::socket::{self, Socket, SocketEvent, SocketId};
use super::subscriptions::{self, Wanted};
use super::token::{Refreshed, SharedToken, Token};
use crate::event::SourceKind;
use crate::sources::backoff::Backoff;
use crate::sources::dedup::{Dedup, DEFAULT_CAPACITY};
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
        chatters: Chatters::default(),
        stream_now: None,
        next_poll: Instant::now(),
        poll_seq: 0,
        chatters_capped: false,
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
    chatters: Chatters,
    stream_now: Option<StreamNow>,
    next_poll: Instant,
    /// Numbers the polled events' ids.
    poll_seq: u64,
    /// The chatter list was too long to follow (said once).
    chatters_capped: bool,
}

/// How long a `session_reconnect` may take before the new socket is given up (Twitch's grace is 30 s).
const RECONNECT_GRACE: Duration = Duration::from_secs(30);
/// Frames handled before a batch is sent, when many are waiting.
const BATCH_FRAMES: usize = 512;

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
        let mut attempt = 0u32;
        let mut revalidate_at = Instant::now() + self.cfg.revalidate_every;
        loop {
            let loss = match self.connect().await? {
                Ok(()) => {
                    attempt = 0;
                    self.live(&mut revalidate_at).await?
                }
                Err(loss) => loss,
            };
            self.active = None;
            self.incoming = None;
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
            let Err(e) = step else { return Ok(()) };
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
                        self.refresh().await?;
                        return Ok(Err(e));
                    }
                    Err(e) => return Ok(Err(e)),
                }
            }
            _ => self.token.user_id.clone(),
        };
        let (wanted, missing) = subscriptions::plan(&self.token.scopes);
        self.wanted = wanted;
        if !missing.is_empty() {
            let lacking: Vec<&str> = (subscriptions::TABLE.iter())
                .filter(|w| !w.missing(&self.token.scopes).is_empty())
                .map(|w| w.kind)
                .collect();
            self.notice(format!(
                "the token cannot read {}; to add them: roomwatch twitch login --scopes {}",
                lacking.join(", "),
                missing.join(",")
            ))
            .await?;
        }
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
            Err(e) if e.status() == Some(401) => {
                self.refresh().await?;
                Ok(Ok(()))
            }
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
    async fn refresh(&mut self) -> Result<(), Stop> {
        self.status.requests += 1;
        match self
            .cfg
            .token
            .refresh(&self.cfg.http, &self.token.access)
            .await
        {
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
                Ok(())
            }
            Refreshed::Refused => Err(Stop::Fatal(SourceError::CredentialsRefused { status: 401 })),
            Refreshed::Later(e) => {
                tracing::warn!(error = %e, "twitch: token refresh failed");
                Ok(())
            }
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
                // Frames of sockets given up earlier.
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
        match self.subscribe_all().await? {
            Ok(_) => {
                self.go_live().await?;
                Ok(Ok(()))
            }
            Err(loss) => Ok(Err(loss)),
        }
    }

    /// Creates every planned subscription on the active session, all at once (the welcome's window is short).
    async fn subscribe_all(&mut self) -> Result<Result<u32, Loss>, Stop> {
        let mut refreshed = false;
        loop {
            let Some(live) = &self.active else {
                return Ok(Err(Loss {
                    class: ErrorClass::Network,
                    why: "the socket closed while subscribing".into(),
                }));
            };
            let access = self.token.access.clone();
            let bodies: Vec<_> = (self.wanted.iter())
                .map(|w| {
                    (
                        w.kind,
                        w.body(&self.broadcaster_id, &self.token.user_id, &live.session_id),
                    )
                })
                .collect();
            let http = &self.cfg.http;
            let results = futures_util::future::join_all(
                bodies
                    .iter()
                    .map(|(_, body)| http.create_subscription(&access, body)),
            )
            .await;
            self.status.requests += results.len() as u64;
            let mut enabled = 0u32;
            let mut forbidden = Vec::new();
            let mut unauthorized = false;
            let mut other = None;
            for ((kind, _), r) in bodies.iter().zip(results) {
                match r {
                    Ok(Created::Enabled | Created::AlreadyThere) => enabled += 1,
                    Err(e) if e.status() == Some(403) => forbidden.push(*kind),
                    Err(e) if e.status() == Some(401) => unauthorized = true,
                    Err(e) => other = Some((*kind, e)),
                }
            }
            if unauthorized && !refreshed {
                refreshed = true;
                self.refresh().await?;
                continue;
            }
            if unauthorized {
                return Err(Stop::Fatal(SourceError::CredentialsRefused { status: 401 }));
            }
            if !forbidden.is_empty() {
                self.notice(format!(
                    "Twitch did not allow {} for this channel (the token must be the broadcaster's, or a \
                     moderator's for follows and moderation)",
                    forbidden.join(", ")
                ))
                .await?;
            }
            if let Some((kind, e)) = other {
                if enabled == 0 {
                    return Ok(Err(Loss {
                        class: e.class(),
                        why: format!("creating the subscriptions failed ({kind}: {e})"),
                    }));
                }
                self.notice(format!("the subscription {kind} could not be created: {e}"))
                    .await?;
            }
            if enabled == 0 {
                return Err(Stop::Fatal(SourceError::CredentialsRefused { status: 403 }));
            }
            // Only what was asked for this time counts: nothing is left over from an earlier session.
            self.wanted_enabled(enabled);
            return Ok(Ok(enabled));
        }
    }

    fn wanted_enabled(&mut self, enabled: u32) {
        let total = self.wanted.len() as u32;
        let keepalive = self.active.as_ref().map_or(0, |l| l.keepalive.as_secs());
        self.status.socket = Some(SocketInfo {
            keepalive_s: keepalive,
            subscriptions_enabled: enabled,
            subscriptions_total: total,
        });
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
            let incoming_deadline = self.incoming.as_ref().map(|(_, at)| *at + RECONNECT_GRACE);
            let ev = tokio::select! {
                ev = self.events.recv() => ev,
                _ = tokio::time::sleep_until(silent_after) => {
                    let secs = (live.keepalive + margin).as_secs_f64();
                    return Ok(Loss {
                        class: ErrorClass::Timeout,
                        why: format!("no message for {secs:.0} s (keepalive missed)"),
                    });
                }
                _ = tokio::time::sleep_until(*revalidate_at) => {
                    *revalidate_at = Instant::now() + self.cfg.revalidate_every;
                    if let Err(e) = self.validate().await? {
                        tracing::warn!(error = %e, "twitch: hourly validation failed; trying again later");
                    }
                    continue;
                }
                _ = tokio::time::sleep_until(self.next_poll) => {
                    self.next_poll = Instant::now() + self.cfg.poll_every;
                    let batch = self.poll().await?;
                    self.flush(batch).await?;
                    continue;
                }
                _ = sleep_until_some(incoming_deadline) => {
                    self.incoming = None;
                    self.notice("the reconnect Twitch asked for did not complete; staying on the old socket".into()).await?;
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
                if let Some(loss) = self.handle(ev, &mut batch).await? {
                    self.flush(batch).await?;
                    return Ok(loss);
                }
                handled += 1;
                if handled < BATCH_FRAMES {
                    next = self.events.try_recv().ok();
                }
            }
            self.flush(batch).await?;
        }
    }

    /// One round of Helix polls: chatters (with the scope) and the stream. A failed request changes nothing.
    async fn poll(&mut self) -> Result<Batch, Stop> {
        let now = Utc::now();
        let mut batch = Batch {
            received_at: now,
            events: Vec::new(),
            skipped: 0,
            duplicates_dropped: 0,
        };
        let access = self.token.access.clone();
        let mut frames = Vec::new();
        let mut unauthorized = false;
        if self.token.has_scope("moderator:read:chatters") && !self.chatters_capped {
            self.status.requests += 1;
            let reader = self.token.user_id.clone();
            match self
                .cfg
                .http
                .chatters(&access, &self.broadcaster_id, &reader)
                .await
            {
                Ok(Some(list)) => {
                    let (entered, left) = self.chatters.diff(list);
                    for (kind, users) in [(poll::ENTER, entered), (poll::LEAVE, left)] {
                        for user in users {
                            frames.push((kind, serde_json::json!({ "user_login": user })));
                        }
                    }
                }
                Ok(None) => {
                    self.chatters_capped = true;
                    self.notice(format!(
                        "more than {} chatters: enters and leaves are no longer followed",
                        poll::MAX_CHATTER_PAGES * 1000
                    ))
                    .await?;
                }
                Err(e) => {
                    unauthorized |= e.status() == Some(401);
                    self.count_error(e.class());
                    tracing::warn!(error = %e, "twitch: chatter poll failed");
                }
            }
        }
        self.status.requests += 1;
        match self.cfg.http.stream(&access, &self.broadcaster_id).await {
            Ok(Some(now)) if self.stream_now.as_ref() != Some(&now) => {
                frames.push((
                    poll::STREAM,
                    serde_json::json!({
                        "viewer_count": now.viewers,
                        "title": now.title,
                        "game_name": now.category,
                    }),
                ));
                self.stream_now = Some(now);
            }
            Ok(Some(_)) => {}
            Ok(None) => self.stream_now = None,
            Err(e) => {
                unauthorized |= e.status() == Some(401);
                self.count_error(e.class());
                tracing::warn!(error = %e, "twitch: stream poll failed");
            }
        }
        if unauthorized {
            self.refresh().await?;
        }
        for (kind, event) in frames {
            self.poll_seq += 1;
            let id = format!(
                "roomwatch-poll-{}-{}",
                now.timestamp_millis(),
                self.poll_seq
            );
            let text = poll::frame(kind, &id, now, event);
            let parsed = RawValue::from_string(text)
                .ok()
                .and_then(|raw| super::parse_frame(&raw, SourceKind::Twitch, now).ok());
            match parsed {
                Some(ev) if self.dedup.first_time(&ev.id) => batch.events.push(ev),
                Some(_) => batch.duplicates_dropped += 1,
                None => batch.skipped += 1,
            }
        }
        Ok(batch)
    }

    async fn flush(&mut self, batch: Batch) -> Result<(), Stop> {
        if batch.events.is_empty() && batch.skipped == 0 && batch.duplicates_dropped == 0 {
            return Ok(());
        }
        self.send(SourceMsg::Batch(batch)).await
    }

    /// One socket event; `Some(loss)` when the session's socket is gone.
    async fn handle(&mut self, ev: SocketEvent, batch: &mut Batch) -> Result<Option<Loss>, Stop> {
        let active_id = self.active.as_ref().map(|l| l.socket.id);
        let incoming_id = self.incoming.as_ref().map(|(s, _)| s.id);
        match ev {
            SocketEvent::Text(id, text) => {
                if Some(id) == active_id {
                    if let Some(l) = self.active.as_mut() {
                        l.last_frame = Instant::now();
                    }
                } else if Some(id) != incoming_id {
                    // A socket already given up: its frames would only repeat or precede what we have.
                    return Ok(None);
                }
                self.frame(id, text, batch).await
            }
            SocketEvent::Closed(id, code, why) => {
                if Some(id) == incoming_id {
                    self.incoming = None;
                    self.notice(format!(
                        "the reconnect socket closed before its welcome ({why})"
                    ))
                    .await?;
                    return Ok(None);
                }
                if Some(id) != active_id {
                    return Ok(None);
                }
                if self.incoming.is_some() {
                    // Twitch closes the old socket once the reconnect window is over; the new one takes over.
                    self.active_closed_during_reconnect();
                    return Ok(None);
                }
                Ok(Some(close_loss(code, &why)))
            }
            SocketEvent::Failed(id, why) => {
                if Some(id) == incoming_id {
                    self.incoming = None;
                    self.notice(format!("cannot open the reconnect URL Twitch gave ({why})"))
                        .await?;
                }
                Ok(None)
            }
        }
    }

    fn active_closed_during_reconnect(&mut self) {
        if let Some(l) = self.active.as_mut() {
            // Keep the session (its id and window) until the new welcome; no more frames come from here.
            l.last_frame = Instant::now();
        }
    }

    async fn frame(
        &mut self,
        id: SocketId,
        text: String,
        batch: &mut Batch,
    ) -> Result<Option<Loss>, Stop> {
        let Ok(raw) = RawValue::from_string(text) else {
            batch.skipped += 1;
            tracing::warn!("twitch: a frame that is not JSON");
            return Ok(None);
        };
        // Notifications are nearly every frame: parsed once, straight into the event.
        match super::parse_frame(&raw, SourceKind::Twitch, batch.received_at) {
            Ok(ev) if self.dedup.first_time(&ev.id) => batch.events.push(ev),
            Ok(_) => batch.duplicates_dropped += 1,
            Err(super::parse::NOT_A_NOTIFICATION) => {
                return self.session_message(id, &raw, batch).await
            }
            Err(why) => {
                batch.skipped += 1;
                tracing::warn!(why, "twitch: notification skipped");
            }
        }
        Ok(None)
    }

    /// A welcome, keepalive, reconnect or revocation.
    async fn session_message(
        &mut self,
        id: SocketId,
        raw: &RawValue,
        batch: &mut Batch,
    ) -> Result<Option<Loss>, Stop> {
        let Ok(env) = serde_json::from_str::<Envelope>(raw.get()) else {
            batch.skipped += 1;
            return Ok(None);
        };
        let kind = (env.metadata.message_type.as_deref())
            .unwrap_or("")
            .to_string();
        let payload: SessionPayload = (env.payload)
            .and_then(|p| serde_json::from_str(p.get()).ok())
            .unwrap_or_default();
        match kind.as_str() {
            "session_keepalive" => {}
            "session_welcome" => {
                let incoming = self.incoming.as_ref().map(|(s, _)| s.id);
                if Some(id) == incoming {
                    let (socket, _) = self.incoming.take().expect("checked");
                    let info = payload.session;
                    let now = Instant::now();
                    let keepalive = keepalive_of(info.keepalive_timeout_seconds);
                    // Dropping the old socket closes it: only now, after the new welcome (twitch.md §2.6).
                    let old = self.active.replace(Live {
                        socket,
                        session_id: info.id.unwrap_or_default(),
                        keepalive,
                        last_frame: now,
                    });
                    drop(old);
                    if let Some(s) = self.status.socket.as_mut() {
                        s.keepalive_s = keepalive.as_secs();
                    }
                    tracing::info!("twitch: moved to the reconnect socket");
                    self.set_state(ConnState::Live).await?;
                }
            }
            "session_reconnect" => {
                let target = (payload.session.reconnect_url.as_deref())
                    .and_then(|u| url::Url::parse(u).ok())
                    .filter(|u| self.cfg.http.endpoints.reconnect_allowed(u));
                match target {
                    Some(url) if self.incoming.is_none() => {
                        tracing::info!("twitch: reconnect requested");
                        let socket = self.open(url);
                        self.incoming = Some((socket, Instant::now()));
                    }
                    Some(_) => {}
                    None => {
                        self.notice(
                            "Twitch asked to reconnect to a URL that is not Twitch's; ignored"
                                .into(),
                        )
                        .await?;
                    }
                }
            }
            "revocation" => {
                let sub = payload.subscription.unwrap_or_default();
                let field = |k: &str| {
                    crate::sanitize::clean(sub.get(k).and_then(|v| v.as_str()).unwrap_or("?"))
                        .into_owned()
                };
                let (sub_type, status) = (field("type"), field("status"));
                if let Some(s) = self.status.socket.as_mut() {
                    s.subscriptions_enabled = s.subscriptions_enabled.saturating_sub(1);
                }
                self.send(SourceMsg::Status(self.status.clone())).await?;
                self.notice(format!(
                    "Twitch revoked the subscription {sub_type} ({status})"
                ))
                .await?;
                if status == "authorization_revoked" {
                    return Err(Stop::Fatal(SourceError::CredentialsRefused { status: 401 }));
                }
            }
            _ => {
                batch.skipped += 1;
                tracing::warn!(kind = %crate::sanitize::clean(&kind), "twitch: unknown message type");
            }
        }
        Ok(None)
    }
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn keepalive_of(secs: Option<u64>) -> Duration {
    Duration::from_secs(secs.unwrap_or(10).clamp(1, 600))
}

/// The session id and keepalive of a `session_welcome` frame.
fn welcome_of(text: &str) -> Option<(String, Duration)> {
    let env: Envelope = serde_json::from_str(text).ok()?;
    if env.metadata.message_type.as_deref() != Some("session_welcome") {
        return None;
    }
    let payload: SessionPayload = serde_json::from_str(env.payload?.get()).ok()?;
    let id = payload.session.id.filter(|id| !id.is_empty())?;
    Some((id, keepalive_of(payload.session.keepalive_timeout_seconds)))
}

/// What a close code means (twitch.md §2.8). Every one leads to a fresh connection with backoff.
fn close_loss(code: Option<u16>, why: &str) -> Loss {
    let meaning = match code {
        Some(4000) => "Twitch had an internal error",
        Some(4001) => "Twitch says roomwatch sent a message (a bug: please report it)",
        Some(4002) => "Twitch says a ping was not answered",
        Some(4003) => "no subscription was created in time",
        Some(4004) => "the reconnect window expired",
        Some(4005) => "network timeout",
        Some(4006) => "network error",
        Some(4007) => "the reconnect URL was invalid",
        _ => "the connection closed",
    };
    let code_text = code.map(|c| format!("close {c}: ")).unwrap_or_default();
    Loss {
        class: ErrorClass::Network,
        why: format!("{code_text}{meaning} ({why})"),
    }
}
