//! End to end in a real terminal: the built binary runs `demo` inside a detached tmux session; keys go in with
//! `send-keys`, the screen comes back with `capture-pane`. Polls with deadlines, never fixed sleeps.

#[path = "support/tmux.rs"]
mod tmux;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use tmux::Tmux;

/// `roomwatch demo` in a tmux pane with its pid recorded (the inner shell writes `$$`, then becomes roomwatch
/// with exec), summaries in `dir`, `after` run by the pane's shell when it ends. Returns once the screen is live.
fn live_demo_with_pid(name: &str, dir: &Path, after: &str) -> (Tmux, String) {
    let pidfile = dir.join("pid");
    let cmd = format!(
        "sh -c 'echo $$ > {}; exec {} demo --no-journal --summary-dir {} --rate 5'{after}",
        pidfile.display(),
        env!("CARGO_BIN_EXE_roomwatch"),
        dir.display()
    );
    let t = Tmux::start(name, &cmd, 80, 24);
    t.wait_for("the live screen", |s| {
        s.contains("Chat") && s.contains("LIVE")
    });
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    (t, pid.trim().to_string())
}

/// The JSON summary written in `dir` (its Markdown twin must be there too).
fn the_summary(dir: &Path) -> serde_json::Value {
    let json = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("a JSON summary");
    assert!(json.with_extension("md").exists(), "{}", json.display());
    serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap()
}

fn demo_cmd(dir: &Path, extra: &str) -> String {
    format!(
        "cd '{}' && '{}' demo --no-journal --summary-dir '{}' {extra}; echo EXITED:$?; sleep 30",
        dir.display(),
        env!("CARGO_BIN_EXE_roomwatch"),
        dir.display()
    )
}

#[test]
fn demo_in_tmux_panes_pause_help_and_clean_quit() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install tmux)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start("main", &demo_cmd(dir.path(), "--rate 20"), 120, 40);
    let s = t.wait_for("all three panes with events", |s| {
        s.contains("Chat") && s.contains("Tips") && s.contains("Viewers") && s.contains(" tk ·")
    });
    assert!(s.contains("LIVE"), "{s}");
    assert!(t.alternate_on());

    t.keys(&["p"]);
    let s = t.wait_for("the pause banner with a backlog", |s| {
        s.contains("PAUSED · ") && !s.contains("PAUSED · 0 new")
    });
    assert!(s.contains("p resume"), "footer follows the state: {s}");
    t.keys(&["p"]);
    t.wait_for("the banner gone after resume", |s| !s.contains("PAUSED"));

    t.keys(&["?"]);
    t.wait_for("the help overlay", |s| {
        s.contains("Help")
            && s.contains("pause / resume the panes")
            && s.contains("room / raids / mods")
    });
    t.keys(&["Escape"]);
    t.wait_for("help closed", |s| !s.contains("pause / resume the panes"));

    t.keys(&["/", "h", "i"]);
    t.wait_for("the live text filter in the titles", |s| s.contains("“hi”"));
    t.keys(&["Escape"]);
    t.wait_for("filter cancelled", |s| !s.contains("“hi”"));

    t.keys(&["q"]);
    let s = t.wait_for("the shell line after quit", |s| s.contains("EXITED:0"));
    assert!(!t.alternate_on(), "alternate screen left on");
    assert!(
        !s.contains("Chat") && !s.contains("┏"),
        "TUI leftovers on the normal screen:\n{s}"
    );
}

#[test]
fn sigterm_restores_the_terminal_and_exits_zero() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install tmux)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (t, pid) = live_demo_with_pid("term", dir.path(), "; echo EXITED:$?; sleep 30");
    let status = Command::new("kill")
        .args(["-TERM", pid.as_str()])
        .status()
        .unwrap();
    assert!(status.success());
    let s = t.wait_for("the shell line after SIGTERM", |s| s.contains("EXITED:0"));
    assert!(!t.alternate_on());
    assert!(!s.contains("┏"), "{s}");
}

