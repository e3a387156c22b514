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

/// "00" to "99".
const PAIRS: [u8; 200] = {
    let mut pairs = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        pairs[2 * i] = b'0' + (i / 10) as u8;
        pairs[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    pairs
};

impl AtText {
    pub fn of(t: DateTime<Utc>) -> Self {
        use chrono::{Datelike, Timelike};
        // The parts of the naive UTC time: the `DateTime`'s own getters each add the (zero) offset first.
        let t = t.naive_utc();
        let (y, nanos) = (t.year(), t.nanosecond());
        // Hand-written because it runs once per headless line; chrono's formatter handles the odd cases.
        if !(0..=9999).contains(&y) || nanos >= 1_000_000_000 {
            return AtText::Odd(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        }
        let mut b = *b"0000-00-00T00:00:00.000Z";
        // Two digits at a time (each value below 100).
        let mut put = |at: usize, v: u32| {
            b[at..at + 2].copy_from_slice(&PAIRS[2 * v as usize..2 * v as usize + 2]);
        };
        let (y, ms) = (y as u32, nanos / 1_000_000);
        put(0, y / 100);
        put(2, y % 100);
        put(5, t.month());
        put(8, t.day());
        put(11, t.hour());
        put(14, t.minute());
        put(17, t.second());
        put(21, ms % 100);
        b[20] = b'0' + (ms / 100) as u8;
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
        // Every digit of every field, over two thousand instants spread across the years 0–9999.
        for k in 0..2000i64 {
            let ms = k * 126_701_150_399_999 % 253_402_300_799_999 - 62_135_596_800_000;
            let t = Utc.timestamp_millis_opt(ms).unwrap();
            assert_eq!(format_at(t), t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        }
        let t = Utc.timestamp_opt(1_625_274_862, 123_999_999).unwrap();
        assert_eq!(format_at(t), "2021-07-03T01:14:22.123Z");
    }
}
