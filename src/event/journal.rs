//! The journal's line format (written by `effects::journal`, read back by `sources::replay`):
//!
//! - a header per session: `{"roomwatch_journal":1,"room":"…","source":"…","started_at":"…"}`
//! - one line per event: `{"received_at":"…","source":"…","batch":N,"event":<the platform's original JSON>}`
//! - a batch note when a reply had items skipped or duplicates dropped:
//!   `{"received_at":"…","source":"…","batch":N,"skipped":k,"duplicates_dropped":d}`

use super::SourceKind;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

pub const FORMAT_VERSION: u32 = 1;

/// The first line of a session in a journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub room: String,
    pub source: SourceKind,
    pub started_at: DateTime<Utc>,
}

/// JSON as one line: whitespace outside strings removed only when the text has line breaks (a server that
/// pretty-prints). Line breaks inside JSON strings are always escaped, so this never changes a value.
pub fn one_line(raw: &str) -> Cow<'_, str> {
    // Byte search (memchr) rather than a char-set pattern: this runs once per journaled event.
    let bytes = raw.as_bytes();
    if !bytes.contains(&b'\n') && !bytes.contains(&b'\r') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let (mut in_str, mut escaped) = (false, false);
    for c in raw.chars() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
            out.push(c);
        } else if !c.is_ascii_whitespace() {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line of a journal, as read back by the replay.
#[derive(Debug)]
pub enum Line<'a> {
    Header(Header),
    Event {
        received_at: DateTime<Utc>,
        source: SourceKind,
        batch: u64,
        event: &'a RawValue,
    },
    BatchNote {
        received_at: DateTime<Utc>,
        batch: u64,
        skipped: u32,
        duplicates_dropped: u32,
    },
}

#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(default)]
    roomwatch_journal: Option<u32>,
    #[serde(default)]
    room: Option<String>,
    #[serde(default)]
    started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    received_at: Option<DateTime<Utc>>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    batch: Option<u64>,
    #[serde(borrow, default)]
    event: Option<&'a RawValue>,
    #[serde(default)]
    skipped: Option<u32>,
    #[serde(default)]
    duplicates_dropped: Option<u32>,
}

fn source_kind(s: &str) -> Option<SourceKind> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

/// Parses one journal line; `Err` says what is wrong with it (the caller adds the line number).
pub fn parse_line(text: &str) -> Result<Line<'_>, String> {
    let w: Wire = serde_json::from_str(text).map_err(|e| format!("not a journal entry ({e})"))?;
    if let Some(version) = w.roomwatch_journal {
        if version > FORMAT_VERSION {
            return Err(format!(
                "journal format {version} is newer than this roomwatch reads ({FORMAT_VERSION})"
            ));
        }
        let source = w.source.as_deref().and_then(source_kind);
        return match (w.room, source, w.started_at) {
            (Some(room), Some(source), Some(started_at)) => Ok(Line::Header(Header {
                room,
                source,
                started_at,
            })),
            _ => Err("header without room, source or started_at".into()),
        };
    }
    let received_at = w.received_at.ok_or("no received_at")?;
    let batch = w.batch.ok_or("no batch number")?;
    if let Some(event) = w.event {
        let source = w
            .source
            .as_deref()
            .and_then(source_kind)
            .ok_or("no known source")?;
        return Ok(Line::Event {
            received_at,
            source,
            batch,
            event,
        });
    }
    if w.skipped.is_some() || w.duplicates_dropped.is_some() {
        return Ok(Line::BatchNote {
            received_at,
            batch,
            skipped: w.skipped.unwrap_or(0),
            duplicates_dropped: w.duplicates_dropped.unwrap_or(0),
        });
    }
    Err("neither an event nor a batch note".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_printed_events_become_one_line_without_changing_strings() {
        let raw = "{\n  \"a\": \"x  y\\\" }\",\n  \"b\": [1, 2]\n}";
        let line = one_line(raw);
        assert_eq!(line, "{\"a\":\"x  y\\\" }\",\"b\":[1,2]}");
        let a: serde_json::Value = serde_json::from_str(raw).unwrap();
        let b: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(a, b);
        assert!(matches!(one_line("{\"a\": 1}"), Cow::Borrowed(_)));
    }

    #[test]
    fn lines_parse_back() {
        let h = r#"{"roomwatch_journal":1,"room":"r","source":"chaturbate","started_at":"2026-01-01T00:00:00.000Z"}"#;
        assert!(matches!(parse_line(h), Ok(Line::Header(Header { ref room, .. })) if room == "r"));
        let e = r#"{"received_at":"2026-01-01T00:00:01.250Z","source":"simulator","batch":3,"event":{"id":"1"}}"#;
        match parse_line(e).unwrap() {
            Line::Event {
                received_at,
                source,
                batch,
                event,
            } => {
                assert_eq!(received_at.timestamp_millis() % 1000, 250);
                assert_eq!(source, SourceKind::Simulator);
                assert_eq!(batch, 3);
                assert_eq!(event.get(), r#"{"id":"1"}"#);
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_line("{\"received_at\":").is_err());
        assert!(parse_line(r#"{"batch":1}"#).is_err());
        let future = r#"{"roomwatch_journal":9,"room":"r","source":"chaturbate","started_at":"2026-01-01T00:00:00Z"}"#;
        assert!(parse_line(future).unwrap_err().contains("newer"));
    }
}
