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

/// The two numbers of an id written `A-B` (Chaturbate's `1625274862454-0`), each in the one spelling `u64`'s
/// `to_string` gives it (no sign, no leading zero, within `u64`), read in one pass; `None` for any other id.
/// The de-dup key and the event time both start from it (issue 14).
pub fn id_numbers(id: &str) -> Option<(u64, u64)> {
    let bytes = id.as_bytes();
    let mut at = 0;
    let a = number_at(bytes, &mut at)?;
    if bytes.get(at) != Some(&b'-') {
        return None;
    }
    at += 1;
    let b = number_at(bytes, &mut at)?;
    (at == bytes.len()).then_some((a, b))
}

/// The number in canonical spelling at `at`, which is moved past its digits.
#[inline(always)]
fn number_at(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let start = *at;
    let mut n: u64 = 0;
    // Eight digits at once when there are (a millisecond time has thirteen).
    if let Some(eight) = bytes.get(start..start + 8).and_then(eight_digits) {
        n = eight;
        *at += 8;
    }
    while let Some(&b) = bytes.get(*at) {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        // Nineteen digits cannot overflow; a twentieth is checked.
        n = if *at - start < 19 {
            n * 10 + u64::from(digit)
        } else {
            n.checked_mul(10)?.checked_add(u64::from(digit))?
        };
        *at += 1;
    }
    match *at - start {
        0 => None,
        1 => Some(n),
        _ => (bytes[start] != b'0').then_some(n),
    }
}

/// The value of eight ASCII digits, `None` when any byte is not one. Three multiplications instead of eight
/// steps.
fn eight_digits(bytes: &[u8]) -> Option<u64> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    let v = u64::from_le_bytes(bytes.try_into().ok()?);
    // Each byte is 0x30..=0x39: its high nibble is 3, and adding 6 does not carry into it.
    if v & HIGH_NIBBLES != ZEROS || v.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES != ZEROS {
        return None;
    }
    // The first digit is the lowest byte: pairs, then fours, then all eight.
    let v = v - ZEROS;
    let v = (v * 10 + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    let v = (v * 100 + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((v * 10_000 + (v >> 32)) & 0xFFFF_FFFF)
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

    #[test]
    fn id_numbers_are_read_only_in_the_spelling_u64_writes() {
        let canonical = |s: &str| s.parse::<u64>().ok().filter(|n| n.to_string() == s);
        let max = u64::MAX.to_string();
        let parts = [
            "",
            "0",
            "00",
            "01",
            "7",
            "10",
            "+1",
            "-1",
            "1a",
            "a1",
            " 1",
            "1 ",
            "\u{663}",
            &max,
            "18446744073709551616",
            "99999999999999999999",
            "1625274862454",
            "9999999999999999999",
        ];
        for a in parts {
            for b in parts {
                let id = format!("{a}-{b}");
                let expected = canonical(a).zip(canonical(b));
                assert_eq!(id_numbers(&id), expected, "{id:?}");
            }
            assert_eq!(id_numbers(a), None, "{a:?}");
        }
        for id in [
            "12345678-1",
            "1234567x-1",
            "x2345678-1",
            "0123456789-1",
            "123456789012-87654321",
            "99999999-99999999",
            "1234567/-1",
            "1234567:-1",
        ] {
            let expected = id
                .split_once('-')
                .and_then(|(a, b)| canonical(a).zip(canonical(b)));
            assert_eq!(id_numbers(id), expected, "{id:?}");
        }
        assert_eq!(id_numbers("12345678-0"), Some((12_345_678, 0)));
        assert_eq!(id_numbers("1-2-3"), None);
        assert_eq!(
            id_numbers("1625274862454-12"),
            Some((1_625_274_862_454, 12))
        );
    }
}
