//! A mock Twitch: EventSub WebSocket (`/ws`), the Helix endpoints the monitor uses (`/helix`) and the OAuth
//! endpoints of the Device Code Grant Flow (`/oauth2`), on one loopback port, on its own thread and runtime
//! (real time, so tests may pause theirs).
//!
//! Behaviour follows `shared/reference/twitch.md` §2 (welcome, keepalive, subscribe deadline → 4003, inbound
//! traffic → 4001, `session_reconnect` with a 30 s grace → 4004, close codes 4000–4007, revocation, subscriptions
//! disabled when their session's last socket goes, 409 on a duplicate) and §5 (device flow, single-use refresh
//! tokens, validate, revoke). Production behaviours that twitch-cli lacks are reproduced too: the session keeps
//! its id across a server-requested reconnect, the old socket still carries notifications during the overlap, and
//! `revocation` frames are sent.
//!
//! Everything is driven from tests through [`MockHandle`] (which [`TwitchMock`] derefs to): plain synchronous
//! methods, callable from any thread or runtime.

#![allow(dead_code)]

use axum::body::{Body, Bytes};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The scopes the monitor can use, granted by default: what `roomwatch twitch login` asks for.
pub const ALL_SCOPES: &[&str] = roomwatch::sources::twitch::auth::DEFAULT_SCOPES;

/// A user in the mock's user table.
#[derive(Debug, Clone, PartialEq)]
pub struct MockUser {
    pub id: String,
    pub login: String,
    pub display_name: String,
}

impl MockUser {
    /// A user whose display name is the login with a capital first letter.
    pub fn new(id: &str, login: &str) -> MockUser {
        MockUser {
            id: id.into(),
            login: login.into(),
            display_name: display_of(login),
        }
    }
}

/// A live stream as Get Streams shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamInfo {
    pub id: String,
    pub title: String,
    pub game_name: String,
    pub viewer_count: u64,
    pub started_at: String,
}

impl StreamInfo {
    pub fn live(title: &str, game_name: &str, viewer_count: u64) -> StreamInfo {
        StreamInfo {
            id: "40952121085".into(),
            title: title.into(),
            game_name: game_name.into(),
            viewer_count,
            started_at: "2026-11-01T18:00:00Z".into(),
        }
    }
}

/// What one device-code poll of `POST /oauth2/token` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceOutcome {
    /// 400 `authorization_pending`.
    Pending,
    /// 400 `slow_down`.
    SlowDown,
    /// 400 `access_denied`.
    Denied,
    /// 400 `expired_token`.
    Expired,
    /// 400 `invalid device code`.
    InvalidCode,
    /// 200 with a new access/refresh pair (the new access token becomes the valid one).
    Approve,
}

#[derive(Debug, Clone)]
pub struct MockOptions {
    /// `keepalive_timeout_seconds` of every welcome, the keepalive period and the subscribe deadline. `None`: as
    /// production, the client's `?keepalive_timeout_seconds=` clamped to 10..=600, 10 without it.
    pub keepalive_secs: Option<u64>,
    /// After `session_reconnect`, the old socket is closed with 4004 if still open this much later.
    pub reconnect_grace: Duration,
    /// Send a WS ping this often; a ping unanswered by the next one closes the socket with 4002.
    pub ping_secs: Option<u64>,
    pub client_id: String,
    /// The initially valid user access token.
    pub access_token: String,
    /// The initially valid refresh token.
    pub refresh_token: String,
    /// `expires_in` of issued tokens and of `/oauth2/validate`.
    pub token_expires_in: u64,
    /// Scopes granted to every token (validate, token replies). Get Chatters needs `moderator:read:chatters`.
    pub scopes: Vec<String>,
    /// The token's user.
    pub broadcaster: MockUser,
    /// Other users `GET /helix/users` knows.
    pub users: Vec<MockUser>,
    /// `interval` of `/oauth2/device` (≥ 1, as Twitch).
    pub device_interval_secs: u64,
    /// `expires_in` of `/oauth2/device`.
    pub device_expires_in: u64,
    /// Subscription types refused with 403 (a missing scope).
    pub forbidden_types: Vec<String>,
    /// Answers of successive device-code polls; Approve once empty.
    pub device_outcomes: Vec<DeviceOutcome>,
    /// Logins in Get Chatters.
    pub chatters: Vec<String>,
    /// The broadcaster's live stream (`None`: offline).
    pub stream: Option<StreamInfo>,
    /// The application's client secret (client credentials → app tokens).
    pub client_secret: String,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            keepalive_secs: None,
            reconnect_grace: Duration::from_secs(30),
            ping_secs: None,
            client_id: "mockclient".into(),
            access_token: random_token(30),
            refresh_token: random_token(50),
            token_expires_in: 14_400,
            scopes: ALL_SCOPES.iter().map(|s| s.to_string()).collect(),
            broadcaster: MockUser::new("1001", "streamer"),
            users: vec![],
            device_interval_secs: 5,
            device_expires_in: 1800,
            forbidden_types: vec![],
            device_outcomes: vec![],
            chatters: vec![],
            stream: None,
            client_secret: "mock-client-secret".into(),
        }
    }
}

/// One HTTP request (including WebSocket upgrades) as the mock saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The whole request as text (to search for a secret anywhere in it).
    pub fn text(&self) -> String {
        let mut s = format!("{} {}\n", self.method, self.target);
        for (k, v) in &self.headers {
            s.push_str(&format!("{k}: {v}\n"));
        }
        s.push_str(&self.body);
        s
    }
}

/// One `POST /helix/eventsub/subscriptions`, with the status it got (202, 409, 400, 401, 403).
#[derive(Debug, Clone, PartialEq)]
pub struct SubAttempt {
    pub session_id: String,
    pub sub_type: String,
    pub version: String,
    pub status: u16,
}

/// A subscription the mock created.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: String,
    pub session_id: String,
    pub sub_type: String,
    pub version: String,
    pub condition: Value,
    pub created_at: String,
    /// `enabled`, a revocation reason, or `websocket_*` once its session is gone.
    pub status: String,
}

/// A frame the client sent.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientFrame {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<(u16, String)>),
}

#[derive(Debug)]
enum Cmd {
    Text(String),
    Close(u16),
    Drop,
    Silence,
    Reconnect { frame: String, grace: Duration },
}

struct SocketEntry {
    session_id: String,
    tx: mpsc::UnboundedSender<Cmd>,
}

