//! Effects with files: the journal, the session summary (autosaved and final), the resume cursor.
//! The runners (headless and TUI) call [`SessionFiles`] at fixed points so every exit path is covered.

use crate::app::{ExitReason, State};
use crate::sources::Batch;
use chrono::{DateTime, Utc};
use std::path::PathBuf;

/// Where the session's files go, resolved from the command line and the config.
#[derive(Debug, Clone, Default)]
pub struct FileOptions {
    pub summary_dir: Option<PathBuf>,
    pub journal: Option<PathBuf>,
    pub no_journal: bool,
}

/// The session's file effects. Owned by the main task next to the state.
#[derive(Debug, Default)]
pub struct SessionFiles {
    pub options: FileOptions,
}

impl SessionFiles {
    pub fn new(options: FileOptions) -> Self {
        SessionFiles { options }
    }

    /// Called once per batch, before the batch reaches the reducer (journal append).
    pub fn on_batch(&mut self, _batch: &Batch) {}

    /// Called on every wake-up of the runner; writes the autosave when it is due.
    pub fn maybe_autosave(&mut self, _state: &State, _now: DateTime<Utc>) {}

    /// Called exactly once at the end, after the terminal is restored; returns the files written.
    pub fn finish(
        &mut self,
        _state: &State,
        _reason: &ExitReason,
        _now: DateTime<Utc>,
    ) -> Vec<PathBuf> {
        Vec::new()
    }
}
