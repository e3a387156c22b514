//! Issue 12's "Done when", as a user would try it (about four minutes, so `#[ignore]`; run it with
//! `cargo test --test twitch -- --ignored scripted`): 300 channels on the mock's Helix go live and offline and
//! change titles over several polls, Twitch answers 503 for two minutes in the middle, and roomwatch is restarted
//! once. `roomwatch channels --headless` must print exactly the scripted changes: every one once, none during
//! the outage (no false offline), one catch-up diff and one `unreachable` line after it, and after the restart
//! only what changed while it was off.

use crate::binary::{log_in, roomwatch};
use crate::mock::{MockOptions, MockUser, StreamInfo, TwitchMock};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const CHANNELS: usize = 300;

/// A channel's stream as scripted: (started_at, title); `None` offline.
type Script = BTreeMap<String, Option<(String, String)>>;

/// (channel, kind, while_off, initial), sorted: what a poll reports.
type Lines = Vec<(String, String, bool, bool)>;

fn login(i: usize) -> String {
    format!("chan_{i:03}")
}

fn apply(mock: &TwitchMock, script: &Script) {
    for (login, s) in script {
        let info = s.as_ref().map(|(started, title)| StreamInfo {
            started_at: started.clone(),
            ..StreamInfo::live(title, "Art", 10)
        });
        mock.set_stream_for(login, info);
    }
}

/// What the product must report between two scripted states.
fn diff(old: Option<&Script>, new: &Script, while_off: bool) -> Lines {
    let mut out = Vec::new();
    for (login, now) in new {
        let line = |kind: &str, initial| (login.clone(), kind.to_string(), while_off, initial);
        match (old.map(|o| &o[login]), now) {
            (None, Some(_)) => out.push(line("went_live", true)),
            (Some(None), Some(_)) => out.push(line("went_live", false)),
            (Some(Some(_)), None) => out.push(line("went_offline", false)),
            (Some(Some((s0, t0))), Some((s1, t1))) => {
                if s0 != s1 {
                    out.push(line("went_offline", false));
                    out.push(line("went_live", false));
                } else if t0 != t1 {
                    out.push(line("title_changed", false));
                }
            }
            _ => {}
        }
    }
    out.sort();
    out
}

/// Step `k` of the script: some channels start a stream, some end theirs, some change title, and a few end one
/// and start another between two polls.
fn step(script: &mut Script, k: usize) {
    for i in 0..CHANNELS {
        let entry = script.get_mut(&login(i)).unwrap();
        let started = format!("2026-11-28T{:02}:{:02}:00Z", 10 + k, i % 60);
        match (i + k * 7) % 23 {
            0..=2 => *entry = Some((started, format!("stream of step {k}"))),
            3..=4 => *entry = None,
            5 => {
                if let Some((_, title)) = entry.as_mut() {
                    *title = format!("retitled at step {k}");
                }
            }
            6 if entry.is_some() => *entry = Some((started, format!("restarted at step {k}"))),
            _ => {}
        }
    }
}

