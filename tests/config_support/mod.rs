//! Running the binary in a clean environment: no user config, no ROOMWATCH_ variables, XDG dirs in a temp dir.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

/// A `roomwatch` command whose config, data and state dirs are inside `home`.
pub fn roomwatch(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_roomwatch"));
    for (name, _) in std::env::vars_os() {
        let n = name.to_string_lossy();
        if n.starts_with("ROOMWATCH_") || n == "NO_COLOR" || n == "RUST_LOG" || n == "CB_EVENTS_URL"
        {
            cmd.env_remove(&name);
        }
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"));
    cmd
}

/// A short headless demo session (the cheapest full run of the binary).
pub fn demo_args(home: &Path) -> Vec<String> {
    vec![
        "demo".into(),
        "--headless".into(),
        "--rate".into(),
        "0".into(),
        "--max-events".into(),
        "3".into(),
        "--no-journal".into(),
        "--summary-dir".into(),
        home.join("sessions").display().to_string(),
    ]
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
