//! The release-shaped checks through the binary (issue 9): what reaches stderr, the files, the exit codes.

use crate::server::{Answer, Hostile};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const TOKEN: &str = "BinaryHardeningToken0123456789";

/// `roomwatch ARGS` with a private home, no stdin, and `CB_EVENTS_URL` when given.
fn roomwatch(home: &Path, url: Option<&str>, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_roomwatch"));
    cmd.args(args)
        .env_remove("CB_EVENTS_URL")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .stdin(Stdio::null());
    if let Some(u) = url {
        cmd.env("CB_EVENTS_URL", u);
    }
    cmd
}

/// Runs `cmd` to its end and checks it exited 0 (the message is its stderr).
fn succeeds(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run roomwatch");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn files_in(dir: &Path, ext: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default()
}

fn summary(dir: &Path) -> serde_json::Value {
    let json = files_in(dir, "json").pop().expect("a JSON summary");
    serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap()
}

/// One reply with `events`, then empty long polls answered after a short hold.
fn serve_once(events: Vec<String>) -> Hostile {
    Hostile::start(move |n, _| {
        if n == 1 {
            Answer::json(&format!(
                r#"{{"events":[{}],"nextUrl":null}}"#,
                events.join(",")
            ))
        } else {
            std::thread::sleep(std::time::Duration::from_millis(200));
            Answer::json(r#"{"events":[],"nextUrl":null}"#)
        }
    })
}

fn tip(id: u32, user: &str, tokens: &str, anon: &str) -> String {
    format!(
        r#"{{"method":"tip","id":"1795000000000-{id}","object":{{"tip":{{"tokens":{tokens},"isAnon":{anon},"message":""}},"user":{{"username":"{user}"}}}}}}"#
    )
}

#[test]
fn no_escape_byte_reaches_stderr_or_the_markdown_summary() {
    // 0.1.0: an OSC 0 in the biggest tipper's name retitled the tmux pane from the end report; OSC 52
    // reached headless stderr.
    let hostile_name = r"evil\u001b]0;pwned\u0007\u001b]52;c;cm0gLXJm\u0007\u009b2J\u200b";
    let server = serve_once(vec![
        tip(1, hostile_name, "500", "false"),
        tip(2, "plain", "5", "false"),
    ]);
    let home = tempfile::tempdir().unwrap();
    let sessions = home.path().join("sessions");
    let out = succeeds(&mut roomwatch(
        home.path(),
        Some(&server.events_url(TOKEN)),
        &[
            "chaturbate",
            "--headless",
            "--no-journal",
            "--max-events",
            "2",
            "--summary-dir",
            sessions.to_str().unwrap(),
        ],
    ));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("biggest 500 by evil"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}') && !stderr.contains('\u{9b}'),
        "{stderr:?}"
    );
    assert!(!stderr.contains('\u{200b}'), "{stderr:?}");
    assert!(!out.stdout.contains(&0x1b), "raw ESC on stdout");
    let md = std::fs::read_to_string(files_in(&sessions, "md").pop().unwrap()).unwrap();
    assert!(!md.chars().any(|c| c.is_control() && c != '\n'), "{md:?}");
    assert!(!md.contains("]0;") && !md.contains("]52;"), "{md}");
}

