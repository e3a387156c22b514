//! `--serve` in the room runners: starts the local API before the rooms, publishes each headless line to it,
//! and answers its queries from the state (the runner owns the state; the server only asks).

use crate::api::{self, Query, ServeOptions};
use crate::app::{ExitReason, Room, State};
use crate::effects::SessionFiles;
use crate::event::{format_at, write_json_line, RoomEvent};
use crate::sources::ConnState;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;

use super::RunError;

type WebhookHandler = Box<dyn Fn(&api::eventsub::Webhook) + Send>;

/// The server of a session and the rooms' names as the hub tags lines with them.
pub struct Serving {
    server: api::Server,
    rooms: Vec<(Arc<str>, &'static str)>,
    /// What `POST /eventsub` checks signatures with, for the subscriptions the channel watch creates.
    pub webhook_secret: String,
    /// Who acts on webhook messages (the channel watch); without one they are logged and ignored.
    on_webhook: Option<WebhookHandler>,
}

/// Reads (or creates) the API key and binds: before any room starts, so a taken port changes nothing.
pub fn start(opts: &ServeOptions, config: &crate::config::Config) -> Result<Serving, RunError> {
    opts.check().map_err(RunError::usage)?;
    let webhook = webhook_secret(config)?;
    let secrets = api::Secrets {
        key: api_key(config)?,
        webhook: webhook.clone(),
    };
    let server = api::start(opts, secrets).map_err(RunError::usage)?;
    if !server.addr.ip().is_loopback() {
        crate::stderr::say(&format!(
            "roomwatch: warning: the API listens on {} (not loopback): anyone who can reach it may try the key",
            server.addr
        ));
    }
    crate::stderr::say(&format!(
        "roomwatch: API on http://{} (`roomwatch api-url` prints the URLs with the key)",
        server.addr
    ));
    tracing::info!(addr = %server.addr, "local API serving");
    Ok(Serving {
        server,
        rooms: Vec::new(),
        webhook_secret: webhook,
        on_webhook: None,
    })
}

/// The API key, created on first use.
pub fn api_key(config: &crate::config::Config) -> Result<String, RunError> {
    let path = (config.paths.api_key.as_ref()).ok_or_else(|| {
        RunError::usage("no data directory for the API key; set data_dir in the config")
    })?;
    api::secret::load_or_create(path, "the API key").map_err(RunError::usage)
}

/// The EventSub webhook secret, created on first use (every `--serve` serves `POST /eventsub`).
pub fn webhook_secret(config: &crate::config::Config) -> Result<String, RunError> {
    let path = (config.paths.eventsub_secret.as_ref()).ok_or_else(|| {
        RunError::usage("no data directory for the webhook secret; set data_dir in the config")
    })?;
    api::secret::load_or_create(path, "the EventSub webhook secret").map_err(RunError::usage)
}

impl Serving {
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr
    }

    /// Names the session's rooms, in the state's order.
    pub fn set_rooms(&mut self, state: &State) {
        self.rooms = (state.rooms.iter())
            .map(|r| (Arc::from(r.name()), r.platform().as_str()))
            .collect();
    }

    /// Webhook messages go to `act` from now on, instead of the queries.
    pub fn on_webhook(&mut self, act: impl Fn(&api::eventsub::Webhook) + Send + 'static) {
        self.on_webhook = Some(Box::new(act));
    }

    /// `q`, unless it is a webhook message someone acts on (then it is handed over here).
    fn screen(&self, q: Query) -> Option<Query> {
        match (&q, &self.on_webhook) {
            (Query::Webhook(hook), Some(act)) => {
                act(hook);
                None
            }
            _ => Some(q),
        }
    }

    /// Hands one room's events to the SSE clients, as their headless lines.
    pub fn publish(&self, r: usize, events: &[RoomEvent]) {
        if let Some((room, platform)) = self.rooms.get(r) {
            for ev in events {
                (self.server.hub).publish(room, platform, ev.kind().as_str(), line(room, ev));
            }
        }
    }

    /// Hands one already formatted headless line (without its newline) to the SSE clients.
    pub fn publish_line(&self, r: usize, kind: &'static str, text: String) {
        if let Some((room, platform)) = self.rooms.get(r) {
            self.server.hub.publish(room, platform, kind, text);
        }
    }

    /// Hands a line of a room that is not one of the session's rooms (a watched channel) to the SSE clients.
    pub fn publish_as(&self, room: &str, platform: &'static str, kind: &'static str, text: String) {
        (self.server.hub).publish(&Arc::from(room), platform, kind, text);
    }

