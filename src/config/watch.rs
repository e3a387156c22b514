//! `[watch]`: the channels `roomwatch channels` follows when none are named on its command line, how often it
//! polls them, and which of them ring the bell when they go live (DESIGN.md "Channel watch"). A channel is
//! `"twitch:NAME"` (or `"NAME"`), or `{ name = "twitch:NAME", alert = true }`.

use super::apply::Checker;
use super::error::ConfigError;
use crate::sources::twitch::channels::watched_login;
use serde::Deserialize;
use std::time::Duration;
use toml::{Spanned, Value};

use super::raw::Field;

/// Most channels one session watches (10 `Get Streams` requests of 100 per poll).
pub const MAX_CHANNELS: usize = 1000;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWatch {
    pub interval: Field,
    pub viewer_step: Field,
    pub channels: Option<Spanned<Vec<Spanned<Value>>>>,
}

/// `[watch]`, checked. `None` fields leave the command line's defaults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WatchSpec {
    pub interval: Option<Duration>,
    pub viewer_step: Option<u64>,
    /// Logins, lower-case, each once, in the order written.
    pub channels: Vec<String>,
    /// The logins marked `alert = true`.
    pub alerts: Vec<String>,
}

const CHANNEL: &str = "\"twitch:NAME\" or { name = \"twitch:NAME\", alert = true }";

pub fn check(c: &Checker, raw: &RawWatch) -> Result<WatchSpec, ConfigError> {
    let mut spec = WatchSpec {
        interval: (raw.interval.as_ref())
            .map(|v| {
                c.duration(
                    "watch.interval",
                    v,
                    Duration::from_secs(15),
                    Duration::from_secs(24 * 3600),
                )
            })
            .transpose()?,
        viewer_step: (raw.viewer_step.as_ref())
            .map(|v| {
                c.int("watch.viewer_step", v, 0, 1_000_000_000)
                    .map(|n| n as u64)
            })
            .transpose()?,
        ..WatchSpec::default()
    };
    let Some(list) = &raw.channels else {
        return Ok(spec);
    };
    if list.get_ref().len() > MAX_CHANNELS {
        return Err(ConfigError::invalid(
            c.source.place(Some(list.span())),
            "watch.channels",
            format!("has {} channels", list.get_ref().len()),
            format!("at most {MAX_CHANNELS}"),
        ));
    }
    for (n, item) in list.get_ref().iter().enumerate() {
        let key = format!("watch.channels[{n}]");
        let bad = |problem: String| ConfigError::invalid(c.place(item), &key, problem, CHANNEL);
        let (name, alert) = match item.get_ref() {
            Value::String(s) => (s.as_str(), false),
            Value::Table(t) => {
                if let Some(other) = t.keys().find(|k| *k != "name" && *k != "alert") {
                    return Err(bad(format!(
                        "has an unknown key \"{}\"",
                        crate::sanitize::clean(other)
                    )));
                }
                let name = (t.get("name").and_then(Value::as_str))
                    .ok_or_else(|| bad("has no name".into()))?;
                let alert = match t.get("alert") {
                    None => false,
                    Some(Value::Boolean(b)) => *b,
                    Some(_) => return Err(bad("has an alert that is not true or false".into())),
                };
                (name, alert)
            }
            _ => return Err(bad("is not a channel".into())),
        };
        let login = watched_login(name).map_err(bad)?;
        if alert && !spec.alerts.contains(&login) {
            spec.alerts.push(login.clone());
        }
        if !spec.channels.contains(&login) {
            spec.channels.push(login);
        }
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use crate::config::{load, LoadOptions};

    fn load_text(text: &str) -> Result<crate::config::Config, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        load(&LoadOptions {
            config_file: Some(path),
            ..LoadOptions::default()
        })
        .map_err(|e| e.to_string())
    }

    #[test]
    fn channels_are_strings_or_tables_with_an_alert() {
        let c = load_text(
            "[watch]\ninterval = \"2m\"\nviewer_step = 0\nchannels = [\"twitch:Alpha\", \"beta\", \
             { name = \"twitch:gamma\", alert = true }, \"alpha\"]\n",
        )
        .unwrap();
        let w = c.watch;
        assert_eq!(w.channels, ["alpha", "beta", "gamma"]);
        assert_eq!(w.alerts, ["gamma"]);
        assert_eq!(w.interval, Some(std::time::Duration::from_secs(120)));
        assert_eq!(w.viewer_step, Some(0));
        assert_eq!(load_text("").unwrap().watch, Default::default());
    }

    #[test]
    fn a_wrong_channel_names_its_place_and_what_is_allowed() {
        for (text, problem) in [
            (
                "channels = [\"kick:abc\"]",
                "kick: channel watch follows Twitch channels",
            ),
            ("channels = [\"no spaces\"]", "is not a Twitch login"),
            (
                "channels = [{ name = \"a\", alert = \"yes\" }]",
                "alert that is not true or false",
            ),
            ("channels = [{ alert = true }]", "has no name"),
            (
                "channels = [{ name = \"a\", bell = true }]",
                "unknown key \"bell\"",
            ),
            ("channels = [7]", "is not a channel"),
            ("interval = 5", "out of range"),
        ] {
            let err = load_text(&format!("[watch]\n{text}\n")).unwrap_err();
            assert!(err.contains("line 2"), "{text}: {err}");
            assert!(err.contains(problem), "{text}: {err}");
            assert!(err.contains("watch."), "{text}: {err}");
        }
    }
}
