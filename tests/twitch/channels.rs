//! The channel watch against the mock's Helix: changes found once, a maintenance window holds them and ends with
//! one catch-up diff, a restart reports what changed while off and re-announces nothing; and the binary's lines.

use crate::binary::{log_in, roomwatch, WAIT};
use crate::mock::{MockOptions, MockUser, StreamInfo, TwitchMock};
use crate::polls::http;
use roomwatch::sources::twitch::channels::Watched;
use roomwatch::sources::watch::channels::{ChannelChange, Channels};
use roomwatch::sources::watch::engine::{Health, Report, Timing};
use roomwatch::sources::watch::{self, SnapshotStore, WatchMsg};
use std::time::Duration;
use tokio::sync::mpsc;

/// roomwatch with `args`, stdout and stderr piped, and its stdout's lines as they come.
fn spawn_piped(
    home: &std::path::Path,
    mock: &TwitchMock,
    args: &[&str],
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let mut child = roomwatch(home, mock, args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let rx = stdout_lines(&mut child);
    (child, rx)
}

/// A home whose stored Twitch login is the mock's.
fn logged_in_home(mock: &TwitchMock) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    home
}

pub fn mock_with(logins: &[&str]) -> TwitchMock {
    TwitchMock::start(MockOptions {
        users: (logins.iter().enumerate())
            .map(|(i, l)| MockUser::new(&format!("{}", 5000 + i), l))
            .collect(),
        ..MockOptions::default()
    })
}

/// A watch running in the test.
struct Running {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    rx: mpsc::Receiver<WatchMsg<ChannelChange, Channels>>,
}

impl Running {
    /// Stops it as `roomwatch channels` does on a signal: at its next safe point, what it reported is saved.
    async fn stop(mut self) {
        let _ = self.stop.send(true);
        while self.rx.recv().await.is_some() {}
        self.task.await.unwrap();
    }
}

/// Starts the watch of `logins` with a fast timing; its messages arrive on the returned channel.
fn start(mock: &TwitchMock, logins: &[&str], store: &std::path::Path) -> Running {
    let http = http(mock);
    let access = mock.access_token();
    let logins: Vec<Watched> = (logins.iter())
        .map(|s| Watched {
            login: s.to_string(),
            id: None,
        })
        .collect();
    let fetch = move || {
        let (http, access, logins) = (http.clone(), access.clone(), logins.clone());
        async move {
            (http.channels(&access, &logins, 100).await)
                .map(|(s, _)| s)
                .map_err(|(f, _)| f)
        }
    };
    let timing = Timing {
        interval: Duration::from_millis(300),
        first_retry: Duration::from_millis(100),
        degraded_after: 2,
    };
    let (tx, rx) = mpsc::channel(64);
    let store = Some(SnapshotStore::new(store.to_path_buf()));
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(watch::run::<Channels, _, _>(
        timing,
        store,
        fetch,
        tx,
        stopping,
        Default::default(),
    ));
    Running { stop, task, rx }
}

/// The next change reports (channel, kind, while_off), skipping health reports into `health`.
async fn changes(
    rx: &mut mpsc::Receiver<WatchMsg<ChannelChange, Channels>>,
    n: usize,
    health: &mut Vec<Report<ChannelChange>>,
) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    while out.len() < n {
        match tokio::time::timeout(WAIT, rx.recv()).await {
            Ok(Some(WatchMsg::Report(Report::Changes {
                changes, while_off, ..
            }))) => out.extend(
                changes
                    .into_iter()
                    .map(|c| (c.channel, c.kind.to_string(), while_off)),
            ),
            Ok(Some(WatchMsg::Report(r))) => health.push(r),
            Ok(Some(WatchMsg::Polled(_))) => {}
            Ok(Some(WatchMsg::Notice(n))) => panic!("{n}"),
            _ => panic!("only {out:?}"),
        }
    }
    out
}