#[test]
fn an_anonymous_tip_is_never_named_live_or_in_replay_and_unreadable_money_is_counted() {
    let server = serve_once(vec![
        tip(1, "hidden_one", "\"25\"", "\"true\""),
        tip(2, "hidden_two", "-5", "true"),
        tip(3, "hidden_three", "25.0", "1"),
        tip(4, "named", "10", "false"),
    ]);
    let home = tempfile::tempdir().unwrap();
    let sessions = home.path().join("sessions");
    let journal = home.path().join("j.jsonl");
    let out = succeeds(&mut roomwatch(
        home.path(),
        Some(&server.events_url(TOKEN)),
        &[
            "chaturbate",
            "--headless",
            "--max-events",
            "4",
            "--journal",
            journal.to_str().unwrap(),
            "--summary-dir",
            sessions.to_str().unwrap(),
        ],
    ));
    let live = text(&out.stdout);
    assert_eq!(live.lines().count(), 4, "{live}");
    assert!(!live.contains("hidden_"), "{live}");
    assert!(live.contains("named"));
    let s = summary(&sessions);
    assert_eq!(s["tips"]["count"], 3, "{s}");
    assert_eq!(s["tips"]["tokens"], 60, "{s}");
    assert_eq!(s["tips"]["anonymous"]["count"], 2, "{s}");
    assert_eq!(
        s["events"]["skipped"], 1,
        "the -5 tip is missing from the totals: {s}"
    );
    // The journal keeps the original JSON (0600); its replay names nobody either.
    let replay_sessions = home.path().join("replayed");
    let out = succeeds(&mut roomwatch(
        home.path(),
        None,
        &[
            "replay",
            journal.to_str().unwrap(),
            "--headless",
            "--summary-dir",
            replay_sessions.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        text(&out.stdout),
        live,
        "replay equals the live run byte for byte"
    );
    assert_eq!(summary(&replay_sessions)["events"]["skipped"], 1);
}

#[test]
fn a_huge_timeout_in_the_url_runs_instead_of_ending_clean() {
    // 0.1.0: the poller panicked on `timeout=1e20`, the channel closed, and headless exited 0 with
    // `exit_reason: end_of_replay`.
    let server = serve_once(vec![tip(1, "a", "5", "false"), tip(2, "b", "6", "false")]);
    let home = tempfile::tempdir().unwrap();
    let sessions = home.path().join("sessions");
    let url = format!("{}?timeout=1e20", server.events_url(TOKEN));
    succeeds(&mut roomwatch(
        home.path(),
        Some(&url),
        &[
            "chaturbate",
            "--headless",
            "--no-journal",
            "--max-events",
            "2",
            "--summary-dir",
            sessions.to_str().unwrap(),
        ],
    ));
    assert_eq!(summary(&sessions)["exit_reason"], "max_events");
    assert!(server.seen()[0].target.contains("timeout=90"));
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "fault injection exists in debug builds only"
)]
fn a_panicking_source_is_exit_4_and_a_panic_in_the_summary_never_a_clean_end() {
    let home = tempfile::tempdir().unwrap();
    let sessions = home.path().join("sessions");
    let out = roomwatch(
        home.path(),
        None,
        &[
            "demo",
            "--headless",
            "--no-journal",
            "--rate",
            "0",
            "--summary-dir",
            sessions.to_str().unwrap(),
        ],
    )
    .env("ROOMWATCH_FAULT_SOURCE_PANIC_AFTER_BATCHES", "3")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("internal error"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(summary(&sessions)["exit_reason"], "panic");
}

#[test]
fn the_live_screen_without_a_terminal_is_a_usage_error_before_anything_starts() {
    // 0.1.0 started the source and wrote files, then exited 4.
    let server = serve_once(vec![]);
    let home = tempfile::tempdir().unwrap();
    let sessions = home.path().join("sessions");
    let out = roomwatch(
        home.path(),
        Some(&server.events_url(TOKEN)),
        &["chaturbate", "--summary-dir", sessions.to_str().unwrap()],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("no terminal"),
        "{}",
        text(&out.stderr)
    );
    assert!(server.seen().is_empty(), "no request was sent");
    assert!(!sessions.exists(), "no summary was written");
    assert!(!home.path().join("data").exists(), "no journal was opened");
}

#[test]
fn an_events_url_given_as_the_credentials_file_is_masked() {
    // 0.1.0 printed `cannot read the Events API URL file https://…/TOKEN/`.
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    let secret = "UnregisteredFileNameToken42";
    std::fs::write(
        &config,
        format!("credentials_file = \"https://eventsapi.chaturbate.com/events/bob/{secret}/\"\n"),
    )
    .unwrap();
    let log = home.path().join("roomwatch.log");
    let out = roomwatch(
        home.path(),
        None,
        &[
            "chaturbate",
            "--headless",
            "--config",
            config.to_str().unwrap(),
            "--log-file",
            log.to_str().unwrap(),
            "--log-level",
            "trace",
        ],
    )
    .output()
    .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("/events/bob/***"), "{stderr}");
    assert!(!stderr.contains(secret), "{stderr}");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!logged.contains(secret), "{logged}");
}

