//! Applies one layer (the built-in default, the file, the environment, `--set`) over the settings built so far,
//! checking every value it sets. A layer only changes what it names.

use super::duration;
use super::error::{ConfigError, Place, Source};
use super::keys;
use super::raw::{Field, RawConfig};
use crate::app::keymap::Mode;
use crate::app::settings::{Currency, Settings, ThemeName, TipGoal};
use crate::app::Action;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::{Spanned, Value};

/// Path options as the layers set them (unresolved: `None` = use the default location).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathOptions {
    pub credentials_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub summary_dir: Option<PathBuf>,
    pub journal_dir: Option<PathBuf>,
    pub log_dir: Option<PathBuf>,
}

/// What the layers build up.
#[derive(Debug, Clone)]
pub struct Builder {
    pub settings: Settings,
    pub paths: PathOptions,
    /// The goal and the rate as the layers set them; a later layer may set only one of their keys, so they
    /// become `Option`s only in [`Builder::finish`] (0 tokens = no goal, a rate of 0 = no money shown).
    pub tip_goal: TipGoal,
    pub currency: Currency,
    /// Where each key-map override was written, to point at it when it conflicts.
    pub key_places: BTreeMap<(Mode, Action), (Place, String)>,
    /// `[[rooms]]` of the last layer that has them.
    pub rooms: Vec<super::rooms::RoomSpec>,
    /// `[watch]` of the last layer that has it.
    pub watch: super::watch::WatchSpec,
    /// `twitch.client_id` (empty: not set).
    pub twitch_client_id: String,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            settings: Settings::default(),
            paths: PathOptions::default(),
            tip_goal: TipGoal {
                tokens: 0,
                label: String::new(),
            },
            currency: Currency {
                per_token: 0.0,
                symbol: "$".into(),
            },
            key_places: BTreeMap::new(),
            rooms: Vec::new(),
            watch: Default::default(),
            twitch_client_id: String::new(),
        }
    }
}

impl Builder {
    /// The settings once every layer is applied.
    pub fn finish(mut self) -> (Settings, PathOptions, Vec<super::rooms::RoomSpec>) {
        let goal = self.tip_goal;
        self.settings.tip_goal = (goal.tokens > 0).then_some(goal);
        let cur = self.currency;
        self.settings.currency = (cur.per_token > 0.0).then_some(cur);
        (self.settings, self.paths, self.rooms)
    }
}

pub const THEMES: &[(&str, ThemeName)] = &[
    ("dark", ThemeName::Dark),
    ("light", ThemeName::Light),
    ("mono", ThemeName::Mono),
];

/// Checks values of one layer and names the source in errors.
pub struct Checker<'a> {
    pub source: &'a Source,
}