fn ch(c: &str, kind: &str, while_off: bool) -> (String, String, bool) {
    (c.into(), kind.into(), while_off)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_once_a_maintenance_window_holds_them_and_a_restart_re_announces_nothing() {
    let mock = mock_with(&["alpha", "beta", "gamma"]);
    mock.set_stream_for("alpha", Some(StreamInfo::live("Morning", "Art", 10)));
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("watch").join("twitch.json");
    let mut health = Vec::new();
    let mut w = start(&mock, &["alpha", "beta", "gamma"], &store);
    assert_eq!(
        changes(&mut w.rx, 1, &mut health).await,
        [ch("alpha", "went_live", false)]
    );

    mock.set_stream_for("beta", Some(StreamInfo::live("Hi", "Music", 5)));
    mock.set_stream_for("alpha", None);
    let mut got = changes(&mut w.rx, 2, &mut health).await;
    got.sort();
    assert_eq!(
        got,
        [
            ch("alpha", "went_offline", false),
            ch("beta", "went_live", false)
        ]
    );

    // Maintenance: 503s for a while; gamma goes live meanwhile; nobody goes offline because of the outage.
    mock.fail_streams(6, 503);
    mock.set_stream_for("gamma", Some(StreamInfo::live("Late", "Games", 7)));
    assert_eq!(
        changes(&mut w.rx, 1, &mut health).await,
        [ch("gamma", "went_live", false)]
    );
    assert!(health.iter().any(|r| matches!(
        r,
        Report::Health {
            health: Health::Maintenance,
            ..
        }
    )));
    assert!(health.iter().any(|r| matches!(r, Report::Recovered { .. })));
    w.stop().await;

    // A restart: beta went offline and alpha live while roomwatch was off; gamma is not announced again.
    mock.set_stream_for("beta", None);
    mock.set_stream_for("alpha", Some(StreamInfo::live("Back", "Art", 3)));
    let mut w = start(&mock, &["alpha", "beta", "gamma"], &store);
    let mut got = changes(&mut w.rx, 2, &mut health).await;
    got.sort();
    assert_eq!(
        got,
        [
            ch("alpha", "went_live", true),
            ch("beta", "went_offline", true)
        ]
    );
    // Nothing more but the tables of the good polls.
    let until = tokio::time::Instant::now() + Duration::from_millis(800);
    while let Ok(msg) = tokio::time::timeout_at(until, w.rx.recv()).await {
        assert!(matches!(msg, Some(WatchMsg::Polled(_))), "{msg:?}");
    }
    w.stop().await;
}

#[test]
fn the_binary_prints_one_line_per_change() {
    let mock = mock_with(&["alpha", "beta"]);
    mock.set_stream_for("beta", Some(StreamInfo::live("Hi \u{1b}[2J", "Music", 5)));
    let home = logged_in_home(&mock);
    let mut child = roomwatch(
        home.path(),
        &mock,
        &["channels", "--headless", "twitch:alpha", "Beta"],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let stdout = child.stdout.take().unwrap();
    let first = std::thread::spawn(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout)
            .lines()
            .next()
            .map(|l| l.unwrap())
    });
    let line = first.join().unwrap().expect("a line");
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!line.contains('\u{1b}'), "{line}");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["source"], "twitch");
    assert_eq!(v["room"], "beta");
    // However it ends, the summary pair says who was live.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("channel watch summary:"), "{stderr}");
    assert!(stderr.contains("1 of 2 channels live"), "{stderr}");
    let sessions = home.path().join("data/roomwatch/sessions");
    let json = std::fs::read_dir(&sessions)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .expect("the summary");
    assert!(json
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("roomwatch-channels-"));
    let sum: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(sum["exit_reason"], "sigterm");
    assert_eq!(sum["channels"][0]["channel"], "beta");
    assert_eq!(
        sum["channels"][0]["streams"][0]["to"],
        serde_json::Value::Null
    );
    let md = std::fs::read_to_string(json.with_extension("md")).unwrap();
    assert!(md.contains("| beta |") && !md.contains('\u{1b}'), "{md}");
    assert_eq!(v["kind"], "went_live");
    assert_eq!(v["data"]["initial"], true);
    assert_eq!(v["data"]["title"], "Hi \u{1b}[2J");
}