struct Inner {
    opts: MockOptions,
    next_conn: u64,
    next_session: u64,
    /// Open sockets by connection number; the last one is the current socket.
    sockets: BTreeMap<u64, SocketEntry>,
    /// Session id → `connected_at`.
    sessions: HashMap<String, String>,
    subs: Vec<Subscription>,
    /// Reconnect token → session id (single use, valid while the session has a socket).
    reconnect_tokens: HashMap<String, String>,
    access: String,
    access_valid: bool,
    refresh: String,
    refresh_valid: bool,
    device_codes: HashSet<String>,
    device_outcomes: VecDeque<DeviceOutcome>,
    users: Vec<MockUser>,
    chatters: Vec<String>,
    chatter_failures: u32,
    /// The next Get Streams calls answer this status (count, status).
    stream_failures: (u32, u16),
    /// Get Streams' rate-limit bucket, when set: (points per window, the window, points left, when it refills).
    stream_bucket: Option<(u32, Duration, u32, Instant)>,
    /// Get Streams calls answered 429 by the bucket.
    stream_429s: u32,
    streams: HashMap<String, StreamInfo>,
    /// Notification frames by message id, for [`MockHandle::resend`].
    notifications: HashMap<String, String>,
    // Records.
    connections: u64,
    sub_attempts: Vec<SubAttempt>,
    requests: Vec<RecordedRequest>,
    client_frames: Vec<(u64, ClientFrame)>,
    sent_frames: Vec<(u64, String)>,
    server_closes: Vec<(u64, u16)>,
    device_polls: Vec<Instant>,
    refreshes: u64,
    /// App access tokens issued (client credentials); all stay valid.
    app_tokens: Vec<String>,
    webhook_subs: Vec<WebhookSub>,
}

/// A webhook subscription as the mock keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSub {
    pub id: String,
    pub sub_type: String,
    pub broadcaster_user_id: String,
    pub callback: String,
    pub secret: String,
    /// `webhook_callback_verification_pending`, then `enabled` or `webhook_callback_verification_failed`.
    pub status: String,
}

struct Shared {
    port: u16,
    state: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The running mock; stops when dropped. Control methods are on [`MockHandle`].
pub struct TwitchMock {
    handle: MockHandle,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A clonable handle on the mock (`'static`, for spawned tasks and threads).
#[derive(Clone)]
pub struct MockHandle {
    shared: Arc<Shared>,
}

impl Deref for TwitchMock {
    type Target = MockHandle;
    fn deref(&self) -> &MockHandle {
        &self.handle
    }
}

impl Drop for TwitchMock {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl TwitchMock {
    pub fn start(opts: MockOptions) -> TwitchMock {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        std_listener.set_nonblocking(true).unwrap();
        let port = std_listener.local_addr().unwrap().port();
        let mut users = vec![opts.broadcaster.clone()];
        users.extend(opts.users.iter().cloned());
        let mut streams = HashMap::new();
        if let Some(s) = &opts.stream {
            streams.insert(opts.broadcaster.login.clone(), s.clone());
        }
        let state = Inner {
            next_conn: 0,
            next_session: 0,
            sockets: BTreeMap::new(),
            sessions: HashMap::new(),
            subs: vec![],
            reconnect_tokens: HashMap::new(),
            access: opts.access_token.clone(),
            access_valid: true,
            refresh: opts.refresh_token.clone(),
            refresh_valid: true,
            device_codes: HashSet::new(),
            device_outcomes: opts.device_outcomes.iter().copied().collect(),
            users,
            chatters: opts.chatters.clone(),
            chatter_failures: 0,
            stream_failures: (0, 500),
            stream_bucket: None,
            stream_429s: 0,
            streams,
            notifications: HashMap::new(),
            connections: 0,
            sub_attempts: vec![],
            requests: vec![],
            client_frames: vec![],
            sent_frames: vec![],
            server_closes: vec![],
            device_polls: vec![],
            refreshes: 0,
            app_tokens: Vec::new(),
            webhook_subs: Vec::new(),
            opts,
        };
        let shared = Arc::new(Shared {
            port,
            state: Mutex::new(state),
        });
        let server_shared = shared.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                let app = router(server_shared);
                tokio::select! {
                    _ = axum::serve(listener, app) => {}
                    _ = rx => {}
                }
            });
            rt.shutdown_background();
        });
        TwitchMock {
            handle: MockHandle { shared },
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn handle(&self) -> MockHandle {
        self.handle.clone()
    }
}

impl MockHandle {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.shared.lock()
    }

    // ---- addresses and credentials ----

    pub fn port(&self) -> u16 {
        self.shared.port
    }

