//! The environment (`ROOMWATCH_…`) and `--set KEY=VALUE` layers, each variable or argument a one-value layer so
//! that an error names exactly the variable or argument at fault.

use super::error::{ConfigError, Place, Source};
use super::raw::RawConfig;
use super::schema::{self, ENV_PREFIX, OPTIONS};
use toml::Spanned;

/// One layer holding one value, and where it came from.
pub type Single = (RawConfig, Source);

fn single(key: &str, text: &str, source: Source) -> Option<Single> {
    let kind = schema::kind_of(key)?;
    let mut raw = RawConfig::default();
    *schema::field_mut(&mut raw, key)? =
        Some(Spanned::new(0..0, schema::value_from_text(kind, text)));
    Some((raw, source))
}

/// Hidden: autosave interval in milliseconds (tests use a tight one); the config will set it for users.
pub const AUTOSAVE_ENV: &str = "ROOMWATCH_AUTOSAVE_MS";
/// Hidden, debug builds only: panic after this many events (the panic exit-path test).
pub const FAULT_PANIC_ENV: &str = "ROOMWATCH_FAULT_PANIC_AFTER_EVENTS";
/// Hidden, debug builds only: the simulator panics after this many batches (the source-panic tests).
pub const FAULT_SOURCE_PANIC_ENV: &str = "ROOMWATCH_FAULT_SOURCE_PANIC_AFTER_BATCHES";

/// Test hooks read by the runner (`run::exit`) and the Twitch endpoint overrides (read by the Twitch source,
/// loopback only): not options, so not config, and not rejected.
const INTERNAL_VARS: &[&str] = &[
    AUTOSAVE_ENV,
    FAULT_PANIC_ENV,
    FAULT_SOURCE_PANIC_ENV,
    crate::sources::twitch::endpoints::EVENTSUB_VAR,
    crate::sources::twitch::endpoints::API_VAR,
    crate::sources::twitch::endpoints::AUTH_VAR,
];

/// The `ROOMWATCH_…` variables, in the order of [`OPTIONS`]. An unknown `ROOMWATCH_` variable is an error (a
/// typo would otherwise be ignored without a word).
pub fn from_env(vars: &[(String, String)]) -> Result<Vec<Single>, ConfigError> {
    for (name, _) in vars {
        if name.starts_with(ENV_PREFIX)
            && !INTERNAL_VARS.contains(&name.as_str())
            && !OPTIONS.iter().any(|(k, _)| schema::env_name(k) == *name)
        {
            let known: Vec<String> = OPTIONS.iter().map(|(k, _)| schema::env_name(k)).collect();
            return Err(ConfigError::Invalid {
                place: Place::Env { var: name.clone() },
                key: None,
                problem: "unknown variable".into(),
                allowed: Some(known.join(", ")),
            });
        }
    }
    let mut out = Vec::new();
    for (key, _) in OPTIONS {
        let var = schema::env_name(key);
        if let Some((_, value)) = vars.iter().find(|(n, _)| *n == var) {
            out.extend(single(key, value, Source::Env { var }));
        }
    }
    Ok(out)
}

/// `--set KEY=VALUE` arguments, in command-line order.
pub fn from_args(args: &[String]) -> Result<Vec<Single>, ConfigError> {
    args.iter()
        .map(|arg| {
            let place = Place::Arg { text: arg.clone() };
            let Some((key, value)) = arg.split_once('=') else {
                return Err(ConfigError::Invalid {
                    place,
                    key: None,
                    problem: "has no `=`".into(),
                    allowed: Some("KEY=VALUE, e.g. --set bell=false".into()),
                });
            };
            let key = key.trim();
            single(key, value, Source::Arg { text: arg.clone() }).ok_or_else(|| {
                let known: Vec<&str> = OPTIONS.iter().map(|(k, _)| *k).collect();
                ConfigError::invalid(
                    place,
                    key,
                    "unknown key",
                    format!("{} (the key map is set in the file)", known.join(", ")),
                )
            })
        })
        .collect()
}

/// Whether `NO_COLOR` asks for no colour (set and not empty, as no-color.org defines it).
pub fn no_color(vars: &[(String, String)]) -> bool {
    vars.iter().any(|(n, v)| n == "NO_COLOR" && !v.is_empty())
}
