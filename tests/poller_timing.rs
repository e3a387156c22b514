//! The retry schedule and the request limit on tokio's paused clock: the waits are virtual, nothing sleeps.
//! The mock runs on its own thread in real time; the poller runs without request deadlines here, because a
//! pending deadline would be auto-advanced while real I/O is under way.

mod support;

use roomwatch::sources::backoff::Backoff;
use roomwatch::sources::chaturbate::poller::{self, PollerConfig};
use roomwatch::sources::chaturbate::url::EventsUrl;
use roomwatch::sources::{ConnState, ErrorClass, SourceMsg};
use std::sync::Arc;
use std::time::Duration;
use support::events;
use support::mock::{Fault, Mock, MockConfig, NextMode};
use tokio::sync::mpsc;
use tokio::time::Instant;

const TOKEN: &str = "PollerTimingToken0123456789";

fn paused_config(url: &str) -> PollerConfig {
    let mut cfg = PollerConfig::new(EventsUrl::parse(url, false).unwrap());
    cfg.read_margin = None;
    cfg.connect_timeout = None;
    cfg.backoff = Backoff {
        jitter: 0.0,
        ..Backoff::default()
    };
    cfg.long_poll_timeout_s = 0;
    cfg
}

#[tokio::test(start_paused = true)]
async fn backoff_doubles_to_the_cap_honours_a_longer_retry_after_and_resets_after_success() {
    let mut mcfg = MockConfig::new("alice", TOKEN);
    mcfg.per_reply = 5;
    mcfg.faults = Arc::new(|n| match n {
        1..=8 => Some(Fault::status(503)),
        // Longer than the schedule's 60 s: honoured (a shorter one never shortens the schedule).
        9 => Some(Fault::retry_after("90")),
        10 => Some(Fault::TruncateBody),
        // 11 succeeds, then a fresh failure starts the schedule again.
        12 => Some(Fault::status(502)),
        _ => None,
    });
    let mock = Mock::start(mcfg, events::many(20));
    let (tx, mut rx) = mpsc::channel(64);
    let t0 = Instant::now();
    let task = poller::spawn(paused_config(&mock.events_url()), tx);
    let mut waits = Vec::new();
    let mut classes = Vec::new();
    let mut got = 0;
    let mut counters = None;
    while let Some(msg) = rx.recv().await {
        match msg {
            SourceMsg::Status(s) => {
                if let ConnState::Retrying {
                    attempt,
                    next_in,
                    last,
                } = s.state
                {
                    waits.push((attempt, next_in.as_secs()));
                    classes.push(last);
                }
                counters = Some((s.requests, s.retries, s.errors_by_class.clone()));
            }
            SourceMsg::Batch(b) => {
                got += b.events.len();
                if got >= 20 {
                    break;
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    task.abort();
    assert_eq!(
        waits,
        [
            (1, 1),
            (2, 2),
            (3, 4),
            (4, 8),
            (5, 16),
            (6, 32),
            (7, 60),
            (8, 60),
            (9, 90),
            (10, 60),
            (1, 1)
        ]
    );
    assert_eq!(classes[8], ErrorClass::Status(429));
    assert_eq!(classes[9], ErrorClass::InvalidReply);
    let slept: u64 = waits.iter().map(|w| w.1).sum();
    assert!(
        t0.elapsed() >= Duration::from_secs(slept),
        "{:?}",
        t0.elapsed()
    );
    let (requests, retries, by_class) = counters.unwrap();
    assert_eq!(retries, 11);
    assert!(requests >= 12, "{requests}");
    assert_eq!(by_class.get("http_503"), Some(&8));
    assert_eq!(by_class.get("http_429"), Some(&1));
    assert_eq!(by_class.get("invalid_reply"), Some(&1));
    assert_eq!(by_class.get("http_502"), Some(&1));
}

#[tokio::test(start_paused = true)]
async fn the_request_limit_allows_a_burst_then_paces() {
    let mut mcfg = MockConfig::new("alice", TOKEN);
    mcfg.per_reply = 1;
    mcfg.next_mode = NextMode::Relative;
    let mock = Mock::start(mcfg, events::many(12));
    let mut cfg = paused_config(&mock.events_url());
    cfg.rate_requests = 4;
    cfg.rate_period = Duration::from_secs(8);
    let (tx, mut rx) = mpsc::channel(64);
    let t0 = Instant::now();
    let task = poller::spawn(cfg, tx);
    let mut at = Vec::new();
    while let Some(msg) = rx.recv().await {
        if let SourceMsg::Batch(b) = msg {
            if !b.events.is_empty() {
                at.push(t0.elapsed().as_secs());
            }
            if at.len() == 12 {
                break;
            }
        }
    }
    task.abort();
    // Four at once (the burst), then one every 2 s as tokens refill — never an even spacing from the start.
    assert_eq!(at, [0, 0, 0, 0, 2, 4, 6, 8, 10, 12, 14, 16]);
}
