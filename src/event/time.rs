use chrono::{DateTime, Utc};

/// RFC 3339 in UTC with milliseconds and `Z`, the headless `at` format.
pub fn format_at(t: DateTime<Utc>) -> String {
    AtText::of(t).as_str().to_owned()
}

/// An instant in the headless `at` format, made without an allocation for the years 0–9999: the headless
/// line writes one per event (issue 14).
pub enum AtText {
    Usual([u8; 24]),
    Odd(String),
}

impl AtText {
    pub fn of(t: DateTime<Utc>) -> Self {
        use chrono::{Datelike, Timelike};
        let (y, nanos) = (t.year(), t.nanosecond());
        // Hand-written because it runs once per headless line; chrono's formatter handles the odd cases.
        if !(0..=9999).contains(&y) || nanos >= 1_000_000_000 {
            return AtText::Odd(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        }
        let mut b = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut v: u32| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, y as u32);
        put(5, 2, t.month());
        put(8, 2, t.day());
        put(11, 2, t.hour());
        put(14, 2, t.minute());
        put(17, 2, t.second());
        put(20, 3, nanos / 1_000_000);
        AtText::Usual(b)
    }

    /// Digits, `-`, `+`, `:`, `.`, `T` and `Z`: nothing a JSON string or a terminal would need escaped.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            AtText::Usual(b) => b,
            AtText::Odd(s) => s.as_bytes(),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            AtText::Usual(b) => std::str::from_utf8(b).expect("digits and ASCII punctuation"),
            AtText::Odd(s) => s,
        }
    }
}

impl serde::Serialize for AtText {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn fast_format_matches_chrono() {
        for ms in [
            0i64,
            1,
            999,
            1_625_274_862_454,
            1_795_000_000_007,
            253_402_300_799_999,
        ] {
            let t = Utc.timestamp_millis_opt(ms).unwrap();
            assert_eq!(format_at(t), t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        }
        let t = Utc.timestamp_opt(1_625_274_862, 123_999_999).unwrap();
        assert_eq!(format_at(t), "2021-07-03T01:14:22.123Z");
    }
}