    /// `ws://127.0.0.1:<port>/ws`
    pub fn eventsub_url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.shared.port)
    }

    /// `http://127.0.0.1:<port>/helix`
    pub fn api_url(&self) -> String {
        format!("http://127.0.0.1:{}/helix", self.shared.port)
    }

    /// `http://127.0.0.1:<port>/oauth2`
    pub fn auth_url(&self) -> String {
        format!("http://127.0.0.1:{}/oauth2", self.shared.port)
    }

    pub fn client_id(&self) -> String {
        self.lock().opts.client_id.clone()
    }

    /// The latest access token issued (valid unless expired or revoked since, see [`Self::access_token_valid`]).
    pub fn access_token(&self) -> String {
        self.lock().access.clone()
    }

    pub fn access_token_valid(&self) -> bool {
        self.lock().access_valid
    }

    /// The latest refresh token issued.
    pub fn refresh_token(&self) -> String {
        self.lock().refresh.clone()
    }

    pub fn broadcaster(&self) -> MockUser {
        self.lock().opts.broadcaster.clone()
    }

    // ---- EventSub ----

    /// The session id of the current (newest open) socket.
    pub fn session_id(&self) -> Option<String> {
        let st = self.lock();
        st.sockets
            .values()
            .next_back()
            .map(|s| s.session_id.clone())
    }

    /// Enabled subscriptions of the current session.
    pub fn enabled_subscriptions(&self) -> Vec<Subscription> {
        let st = self.lock();
        let Some(sid) = st
            .sockets
            .values()
            .next_back()
            .map(|s| s.session_id.clone())
        else {
            return vec![];
        };
        st.subs
            .iter()
            .filter(|s| s.session_id == sid && s.status == "enabled")
            .cloned()
            .collect()
    }

    /// Every subscription ever created, with its present status.
    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.lock().subs.clone()
    }

    /// Waits (blocking this thread, real time) until `pred` holds; `false` on timeout.
    pub fn wait_until(&self, timeout: Duration, pred: impl Fn(&MockHandle) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if pred(self) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// [`Self::wait_until`] for async tests: runs on the blocking pool, so it does not stall the test's runtime,
    /// and paused time does not auto-advance meanwhile.
    pub async fn wait_until_async(
        &self,
        timeout: Duration,
        pred: impl Fn(&MockHandle) -> bool + Send + 'static,
    ) -> bool {
        let h = self.clone();
        tokio::task::spawn_blocking(move || h.wait_until(timeout, pred))
            .await
            .unwrap_or(false)
    }

    /// Waits until the current session has at least `n` enabled subscriptions.
    pub fn wait_subscribed(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |m| m.enabled_subscriptions().len() >= n)
    }

    pub async fn wait_subscribed_async(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until_async(timeout, move |m| m.enabled_subscriptions().len() >= n)
            .await
    }

    /// Waits until at least `n` WebSocket connections have been accepted in all.
    pub fn wait_connections(&self, n: u64, timeout: Duration) -> bool {
        self.wait_until(timeout, |m| m.connections() >= n)
    }

    pub async fn wait_connections_async(&self, n: u64, timeout: Duration) -> bool {
        self.wait_until_async(timeout, move |m| m.connections() >= n)
            .await
    }

    /// Sends a `notification` on the current socket; returns its `message_id`. The subscription object is the
    /// current session's enabled subscription of that type and version (one is made up if there is none).
    pub fn notify(&self, sub_type: &str, version: &str, event: Value) -> String {
        self.notify_on(sub_type, version, event, false)
    }

    /// Like [`Self::notify`] but on every open socket of the current session (both, during a reconnect overlap),
    /// with the same `message_id`: the client must dedupe.
    pub fn notify_both(&self, sub_type: &str, version: &str, event: Value) -> String {
        self.notify_on(sub_type, version, event, true)
    }

    /// [`Self::notify`] with a notification body as in the fixtures (`{"subscription":{type,version,…},"event":…}`).
    pub fn notify_body(&self, body: &Value) -> String {
        let sub = &body["subscription"];
        let t = sub["type"].as_str().expect("body.subscription.type");
        let v = sub["version"].as_str().expect("body.subscription.version");
        self.notify(t, v, body["event"].clone())
    }

    fn notify_on(&self, sub_type: &str, version: &str, event: Value, all: bool) -> String {
        let mut st = self.lock();
        let (conn, sid) = current(&st).expect("notify: no open EventSub socket");
        let sub = st
            .subs
            .iter()
            .find(|s| {
                s.session_id == sid
                    && s.sub_type == sub_type
                    && s.version == version
                    && s.status == "enabled"
            })
            .cloned()
            .unwrap_or_else(|| Subscription {
                id: uuid(),
                session_id: sid.clone(),
                sub_type: sub_type.into(),
                version: version.into(),
                condition: json!({ "broadcaster_user_id": st.opts.broadcaster.id }),
                created_at: now(),
                status: "enabled".into(),
            });
        let id = uuid();
        let frame = json!({
            "metadata": {
                "message_id": id,
                "message_type": "notification",
                "message_timestamp": now(),
                "subscription_type": sub_type,
                "subscription_version": version,
            },
            "payload": {
                "subscription": subscription_json(&sub),
                "event": event,
            }
        })
        .to_string();
        st.notifications.insert(id.clone(), frame.clone());
        for (c, s) in &st.sockets {
            if *c == conn || (all && s.session_id == sid) {
                let _ = s.tx.send(Cmd::Text(frame.clone()));
            }
        }
        id
    }

    /// Sends any text on the current socket.
    pub fn send_raw(&self, frame: &str) {
        self.command(Cmd::Text(frame.into()));
    }

    /// Sends an earlier notification again, byte for byte, on the current socket.
    pub fn resend(&self, message_id: &str) {
        let frame = self
            .lock()
            .notifications
            .get(message_id)
            .cloned()
            .expect("resend: unknown message_id");
        self.command(Cmd::Text(frame));
    }

    /// Sends `session_reconnect` on the current socket and returns its `reconnect_url`; that socket is closed with
    /// 4004 if still open [`MockOptions::reconnect_grace`] later. A connection through the URL gets the same
    /// session (and its subscriptions); the URL is single-use and dies with the session (then: 4007).
    pub fn reconnect(&self) -> String {
        let mut st = self.lock();
        let (_, sid) = current(&st).expect("reconnect: no open EventSub socket");
        let token = random_token(16);
        st.reconnect_tokens.insert(token.clone(), sid.clone());
        let url = format!("ws://127.0.0.1:{}/ws?reconnect={token}", self.shared.port);
        let frame = json!({
            "metadata": meta("session_reconnect"),
            "payload": { "session": {
                "id": sid,
                "status": "reconnecting",
                "keepalive_timeout_seconds": null,
                "reconnect_url": url,
                "connected_at": st.sessions.get(&sid).cloned().unwrap_or_else(now),
            }}
        })
        .to_string();
        let grace = st.opts.reconnect_grace;
        drop(st);
        self.command(Cmd::Reconnect { frame, grace });
        url
    }

    /// Closes the current socket with this code (4000–4007) and Twitch's reason text.
    pub fn close(&self, code: u16) {
        self.command(Cmd::Close(code));
    }

    /// Drops the current socket's TCP connection without a close frame (the client sees 1006).
    pub fn drop_socket(&self) {
        self.command(Cmd::Drop);
    }

    /// The current socket sends nothing more (no keepalives, pings, notifications, deadline closes) and stays open.
    pub fn silence(&self) {
        self.command(Cmd::Silence);
    }

    /// Sends a `revocation` for the current session's enabled subscription of that type, which takes `status`
    /// (e.g. `authorization_revoked`); returns the `message_id`.
    pub fn revoke(&self, sub_type: &str, status: &str) -> String {
        let mut st = self.lock();
        let (_, sid) = current(&st).expect("revoke: no open EventSub socket");
        let sub = st
            .subs
            .iter_mut()
            .find(|s| s.session_id == sid && s.sub_type == sub_type && s.status == "enabled")
            .unwrap_or_else(|| panic!("revoke: no enabled {sub_type} subscription"));
        sub.status = status.into();
        let sub = sub.clone();
        let id = uuid();
        let mut m = meta("revocation");
        m["message_id"] = json!(id);
        m["subscription_type"] = json!(sub.sub_type);
        m["subscription_version"] = json!(sub.version);
        let frame = json!({
            "metadata": m,
            "payload": { "subscription": subscription_json(&sub) }
        })
        .to_string();
        drop(st);
        self.command(Cmd::Text(frame));
        id
    }

    fn command(&self, cmd: Cmd) {
        let st = self.lock();
        let s = st
            .sockets
            .values()
            .next_back()
            .unwrap_or_else(|| panic!("{cmd:?}: no open EventSub socket"));
        let _ = s.tx.send(cmd);
    }

    // ---- tokens, Helix data ----

    /// The current access token stops being valid (401 everywhere) until a refresh or a device-flow approval.
    pub fn expire_access_token(&self) {
        self.lock().access_valid = false;
    }

    /// The current refresh token stops being valid (a refresh gets 400 `Invalid refresh token`).
    pub fn invalidate_refresh_token(&self) {
        self.lock().refresh_valid = false;
    }

    pub fn push_device_outcomes(&self, outcomes: &[DeviceOutcome]) {
        self.lock().device_outcomes.extend(outcomes.iter().copied());
    }

    pub fn add_user(&self, user: MockUser) {
        self.lock().users.push(user);
    }

    /// Get Chatters' list from now on (logins; ids are stable per login).
    pub fn set_chatters(&self, logins: &[&str]) {
        self.lock().chatters = logins.iter().map(|s| s.to_string()).collect();
    }

    /// The next `n` Get Chatters calls answer 500.
    pub fn fail_chatters(&self, n: u32) {
        self.lock().chatter_failures = n;
    }

    /// The next `n` Get Streams calls answer `status` (500, 503, …).
    pub fn fail_streams(&self, n: u32, status: u16) {
        self.lock().stream_failures = (n, status);
    }

    /// The user `old` is now called `new` (same id), with their stream.
    pub fn rename_user(&self, old: &str, new: &str) {
        let mut st = self.lock();
        if let Some(u) = st.users.iter_mut().find(|u| u.login == old) {
            u.login = new.to_string();
            u.display_name = new.to_string();
        }
        if let Some(s) = st.streams.remove(old) {
            st.streams.insert(new.to_string(), s);
        }
    }

    /// Get Streams gets Helix's rate limit: `points` calls per `window`, with its `Ratelimit-*` headers, then
    /// 429 until the window ends.
    pub fn limit_streams(&self, points: u32, window: Duration) {
        self.lock().stream_bucket = Some((points, window, points, Instant::now() + window));
    }

    /// Get Streams calls the bucket refused with 429.
    pub fn stream_429s(&self) -> u32 {
        self.lock().stream_429s
    }

    /// The broadcaster's stream (`None`: offline).
    pub fn set_stream(&self, stream: Option<StreamInfo>) {
        let login = self.broadcaster().login;
        self.set_stream_for(&login, stream);
    }

    /// Another user's stream (the user must be in the user table for `user_id=` lookups).
    pub fn set_stream_for(&self, login: &str, stream: Option<StreamInfo>) {
        let mut st = self.lock();
        match stream {
            Some(s) => st.streams.insert(login.to_string(), s),
            None => st.streams.remove(login),
        };
    }

    // ---- records ----

    /// WebSocket connections accepted (fresh and reconnects).
    pub fn connections(&self) -> u64 {
        self.lock().connections
    }

    /// Every subscription POST in order, with its status.
    pub fn subscriptions_created(&self) -> Vec<SubAttempt> {
        self.lock().sub_attempts.clone()
    }

    /// Every HTTP request (WebSocket upgrades included) in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Every frame clients sent, with the connection number (1-based).
    pub fn client_frames(&self) -> Vec<(u64, ClientFrame)> {
        self.lock().client_frames.clone()
    }

    /// Every text frame the mock sent, with the connection number.
    pub fn sent_frames(&self) -> Vec<(u64, String)> {
        self.lock().sent_frames.clone()
    }

    /// Close codes the mock sent, with the connection number.
    pub fn server_closes(&self) -> Vec<(u64, u16)> {
        self.lock().server_closes.clone()
    }

    /// When each device-code poll arrived.
    pub fn device_polls(&self) -> Vec<Instant> {
        self.lock().device_polls.clone()
    }

    /// Successful refreshes.
    pub fn refreshes(&self) -> u64 {
        self.lock().refreshes
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Server

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/ws", get(ws_route))
        .route(
            "/helix/eventsub/subscriptions",
            post(create_subscription)
                .get(list_webhook_subscriptions)
                .delete(delete_webhook_subscription),
        )
        .route("/helix/users", get(get_users))
        .route("/helix/chat/chatters", get(get_chatters))
        .route("/helix/streams", get(get_streams))
        .route("/oauth2/device", post(oauth_device))
        .route("/oauth2/token", post(oauth_token))
        .route("/oauth2/validate", get(oauth_validate))
        .route("/oauth2/revoke", post(oauth_revoke))
        .fallback(|| async { reply(404, json!({"error":"Not Found","status":404,"message":""})) })
        .layer(axum::middleware::from_fn_with_state(shared.clone(), record))
        .with_state(shared)
}