#[test]
fn small_window_and_resize_redraw() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install tmux)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start("small", &demo_cmd(dir.path(), "--rate 5"), 80, 24);
    t.wait_for("stacked panes at 80×24", |s| {
        s.contains("Chat") && s.contains("Tips") && s.contains("Viewers")
    });
    t.run(&["resize-window", "-t", "0", "-x", "30", "-y", "8"]);
    t.wait_for("the too-small message", |s| s.contains("too small"));
    t.run(&["resize-window", "-t", "0", "-x", "120", "-y", "40"]);
    t.wait_for("three columns again", |s| {
        s.lines()
            .any(|l| l.contains("Chat") && l.contains("Tips") && l.contains("Viewers"))
    });
    t.keys(&["q"]);
    t.wait_for("a clean exit", |s| s.contains("EXITED:0"));
}

#[test]
fn max_events_ends_cleanly() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install tmux)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(
        "max",
        &demo_cmd(dir.path(), "--rate 200 --max-events 300"),
        100,
        30,
    );
    let s = t.wait_for("the end after 300 events", |s| s.contains("EXITED:"));
    assert!(s.contains("EXITED:0"), "{s}");
    assert!(!t.alternate_on());
}

/// Parameters of every SGR sequence (`ESC [ … m`) in a `capture-pane -e` dump.
fn sgr_params(dump: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in dump.split("\u{1b}[").skip(1) {
        if let Some(end) = part.find('m') {
            let body = &part[..end];
            if body.chars().all(|c| c.is_ascii_digit() || c == ';') {
                out.extend(body.split(';').filter_map(|p| p.parse::<u32>().ok()));
            }
        }
    }
    out
}

#[test]
fn no_color_means_no_colours() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install tmux)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let colour = |p: &u32| matches!(p, 30..=38 | 40..=48 | 90..=97 | 100..=107);
    for (name, env, expect_colour) in [("mono", "export NO_COLOR=1; ", false), ("colour", "", true)]
    {
        let cmd = format!("{env}{}", demo_cmd(dir.path(), "--rate 20"));
        let t = Tmux::start(name, &cmd, 120, 40);
        t.wait_for("the live screen", |s| {
            s.contains("Chat") && s.contains(" tk ·")
        });
        let out = t.run(&["capture-pane", "-p", "-e", "-t", "0"]);
        let dump = String::from_utf8_lossy(&out.stdout).into_owned();
        let params = sgr_params(&dump);
        assert!(!params.is_empty(), "styles are still used (bold, reverse)");
        assert_eq!(
            params.iter().any(colour),
            expect_colour,
            "{name}: {params:?}"
        );
        t.keys(&["q"]);
        t.wait_for("a clean exit", |s| s.contains("EXITED:0"));
    }
}

#[test]
fn ctrl_c_key_quits_cleanly() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install tmux)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start("ctrlc", &demo_cmd(dir.path(), "--rate 20"), 80, 24);
    t.wait_for("the live screen", |s| {
        s.contains("Chat") && s.contains("LIVE")
    });
    // Also from inside a prompt: Ctrl+C is bound to quit in every mode.
    t.keys(&["/"]);
    t.wait_for("the prompt", |s| s.contains("filter (text or /regex/)"));
    t.keys(&["C-c"]);
    let s = t.wait_for("the shell line", |s| s.contains("EXITED:"));
    assert!(s.contains("EXITED:0"), "{s}");
    assert!(!t.alternate_on());
}

#[test]
fn closing_the_terminal_ends_the_process() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install tmux)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (t, pid) = live_demo_with_pid("hup", dir.path(), "");
    // Like an SSH connection dropping: the pane's terminal goes away and the process gets SIGHUP.
    t.run(&["kill-server"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let proc_dir = format!("/proc/{pid}");
    // A zombie (state Z) has exited already; only its parent has not reaped it yet.
    while Path::new(&proc_dir).exists()
        && !std::fs::read_to_string(format!("{proc_dir}/stat")).is_ok_and(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
        })
    {
        assert!(
            Instant::now() < deadline,
            "roomwatch still running after SIGHUP"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The summary is written although the terminal it would report to is gone (writing to it fails with
    // EIO; that must not turn into a panic and an abort before the files are written).
    let summary = the_summary(dir.path());
    assert_eq!(summary["exit_reason"], "sighup", "{summary}");
}

/// A panic while the live screen is up: the terminal comes back (no alternate screen, no panes left over), the
/// summary is written with `exit_reason: panic`, and the exit code is 4 with one line, no backtrace.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "fault injection exists in debug builds only"
)]
fn a_panic_in_the_live_screen_restores_the_terminal_and_writes_the_summary() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install tmux)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cmd = format!(
        "cd '{}' && ROOMWATCH_FAULT_PANIC_AFTER_EVENTS=40 '{}' demo --no-journal --summary-dir '{}' --rate 40; \
         echo EXITED:$?; sleep 30",
        dir.path().display(),
        env!("CARGO_BIN_EXE_roomwatch"),
        dir.path().display()
    );
    let t = Tmux::start("panic", &cmd, 100, 30);
    let s = t.wait_for("the shell after the panic", |s| s.contains("EXITED:"));
    assert!(s.contains("EXITED:4"), "{s}");
    assert!(!t.alternate_on());
    assert!(
        !s.contains("┏") && !s.contains("LIVE"),
        "TUI leftovers:\n{s}"
    );
    assert!(s.contains("internal error"), "{s}");
    assert!(
        !s.contains("stack backtrace") && !s.contains("RUST_BACKTRACE"),
        "{s}"
    );
    let summary = the_summary(dir.path());
    assert_eq!(summary["exit_reason"], "panic", "{summary}");
    assert!(summary["events"]["total"].as_u64().unwrap() >= 40);
}

