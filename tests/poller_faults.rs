//! The poller against the mock Events API: every fault, the nextUrl rules, auth, cursors, long polls.

mod support;

use roomwatch::event::RoomEvent;
use roomwatch::sources::backoff::Backoff;
use roomwatch::sources::chaturbate::poller::{self, PollerConfig};
use roomwatch::sources::chaturbate::url::EventsUrl;
use roomwatch::sources::{ConnState, SourceError, SourceMsg};
use std::sync::Arc;
use std::time::Duration;
use support::events;
use support::mock::{Fault, Mock, MockConfig, NextMode};
use tokio::sync::mpsc;

const TOKEN: &str = "PollerFaultsToken0123456789";

/// What a run of the poller produced.
#[derive(Default, Debug)]
struct Collected {
    events: Vec<RoomEvent>,
    duplicates: u32,
    skipped: u32,
    batches: usize,
    notices: Vec<String>,
    states: Vec<ConnState>,
    fatal: Option<SourceError>,
    all_debug: String,
}

fn fast_config(url: &str) -> PollerConfig {
    let mut cfg = PollerConfig::new(EventsUrl::parse(url, false).unwrap());
    cfg.backoff = Backoff {
        initial: Duration::from_millis(5),
        cap: Duration::from_millis(40),
        jitter: 0.2,
    };
    cfg.auth_confirm_delay = Duration::from_millis(5);
    cfg.long_poll_timeout_s = 1;
    cfg
}

/// Runs the poller until `want` events arrived or it stopped; a hang guard only, not a timing check.
async fn collect(cfg: PollerConfig, want: usize) -> Collected {
    let (tx, mut rx) = mpsc::channel(roomwatch::sources::CHANNEL_BATCHES);
    let task = poller::spawn(cfg, tx);
    let mut c = Collected::default();
    let guard = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(msg) = rx.recv().await {
            c.all_debug.push_str(&format!("{msg:?}\n"));
            match msg {
                SourceMsg::Batch(b) => {
                    c.batches += 1;
                    c.duplicates += b.duplicates_dropped;
                    c.skipped += b.skipped;
                    c.events.extend(b.events);
                    if c.events.len() >= want {
                        break;
                    }
                }
                SourceMsg::Notice(n) => c.notices.push(n),
                SourceMsg::Status(s) => c.states.push(s.state),
                SourceMsg::Fatal(e) => {
                    c.fatal = Some(e);
                    break;
                }
                SourceMsg::Ended => break,
            }
        }
    })
    .await;
    task.abort();
    assert!(
        guard.is_ok(),
        "the poller hung; got {} events",
        c.events.len()
    );
    c
}

fn ids(evs: &[RoomEvent]) -> Vec<String> {
    evs.iter().map(|e| e.id.to_string()).collect()
}

fn expected(n: u64) -> Vec<String> {
    (0..n).map(events::id).collect()
}

#[tokio::test]
async fn no_event_is_lost_or_repeated_across_every_fault() {
    let foreign = Mock::start(MockConfig::new("alice", TOKEN), events::many(10));
    let foreign_base = foreign.base();
    let faults: Vec<Fault> = vec![
        Fault::status(502),
        Fault::status(503),
        Fault::status(500),
        Fault::status(520),
        Fault::status(524),
        Fault::retry_after("0"),
        Fault::status(429),
        Fault::TruncateBody,
        Fault::CutJson,
        Fault::Slow(Duration::from_millis(30)),
        Fault::Drop,
        Fault::BadRequestWithNext,
        Fault::Next(NextMode::Relative),
        Fault::Next(NextMode::Null),
        Fault::Next(NextMode::Foreign(foreign_base.clone())),
        Fault::Next(NextMode::Foreign("https://127.0.0.1:1".into())),
        Fault::Next(NextMode::Foreign("http://evil.example".into())),
        Fault::Duplicate,
        Fault::WithoutId,
    ];
    let script_faults = faults.clone();
    let mut cfg = MockConfig::new("alice", TOKEN);
    cfg.per_reply = 37;
    cfg.gzip = true;
    // Every other request is faulty, going round the whole list several times.
    cfg.faults = Arc::new(move |n| {
        (n % 2 == 0).then(|| script_faults[(n as usize / 2) % script_faults.len()].clone())
    });
    let total = 2000;
    let mock = Mock::start(cfg, events::many(total));
    let got = collect(fast_config(&mock.events_url()), total as usize).await;

    assert_eq!(got.fatal, None);
    assert_eq!(
        ids(&got.events),
        expected(total),
        "every event once, in order"
    );
    assert!(got.duplicates > 0, "the duplicate fault was exercised");
    assert!(got.skipped > 0, "the id-less item was counted");
    assert!(
        got.notices.iter().any(|n| n.contains("not followed")),
        "{:?}",
        got.notices
    );
    assert!(foreign.seen().is_empty(), "a foreign nextUrl was requested");
    let seen = mock.seen();
    let port = mock.port();
    assert!(seen
        .iter()
        .all(|s| s.host == format!("127.0.0.1:{port}") && s.target.starts_with("/events/alice/")));
    assert!(seen.iter().all(|s| s.accept_gzip), "gzip is offered");
    assert!(
        got.states
            .iter()
            .any(|s| matches!(s, ConnState::Retrying { .. })),
        "retries were reported"
    );
    assert!(!got.all_debug.contains(TOKEN), "token in a message");
}

