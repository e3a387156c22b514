//! Starting the session's rooms and merging their channels. Every room's source keeps its own bounded channel
//! (back-pressure per room); the [`Inbox`] tags each message with its room and says, per room, when a channel
//! closed: a channel that closes without `Ended` or `Fatal` reads as [`SourceError::Vanished`] for that room.

use super::RunError;
use crate::app::channels::WatchUpdate;
use crate::config::rooms::{Credentials, RoomSpec};
use crate::effects::room_lock::{self, LockError, RoomLock};
use crate::event::{RoomKey, SourceKind};
use crate::sources::chaturbate::poller::PollerConfig;
use crate::sources::chaturbate::Raw;
use crate::sources::{self, simulator, SourceError, SourceMsg};
use futures_util::stream::{self, BoxStream, SelectAll, StreamExt};
use futures_util::FutureExt;
use std::path::PathBuf;
use tokio::sync::mpsc;

/// A started room: its source's channel and task (aborted, not awaited, at the end).
pub struct StartedRoom {
    pub key: RoomKey,
    pub rx: mpsc::Receiver<SourceMsg>,
    pub task: tokio::task::JoinHandle<()>,
    /// The journal being played (replay only).
    pub replay_of: Option<PathBuf>,
    /// Keep the room's resume cursor (the Chaturbate source only).
    pub save_cursor: bool,
    /// The room's lock, held to the end of the session (sources with a resume cursor).
    pub room_lock: Option<RoomLock>,
}

/// Every room's channel as one stream of `(room, message)`.
pub struct Inbox {
    pub rooms: RoomInbox,
    /// The channel watch's messages (`roomwatch channels`).
    pub watch: WatchInbox,
}

pub struct RoomInbox {
    streams: SelectAll<BoxStream<'static, (RoomKey, SourceMsg)>>,
}

/// The channel watch's channel, until it closes.
#[derive(Default)]
pub struct WatchInbox(Option<mpsc::Receiver<WatchUpdate>>);

impl Inbox {
    pub fn new(rooms: Vec<(RoomKey, mpsc::Receiver<SourceMsg>)>) -> Self {
        let streams = rooms.into_iter().map(|(key, rx)| {
            let closed = key.clone();
            stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) })
                .map(move |m| (key.clone(), m))
                // Ignored by the reducer when the room already ended; the end of the room otherwise.
                .chain(stream::once(async move {
                    (closed, SourceMsg::Fatal(SourceError::Vanished))
                }))
                .boxed()
        });
        Inbox {
            rooms: RoomInbox {
                streams: stream::select_all(streams),
            },
            watch: WatchInbox::default(),
        }
    }

    pub async fn recv_many(&mut self, buf: &mut Vec<(RoomKey, SourceMsg)>, limit: usize) -> usize {
        self.rooms.recv_many(buf, limit).await
    }
}

impl WatchInbox {
    pub fn new(rx: mpsc::Receiver<WatchUpdate>) -> Self {
        WatchInbox(Some(rx))
    }

    pub fn is_open(&self) -> bool {
        self.0.is_some()
    }

    /// The next message; `None` once, when the channel closed (the watch task ended).
    pub async fn next(&mut self) -> Option<WatchUpdate> {
        let Some(rx) = self.0.as_mut() else {
            return std::future::pending().await;
        };
        let msg = rx.recv().await;
        if msg.is_none() {
            self.0 = None;
        }
        msg
    }
}

impl RoomInbox {
    /// Waits for at least one message and takes up to `limit` that are ready; 0 when every channel is done.
    pub async fn recv_many(&mut self, buf: &mut Vec<(RoomKey, SourceMsg)>, limit: usize) -> usize {
        let Some(first) = self.streams.next().await else {
            return 0;
        };
        buf.push(first);
        while buf.len() < limit {
            match self.streams.next().now_or_never() {
                Some(Some(m)) => buf.push(m),
                _ => break,
            }
        }
        buf.len()
    }
}

