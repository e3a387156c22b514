//! Logging: every line that reaches the log file is scrubbed of registered secrets, at every level, from any
//! target, in messages, fields, spans and Debug output; nothing is logged to the screen.

mod config_support;
use config_support::{demo_args, roomwatch, stderr};
use roomwatch::logging::{self, LogSetup};

const TOKEN: &str = "q9Zt0kenLOGtest7x";

#[test]
fn a_registered_token_never_reaches_the_log_file_at_trace_level() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.log");
    let setup = LogSetup {
        level: Some("trace".into()),
        file: Some(path.clone()),
        ..LogSetup::default()
    };
    roomwatch::mask::register(TOKEN);
    let url = format!("https://eventsapi.chaturbate.com/events/alice/{TOKEN}/?timeout=10");
    let encoded = url.replace('/', "%2F");
    {
        let (writer, guard, _) = logging::open(&setup).unwrap().unwrap();
        let subscriber = logging::subscriber(logging::filter(&setup).unwrap(), writer);
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("poll", url = %url);
            let _entered = span.enter();
            tracing::trace!("GET {url}");
            tracing::debug!(next_url = %url, "reply");
            tracing::info!(?url, "debug-formatted field");
            tracing::warn!("retrying {encoded}");
            tracing::error!(target: "reqwest::connect", "error sending request for url ({url})");
        });
        drop(guard); // flushes the background writer
    }
    let log = std::fs::read_to_string(&path).unwrap();
    for level in ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] {
        assert!(log.contains(level), "{level} missing:\n{log}");
    }
    assert!(!log.contains(TOKEN), "token leaked:\n{log}");
    assert!(log.contains("/events/alice/***/"), "{log}");
    assert!(
        log.lines().all(|l| !l.contains('\x1b')),
        "no colour codes in a file"
    );
}

#[test]
fn the_binary_logs_to_the_file_only() {
    let home = tempfile::tempdir().unwrap();
    let log = home.path().join("logs/run.log");
    let out = roomwatch(home.path())
        .args(demo_args(home.path()))
        .args(["--log-level", "trace", "--log-file"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("roomwatch starting"), "{text}");
    assert!(text.contains("effective config"), "{text}");
    // stdout carries only the event lines; the log never reaches stdout or stderr.
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(stdout.lines().count(), 3);
    assert!(stdout.lines().all(|l| l.starts_with('{')));
    assert!(!stderr(&out).contains("roomwatch starting"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn default_logs_go_to_daily_files_in_the_state_dir() {
    let home = tempfile::tempdir().unwrap();
    let out = roomwatch(home.path())
        .args(demo_args(home.path()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dir = home.path().join("state/roomwatch");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        names[0].starts_with("roomwatch.") && names[0].ends_with(".log"),
        "{names:?}"
    );
    let text = std::fs::read_to_string(dir.join(&names[0])).unwrap();
    assert!(text.contains("INFO"), "{text}");
    // info is the default: no debug lines.
    assert!(!text.contains("DEBUG"), "{text}");
}

#[test]
fn a_bad_log_level_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let out = roomwatch(home.path())
        .args(demo_args(home.path()))
        .args(["--log-level", "loud"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "roomwatch: --log-level `loud` is not a log level; allowed: off, error, warn, info, debug, trace or a \
         filter like \"roomwatch=debug,info\"\n"
    );
}
