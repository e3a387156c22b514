//! The journal: every distinct event as received, as JSON Lines, owner-only (0600), flushed per batch.
//!
//! Format (one JSON object per line):
//! - a header per session: `{"roomwatch_journal":1,"room":"…","source":"…","started_at":"…"}`
//! - one line per event: `{"received_at":"…","source":"…","batch":N,"event":<the platform's original JSON>}`
//! - a batch note when a reply had items skipped or duplicates dropped:
//!   `{"received_at":"…","source":"…","batch":N,"skipped":k,"duplicates_dropped":d}`
//!
//! `received_at` has millisecond precision, which is all the headless output shows, so a replay re-derives the
//! same `at`. Nothing else is written: no URL, no token, no headers.

use super::atomic;
use crate::event::{format_at, SourceKind};
use crate::sources::Batch;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub const FORMAT_VERSION: u32 = 1;
/// Buffered so that a batch of a thousand events is one or two `write`s.
const BUFFER: usize = 1 << 16;

/// The first line of a session in a journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub room: String,
    pub source: SourceKind,
    pub started_at: DateTime<Utc>,
}

pub struct Journal {
    path: PathBuf,
    out: BufWriter<File>,
    batch_seq: u64,
    /// Events that came without their original JSON (cannot be journaled).
    pub events_without_raw: u64,
    pub events_written: u64,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.path)
            .field("batches", &self.batch_seq)
            .finish()
    }
}

impl Journal {
    /// Opens `path` for appending (0600; created when missing) and writes the session header.
    pub fn open(path: &Path, create_new: bool, header: &Header) -> io::Result<Journal> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            atomic::ensure_dir(dir)?;
        }
        let file = atomic::open_append_private(path, create_new)?;
        let mut j = Journal {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(BUFFER, file),
            batch_seq: 0,
            events_without_raw: 0,
            events_written: 0,
        };
        let line = serde_json::json!({
            "roomwatch_journal": FORMAT_VERSION,
            "room": header.room,
            "source": header.source,
            "started_at": format_at(header.started_at),
        });
        serde_json::to_writer(&mut j.out, &line)?;
        j.out.write_all(b"\n")?;
        j.out.flush()?;
        Ok(j)
    }

    /// Creates a new journal named `<stem>.jsonl` in `dir` (a suffix when the name is taken).
    pub fn create_in(dir: &Path, room: &str, header: &Header) -> io::Result<Journal> {
        atomic::ensure_dir(dir)?;
        for attempt in 1..1000 {
            let stem = super::names::session_stem(room, header.started_at, attempt);
            match Journal::open(&dir.join(format!("{stem}.jsonl")), true, header) {
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                other => return other,
            }
        }
        Err(io::Error::other("no free journal name"))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends a batch's events and flushes (to the kernel; [`Journal::sync`] forces them to disk).
    pub fn append_batch(&mut self, batch: &Batch) -> io::Result<()> {
        if batch.events.is_empty() && batch.skipped == 0 && batch.duplicates_dropped == 0 {
            return Ok(());
        }
        self.batch_seq += 1;
        let received = format_at(batch.received_at);
        // The part before the event is the same for every event of a batch from one source: built once.
        let mut prefix = String::new();
        let mut prefix_source = None;
        for ev in &batch.events {
            let Some(raw) = ev.raw.as_deref() else {
                self.events_without_raw += 1;
                continue;
            };
            if prefix_source != Some(ev.source) {
                prefix = format!(
                    "{{\"received_at\":\"{received}\",\"source\":\"{}\",\"batch\":{},\"event\":",
                    ev.source.as_str(),
                    self.batch_seq
                );
                prefix_source = Some(ev.source);
            }
            self.out.write_all(prefix.as_bytes())?;
            // The event is the platform's JSON; a secret would only be there by accident, but never store one.
            let raw = crate::mask::scrub_registered(raw);
            self.out.write_all(one_line(&raw).as_bytes())?;
            self.out.write_all(b"}\n")?;
            self.events_written += 1;
        }
        if batch.skipped > 0 || batch.duplicates_dropped > 0 {
            let source = batch
                .events
                .first()
                .map_or("", |e| e.source.as_str())
                .to_string();
            let note = serde_json::json!({
                "received_at": received,
                "source": source,
                "batch": self.batch_seq,
                "skipped": batch.skipped,
                "duplicates_dropped": batch.duplicates_dropped,
            });
            serde_json::to_writer(&mut self.out, &note)?;
            self.out.write_all(b"\n")?;
        }
        self.out.flush()
    }

    /// Flushes and fsyncs (autosave and the end of the session).
    pub fn sync(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_data()
    }
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
