//! The list of scalar options: their dotted names, kinds and the fields they fill. The environment and `--set`
//! layers are driven by it, so a new option needs one line here, one field in `raw`, one check in `apply` and
//! one documented line in `assets/config.toml` (a test keeps the four in step).

use super::raw::{Field, RawConfig, RawCurrency, RawTipGoal, RawTwitch};
use toml::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int,
    Float,
    Duration,
    Str,
    Path,
}

/// Every scalar option (the key map is a table and lives in the file only).
pub const OPTIONS: &[(&str, Kind)] = &[
    ("bell", Kind::Bool),
    ("tip_alert_min", Kind::Int),
    ("pm_alert", Kind::Bool),
    ("alert_cooldown", Kind::Duration),
    ("history_per_pane", Kind::Int),
    ("smart_viewers", Kind::Bool),
    ("timestamp_format", Kind::Str),
    ("theme", Kind::Str),
    ("max_fps", Kind::Int),
    ("stale_after", Kind::Duration),
    ("autosave_every", Kind::Duration),
    ("credentials_file", Kind::Path),
    ("data_dir", Kind::Path),
    ("summary_dir", Kind::Path),
    ("journal_dir", Kind::Path),
    ("log_dir", Kind::Path),
    ("tip_goal.tokens", Kind::Int),
    ("tip_goal.label", Kind::Str),
    ("currency.per_token", Kind::Float),
    ("currency.symbol", Kind::Str),
    ("twitch.client_id", Kind::Str),
];

/// The prefix of the environment layer.
pub const ENV_PREFIX: &str = "ROOMWATCH_";

/// `tip_goal.tokens` → `ROOMWATCH_TIP_GOAL_TOKENS`.
pub fn env_name(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.replace('.', "_").to_ascii_uppercase())
}

pub fn kind_of(key: &str) -> Option<Kind> {
    OPTIONS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, kind)| *kind)
}

/// The field of `raw` a dotted key fills.
pub fn field_mut<'a>(raw: &'a mut RawConfig, key: &str) -> Option<&'a mut Field> {
    Some(match key {
        "bell" => &mut raw.bell,
        "tip_alert_min" => &mut raw.tip_alert_min,
        "pm_alert" => &mut raw.pm_alert,
        "alert_cooldown" => &mut raw.alert_cooldown,
        "history_per_pane" => &mut raw.history_per_pane,
        "smart_viewers" => &mut raw.smart_viewers,
        "timestamp_format" => &mut raw.timestamp_format,
        "theme" => &mut raw.theme,
        "max_fps" => &mut raw.max_fps,
        "stale_after" => &mut raw.stale_after,
        "autosave_every" => &mut raw.autosave_every,
        "credentials_file" => &mut raw.credentials_file,
        "data_dir" => &mut raw.data_dir,
        "summary_dir" => &mut raw.summary_dir,
        "journal_dir" => &mut raw.journal_dir,
        "log_dir" => &mut raw.log_dir,
        "tip_goal.tokens" => &mut raw.tip_goal.get_or_insert_with(RawTipGoal::default).tokens,
        "tip_goal.label" => &mut raw.tip_goal.get_or_insert_with(RawTipGoal::default).label,
        "currency.per_token" => {
            &mut raw
                .currency
                .get_or_insert_with(RawCurrency::default)
                .per_token
        }
        "currency.symbol" => &mut raw.currency.get_or_insert_with(RawCurrency::default).symbol,
        "twitch.client_id" => &mut raw.twitch.get_or_insert_with(RawTwitch::default).client_id,
        _ => return None,
    })
}

/// A value typed on a command line or in the environment, as the TOML value it stands for. Text that does not
/// fit the kind stays a string, so the check in `apply` reports it with the allowed form.
pub fn value_from_text(kind: Kind, text: &str) -> Value {
    let t = text.trim();
    match kind {
        Kind::Bool => match t.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Value::Boolean(true),
            "false" | "0" | "no" | "off" => Value::Boolean(false),
            _ => Value::String(text.to_string()),
        },
        Kind::Int => t
            .parse::<i64>()
            .map(Value::Integer)
            .unwrap_or_else(|_| Value::String(text.to_string())),
        Kind::Float => t
            .parse::<f64>()
            .map(Value::Float)
            .unwrap_or_else(|_| Value::String(text.to_string())),
        Kind::Duration | Kind::Str | Kind::Path => Value::String(text.to_string()),
    }
}
