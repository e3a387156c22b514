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

use crate::event::format_at;
use crate::event::journal::{one_line, Header, FORMAT_VERSION};
use crate::files::atomic;
use crate::sources::Batch;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Buffered so that a batch of a thousand events is one or two `write`s.
const BUFFER: usize = 1 << 16;

pub struct Journal {
    path: PathBuf,
    out: BufWriter<File>,
    batch_seq: u64,
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
            // Events without their original JSON (none from today's sources) cannot be journaled.
            let Some(raw) = ev.raw.as_deref() else {
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