#[tokio::test]
async fn a_foreign_next_url_is_never_requested_and_polling_resumes_from_the_last_id() {
    let foreign = Mock::start(MockConfig::new("alice", TOKEN), events::many(5));
    let mut cfg = MockConfig::new("alice", TOKEN);
    cfg.per_reply = 10;
    cfg.next_mode = NextMode::Foreign(foreign.base());
    let mock = Mock::start(cfg, events::many(50));
    let got = collect(fast_config(&mock.events_url()), 50).await;
    assert_eq!(ids(&got.events), expected(50));
    assert!(foreign.seen().is_empty());
    // After each refusal the poll was rebuilt from the configured URL with the last seen id.
    let targets: Vec<String> = mock.seen().iter().map(|s| s.target.clone()).collect();
    assert_eq!(targets[0], format!("/events/alice/{TOKEN}/?timeout=1"));
    assert_eq!(
        targets[1],
        format!("/events/alice/{TOKEN}/?i={}&timeout=1", events::id(9))
    );
    // Said once for a run of refusals (then counted in the log), not once per reply.
    assert_eq!(got.notices.len(), 1, "{:?}", got.notices);
    assert!(got.batches > 1);
    assert!(got.notices.iter().all(|n| !n.contains(TOKEN)));
}

#[tokio::test]
async fn unauthorized_fails_after_exactly_one_confirmation_retry() {
    let mock = Mock::start(MockConfig::new("alice", "the-right-token-000000"), vec![]);
    let url = format!("{}/events/alice/{TOKEN}/", mock.base());
    let got = collect(fast_config(&url), 1).await;
    assert_eq!(
        got.fatal,
        Some(SourceError::CredentialsRefused { status: 401 })
    );
    assert_eq!(mock.seen().len(), 2, "one request and one confirmation");
    assert_eq!(got.states.last(), Some(&ConnState::CredentialsRefused));
    assert!(!got.all_debug.contains(TOKEN));
}

#[tokio::test]
async fn a_lone_forbidden_is_confirmed_and_polling_goes_on() {
    let mut cfg = MockConfig::new("alice", TOKEN);
    cfg.faults = Arc::new(|n| (n == 1).then(|| Fault::status(403)));
    let mock = Mock::start(cfg, events::many(30));
    let got = collect(fast_config(&mock.events_url()), 30).await;
    assert_eq!(got.fatal, None);
    assert_eq!(ids(&got.events), expected(30));
}

#[tokio::test]
async fn not_found_is_fatal_at_once() {
    let mock = Mock::start(MockConfig::new("alice", TOKEN), vec![]);
    let url = format!("{}/events/bob/{TOKEN}/", mock.base());
    let got = collect(fast_config(&url), 1).await;
    assert!(
        matches!(&got.fatal, Some(SourceError::Fatal(t)) if t.contains("404")),
        "{:?}",
        got.fatal
    );
    assert_eq!(mock.seen().len(), 1);
}

#[tokio::test]
async fn a_saved_cursor_resumes_after_it() {
    let mock = Mock::start(MockConfig::new("alice", TOKEN), events::many(300));
    let mut cfg = fast_config(&mock.events_url());
    cfg.start_cursor = Some(events::id(99));
    let got = collect(cfg, 200).await;
    let want: Vec<String> = (100..300).map(events::id).collect();
    assert_eq!(ids(&got.events), want);
    assert!(mock.seen()[0]
        .target
        .contains(&format!("i={}", events::id(99))));
}