/// Issue 9: a panic caught in another task (the source) used to trigger the TUI's hook, which restored the
/// terminal while the event loop went on drawing nothing on a cooked terminal until a key was pressed. Now it
/// ends the session through the one exit path: terminal restored once, summary `panic`, exit 4, by itself.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "fault injection exists in debug builds only"
)]
fn a_panic_in_the_source_ends_the_live_screen_through_the_exit_path() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install tmux)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cmd = format!(
        "cd '{}' && ROOMWATCH_FAULT_SOURCE_PANIC_AFTER_BATCHES=20 '{}' demo --no-journal --summary-dir '{}' \
         --rate 40; echo EXITED:$?; sleep 30",
        dir.path().display(),
        env!("CARGO_BIN_EXE_roomwatch"),
        dir.path().display()
    );
    let t = Tmux::start("source-panic", &cmd, 100, 30);
    let s = t.wait_for("the shell after the source panic", |s| {
        s.contains("EXITED:")
    });
    assert!(s.contains("EXITED:4"), "{s}");
    assert!(!t.alternate_on());
    assert!(
        !s.contains("┏") && !s.contains("LIVE"),
        "TUI leftovers:\n{s}"
    );
    assert!(s.contains("internal error"), "{s}");
    let summary = the_summary(dir.path());
    assert_eq!(summary["exit_reason"], "panic", "{summary}");
    assert!(
        summary["events"]["total"].as_u64().unwrap() >= 1,
        "{summary}"
    );
}

#[test]
fn watch_three_demo_rooms_switch_and_quit_with_three_summaries() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install tmux)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cmd = format!(
        "cd '{}' && '{}' watch --demo 3 --rate 20 --no-journal --summary-dir '{}'; echo EXITED:$?; sleep 30",
        dir.path().display(),
        env!("CARGO_BIN_EXE_roomwatch"),
        dir.path().display()
    );
    let t = Tmux::start("watch3", &cmd, 120, 40);
    // The overview: one line per room, every room live; the panes merge all rooms.
    let s = t.wait_for("three live rooms", |s| {
        ["demo_room_1", "demo_room_2", "demo_room_3"]
            .iter()
            .all(|r| s.lines().any(|l| l.contains(r) && l.contains("LIVE")))
    });
    assert!(s.contains("Chat · all rooms"), "{s}");
    // `]` shows the first room, then the second: the titles say which.
    t.keys(&["]"]);
    t.wait_for("room 1 shown", |s| s.contains("Chat · demo_room_1"));
    t.keys(&["]"]);
    let s = t.wait_for("room 2 shown", |s| s.contains("Chat · demo_room_2"));
    assert!(
        s.lines().any(|l| l.starts_with("▸2")),
        "the overview marks it:\n{s}"
    );
    t.keys(&["a"]);
    t.wait_for("all rooms again", |s| s.contains("Chat · all rooms"));
    t.keys(&["q"]);
    t.wait_for("the exit", |s| s.contains("EXITED:0"));
    let mut rooms: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            assert!(p.with_extension("md").exists(), "{}", p.display());
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            assert_eq!(v["exit_reason"], "quit_key");
            assert_eq!(v["source"], "simulator");
            v["room"].as_str().unwrap().to_string()
        })
        .collect();
    rooms.sort();
    assert_eq!(rooms, ["demo_room_1", "demo_room_2", "demo_room_3"]);
}
