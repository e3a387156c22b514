//! The poller against hostile replies (issue 9): each reproduction failed on 0.1.0.

use crate::server::{schedule_ceiling, Answer, Hostile};
use roomwatch::event::{EventBody, RoomEvent};
use roomwatch::sources::backoff::Backoff;
use roomwatch::sources::chaturbate::poller::{self, PollerConfig};
use roomwatch::sources::chaturbate::url::EventsUrl;
use roomwatch::sources::{ConnState, ErrorClass, SourceError, SourceMsg};
use std::io::Write;
use std::time::Duration;
use tokio::sync::mpsc;

const TOKEN: &str = "HardeningToken0123456789";
const INITIAL: Duration = Duration::from_millis(50);
const CAP: Duration = Duration::from_millis(200);

fn config(url: &str) -> PollerConfig {
    let mut cfg = PollerConfig::new(EventsUrl::parse(url, false).unwrap());
    cfg.backoff = Backoff {
        initial: INITIAL,
        cap: CAP,
        jitter: 0.0,
    };
    cfg.auth_confirm_delay = INITIAL;
    cfg.long_poll_timeout_s = 1;
    cfg
}

fn event(n: u64, message: &str) -> String {
    format!(
        r#"{{"method":"chatMessage","id":"{}-0","object":{{"message":{{"message":"{message}"}},"user":{{"username":"viewer_{n}"}}}}}}"#,
        1_795_000_000_000u64 + n
    )
}

fn reply(events: &[String], next: &str) -> String {
    format!(r#"{{"events":[{}],"nextUrl":"{next}"}}"#, events.join(","))
}

#[derive(Default, Debug)]
struct Run {
    events: Vec<RoomEvent>,
    notices: Vec<String>,
    classes: Vec<ErrorClass>,
    fatal: Option<SourceError>,
    skipped: u32,
}

/// Runs the poller for `secs` of real time, or until `want` events arrived, or it stopped.
async fn run_for(cfg: PollerConfig, secs: f64, want: usize) -> Run {
    let (tx, mut rx) = mpsc::channel(16);
    let task = poller::spawn(cfg, tx);
    let mut run = Run::default();
    let deadline = tokio::time::sleep(Duration::from_secs_f64(secs));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            msg = rx.recv() => match msg {
                None => break,
                Some(SourceMsg::Batch(b)) => {
                    run.skipped += b.skipped;
                    run.events.extend(b.events);
                    if run.events.len() >= want {
                        break;
                    }
                }
                Some(SourceMsg::Status(s)) => {
                    if let ConnState::Retrying { last, .. } = s.state {
                        run.classes.push(last);
                    }
                }
                Some(SourceMsg::Notice(n)) => run.notices.push(n),
                Some(SourceMsg::Fatal(e)) => {
                    run.fatal = Some(e);
                    break;
                }
                Some(SourceMsg::Ended) => break,
            }
        }
    }
    task.abort();
    run
}

/// Requests seen from the first to the last, against what the backoff schedule allows in that time.
fn assert_within_schedule(server: &Hostile, what: &str) {
    assert_within_schedule_plus(server, what, 0)
}

/// [`assert_within_schedule`] with `extra` requests allowed (pacing that starts after a first reply).
fn assert_within_schedule_plus(server: &Hostile, what: &str, extra: usize) {
    let seen = server.seen();
    assert!(
        seen.len() >= 2,
        "{what}: the poller stopped asking ({} requests)",
        seen.len()
    );
    let span = seen.last().unwrap().at - seen[0].at;
    let ceiling = schedule_ceiling(INITIAL, CAP, span) + extra;
    assert!(
        seen.len() <= ceiling,
        "{what}: {} requests in {span:?}, the backoff schedule allows {ceiling}",
        seen.len()
    );
}

#[tokio::test]
async fn retry_after_zero_never_beats_the_backoff() {
    // 0.1.0: `Retry-After: 0` replaced the backoff — 2151 requests in 5 s.
    let server = Hostile::start(|_, _| Answer::status(429, &[("Retry-After", "0")], b"slow down"));
    let run = run_for(config(&server.events_url(TOKEN)), 1.5, 1).await;
    assert!(run.classes.iter().all(|c| *c == ErrorClass::Status(429)));
    assert_within_schedule(&server, "429 Retry-After: 0");
}