impl Checker<'_> {
    pub fn place(&self, v: &Spanned<Value>) -> Place {
        self.source.place(Some(v.span()))
    }

    fn bad(&self, key: &str, v: &Spanned<Value>, problem: &str, allowed: &str) -> ConfigError {
        ConfigError::invalid(
            self.place(v),
            key,
            format!("{} {problem}", show(v.get_ref())),
            allowed,
        )
    }

    pub fn bool(&self, key: &str, v: &Spanned<Value>) -> Result<bool, ConfigError> {
        v.get_ref()
            .as_bool()
            .ok_or_else(|| self.bad(key, v, "is not valid", "true or false"))
    }

    pub fn int(
        &self,
        key: &str,
        v: &Spanned<Value>,
        min: i64,
        max: i64,
    ) -> Result<i64, ConfigError> {
        let allowed = format!("a whole number from {min} to {max}");
        match v.get_ref().as_integer() {
            Some(n) if (min..=max).contains(&n) => Ok(n),
            Some(_) => Err(self.bad(key, v, "is out of range", &allowed)),
            None => Err(self.bad(key, v, "is not valid", &allowed)),
        }
    }

    pub fn float(
        &self,
        key: &str,
        v: &Spanned<Value>,
        min: f64,
        max: f64,
    ) -> Result<f64, ConfigError> {
        let allowed = format!("a number from {min} to {max}");
        let n = match v.get_ref() {
            Value::Float(f) => Some(*f),
            Value::Integer(i) => Some(*i as f64),
            _ => None,
        };
        match n {
            Some(n) if n.is_finite() && (min..=max).contains(&n) => Ok(n),
            Some(_) => Err(self.bad(key, v, "is out of range", &allowed)),
            None => Err(self.bad(key, v, "is not valid", &allowed)),
        }
    }

    pub fn string(
        &self,
        key: &str,
        v: &Spanned<Value>,
        max_chars: usize,
    ) -> Result<String, ConfigError> {
        let allowed = format!("a quoted string of at most {max_chars} characters");
        match v.get_ref().as_str() {
            Some(s) if s.chars().count() <= max_chars && !s.chars().any(char::is_control) => {
                Ok(s.to_string())
            }
            Some(_) => Err(self.bad(key, v, "is too long or has control characters", &allowed)),
            None => Err(self.bad(key, v, "is not valid", &allowed)),
        }
    }

    pub fn duration(
        &self,
        key: &str,
        v: &Spanned<Value>,
        min: Duration,
        max: Duration,
    ) -> Result<Duration, ConfigError> {
        let d = match v.get_ref() {
            Value::Integer(n) if *n >= 0 => Some(Duration::from_secs(*n as u64)),
            Value::String(s) => duration::parse(s),
            _ => None,
        };
        match d {
            Some(d) if d >= min && d <= max => Ok(d),
            Some(_) => Err(self.bad(
                key,
                v,
                "is out of range",
                &format!(
                    "a duration from {} to {}",
                    duration::format(min),
                    duration::format(max)
                ),
            )),
            None => Err(self.bad(key, v, "is not a duration", duration::ALLOWED)),
        }
    }

    /// A path: `~/` is the home directory; a relative path in a file is relative to that file's directory.
    pub fn path(&self, key: &str, v: &Spanned<Value>) -> Result<PathBuf, ConfigError> {
        let allowed = "a quoted path, e.g. \"~/roomwatch/sessions\"";
        let s = match v.get_ref().as_str() {
            Some(s) if !s.trim().is_empty() => s.trim(),
            _ => return Err(self.bad(key, v, "is not a path", allowed)),
        };
        let expanded = match s
            .strip_prefix("~/")
            .or(if s == "~" { Some("") } else { None })
        {
            Some(rest) => match directories::BaseDirs::new() {
                Some(b) => b.home_dir().join(rest),
                None => {
                    return Err(self.bad(
                        key,
                        v,
                        "uses ~ but the home directory is unknown",
                        allowed,
                    ))
                }
            },
            None => PathBuf::from(s),
        };
        Ok(match self.source {
            Source::File { path, .. } if expanded.is_relative() => {
                path.parent().unwrap_or(Path::new(".")).join(expanded)
            }
            _ => expanded,
        })
    }
}

/// A value as it would be written in TOML, short enough for a one-line message.
fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

fn set<T>(
    field: &Field,
    f: impl FnOnce(&Spanned<Value>) -> Result<T, ConfigError>,
    slot: &mut T,
) -> Result<(), ConfigError> {
    if let Some(v) = field {
        *slot = f(v)?;
    }
    Ok(())
}

