//! The channel watch at 1000 channels (issue 12, "Scale"). Two figures:
//! - `day`: 24 h of polls (1440 at 60 s) simulated in this process — the engine's diff, the table's update
//!   (`app::update`), the snapshot as it is saved, and one frame of the table at 120×40 per poll — over a day
//!   of streams starting, ending and changing titles (none live at first, about two thirds at the end). Prints
//!   CPU per poll and per frame, and this process's peak RSS.
//! - `binary`: `roomwatch channels --headless` with 1000 channels against the Twitch mock for two polls (15 s
//!   apart), then SIGTERM. Prints its CPU and peak RSS (getrusage of the child).
//!
//! `cargo bench --bench channel_watch`; figures in docs/performance.md ("Channel watch at 1000 channels").

#[path = "../tests/twitch/mock.rs"]
mod mock;
#[path = "support/rusage.rs"]
mod rusage;

use mock::{MockOptions, MockUser, StreamInfo, TwitchMock};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use roomwatch::app::channels::ChannelBoard;
use roomwatch::app::{update, Msg, Settings, State};
use roomwatch::sources::watch::channels::{Channel, Channels};
use roomwatch::sources::watch::engine::{Engine, Timing};
use roomwatch::sources::watch::WatchMsg;
use rusage::{tv, wait4};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHANNELS: usize = 1000;
const RUN_ENV: &str = "ROOMWATCH_CHANNEL_WATCH_RUN";

fn main() {
    match std::env::var(RUN_ENV).as_deref() {
        Ok("day") => day(),
        Ok("binary") => binary(),
        _ => {
            for mode in ["day", "binary"] {
                let status = Command::new(std::env::current_exe().unwrap())
                    .env(RUN_ENV, mode)
                    .status()
                    .expect("start a run");
                assert!(status.success(), "the {mode} run failed");
            }
        }
    }
}

fn self_rusage() -> libc::rusage {
    // SAFETY: getrusage fills the struct it is given.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    }
}

