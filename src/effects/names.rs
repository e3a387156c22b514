//! File names derived from the room and the session start.

use chrono::{DateTime, Utc};

/// Longest room part of a file name.
const MAX_ROOM_CHARS: usize = 64;

/// The room reduced to characters safe in a file name on every platform: ASCII letters, digits, `_` and `-`;
/// anything else becomes `_`. Never empty, never `.`/`..`.
pub fn safe_room(room: &str) -> String {
    let s: String = room
        .chars()
        .take(MAX_ROOM_CHARS)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "room".into()
    } else {
        s
    }
}

/// `YYYYmmddTHHMMSS` in UTC.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

/// `roomwatch-<room>-<stamp>` plus `-2`, `-3`, … for the n-th candidate when the earlier ones are taken.
pub fn session_stem(room: &str, started_at: DateTime<Utc>, attempt: u32) -> String {
    let base = format!("roomwatch-{}-{}", safe_room(room), stamp(started_at));
    if attempt <= 1 {
        base
    } else {
        format!("{base}-{attempt}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn rooms_are_reduced_to_safe_characters() {
        assert_eq!(safe_room("alice_99"), "alice_99");
        assert_eq!(safe_room("../etc/passwd"), "___etc_passwd");
        assert_eq!(safe_room("ünï cødé"), "_n__c_d_");
        assert_eq!(safe_room(""), "room");
        assert_eq!(safe_room(&"x".repeat(200)).len(), MAX_ROOM_CHARS);
    }

    #[test]
    fn stems_carry_the_utc_start_and_a_suffix_when_taken() {
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 9, 5, 7).unwrap();
        assert_eq!(
            session_stem("demo room", t, 1),
            "roomwatch-demo_room-20261123T090507"
        );
        assert_eq!(
            session_stem("demo", t, 3),
            "roomwatch-demo-20261123T090507-3"
        );
    }
}
