//! `roomwatch config --path | --print-default | --check`.

use super::{default_path, load, process_env, LoadOptions, DEFAULT_TOML};
use crate::app::msg::exit_code;
use std::io::Write;
use std::path::PathBuf;

/// What `roomwatch config` was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    Path,
    PrintDefault,
    Check,
}

/// Runs the command; returns the exit code (2 for a config error).
pub fn run(ask: Ask, config: Option<PathBuf>, sets: Vec<String>) -> i32 {
    let mut out = std::io::stdout().lock();
    match ask {
        Ask::PrintDefault => write_or_fail(&mut out, DEFAULT_TOML),
        Ask::Path => {
            match config.or_else(default_path) {
                Some(p) => write_or_fail(&mut out, &format!("{}\n", p.display())),
                None => {
                    crate::stderr::say("roomwatch: no home directory, so no default config path; use --config FILE");
                    exit_code::USAGE
                }
            }
        }
        Ask::Check => {
            let opts = LoadOptions {
                config_file: config,
                env: process_env(),
                sets,
                ..LoadOptions::default()
            };
            match load(&opts) {
                Ok(c) => {
                    let from = c
                        .paths
                        .config_file
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "built-in defaults (no config file)".into());
                    write_or_fail(&mut out, &format!("ok: {from}\n"))
                }
                Err(e) => {
                    crate::stderr::say(&format!("roomwatch: {e}"));
                    exit_code::USAGE
                }
            }
        }
    }
}

fn write_or_fail(out: &mut dyn Write, text: &str) -> i32 {
    // A closed pipe (`| head`) is not an error worth a message.
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => exit_code::OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit_code::OK,
        Err(e) => {
            crate::stderr::say(&format!("roomwatch: cannot write to stdout: {e}"));
            exit_code::FATAL
        }
    }
}
