//! `[[rooms]]`: the rooms `roomwatch watch` runs (DESIGN.md "Rooms and platforms"). Each entry names its
//! platform and, for Chaturbate, where its events URL is: an environment variable or a 0600 file — never the
//! URL itself, so the config can be shared.

use super::apply::Checker;
use super::error::ConfigError;
use serde::Deserialize;
use std::path::PathBuf;
use toml::Spanned;

use super::raw::Field;

/// Most rooms one session runs: each is a task, a journal and a line of the overview.
pub const MAX_ROOMS: usize = 32;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoom {
    pub platform: Field,
    pub name: Field,
    pub credentials_env: Field,
    pub credentials_file: Field,
    pub testbed: Field,
    pub seed: Field,
    pub rate: Field,
}

/// One checked `[[rooms]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub enum RoomSpec {
    Chaturbate {
        /// The room the URL must be for (checked when the URL is read), if the entry names one.
        name: Option<String>,
        credentials: Credentials,
        testbed: bool,
    },
    /// A Twitch channel (`None`: the login's own), with the stored login or an access token in a variable.
    Twitch {
        channel: Option<String>,
        access_env: Option<String>,
    },
    /// The built-in simulator: no account, no network.
    Demo { name: String, seed: u64, rate: f64 },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Credentials {
    /// The environment variable holding the events URL.
    Env(String),
    /// A file only its owner can read, holding the events URL.
    File(PathBuf),
}

const PLATFORMS: &str = "\"chaturbate\", \"twitch\" or \"demo\"";

pub fn check(c: &Checker, raw: &Spanned<RawRoom>, n: usize) -> Result<RoomSpec, ConfigError> {
    let room = raw.get_ref();
    let key = |k: &str| format!("rooms[{n}].{k}");
    let missing = |k: &str, allowed: &str| {
        ConfigError::invalid(
            c.source.place(Some(raw.span())),
            key(k),
            "is missing",
            allowed,
        )
    };
    let platform = match &room.platform {
        Some(v) => c.string(&key("platform"), v, 20)?,
        None => return Err(missing("platform", PLATFORMS)),
    };
    let name = room
        .name
        .as_ref()
        .map(|v| room_name(c, &key("name"), v))
        .transpose()?;
    let unused = |k: &str, field: &Field, platform: &str| match field {
        Some(v) => Err(ConfigError::invalid(
            c.place(v),
            key(k),
            format!("is not used by {platform} rooms"),
            "leave it out",
        )),
        None => Ok(()),
    };
    match platform.as_str() {
        "chaturbate" => {
            unused("seed", &room.seed, "chaturbate")?;
            unused("rate", &room.rate, "chaturbate")?;
            let credentials = match (&room.credentials_env, &room.credentials_file) {
                (Some(v), None) => Credentials::Env(env_name(c, &key("credentials_env"), v)?),
                (None, Some(v)) => Credentials::File(c.path(&key("credentials_file"), v)?),
                (Some(v), Some(_)) => {
                    return Err(ConfigError::invalid(
                        c.place(v),
                        key("credentials_env"),
                        "is set together with credentials_file",
                        "one of credentials_env (a variable name) or credentials_file (a 0600 file)",
                    ))
                }
                (None, None) => {
                    return Err(missing(
                        "credentials_env",
                        "credentials_env = \"CB_EVENTS_URL_MYROOM\" or credentials_file = \"~/.config/roomwatch/myroom.url\"",
                    ))
                }
            };
            let testbed = match &room.testbed {
                Some(v) => c.bool(&key("testbed"), v)?,
                None => false,
            };
            Ok(RoomSpec::Chaturbate {
                name,
                credentials,
                testbed,
            })
        }
        "twitch" => {
            unused("seed", &room.seed, "twitch")?;
            unused("rate", &room.rate, "twitch")?;
            unused("testbed", &room.testbed, "twitch")?;
            unused("credentials_file", &room.credentials_file, "twitch")?;
            let access_env = (room.credentials_env.as_ref())
                .map(|v| env_name(c, &key("credentials_env"), v))
                .transpose()?;
            Ok(RoomSpec::Twitch {
                channel: name,
                access_env,
            })
        }
        "demo" | "simulator" => {
            unused("credentials_env", &room.credentials_env, "demo")?;
            unused("credentials_file", &room.credentials_file, "demo")?;
            unused("testbed", &room.testbed, "demo")?;
            let seed = match &room.seed {
                Some(v) => c.int(&key("seed"), v, 0, i64::MAX)? as u64,
                None => n as u64 + 1,
            };
            let rate = match &room.rate {
                Some(v) => c.float(&key("rate"), v, 0.000_001, 1_000_000.0)?,
                None => 4.0,
            };
            Ok(RoomSpec::Demo {
                name: name.unwrap_or_else(|| format!("demo_room_{}", n + 1)),
                seed,
                rate,
            })
        }
        other => Err(ConfigError::invalid(
            c.place(room.platform.as_ref().expect("checked above")),
            key("platform"),
            format!("\"{other}\" is not a platform roomwatch watch runs yet"),
            PLATFORMS,
        )),
    }
}

/// A room name as the platforms allow them: letters, digits, `_` and `-`, at most 64.
fn room_name(c: &Checker, key: &str, v: &Spanned<toml::Value>) -> Result<String, ConfigError> {
    let s = c.string(key, v, 64)?;
    if s.is_empty()
        || !s
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
    {
        return Err(ConfigError::invalid(
            c.place(v),
            key,
            format!("\"{s}\" is not a room name"),
            "letters, digits, _ and - (at most 64)",
        ));
    }
    Ok(s)
}

fn env_name(c: &Checker, key: &str, v: &Spanned<toml::Value>) -> Result<String, ConfigError> {
    let s = c.string(key, v, 128)?;
    if s.is_empty() || !s.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
        return Err(ConfigError::invalid(
            c.place(v),
            key,
            format!("\"{s}\" is not an environment variable name"),
            "the variable's name (letters, digits, _), not the URL",
        ));
    }
    Ok(s)
}
