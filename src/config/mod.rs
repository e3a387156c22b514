//! The configuration: the built-in default (`assets/config.toml`) → the config file → `ROOMWATCH_…` environment
//! variables → the command line, checked layer by layer. Any error ends the program with exit code 2 and a
//! message naming the place, the key and what is allowed.

pub mod apply;
pub mod command;
pub mod duration;
pub mod error;
pub mod keys;
pub mod layers;
pub mod raw;
pub mod rooms;
pub mod schema;
pub mod watch;

pub use apply::PathOptions;
pub use error::{ConfigError, Place, Source};

use crate::app::settings::{Settings, ThemeName};
use apply::Builder;
use raw::RawConfig;
use std::path::{Path, PathBuf};

/// The commented default config, every option documented (`roomwatch config --print-default`).
pub const DEFAULT_TOML: &str = include_str!("../../assets/config.toml");

/// The file name looked for in the config dir.
pub const FILE_NAME: &str = "config.toml";

/// What a run needs: the settings the app and views read, and where files go.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub settings: Settings,
    pub paths: Paths,
    /// `[[rooms]]`, for `roomwatch watch`.
    pub rooms: Vec<rooms::RoomSpec>,
    /// `[watch]`, for `roomwatch channels`.
    pub watch: watch::WatchSpec,
    /// `twitch.client_id` (`None`: not set; `TWITCH_CLIENT_ID` may still give one).
    pub twitch_client_id: Option<String>,
}

/// Resolved locations. `None` only where the platform has no home directory and nothing was configured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Paths {
    /// The config file that was read (`None`: no file at the default place; built-in defaults in use).
    pub config_file: Option<PathBuf>,
    /// Session summaries (`summary_dir`, else `<data_dir>/sessions`; `--summary-dir` wins).
    pub summary_dir: Option<PathBuf>,
    /// Journals (`journal_dir`, else `<data_dir>/journals`).
    pub journal_dir: Option<PathBuf>,
    /// Daily log files (`log_dir`, else the state dir).
    pub log_dir: Option<PathBuf>,
    /// One log file instead of daily files (`--log-file`).
    pub log_file: Option<PathBuf>,
    /// Resume cursors and room locks (`<state dir>/cursors`).
    pub cursor_dir: Option<PathBuf>,
    /// The 0600 file holding the events URL (`credentials_file`, else `<config dir>/events-url`).
    pub credentials_file: Option<PathBuf>,
    /// The Twitch token store (`<data_dir>/twitch/token.json`).
    pub twitch_token: Option<PathBuf>,
    /// The local API's key (`<data_dir>/api-key`).
    pub api_key: Option<PathBuf>,
    /// The EventSub webhook secret (`<data_dir>/eventsub-secret`).
    pub eventsub_secret: Option<PathBuf>,
}

