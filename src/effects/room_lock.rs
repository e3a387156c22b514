//! One process per room: an advisory lock on `<state dir>/cursors/<room>.lock`, held for the whole session.
//! Two processes polling one room would race on its resume cursor (each moving it past events the other has
//! not written); the second one is refused with the first one's pid (exit 2) before it sends any request.
//! The lock is the kernel's (`flock`): it goes with the process, however the process ends, so a crashed
//! session never leaves a stale lock behind.

use super::names::safe_room;
use crate::files::atomic;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Held while the session runs; dropping it (or the process ending) releases the room.
#[derive(Debug)]
pub struct RoomLock {
    _file: File,
    pub path: PathBuf,
}

/// Why a room could not be locked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockError {
    /// Another process holds it: one line saying who, and what to do (the run must not start).
    Held(String),
    /// No lock could be taken here (a read-only state dir, a filesystem without locks): the run goes on
    /// without one, as it goes on without a cursor it cannot save.
    Unavailable(String),
}

/// Locks `room` in `dir`.
pub fn acquire(dir: &Path, room: &str) -> Result<RoomLock, LockError> {
    let path = dir.join(format!("{}.lock", safe_room(room)));
    let failed = |e: io::Error| {
        LockError::Unavailable(format!(
            "cannot lock the room {room} ({}): {e}",
            path.display()
        ))
    };
    atomic::ensure_dir(dir).map_err(failed)?;
    let mut file = open(&path).map_err(failed)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = (&mut file).take(64).read_to_string(&mut holder);
            let who = match holder.trim().parse::<u32>() {
                Ok(pid) => format!("another roomwatch (pid {pid})"),
                Err(_) => "another roomwatch".to_string(),
            };
            return Err(LockError::Held(format!(
                "{who} is already watching the room {room}: two runs on one room would race on its resume \
                 cursor; stop the other one first"
            )));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(failed(e)),
    }
    // Ours now: say who holds it, for the next one that asks.
    let _ = file
        .set_len(0)
        .and_then(|_| file.rewind())
        .and_then(|_| writeln!(file, "{}", std::process::id()))
        .and_then(|_| file.flush());
    Ok(RoomLock { _file: file, path })
}

fn open(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(atomic::FILE_MODE);
    }
    opts.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_a_room_is_refused_with_the_holder_and_freed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), "alice").expect("first lock");
        let Err(LockError::Held(err)) = acquire(dir.path(), "alice") else {
            panic!("the second lock must be refused as held");
        };
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        assert!(err.contains("alice"), "{err}");
        // Another room is independent.
        let _bob = acquire(dir.path(), "bob").expect("another room");
        drop(first);
        acquire(dir.path(), "alice").expect("free again after drop");
    }

    #[test]
    fn no_place_for_a_lock_is_not_a_refusal() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "").unwrap();
        // A "directory" that is a file: the lock cannot be taken, and the run may go on without it.
        assert!(matches!(
            acquire(&file.join("cursors"), "alice"),
            Err(LockError::Unavailable(_))
        ));
    }
}
