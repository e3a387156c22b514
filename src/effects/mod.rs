//! Effects with files: the journal, the session summary (autosaved and final), the resume cursor.
//! The runners (headless and TUI) call [`SessionFiles`] at fixed points so every exit path is covered:
//! [`SessionFiles::on_batch`] before each batch reaches the reducer, [`SessionFiles::maybe_autosave`] on every
//! wake-up, and `run/mod.rs` calls [`SessionFiles::finish`] once, however the runner ended (panics included).

pub mod channels_summary;
pub mod cursor;
pub mod journal;
pub mod names;
pub mod room_lock;
pub mod summary;
pub mod summary_md;

use crate::app::{ExitReason, Room};
use crate::files::atomic::{self, Durability, Place};
use crate::sources::Batch;
use chrono::{DateTime, Utc};
use cursor::CursorStore;
use journal::Journal;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use summary::{Summary, SummaryMeta};

/// Default autosave interval (DESIGN: "every few minutes"; `Settings::autosave_every` after the TUI merge).
pub const DEFAULT_AUTOSAVE: Duration = Duration::from_secs(300);

/// Least time between two of the resume cursor's per-batch writes. Each write creates and renames a file: a
/// backlog of full replies spent 6 % of its CPU on them. A crash loses at most this much progress, and those
/// events come again on the next start, as one batch could before (docs/decisions.md).
pub const CURSOR_EVERY: Duration = Duration::from_millis(250);

/// Where the session's files go, resolved from the command line and the config.
#[derive(Debug, Clone)]
pub struct FileOptions {
    pub summary_dir: Option<PathBuf>,
    pub journal: Option<PathBuf>,
    /// Where a new journal goes when `journal` is not set (default `<data dir>/journals`).
    pub journal_dir: Option<PathBuf>,
    pub no_journal: bool,
    pub autosave_every: Duration,
    /// Least time between two per-batch cursor writes ([`CURSOR_EVERY`]).
    pub cursor_every: Duration,
    /// Keep the room's resume cursor (the Chaturbate source; not the simulator or a replay).
    pub save_cursor: bool,
    /// Overrides `<state dir>/cursors`.
    pub cursor_dir: Option<PathBuf>,
    /// The journal being played, when the session is a replay.
    pub replay_of: Option<PathBuf>,
    /// Fault injection for the exit-path tests: panic once this many events went through `on_batch`.
    /// Only set from the environment in debug builds.
    pub panic_after_events: Option<u64>,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            summary_dir: None,
            journal: None,
            journal_dir: None,
            no_journal: false,
            autosave_every: DEFAULT_AUTOSAVE,
            cursor_every: CURSOR_EVERY,
            save_cursor: false,
            cursor_dir: None,
            replay_of: None,
            panic_after_events: None,
        }
    }
}

/// The session's file effects. Owned by the main task next to the state.
#[derive(Debug, Default)]
pub struct SessionFiles {
    pub options: FileOptions,
    room: String,
    started_at: Option<DateTime<Utc>>,
    journal: Option<Journal>,
    cursor: Option<CursorStore>,
    /// The newest id handed to `on_batch`.
    cursor_id: Option<String>,
    /// `cursor_id` is newer than the stored cursor: written once `cursor_every` has passed since the last write.
    cursor_pending: bool,
    cursor_written_at: Option<Instant>,
    next_autosave: Option<DateTime<Utc>>,
    /// `(dir, stem)` of the summary files once the name is claimed; later writes replace them.
    summary_name: Option<(PathBuf, String)>,
    events_seen: u64,
    /// Problems to report at the end (each once).
    problems: Vec<String>,
    written: Vec<PathBuf>,
    last_summary: Option<Summary>,
    /// `finish` ran: the final summary is written and nothing more is.
    finished: bool,
}

impl SessionFiles {
    pub fn new(options: FileOptions) -> Self {
        SessionFiles {
            options,
            ..SessionFiles::default()
        }
    }

    /// Starts the files of `room` (name, start time): opens the journal and the cursor store and arms the
    /// autosave. Errors are for the user (a journal that cannot be created ends the start-up).
    pub fn open(&mut self, room: &Room) -> Result<(), String> {
        self.room = room.name().to_string();
        self.started_at = Some(room.started_at);
        self.next_autosave = Some(room.started_at + self.options.autosave_every);
        if !self.options.no_journal {
            let header = crate::event::journal::Header {
                room: room.name().to_string(),
                source: room.platform(),
                started_at: room.started_at,
            };
            let opened = match &self.options.journal {
                Some(path) => Journal::open(path, false, &header).map_err(|e| (path.clone(), e)),
                None => {
                    let dir = (self.options.journal_dir.clone())
                        .or_else(|| crate::paths::data_dir().map(|d| d.join("journals")))
                        .ok_or_else(|| {
                            "no data directory for the journal; pass --journal FILE or --no-journal"
                                .to_string()
                        })?;
                    Journal::create_in(&dir, room.name(), &header).map_err(|e| (dir, e))
                }
            };
            let j = opened.map_err(|(path, e)| {
                format!(
                    "cannot write the journal {}: {e} (use --journal FILE or --no-journal)",
                    path.display()
                )
            })?;
            self.journal = Some(j);
        }
        // What a killed earlier run left half-written (never under a final name) goes now.
        atomic::sweep_stale_temps(&self.summary_dir());
        if self.options.save_cursor {
            self.cursor = self.options.cursor_dir.as_ref().map(CursorStore::new);
            if let Some(store) = &self.cursor {
                atomic::sweep_stale_temps(store.dir());
            }
            if self.cursor.is_none() {
                self.problem("no state directory: the resume cursor is not kept".into());
            }
        }
        Ok(())
    }