async fn record(State(sh): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    sh.lock().requests.push(RecordedRequest {
        method: parts.method.to_string(),
        target,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    });
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn reply(status: u16, body: Value) -> Response {
    (StatusCode::from_u16(status).unwrap(), Json(body)).into_response()
}

fn helix_error(status: u16, error: &str, message: &str) -> Response {
    reply(
        status,
        json!({"error": error, "status": status, "message": message}),
    )
}

fn oauth_error(status: u16, message: &str) -> Response {
    reply(status, json!({"status": status, "message": message}))
}

/// Helix authentication: `Authorization: Bearer <valid access>` and the right `Client-Id`.
fn helix_auth(st: &Inner, headers: &HeaderMap) -> Result<(), Box<Response>> {
    let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Err(Box::new(helix_error(
            401,
            "Unauthorized",
            "OAuth token is missing",
        )));
    };
    let token = auth
        .strip_prefix("Bearer ")
        .or_else(|| auth.strip_prefix("bearer "));
    let user = token == Some(st.access.as_str()) && st.access_valid;
    let app = token.is_some_and(|t| st.app_tokens.iter().any(|a| a == t));
    if !user && !app {
        return Err(Box::new(helix_error(
            401,
            "Unauthorized",
            "Invalid OAuth token",
        )));
    }
    let client = headers.get("client-id").and_then(|v| v.to_str().ok());
    if client != Some(st.opts.client_id.as_str()) {
        return Err(Box::new(helix_error(
            401,
            "Unauthorized",
            "Client ID and OAuth token do not match",
        )));
    }
    Ok(())
}