    /// Answers the queries already waiting, a few at most (the TUI calls this after each turn of sources, so a
    /// busy inbox and a busy API both get their turn). `Some` when the session must end.
    pub fn answer_waiting(
        serving: &mut Option<Serving>,
        state: &State,
        files: &[SessionFiles],
    ) -> Option<ExitReason> {
        let s = serving.as_mut()?;
        for _ in 0..QUERIES_PER_TURN {
            let q = s.server.try_query()?;
            let Some(q) = s.screen(q) else {
                continue;
            };
            if let Some(end) = answer(q, state, files) {
                return Some(end);
            }
        }
        None
    }

    /// The next query from the server (pending forever without a server).
    pub async fn next_query(serving: &mut Option<Serving>) -> Query {
        match serving {
            Some(s) => loop {
                let q = s.server.next_query().await;
                if let Some(q) = s.screen(q) {
                    break q;
                }
            },
            None => std::future::pending().await,
        }
    }
}

/// Queries answered between two turns of the sources, at most.
const QUERIES_PER_TURN: usize = 8;

/// One event's headless line, without the newline.
pub fn line(room: &str, ev: &RoomEvent) -> String {
    let mut buf = Vec::with_capacity(256);
    // Writing to a Vec cannot fail.
    let _ = write_json_line(&mut buf, room, ev);
    if buf.last() == Some(&b'\n') {
        buf.pop();
    }
    // The writer produces JSON, which is UTF-8.
    String::from_utf8(buf).unwrap_or_default()
}

/// Answers `q` from the state; `Some` when the session must end (the server failed).
pub fn answer(q: Query, state: &State, files: &[SessionFiles]) -> Option<ExitReason> {
    let now = Utc::now();
    match q {
        Query::Rooms(reply) => {
            let goal = state.settings.tip_goal.as_ref();
            let _ = reply.send(to_json(&Rooms {
                rooms: state.rooms.iter().map(|r| room_out(r, goal)).collect(),
            }));
        }
        Query::Summary { room, reply } => {
            let found = find_room(state, &room).map(|i| {
                crate::effects::summary::to_json(&files[i].summary_now(&state.rooms[i], now))
            });
            let _ = reply.send(found);
        }
        Query::Channels(reply) => {
            let _ = reply.send(channels_json(state.channels.as_ref()));
        }
        Query::Webhook(hook) => unwatched_webhook(&hook),
        Query::Failed(why) => return Some(ExitReason::FatalError(why)),
    }
    None
}

/// A webhook message where no channel watch runs: rooms get their events over their own socket, so it is only
/// logged (a subscription made by hand, or left over from a `channels` session).
pub fn unwatched_webhook(hook: &api::eventsub::Webhook) {
    tracing::info!(
        ?hook,
        "EventSub webhook message with no channel watch running; ignored"
    );
}

/// A room by its name, or by `platform:name` where two platforms share a name.
fn find_room(state: &State, name: &str) -> Option<usize> {
    let by = |f: &dyn Fn(&Room) -> bool| state.rooms.iter().position(f);
    match name.split_once(':') {
        Some((platform, n)) => by(&|r| r.platform().as_str() == platform && r.name() == n),
        None => by(&|r| r.name() == name),
    }
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Plain structs of strings and numbers: serializing cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

#[derive(Serialize)]
struct Rooms<'a> {
    rooms: Vec<RoomOut<'a>>,
}

#[derive(Serialize)]
struct RoomOut<'a> {
    room: &'a str,
    platform: &'static str,
    /// `connecting`, `live`, `retrying`, `refused`, `stopped`, or `ended`.
    status: &'static str,
    /// Why the room ended (the summary's `exit_reason`), once it has.
    ended: Option<&'static str>,
    started_at: String,
    last_event_at: Option<String>,
    events: u64,
    duplicates_dropped: u64,
    in_room: usize,
    /// The room's money unit (`tokens`, `bits`).
    unit: crate::event::Unit,
    /// Per money unit: what was given, and in how many gifts. One unit per room today.
    totals: Vec<Total>,
    /// The configured goal, where it is in the room's unit (`tip_goal` is in tokens).
    goal: Option<Goal<'a>>,
}

#[derive(Serialize)]
struct Goal<'a> {
    amount: u64,
    unit: crate::event::Unit,
    label: &'a str,
}

#[derive(Serialize)]
struct Total {
    unit: crate::event::Unit,
    amount: u64,
    gifts: u64,
}