/// The inputs of [`load`]: what the command line says and the environment (passed in so tests can set it).
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--config FILE`: must exist. `None`: the default path, which may be missing.
    pub config_file: Option<PathBuf>,
    /// `(name, value)` pairs; only `ROOMWATCH_…` and `NO_COLOR` are read.
    pub env: Vec<(String, String)>,
    /// `--set KEY=VALUE` arguments, in order.
    pub sets: Vec<String>,
    /// `--summary-dir`.
    pub summary_dir: Option<PathBuf>,
    /// `--log-file`.
    pub log_file: Option<PathBuf>,
}

impl LoadOptions {
    /// From the command line and the process environment.
    pub fn from_cli(common: &crate::cli::CommonArgs) -> Self {
        LoadOptions {
            config_file: common.config.clone(),
            env: process_env(),
            sets: common.set.clone(),
            summary_dir: common.summary_dir.clone(),
            log_file: common.log_file.clone(),
        }
    }
}

/// The variables [`load`] reads, from the process environment (non-UTF-8 values are skipped).
pub fn process_env() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| k.starts_with(schema::ENV_PREFIX) || k == "NO_COLOR")
        .collect()
}

/// Where `config.toml` is looked for when `--config` is not given.
pub fn default_path() -> Option<PathBuf> {
    crate::paths::config_dir().map(|d| d.join(FILE_NAME))
}

/// Builds the effective config from all layers.
pub fn load(opts: &LoadOptions) -> Result<Config, ConfigError> {
    let mut b = Builder::default();
    let embedded = Source::Embedded { text: DEFAULT_TOML };
    apply_text(&mut b, DEFAULT_TOML, &embedded)?;

    let config_file = match &opts.config_file {
        Some(path) => {
            let text = crate::files::read_text(path, crate::files::MAX_CONFIG_BYTES)
                .map_err(|e| ConfigError::unreadable(path, &e, true))?;
            apply_text(&mut b, &text, &file_source(path, &text))?;
            Some(path.clone())
        }
        None => match default_path() {
            Some(path) => match crate::files::read_text(&path, crate::files::MAX_CONFIG_BYTES) {
                Ok(text) => {
                    apply_text(&mut b, &text, &file_source(&path, &text))?;
                    Some(path)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(ConfigError::unreadable(&path, &e, false)),
            },
            None => None,
        },
    };

    for (raw, source) in layers::from_env(&opts.env)? {
        apply::apply(&mut b, &raw, &source)?;
    }
    for (raw, source) in layers::from_args(&opts.sets)? {
        apply::apply(&mut b, &raw, &source)?;
    }
    keys::check_conflicts(&b.settings.keymap, &b.key_places)?;

    let twitch_client_id = Some(b.twitch_client_id.clone()).filter(|id| !id.is_empty());
    let watch = b.watch.clone();
    let (mut settings, path_options, rooms) = b.finish();
    if layers::no_color(&opts.env) {
        settings.theme = ThemeName::Mono;
    }
    let paths = resolve_paths(&path_options, opts, config_file);
    Ok(Config {
        settings,
        paths,
        rooms,
        watch,
        twitch_client_id,
    })
}

fn file_source(path: &Path, text: &str) -> Source {
    Source::File {
        path: path.to_path_buf(),
        text: text.to_string(),
    }
}

fn apply_text(b: &mut Builder, text: &str, source: &Source) -> Result<(), ConfigError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::from_toml(source, &e))?;
    apply::apply(b, &raw, source)
}

fn resolve_paths(p: &PathOptions, opts: &LoadOptions, config_file: Option<PathBuf>) -> Paths {
    let data_dir = p.data_dir.clone().or_else(crate::paths::data_dir);
    Paths {
        config_file,
        summary_dir: opts
            .summary_dir
            .clone()
            .or_else(|| p.summary_dir.clone())
            .or_else(|| data_dir.as_ref().map(|d| d.join("sessions"))),
        journal_dir: p
            .journal_dir
            .clone()
            .or_else(|| data_dir.as_ref().map(|d| d.join("journals"))),
        log_dir: p.log_dir.clone().or_else(crate::paths::state_dir),
        log_file: opts.log_file.clone(),
        twitch_token: data_dir
            .as_ref()
            .map(|d| d.join("twitch").join("token.json")),
        api_key: data_dir.as_ref().map(|d| d.join("api-key")),
        eventsub_secret: data_dir.as_ref().map(|d| d.join("eventsub-secret")),
        cursor_dir: crate::paths::state_dir().map(|d| d.join("cursors")),
        credentials_file: p
            .credentials_file
            .clone()
            .or_else(|| crate::paths::config_dir().map(|d| d.join("events-url"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::keymap::KeyMap;

    #[test]
    fn the_embedded_default_is_the_default() {
        let c = load(&LoadOptions {
            config_file: Some(PathBuf::from("/dev/null")),
            ..LoadOptions::default()
        })
        .unwrap();
        assert_eq!(c.settings, Settings::default());
        assert_eq!(c.settings.keymap, KeyMap::default());
    }

    #[test]
    fn every_option_is_documented_and_settable() {
        for (key, _) in schema::OPTIONS {
            let leaf = key.rsplit('.').next().unwrap();
            assert!(
                DEFAULT_TOML.lines().any(|l| {
                    let l = l.trim_start_matches('#').trim_start();
                    l.starts_with(&format!("{leaf} ="))
                }),
                "{key} is not in assets/config.toml"
            );
            assert!(
                schema::field_mut(&mut RawConfig::default(), key).is_some(),
                "{key}"
            );
        }
    }
}