fn cpu(ru: &libc::rusage) -> f64 {
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// A small deterministic generator (xorshift), so every run simulates the same day.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

fn day() {
    let logins: Vec<String> = (0..CHANNELS).map(|i| format!("channel_{i:04}")).collect();
    let t0 = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    let mut state = State::with_rooms(Vec::new(), t0, Settings::default());
    state.channels = Some(ChannelBoard::new(&logins, []));
    let viewport = roomwatch::ui::viewport(&state, 120, 40);
    update(&mut state, Msg::Resize(viewport), t0);
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut engine: Engine<Channels> = Engine::new(Timing::default(), None);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut live: Vec<Option<Channel>> = vec![None; CHANNELS];
    let (mut poll_cpu, mut frame_cpu, mut changes, mut snapshot_bytes) = (0.0, 0.0, 0usize, 0usize);
    let polls = 24 * 60;
    for p in 0..polls {
        let now = t0 + chrono::Duration::minutes(p);
        // The day's script: streams start (more in the evening) and end, titles and viewers move.
        let evening = (p / 60) % 24 >= 16;
        for (i, c) in live.iter_mut().enumerate() {
            match c {
                None if rng.chance(if evening { 4 } else { 1 }) => {
                    *c = Some(Channel {
                        live: true,
                        started_at: Some(now.to_rfc3339()),
                        title: Some(format!("stream {i} of the day, part {}", rng.next() % 9)),
                        category: Some(["Just Chatting", "Art", "Music"][i % 3].to_string()),
                        viewers: Some(rng.next() % 5000),
                        viewers_reported: None,
                    })
                }
                Some(_) if rng.chance(if evening { 2 } else { 5 }) => *c = None,
                Some(s) => {
                    if rng.chance(10) {
                        s.title = Some(format!("new title {}", rng.next() % 1000));
                    }
                    let v = s.viewers.unwrap_or(0);
                    s.viewers = Some((v + rng.next() % 41).saturating_sub(20));
                }
                None => {}
            }
        }
        let polled = Channels {
            channels: (logins.iter().zip(&live))
                .map(|(l, c)| (l.clone(), c.clone().unwrap_or_default()))
                .collect(),
            polled_at: Some(now),
            viewer_step: 100,
        };
        let before = self_rusage();
        let (reports, _) = engine.on_poll(Ok(polled), now);
        for r in reports {
            if let roomwatch::sources::watch::engine::Report::Changes { changes: c, .. } = &r {
                changes += c.len();
            }
            update(&mut state, Msg::Watch(WatchMsg::Report(r)), now);
        }
        let snapshot = engine.snapshot().expect("a good poll").clone();
        snapshot_bytes = serde_json::to_vec(&snapshot).unwrap().len();
        update(&mut state, Msg::Watch(WatchMsg::Polled(snapshot)), now);
        let mid = self_rusage();
        term.draw(|f| roomwatch::ui::view(&state, f)).unwrap();
        let after = self_rusage();
        poll_cpu += cpu(&mid) - cpu(&before);
        frame_cpu += cpu(&after) - cpu(&mid);
    }
    let ru = self_rusage();
    let board = state.channels.as_ref().unwrap();
    println!(
        "day: {CHANNELS} channels, {polls} polls (24 h at 60 s), {changes} changes, {} live at the end; \
         {:.2} ms CPU per poll (diff + table + snapshot), {:.2} ms per 120x40 frame; snapshot {} KiB; \
         peak RSS {:.1} MB",
        board.live_count(),
        1e3 * poll_cpu / polls as f64,
        1e3 * frame_cpu / polls as f64,
        snapshot_bytes / 1024,
        ru.ru_maxrss as f64 / 1024.0
    );
}

#[allow(clippy::zombie_processes)] // reaped by wait4 in its thread, which also gives its rusage
fn binary() {
    let users: Vec<MockUser> = (0..CHANNELS)
        .map(|i| MockUser::new(&format!("{}", 10_000 + i), &format!("channel_{i:04}")))
        .collect();
    let mock = TwitchMock::start(MockOptions {
        users,
        ..MockOptions::default()
    });
    for i in (0..CHANNELS).step_by(5) {
        let s = StreamInfo::live(&format!("stream {i}"), "Art", i as u64);
        mock.set_stream_for(&format!("channel_{i:04}"), Some(s));
    }
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let path = h.join("data/roomwatch/twitch/token.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let token = serde_json::json!({"access": mock.access_token(), "refresh": mock.refresh_token(),
                       "scopes": mock::ALL_SCOPES, "login": "streamer", "user_id": "1001"});
    std::fs::write(&path, token.to_string()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let bin =
        std::env::var("ROOMWATCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_roomwatch").into());
    let names: Vec<String> = (0..CHANNELS).map(|i| format!("channel_{i:04}")).collect();
    let child = Command::new(bin)
        .args(["channels", "--headless", "--interval", "15"])
        .args(&names)
        .arg("--summary-dir")
        .arg(h.join("sessions"))
        .env("XDG_CONFIG_HOME", h.join("config"))
        .env("XDG_DATA_HOME", h.join("data"))
        .env("XDG_STATE_HOME", h.join("state"))
        .env("TWITCH_CLIENT_ID", mock.client_id())
        .env("ROOMWATCH_TWITCH_API_URL", mock.api_url())
        .env("ROOMWATCH_TWITCH_AUTH_URL", mock.auth_url())
        .env_remove("TWITCH_ACCESS_TOKEN")
        .env_remove("TWITCH_CLIENT_SECRET")
        .env_remove(RUN_ENV)
        .env_remove("ROOMWATCH_BIN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("start roomwatch");
    let pid = child.id() as libc::pid_t;
    let reaper = std::thread::spawn(move || wait4(pid));
    let t = Instant::now();
    // Two polls: at start and 15 s later (with up to 10 % jitter).
    let streams_calls = || {
        (mock.requests().iter())
            .filter(|r| r.target.starts_with("/helix/streams"))
            .count()
    };
    while streams_calls() < 20 {
        assert!(t.elapsed() < Duration::from_secs(60), "no second poll");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let (status, ru) = reaper.join().unwrap();
    assert_eq!(status, 0, "roomwatch failed");
    println!(
        "binary: {CHANNELS} channels, 2 polls of 10 requests over {:.1} s: {:.3} s CPU, peak RSS {:.1} MB",
        t.elapsed().as_secs_f64(),
        tv(ru.ru_utime) + tv(ru.ru_stime),
        ru.ru_maxrss as f64 / 1024.0
    );
}