async fn create_subscription(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if parsed["transport"]["method"] == "webhook" {
        return create_webhook_subscription(sh, &headers, &parsed);
    }
    let mut st = sh.lock();
    let sub_type = parsed["type"].as_str().unwrap_or("").to_string();
    let version = parsed["version"].as_str().unwrap_or("").to_string();
    let session_id = parsed["transport"]["session_id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let condition = parsed["condition"].clone();
    let mut attempt = SubAttempt {
        session_id: session_id.clone(),
        sub_type: sub_type.clone(),
        version: version.clone(),
        status: 0,
    };
    let result = (|| {
        helix_auth(&st, &headers)?;
        if sub_type.is_empty() || version.is_empty() || !condition.is_object() {
            return Err(Box::new(helix_error(
                400,
                "Bad Request",
                "type, version and condition are required",
            )));
        }
        if parsed["transport"]["method"] != "websocket" {
            return Err(Box::new(helix_error(
                400,
                "Bad Request",
                "transport method must be websocket",
            )));
        }
        if !st.sockets.values().any(|s| s.session_id == session_id) {
            return Err(Box::new(helix_error(
                400,
                "Bad Request",
                "websocket transport session does not exist or has already disconnected",
            )));
        }
        if st.opts.forbidden_types.contains(&sub_type) {
            return Err(Box::new(helix_error(
                403,
                "Forbidden",
                "subscription missing proper authorization",
            )));
        }
        if st.subs.iter().any(|s| {
            s.session_id == session_id
                && s.status == "enabled"
                && s.sub_type == sub_type
                && s.version == version
                && s.condition == condition
        }) {
            return Err(Box::new(helix_error(
                409,
                "Conflict",
                "subscription already exists",
            )));
        }
        Ok(())
    })();
    let response = match result {
        Err(r) => *r,
        Ok(()) => {
            let sub = Subscription {
                id: uuid(),
                session_id: session_id.clone(),
                sub_type: sub_type.clone(),
                version: version.clone(),
                condition,
                created_at: now(),
                status: "enabled".into(),
            };
            st.subs.push(sub.clone());
            let total = st
                .subs
                .iter()
                .filter(|s| s.session_id == session_id && s.status == "enabled")
                .count();
            let mut data = subscription_json(&sub);
            data["transport"]["connected_at"] =
                json!(st.sessions.get(&session_id).cloned().unwrap_or_else(now));
            reply(
                202,
                json!({"data": [data], "total": total, "total_cost": 0, "max_total_cost": 10}),
            )
        }
    };
    attempt.status = response.status().as_u16();
    st.sub_attempts.push(attempt);
    response
}

fn user_json(u: &MockUser) -> Value {
    json!({"id": u.id, "login": u.login, "display_name": u.display_name})
}

async fn get_users(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let st = sh.lock();
    if let Err(r) = helix_auth(&st, &headers) {
        return *r;
    }
    let params = parse_form(q.as_deref().unwrap_or(""));
    let data: Vec<Value> = if params.is_empty() {
        vec![user_json(&st.opts.broadcaster)]
    } else {
        st.users
            .iter()
            .filter(|u| {
                params.iter().any(|(k, v)| {
                    (k == "login" && v.eq_ignore_ascii_case(&u.login)) || (k == "id" && *v == u.id)
                })
            })
            .map(user_json)
            .collect()
    };
    reply(200, json!({ "data": data }))
}

async fn get_chatters(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let mut st = sh.lock();
    if let Err(r) = helix_auth(&st, &headers) {
        return *r;
    }
    if !st
        .opts
        .scopes
        .iter()
        .any(|s| s == "moderator:read:chatters")
    {
        return helix_error(
            401,
            "Unauthorized",
            "Missing scope: moderator:read:chatters",
        );
    }
    let params = parse_form(q.as_deref().unwrap_or(""));
    for p in ["broadcaster_id", "moderator_id"] {
        if param(&params, p).is_none() {
            return helix_error(
                400,
                "Bad Request",
                &format!("Missing required parameter \"{p}\""),
            );
        }
    }
    if st.chatter_failures > 0 {
        st.chatter_failures -= 1;
        return helix_error(500, "Internal Server Error", "");
    }
    let first = param(&params, "first")
        .and_then(|f| f.parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(1, 1000);
    let start = param(&params, "after")
        .and_then(|a| a.parse::<usize>().ok())
        .unwrap_or(0)
        .min(st.chatters.len());
    let end = (start + first).min(st.chatters.len());
    let data: Vec<Value> = st.chatters[start..end]
        .iter()
        .map(|login| {
            let u = st
                .users
                .iter()
                .find(|u| u.login == *login)
                .cloned()
                .unwrap_or_else(|| MockUser::new(&stable_id(login), login));
            json!({"user_id": u.id, "user_login": u.login, "user_name": u.display_name})
        })
        .collect();
    let pagination = if end < st.chatters.len() {
        json!({ "cursor": end.to_string() })
    } else {
        json!({})
    };
    reply(
        200,
        json!({"data": data, "pagination": pagination, "total": st.chatters.len()}),
    )
}

async fn get_streams(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let mut st = sh.lock();
    if let Err(r) = helix_auth(&st, &headers) {
        return *r;
    }
    if st.stream_failures.0 > 0 {
        st.stream_failures.0 -= 1;
        let status = st.stream_failures.1;
        return helix_error(status, "Service Unavailable", "");
    }
    // Helix's headers: points left, and the refill as Unix seconds (rounded up, as a client must not come early).
    let mut limit_headers = None;
    if let Some((points, window, left, refill)) = st.stream_bucket.as_mut() {
        let now = Instant::now();
        if now >= *refill {
            *left = *points;
            *refill = now + *window;
        }
        let until = refill.saturating_duration_since(now).as_millis() as u64;
        let reset = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
            + until)
            .div_ceil(1000);
        if *left == 0 {
            st.stream_429s += 1;
            let mut r = helix_error(429, "Too Many Requests", "");
            r.headers_mut().insert("ratelimit-remaining", 0.into());
            r.headers_mut().insert("ratelimit-reset", reset.into());
            return r;
        }
        *left -= 1;
        limit_headers = Some((*left, reset));
    }
    let params = parse_form(q.as_deref().unwrap_or(""));
    let mut data = vec![];
    for u in &st.users {
        let asked = params.iter().any(|(k, v)| {
            (k == "user_id" && *v == u.id)
                || (k == "user_login" && v.eq_ignore_ascii_case(&u.login))
        });
        if let (true, Some(s)) = (asked, st.streams.get(&u.login)) {
            data.push(json!({
                "id": s.id,
                "user_id": u.id,
                "user_login": u.login,
                "user_name": u.display_name,
                "game_id": "",
                "game_name": s.game_name,
                "type": "live",
                "title": s.title,
                "tags": [],
                "viewer_count": s.viewer_count,
                "started_at": s.started_at,
                "language": "en",
                "thumbnail_url": "",
                "is_mature": false,
            }));
        }
    }
    let mut r = reply(200, json!({"data": data, "pagination": {}}));
    if let Some((left, reset)) = limit_headers {
        r.headers_mut().insert("ratelimit-remaining", left.into());
        r.headers_mut().insert("ratelimit-reset", reset.into());
    }
    r
}

// ---- OAuth ----

async fn oauth_device(
    State(sh): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let params = form_and_query(q, &body);
    let mut st = sh.lock();
    if param(&params, "client_id") != Some(st.opts.client_id.as_str()) {
        return oauth_error(400, "invalid client");
    }
    let device_code = random_token(40);
    st.device_codes.insert(device_code.clone());
    let user_code = random_token(8).to_ascii_uppercase();
    reply(
        200,
        json!({
            "device_code": device_code,
            "expires_in": st.opts.device_expires_in,
            "interval": st.opts.device_interval_secs.max(1),
            "user_code": user_code,
            "verification_uri": format!("https://www.twitch.tv/activate?public=true&device-code={user_code}"),
        }),
    )
}

fn issue_tokens(st: &mut Inner) -> Response {
    st.access = random_token(30);
    st.access_valid = true;
    st.refresh = random_token(50);
    st.refresh_valid = true;
    reply(
        200,
        json!({
            "access_token": st.access,
            "refresh_token": st.refresh,
            "expires_in": st.opts.token_expires_in,
            "scope": st.opts.scopes,
            "token_type": "bearer",
        }),
    )
}

async fn oauth_token(
    State(sh): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let params = form_and_query(q, &body);
    let mut st = sh.lock();
    let client_ok = param(&params, "client_id") == Some(st.opts.client_id.as_str());
    match param(&params, "grant_type") {
        Some("urn:ietf:params:oauth:grant-type:device_code") => {
            st.device_polls.push(Instant::now());
            if !client_ok {
                return oauth_error(400, "invalid client");
            }
            let code = param(&params, "device_code").unwrap_or("").to_string();
            if !st.device_codes.contains(&code) {
                return oauth_error(400, "invalid device code");
            }
            match st
                .device_outcomes
                .pop_front()
                .unwrap_or(DeviceOutcome::Approve)
            {
                DeviceOutcome::Pending => oauth_error(400, "authorization_pending"),
                DeviceOutcome::SlowDown => oauth_error(400, "slow_down"),
                DeviceOutcome::Denied => {
                    st.device_codes.remove(&code);
                    oauth_error(400, "access_denied")
                }
                DeviceOutcome::Expired => {
                    st.device_codes.remove(&code);
                    oauth_error(400, "expired_token")
                }
                DeviceOutcome::InvalidCode => oauth_error(400, "invalid device code"),
                DeviceOutcome::Approve => {
                    st.device_codes.remove(&code);
                    issue_tokens(&mut st)
                }
            }
        }
        Some("client_credentials") => {
            if !client_ok || param(&params, "client_secret") != Some(st.opts.client_secret.as_str())
            {
                return oauth_error(403, "invalid client secret");
            }
            let token = format!("app{}", random_token(27));
            st.app_tokens.push(token.clone());
            reply(
                200,
                json!({"access_token": token, "expires_in": 5_000_000, "token_type": "bearer"}),
            )
        }
        Some("refresh_token") => {
            if !client_ok {
                return oauth_error(400, "invalid client");
            }
            let given = param(&params, "refresh_token").unwrap_or("");
            if !st.refresh_valid || given != st.refresh {
                return oauth_error(400, "Invalid refresh token");
            }
            st.refreshes += 1;
            issue_tokens(&mut st)
        }
        _ => oauth_error(400, "unsupported grant type"),
    }
}

async fn oauth_validate(State(sh): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let st = sh.lock();
    let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return oauth_error(401, "missing authorization token");
    };
    let token = auth
        .strip_prefix("OAuth ")
        .or_else(|| auth.strip_prefix("Bearer "))
        .or_else(|| auth.strip_prefix("oauth "))
        .or_else(|| auth.strip_prefix("bearer "));
    if token != Some(st.access.as_str()) || !st.access_valid {
        return oauth_error(401, "invalid access token");
    }
    reply(
        200,
        json!({
            "client_id": st.opts.client_id,
            "login": st.opts.broadcaster.login,
            "scopes": st.opts.scopes,
            "user_id": st.opts.broadcaster.id,
            "expires_in": st.opts.token_expires_in,
        }),
    )
}

