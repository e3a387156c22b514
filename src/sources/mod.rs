//! Event sources. Each runs as a task, owns its network (or generator) and cursor, and sends one
//! [`SourceMsg::Batch`] per reply plus status changes through a bounded channel.

pub mod backoff;
pub mod chaturbate;
pub mod dedup;
pub mod http;
pub mod json;
pub mod platform;
pub mod rate_limit;
pub mod replay;
pub mod simulator;
pub mod supervisor;
pub mod twitch;
pub mod watch;

use crate::event::RoomEvent;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Channel capacity in batches: if the consumer stalls, the source waits before its next poll.
pub const CHANNEL_BATCHES: usize = 4;

/// Largest reply body read, after decompression. The reference payloads' events are 28–529 bytes, so even a
/// thousand of them in one reply is under 1 MB; 4 MiB keeps a hostile or broken server (a gzip bomb, an
/// endless chunked body) from taking more memory than that. A larger reply is an invalid reply.
pub const MAX_REPLY_BYTES: usize = 4 * 1024 * 1024;

/// Everything a source tells the main task.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceMsg {
    Batch(Batch),
    Status(ConnStatus),
    /// Something worth a line in the status area and the log (a refused `nextUrl`, skipped events, …).
    Notice(String),
    /// The source has nothing more to send (end of a replay, a bounded simulator run).
    Ended,
    /// The source cannot go on.
    Fatal(SourceError),
}

/// The distinct events of one reply, in arrival order, already de-duplicated.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub received_at: DateTime<Utc>,
    pub events: Vec<RoomEvent>,
    /// Items skipped in this reply (no id, not an object).
    pub skipped: u32,
    /// Events dropped in this reply because their id was already seen.
    pub duplicates_dropped: u32,
}

/// Why a source stopped for good.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// 401/403 after a confirmation retry.
    #[error("the platform refused the credentials (HTTP {status})")]
    CredentialsRefused { status: u16 },
    /// 404 and other replies that retrying cannot fix.
    #[error("{0}")]
    Fatal(String),
    /// The source task panicked (a bug): the session ends at once.
    #[error("the event source stopped on an internal error: {0}")]
    Panic(String),
    /// The source's channel closed without `Ended` or `Fatal` (set by the runner, never sent).
    #[error("the event source stopped without saying why (an internal error)")]
    Vanished,
}

/// Error classes, as counted in the summary (`connection.errors_by_class`) and shown in the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorClass {
    /// A non-success HTTP status.
    Status(u16),
    Timeout,
    Connect,
    Network,
    /// A reply whose envelope could not be parsed (truncated, not JSON, not an object).
    InvalidReply,
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorClass::Status(s) => write!(f, "{s}"),
            ErrorClass::Timeout => f.write_str("timeout"),
            ErrorClass::Connect => f.write_str("connect"),
            ErrorClass::Network => f.write_str("network"),
            ErrorClass::InvalidReply => f.write_str("invalid reply"),
        }
    }
}

impl ErrorClass {
    /// Stable key for summaries and logs: `http_503`, `timeout`, `connect`, `network`, `invalid_reply`.
    pub fn key(&self) -> String {
        match self {
            ErrorClass::Status(s) => format!("http_{s}"),
            ErrorClass::Timeout => "timeout".into(),
            ErrorClass::Connect => "connect".into(),
            ErrorClass::Network => "network".into(),
            ErrorClass::InvalidReply => "invalid_reply".into(),
        }
    }
}

/// The connection state as the status line shows it. `Stale` is derived by the app from the time since the
/// last reply, not reported by sources.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ConnState {
    #[default]
    Connecting,
    Live,
    Retrying {
        attempt: u32,
        /// How long the source waits before the next attempt, from `since`.
        next_in: Duration,
        last: ErrorClass,
    },
    CredentialsRefused,
    Stopped,
}

/// A status change plus the source's running counters (cumulative, exact).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnStatus {
    pub state: ConnState,
    /// When the state was entered (for countdowns such as "next in 8 s").
    pub since: Option<DateTime<Utc>>,
    pub requests: u64,
    pub retries: u64,
    pub errors_by_class: BTreeMap<String, u64>,
    /// The socket's figures, for sources that hold one (Twitch EventSub).
    pub socket: Option<SocketInfo>,
}

/// What a WebSocket source shows besides its state: the keepalive and how many of its subscriptions are on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SocketInfo {
    pub keepalive_s: u64,
    pub subscriptions_enabled: u32,
    pub subscriptions_total: u32,
}