#[tokio::test]
async fn a_refused_configured_cursor_is_dropped_not_rebuilt_for_ever() {
    // 0.1.0: a configured URL with `i=` answered by 400 rebuilt the same URL — 265 identical requests in 6 s.
    let server = Hostile::start(|_, target| {
        if target.contains("i=stale") {
            Answer::status(400, &[], br#"{"status":"bad cursor"}"#)
        } else {
            Answer::json(&reply(&[event(1, "hello")], "?i=1795000000001-0&timeout=1"))
        }
    });
    let url = format!("{}?i=stale-0", server.events_url(TOKEN));
    let run = run_for(config(&url), 5.0, 1).await;
    assert_eq!(run.events.len(), 1, "{run:?}");
    let stale = server
        .seen()
        .iter()
        .filter(|s| s.target.contains("i=stale"))
        .count();
    assert_eq!(stale, 1, "{:?}", server.seen());
    assert!(run.notices.iter().any(|n| n.contains("refused")), "{run:?}");
}

#[tokio::test]
async fn a_400_on_every_url_ends_instead_of_looping() {
    let server = Hostile::start(|_, _| Answer::status(400, &[], b"{}"));
    let url = format!("{}?i=stale-0", server.events_url(TOKEN));
    let run = run_for(config(&url), 5.0, 1).await;
    assert!(matches!(run.fatal, Some(SourceError::Fatal(_))), "{run:?}");
    assert_eq!(server.seen().len(), 2, "once with the cursor, once without");
}

#[tokio::test]
async fn instant_empty_replies_are_paced_like_retries() {
    // A server answering every long poll at once with nothing: 0.1.0 asked as fast as replies came (2000
    // requests before its rate limit even started).
    let server =
        Hostile::start(|_, _| Answer::json(r#"{"events":[],"nextUrl":"?i=1-0&timeout=30"}"#));
    let mut cfg = config(&server.events_url(TOKEN));
    cfg.long_poll_timeout_s = 30;
    let _ = run_for(cfg, 1.5, 1).await;
    let seen = server.seen();
    let span = seen.last().unwrap().at - seen[0].at;
    // Pacing starts with the second instant reply, so one request more than a failure schedule.
    let ceiling = schedule_ceiling(INITIAL, CAP, span) + 1;
    assert!(
        seen.len() <= ceiling,
        "{} requests in {span:?} (ceiling {ceiling})",
        seen.len()
    );
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[tokio::test]
async fn a_gzip_bomb_is_an_invalid_reply_and_polling_goes_on() {
    // 0.1.0: 1 MB of gzip inflating to 1 GiB took peak RSS to 2.1 GB. 64 MiB of valid JSON here (sixteen
    // times the cap): 0.1.0 inflated and accepted all of it; now it is refused at 4 MiB.
    let mut inflated = br#"{"events":[],"nextUrl":null,"pad":""#.to_vec();
    inflated.resize(64 * 1024 * 1024, b'a');
    inflated.extend_from_slice(b"\"}");
    let bomb = gzip(&inflated);
    let server = Hostile::start(move |n, _| {
        if n == 1 {
            Answer::status(200, &[("Content-Encoding", "gzip")], &bomb)
        } else {
            Answer::json(&reply(
                &[event(1, "after the bomb")],
                "?i=1795000000001-0&timeout=1",
            ))
        }
    });
    let run = run_for(config(&server.events_url(TOKEN)), 20.0, 1).await;
    assert_eq!(run.classes, [ErrorClass::InvalidReply], "{run:?}");
    assert_eq!(run.events.len(), 1);
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_cap_not_at_the_deadline() {
    // 0.1.0: an endless chunked body grew ~47 MB/s until the request deadline.
    let server = Hostile::start(|n, _| {
        if n == 1 {
            Answer::Endless
        } else {
            Answer::json(&reply(&[event(1, "after")], "?i=1795000000001-0&timeout=1"))
        }
    });
    let mut cfg = config(&server.events_url(TOKEN));
    // A deadline far away: only the size cap can end the first reply.
    cfg.read_margin = Some(Duration::from_secs(600));
    let run = run_for(cfg, 30.0, 1).await;
    assert_eq!(run.classes, [ErrorClass::InvalidReply], "{run:?}");
    assert_eq!(run.events.len(), 1);
    // 0.1.0 read the whole GiB the server offered. Now: the cap, plus what the sockets had buffered.
    let sent = server.endless_sent();
    assert!(
        sent < 32 * 1024 * 1024,
        "the client took {sent} bytes of the endless body"
    );
}

#[tokio::test]
async fn an_overlong_next_url_falls_back_to_the_configured_url_with_the_last_id() {
    // 0.1.0: a same-origin nextUrl with a 100 KB query could not be requested and was retried for ever.
    let long_next = format!("?i=1795000000001-0&pad={}", "x".repeat(100 * 1024));
    let server = Hostile::start(move |n, _| match n {
        1 => Answer::json(&reply(&[event(1, "one")], &long_next)),
        _ => Answer::json(&reply(&[event(2, "two")], "?i=1795000000002-0&timeout=1")),
    });
    let run = run_for(config(&server.events_url(TOKEN)), 10.0, 2).await;
    assert_eq!(run.events.len(), 2, "{run:?}");
    let second = &server.seen()[1].target;
    assert!(
        second.contains("i=1795000000001-0") && second.len() < 200,
        "{second}"
    );
    assert!(
        run.notices.iter().any(|n| n.contains("longer than")),
        "{run:?}"
    );
}

#[tokio::test]
async fn one_invalid_utf8_byte_loses_no_other_event() {
    // 0.1.0: one bad byte inside one event made the whole reply invalid, retried for ever.
    let mut body = reply(
        &[event(1, "first"), event(2, "BAD"), event(3, "third")],
        "?i=1795000000003-0&timeout=1",
    )
    .into_bytes();
    let at = body.windows(3).position(|w| w == b"BAD").unwrap();
    body[at + 1] = 0xff;
    let server = Hostile::start(move |n, _| {
        if n == 1 {
            Answer::status(200, &[], &body)
        } else {
            Answer::json(r#"{"events":[],"nextUrl":"?i=1795000000003-0&timeout=1"}"#)
        }
    });
    let run = run_for(config(&server.events_url(TOKEN)), 10.0, 3).await;
    let texts: Vec<String> = run
        .events
        .iter()
        .map(|e| match &e.body {
            EventBody::ChatMessage { message } => message.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(texts, ["first", "B\u{fffd}D", "third"]);
    assert!(run.classes.is_empty(), "{run:?}");
}

#[tokio::test]
async fn a_huge_timeout_in_the_url_is_clamped_not_a_panic() {
    // 0.1.0: `timeout=1e20` overflowed the deadline arithmetic; the poller panicked.
    let server = Hostile::start(|_, _| {
        Answer::json(&reply(&[event(1, "hi")], "?i=1795000000001-0&timeout=1e20"))
    });
    let url = format!("{}?timeout=1e20", server.events_url(TOKEN));
    let mut cfg = config(&url);
    cfg.read_margin = Some(Duration::from_secs(15));
    let run = run_for(cfg, 10.0, 1).await;
    assert_eq!(run.events.len(), 1, "{run:?}");
    assert!(run.fatal.is_none());
    assert!(
        server.seen()[0].target.contains("timeout=90"),
        "{:?}",
        server.seen()
    );
}

#[tokio::test]
async fn an_id_too_long_to_be_a_cursor_is_skipped_and_counted() {
    let huge = format!(
        r#"{{"method":"chatMessage","id":"{}","object":{{"message":{{"message":"x"}},"user":{{"username":"u"}}}}}}"#,
        "7".repeat(4096)
    );
    let server =
        Hostile::start(move |_, _| Answer::json(&reply(&[huge.clone(), event(1, "ok")], "")));
    let run = run_for(config(&server.events_url(TOKEN)), 10.0, 1).await;
    assert_eq!(run.events.len(), 1);
    assert_eq!(run.skipped, 1);
}

#[tokio::test]
async fn a_refused_configured_cursor_stays_dropped_after_null_next_urls() {
    // Found trying the release binary: after the fallback, a `nextUrl: null` rebuilt the configured URL with
    // its refused `i=` again, and the 400 came back every few seconds.
    let server = Hostile::start(|_, target| {
        if target.contains("i=stale") {
            Answer::status(400, &[], br#"{"status":"bad cursor"}"#)
        } else {
            std::thread::sleep(Duration::from_millis(150));
            Answer::json(r#"{"events":[],"nextUrl":null}"#)
        }
    });
    let url = format!("{}?i=stale-0", server.events_url(TOKEN));
    let run = run_for(config(&url), 1.5, usize::MAX).await;
    let stale = server
        .seen()
        .iter()
        .filter(|s| s.target.contains("i=stale"))
        .count();
    assert_eq!(stale, 1, "{:?}", server.seen());
    assert!(
        server.seen().len() >= 3,
        "polling went on: {:?}",
        server.seen()
    );
    assert!(run.fatal.is_none());
}

#[tokio::test]
async fn refused_next_urls_are_paced_and_said_once() {
    // Found trying the release binary: a server giving a new event and a 100 KB nextUrl with every instant
    // reply got 2308 requests in 10 s (the token bucket's burst) and as many notices on stderr.
    let long_next = format!("?i=1&pad={}", "x".repeat(20 * 1024));
    let server = Hostile::start(move |n, _| Answer::json(&reply(&[event(n, "new")], &long_next)));
    let run = run_for(config(&server.events_url(TOKEN)), 1.5, usize::MAX).await;
    let refusals = run
        .notices
        .iter()
        .filter(|n| n.contains("longer than"))
        .count();
    assert_eq!(refusals, 1, "{:?}", run.notices);
    assert_within_schedule_plus(&server, "refused nextUrls", 1);
}

#[tokio::test]
async fn instant_continuations_with_a_zero_timeout_are_paced_too() {
    // Found by review: the pacing judged "at once" by the nextUrl's own `timeout`, so a server answering
    // 400 "waited too long" at once with `timeout=0` in its nextUrl was asked as fast as the token bucket allows.
    let server = Hostile::start(|_, _| {
        Answer::status(
            400,
            &[],
            br#"{"status":"waited too long for events","events":[],"nextUrl":"?i=1-0&timeout=0"}"#,
        )
    });
    let _ = run_for(config(&server.events_url(TOKEN)), 1.5, 1).await;
    assert_within_schedule_plus(&server, "400 continuations with timeout=0", 1);
}
