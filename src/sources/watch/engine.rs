//! The poll-and-diff engine (DESIGN.md "Channel watch"), platform-neutral: a resource's snapshot is polled on an
//! interval, diffed against the last good one, and the changes reported. A pure state machine — the runner
//! fetches, feeds each outcome in, and sleeps as told — so every rule is tested without a clock:
//! - the first poll with a snapshot saved by an earlier run reports what changed meanwhile as `while_off`;
//!   without one, it reports the initial state (`initial`), as the resource's diff decides;
//! - a failed poll never changes the snapshot (nothing goes offline because a request failed); it is retried no
//!   sooner than 5 s later, doubling, capped at the interval;
//! - repeated unreachable polls put the platform in `Degraded`, a maintenance reply in `Maintenance`; while
//!   either lasts nothing is reported, and the first good poll diffs against the last good snapshot once and
//!   says how long the platform was unreachable.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// A resource's state at one poll, and how two states differ.
pub trait Snapshot: Clone {
    type Change;
    /// The changes from `old` to `new`. `old` is `None` on a first poll without a saved snapshot: then the
    /// changes are the initial state worth reporting (e.g. who is live now). `new` may carry forward what the
    /// diff must remember (e.g. the viewer count last reported).
    fn diff(old: Option<&Self>, new: &mut Self) -> Vec<Self::Change>;
}

/// Why a poll failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 5xx (but 503), a timeout, a refused connection, an unreadable reply.
    Unreachable(String),
    /// 503 or a reply that says maintenance.
    Maintenance(String),
    /// 429: wait this long (the rate-limit reset).
    RateLimited(Duration),
    /// The platform refused the credentials for good (the runner stops; the engine never sees it).
    Refused,
    /// A reply that retrying cannot fix (a 400 on a request roomwatch built): the runner stops with it.
    Fatal(String),
}

/// The platform as the polls see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Good,
    Degraded,
    Maintenance,
}

/// What the engine reports after a poll.
#[derive(Debug, Clone, PartialEq)]
pub enum Report<C> {
    /// Changes to show, found by the poll made `at`. `while_off`: found on the first poll against a snapshot of
    /// an earlier run.
    Changes {
        changes: Vec<C>,
        while_off: bool,
        at: DateTime<Utc>,
    },
    /// The platform's health changed (with the time of the last good poll).
    Health {
        health: Health,
        last_good: Option<DateTime<Utc>>,
    },
    /// The platform answered again after being unreachable from `from` to `to`.
    Recovered {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// Between good polls (default 60 s, at least 15 s).
    pub interval: Duration,
    /// The first retry after a failure (DESIGN.md: no sooner than 5 s); doubles up to the interval.
    pub first_retry: Duration,
    /// Failed polls in a row that make the platform `Degraded`.
    pub degraded_after: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            interval: Duration::from_secs(60),
            first_retry: Duration::from_secs(5),
            degraded_after: 3,
        }
    }
}

/// The shortest interval the command line accepts (DESIGN.md).
pub const MIN_INTERVAL: Duration = Duration::from_secs(15);

pub struct Engine<S> {
    timing: Timing,
    last_good: Option<S>,
    /// The snapshot came from an earlier run and no poll has been diffed against it yet.
    from_earlier_run: bool,
    last_good_at: Option<DateTime<Utc>>,
    failures: u32,
    /// When the current run of failures began.
    failing_since: Option<DateTime<Utc>>,
    health: Health,
}

impl<S: Snapshot> Engine<S> {
    /// `saved`: the snapshot an earlier run persisted, with its time.
    pub fn new(timing: Timing, saved: Option<(S, DateTime<Utc>)>) -> Self {
        let from_earlier_run = saved.is_some();
        let (last_good, last_good_at) = match saved {
            Some((s, at)) => (Some(s), Some(at)),
            None => (None, None),
        };
        Engine {
            timing,
            last_good,
            from_earlier_run,
            last_good_at,
            failures: 0,
            failing_since: None,
            health: Health::Good,
        }
    }

    pub fn health(&self) -> Health {
        self.health
    }

    /// The last good snapshot (what to persist after a good poll).
    pub fn snapshot(&self) -> Option<&S> {
        self.last_good.as_ref()
    }

    pub fn last_good_at(&self) -> Option<DateTime<Utc>> {
        self.last_good_at
    }