    /// Called once per batch, before the batch reaches the reducer (journal append).
    pub fn on_batch(&mut self, batch: &Batch) {
        if let Some(n) = self.options.panic_after_events {
            if self.events_seen >= n {
                panic!("fault injection: {n} events reached");
            }
        }
        self.events_seen += batch.events.len() as u64;
        if let Some(j) = &mut self.journal {
            if let Err(e) = j.append_batch(batch) {
                let path = j.path().display().to_string();
                self.journal = None;
                self.problem(format!(
                    "cannot append to the journal {path}: {e}; journaling stopped"
                ));
            }
        }
        if let (Some(last), Some(_)) = (batch.events.last(), &self.cursor) {
            self.cursor_id = Some(last.id.to_string());
            self.cursor_pending = true;
            self.store_cursor_if_due(Instant::now());
        }
    }

    /// The pending cursor, once `cursor_every` has passed since the last write. Without fsync: it survives a
    /// crash of roomwatch; exits and autosaves also fsync it.
    fn store_cursor_if_due(&mut self, now: Instant) {
        if self.cursor_due_in(now) == Some(Duration::ZERO) {
            self.store_cursor(Utc::now(), Durability::ProcessCrash);
        }
    }

    /// How long until the pending cursor is written; `None` when nothing is pending.
    fn cursor_due_in(&self, now: Instant) -> Option<Duration> {
        if !self.cursor_pending || self.finished {
            return None;
        }
        Some(self.cursor_written_at.map_or(Duration::ZERO, |t| {
            (t + self.options.cursor_every).saturating_duration_since(now)
        }))
    }

    /// Called on every wake-up of the runner; writes the autosave when it is due.
    pub fn maybe_autosave(&mut self, room: &Room, now: DateTime<Utc>) {
        if self.finished {
            return;
        }
        self.store_cursor_if_due(Instant::now());
        let due = match self.next_autosave {
            Some(t) => t,
            None => {
                self.next_autosave = Some(room.started_at + self.options.autosave_every);
                return;
            }
        };
        if now < due {
            return;
        }
        self.sync_journal();
        self.store_cursor(now, Durability::Synced);
        let meta = self.meta(None, now);
        if let Err(e) = self.write_summary(&summary::build(room, &meta)) {
            self.problem(format!("cannot autosave the summary: {e}"));
        }
        // Counted from the end of the write (fsyncs can be slow), so the runner always gets time in between.
        self.next_autosave = Some(now.max(Utc::now()) + self.options.autosave_every);
    }

    /// How long until the next autosave or the pending cursor is due (for runners that arm a timer while
    /// idle); `None` once the final summary is written (nothing is due any more: a zero here would spin the
    /// runner).
    pub fn autosave_in(&self, now: DateTime<Utc>) -> Option<Duration> {
        if self.finished {
            return None;
        }
        let autosave = self.next_autosave.map_or(self.options.autosave_every, |t| {
            (t - now).to_std().unwrap_or(Duration::ZERO)
        });
        Some(match self.cursor_due_in(Instant::now()) {
            Some(cursor) => cursor.min(autosave),
            None => autosave,
        })
    }

    /// Called once when the room ends (its source stopped, or the session ended), after the terminal is restored
    /// when the session ends; returns the files written. Later calls change nothing.
    pub fn finish(&mut self, room: &Room, reason: &ExitReason, now: DateTime<Utc>) -> Vec<PathBuf> {
        if self.finished {
            return self.written.clone();
        }
        self.finished = true;
        self.sync_journal();
        self.store_cursor(now, Durability::Synced);
        let meta = self.meta(Some(reason), now);
        let summary = summary::build(room, &meta);
        if let Err(e) = self.write_summary(&summary) {
            let first = self.summary_name.as_ref().map_or_else(
                || self.summary_dir().display().to_string(),
                |(d, _)| d.display().to_string(),
            );
            self.problem(format!("cannot write the summary in {first}: {e}"));
            // The numbers matter more than the place: fall back to the temp dir.
            self.summary_name = None;
            self.options.summary_dir = Some(std::env::temp_dir());
            if let Err(e) = self.write_summary(&summary) {
                self.problem(format!(
                    "cannot write the summary in the temp dir either: {e}"
                ));
            }
        }
        self.last_summary = Some(summary);
        self.written.clone()
    }