#[test]
fn a_refused_login_ends_the_watch_with_exit_3() {
    let mock = mock_with(&["alpha"]);
    let home = logged_in_home(&mock);
    mock.expire_access_token();
    mock.invalidate_refresh_token();
    let out = roomwatch(
        home.path(),
        &mock,
        &["channels", "--headless", "twitch:alpha"],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("roomwatch twitch login"), "{stderr}");
    assert!(out.stdout.is_empty());
}

/// The child's stdout lines, as they are written.
pub fn stdout_lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("stdout piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for l in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(l);
        }
    });
    rx
}

/// `roomwatch channels --headless …` until `n` lines came (then SIGTERM, exit 0), and its lines.
fn lines_of(
    mock: &TwitchMock,
    home: &std::path::Path,
    channels: &[&str],
    n: usize,
) -> Vec<serde_json::Value> {
    let mut args = vec!["channels", "--headless"];
    args.extend_from_slice(channels);
    let (child, rx) = spawn_piped(home, mock, &args);
    let mut got = Vec::new();
    while got.len() < n {
        let line = rx.recv_timeout(WAIT).expect("a change line");
        got.push(serde_json::from_str(&line).unwrap());
    }
    // Nothing more comes from this poll.
    if let Ok(extra) = rx.recv_timeout(Duration::from_millis(700)) {
        panic!("an extra line: {extra}");
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    got
}

#[test]
fn adding_a_channel_neither_re_announces_nor_loses_what_changed_while_off() {
    let mock = mock_with(&["alpha", "beta", "gamma"]);
    mock.set_stream_for("alpha", Some(StreamInfo::live("A", "Art", 10)));
    mock.set_stream_for("beta", Some(StreamInfo::live("B", "Art", 10)));
    let home = logged_in_home(&mock);
    let first = lines_of(&mock, home.path(), &["alpha", "beta"], 2);
    assert!(first
        .iter()
        .all(|l| l["kind"] == "went_live" && l["data"]["initial"] == true));
    // While off: beta ended, gamma (newly added to the list) is live.
    mock.set_stream_for("beta", None);
    mock.set_stream_for("gamma", Some(StreamInfo::live("G", "Art", 10)));
    let mut second = lines_of(&mock, home.path(), &["alpha", "beta", "gamma"], 2);
    second.sort_by_key(|l| l["room"].as_str().unwrap().to_string());
    assert_eq!(second[0]["room"], "beta");
    assert_eq!(second[0]["kind"], "went_offline");
    assert_eq!(second[0]["data"]["while_off"], true);
    assert_eq!(second[1]["room"], "gamma");
    assert_eq!(second[1]["kind"], "went_live");
}

/// With the application's secret, the watch polls with an app token (no `twitch login`); a channel Twitch does
/// not know is said once and never polled; a wrong secret is a refusal (exit 3).
#[test]
fn an_app_token_polls_without_a_login_and_an_unknown_channel_is_said_once() {
    let mock = mock_with(&["alpha", "beta"]);
    mock.set_stream_for("beta", Some(StreamInfo::live("Hi", "Music", 5)));
    let home = tempfile::tempdir().unwrap();
    let mut cmd = roomwatch(
        home.path(),
        &mock,
        &[
            "channels",
            "--headless",
            "twitch:alpha",
            "beta",
            "nobody_here",
        ],
    );
    cmd.env("TWITCH_CLIENT_SECRET", "mock-client-secret")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, first) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        if let Some(Ok(line)) = std::io::BufReader::new(stdout).lines().next() {
            let _ = tx.send(line);
        }
    });
    let Ok(line) = first.recv_timeout(WAIT) else {
        let _ = child.kill();
        panic!("no line within {WAIT:?}");
    };
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        (v["room"].as_str(), v["kind"].as_str()),
        (Some("beta"), Some("went_live"))
    );
    assert_eq!(
        stderr
            .matches("Twitch knows no channel named nobody_here; not watched")
            .count(),
        1,
        "{stderr}"
    );
    assert!(!stderr.contains("mock-client-secret"), "{stderr}");
    let polls: Vec<_> = (mock.requests().into_iter())
        .filter(|r| r.target.contains("/streams"))
        .collect();
    assert!(!polls.is_empty());
    for p in &polls {
        assert!(!p.target.contains("nobody_here"), "{}", p.target);
        let auth = p
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .unwrap();
        assert!(auth.1.starts_with("Bearer app"), "an app token: {}", auth.1);
    }

    let mut wrong = roomwatch(home.path(), &mock, &["channels", "--headless", "alpha"]);
    wrong.env("TWITCH_CLIENT_SECRET", "not-the-secret");
    let mut child = (wrong.stdout(std::process::Stdio::null()))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let code = crate::binary::wait_exit(&mut child);
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        !stderr.contains("twitch login"),
        "a login would not help: {stderr}"
    );
    assert!(stderr.contains("refused the app token"), "{stderr}");
    assert!(!stderr.contains("not-the-secret"), "{stderr}");
}

