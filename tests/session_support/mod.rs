//! Shared by the session-file integration tests: a private home for the binary and file helpers.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A temp dir that is the binary's whole world: HOME and the XDG dirs point inside it.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_roomwatch"));
        c.args(args)
            .env("HOME", self.path("home"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_STATE_HOME", self.path("state"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env_remove("ROOMWATCH_AUTOSAVE_MS")
            .env_remove("ROOMWATCH_FAULT_PANIC_AFTER_EVENTS")
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null());
        c
    }

    /// `roomwatch demo --headless --rate RATE …extra` in this sandbox.
    pub fn headless_demo(&self, rate: &str, extra: &[&str]) -> Command {
        let mut args = vec!["demo", "--headless", "--rate", rate];
        args.extend_from_slice(extra);
        self.cmd(&args)
    }
}

/// `roomwatch-*.json` files in `dir`, sorted.
pub fn summaries(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("roomwatch-") && name.ends_with(".json")
        })
        .collect();
    v.sort();
    v
}

pub fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap();
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()))
}

/// The one summary pair in `dir`: (parsed JSON, Markdown text).
pub fn only_summary(dir: &Path) -> (Value, String) {
    let found = summaries(dir);
    assert_eq!(found.len(), 1, "{found:?}");
    let md = found[0].with_extension("md");
    (read_json(&found[0]), std::fs::read_to_string(md).unwrap())
}

/// The event lines of a journal (the header lines left out), parsed.
pub fn journal_events(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("event").is_some())
        .collect()
}

pub fn kill(signal: &str, pid: u32) {
    let ok = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal} {pid}");
}
