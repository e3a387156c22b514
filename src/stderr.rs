//! The one way to write a line on stderr. Every line is masked (no token, no events URL) and sanitized (no
//! escape sequence from a payload, a journal, a path or a config can reach the terminal), and a write that
//! fails is ignored: after a hang-up there is no terminal to write to, and that must not panic.

use std::io::Write;

/// Lines said while the live screen is up: they would land in the middle of it, so they wait for it to close
/// (at most [`HELD_MAX`]; they are in the log too).
static HELD: std::sync::Mutex<Option<(Vec<String>, usize)>> = std::sync::Mutex::new(None);
const HELD_MAX: usize = 100;

/// Writes `line` and a line break (or keeps it for after the live screen, while it is up).
pub fn say(line: &str) {
    // Sanitized first: a token split by an invisible or escape character is whole again when it is masked.
    let safe = crate::sanitize::lines(line);
    let masked = crate::mask::scrub(&safe);
    let kept = match HELD.lock().as_deref_mut() {
        Ok(Some((lines, dropped))) => {
            if lines.len() < HELD_MAX {
                lines.push(masked.to_string());
            } else {
                *dropped += 1;
            }
            true
        }
        _ => false,
    };
    if kept {
        // Logged outside the lock: nothing the log writer does can wait on it.
        tracing::warn!(line = %masked, "said while the live screen is up");
        return;
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{masked}");
}

/// Lines said while this lives wait (the live screen is up); dropping it writes them, in order — also when a
/// panic unwinds past the screen, so its message is not lost.
#[must_use = "the lines are released when this is dropped"]
pub struct Held(());

impl Drop for Held {
    fn drop(&mut self) {
        release();
    }
}

/// The live screen is up: lines said from now on wait until the returned guard is dropped.
pub fn hold() -> Held {
    if let Ok(mut held) = HELD.lock() {
        held.get_or_insert_with(|| (Vec::new(), 0));
    }
    Held(())
}

fn release() {
    let taken = HELD.lock().ok().and_then(|mut h| h.take());
    if let Some((lines, dropped)) = taken {
        let mut err = std::io::stderr().lock();
        for l in lines {
            let _ = writeln!(err, "{l}");
        }
        if dropped > 0 {
            let _ = writeln!(err, "roomwatch: … and {dropped} more lines (see the log)");
        }
    }
}

/// Writes `text` without a line break (a prompt), then flushes.
pub fn prompt(text: &str) {
    let safe = crate::sanitize::clean(text);
    let masked = crate::mask::scrub(&safe);
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{masked}");
    let _ = err.flush();
}
