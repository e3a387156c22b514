//! Twitch load harness (issue 11 "Performance"): the test mock (`tests/twitch/mock.rs`) on loopback, the release
//! binary `roomwatch twitch --headless --no-journal --max-events N > /dev/null` against it, notifications pushed
//! through the mock's socket. Two runs: paced at RATE notifications/s (default 2000, a hype train with a raid)
//! for SECS seconds (default 20), giving the share of a core roomwatch takes; and NOTIFICATIONS flat out (default
//! 1 000 000), giving CPU µs per notification and the peak RSS (getrusage of the child).
//!
//! Run: `cargo bench --bench twitch_load` (env `RATE`, `SECS`, `NOTIFICATIONS`; `ROOMWATCH_BIN` measures another
//! build, e.g. one from a worktree, for before/after runs on the same box).
//!
//! Each run is its own process, started while it is still small: Linux carries a process's peak RSS across
//! fork+exec into the child's figure, so a child forked after a first run's mock had grown would report it.

#[path = "../tests/twitch/mock.rs"]
mod mock;
#[path = "support/rusage.rs"]
mod rusage;

use rusage::{tv, wait4};

use mock::{MockOptions, TwitchMock};
use serde_json::json;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Set in the process that does one run: `paced` or `flat`.
const RUN_ENV: &str = "ROOMWATCH_TWITCH_LOAD_RUN";

fn main() {
    match std::env::var(RUN_ENV).as_deref() {
        Ok("paced") => paced(),
        Ok("flat") => flat(),
        _ => {
            for mode in ["paced", "flat"] {
                let status = Command::new(std::env::current_exe().unwrap())
                    .env(RUN_ENV, mode)
                    .status()
                    .expect("start a run");
                assert!(status.success(), "the {mode} run failed");
            }
        }
    }
}

fn paced() {
    let rate = env_or("RATE", 2000);
    let secs = env_or("SECS", 20);
    let paced = run(rate * secs, Some(rate));
    println!(
        "paced {rate}/s for {secs} s: {:.1} % of a core (user {:.2} s + sys {:.2} s over {:.1} s), peak RSS {:.1} MB",
        100.0 * (paced.user + paced.sys) / paced.wall,
        paced.user,
        paced.sys,
        paced.wall,
        paced.maxrss_kb as f64 / 1024.0
    );
}

fn flat() {
    let flat = env_or("NOTIFICATIONS", 1_000_000);
    let fast = run(flat, None);
    println!(
        "flat out {flat}: {:.0} notifications/s, {:.2} µs CPU per notification, peak RSS {:.1} MB",
        flat as f64 / fast.wall,
        1e6 * (fast.user + fast.sys) / flat as f64,
        fast.maxrss_kb as f64 / 1024.0
    );
}

struct Figures {
    wall: f64,
    user: f64,
    sys: f64,
    maxrss_kb: i64,
}

/// A mix shaped like a busy channel: mostly chat, some cheers, subs and redemptions.
fn event(i: u64) -> (&'static str, &'static str, serde_json::Value) {
    let user = format!("viewer{}", i % 5000);
    match i % 20 {
        0 => (
            "channel.cheer",
            "1",
            json!({"is_anonymous": false, "user_id": "2", "user_login": user, "user_name": user,
                   "broadcaster_user_id": "1001", "broadcaster_user_login": "streamer",
                   "broadcaster_user_name": "Streamer", "message": "Cheer100 hype", "bits": 100}),
        ),
        1 => (
            "channel.subscribe",
            "1",
            json!({"user_id": "3", "user_login": user, "user_name": user, "broadcaster_user_id": "1001",
                   "broadcaster_user_login": "streamer", "broadcaster_user_name": "Streamer",
                   "tier": "1000", "is_gift": false}),
        ),
        _ => (
            "channel.chat.message",
            "1",
            json!({"broadcaster_user_id": "1001", "broadcaster_user_login": "streamer",
                   "broadcaster_user_name": "Streamer", "chatter_user_id": "4", "chatter_user_login": user,
                   "chatter_user_name": user, "message_id": format!("m{i}"),
                   "message": {"text": "PogChamp that was amazing", "fragments": [
                       {"type": "text", "text": "PogChamp that was amazing", "cheermote": null, "emote": null,
                        "mention": null}]},
                   "color": "#1E90FF", "badges": [{"set_id": "subscriber", "id": "12", "info": "12"}],
                   "message_type": "text", "cheer": null, "reply": null,
                   "channel_points_custom_reward_id": null}),
        ),
    }
}

fn log_in(home: &Path, mock: &TwitchMock) {
    let path = home.join("data/roomwatch/twitch/token.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let token = json!({"access": mock.access_token(), "refresh": mock.refresh_token(),
                       "scopes": mock::ALL_SCOPES, "login": "streamer", "user_id": "1001"});
    std::fs::write(&path, token.to_string()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[allow(clippy::zombie_processes)] // reaped by wait4 in its thread, which also gives its rusage
fn run(n: u64, rate: Option<u64>) -> Figures {
    let mock = TwitchMock::start(MockOptions::default());
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock);
    let h = home.path();
    let bin =
        std::env::var("ROOMWATCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_roomwatch").into());
    let child = Command::new(bin)
        .args([
            "twitch",
            "--headless",
            "--no-journal",
            "--max-events",
            &n.to_string(),
        ])
        .arg("--summary-dir")
        .arg(h.join("sessions"))
        .env("XDG_CONFIG_HOME", h.join("config"))
        .env("XDG_DATA_HOME", h.join("data"))
        .env("XDG_STATE_HOME", h.join("state"))
        .env("TWITCH_CLIENT_ID", mock.client_id())
        .env("ROOMWATCH_TWITCH_EVENTSUB_URL", mock.eventsub_url())
        .env("ROOMWATCH_TWITCH_API_URL", mock.api_url())
        .env("ROOMWATCH_TWITCH_AUTH_URL", mock.auth_url())
        .env_remove("TWITCH_ACCESS_TOKEN")
        .env_remove(RUN_ENV)
        .env_remove("ROOMWATCH_BIN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("start roomwatch");
    let pid = child.id() as libc::pid_t;
    let reaper = std::thread::spawn(move || wait4(pid));
    assert!(
        mock.wait_subscribed(13, Duration::from_secs(30)),
        "subscribed"
    );
    let t = Instant::now();
    match rate {
        Some(rate) => {
            // Ticks of 10 ms, each with its share, on the schedule (not drifting with the sends).
            let per_tick = (rate / 100).max(1);
            let mut sent = 0;
            let mut tick = 0u64;
            while sent < n {
                let due = t + Duration::from_millis(10 * tick);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                for _ in 0..per_tick.min(n - sent) {
                    let (kind, version, ev) = event(sent);
                    mock.notify(kind, version, ev);
                    sent += 1;
                }
                tick += 1;
            }
        }
        None => {
            for i in 0..n {
                let (kind, version, ev) = event(i);
                mock.notify(kind, version, ev);
            }
        }
    }
    let (status, ru) = reaper.join().unwrap();
    let wall = t.elapsed().as_secs_f64();
    assert_eq!(status, 0, "roomwatch failed");
    Figures {
        wall,
        user: tv(ru.ru_utime),
        sys: tv(ru.ru_stime),
        maxrss_kb: ru.ru_maxrss,
    }
}