impl StartedRoom {
    /// A live room without a resume cursor or lock: its channel, and its source started by `spawn` on the
    /// channel's sending side.
    pub fn live(
        key: RoomKey,
        spawn: impl FnOnce(mpsc::Sender<SourceMsg>) -> tokio::task::JoinHandle<()>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(sources::CHANNEL_BATCHES);
        StartedRoom {
            key,
            rx,
            task: spawn(tx),
            replay_of: None,
            save_cursor: false,
            room_lock: None,
        }
    }
}

/// A simulated room.
pub fn start_demo(cfg: simulator::SimConfig) -> StartedRoom {
    let key = RoomKey::new(SourceKind::Simulator, cfg.room.clone());
    StartedRoom::live(key, |tx| {
        sources::supervisor::spawn(simulator::run(cfg, tx.clone()), tx)
    })
}

/// A Chaturbate room from its poller configuration: the room lock is taken and the saved cursor looked up
/// before the first request (decisions.md: one process per room).
pub fn start_chaturbate(
    mut cfg: PollerConfig,
    fresh: bool,
    journal: bool,
    cursor_dir: Option<&PathBuf>,
) -> Result<StartedRoom, RunError> {
    let room = cfg.url.room().to_string();
    let store = cursor_dir.map(crate::effects::cursor::CursorStore::new);
    let room_lock = match store.as_ref().map(|s| room_lock::acquire(s.dir(), &room)) {
        None => None,
        Some(Ok(lock)) => Some(lock),
        Some(Err(LockError::Held(why))) => return Err(RunError::usage(why)),
        Some(Err(LockError::Unavailable(why))) => {
            tracing::warn!("{why}; going on without the room lock");
            None
        }
    };
    cfg.fresh = fresh;
    cfg.raw = if journal { Raw::Keep } else { Raw::Drop };
    cfg.start_cursor = store.filter(|_| !fresh).and_then(|s| s.load(&room));
    if let Some(cursor) = &cfg.start_cursor {
        tracing::info!(room = %room, cursor = %cursor, "resuming from the saved cursor");
    }
    let (tx, rx) = mpsc::channel(sources::CHANNEL_BATCHES);
    let task = sources::chaturbate::poller::spawn(cfg, tx);
    Ok(StartedRoom {
        key: RoomKey::new(SourceKind::Chaturbate, room),
        rx,
        task,
        replay_of: None,
        save_cursor: true,
        room_lock,
    })
}

/// The poller configuration of a `[[rooms]]` Chaturbate entry: its URL from the named variable or 0600 file
/// (no prompt: several rooms cannot share one terminal question).
pub fn chaturbate_config(
    n: usize,
    name: Option<&str>,
    credentials: &Credentials,
    testbed: bool,
) -> Result<PollerConfig, RunError> {
    use sources::chaturbate::{credentials, url::EventsUrl};
    let url = match credentials {
        Credentials::Env(var) => {
            let text = std::env::var(var).map_err(|_| {
                RunError::usage(format!(
                    "rooms[{n}]: the environment variable {var} is not set (it should hold the room's events URL)"
                ))
            })?;
            EventsUrl::parse(text.trim(), testbed)
                .map_err(|e| RunError::usage(format!("rooms[{n}]: {var}: {e}")))?
        }
        Credentials::File(path) => credentials::read_file(path, testbed)
            .map_err(|e| RunError::usage(format!("rooms[{n}]: {e}")))?,
    };
    if let Some(name) = name.filter(|name| *name != url.room()) {
        return Err(RunError::usage(format!(
            "rooms[{n}]: the events URL is for the room {}, not {name}",
            crate::sanitize::clean(url.room())
        )));
    }
    Ok(PollerConfig::new(url))
}

/// The rooms of `watch`: `--demo N` simulated rooms, else the config's `[[rooms]]`.
pub fn watch_specs(demo: Option<u16>, seed: u64, rate: f64, config: &[RoomSpec]) -> Vec<RoomSpec> {
    match demo {
        Some(n) => (0..u64::from(n))
            .map(|i| RoomSpec::Demo {
                name: format!("demo_room_{}", i + 1),
                seed: seed.wrapping_add(i),
                rate,
            })
            .collect(),
        None => config.to_vec(),
    }
}
