use super::live::Live;
use super::room::Room;
use super::settings::Settings;
use crate::event::{RoomKey, SourceKind};
use chrono::{DateTime, Utc};

/// A marker dropped by the broadcaster (`m`), listed in the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub at: DateTime<Utc>,
    pub note: String,
}

/// The whole app state. One owner: the main task.
#[derive(Debug, Clone)]
pub struct State {
    /// The session's rooms in the order they were given; keys are unique (an ordered map, small enough that
    /// a scan beats hashing).
    pub rooms: Vec<Room>,
    pub started_at: DateTime<Utc>,
    pub quit: Option<super::ExitReason>,
    /// What the config tunes (alert threshold, history, theme, keys, …).
    pub settings: Settings,
    /// The live screen: which room is shown, panes, pause, filters, prompt, alerts.
    pub live: Live,
    /// The channel watch's table (`roomwatch channels`), when channels are watched.
    pub channels: Option<super::channels::ChannelBoard>,
}

impl State {
    /// A session of one room (`chaturbate`, `demo`, a replay of one journal).
    pub fn new(room: impl Into<String>, source: SourceKind, started_at: DateTime<Utc>) -> Self {
        Self::with_settings(room, source, started_at, Settings::default())
    }

    pub fn with_settings(
        room: impl Into<String>,
        source: SourceKind,
        started_at: DateTime<Utc>,
        settings: Settings,
    ) -> Self {
        Self::with_rooms(vec![RoomKey::new(source, room)], started_at, settings)
    }

    /// A session of several rooms (`watch`); all rooms are shown until the user picks one. Duplicate keys
    /// are the caller's error: the second would never receive anything.
    pub fn with_rooms(keys: Vec<RoomKey>, started_at: DateTime<Utc>, settings: Settings) -> Self {
        let history = settings.history_per_pane;
        let rooms: Vec<Room> = keys
            .into_iter()
            .map(|k| Room::new(k, started_at, history))
            .collect();
        let mut live = Live::new(settings.smart_viewers, started_at);
        live.shown = (rooms.len() == 1).then_some(0);
        State {
            rooms,
            started_at,
            quit: None,
            settings,
            live,
            channels: None,
        }
    }

    pub fn room_index(&self, key: &RoomKey) -> Option<usize> {
        self.rooms.iter().position(|r| &r.key == key)
    }

    /// A session of the channel watch alone (`roomwatch channels`): the screen is its table.
    pub fn channels_only(&self) -> bool {
        self.rooms.is_empty() && self.channels.is_some()
    }

    /// Several rooms in this session (the overview and the room tags show).
    pub fn multi_room(&self) -> bool {
        self.rooms.len() > 1
    }

    /// The one room the detail panes show, or `None` when they merge all rooms.
    pub fn shown(&self) -> Option<&Room> {
        self.live.shown.and_then(|i| self.rooms.get(i))
    }

    /// Whether the detail panes show room `i`.
    pub fn shows_room(&self, i: usize) -> bool {
        self.live.shown.is_none_or(|s| s == i)
    }

    /// Distinct events over every room (what `--max-events` counts).
    pub fn events_total(&self) -> u64 {
        self.rooms
            .iter()
            .fold(0u64, |n, r| n.saturating_add(r.stats.events_total))
    }
}
