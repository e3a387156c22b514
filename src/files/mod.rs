//! Files outside the session effects: bounded reads of the small text files a user or an earlier run left (the
//! config, the URL file, a resume cursor) — a name that points at something huge or endless (`/dev/zero`, a log
//! pasted by mistake) is an error after a few bytes, not a process that eats all memory — and atomic private
//! writes, which the effects and a source that must keep a refreshed token both use.

pub mod atomic;

use std::io::{self, Read};
use std::path::Path;

/// Largest config file read.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// Largest URL file or cursor file read.
pub const MAX_SMALL_FILE_BYTES: u64 = 64 * 1024;

/// Reads `path` as UTF-8 text of at most `max` bytes; a larger file is an `InvalidData` error that says so.
pub fn read_text(path: &Path, max: u64) -> io::Result<String> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {} KiB: not a file roomwatch reads", max / 1024),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_file_is_an_error_after_the_cap() {
        let err = read_text(Path::new("/dev/zero"), 1024).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("larger than 1 KiB"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("small");
        std::fs::write(&p, "hello").unwrap();
        assert_eq!(read_text(&p, 5).unwrap(), "hello");
    }
}
