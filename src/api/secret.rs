//! The API key and the EventSub webhook secret: random, created on first use, kept owner-only (0600) in the
//! data dir, the value alone on one line. Both are registered with the mask as they are read, so no log line
//! or error can carry them.

use crate::files::atomic::{self, Durability, Place};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Random bytes behind each secret; written as lowercase hex (URL-safe, 64 characters: within Twitch's 10–100
/// for a webhook secret, and safe in `?key=`).
const RANDOM_BYTES: usize = 32;

/// Shortest and longest value accepted from an existing file (a key typed by hand included).
pub const MIN_LEN: usize = 16;
pub const MAX_LEN: usize = 100;

/// Reads the secret at `path`, or creates it when the file does not exist. `what` names it in errors
/// ("the API key"). Refuses a file that group or others can read, or that holds anything but 16–100 URL-safe
/// characters.
pub fn load_or_create(path: &Path, what: &str) -> Result<String, String> {
    match read(path, what) {
        Ok(Some(value)) => return Ok(value),
        Ok(None) => {}
        Err(e) => return Err(e),
    }
    let value = fresh()?;
    crate::mask::register(&value);
    if let Some(dir) = path.parent() {
        atomic::ensure_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    match atomic::write(
        path,
        format!("{value}\n").as_bytes(),
        Place::CreateNew,
        Durability::Synced,
    ) {
        Ok(()) => Ok(value),
        // Another roomwatch created it first: use theirs, so both accept the same key.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read(path, what)?
            .ok_or_else(|| format!("{what} at {} vanished while it was read", path.display())),
        Err(e) => Err(format!("cannot write {what} to {}: {e}", path.display())),
    }
}

fn read(path: &Path, what: &str) -> Result<Option<String>, String> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {what} at {}: {e}", path.display())),
    };
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(format!(
            "{what} at {} can be read by other users; run `chmod 600 {}` (or delete it for a new one)",
            path.display(),
            path.display()
        ));
    }
    let text = crate::files::read_text(path, crate::files::MAX_SMALL_FILE_BYTES)
        .map_err(|e| format!("cannot read {what} at {}: {e}", path.display()))?;
    let value = text.trim();
    if !valid(value) {
        return Err(format!(
            "{what} at {} is not {MIN_LEN}–{MAX_LEN} letters, digits, '-' or '_' on one line; delete the file \
             for a new one",
            path.display()
        ));
    }
    crate::mask::register(value);
    Ok(Some(value.to_string()))
}

/// 16–100 characters from the URL-safe set: usable in `?key=` as it is, and an ASCII HMAC key Twitch accepts.
pub fn valid(value: &str) -> bool {
    (MIN_LEN..=MAX_LEN).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn fresh() -> Result<String, String> {
    let mut bytes = [0u8; RANDOM_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| format!("the system's random number source failed: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("api-key");
        let first = load_or_create(&path, "the API key").unwrap();
        assert_eq!(first.len(), 64);
        assert!(valid(&first));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{first}\n")
        );
        assert_eq!(load_or_create(&path, "the API key").unwrap(), first);
        let other = load_or_create(&dir.path().join("other"), "x").unwrap();
        assert_ne!(other, first, "each secret is drawn anew");
    }

    #[test]
    fn a_readable_or_malformed_file_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api-key");
        std::fs::write(&path, "abcdefghijklmnopqrstuvwxyz\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_or_create(&path, "the API key").unwrap_err();
        assert!(err.contains("chmod 600"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            load_or_create(&path, "the API key").unwrap(),
            "abcdefghijklmnopqrstuvwxyz"
        );
        for bad in [
            "short",
            "has space in the middle ok",
            "<script>alert(1)</script>",
        ] {
            std::fs::write(&path, bad).unwrap();
            let err = load_or_create(&path, "the API key").unwrap_err();
            assert!(err.contains("delete the file"), "{bad}: {err}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), bad, "left alone");
        }
    }
}
