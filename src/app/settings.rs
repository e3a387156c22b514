//! What the user can tune that the app and the views read. Built from the config file (embedded default →
//! file → environment → command line); `Default` is the embedded default.

use super::keymap::KeyMap;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
    /// No colour at all (also forced by `NO_COLOR`).
    Mono,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TipGoal {
    pub tokens: u64,
    pub label: String,
}

/// Tokens → money, for display only.
#[derive(Debug, Clone, PartialEq)]
pub struct Currency {
    /// Value of one token in the currency (e.g. 0.05).
    pub per_token: f64,
    /// Shown before the amount (e.g. "$", "€").
    pub symbol: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Ring the terminal bell on alerts.
    pub bell: bool,
    /// Tips at or above this many tokens alert.
    pub tip_alert_min: u64,
    /// Private messages alert.
    pub pm_alert: bool,
    /// At most one alert per this interval.
    pub alert_cooldown: Duration,
    pub tip_goal: Option<TipGoal>,
    /// Lines kept per pane (totals are exact regardless).
    pub history_per_pane: usize,
    /// Viewers pane: only enters/leaves of users who chatted or tipped, mods and fan-club members.
    pub smart_viewers: bool,
    /// chrono format for times in the panes.
    pub timestamp_format: String,
    pub theme: ThemeName,
    pub currency: Option<Currency>,
    pub max_fps: u32,
    /// No reply for this long while live shows `STALE`.
    pub stale_after: Duration,
    /// How often the summary is autosaved.
    pub autosave_every: Duration,
    pub keymap: KeyMap,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bell: true,
            tip_alert_min: 100,
            pm_alert: true,
            alert_cooldown: Duration::from_secs(10),
            tip_goal: None,
            history_per_pane: 5000,
            smart_viewers: true,
            timestamp_format: "%H:%M:%S".into(),
            theme: ThemeName::Dark,
            currency: None,
            max_fps: 30,
            stale_after: Duration::from_secs(40),
            autosave_every: Duration::from_secs(300),
            keymap: KeyMap::default(),
        }
    }
}