/// Helix's bucket: 250 channels take three requests; with two points left the third waits for the refill that
/// `Ratelimit-Reset` names instead of running into a 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_rate_limit_bucket_is_waited_for_not_run_into() {
    let mock = mock_with(&["alpha"]);
    mock.set_stream_for("alpha", Some(StreamInfo::live("Up", "Art", 10)));
    mock.limit_streams(2, Duration::from_secs(2));
    let http = http(&mock);
    let mut logins: Vec<Watched> = (0..249)
        .map(|i| Watched {
            login: format!("user_{i}"),
            id: None,
        })
        .collect();
    logins.push(Watched {
        login: "alpha".into(),
        id: None,
    });
    let started = std::time::Instant::now();
    let (polled, _) = http
        .channels(&mock.access_token(), &logins, 100)
        .await
        .expect("a poll that waits for the bucket");
    assert!(polled.channels["alpha"].live);
    assert_eq!(polled.channels.len(), 250);
    assert_eq!(
        mock.stream_429s(),
        0,
        "no request ran into the empty bucket"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the third request waited"
    );
}

/// A channel asked for by id stays the one watched when it is renamed: reported under the name it was given,
/// with the new name said.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_channel_is_followed_by_its_id() {
    let mock = mock_with(&["alpha", "beta"]);
    mock.set_stream_for("alpha", Some(StreamInfo::live("Up", "Art", 10)));
    let http = http(&mock);
    let watched = [
        Watched {
            login: "alpha".into(),
            id: Some("5000".into()),
        },
        Watched {
            login: "beta".into(),
            id: Some("5001".into()),
        },
    ];
    mock.rename_user("alpha", "alpha_new");
    let (polled, renamed) = http
        .channels(&mock.access_token(), &watched, 100)
        .await
        .unwrap();
    assert!(polled.channels["alpha"].live, "{polled:?}");
    assert!(!polled.channels.contains_key("alpha_new"));
    assert_eq!(renamed, [("alpha".to_string(), "alpha_new".to_string())]);
    // By login, the old name finds nothing: the channel would look offline.
    let by_login = [Watched {
        login: "alpha".into(),
        id: None,
    }];
    let (polled, _) = http
        .channels(&mock.access_token(), &by_login, 100)
        .await
        .unwrap();
    assert!(!polled.channels["alpha"].live);
}

