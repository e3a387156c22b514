//! Network text → terminal-safe text. Chat is written by strangers: escape sequences could set the window
//! title, write the clipboard (OSC 52), move the cursor or recolour the screen, and bidi overrides can make a
//! line read differently from what it is. Everything is stripped before it reaches a cell.

use std::borrow::Cow;

const ESC: char = '\u{1b}';
const BEL: char = '\u{7}';
/// C1 String Terminator.
const ST: char = '\u{9c}';

fn is_bidi_control(c: char) -> bool {
    matches!(c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn needs_work(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// What an escape introducer starts.
enum Seq {
    /// CSI: parameters, then one final byte in `@`..`~`.
    Csi,
    /// OSC, DCS, SOS, PM, APC: a string ended by BEL or ST (`ESC \` or U+009C).
    Str,
}

/// Strips control characters, escape sequences (7- and 8-bit) and bidi controls; turns tabs and line breaks
/// into spaces. Returns the input unchanged (borrowed) when it is already clean.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_work) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let seq = match c {
            ESC => match chars.next() {
                Some('[') => Some(Seq::Csi),
                Some(']' | 'P' | 'X' | '^' | '_') => Some(Seq::Str),
                // nF escapes (`ESC ( B`): intermediates, then one final character.
                Some(' '..='/') => {
                    while chars.next_if(|p| (' '..='/').contains(p)).is_some() {}
                    chars.next();
                    None
                }
                // Two-character escapes (ESC c, ESC 7, ESC ( B's first half …): drop both.
                Some(_) | None => None,
            },
            '\u{9b}' => Some(Seq::Csi),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => Some(Seq::Str),
            '\t' | '\n' | '\r' | '\u{2028}' | '\u{2029}' => {
                out.push(' ');
                None
            }
            c if needs_work(c) => None,
            c => {
                out.push(c);
                None
            }
        };
        match seq {
            Some(Seq::Csi) => {
                for p in chars.by_ref() {
                    if ('@'..='~').contains(&p) {
                        break;
                    }
                }
            }
            Some(Seq::Str) => {
                while let Some(p) = chars.next() {
                    if p == BEL || p == ST {
                        break;
                    }
                    if p == ESC {
                        if chars.peek() == Some(&'\\') {
                            chars.next();
                        }
                        break;
                    }
                }
            }
            None => {}
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(clean("hello こんにちは 🔥"), Cow::Borrowed(_)));
    }

    #[test]
    fn strips_sequences_controls_and_bidi() {
        let hostile =
            "look \u{1b}]52;c;cm0gLXJmIH4=\u{7} \u{1b}[2J\u{1b}[31mred\u{1b}[0m \u{202e}desrever";
        assert_eq!(clean(hostile), "look  red desrever");
        assert_eq!(clean("a\u{1b}]0;title\u{1b}\\b"), "ab");
        assert_eq!(clean("a\u{9b}31mb\u{9d}2;x\u{9c}c"), "abc");
        assert_eq!(clean("x\u{0}\u{8}\u{7f}y\tz\r\nw"), "xy z  w");
        assert_eq!(clean("\u{1b}c\u{1b}7\u{1b}(Bok"), "ok");
        assert_eq!(clean("unterminated \u{1b}]52;c;AAAA"), "unterminated ");
        assert_eq!(clean("\u{2066}a\u{2069}\u{200f}"), "a");
    }

    #[test]
    fn output_never_contains_controls() {
        let nasty: String = (0u32..0x300).filter_map(char::from_u32).collect();
        let out = clean(&nasty);
        assert!(!out.chars().any(needs_work), "{out:?}");
    }
}