fn room_out<'a>(r: &'a Room, goal: Option<&'a crate::app::settings::TipGoal>) -> RoomOut<'a> {
    let s = &r.stats;
    let status = match (&r.ended, &s.conn.state) {
        (Some(_), _) => "ended",
        (None, ConnState::Connecting) => "connecting",
        (None, ConnState::Live) => "live",
        (None, ConnState::Retrying { .. }) => "retrying",
        (None, ConnState::CredentialsRefused) => "refused",
        (None, ConnState::Stopped) => "stopped",
    };
    let at = |t: Option<DateTime<Utc>>| t.map(format_at);
    RoomOut {
        room: r.name(),
        platform: r.platform().as_str(),
        status,
        ended: r.ended.as_ref().map(ExitReason::as_str),
        started_at: format_at(r.started_at),
        last_event_at: at(s.last_event_at),
        events: s.events_total,
        duplicates_dropped: s.duplicates_dropped,
        in_room: s.in_room.len(),
        unit: r.unit,
        totals: vec![Total {
            unit: r.unit,
            amount: s.total_in(r.unit),
            gifts: s.ledger(r.unit).count,
        }],
        goal: goal
            .filter(|g| g.tokens > 0 && r.unit == crate::event::Unit::Tokens)
            .map(|g| Goal {
                amount: g.tokens,
                unit: crate::event::Unit::Tokens,
                label: &g.label,
            }),
    }
}

/// `roomwatch api-url`: the URLs with the key, for copy-paste into OBS or a script.
pub fn print_urls(addr: std::net::SocketAddr, config_file: Option<std::path::PathBuf>) -> i32 {
    use crate::app::msg::exit_code;
    let opts = crate::config::LoadOptions {
        config_file,
        ..crate::config::LoadOptions::default()
    };
    let key = crate::config::load(&opts)
        .map_err(|e| RunError::usage(e.to_string()))
        .and_then(|config| api_key(&config));
    let key = match key {
        Ok(k) => k,
        Err(e) => {
            crate::stderr::say(&format!("roomwatch: {}", e.message));
            return e.code;
        }
    };
    // A wildcard bind is reached through loopback from this machine.
    let host = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => {
            std::net::SocketAddr::from(([127, 0, 0, 1], addr.port()))
        }
        ip if ip.is_unspecified() => {
            std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port()))
        }
        _ => addr,
    };
    let base = format!("http://{host}");
    let mut out = String::new();
    for (what, path) in [
        ("overlay goal", "/overlay/goal"),
        ("overlay latest", "/overlay/latest"),
        ("overlay top", "/overlay/top"),
        ("overlay feed", "/overlay/feed"),
        ("events (SSE)", "/api/v1/events"),
        ("rooms (JSON)", "/api/v1/rooms"),
        ("channels (JSON)", "/api/v1/channels"),
    ] {
        out.push_str(&format!("{what:<16} {base}{path}?key={key}\n"));
    }
    out.push_str(&format!(
        "{:<16} Authorization: Bearer {key}   (instead of ?key= for scripts)\n",
        "header"
    ));
    use std::io::Write;
    match std::io::stdout().lock().write_all(out.as_bytes()) {
        Ok(()) => exit_code::OK,
        Err(_) => exit_code::FATAL,
    }
}

/// `GET /api/v1/channels`: the channel watch's last good poll (live first) and the platform's health.
pub fn channels_json(board: Option<&crate::app::channels::ChannelBoard>) -> Vec<u8> {
    use crate::sources::watch::engine::Health;
    let Some(board) = board else {
        // No channel watch in this session.
        return br#"{"channels":[]}"#.to_vec();
    };
    let health = match board.health {
        None | Some(Health::Good) => "good",
        Some(Health::Degraded) => "degraded",
        Some(Health::Maintenance) => "maintenance",
    };
    // Before the first good poll nothing is known: no channel is said to be offline.
    let rows = if board.polled { &board.rows[..] } else { &[] };
    let channels: Vec<serde_json::Value> = (rows.iter())
        .map(|r| {
            serde_json::json!({
                "channel": r.login,
                "platform": "twitch",
                "live": r.live,
                "started_at": r.started_at.filter(|_| r.live).map(format_at),
                "title": (!r.title.is_empty()).then_some(&r.title),
                "category": (!r.category.is_empty()).then_some(&r.category),
                "viewers": r.viewers,
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "channels": channels,
        "health": health,
        "last_good_poll": board.last_good.map(format_at),
    }))
    .unwrap_or_default()
}