/// `roomwatch watch --demo 1 --rate RATE --headless` with `config` (TOML) as its config file, and its stdout lines.
fn watch_with(
    mock: &TwitchMock,
    home: &std::path::Path,
    config: &str,
    rate: &str,
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let file = home.join("watch.toml");
    std::fs::write(&file, config).unwrap();
    let file = file.to_str().unwrap();
    let args = [
        "watch",
        "--demo",
        "1",
        "--rate",
        rate,
        "--headless",
        "--no-journal",
        "--config",
        file,
    ];
    spawn_piped(home, mock, &args)
}

/// `roomwatch watch` with channels in `[watch]`: the rooms' lines and the channels' changes on one stdout, and
/// both summaries at the end.
#[test]
fn watch_runs_the_config_channels_beside_the_rooms() {
    let mock = mock_with(&["alpha", "beta"]);
    mock.set_stream_for("alpha", Some(StreamInfo::live("Up", "Art", 10)));
    let home = logged_in_home(&mock);
    let (child, rx) = watch_with(
        &mock,
        home.path(),
        "[watch]\nchannels = [\"alpha\", { name = \"twitch:beta\", alert = true }]\n",
        "50",
    );
    let (mut room_lines, mut channel_line) = (0, None);
    while channel_line.is_none() || room_lines < 5 {
        let line = rx.recv_timeout(WAIT).expect("lines of both");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        if v["source"] == "twitch" {
            channel_line = Some(v);
        } else {
            room_lines += 1;
        }
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v = channel_line.unwrap();
    assert_eq!(
        (v["room"].as_str(), v["kind"].as_str()),
        (Some("alpha"), Some("went_live"))
    );
    assert!(stderr.contains("channel watch summary:"), "{stderr}");
    assert!(stderr.contains("session summary:"), "{stderr}");
}

/// A stored login past its hours is refreshed before the names are checked, so the channels are polled by id
/// (renames followed) from the start.
#[test]
fn an_expired_token_at_start_is_refreshed_and_the_channels_polled_by_id() {
    let mock = mock_with(&["alpha"]);
    mock.set_stream_for("alpha", Some(StreamInfo::live("Up", "Art", 10)));
    let home = logged_in_home(&mock);
    mock.expire_access_token();
    let got = lines_of(&mock, home.path(), &["alpha"], 1);
    assert_eq!(got[0]["kind"], "went_live");
    let streams: Vec<String> = (mock.requests().iter())
        .filter(|r| r.target.starts_with("/helix/streams"))
        .map(|r| r.target.clone())
        .collect();
    assert!(
        streams.iter().all(|t| t.contains("user_id=5000")),
        "{streams:?}"
    );
    assert_eq!(mock.refreshes(), 1);
}

/// Beside rooms, a channel watch whose login is refused stops by itself and says so; the rooms go on and the
/// session ends normally.
#[test]
fn in_watch_a_refused_channel_watch_stops_and_the_rooms_go_on() {
    let mock = mock_with(&["alpha"]);
    let home = logged_in_home(&mock);
    let (child, rx) = watch_with(
        &mock,
        home.path(),
        "[watch]\ninterval = 15\nchannels = [\"alpha\"]\n",
        "20",
    );
    // The first poll went through; then the login is revoked for good.
    let streams = || {
        (mock.requests().iter())
            .filter(|r| r.target.starts_with("/helix/streams"))
            .count()
    };
    let t = std::time::Instant::now();
    while streams() < 1 {
        assert!(t.elapsed() < WAIT, "no first poll");
        std::thread::sleep(Duration::from_millis(50));
    }
    mock.expire_access_token();
    mock.invalidate_refresh_token();
    // The next poll (15 s) is refused; the room's lines keep coming after it.
    while streams() < 2 {
        assert!(t.elapsed() < Duration::from_secs(40), "no second poll");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    while rx.try_recv().is_ok() {}
    rx.recv_timeout(WAIT).expect("the room goes on");
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("the channel watch stopped"), "{stderr}");
    assert!(!stderr.contains("Chaturbate"), "{stderr}");
}