async fn oauth_revoke(
    State(sh): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let params = form_and_query(q, &body);
    let mut st = sh.lock();
    if param(&params, "client_id") != Some(st.opts.client_id.as_str()) {
        return oauth_error(404, "client does not exist");
    }
    let token = param(&params, "token").unwrap_or("");
    if st.access_valid && token == st.access {
        st.access_valid = false;
    } else if st.refresh_valid && token == st.refresh {
        st.refresh_valid = false;
    } else {
        return oauth_error(400, "Invalid token");
    }
    (StatusCode::OK, "").into_response()
}

// ---- EventSub WebSocket ----

async fn ws_route(
    State(sh): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
    up: WebSocketUpgrade,
) -> Response {
    let params = parse_form(q.as_deref().unwrap_or(""));
    up.on_upgrade(move |ws| socket_task(sh, ws, params))
}

/// What a socket task needs to start.
struct Opening {
    conn: u64,
    session_id: String,
    fresh: bool,
    keepalive: Duration,
    ping: Option<Duration>,
    rx: mpsc::UnboundedReceiver<Cmd>,
    welcome: String,
}

fn open_socket(sh: &Shared, params: &[(String, String)]) -> Result<Opening, u64> {
    let mut st = sh.lock();
    st.connections += 1;
    st.next_conn += 1;
    let conn = st.next_conn;
    let reconnect_session = match param(params, "reconnect") {
        Some(token) => {
            let sid = st.reconnect_tokens.remove(token);
            match sid {
                Some(sid) if st.sockets.values().any(|s| s.session_id == sid) => Some(sid),
                _ => return Err(conn),
            }
        }
        None => None,
    };
    let keepalive = st.opts.keepalive_secs.unwrap_or_else(|| {
        param(params, "keepalive_timeout_seconds")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(10)
            .clamp(10, 600)
    });
    let fresh = reconnect_session.is_none();
    let session_id = match reconnect_session {
        Some(sid) => sid,
        None => {
            st.next_session += 1;
            let sid = format!("mock_{}", st.next_session);
            st.sessions.insert(sid.clone(), now());
            sid
        }
    };
    let (tx, rx) = mpsc::unbounded_channel();
    st.sockets.insert(
        conn,
        SocketEntry {
            session_id: session_id.clone(),
            tx,
        },
    );
    let welcome = json!({
        "metadata": meta("session_welcome"),
        "payload": { "session": {
            "id": session_id,
            "status": "connected",
            "keepalive_timeout_seconds": keepalive,
            "reconnect_url": null,
            "connected_at": now(),
        }}
    })
    .to_string();
    Ok(Opening {
        conn,
        session_id,
        fresh,
        keepalive: Duration::from_secs(keepalive),
        ping: st.opts.ping_secs.map(Duration::from_secs),
        rx,
        welcome,
    })
}

/// The status a session's subscriptions take when its last socket goes this way (`None`: the client left).
fn disabled_status(code: Option<u16>) -> &'static str {
    match code {
        Some(4000) => "websocket_internal_error",
        Some(4001) => "websocket_received_inbound_traffic",
        Some(4002) => "websocket_failed_ping_pong",
        Some(4003) => "websocket_connection_unused",
        Some(4004) => "websocket_failed_to_reconnect",
        Some(4005) => "websocket_network_timeout",
        Some(4006) => "websocket_network_error",
        _ => "websocket_disconnected",
    }
}

fn close_reason(code: u16) -> &'static str {
    match code {
        4000 => "internal server error",
        4001 => "sent inbound traffic",
        4002 => "failed ping pong",
        4003 => "connection unused",
        4004 => "reconnect grace time expired",
        4005 => "network timeout",
        4006 => "network error",
        4007 => "invalid reconnect",
        _ => "closed",
    }
}

fn record_client(sh: &Shared, conn: u64, msg: &Message) -> ClientFrame {
    let frame = match msg {
        Message::Text(t) => ClientFrame::Text(t.as_str().to_string()),
        Message::Binary(b) => ClientFrame::Binary(b.to_vec()),
        Message::Ping(b) => ClientFrame::Ping(b.to_vec()),
        Message::Pong(b) => ClientFrame::Pong(b.to_vec()),
        Message::Close(f) => {
            ClientFrame::Close(f.as_ref().map(|f| (f.code, f.reason.as_str().to_string())))
        }
    };
    sh.lock().client_frames.push((conn, frame.clone()));
    frame
}

async fn send_text(sh: &Shared, ws: &mut WebSocket, conn: u64, text: String) {
    sh.lock().sent_frames.push((conn, text.clone()));
    let _ = ws.send(Message::Text(text.into())).await;
}

