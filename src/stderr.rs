//! The one way to write a line on stderr. Every line is masked (no token, no events URL) and sanitized (no
//! escape sequence from a payload, a journal, a path or a config can reach the terminal), and a write that
//! fails is ignored: after a hang-up there is no terminal to write to, and that must not panic.

use std::io::Write;

/// Writes `line` and a line break.
pub fn say(line: &str) {
    let masked = crate::mask::scrub(line);
    let safe = crate::sanitize::lines(&masked);
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{safe}");
}

/// Writes `text` without a line break (a prompt), then flushes.
pub fn prompt(text: &str) {
    let masked = crate::mask::scrub(text);
    let safe = crate::sanitize::clean(&masked);
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{safe}");
    let _ = err.flush();
}
