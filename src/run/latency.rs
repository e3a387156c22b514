//! Event-to-screen latency of the live screen: from a batch's arrival (`received_at`, stamped by the source as
//! the reply came in) to the end of the first frame drawn after it, counted per event. Logged when the live
//! screen closes (`benches/tui_measure.sh` reads it); issue 14 asks for p99 ≤ 50 ms at 2000 events/s.

use chrono::{DateTime, Utc};

/// 1 ms steps up to 10 s; a slower frame counts in the last step.
const STEPS: usize = 10_001;
/// Batches waiting for a frame that are remembered; beyond this (a frame stuck for long) they are not measured.
const MAX_WAITING: usize = 4096;

pub struct ScreenLatency {
    /// Arrival and event count of each batch since the last frame.
    waiting: Vec<(DateTime<Utc>, u64)>,
    /// Events per millisecond of latency.
    counts: Vec<u64>,
    events: u64,
}

impl ScreenLatency {
    pub fn new() -> Self {
        ScreenLatency {
            waiting: Vec::new(),
            counts: vec![0; STEPS],
            events: 0,
        }
    }

    /// A batch of `events` that arrived at `at` is now in the state.
    pub fn arrived(&mut self, at: DateTime<Utc>, events: usize) {
        if events > 0 && self.waiting.len() < MAX_WAITING {
            self.waiting.push((at, events as u64));
        }
    }

    /// A frame was drawn at `now`: everything that arrived before it is on screen.
    pub fn drawn(&mut self, now: DateTime<Utc>) {
        for (at, n) in self.waiting.drain(..) {
            // A clock step backwards counts as 0 ms, never as a huge or negative latency.
            let ms = (now - at).num_milliseconds().clamp(0, STEPS as i64 - 1) as usize;
            self.counts[ms] = self.counts[ms].saturating_add(n);
            self.events = self.events.saturating_add(n);
        }
    }

    /// The latency (ms) that `share` (0–1) of the events measured stayed within; `None` before any frame.
    pub fn quantile(&self, share: f64) -> Option<usize> {
        if self.events == 0 {
            return None;
        }
        let want = ((self.events as f64) * share).ceil().max(1.0) as u64;
        let mut seen = 0u64;
        self.counts.iter().position(|&c| {
            seen = seen.saturating_add(c);
            seen >= want
        })
    }

    pub fn events(&self) -> u64 {
        self.events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(1_795_000_000_000 + ms).unwrap()
    }

    #[test]
    fn each_event_counts_from_its_batch_to_the_next_frame() {
        let mut l = ScreenLatency::new();
        assert_eq!(l.quantile(0.5), None);
        // 98 events wait 10 ms, 2 wait 40 ms.
        l.arrived(t(0), 98);
        l.drawn(t(10));
        l.arrived(t(100), 2);
        l.arrived(t(130), 0);
        l.drawn(t(140));
        assert_eq!(l.events(), 100);
        assert_eq!(l.quantile(0.5), Some(10));
        assert_eq!(l.quantile(0.98), Some(10));
        assert_eq!(l.quantile(0.99), Some(40));
        // Nothing waits twice; a clock step back is 0 ms; a stuck frame counts as the last step.
        l.drawn(t(500));
        assert_eq!(l.events(), 100);
        l.arrived(t(1000), 1);
        l.drawn(t(900));
        l.arrived(t(0), 1);
        l.drawn(t(60_000));
        assert_eq!(l.quantile(1.0), Some(STEPS - 1));
        assert_eq!(l.quantile(0.0), Some(0));
    }
}
