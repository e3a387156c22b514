//! JSON helpers every platform's parser shares: ids are capped, and text with a lone UTF-16 surrogate escape (valid
//! JSON syntax, but no string) is repaired instead of losing the event.

use std::borrow::Cow;

/// Longest event id kept: a longer one is an error of its item (skipped and counted), never a huge key in the
/// de-dup set or the journal.
pub const MAX_ID_BYTES: usize = 512;

/// An id's two parts around its first `-` (Chaturbate's `1625274862454-0`). A byte loop: ids are short, and
/// `str::split_once` with a `char` costs several times more on them (issue 14).
pub fn id_parts(id: &str) -> Option<(&str, &str)> {
    let dash = id.bytes().position(|b| b == b'-')?;
    Some((&id[..dash], &id[dash + 1..]))
}

/// Replaces `\uD800`–`\uDFFF` escapes that do not form a pair with `\uFFFD`. Borrowed when there is none.
pub fn repair_lone_surrogates(text: &str) -> Cow<'_, str> {
    if !text.contains("\\u") {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let unit = |at: usize| -> Option<u16> {
        let hex = bytes.get(at..at + 6)?;
        if hex[0] != b'\\' || hex[1] != b'u' {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()
    };
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        let Some(u) = unit(i) else {
            // Any other escape: skip both characters (so `\\u…` is not read as an escape).
            i += 2;
            continue;
        };
        let lone = match u {
            0xD800..=0xDBFF => match unit(i + 6) {
                Some(0xDC00..=0xDFFF) => {
                    i += 12;
                    continue;
                }
                _ => true,
            },
            0xDC00..=0xDFFF => true,
            _ => false,
        };
        if lone {
            let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
            o.push_str(&text[copied..i]);
            o.push_str("\\uFFFD");
            copied = i + 6;
        }
        i += 6;
    }
    match out {
        Some(mut o) => {
            o.push_str(&text[copied..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_parts_split_at_the_first_dash_as_split_once_does() {
        for id in [
            "1625274862454-0",
            "1-2-3",
            "-",
            "x-",
            "-y",
            "",
            "nodash",
            "é-ü",
        ] {
            assert_eq!(id_parts(id), id.split_once('-'), "{id}");
        }
    }
}
