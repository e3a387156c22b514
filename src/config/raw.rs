//! The shape of the config file, as serde sees it. Every value is kept as a spanned `toml::Value` so that the
//! checks in `apply` can name the line and give one consistent wording for every wrong value; serde itself only
//! rejects unknown keys (`deny_unknown_fields`) and broken TOML.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::{Spanned, Value};

pub type Field = Option<Spanned<Value>>;

/// `[keys.<mode>] <action> = ["key", …]`, every part spanned for error lines.
pub type RawKeys = BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<Value>>>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub bell: Field,
    pub tip_alert_min: Field,
    pub pm_alert: Field,
    pub alert_cooldown: Field,
    pub history_per_pane: Field,
    pub smart_viewers: Field,
    pub timestamp_format: Field,
    pub theme: Field,
    pub max_fps: Field,
    pub stale_after: Field,
    pub autosave_every: Field,
    pub credentials_file: Field,
    pub data_dir: Field,
    pub summary_dir: Field,
    pub journal_dir: Field,
    pub log_dir: Field,
    pub tip_goal: Option<RawTipGoal>,
    pub currency: Option<RawCurrency>,
    pub twitch: Option<RawTwitch>,
    pub keys: Option<RawKeys>,
    /// `[[rooms]]` (file only).
    pub rooms: Option<Vec<Spanned<super::rooms::RawRoom>>>,
    /// `[watch]` (file only).
    pub watch: Option<super::watch::RawWatch>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTipGoal {
    pub tokens: Field,
    pub label: Field,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTwitch {
    pub client_id: Field,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCurrency {
    pub per_token: Field,
    pub symbol: Field,
}
