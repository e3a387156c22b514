//! Atomic file writes: a temporary file in the same directory, fsync, rename (or link, to claim a new name),
//! then fsync of the directory. A crash at any moment leaves either the old file or the new one under the final
//! name, never half a file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Owner-only: summaries name the tippers, journals keep the raw payloads, cursors are per account.
pub const FILE_MODE: u32 = 0o600;
pub const DIR_MODE: u32 = 0o700;

static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// How the final name is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Replace whatever is there (our own earlier autosave).
    Replace,
    /// Only if the name is free; `AlreadyExists` otherwise (claiming a fresh summary name).
    CreateNew,
}

/// Whether the data and the directory entry are forced to disk before returning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync the file and the directory: survives a power cut.
    Synced,
    /// Rename only: survives a crash of the process (the page cache is the kernel's), not of the machine.
    ProcessCrash,
}

/// Creates `dir` (and parents) owner-only when missing.
pub fn ensure_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
}

/// Writes `bytes` to `path` atomically (mode 0600).
pub fn write(path: &Path, bytes: &[u8], place: Place, durability: Durability) -> io::Result<()> {
    let dir = parent_dir(path);
    let tmp = temp_path(path);
    let result = write_temp(&tmp, bytes, durability).and_then(|()| match place {
        Place::Replace => fs::rename(&tmp, path),
        Place::CreateNew => claim(&tmp, path),
    });
    if result.is_err() || place == Place::CreateNew {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    if durability == Durability::Synced {
        sync_dir(&dir)?;
    }
    Ok(())
}

fn write_temp(tmp: &Path, bytes: &[u8], durability: Durability) -> io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(tmp)?;
    f.write_all(bytes)?;
    if durability == Durability::Synced {
        f.sync_all()?;
    }
    Ok(())
}

/// Links the finished temp file to `path` only if the name is free (atomic no-clobber); on file systems
/// without hard links, falls back to a check and a rename.
fn claim(tmp: &Path, path: &Path) -> io::Result<()> {
    match fs::hard_link(tmp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => {
            if path.exists() {
                return Err(io::Error::from(io::ErrorKind::AlreadyExists));
            }
            fs::rename(tmp, path)
        }
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A hidden name next to the target, unique per process and write, so that a reader globbing for the final
/// name never sees it.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let seq = TEMP_SEQ.fetch_add(1, Ordering::Relaxed);
    parent_dir(path).join(format!(".{name}.tmp-{}-{seq}", std::process::id()))
}

/// Removes the temp files that a killed roomwatch (`kill -9`, power cut) left in `dir`: `.<name>.tmp-<pid>-<n>`
/// whose process is gone. Never touches a final file, nor the temp file of a process still running (another
/// roomwatch writing into the same folder). Where `/proc` is missing, liveness cannot be told: nothing is removed.
pub fn sweep_stale_temps(dir: &Path) -> usize {
    if !Path::new("/proc/self").exists() {
        return 0;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = temp_owner(&name.to_string_lossy()) else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The pid in a temp name made by [`temp_path`], `None` for any other name.
fn temp_owner(name: &str) -> Option<u32> {
    if !name.starts_with('.') {
        return None;
    }
    let (_, tail) = name.rsplit_once(".tmp-")?;
    let (pid, seq) = tail.split_once('-')?;
    seq.parse::<u64>().ok()?;
    pid.parse().ok()
}

/// fsync of a directory, so a rename survives a power cut.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Opens (creating if needed) a file for appending, owner-only; tightens the mode of an existing file.
pub fn open_append_private(path: &Path, create_new: bool) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.append(true).mode(FILE_MODE);
    if create_new {
        opts.create_new(true);
    } else {
        opts.create(true);
    }
    let f = opts.open(path)?;
    let meta = f.metadata()?;
    // Only a regular file: `--log-file /dev/null` or a tty must work and keep its mode.
    if meta.is_file() && meta.permissions().mode() & 0o077 != 0 {
        f.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temps_of_dead_processes_are_swept_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        // Above any pid_max: never a running process.
        fs::write(p(".roomwatch-room-1.json.tmp-4294967290-3"), "half").unwrap();
        let mine = format!(".roomwatch-room-1.md.tmp-{}-0", std::process::id());
        fs::write(p(&mine), "being written").unwrap();
        fs::write(p("roomwatch-room-1.json"), "{}").unwrap();
        fs::write(p(".hidden.tmp-notapid-1"), "x").unwrap();
        assert_eq!(sweep_stale_temps(dir.path()), 1);
        assert!(!p(".roomwatch-room-1.json.tmp-4294967290-3").exists());
        assert!(p(&mine).exists(), "a live process's temp file stays");
        assert!(p("roomwatch-room-1.json").exists());
        assert!(p(".hidden.tmp-notapid-1").exists());
        assert_eq!(temp_owner(&mine), Some(std::process::id()));
        assert_eq!(temp_owner("roomwatch.json"), None);
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replace_overwrites_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        write(&p, b"one", Place::Replace, Durability::Synced).unwrap();
        write(&p, b"two", Place::Replace, Durability::ProcessCrash).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(names(dir.path()), vec!["a.json"]);
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn create_new_refuses_a_taken_name_and_keeps_the_old_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        write(&p, b"first", Place::CreateNew, Durability::Synced).unwrap();
        let err = write(&p, b"second", Place::CreateNew, Durability::Synced).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&p).unwrap(), b"first");
        assert_eq!(names(dir.path()), vec!["a.json"]);
    }

    #[test]
    fn append_files_are_owner_only_even_when_they_existed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        fs::write(&p, b"x\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        let mut f = open_append_private(&p, false).unwrap();
        f.write_all(b"y\n").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"x\ny\n");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(open_append_private(&p, true).is_err());
    }

    #[test]
    fn ensure_dir_creates_private_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("x/y");
        ensure_dir(&d).unwrap();
        assert!(d.is_dir());
        assert_eq!(
            fs::metadata(&d).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
}
