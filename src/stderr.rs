//! The one way to write a line on stderr. Every line is masked (no token, no events URL) and sanitized (no
//! escape sequence from a payload, a journal, a path or a config can reach the terminal), and a write that
//! fails is ignored: after a hang-up there is no terminal to write to, and that must not panic.

use std::io::Write;

/// Writes `line` and a line break.
pub fn say(line: &str) {
    // Sanitized first: a token split by an invisible or escape character is whole again when it is masked.
    let safe = crate::sanitize::lines(line);
    let masked = crate::mask::scrub(&safe);
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{masked}");
}

/// Writes `text` without a line break (a prompt), then flushes.
pub fn prompt(text: &str) {
    let safe = crate::sanitize::clean(text);
    let masked = crate::mask::scrub(&safe);
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{masked}");
    let _ = err.flush();
}