/// A running `roomwatch channels --headless`, its lines arriving on a channel.
struct Watch {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Watch {
    fn start(home: &std::path::Path, mock: &TwitchMock) -> Watch {
        let names: Vec<String> = (0..CHANNELS).map(login).collect();
        let mut args = vec!["channels", "--headless", "--interval", "15"];
        args.extend(names.iter().map(String::as_str));
        let mut child = roomwatch(home, mock, &args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let lines = crate::channels::stdout_lines(&mut child);
        Watch { child, lines }
    }

    /// The next `n` lines (each within 60 s), then nothing more for a second.
    fn take(&mut self, n: usize) -> (Lines, usize) {
        let mut out = Vec::new();
        let mut unreachable = 0;
        while out.len() + unreachable < n {
            let line = (self.lines.recv_timeout(Duration::from_secs(60)))
                .unwrap_or_else(|_| panic!("only {} of {n} lines: {out:?}", out.len()));
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["kind"] == "unreachable" {
                assert_eq!(v["room"], "twitch");
                unreachable += 1;
                continue;
            }
            out.push((
                v["room"].as_str().unwrap().to_string(),
                v["kind"].as_str().unwrap().to_string(),
                v["data"]["while_off"] == true,
                v["data"]["initial"] == true,
            ));
        }
        if let Ok(extra) = self.lines.recv_timeout(Duration::from_secs(1)) {
            panic!("an extra line: {extra}");
        }
        out.sort();
        (out, unreachable)
    }

    fn stop(mut self) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        assert_eq!(self.child.wait().unwrap().code(), Some(0));
    }
}

/// Waits until the mock has answered `n` Get Streams requests in all.
fn wait_requests(mock: &TwitchMock, n: usize) {
    let t = Instant::now();
    let count = || {
        (mock.requests().iter())
            .filter(|r| r.target.starts_with("/helix/streams"))
            .count()
    };
    while count() < n {
        assert!(
            t.elapsed() < Duration::from_secs(240),
            "{} of {n} requests",
            count()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "four minutes of real polls: cargo test --test twitch -- --ignored scripted"]
fn scripted_300_channels_with_an_outage_and_a_restart() {
    let users: Vec<MockUser> = (0..CHANNELS)
        .map(|i| MockUser::new(&format!("{}", 7000 + i), &login(i)))
        .collect();
    let mock = TwitchMock::start(MockOptions {
        users,
        ..MockOptions::default()
    });
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    let per_poll = CHANNELS.div_ceil(100);
    let mut script: Script = (0..CHANNELS).map(|i| (login(i), None)).collect();
    step(&mut script, 0);
    apply(&mock, &script);
    let started = Instant::now();

    // The first poll announces who is live, as initial.
    let mut w = Watch::start(home.path(), &mock);
    let expected = diff(None, &script, false);
    let live_at_start = expected.len();
    assert_eq!(w.take(expected.len()).0, expected);
    let mut requests = per_poll;
    wait_requests(&mock, requests);

    // Three polls of ordinary changes, each reported once.
    for k in 1..=3 {
        let before = script.clone();
        step(&mut script, k);
        apply(&mock, &script);
        requests += per_poll;
        wait_requests(&mock, requests);
        let expected = diff(Some(&before), &script, false);
        assert!(!expected.is_empty());
        assert_eq!(w.take(expected.len()).0, expected, "step {k}");
    }

    // Two minutes of 503 (nine failed polls: 5, 10, then 15 s apart): what changes meanwhile is held, nobody
    // goes offline because of the outage, and the first good poll reports it once with the outage's line.
    let before = script.clone();
    let outage = Instant::now();
    mock.fail_streams(9, 503);
    step(&mut script, 4);
    apply(&mock, &script);
    requests += 9;
    wait_requests(&mock, requests);
    assert!(
        outage.elapsed() >= Duration::from_secs(100),
        "the outage lasted"
    );
    requests += per_poll;
    wait_requests(&mock, requests);
    let expected = diff(Some(&before), &script, false);
    let (got, unreachable) = w.take(expected.len() + 1);
    assert_eq!(got, expected, "the catch-up diff");
    assert_eq!(unreachable, 1);

    // A restart: what changed while roomwatch was off is reported as such, nothing else is announced again.
    w.stop();
    let before = script.clone();
    step(&mut script, 5);
    apply(&mock, &script);
    let mut w = Watch::start(home.path(), &mock);
    let expected = diff(Some(&before), &script, true);
    assert_eq!(w.take(expected.len()).0, expected, "while off");
    requests += per_poll;
    wait_requests(&mock, requests);

    // And it goes on as before.
    let before = script.clone();
    step(&mut script, 6);
    apply(&mock, &script);
    requests += per_poll;
    wait_requests(&mock, requests);
    let expected = diff(Some(&before), &script, false);
    assert_eq!(w.take(expected.len()).0, expected, "after the restart");
    w.stop();
    eprintln!(
        "scripted run: {CHANNELS} channels, {live_at_start} live at start, {} Get Streams requests, {:.0} s",
        requests,
        started.elapsed().as_secs_f64()
    );
}
