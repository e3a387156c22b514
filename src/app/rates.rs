//! Rolling rates for the status line and the tips sparkline, plus the top tippers kept in order as tips arrive
//! (so a frame never sorts the whole ledger). Bucketed by arrival time (`now`), bounded.

use super::stats::Supporter;
use chrono::{DateTime, Utc};
use std::collections::VecDeque;

/// Minutes of tips-per-minute history kept for the sparkline.
pub const SPARK_MINUTES: usize = 120;
/// How many top tippers are kept.
pub const TOP_N: usize = 5;

#[derive(Debug, Clone, Default)]
pub struct Rates {
    /// (unix second, events, tips), last 60 s.
    secs: VecDeque<(i64, u64, u64)>,
    /// (unix minute, tips), last [`SPARK_MINUTES`].
    tip_minutes: VecDeque<(i64, u64)>,
}

impl Rates {
    pub fn record(&mut self, now: DateTime<Utc>, events: u64, tips: u64) {
        let s = now.timestamp();
        match self.secs.back_mut() {
            Some(b) if b.0 == s => {
                b.1 += events;
                b.2 += tips;
            }
            _ => self.secs.push_back((s, events, tips)),
        }
        while self.secs.front().is_some_and(|b| b.0 <= s - 60) {
            self.secs.pop_front();
        }
        if tips > 0 {
            let m = s.div_euclid(60);
            match self.tip_minutes.back_mut() {
                Some(b) if b.0 == m => b.1 += tips,
                _ => self.tip_minutes.push_back((m, tips)),
            }
            while self
                .tip_minutes
                .front()
                .is_some_and(|b| b.0 <= m - SPARK_MINUTES as i64)
            {
                self.tip_minutes.pop_front();
            }
        }
    }

    /// Events that arrived in the last 60 s.
    pub fn events_per_min(&self, now: DateTime<Utc>) -> u64 {
        let s = now.timestamp();
        self.secs
            .iter()
            .filter(|b| b.0 > s - 60 && b.0 <= s)
            .map(|b| b.1)
            .sum()
    }

    /// Tips that arrived in the last 60 s.
    pub fn tips_per_min(&self, now: DateTime<Utc>) -> u64 {
        let s = now.timestamp();
        self.secs
            .iter()
            .filter(|b| b.0 > s - 60 && b.0 <= s)
            .map(|b| b.2)
            .sum()
    }

    /// Tips per minute for the last `n` minutes, oldest first, the current minute last.
    pub fn tips_series(&self, now: DateTime<Utc>, n: usize) -> Vec<u64> {
        let m = now.timestamp().div_euclid(60);
        let first = m - n as i64 + 1;
        let mut out = vec![0; n];
        for (minute, tips) in &self.tip_minutes {
            if (first..=m).contains(minute) {
                out[(minute - first) as usize] = *tips;
            }
        }
        out
    }
}

/// The top named tippers in `stats::rank` order, the same as the summary's.
#[derive(Debug, Clone, Default)]
pub struct TopTippers {
    pub entries: Vec<(String, Supporter)>,
}

impl TopTippers {
    /// Called after the ledger recorded a tip from `user`; totals only grow, so re-placing that user suffices.
    pub fn on_tip(&mut self, user: &str, total: &Supporter) {
        self.entries.retain(|(u, _)| u != user);
        self.entries.push((user.to_string(), total.clone()));
        self.entries
            .sort_by(|a, b| super::stats::rank((&a.0, &a.1), (&b.0, &b.1)));
        self.entries.truncate(TOP_N);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn windows_slide() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut r = Rates::default();
        r.record(t0, 10, 2);
        r.record(t0 + chrono::Duration::seconds(30), 5, 1);
        assert_eq!(r.events_per_min(t0 + chrono::Duration::seconds(30)), 15);
        assert_eq!(r.events_per_min(t0 + chrono::Duration::seconds(61)), 5);
        assert_eq!(r.tips_per_min(t0 + chrono::Duration::seconds(91)), 0);
        r.record(t0 + chrono::Duration::seconds(125), 1, 4);
        assert_eq!(
            r.tips_series(t0 + chrono::Duration::seconds(125), 4),
            vec![0, 3, 0, 4]
        );
    }
}