#[tokio::test]
async fn a_refused_saved_cursor_is_reported_and_polling_starts_fresh() {
    let mock = Mock::start(MockConfig::new("alice", TOKEN), events::many(150));
    let mut cfg = fast_config(&mock.events_url());
    cfg.start_cursor = Some("1000000000000-0".into());
    let got = collect(cfg, 150).await;
    assert_eq!(got.fatal, None);
    assert_eq!(ids(&got.events), expected(150));
    assert!(
        got.notices.iter().any(|n| n.contains("saved position")),
        "{:?}",
        got.notices
    );
    assert!(!mock.seen()[1].target.contains("i="));
}

#[tokio::test]
async fn fresh_ignores_the_cursor_and_discards_the_backlog() {
    let mock = Mock::start(MockConfig::new("alice", TOKEN), events::many(250));
    let mut cfg = fast_config(&mock.events_url());
    cfg.fresh = true;
    cfg.start_cursor = Some(events::id(10));
    let got = collect(cfg, 150).await;
    let want: Vec<String> = (100..250).map(events::id).collect();
    assert_eq!(
        ids(&got.events),
        want,
        "the first reply (100 events) is dropped"
    );
    assert!(!mock.seen()[0].target.contains("i="));
    assert!(got.notices.iter().any(|n| n.contains("--fresh")));
}

#[tokio::test]
async fn without_a_cursor_the_backlog_is_processed() {
    let mock = Mock::start(MockConfig::new("alice", TOKEN), events::many(40));
    let got = collect(fast_config(&mock.events_url()), 40).await;
    assert_eq!(ids(&got.events), expected(40));
    assert_eq!(got.batches, 1);
}

#[tokio::test]
async fn long_poll_waits_for_new_events_and_the_url_query_is_kept() {
    let mut cfg = MockConfig::new("alice", TOKEN);
    cfg.max_hold = Duration::from_secs(5);
    let mock = Arc::new(Mock::start(cfg, vec![]));
    let url = format!("{}?timeout=3&lang=en", mock.events_url());
    let mut pcfg = PollerConfig::new(EventsUrl::parse(&url, false).unwrap());
    pcfg.backoff.initial = Duration::from_millis(5);
    let pusher = mock.clone();
    let push = tokio::spawn(async move {
        // The first poll is held open by the server until these arrive.
        while pusher.seen().is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        pusher.push(events::many(3));
    });
    let got = collect(pcfg, 3).await;
    push.await.unwrap();
    assert_eq!(ids(&got.events), expected(3));
    assert_eq!(
        mock.seen()[0].target,
        format!("/events/alice/{TOKEN}/?timeout=3&lang=en")
    );
}

#[tokio::test]
async fn debug_of_the_config_hides_the_token() {
    let mock = Mock::start(MockConfig::new("alice", TOKEN), vec![]);
    let cfg = fast_config(&mock.events_url());
    let text = format!("{cfg:?}");
    assert!(!text.contains(TOKEN), "{text}");
    assert!(text.contains("alice"));
}

/// While a reply with events is parsed, the next one is already requested. With the consumer not reading,
/// the poller is held sending the second reply's messages, and the server has seen the third request by
/// then. It is the request the poller makes next anyway: every event once and in order, no target asked twice.
#[tokio::test]
async fn the_next_reply_is_fetched_ahead_and_nothing_is_lost_or_repeated() {
    let mut cfg = MockConfig::new("alice", TOKEN);
    cfg.per_reply = 100;
    let mock = Mock::start(cfg, events::many(500));
    // Room for "connecting", "live" and the first batch only.
    let (tx, mut rx) = mpsc::channel(3);
    let task = poller::spawn(fast_config(&mock.events_url()), tx);
    let ahead = tokio::time::timeout(Duration::from_secs(30), async {
        while mock.seen().len() < 3 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(ahead.is_ok(), "requests seen: {:?}", mock.seen());
    let mut got = Vec::new();
    let drained = tokio::time::timeout(Duration::from_secs(30), async {
        while got.len() < 500 {
            if let Some(SourceMsg::Batch(b)) = rx.recv().await {
                assert_eq!(b.duplicates_dropped, 0);
                got.extend(b.events);
            }
        }
    })
    .await;
    task.abort();
    assert!(drained.is_ok(), "got {} events", got.len());
    assert_eq!(ids(&got), expected(500));
    let targets: Vec<String> = mock.seen().into_iter().map(|s| s.target).collect();
    let distinct: std::collections::HashSet<&String> = targets.iter().collect();
    assert_eq!(distinct.len(), targets.len(), "{targets:?}");
}
