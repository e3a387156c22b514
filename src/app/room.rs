//! One room's share of the state: its statistics, its pane histories, its connection and why it ended. The
//! session's [`super::State`] holds the rooms in order; the reducer routes each source message to its room.

use super::feed::{Feed, Pane};
use super::msg::ExitReason;
use super::rates::{Rates, TopTippers};
use super::state::Marker;
use super::stats::SessionStats;
use crate::event::{RoomKey, SourceKind, Unit};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone)]
pub struct Room {
    pub key: RoomKey,
    /// The unit its gifts are counted in (its platform's): the totals, the top supporters and the goal.
    pub unit: Unit,
    pub started_at: DateTime<Utc>,
    pub stats: SessionStats,
    /// When the source last delivered a reply (for `STALE`).
    pub last_reply_at: Option<DateTime<Utc>>,
    /// Markers dropped while this room was shown (or all rooms were), listed in its summary.
    pub markers: Vec<Marker>,
    /// Lines for the status area (refused `nextUrl`, skipped events, …), newest last.
    pub notices: Vec<String>,
    /// When the newest notice arrived.
    pub notice_at: Option<DateTime<Utc>>,
    /// The pane histories, indexed by [`Pane::index`].
    pub feeds: [Feed; 3],
    pub rates: Rates,
    /// The top named supporters in `unit`, kept in order as gifts arrive.
    pub top: TopTippers,
    /// When the last event arrived (for "last 3 s ago").
    pub last_event_seen: Option<DateTime<Utc>>,
    /// Why its source stopped; `None` while it runs. The first reason wins.
    pub ended: Option<ExitReason>,
}

impl Room {
    pub fn new(key: RoomKey, started_at: DateTime<Utc>, history_per_pane: usize) -> Self {
        Room {
            unit: crate::sources::platform::of(key.platform).unit,
            key,
            started_at,
            stats: SessionStats::default(),
            last_reply_at: None,
            markers: Vec::new(),
            notices: Vec::new(),
            notice_at: None,
            feeds: std::array::from_fn(|_| Feed::with_capacity(history_per_pane)),
            rates: Rates::default(),
            top: TopTippers::default(),
            last_event_seen: None,
            ended: None,
        }
    }

    pub fn platform(&self) -> SourceKind {
        self.key.platform
    }

    pub fn name(&self) -> &str {
        &self.key.name
    }

    pub fn feed(&self, pane: Pane) -> &Feed {
        &self.feeds[pane.index()]
    }

    pub fn is_running(&self) -> bool {
        self.ended.is_none()
    }
}