/// Applies one layer over `b`.
pub fn apply(b: &mut Builder, raw: &RawConfig, source: &Source) -> Result<(), ConfigError> {
    let c = Checker { source };
    if let Some(rooms) = &raw.rooms {
        if rooms.len() > super::rooms::MAX_ROOMS {
            return Err(ConfigError::invalid(
                c.source.place(Some(rooms[super::rooms::MAX_ROOMS].span())),
                "rooms",
                format!("has {} rooms", rooms.len()),
                format!("at most {}", super::rooms::MAX_ROOMS),
            ));
        }
        b.rooms = (rooms.iter().enumerate())
            .map(|(n, r)| super::rooms::check(&c, r, n))
            .collect::<Result<_, _>>()?;
    }
    if let Some(watch) = &raw.watch {
        b.watch = super::watch::check(&c, watch)?;
    }
    let s = &mut b.settings;
    let secs = Duration::from_secs;
    set(&raw.bell, |v| c.bool("bell", v), &mut s.bell)?;
    set(
        &raw.tip_alert_min,
        |v| c.int("tip_alert_min", v, 0, 10_000_000).map(|n| n as u64),
        &mut s.tip_alert_min,
    )?;
    set(&raw.pm_alert, |v| c.bool("pm_alert", v), &mut s.pm_alert)?;
    set(
        &raw.alert_cooldown,
        |v| c.duration("alert_cooldown", v, Duration::ZERO, secs(3600)),
        &mut s.alert_cooldown,
    )?;
    set(
        &raw.history_per_pane,
        |v| {
            c.int("history_per_pane", v, 100, 1_000_000)
                .map(|n| n as usize)
        },
        &mut s.history_per_pane,
    )?;
    set(
        &raw.smart_viewers,
        |v| c.bool("smart_viewers", v),
        &mut s.smart_viewers,
    )?;
    set(
        &raw.timestamp_format,
        |v| timestamp_format(&c, v),
        &mut s.timestamp_format,
    )?;
    set(&raw.theme, |v| theme(&c, v), &mut s.theme)?;
    set(
        &raw.max_fps,
        |v| c.int("max_fps", v, 1, 120).map(|n| n as u32),
        &mut s.max_fps,
    )?;
    set(
        &raw.stale_after,
        |v| c.duration("stale_after", v, secs(5), secs(3600)),
        &mut s.stale_after,
    )?;
    set(
        &raw.autosave_every,
        |v| c.duration("autosave_every", v, secs(10), secs(24 * 3600)),
        &mut s.autosave_every,
    )?;
    if let Some(goal) = &raw.tip_goal {
        set(
            &goal.tokens,
            |v| {
                c.int("tip_goal.tokens", v, 0, 100_000_000)
                    .map(|n| n as u64)
            },
            &mut b.tip_goal.tokens,
        )?;
        set(
            &goal.label,
            |v| c.string("tip_goal.label", v, 60),
            &mut b.tip_goal.label,
        )?;
    }
    if let Some(cur) = &raw.currency {
        set(
            &cur.per_token,
            |v| c.float("currency.per_token", v, 0.0, 1000.0),
            &mut b.currency.per_token,
        )?;
        set(
            &cur.symbol,
            |v| c.string("currency.symbol", v, 8),
            &mut b.currency.symbol,
        )?;
    }
    if let Some(t) = &raw.twitch {
        set(&t.client_id, |v| client_id(&c, v), &mut b.twitch_client_id)?;
    }
    let p = &mut b.paths;
    for (field, key, slot) in [
        (
            &raw.credentials_file,
            "credentials_file",
            &mut p.credentials_file,
        ),
        (&raw.data_dir, "data_dir", &mut p.data_dir),
        (&raw.summary_dir, "summary_dir", &mut p.summary_dir),
        (&raw.journal_dir, "journal_dir", &mut p.journal_dir),
        (&raw.log_dir, "log_dir", &mut p.log_dir),
    ] {
        if let Some(v) = field {
            *slot = Some(c.path(key, v)?);
        }
    }
    if let Some(k) = &raw.keys {
        keys::apply(&c, k, &mut b.settings.keymap, &mut b.key_places)?;
    }
    Ok(())
}

fn timestamp_format(c: &Checker, v: &Spanned<Value>) -> Result<String, ConfigError> {
    use chrono::format::{Item, StrftimeItems};
    let allowed = "a strftime format, e.g. \"%H:%M:%S\" or \"%H:%M\"";
    let s = c.string("timestamp_format", v, 64)?;
    if s.is_empty() || StrftimeItems::new(&s).any(|i| matches!(i, Item::Error)) {
        return Err(ConfigError::invalid(
            c.place(v),
            "timestamp_format",
            format!("{} is not a valid time format", show(v.get_ref())),
            allowed,
        ));
    }
    Ok(s)
}

/// A Twitch client id: up to 64 letters and digits (Twitch's are 30), or empty for none.
fn client_id(c: &Checker, v: &Spanned<Value>) -> Result<String, ConfigError> {
    let s = c.string("twitch.client_id", v, 64)?;
    if !s.chars().all(|ch| ch.is_ascii_alphanumeric()) {
        return Err(ConfigError::invalid(
            c.place(v),
            "twitch.client_id",
            format!("{} is not a client id", show(v.get_ref())),
            "the Client ID of your application at dev.twitch.tv/console (letters and digits)",
        ));
    }
    Ok(s)
}

fn theme(c: &Checker, v: &Spanned<Value>) -> Result<ThemeName, ConfigError> {
    let name = v.get_ref().as_str().unwrap_or_default();
    THEMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let names: Vec<String> = THEMES.iter().map(|(n, _)| format!("\"{n}\"")).collect();
            ConfigError::invalid(
                c.place(v),
                "theme",
                format!("{} is not a theme", show(v.get_ref())),
                names.join(", "),
            )
        })
}