#[test]
fn a_second_run_on_the_same_room_is_refused_with_the_first_ones_pid() {
    let server = Hostile::start(|_, _| {
        std::thread::sleep(std::time::Duration::from_millis(300));
        Answer::json(r#"{"events":[],"nextUrl":null}"#)
    });
    let home = tempfile::tempdir().unwrap();
    let url = server.events_url(TOKEN);
    let mut first = roomwatch(
        home.path(),
        Some(&url),
        &["chaturbate", "--headless", "--no-journal"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while server.seen().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the first run never polled"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // 0.1.0 let the second run poll for ever: it gets 30 s to be refused, then the test fails.
    let mut second = roomwatch(
        home.path(),
        Some(&url),
        &["chaturbate", "--headless", "--no-journal"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while second.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = second.kill();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let second = second.wait_with_output().unwrap();
    let _ = first.kill();
    let _ = first.wait();
    assert_eq!(second.status.code(), Some(2), "{}", text(&second.stderr));
    let stderr = text(&second.stderr);
    assert!(stderr.contains(&format!("pid {}", first.id())), "{stderr}");
    assert!(stderr.contains("alice"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn log_files_are_private_new_existing_and_daily() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let log = home.path().join("existing.log");
    std::fs::write(&log, "old line\n").unwrap();
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap();
    let demo = [
        "demo",
        "--headless",
        "--no-journal",
        "--rate",
        "0",
        "--max-events",
        "3",
    ];
    let mut args = demo.to_vec();
    args.extend(["--log-file", log.to_str().unwrap()]);
    let out = roomwatch(home.path(), None, &args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::metadata(&log).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Daily files in the state dir.
    let out = roomwatch(home.path(), None, &demo).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let logs = files_in(&home.path().join("state").join("roomwatch"), "log");
    assert!(!logs.is_empty(), "a daily log file");
    for l in logs {
        assert_eq!(
            std::fs::metadata(&l).unwrap().permissions().mode() & 0o777,
            0o600,
            "{}",
            l.display()
        );
    }
}

#[test]
fn speeds_and_rates_that_would_overflow_the_clock_are_usage_errors() {
    // 0.1.0: `replay --speed 1e-300` panicked in the replay task and froze the live screen.
    let home = tempfile::tempdir().unwrap();
    let journal = home.path().join("j.jsonl");
    std::fs::write(&journal, "").unwrap();
    for args in [
        vec![
            "replay",
            journal.to_str().unwrap(),
            "--headless",
            "--speed",
            "1e-300",
        ],
        vec![
            "replay",
            journal.to_str().unwrap(),
            "--headless",
            "--speed",
            "1e300",
        ],
        vec!["demo", "--headless", "--rate", "1e-300"],
    ] {
        let out = roomwatch(home.path(), None, &args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn chat_that_looks_like_an_events_url_is_journaled_and_replayed_as_it_was() {
    // The shape masking is for errors and logs; events are data and stay exact (replay equals live).
    let chat = r#"{"method":"chatMessage","id":"1795000000000-1","object":{"message":{"message":"see example.com/events/summer/2026 now"},"user":{"username":"u"}}}"#;
    let server = serve_once(vec![chat.to_string()]);
    let home = tempfile::tempdir().unwrap();
    let journal = home.path().join("j.jsonl");
    let live = succeeds(&mut roomwatch(
        home.path(),
        Some(&server.events_url(TOKEN)),
        &[
            "chaturbate",
            "--headless",
            "--max-events",
            "1",
            "--journal",
            journal.to_str().unwrap(),
        ],
    ));
    assert!(text(&live.stdout).contains("events/summer/2026"));
    let replay = roomwatch(
        home.path(),
        None,
        &["replay", journal.to_str().unwrap(), "--headless"],
    )
    .output()
    .unwrap();
    assert_eq!(text(&replay.stdout), text(&live.stdout));
}

#[test]
fn a_log_file_that_is_not_a_regular_file_still_works() {
    // Found by review: tightening every existing log file to 0600 made `--log-file /dev/null` exit 2.
    let home = tempfile::tempdir().unwrap();
    succeeds(&mut roomwatch(
        home.path(),
        None,
        &[
            "demo",
            "--headless",
            "--no-journal",
            "--rate",
            "0",
            "--max-events",
            "2",
            "--log-file",
            "/dev/null",
        ],
    ));
    let out = roomwatch(home.path(), None, &["replay", "/dev/zero", "--headless"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}
