//! Network text → terminal-safe text. Chat is written by strangers: escape sequences could set the window
//! title, write the clipboard (OSC 52), move the cursor or recolour the screen, bidi overrides can make a
//! line read differently from what it is, and invisible characters can make a name look blank or like
//! another. Everything is stripped before it reaches a cell, a stderr line, the end report or the Markdown
//! summary: this is the one sanitizer for every terminal-bound string.

use std::borrow::Cow;

const ESC: char = '\u{1b}';
const BEL: char = '\u{7}';
/// C1 String Terminator.
const ST: char = '\u{9c}';

/// Bidi embeddings, overrides, isolates and marks: they reorder what follows them on a line.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Characters that render as nothing (or as a blank) in a terminal: a name made of them looks empty, and
/// one sprinkled with them looks like another. Zero-width joiner (U+200D) and variation selectors stay: emoji
/// sequences need them and they never make a name blank on their own.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{034f}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}' | '\u{180e}'
        | '\u{200b}' | '\u{200c}' | '\u{2060}'..='\u{2064}' | '\u{3164}' | '\u{feff}' | '\u{ffa0}'
        | '\u{fff9}'..='\u{fffb}' | '\u{e0000}'..='\u{e007f}')
}

fn needs_work(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || is_invisible(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// What an escape introducer starts.
enum Seq {
    /// CSI: parameters, then one final byte in `@`..`~`.
    Csi,
    /// OSC, DCS, SOS, PM, APC: a string ended by BEL or ST (`ESC \` or U+009C).
    Str,
}

/// Strips control characters, escape sequences (7- and 8-bit), bidi controls and invisible characters;
/// turns tabs and line breaks into spaces. Returns the input unchanged (borrowed) when it is already clean.
/// The output is never longer than the input.
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

/// A user name for display: cleaned, and a visible placeholder when nothing printable is left (a name made
/// only of blanks would otherwise show as an empty cell).
pub fn name(s: &str) -> Cow<'_, str> {
    let c = clean(s);
    // What is left may still draw nothing: joiners and variation selectors alone, or braille blanks.
    let blank = c.chars().all(|ch| {
        ch.is_whitespace() || matches!(ch, '\u{200d}' | '\u{fe00}'..='\u{fe0f}' | '\u{2800}')
    });
    if blank {
        Cow::Borrowed(BLANK_NAME)
    } else {
        c
    }
}

/// What [`name`] shows for a name with nothing printable in it.
pub const BLANK_NAME: &str = "(blank name)";

/// Multi-line text for stderr (the end report, error messages): each line cleaned, line breaks kept.
pub fn lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && needs_work(c)) {
        return Cow::Borrowed(s);
    }
    let parts: Vec<Cow<str>> = s.split('\n').map(clean).collect();
    Cow::Owned(parts.join("\n"))
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

    #[test]
    fn invisible_characters_go_and_blank_names_show_a_placeholder() {
        for blank in [
            "\u{200b}",
            "\u{2060}\u{feff}",
            "\u{115f}\u{1160}",
            "\u{e0041}\u{e0042}",
            "\u{3164}",
            " \u{200b} ",
            "\u{200d}\u{fe0f}",
            "\u{2800}\u{2800}",
        ] {
            assert_eq!(name(blank), BLANK_NAME, "{blank:?}");
        }
        assert_eq!(clean("al\u{200b}ice\u{e0041}"), "alice");
        assert_eq!(name("bob"), "bob");
        // Emoji sequences keep their joiners and selectors.
        assert_eq!(
            clean("\u{1f469}\u{200d}\u{1f4bb}\u{fe0f}"),
            "\u{1f469}\u{200d}\u{1f4bb}\u{fe0f}"
        );
    }

    #[test]
    fn lines_keep_their_breaks_and_lose_their_escapes() {
        assert_eq!(lines("a\u{1b}]0;x\u{7}b\nc\u{1b}[2J"), "ab\nc");
        assert!(matches!(lines("plain\ntext"), Cow::Borrowed(_)));
    }
}
