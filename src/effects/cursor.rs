//! The resume cursor store: the id of the last event processed, per room, in
//! `<state dir>/cursors/<room>.json` (0600, written atomically). It holds the room, the id and the time it was
//! saved — never the URL or the token.

use super::names::safe_room;
use crate::event::format_at;
use crate::files::atomic::{self, Durability, Place};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedCursor {
    pub room: String,
    pub last_event_id: String,
    pub saved_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorStore {
    dir: PathBuf,
}

impl CursorStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        CursorStore { dir: dir.into() }
    }

    pub fn path(&self, room: &str) -> PathBuf {
        self.dir.join(format!("{}.json", safe_room(room)))
    }

    /// The saved cursor for `room`. A missing, unreadable or foreign file (another room that maps to the same
    /// file name) is no cursor: the caller starts as without one.
    pub fn load(&self, room: &str) -> Option<String> {
        let path = self.path(room);
        let text = match crate::files::read_text(&path, crate::files::MAX_SMALL_FILE_BYTES) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot read the saved cursor");
                return None;
            }
        };
        match serde_json::from_str::<SavedCursor>(&text) {
            Ok(c) if c.room == room && !c.last_event_id.is_empty() => Some(c.last_event_id),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "ignoring a damaged cursor file");
                None
            }
        }
    }

    /// Saves `id` as the cursor of `room`, atomically.
    pub fn save(
        &self,
        room: &str,
        id: &str,
        now: DateTime<Utc>,
        durability: Durability,
    ) -> io::Result<()> {
        atomic::ensure_dir(&self.dir)?;
        let saved = SavedCursor {
            room: room.to_string(),
            last_event_id: crate::mask::scrub_registered(id).into_owned(),
            saved_at: format_at(now),
        };
        let mut bytes = serde_json::to_vec(&saved).map_err(io::Error::other)?;
        bytes.push(b'\n');
        atomic::write(&self.path(room), &bytes, Place::Replace, durability)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn now() -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 23, 10, 0, 0).unwrap()
    }

    #[test]
    fn saves_and_loads_per_room_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = CursorStore::new(dir.path().join("cursors"));
        assert_eq!(store.load("alice"), None);
        store
            .save("alice", "1700000000000-3", now(), Durability::Synced)
            .unwrap();
        store
            .save("bob", "1700000000999-0", now(), Durability::ProcessCrash)
            .unwrap();
        assert_eq!(store.load("alice").as_deref(), Some("1700000000000-3"));
        assert_eq!(store.load("bob").as_deref(), Some("1700000000999-0"));
        store
            .save("alice", "1700000000500-0", now(), Durability::Synced)
            .unwrap();
        assert_eq!(store.load("alice").as_deref(), Some("1700000000500-0"));
        let mode = std::fs::metadata(store.path("alice"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let files: Vec<_> = std::fs::read_dir(store.dir()).unwrap().collect();
        assert_eq!(files.len(), 2, "no temp files left behind");
    }

    #[test]
    fn damaged_or_foreign_files_are_no_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let store = CursorStore::new(dir.path());
        std::fs::write(store.path("alice"), b"{\"room\":\"ali").unwrap();
        assert_eq!(store.load("alice"), None);
        // "a.b" and "a_b" share a file name; the room inside tells them apart.
        store.save("a.b", "1-0", now(), Durability::Synced).unwrap();
        assert_eq!(store.path("a.b"), store.path("a_b"));
        assert_eq!(store.load("a_b"), None);
        assert_eq!(store.load("a.b").as_deref(), Some("1-0"));
    }

    #[test]
    fn secrets_never_reach_the_file() {
        crate::mask::register("cursor-test-secret-token");
        let dir = tempfile::tempdir().unwrap();
        let store = CursorStore::new(dir.path());
        store
            .save(
                "alice",
                "x-cursor-test-secret-token",
                now(),
                Durability::Synced,
            )
            .unwrap();
        let text = std::fs::read_to_string(store.path("alice")).unwrap();
        assert!(!text.contains("cursor-test-secret-token"), "{text}");
    }
}
