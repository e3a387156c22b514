//! The binary, headless, against the loopback mock: exact event lines through a reconnect, a keepalive silence,
//! close codes and a token expiry; exit codes 0/2/3; the device-code login; no token in any byte written.

use crate::mock::{DeviceOutcome, MockOptions, TwitchMock};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Every subscription the monitor makes with the default scopes.
pub const ALL_SUBS: usize = 13;
pub const WAIT: Duration = Duration::from_secs(30);

/// The API tests' sandboxed command (own HOME and XDG dirs, no credentials from the developer's environment),
/// pointed at the mock.
pub fn roomwatch(home: &Path, mock: &TwitchMock, args: &[&str]) -> Command {
    let mut cmd = crate::served::roomwatch(home, args);
    cmd.env("TWITCH_CLIENT_ID", mock.client_id())
        .env("ROOMWATCH_TWITCH_EVENTSUB_URL", mock.eventsub_url())
        .env("ROOMWATCH_TWITCH_API_URL", mock.api_url())
        .env("ROOMWATCH_TWITCH_AUTH_URL", mock.auth_url());
    cmd
}

pub fn token_path(home: &Path) -> PathBuf {
    home.join("data/roomwatch/twitch/token.json")
}

/// Stores a login for the mock's broadcaster, as `roomwatch twitch login` would.
pub fn log_in(home: &Path, access: &str, refresh: &str) {
    let path = token_path(home);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let token = json!({
        "access": access, "refresh": refresh, "expires_at": null,
        "scopes": crate::mock::ALL_SCOPES, "login": "streamer", "user_id": "1001",
    });
    std::fs::write(&path, token.to_string()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// A headless session whose stdout lines arrive on a channel as they are written.
pub struct Session {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    pub got: Vec<Value>,
}

impl Session {
    pub fn start(home: &Path, mock: &TwitchMock, extra: &[&str]) -> Session {
        let mut args = vec!["twitch", "--headless", "--summary-dir"];
        let sessions = home.join("sessions");
        args.push(sessions.to_str().unwrap());
        args.extend_from_slice(extra);
        let mut child = roomwatch(home, mock, &args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start roomwatch");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Session {
            child,
            lines,
            got: Vec::new(),
        }
    }

    /// Stops the session and fails with what it said on stderr.
    pub fn fail(&mut self, what: &str) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut stderr = String::new();
        use std::io::Read;
        let _ = self
            .child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr);
        panic!("{what}; lines {:?}; stderr:\n{stderr}", self.got);
    }

    pub fn check(&mut self, ok: bool, what: &str) {
        if !ok {
            self.fail(what);
        }
    }

    /// The next line, if one comes within `wait`.
    pub fn next_line(&mut self, wait: Duration) -> Option<Value> {
        let line = self.lines.recv_timeout(wait).ok()?;
        let v: Value = serde_json::from_str(&line).expect("a JSON line");
        self.got.push(v.clone());
        Some(v)
    }

    /// Waits until `n` lines in all have been printed.
    pub fn wait_lines(&mut self, n: usize) {
        while self.got.len() < n {
            let Ok(line) = self.lines.recv_timeout(WAIT) else {
                self.fail(&format!("only {} of {n} lines", self.got.len()));
            };
            self.got
                .push(serde_json::from_str(&line).expect("a JSON line"));
        }
    }

    /// Waits for the exit; the rest of stdout is collected, stderr returned.
    pub fn finish(mut self) -> (Option<i32>, Vec<Value>, String) {
        let status = wait_exit(&mut self.child);
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.got
                .push(serde_json::from_str(&line).expect("a JSON line"));
        }
        let mut stderr = String::new();
        use std::io::Read;
        let _ = self
            .child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr);
        (status, self.got, stderr)
    }
}

/// The one wait with a deadline, shared with the API tests.
pub use crate::served::wait_exit;

