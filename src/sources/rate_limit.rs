//! The client-side request limit (2000 per 60 s, the API's documented limit) as a token bucket: a full
//! bucket allows a burst, then requests are admitted as tokens refill. Pure: the caller passes the time.

use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    /// `capacity` requests per `period`, starting full.
    pub fn new(capacity: u32, period: Duration, now: Instant) -> Self {
        let capacity = f64::from(capacity.max(1));
        TokenBucket {
            capacity,
            per_second: capacity / period.as_secs_f64().max(1e-9),
            tokens: capacity,
            updated: now,
        }
    }

    /// The documented Events API limit.
    pub fn events_api(now: Instant) -> Self {
        TokenBucket::new(2000, Duration::from_secs(60), now)
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + dt * self.per_second).min(self.capacity);
        self.updated = now;
    }

    /// Takes one token if there is one (`Ok`), else says how long until there is (`Err`, nothing taken).
    pub fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / self.per_second,
            ))
        }
    }

    /// Waits (tokio time) until a token is available and takes it.
    pub async fn take(&mut self) {
        loop {
            match self.try_take(Instant::now()) {
                Ok(()) => return,
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_bucket_allows_a_burst_then_refills_at_the_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::events_api(t0);
        for _ in 0..2000 {
            assert_eq!(b.try_take(t0), Ok(()));
        }
        let wait = b.try_take(t0).unwrap_err();
        assert!((wait.as_secs_f64() - 0.03).abs() < 1e-6, "{wait:?}");
        assert!(b.try_take(t0 + Duration::from_millis(29)).is_err());
        assert_eq!(b.try_take(t0 + Duration::from_millis(31)), Ok(()));
        // After a full period idle the whole burst is available again, never more.
        let later = t0 + Duration::from_secs(600);
        let mut n = 0;
        while b.try_take(later).is_ok() {
            n += 1;
        }
        assert_eq!(n, 2000);
    }

    #[test]
    fn no_more_than_capacity_plus_refill_in_any_window() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10, Duration::from_secs(60), t0);
        let mut admitted = 0;
        let mut t = t0;
        // Hammer every 100 ms for 60 s: 10 at once, then one per 6 s.
        for _ in 0..600 {
            if b.try_take(t).is_ok() {
                admitted += 1;
            }
            t += Duration::from_millis(100);
        }
        assert_eq!(admitted, 10 + 9);
    }

    #[tokio::test(start_paused = true)]
    async fn take_sleeps_only_when_empty() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(3, Duration::from_secs(3), t0);
        for _ in 0..3 {
            b.take().await;
        }
        assert_eq!(Instant::now(), t0);
        b.take().await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(1));
    }
}
