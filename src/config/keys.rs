//! The `[keys.<mode>]` tables: `action = ["key", …]` replaces that action's keys in that mode (`[]` unbinds it);
//! actions not named keep their defaults.

use super::apply::Checker;
use super::error::{ConfigError, Place};
use super::raw::RawKeys;
use crate::app::keymap::{KeyChord, KeyMap, Mode};
use crate::app::Action;
use std::collections::BTreeMap;
use toml::Value;

pub const KEY_EXAMPLES: &str =
    "key names like \"q\", \"G\", \"?\", \"space\", \"ctrl+c\", \"alt+x\", \"shift+tab\", \"pgup\", \"f1\", \"esc\"";

pub fn apply(
    c: &Checker,
    raw: &RawKeys,
    keymap: &mut KeyMap,
    places: &mut BTreeMap<(Mode, Action), (Place, String)>,
) -> Result<(), ConfigError> {
    for (mode_name, table) in raw {
        let Some(mode) = Mode::from_name(mode_name.get_ref()) else {
            let names: Vec<&str> = Mode::ALL.iter().map(|m| m.name()).collect();
            return Err(ConfigError::invalid(
                c.source.place(Some(mode_name.span())),
                format!("keys.{}", mode_name.get_ref()),
                "is not a mode",
                format!("[keys.{}]", names.join("], [keys.")),
            ));
        };
        for (action_name, value) in table {
            let key = format!("keys.{}.{}", mode.name(), action_name.get_ref());
            let Some(action) = Action::from_name(action_name.get_ref()) else {
                let names: Vec<String> = Action::all().iter().map(|a| a.name()).collect();
                return Err(ConfigError::invalid(
                    c.source.place(Some(action_name.span())),
                    key,
                    "is not an action",
                    names.join(", "),
                ));
            };
            let place = c.place(value);
            let texts: Vec<&Value> = match value.get_ref() {
                Value::Array(items) => items.iter().collect(),
                // One key may be written without the brackets.
                single @ Value::String(_) => vec![single],
                other => {
                    return Err(ConfigError::invalid(
                        place,
                        key,
                        format!("{other} is not a list of keys"),
                        format!("a list of {KEY_EXAMPLES}, e.g. [\"p\", \"space\"]"),
                    ))
                }
            };
            let mut chords: Vec<KeyChord> = Vec::with_capacity(texts.len());
            for t in texts {
                let chord = t
                    .as_str()
                    .and_then(|s| KeyChord::parse(s).ok())
                    .ok_or_else(|| {
                        ConfigError::invalid(
                            place.clone(),
                            key.clone(),
                            format!("{t} is not a key"),
                            KEY_EXAMPLES,
                        )
                    })?;
                if !chords.contains(&chord) {
                    chords.push(chord);
                }
            }
            keymap.bind(mode, action, chords);
            places.insert((mode, action), (place, key));
        }
    }
    Ok(())
}

/// The first conflict of the merged map, pointed at the override that caused it.
pub fn check_conflicts(
    keymap: &KeyMap,
    places: &BTreeMap<(Mode, Action), (Place, String)>,
) -> Result<(), ConfigError> {
    let Some(conflict) = keymap.conflicts().into_iter().next() else {
        return Ok(());
    };
    let (place, key) = conflict
        .actions
        .iter()
        .rev()
        .find_map(|a| places.get(&(conflict.mode, *a)).cloned())
        .unwrap_or((Place::Merged, format!("keys.{}", conflict.mode.name())));
    Err(ConfigError::invalid(
        place,
        key,
        conflict.to_string(),
        "one action per key in a mode: give one of them another key, or unbind it with []",
    ))
}