pub fn chat(text: &str) -> Value {
    json!({"broadcaster_user_id":"1001","broadcaster_user_login":"streamer","broadcaster_user_name":"Streamer",
           "chatter_user_id":"2001","chatter_user_login":"viewer1","chatter_user_name":"Viewer1",
           "message_id":"m","message":{"text":text,"fragments":[]},"color":"",
           "badges":[{"set_id":"subscriber","id":"12","info":"12"}],"message_type":"text",
           "cheer":null,"reply":null})
}

pub fn cheer(user: Option<&str>, bits: u64) -> Value {
    json!({"is_anonymous": user.is_none(), "user_id": user.map(|_| "2002"), "user_login": user,
           "user_name": user, "broadcaster_user_id":"1001","broadcaster_user_login":"streamer",
           "broadcaster_user_name":"Streamer","message":"cheer100 go","bits":bits})
}

fn user_event(login: &str, extra: Value) -> Value {
    let mut e = json!({"user_id":"3003","user_login":login,"user_name":login,
                       "broadcaster_user_id":"1001","broadcaster_user_login":"streamer",
                       "broadcaster_user_name":"Streamer"});
    e.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    e
}

/// Every file under `dir`, as text.
pub fn all_files(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push((
                p.clone(),
                String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into(),
            ));
        }
    }
}

