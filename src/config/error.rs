//! Config errors: each names where (file and line, environment variable or command-line argument), the key,
//! what is wrong and what is allowed. They all end the program with exit code 2.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Where a layer of the config came from; turns a byte span into a line.
#[derive(Debug, Clone)]
pub enum Source {
    /// The built-in default (`assets/config.toml`).
    Embedded {
        text: &'static str,
    },
    File {
        path: PathBuf,
        text: String,
    },
    /// One `ROOMWATCH_…` variable.
    Env {
        var: String,
    },
    /// One `--set KEY=VALUE` argument.
    Arg {
        text: String,
    },
}

impl Source {
    pub fn place(&self, span: Option<Range<usize>>) -> Place {
        let line = |text: &str| span.as_ref().map(|s| line_of(text, s.start));
        match self {
            Source::Embedded { text } => Place::Embedded { line: line(text) },
            Source::File { path, text } => Place::File {
                path: path.clone(),
                line: line(text),
            },
            Source::Env { var } => Place::Env { var: var.clone() },
            Source::Arg { text } => Place::Arg { text: text.clone() },
        }
    }

    /// The text a span points into (for finding the table a line belongs to).
    pub fn text(&self) -> Option<&str> {
        match self {
            Source::Embedded { text } => Some(text),
            Source::File { text, .. } => Some(text),
            _ => None,
        }
    }
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Embedded {
        line: Option<usize>,
    },
    File {
        path: PathBuf,
        line: Option<usize>,
    },
    Env {
        var: String,
    },
    Arg {
        text: String,
    },
    /// Found after all layers were merged (e.g. a key-map conflict between the defaults and an override
    /// whose line is unknown).
    Merged,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Embedded { line: Some(n) } => write!(f, "the built-in default config line {n}"),
            Place::Embedded { line: None } => f.write_str("the built-in default config"),
            Place::File {
                path,
                line: Some(n),
            } => write!(f, "{} line {n}", path.display()),
            Place::File { path, line: None } => write!(f, "{}", path.display()),
            Place::Env { var } => write!(f, "environment variable {var}"),
            Place::Arg { text } => write!(f, "--set {text}"),
            Place::Merged => f.write_str("the merged config"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A key with a value that is wrong, or a key that does not exist.
    #[error("config error at {place}: {}{problem}{}", key_part(.key), allowed_part(.allowed))]
    Invalid {
        place: Place,
        /// Dotted key (`tip_goal.tokens`, `keys.normal.pause`); `None` for a syntax error.
        key: Option<String>,
        problem: String,
        allowed: Option<String>,
    },
    /// The config file cannot be read (missing, when given with `--config`; unreadable anywhere).
    #[error("cannot read the config file {}: {reason}{hint}", .path.display())]
    Unreadable {
        path: PathBuf,
        reason: String,
        hint: &'static str,
    },
}

fn key_part(key: &Option<String>) -> String {
    key.as_ref().map(|k| format!("`{k}`: ")).unwrap_or_default()
}

fn allowed_part(allowed: &Option<String>) -> String {
    allowed
        .as_ref()
        .map(|a| format!("; allowed: {a}"))
        .unwrap_or_default()
}

impl ConfigError {
    pub fn invalid(
        place: Place,
        key: impl Into<String>,
        problem: impl Into<String>,
        allowed: impl Into<String>,
    ) -> Self {
        ConfigError::Invalid {
            place,
            key: Some(key.into()),
            problem: problem.into(),
            allowed: Some(allowed.into()),
        }
    }

    pub fn unreadable(path: &Path, err: &std::io::Error, given: bool) -> Self {
        ConfigError::Unreadable {
            path: path.to_path_buf(),
            reason: err.to_string(),
            hint: if given {
                "; check the path given with --config (`roomwatch config --print-default` prints a starting point)"
            } else {
                ""
            },
        }
    }

    /// Turns serde/TOML's error into ours: the line from its span, the key from the message or the line, and
    /// the allowed keys from serde's "expected one of" list.
    pub fn from_toml(source: &Source, err: &toml::de::Error) -> Self {
        let place = source.place(err.span());
        let message = err.message().trim();
        if let Some(rest) = message.strip_prefix("unknown field `") {
            if let Some((name, tail)) = rest.split_once('`') {
                let table = source
                    .text()
                    .zip(err.span())
                    .map(|(text, span)| table_at(text, span.start))
                    .unwrap_or_default();
                let key = if table.is_empty() {
                    name.to_string()
                } else {
                    format!("{table}.{name}")
                };
                let allowed = tail
                    .trim_start_matches(',')
                    .trim()
                    .trim_start_matches("expected one of ")
                    .trim_start_matches("expected ")
                    .replace('`', "");
                let allowed = if allowed.is_empty() || allowed.starts_with("there are no fields") {
                    None
                } else {
                    Some(format!(
                        "{allowed} (see `roomwatch config --print-default`)"
                    ))
                };
                return ConfigError::Invalid {
                    place,
                    key: Some(key),
                    problem: "unknown key".into(),
                    allowed,
                };
            }
        }
        let key = source
            .text()
            .zip(err.span())
            .and_then(|(text, span)| key_at(text, span.start));
        if let Some(rest) = message.strip_prefix("invalid type: ") {
            // A value where a table belongs (`tip_goal = 5`, `[keys] normal = 5`): serde only checks that.
            let (found, _) = rest.split_once(", expected").unwrap_or((rest, ""));
            return ConfigError::Invalid {
                place,
                key,
                problem: format!("{found} where a table belongs"),
                allowed: Some("a table: a [name] line, then its keys one per line".into()),
            };
        }
        ConfigError::Invalid {
            place,
            key,
            problem: format!("not valid TOML: {}", message.replace('\n', "; ")),
            allowed: Some(
                "TOML syntax: key = value, strings in double quotes, true/false, [table] headers"
                    .into(),
            ),
        }
    }
}

/// The table header (`tip_goal`, `keys.normal`) in force at a byte offset; "" at the top level.
fn table_at(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    before
        .lines()
        .rev()
        .map(str::trim)
        .find_map(|l| {
            l.strip_prefix('[')
                .and_then(|l| l.split(']').next())
                .map(|t| t.trim().to_string())
        })
        .unwrap_or_default()
}

/// The dotted key written on the line at `offset` (its table plus the text before `=`).
fn key_at(text: &str, offset: usize) -> Option<String> {
    let start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?;
    let (name, _) = line.split_once('=')?;
    let name = name.trim();
    let table = table_at(text, start);
    Some(if table.is_empty() {
        name.to_string()
    } else {
        format!("{table}.{name}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_tables() {
        let text = "a = 1\n[tip_goal]\ntokens = 5\n";
        assert_eq!(line_of(text, 0), 1);
        assert_eq!(line_of(text, text.find("tokens").unwrap()), 3);
        assert_eq!(table_at(text, text.find("tokens").unwrap()), "tip_goal");
        assert_eq!(table_at(text, 2), "");
        assert_eq!(
            key_at(text, text.find('5').unwrap()).as_deref(),
            Some("tip_goal.tokens")
        );
    }
}
