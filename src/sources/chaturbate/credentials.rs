//! Where the Events API URL comes from (DESIGN.md "Command line"): `CB_EVENTS_URL`, else a file that only
//! its owner can read, else a hidden prompt when stdin is a terminal. Never from argv.

use super::url::{EventsUrl, TOKEN_PAGE};
use std::fs;
use std::io::{self, BufRead, IsTerminal, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub const ENV_VAR: &str = "CB_EVENTS_URL";
/// File name of the saved URL in the config dir when the config names no other file.
pub const DEFAULT_FILE_NAME: &str = "events-url";

/// Where to look, from the config (the config work fills these in from `config.toml`).
#[derive(Debug, Clone, Default)]
pub struct CredentialOptions {
    /// `--testbed`: which public host is expected.
    pub testbed: bool,
    /// A file named in the config. `None`: the default file in the config dir, when it exists.
    pub file: Option<PathBuf>,
    /// Where the prompt offers to save the URL. `None`: the default file in the config dir.
    pub save_to: Option<PathBuf>,
}

/// Where the URL was found (for a log line; never the URL itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialOrigin {
    Env,
    File(PathBuf),
    Prompt,
}

/// A credentials problem: one line saying what to do. Always a usage/config error (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CredentialError(pub String);

pub fn default_file() -> Option<PathBuf> {
    crate::paths::config_dir().map(|d| d.join(DEFAULT_FILE_NAME))
}

/// Finds and validates the URL, prompting only when stdin is a terminal.
pub fn load(opts: &CredentialOptions) -> Result<(EventsUrl, CredentialOrigin), CredentialError> {
    let env = std::env::var(ENV_VAR).ok();
    let interactive = io::stdin().is_terminal();
    resolve(env, opts, interactive, &mut TerminalPrompt)
}

/// Asks the user; behind a trait so the flow is testable without a terminal.
pub trait Prompt {
    /// The URL, read without echo.
    fn secret(&mut self, question: &str) -> io::Result<String>;
    /// A yes/no question (default no).
    fn confirm(&mut self, question: &str) -> io::Result<bool>;
    fn say(&mut self, line: &str);
}

pub struct TerminalPrompt;

impl Prompt for TerminalPrompt {
    fn secret(&mut self, question: &str) -> io::Result<String> {
        rpassword::prompt_password(question)
    }
    fn confirm(&mut self, question: &str) -> io::Result<bool> {
        crate::stderr::prompt(&format!("{question} [y/N] "));
        let mut line = String::new();
        io::stdin().lock().read_line(&mut line)?;
        Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes"))
    }
    fn say(&mut self, line: &str) {
        crate::stderr::say(line);
    }
}

/// The whole lookup order, with its inputs passed in.
pub fn resolve(
    env: Option<String>,
    opts: &CredentialOptions,
    interactive: bool,
    prompt: &mut dyn Prompt,
) -> Result<(EventsUrl, CredentialOrigin), CredentialError> {
    if let Some(text) = env.filter(|v| !v.trim().is_empty()) {
        let url = EventsUrl::parse(&text, opts.testbed)
            .map_err(|e| CredentialError(format!("{ENV_VAR}: {e}")))?;
        return Ok((url, CredentialOrigin::Env));
    }
    let file = match &opts.file {
        Some(f) => Some(f.clone()),
        None => default_file().filter(|f| f.exists()),
    };
    if let Some(path) = file {
        let url = read_file(&path, opts.testbed)?;
        return Ok((url, CredentialOrigin::File(path)));
    }
    if !interactive {
        return Err(CredentialError(format!(
            "no Events API URL: set {ENV_VAR} to the URL from {TOKEN_PAGE} \
             (or name a chmod-600 file in config.toml)"
        )));
    }
    let url = ask(opts.testbed, prompt)?;
    let target = opts.save_to.clone().or_else(default_file);
    if let Some(path) = target {
        let question = format!("Save it to {} (readable only by you)?", path.display());
        if prompt.confirm(&question).unwrap_or(false) {
            match save(&path, url.configured().expose().as_str()) {
                Ok(()) => prompt.say(&format!("Saved to {}.", path.display())),
                Err(e) => prompt.say(&format!(
                    "Could not save to {}: {e} (continuing without saving).",
                    path.display()
                )),
            }
        }
    }
    Ok((url, CredentialOrigin::Prompt))
}

fn ask(testbed: bool, prompt: &mut dyn Prompt) -> Result<EventsUrl, CredentialError> {
    prompt.say(&format!(
        "Paste your Events API URL (from {TOKEN_PAGE}, \"Events API\" scope); it is not shown as you type."
    ));
    let mut last = String::new();
    for _ in 0..3 {
        let text = prompt
            .secret("Events API URL: ")
            .map_err(|e| CredentialError(format!("cannot read the URL from the terminal: {e}")))?;
        if text.trim().is_empty() {
            return Err(CredentialError(format!(
                "no Events API URL given: set {ENV_VAR} or paste the URL when asked"
            )));
        }
        match EventsUrl::parse(&text, testbed) {
            Ok(url) => return Ok(url),
            Err(e) => {
                last = e.to_string();
                prompt.say(&format!("roomwatch: {last}"));
            }
        }
    }
    Err(CredentialError(last))
}

/// Reads the URL from a file that must not be readable or writable by group or others.
pub fn read_file(path: &Path, testbed: bool) -> Result<EventsUrl, CredentialError> {
    let shown = path.display();
    let meta = fs::metadata(path).map_err(|e| {
        CredentialError(format!(
            "cannot read the Events API URL file {shown}: {e} (fix the path in config.toml or set {ENV_VAR})"
        ))
    })?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(CredentialError(format!(
            "refusing the Events API URL file {shown}: other users can read it; run `chmod 600 {shown}`"
        )));
    }
    let text = crate::files::read_text(path, crate::files::MAX_SMALL_FILE_BYTES)
        .map_err(|e| CredentialError(format!("cannot read {shown}: {e}")))?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .ok_or_else(|| CredentialError(format!("{shown} holds no Events API URL")))?;
    EventsUrl::parse(line, testbed).map_err(|e| CredentialError(format!("{shown}: {e}")))
}

/// Writes the URL to a new 0600 file (its directory created 0700 when missing).
pub fn save(path: &Path, url: &str) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() && !dir.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
    }
    let tmp = path.with_extension("tmp");
    {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600))?;
        writeln!(f, "{url}")?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)
}

use std::os::unix::fs::DirBuilderExt;

#[cfg(test)]
#[path = "credentials_tests.rs"]
mod tests;