#[test]
fn a_session_through_reconnect_silence_close_and_expiry_loses_and_doubles_nothing() {
    let mock = TwitchMock::start(MockOptions {
        keepalive_secs: Some(2),
        ..MockOptions::default()
    });
    let first_access = mock.access_token();
    let first_refresh = mock.refresh_token();
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &first_access, &first_refresh);
    let mut s = Session::start(home.path(), &mock, &["--max-events", "12"]);
    s.check(mock.wait_subscribed(ALL_SUBS, WAIT), "subscribed");
    let mut want = vec![
        mock.notify("channel.chat.message", "1", chat("hello")),
        mock.notify("channel.cheer", "1", cheer(Some("bigfan"), 500)),
        mock.notify("channel.cheer", "1", cheer(None, 100)),
        mock.notify(
            "channel.subscribe",
            "1",
            user_event("newsub", json!({"tier":"1000","is_gift":false})),
        ),
        mock.notify(
            "channel.subscription.gift",
            "1",
            user_event("gifter", json!({"tier":"2000","total":5,"is_anonymous":false,"cumulative_total":null})),
        ),
        mock.notify(
            "channel.channel_points_custom_reward_redemption.add",
            "1",
            user_event("redeemer", json!({"id":"r1","user_input":"play it","status":"unfulfilled",
                "reward":{"id":"rw","title":"Hydrate","cost":100,"prompt":""},"redeemed_at":"2026-11-28T12:00:00Z"})),
        ),
    ];
    // A duplicate of the cheer: Twitch delivers at least once.
    mock.resend(&want[1]);
    s.wait_lines(want.len());

    // Twitch asks for a reconnect; the notification arrives on both sockets while they overlap.
    mock.reconnect();
    s.check(mock.wait_connections(2, WAIT), "reconnect socket");
    want.push(mock.notify_both(
        "channel.raid",
        "1",
        json!({"from_broadcaster_user_id":"4004","from_broadcaster_user_login":"raider",
               "from_broadcaster_user_name":"Raider","to_broadcaster_user_id":"1001",
               "to_broadcaster_user_login":"streamer","to_broadcaster_user_name":"Streamer","viewers":42}),
    ));
    s.wait_lines(want.len());
    let after_reconnect = mock.subscriptions_created().len();
    assert_eq!(
        after_reconnect, ALL_SUBS,
        "a requested reconnect re-creates nothing"
    );

    // The socket goes silent: the watchdog reconnects to the base URL and subscribes again.
    mock.silence();
    s.check(mock.wait_connections(3, WAIT), "reconnect after silence");
    assert!(
        mock.wait_subscribed(ALL_SUBS, WAIT),
        "re-subscribed after silence"
    );
    want.push(mock.notify(
        "channel.follow",
        "2",
        user_event("follower", json!({"followed_at":"2026-11-28T12:00:00Z"})),
    ));
    s.wait_lines(want.len());

    // Every close code reconnects; the token expires on the way (401 → one refresh → subscriptions again).
    mock.expire_access_token();
    for (n, code) in [4000u16, 4005, 4007].into_iter().enumerate() {
        mock.close(code);
        assert!(
            mock.wait_connections(4 + n as u64, WAIT),
            "reconnect after {code}"
        );
        assert!(
            mock.wait_subscribed(ALL_SUBS, WAIT),
            "re-subscribed after {code}"
        );
    }
    assert_eq!(mock.refreshes(), 1);
    want.push(mock.notify("channel.chat.message", "1", chat("still here")));
    want.push(mock.notify(
        "channel.subscription.message",
        "1",
        user_event(
            "loyal",
            json!({"tier":"1000","message":{"text":"3 months!","emotes":null},
            "cumulative_months":3,"streak_months":null,"duration_months":1}),
        ),
    ));
    want.push(mock.notify("user.whisper.message", "1", json!({"from_user_id":"5","from_user_login":"whisperer",
        "from_user_name":"W","to_user_id":"1001","to_user_login":"streamer","to_user_name":"Streamer",
        "whisper_id":"w1","whisper":{"text":"psst"}})));
    want.push(mock.notify(
        "stream.online",
        "1",
        json!({"id":"s1","broadcaster_user_id":"1001",
        "broadcaster_user_login":"streamer","broadcaster_user_name":"Streamer","type":"live",
        "started_at":"2026-11-28T12:00:00Z"}),
    ));
    assert_eq!(want.len(), 12);
    let (code, lines, stderr) = s.finish();
    assert_eq!(code, Some(0), "{stderr}");

    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        want.iter().map(String::as_str).collect::<Vec<_>>(),
        "{stderr}"
    );
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "chat_message",
            "cheer",
            "cheer",
            "subscription",
            "sub_gift",
            "redemption",
            "raid",
            "follow",
            "chat_message",
            "resubscription",
            "private_message",
            "broadcast_start"
        ]
    );
    assert_eq!(lines[0]["badges"], json!(["subscriber"]));
    assert_eq!(lines[1]["user"], "bigfan");
    assert_eq!(lines[1]["bits"], 500);
    assert_eq!(lines[2]["user"], Value::Null);
    assert_eq!(lines[2]["anonymous"], true);
    assert!(lines
        .iter()
        .all(|l| l["room"] == "streamer" && l["source"] == "twitch"));

    // The refreshed pair was stored (the old refresh token is spent), 0600.
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(token_path(home.path())).unwrap()).unwrap();
    assert_eq!(stored["access"], mock.access_token());
    assert_eq!(stored["refresh"], mock.refresh_token());
    assert_ne!(stored["refresh"], first_refresh.as_str());

    // The client sent nothing but pongs and closes.
    for (_, f) in mock.client_frames() {
        assert!(
            matches!(
                f,
                crate::mock::ClientFrame::Pong(_) | crate::mock::ClientFrame::Close(_)
            ),
            "{f:?}"
        );
    }
    // No token in any byte roomwatch wrote, except the token store.
    let secrets = [
        first_access,
        first_refresh,
        mock.access_token(),
        mock.refresh_token(),
    ];
    let mut files = Vec::new();
    all_files(home.path(), &mut files);
    files.push(("stderr".into(), stderr.clone()));
    files.push(("stdout".into(), serde_json::to_string(&lines).unwrap()));
    for (path, text) in &files {
        if path == &token_path(home.path()) {
            continue;
        }
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "a token in {}", path.display());
        }
    }
    // Tokens went only to the API and auth paths, never in a URL.
    for r in mock.requests() {
        for s in &secrets {
            assert!(!r.target.contains(s.as_str()), "a token in {}", r.target);
        }
    }
    // The summary counts the cheers in bits, with the anonymous one apart.
    let summary = files
        .iter()
        .find(|(p, _)| {
            p.extension().is_some_and(|e| e == "json")
                && p.starts_with(home.path().join("sessions"))
        })
        .expect("a summary");
    let summary: Value = serde_json::from_str(&summary.1).unwrap();
    assert_eq!(summary["bits"]["bits"], 600, "{summary:#}");
    assert_eq!(summary["bits"]["anonymous"]["bits"], 100);
    assert_eq!(summary["subs"]["gifted"], 5);
    assert_eq!(summary["raids"]["viewers"], 42);
}

