use super::live::Live;
use super::settings::Settings;
use super::stats::SessionStats;
use crate::event::SourceKind;
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
    pub room: String,
    pub source: SourceKind,
    pub started_at: DateTime<Utc>,
    pub stats: SessionStats,
    /// When the source last delivered a reply (for `STALE`).
    pub last_reply_at: Option<DateTime<Utc>>,
    pub markers: Vec<Marker>,
    /// Lines for the status area (refused `nextUrl`, skipped events, …), newest last.
    pub notices: Vec<String>,
    pub quit: Option<super::ExitReason>,
    /// What the config tunes (alert threshold, history, theme, keys, …).
    pub settings: Settings,
    /// The live screen: panes, pause, filters, prompt, alerts.
    pub live: Live,
}

impl State {
    pub fn new(room: impl Into<String>, source: SourceKind, started_at: DateTime<Utc>) -> Self {
        Self::with_settings(room, source, started_at, Settings::default())
    }

    pub fn with_settings(
        room: impl Into<String>,
        source: SourceKind,
        started_at: DateTime<Utc>,
        settings: Settings,
    ) -> Self {
        State {
            live: Live::new(
                settings.history_per_pane,
                settings.smart_viewers,
                started_at,
            ),
            settings,
            room: room.into(),
            source,
            started_at,
            stats: SessionStats::default(),
            last_reply_at: None,
            markers: Vec::new(),
            notices: Vec::new(),
            quit: None,
        }
    }
}