/// Sends a close frame and waits (briefly) for the client's answer.
async fn close_ws(sh: &Shared, ws: &mut WebSocket, conn: u64, code: u16) {
    sh.lock().server_closes.push((conn, code));
    let _ = ws
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: close_reason(code).into(),
        })))
        .await;
    // The session is gone as soon as the close is sent, whether or not the client answers it.
    socket_gone(sh, conn, Some(code));
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(m)) = ws.recv().await {
            record_client(sh, conn, &m);
        }
    })
    .await;
}

async fn socket_task(sh: Arc<Shared>, mut ws: WebSocket, params: Vec<(String, String)>) {
    let o = match open_socket(&sh, &params) {
        Ok(o) => o,
        Err(conn) => {
            close_ws(&sh, &mut ws, conn, 4007).await;
            return;
        }
    };
    let conn = o.conn;
    let mut rx = o.rx;
    let far = tokio::time::Instant::now() + Duration::from_secs(86_400 * 365);
    send_text(&sh, &mut ws, conn, o.welcome).await;
    let mut last_sent = tokio::time::Instant::now();
    let mut subscribe_by = o.fresh.then(|| last_sent + o.keepalive);
    let mut grace_until: Option<tokio::time::Instant> = None;
    let mut next_ping = o.ping.map(|p| last_sent + p);
    let mut awaiting_pong = false;
    let mut silenced = false;
    let mut client_closed = false;
    // The close code the mock sent, `None` when the client went.
    let ended: Option<u16> = loop {
        tokio::select! {
            biased;
            m = ws.recv() => {
                let Some(Ok(m)) = m else { break None };
                match record_client(&sh, conn, &m) {
                    ClientFrame::Pong(_) => awaiting_pong = false,
                    ClientFrame::Close(_) => client_closed = true,
                    _ => {
                        if !client_closed {
                            close_ws(&sh, &mut ws, conn, 4001).await;
                            break Some(4001);
                        }
                    }
                }
            }
            cmd = rx.recv() => match cmd {
                None => break None,
                Some(_) if client_closed => {}
                Some(Cmd::Text(t)) => {
                    if !silenced {
                        send_text(&sh, &mut ws, conn, t).await;
                        last_sent = tokio::time::Instant::now();
                    }
                }
                Some(Cmd::Reconnect { frame, grace }) => {
                    if !silenced {
                        send_text(&sh, &mut ws, conn, frame).await;
                        last_sent = tokio::time::Instant::now();
                        grace_until = Some(last_sent + grace);
                    }
                }
                Some(Cmd::Close(code)) => {
                    close_ws(&sh, &mut ws, conn, code).await;
                    break Some(code);
                }
                Some(Cmd::Drop) => break Some(4006),
                Some(Cmd::Silence) => silenced = true,
            },
            _ = tokio::time::sleep_until(subscribe_by.unwrap_or(far)),
                if subscribe_by.is_some() && !silenced && !client_closed => {
                subscribe_by = None;
                let used = sh.lock().subs.iter().any(|s| s.session_id == o.session_id);
                if !used {
                    close_ws(&sh, &mut ws, conn, 4003).await;
                    break Some(4003);
                }
            }
            _ = tokio::time::sleep_until(grace_until.unwrap_or(far)),
                if grace_until.is_some() && !silenced && !client_closed => {
                close_ws(&sh, &mut ws, conn, 4004).await;
                break Some(4004);
            }
            _ = tokio::time::sleep_until(next_ping.unwrap_or(far)),
                if next_ping.is_some() && !silenced && !client_closed => {
                if awaiting_pong {
                    close_ws(&sh, &mut ws, conn, 4002).await;
                    break Some(4002);
                }
                awaiting_pong = true;
                let _ = ws.send(Message::Ping(Bytes::from_static(b"mock"))).await;
                next_ping = o.ping.map(|p| tokio::time::Instant::now() + p);
            }
            _ = tokio::time::sleep_until(last_sent + o.keepalive), if !silenced && !client_closed => {
                let frame = json!({"metadata": meta("session_keepalive"), "payload": {}}).to_string();
                send_text(&sh, &mut ws, conn, frame).await;
                last_sent = tokio::time::Instant::now();
            }
        }
    };
    drop(ws);
    socket_gone(&sh, conn, ended);
}