#[test]
fn a_refused_token_without_a_working_refresh_exits_3() {
    let mock = TwitchMock::start(MockOptions::default());
    let home = tempfile::tempdir().unwrap();
    log_in(
        home.path(),
        "notthevalidaccesstoken000",
        "notthevalidrefreshtoken000",
    );
    let out: Output = roomwatch(
        home.path(),
        &mock,
        &["twitch", "--headless", "--no-journal"],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("twitch login"), "{stderr}");
    assert!(!stderr.contains("notthevalid"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn usage_errors_exit_2_naming_what_to_fix() {
    let mock = TwitchMock::start(MockOptions::default());
    let home = tempfile::tempdir().unwrap();
    let run = |cmd: &mut Command| {
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&mut roomwatch(
        home.path(),
        &mock,
        &["twitch", "--headless"],
    ));
    assert_eq!(code, Some(2));
    assert!(err.contains("roomwatch twitch login"), "{err}");
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    let (code, err) = run(roomwatch(home.path(), &mock, &["twitch", "--headless"])
        .env("ROOMWATCH_TWITCH_API_URL", "https://api.example.com/helix"));
    assert_eq!(code, Some(2));
    assert!(err.contains("ROOMWATCH_TWITCH_API_URL"), "{err}");
    let (code, err) = run(
        roomwatch(home.path(), &mock, &["twitch", "--headless"]).env_remove("TWITCH_CLIENT_ID")
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("dev.twitch.tv/console"), "{err}");
    let (code, err) = run(&mut roomwatch(
        home.path(),
        &mock,
        &["twitch", "--headless", "no such!"],
    ));
    assert_eq!(code, Some(2));
    assert!(err.contains("not a Twitch login"), "{err}");
}

#[test]
fn login_polls_at_the_interval_slows_down_and_stores_the_token() {
    let mock = TwitchMock::start(MockOptions {
        device_interval_secs: 1,
        device_outcomes: vec![
            DeviceOutcome::Pending,
            DeviceOutcome::SlowDown,
            DeviceOutcome::Approve,
        ],
        ..MockOptions::default()
    });
    let home = tempfile::tempdir().unwrap();
    let out = roomwatch(home.path(), &mock, &["twitch", "login"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("enter the code"), "{stderr}");
    assert!(
        stderr.contains("Logged in to Twitch as streamer"),
        "{stderr}"
    );
    let polls = mock.device_polls();
    assert_eq!(polls.len(), 3);
    assert!(polls[1] - polls[0] >= Duration::from_millis(950));
    assert!(
        polls[2] - polls[1] >= Duration::from_millis(5900),
        "slow_down adds 5 s"
    );
    let path = token_path(home.path());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(stored["access"], mock.access_token());
    assert_eq!(stored["login"], "streamer");
    assert_eq!(stored["user_id"], "1001");
    assert!(!stderr.contains(&mock.access_token()));

    // Logout revokes (the token stops working) and deletes.
    let out = roomwatch(home.path(), &mock, &["twitch", "logout"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!path.exists());
    assert!(!mock.access_token_valid());
}

#[test]
fn login_denied_or_expired_exits_3_with_what_to_do() {
    for (outcome, says) in [
        (DeviceOutcome::Denied, "declined"),
        (DeviceOutcome::Expired, "expired"),
    ] {
        let mock = TwitchMock::start(MockOptions {
            device_interval_secs: 1,
            device_outcomes: vec![DeviceOutcome::Pending, outcome],
            ..MockOptions::default()
        });
        let home = tempfile::tempdir().unwrap();
        let out = roomwatch(home.path(), &mock, &["twitch", "login"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert!(stderr.contains("roomwatch twitch login"), "{stderr}");
        assert!(!token_path(home.path()).exists());
    }
}

#[test]
fn two_twitch_rooms_share_one_login_and_refresh_it_once() {
    let mock = TwitchMock::start(MockOptions {
        users: vec![crate::mock::MockUser::new("7007", "friend")],
        ..MockOptions::default()
    });
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    // Both rooms start on an expired token: one refresh serves both (a refresh token works once).
    mock.expire_access_token();
    let config = home.path().join("rooms.toml");
    std::fs::write(
        &config,
        "[[rooms]]\nplatform = \"twitch\"\n\n[[rooms]]\nplatform = \"twitch\"\nname = \"friend\"\n",
    )
    .unwrap();
    let sessions = home.path().join("sessions");
    let mut child = roomwatch(
        home.path(),
        &mock,
        &[
            "watch",
            "--headless",
            "--no-journal",
            "--config",
            config.to_str().unwrap(),
            "--summary-dir",
            sessions.to_str().unwrap(),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let both = mock.wait_until(WAIT, |m| {
        m.subscriptions()
            .iter()
            .filter(|s| s.status == "enabled")
            .count()
            == 2 * ALL_SUBS
    });
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let code = wait_exit(&mut child);
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(both, "both rooms subscribed: {stderr}");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(mock.refreshes(), 1, "{stderr}");
    let conditions: Vec<String> = (mock.subscriptions().iter())
        .filter(|s| s.sub_type == "channel.cheer")
        .map(|s| {
            s.condition["broadcaster_user_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        conditions.contains(&"1001".into()) && conditions.contains(&"7007".into()),
        "{conditions:?}"
    );
    let summaries: Vec<_> = std::fs::read_dir(&sessions)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(summaries.len(), 2);
}

#[test]
fn a_journal_of_a_live_session_replays_to_the_same_lines() {
    let mock = TwitchMock::start(MockOptions {
        chatters: vec!["lurker".into()],
        ..MockOptions::default()
    });
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    let journal = home.path().join("live.jsonl");
    let mut s = Session::start(
        home.path(),
        &mock,
        &["--journal", journal.to_str().unwrap(), "--max-events", "4"],
    );
    s.check(mock.wait_subscribed(ALL_SUBS, WAIT), "subscribed");
    // The polled enter of `lurker` is one of the four.
    s.wait_lines(1);
    mock.notify("channel.chat.message", "1", chat("héllo \u{1b}[2J"));
    mock.notify("channel.cheer", "1", cheer(None, 42));
    mock.notify(
        "channel.raid",
        "1",
        serde_json::json!({"from_broadcaster_user_login": "raider", "viewers": 7}),
    );
    let (code, live, stderr) = s.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        live.iter()
            .any(|l| l["kind"] == "user_enter" && l["polled"] == true),
        "{live:?}"
    );
    let out = roomwatch(
        home.path(),
        &mock,
        &[
            "replay",
            journal.to_str().unwrap(),
            "--headless",
            "--no-journal",
        ],
    )
    .arg("--summary-dir")
    .arg(home.path().join("replayed"))
    .output()
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let replayed: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(replayed, live);
}

#[test]
fn a_channel_twitch_does_not_know_ends_with_exit_4() {
    let mock = TwitchMock::start(MockOptions::default());
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    let out = roomwatch(
        home.path(),
        &mock,
        &["twitch", "nosuchchannel", "--headless", "--no-journal"],
    )
    .arg("--summary-dir")
    .arg(home.path().join("sessions"))
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("no channel named nosuchchannel"),
        "{stderr}"
    );
}