    /// The lines printed on stderr after the end: file paths, problems, and the five-line text summary.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    pub fn end_report(&self) -> Vec<String> {
        let mut lines = Vec::new();
        match self.written.as_slice() {
            [json, md] => lines.push(format!(
                "roomwatch: session summary: {} and {}",
                json.display(),
                md.display()
            )),
            _ => lines.push("roomwatch: no session summary file could be written".into()),
        }
        if let Some(j) = &self.journal {
            lines.push(format!("roomwatch: journal: {}", j.path().display()));
        }
        for p in &self.problems {
            lines.push(format!("roomwatch: warning: {}", crate::mask::scrub(p)));
        }
        if let Some(s) = &self.last_summary {
            lines.extend(summary::text_lines(s).into_iter().map(|l| format!("  {l}")));
        }
        lines
    }

    pub fn journal_path(&self) -> Option<&Path> {
        self.journal.as_ref().map(Journal::path)
    }

    /// The room's summary as it stands (the local API's live summary): `exit_reason` is `running` until the
    /// room ends.
    pub fn summary_now(&self, room: &Room, now: DateTime<Utc>) -> Summary {
        summary::build(room, &self.meta(room.ended.as_ref(), now))
    }

    /// The summary of the last `finish`.
    pub fn last_summary(&self) -> Option<&Summary> {
        self.last_summary.as_ref()
    }

    fn meta<'a>(&'a self, exit: Option<&'a ExitReason>, now: DateTime<Utc>) -> SummaryMeta<'a> {
        SummaryMeta {
            exit,
            ended_at: now,
            replay_of: self.options.replay_of.as_deref().and_then(Path::to_str),
        }
    }

    fn problem(&mut self, text: String) {
        tracing::warn!("{text}");
        if !self.problems.contains(&text) {
            self.problems.push(text);
        }
    }

    fn sync_journal(&mut self) {
        if let Some(j) = &mut self.journal {
            if let Err(e) = j.sync() {
                let path = j.path().display().to_string();
                self.problem(format!("cannot flush the journal {path}: {e}"));
            }
        }
    }

    fn store_cursor(&mut self, now: DateTime<Utc>, durability: Durability) {
        // Nothing stays pending after a try: a pending cursor with no store would be due forever, and the
        // runners' timers would spin on it.
        self.cursor_pending = false;
        let (Some(store), Some(id)) = (&self.cursor, &self.cursor_id) else {
            return;
        };
        self.cursor_written_at = Some(Instant::now());
        if let Err(e) = store.save(&self.room, id, now, durability) {
            let path = store.path(&self.room).display().to_string();
            self.problem(format!("cannot save the resume cursor {path}: {e}"));
        }
    }

    fn summary_dir(&self) -> PathBuf {
        summary_dir(self.options.summary_dir.as_deref())
    }

    /// Writes both files atomically: the first time under a freshly claimed name, then over it.
    fn write_summary(&mut self, s: &Summary) -> io::Result<()> {
        let json = summary::to_json(s);
        let md = summary_md::render(s);
        let (dir, stem) = match &self.summary_name {
            Some((dir, stem)) => {
                let json_path = dir.join(format!("{stem}.json"));
                atomic::write(&json_path, &json, Place::Replace, Durability::Synced)?;
                (dir.clone(), stem.clone())
            }
            None => {
                let dir = self.summary_dir();
                atomic::ensure_dir(&dir)?;
                let started = self.started_at.unwrap_or_else(Utc::now);
                let stem = claim_name(&dir, &self.room, started, &json)?;
                self.summary_name = Some((dir.clone(), stem.clone()));
                (dir, stem)
            }
        };
        let md_path = dir.join(format!("{stem}.md"));
        atomic::write(&md_path, md.as_bytes(), Place::Replace, Durability::Synced)?;
        let json_path = dir.join(format!("{stem}.json"));
        self.written = [json_path, md_path]
            .into_iter()
            .map(|p| std::path::absolute(&p).unwrap_or(p))
            .collect();
        Ok(())
    }
}

/// Where summaries go: the configured place, else `<data dir>/sessions`, else the temp dir.
pub fn summary_dir(configured: Option<&Path>) -> PathBuf {
    (configured.map(Path::to_path_buf))
        .or_else(|| crate::paths::data_dir().map(|d| d.join("sessions")))
        .unwrap_or_else(std::env::temp_dir)
}

/// Claims the first free `roomwatch-<room>-<stamp>[-n]` in `dir` by creating its `.json` (no-clobber).
fn claim_name(dir: &Path, room: &str, started: DateTime<Utc>, json: &[u8]) -> io::Result<String> {
    for attempt in 1..1000 {
        let stem = names::session_stem(room, started, attempt);
        if dir.join(format!("{stem}.md")).exists() {
            continue;
        }
        let path = dir.join(format!("{stem}.json"));
        match atomic::write(&path, json, Place::CreateNew, Durability::Synced) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
            Ok(()) => return Ok(stem),
        }
    }
    Err(io::Error::other("no free summary file name"))
}

#[cfg(test)]
mod tests;
