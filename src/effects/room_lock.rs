//! One process per room: an advisory lock on `<state dir>/cursors/<room>.lock`, held for the whole session.
//! Two processes polling one room would race on its resume cursor (each moving it past events the other has
//! not written); the second one is refused with the first one's pid (exit 2) before it sends any request.
//! The lock is the kernel's (`flock`): it goes with the process, however the process ends, so a crashed
//! session never leaves a stale lock behind.

use super::atomic;
use super::names::safe_room;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Held while the session runs; dropping it (or the process ending) releases the room.
#[derive(Debug)]
pub struct RoomLock {
    _file: File,
    pub path: PathBuf,
}

/// Locks `room` in `dir`. `Err` is one line saying who holds it and what to do.
pub fn acquire(dir: &Path, room: &str) -> Result<RoomLock, String> {
    let path = dir.join(format!("{}.lock", safe_room(room)));
    let failed = |e: io::Error| format!("cannot lock the room {room} ({}): {e}", path.display());
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
            return Err(format!(
                "{who} is already watching the room {room}: two runs on one room would race on its resume \
                 cursor; stop the other one first"
            ));
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
        let err = acquire(dir.path(), "alice").unwrap_err();
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
}