    /// Feeds one poll's outcome; returns what to report and how long to wait before the next poll (the caller
    /// adds its jitter to a full interval).
    pub fn on_poll(
        &mut self,
        outcome: Result<S, Failure>,
        now: DateTime<Utc>,
    ) -> (Vec<Report<S::Change>>, Duration) {
        let mut reports = Vec::new();
        match outcome {
            Ok(mut new) => {
                if let Some(from) = self.failing_since.take() {
                    if self.health != Health::Good {
                        reports.push(Report::Recovered { from, to: now });
                    }
                }
                if self.health != Health::Good {
                    self.health = Health::Good;
                    reports.push(Report::Health {
                        health: Health::Good,
                        last_good: Some(now),
                    });
                }
                self.failures = 0;
                let changes = S::diff(self.last_good.as_ref(), &mut new);
                let while_off = std::mem::take(&mut self.from_earlier_run);
                if !changes.is_empty() {
                    reports.push(Report::Changes {
                        changes,
                        while_off,
                        at: now,
                    });
                }
                self.last_good = Some(new);
                self.last_good_at = Some(now);
                (reports, self.timing.interval)
            }
            Err(failure) => {
                self.failures = self.failures.saturating_add(1);
                self.failing_since.get_or_insert(now);
                let health = match &failure {
                    Failure::Maintenance(_) => Health::Maintenance,
                    _ if self.failures >= self.timing.degraded_after => Health::Degraded,
                    _ => self.health,
                };
                if health != self.health {
                    self.health = health;
                    reports.push(Report::Health {
                        health,
                        last_good: self.last_good_at,
                    });
                }
                let backoff = self
                    .timing
                    .first_retry
                    .checked_mul(1u32 << self.failures.saturating_sub(1).min(16))
                    .unwrap_or(self.timing.interval)
                    .min(self.timing.interval);
                let wait = match failure {
                    Failure::RateLimited(reset) => reset
                        .max(backoff)
                        .min(self.timing.interval.saturating_mul(5)),
                    _ => backoff,
                };
                (reports, wait)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// A set of live names; changes are `+name` / `-name`.
    #[derive(Clone, Debug, PartialEq)]
    struct Live(Vec<&'static str>);

    impl Snapshot for Live {
        type Change = String;
        fn diff(old: Option<&Self>, new: &mut Self) -> Vec<String> {
            let before = old.map_or(&[][..], |o| &o.0[..]);
            let mut out: Vec<String> = (new.0.iter())
                .filter(|n| !before.contains(n))
                .map(|n| format!("+{n}"))
                .collect();
            out.extend(
                before
                    .iter()
                    .filter(|n| !new.0.contains(n))
                    .map(|n| format!("-{n}")),
            );
            out
        }
    }

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap()
    }

    fn changes(r: &[Report<String>]) -> Vec<(Vec<String>, bool)> {
        (r.iter())
            .filter_map(|r| match r {
                Report::Changes {
                    changes, while_off, ..
                } => Some((changes.clone(), *while_off)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn first_poll_reports_the_initial_state_then_only_differences() {
        let mut e = Engine::<Live>::new(Timing::default(), None);
        let (r, wait) = e.on_poll(Ok(Live(vec!["a"])), t(0));
        assert_eq!(changes(&r), [(vec!["+a".to_string()], false)]);
        assert_eq!(wait, Duration::from_secs(60));
        let (r, _) = e.on_poll(Ok(Live(vec!["a"])), t(60));
        assert!(r.is_empty());
        let (r, _) = e.on_poll(Ok(Live(vec!["b"])), t(120));
        assert_eq!(
            changes(&r),
            [(vec!["+b".to_string(), "-a".to_string()], false)]
        );
    }

    #[test]
    fn a_saved_snapshot_reports_what_changed_while_off_once_and_re_announces_nothing() {
        let mut e = Engine::new(Timing::default(), Some((Live(vec!["a", "b"]), t(-3600))));
        let (r, _) = e.on_poll(Ok(Live(vec!["a"])), t(0));
        assert_eq!(changes(&r), [(vec!["-b".to_string()], true)]);
        let (r, _) = e.on_poll(Ok(Live(vec!["a", "c"])), t(60));
        assert_eq!(changes(&r), [(vec!["+c".to_string()], false)]);
        let mut same = Engine::new(Timing::default(), Some((Live(vec!["a"]), t(-60))));
        assert!(same.on_poll(Ok(Live(vec!["a"])), t(0)).0.is_empty());
    }

    #[test]
    fn failures_change_nothing_back_off_from_5_s_and_recover_with_one_diff() {
        let mut e = Engine::<Live>::new(Timing::default(), None);
        e.on_poll(Ok(Live(vec!["a", "b"])), t(0));
        let mut waits = Vec::new();
        let mut health = Vec::new();
        for (n, s) in [60, 65, 75, 95].into_iter().enumerate() {
            let (r, wait) = e.on_poll(Err(Failure::Unreachable("502".into())), t(s));
            waits.push(wait.as_secs());
            health.extend(r.iter().filter_map(|r| match r {
                Report::Health { health, .. } => Some((n, *health)),
                _ => None,
            }));
            assert!(changes(&r).is_empty(), "a failed poll reports no change");
        }
        assert_eq!(waits, [5, 10, 20, 40]);
        assert_eq!(health, [(2, Health::Degraded)]);
        assert_eq!(e.snapshot(), Some(&Live(vec!["a", "b"])));
        // Back: one diff against the last good snapshot, and the outage said.
        let (r, wait) = e.on_poll(Ok(Live(vec!["b"])), t(135));
        assert_eq!(wait, Duration::from_secs(60));
        assert!(r.contains(&Report::Recovered {
            from: t(60),
            to: t(135)
        }));
        assert!(r.contains(&Report::Health {
            health: Health::Good,
            last_good: Some(t(135))
        }));
        assert_eq!(changes(&r), [(vec!["-a".to_string()], false)]);
    }

    #[test]
    fn maintenance_at_once_backoff_capped_and_rate_limits_honoured() {
        let mut e = Engine::<Live>::new(Timing::default(), None);
        let (r, _) = e.on_poll(Err(Failure::Maintenance("503".into())), t(0));
        assert_eq!(e.health(), Health::Maintenance);
        assert_eq!(
            r,
            [Report::Health {
                health: Health::Maintenance,
                last_good: None
            }]
        );
        for n in 1..20 {
            let (_, wait) = e.on_poll(Err(Failure::Maintenance("503".into())), t(n));
            assert!(wait <= Duration::from_secs(60));
        }
        let (_, wait) = e.on_poll(Err(Failure::RateLimited(Duration::from_secs(90))), t(30));
        assert_eq!(wait, Duration::from_secs(90));
    }
}
