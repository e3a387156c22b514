//! Retry timing: capped exponential backoff with jitter, and `Retry-After`.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// Capped exponential backoff: `initial · 2^(attempt−1)`, at most `cap`, each delay shortened by a random
/// part of up to `jitter` (a fraction) so many clients that failed together do not retry together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub initial: Duration,
    pub cap: Duration,
    /// 0.0 = no jitter; 0.2 = each delay lies in [0.8·d, d].
    pub jitter: f64,
}

impl Default for Backoff {
    /// 1 s doubling to 60 s (issue 3), with up to 20 % jitter.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(1),
            cap: Duration::from_secs(60),
            jitter: 0.2,
        }
    }
}

impl Backoff {
    /// The delay before retry number `attempt` (1 = the first retry). `random` is uniform in [0, 1).
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(31);
        let full = self
            .initial
            .checked_mul(1u32 << exp)
            .unwrap_or(self.cap)
            .min(self.cap);
        let r = random.clamp(0.0, 1.0);
        full.mul_f64(1.0 - self.jitter.clamp(0.0, 1.0) * r)
    }
}

/// Longest `Retry-After` honoured: a broken header must not silence the room for a day.
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(600);

/// Parses `Retry-After`: delay-seconds or an HTTP date (relative to `now`). `None` when absent or unusable.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(RETRY_AFTER_MAX));
    }
    let when = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    let wait = (when - now).to_std().unwrap_or(Duration::ZERO);
    Some(wait.min(RETRY_AFTER_MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn schedule_doubles_from_one_second_to_sixty() {
        let b = Backoff::default();
        let secs: Vec<u64> = (1..=9).map(|n| b.delay(n, 0.0).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(b.delay(1000, 0.0), Duration::from_secs(60));
    }

    #[test]
    fn jitter_only_shortens_within_its_fraction() {
        let b = Backoff::default();
        for n in 1..12 {
            let full = b.delay(n, 0.0);
            for r in [0.0, 0.3, 0.999] {
                let d = b.delay(n, r);
                assert!(d <= full && d >= full.mul_f64(0.8), "{n} {r} {d:?}");
            }
        }
        assert!(b.delay(3, 0.5) < b.delay(3, 0.0));
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Mon, 23 Nov 2026 12:00:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Mon, 23 Nov 2026 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("86400", now), Some(RETRY_AFTER_MAX));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }
}