/// The socket leaves the table (once); when it was its session's last, the session dies: its subscriptions are
/// disabled (status per `code`, the close code the mock sent) and its reconnect URLs stop working.
fn socket_gone(sh: &Shared, conn: u64, code: Option<u16>) {
    let mut st = sh.lock();
    let Some(gone) = st.sockets.remove(&conn) else {
        return;
    };
    let sid = gone.session_id;
    if !st.sockets.values().any(|s| s.session_id == sid) {
        let status = disabled_status(code);
        for s in st.subs.iter_mut() {
            if s.session_id == sid && s.status == "enabled" {
                s.status = status.into();
            }
        }
        st.reconnect_tokens.retain(|_, s| *s != sid);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

/// The current socket: (connection number, session id).
fn current(st: &Inner) -> Option<(u64, String)> {
    st.sockets
        .iter()
        .next_back()
        .map(|(c, s)| (*c, s.session_id.clone()))
}

fn subscription_json(s: &Subscription) -> Value {
    json!({
        "id": s.id,
        "status": s.status,
        "type": s.sub_type,
        "version": s.version,
        "condition": s.condition,
        "transport": {"method": "websocket", "session_id": s.session_id},
        "created_at": s.created_at,
        "cost": 0,
    })
}

fn meta(message_type: &str) -> Value {
    json!({"message_id": uuid(), "message_type": message_type, "message_timestamp": now()})
}

/// RFC 3339 with nanoseconds, as Twitch writes timestamps.
fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

fn uuid() -> String {
    let h = |n: usize| -> String {
        (0..n)
            .map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap())
            .collect()
    };
    format!("{}-{}-4{}-a{}-{}", h(8), h(4), h(3), h(3), h(12))
}

fn random_token(n: usize) -> String {
    (0..n)
        .map(|_| {
            let i = fastrand::u32(0..36);
            char::from_digit(i, 36).unwrap()
        })
        .collect()
}

/// A numeric user id derived from the login (stable across calls).
fn stable_id(login: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in login.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{}", 10_000_000 + h % 890_000_000)
}

fn display_of(login: &str) -> String {
    let mut c = login.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn form_and_query(q: Option<String>, body: &[u8]) -> Vec<(String, String)> {
    let mut p = parse_form(&String::from_utf8_lossy(body));
    p.extend(parse_form(q.as_deref().unwrap_or("")));
    p
}

/// `application/x-www-form-urlencoded` (and query strings).
fn parse_form(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `POST /helix/eventsub/subscriptions` with a webhook transport, as Twitch: an app token, a secret of 10–100
/// characters, an HTTPS callback (loopback HTTP here), 409 for one that exists; then the challenge, signed with
/// the secret, is POSTed to the callback, and the subscription is enabled only if the answer is the challenge.
fn create_webhook_subscription(sh: Arc<Shared>, headers: &HeaderMap, parsed: &Value) -> Response {
    let mut st = sh.lock();
    if let Err(r) = helix_auth(&st, headers) {
        return *r;
    }
    let bearer = (headers.get("authorization").and_then(|v| v.to_str().ok()))
        .and_then(|a| a.strip_prefix("Bearer "))
        .unwrap_or("");
    if !st.app_tokens.iter().any(|t| t == bearer) {
        return helix_error(
            400,
            "Bad Request",
            "webhook subscriptions require an app access token",
        );
    }
    let sub_type = parsed["type"].as_str().unwrap_or("").to_string();
    let broadcaster = parsed["condition"]["broadcaster_user_id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let callback = parsed["transport"]["callback"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let secret = parsed["transport"]["secret"]
        .as_str()
        .unwrap_or("")
        .to_string();
    if !(10..=100).contains(&secret.len()) || broadcaster.is_empty() || sub_type.is_empty() {
        return helix_error(400, "Bad Request", "invalid transport or condition");
    }
    if !callback.starts_with("https://") && !callback.starts_with("http://127.0.0.1") {
        return helix_error(400, "Bad Request", "callback must use https");
    }
    // As Twitch: one per type and condition, whatever the callback.
    if (st.webhook_subs.iter())
        .any(|w| w.sub_type == sub_type && w.broadcaster_user_id == broadcaster)
    {
        return helix_error(409, "Conflict", "subscription already exists");
    }
    let sub = WebhookSub {
        id: format!("wh-{}", random_token(12)),
        sub_type: sub_type.clone(),
        broadcaster_user_id: broadcaster.clone(),
        callback: callback.clone(),
        secret: secret.clone(),
        status: "webhook_callback_verification_pending".into(),
    };
    st.webhook_subs.push(sub.clone());
    drop(st);
    let sh2 = sh.clone();
    tokio::spawn(async move {
        let challenge = format!("challenge-{}", random_token(20));
        let body =
            json!({"challenge": challenge, "subscription": webhook_sub_json(&sub)}).to_string();
        let answer = post_signed(&sub, "webhook_callback_verification", &body).await;
        let ok = matches!(&answer, Some((200, text)) if *text == challenge);
        let mut st = sh2.lock();
        if let Some(w) = st.webhook_subs.iter_mut().find(|w| w.id == sub.id) {
            w.status = if ok {
                "enabled"
            } else {
                "webhook_callback_verification_failed"
            }
            .into();
        }
    });
    reply(
        202,
        json!({"data": [webhook_sub_json_pending(&sub_type, &broadcaster, &callback)], "total": 1, "total_cost": 1, "max_total_cost": 10000}),
    )
}

fn webhook_sub_json(w: &WebhookSub) -> Value {
    json!({"id": w.id, "status": w.status, "type": w.sub_type, "version": "1", "cost": 1,
           "condition": {"broadcaster_user_id": w.broadcaster_user_id},
           "transport": {"method": "webhook", "callback": w.callback},
           "created_at": "2026-11-28T12:00:00Z"})
}

fn webhook_sub_json_pending(sub_type: &str, broadcaster: &str, callback: &str) -> Value {
    json!({"status": "webhook_callback_verification_pending", "type": sub_type, "version": "1",
           "condition": {"broadcaster_user_id": broadcaster},
           "transport": {"method": "webhook", "callback": callback}})
}

/// POSTs a webhook message to the subscription's callback, signed as Twitch signs; the status and body.
async fn post_signed(sub: &WebhookSub, kind: &str, body: &str) -> Option<(u16, String)> {
    use hmac::{Hmac, Mac};
    let id = format!("msg-{}", random_token(16));
    let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(sub.secret.as_bytes()).ok()?;
    mac.update(id.as_bytes());
    mac.update(ts.as_bytes());
    mac.update(body.as_bytes());
    let sig: String = (mac.finalize().into_bytes().iter())
        .map(|b| format!("{b:02x}"))
        .collect();
    let resp = reqwest::Client::new()
        .post(&sub.callback)
        .header("Twitch-Eventsub-Message-Id", id)
        .header("Twitch-Eventsub-Message-Timestamp", ts)
        .header("Twitch-Eventsub-Message-Signature", format!("sha256={sig}"))
        .header("Twitch-Eventsub-Message-Type", kind)
        .header("Twitch-Eventsub-Message-Retry", "0")
        .header("Twitch-Eventsub-Subscription-Type", &sub.sub_type)
        .header("Twitch-Eventsub-Subscription-Version", "1")
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .ok()?;
    let status = resp.status().as_u16();
    Some((status, resp.text().await.unwrap_or_default()))
}

impl TwitchMock {
    /// The webhook subscriptions created so far.
    pub fn webhook_subs(&self) -> Vec<WebhookSub> {
        self.lock().webhook_subs.clone()
    }

    /// Sends a `stream.online` or `stream.offline` notification for `login` to its enabled webhook
    /// subscription, as Twitch would; the status the callback answered.
    pub fn notify_webhook(&self, sub_type: &str, login: &str) -> Option<u16> {
        let (sub, user) = {
            let st = self.lock();
            let user = st.users.iter().find(|u| u.login == login)?.clone();
            let sub = (st.webhook_subs.iter())
                .find(|w| {
                    w.sub_type == sub_type
                        && w.broadcaster_user_id == user.id
                        && w.status == "enabled"
                })?
                .clone();
            (sub, user)
        };
        let event = json!({"id": "9001", "broadcaster_user_id": user.id, "broadcaster_user_login": user.login,
                           "broadcaster_user_name": user.login, "type": "live",
                           "started_at": "2026-11-28T12:00:00Z"});
        let body = json!({"subscription": webhook_sub_json(&sub), "event": event}).to_string();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        rt.block_on(post_signed(&sub, "notification", &body))
            .map(|(s, _)| s)
    }
}

/// `GET /helix/eventsub/subscriptions?type=` for the app's webhook subscriptions (one page).
async fn list_webhook_subscriptions(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let st = sh.lock();
    if let Err(r) = helix_auth(&st, &headers) {
        return *r;
    }
    let params = parse_form(q.as_deref().unwrap_or(""));
    let want = params
        .iter()
        .find(|(k, _)| k == "type")
        .map(|(_, v)| v.clone());
    let data: Vec<Value> = (st.webhook_subs.iter())
        .filter(|w| want.as_ref().is_none_or(|t| *t == w.sub_type))
        .map(webhook_sub_json)
        .collect();
    reply(
        200,
        json!({"data": data, "total": data.len(), "pagination": {}}),
    )
}

/// `DELETE /helix/eventsub/subscriptions?id=`.
async fn delete_webhook_subscription(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let mut st = sh.lock();
    if let Err(r) = helix_auth(&st, &headers) {
        return *r;
    }
    let params = parse_form(q.as_deref().unwrap_or(""));
    let Some((_, id)) = params.iter().find(|(k, _)| k == "id") else {
        return helix_error(400, "Bad Request", "id is required");
    };
    let before = st.webhook_subs.len();
    st.webhook_subs.retain(|w| w.id != *id);
    if st.webhook_subs.len() == before {
        return helix_error(404, "Not Found", "subscription not found");
    }
    StatusCode::NO_CONTENT.into_response()
}
