//! Chaturbate's event time (DESIGN.md, headless `at`): the id's millisecond prefix when it is a plausible
//! timestamp, else the receive time.

use chrono::{DateTime, Utc};

/// 2005-01-01T00:00:00Z in milliseconds: ids before this are not timestamps.
const PLAUSIBLE_FROM_MS: i64 = 1_104_537_600_000;
const ONE_DAY_MS: i64 = 86_400_000;

/// The event time for an id: its 13-digit millisecond prefix when that lies between 2005 and one day after
/// `received`, else `received` (DESIGN.md, headless `at`).
pub fn event_time(id: &str, received: DateTime<Utc>) -> DateTime<Utc> {
    use crate::sources::json::{id_numbers, id_parts};
    const THIRTEEN_DIGITS: std::ops::Range<u64> = 1_000_000_000_000..10_000_000_000_000;
    let ms = match id_numbers(id) {
        // The usual id, its numbers read once (and without a leading zero).
        Some((ms, _)) => THIRTEEN_DIGITS.contains(&ms).then_some(ms as i64),
        None => {
            // The digits checked and summed in one pass (thirteen of them cannot overflow).
            let prefix = id_parts(id).map_or(id, |(ms, _)| ms);
            (prefix.len() == 13)
                .then_some(prefix.as_bytes())
                .and_then(|digits| {
                    digits.iter().try_fold(0i64, |n, &b| {
                        b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
                    })
                })
        }
    };
    if let Some(ms) = ms {
        let limit = received.timestamp_millis() + ONE_DAY_MS;
        if (PLAUSIBLE_FROM_MS..=limit).contains(&ms) {
            if let Some(t) = from_millis(ms) {
                return t;
            }
        }
    }
    received
}

/// `DateTime::from_timestamp_millis` for a time after 1970, with the last day's date remembered: a reply's
/// events are nearly always of one day, and turning a day number into a date was half of an event time's
/// cost (issue 14).
fn from_millis(ms: i64) -> Option<DateTime<Utc>> {
    use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
    use std::cell::Cell;
    thread_local! {
        static LAST_DAY: Cell<Option<(i64, NaiveDate)>> = const { Cell::new(None) };
    }
    let (day, in_day) = (ms / ONE_DAY_MS, ms % ONE_DAY_MS);
    let date = match LAST_DAY.get() {
        Some((last, date)) if last == day => date,
        _ => {
            let date = DateTime::from_timestamp(day.checked_mul(86_400)?, 0)?.date_naive();
            LAST_DAY.set(Some((day, date)));
            date
        }
    };
    let (secs, millis) = (in_day / 1000, in_day % 1000);
    let time =
        NaiveTime::from_num_seconds_from_midnight_opt(secs as u32, millis as u32 * 1_000_000)?;
    Some(NaiveDateTime::new(date, time).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::format_at;
    use chrono::TimeZone;

    fn recv() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
    }

    #[test]
    fn millisecond_prefix_is_used_when_plausible() {
        let t = event_time("1625274862454-0", recv());
        assert_eq!(format_at(t), "2021-07-03T01:14:22.454Z");
        // Ids whose numbers are not both in the usual spelling take the other way to the same prefix.
        for id in [
            "1625274862454-01",
            "1625274862454-x",
            "1625274862454",
            "1625274862454-0-0",
        ] {
            assert_eq!(event_time(id, recv()), t, "{id}");
        }
    }

    #[test]
    fn implausible_ids_fall_back_to_receive_time() {
        for id in [
            "valid",
            "123-0",
            "0000000000001-0",
            "9999999999999-0",
            "1625274862454x-0",
            "16252748624540-0",
            "",
        ] {
            assert_eq!(event_time(id, recv()), recv(), "{id}");
        }
        // Seconds instead of milliseconds (the stripalerts mock) is 10 digits: not plausible.
        assert_eq!(event_time("1625274862-0", recv()), recv());
    }

    #[test]
    fn the_remembered_day_gives_chrono_s_own_times() {
        // Around midnight, in one day and the next and back, at the ends of the plausible range.
        let midnight = 1_795_046_400_000;
        let mut times = vec![PLAUSIBLE_FROM_MS, PLAUSIBLE_FROM_MS + 1, 9_999_999_999_999];
        for offset in [
            -86_400_001,
            -1,
            0,
            1,
            999,
            1000,
            86_399_999,
            86_400_000,
            -2,
            5,
        ] {
            times.push(midnight + offset);
        }
        for ms in times {
            assert_eq!(from_millis(ms), DateTime::from_timestamp_millis(ms), "{ms}");
        }
    }

    #[test]
    fn up_to_one_day_ahead_is_accepted() {
        let ahead = recv().timestamp_millis() + ONE_DAY_MS - 1;
        let id = format!("{ahead}-0");
        assert_eq!(event_time(&id, recv()).timestamp_millis(), ahead);
        let too_far = format!("{}-0", ahead + 2);
        assert_eq!(event_time(&too_far, recv()), recv());
    }
}
