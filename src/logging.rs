//! Logging: tracing to a file only (daily files in the state dir, or `--log-file`), never to the screen. Every
//! formatted line passes through [`crate::mask::scrub`] before it is written, so a token logged by any crate
//! (ours, reqwest, hyper) at any level reaches the file as `***`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use tracing_appender::non_blocking::{NonBlocking, WorkerGuard};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// Daily files are named `roomwatch.YYYY-MM-DD.log`; older ones beyond this count are deleted.
pub const KEEP_DAILY_FILES: usize = 14;

/// The levels `--log-level` accepts as a single word.
pub const LEVELS: &[&str] = &["off", "error", "warn", "info", "debug", "trace"];

/// Where and how much to log.
#[derive(Debug, Clone, Default)]
pub struct LogSetup {
    /// `--log-level` (wins over `RUST_LOG`).
    pub level: Option<String>,
    /// The `RUST_LOG` environment variable.
    pub rust_log: Option<String>,
    /// `--log-file`: one file, appended to.
    pub file: Option<PathBuf>,
    /// Daily files in this directory when no file is given.
    pub dir: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{source_name} `{value}` is not a log level; allowed: {} or a filter like \"roomwatch=debug,info\"", LEVELS.join(", "))]
    BadLevel { source_name: String, value: String },
    #[error("cannot open the log file {}: {reason}; give another with --log-file", .path.display())]
    Open { path: PathBuf, reason: String },
}

/// Keeps the background log writer running; dropping it flushes what is queued. Hold it until the end of `run`.
#[must_use = "logging stops when the guard is dropped"]
pub struct LogGuard {
    _worker: Option<WorkerGuard>,
    /// The file or directory being written to (`None`: logging is off).
    pub target: Option<PathBuf>,
}

/// The filter from `--log-level`, else `RUST_LOG`, else `info`.
pub fn filter(setup: &LogSetup) -> Result<EnvFilter, LogError> {
    let (source_name, value) = match (&setup.level, &setup.rust_log) {
        (Some(l), _) => ("--log-level", l.as_str()),
        (None, Some(r)) if !r.trim().is_empty() => ("RUST_LOG", r.as_str()),
        _ => ("default", "info"),
    };
    let bad = || LogError::BadLevel {
        source_name: source_name.into(),
        value: value.into(),
    };
    let v = value.trim();
    // A lone word that is not a level would be read by EnvFilter as a target name and silently log nothing.
    if !v.contains(['=', ',']) && !LEVELS.contains(&v.to_ascii_lowercase().as_str()) {
        return Err(bad());
    }
    EnvFilter::builder().parse(v).map_err(|_| bad())
}

/// Opens the log destination: the given file (appended, 0600) or daily files in `dir`.
pub fn open(setup: &LogSetup) -> Result<Option<(NonBlocking, WorkerGuard, PathBuf)>, LogError> {
    if let Some(path) = &setup.file {
        let file = open_append(path).map_err(|e| LogError::Open {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let (w, g) = tracing_appender::non_blocking(file);
        return Ok(Some((w, g, path.clone())));
    }
    let Some(dir) = &setup.dir else {
        return Ok(None);
    };
    let appender = daily(dir).map_err(|reason| LogError::Open {
        path: dir.join("roomwatch.<date>.log"),
        reason,
    })?;
    let (w, g) = tracing_appender::non_blocking(appender);
    Ok(Some((w, g, dir.clone())))
}

/// Logs name viewers and tippers: every log file is private like the journal (0600, an existing one
/// tightened), whoever created it.
fn open_append(path: &Path) -> io::Result<std::fs::File> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    crate::files::atomic::open_append_private(path, false)
}

fn daily(dir: &Path) -> Result<DailyFiles, String> {
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        // A directory we create is private (one the user made is left alone).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
    }
    let mut files = DailyFiles {
        dir: dir.to_path_buf(),
        day: String::new(),
        file: None,
    };
    files.roll().map_err(|e| e.to_string())?;
    Ok(files)
}

/// `roomwatch.YYYY-MM-DD.log` (UTC day) in a directory, opened 0600, a new one each day, the oldest deleted
/// beyond [`KEEP_DAILY_FILES`]. (tracing-appender's rolling appender creates its files with the umask's mode,
/// usually 0644, and has no way to ask for a private one.)
pub struct DailyFiles {
    dir: PathBuf,
    day: String,
    file: Option<std::fs::File>,
}

impl DailyFiles {
    fn name(day: &str) -> String {
        format!("roomwatch.{day}.log")
    }

    /// Opens today's file if the day changed, and prunes old ones.
    fn roll(&mut self) -> io::Result<()> {
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        if self.file.is_some() && today == self.day {
            return Ok(());
        }
        self.file = Some(open_append(&self.dir.join(Self::name(&today)))?);
        self.day = today;
        self.prune();
        Ok(())
    }

    fn prune(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut days: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|n| {
                let day = n.strip_prefix("roomwatch.")?.strip_suffix(".log")?;
                (day.len() == 10 && chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok())
                    .then(|| day.to_string())
            })
            .collect();
        days.sort();
        let extra = days.len().saturating_sub(KEEP_DAILY_FILES);
        for day in &days[..extra] {
            let _ = std::fs::remove_file(self.dir.join(Self::name(day)));
        }
    }
}

impl Write for DailyFiles {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.roll()?;
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.flush())
    }
}

/// A subscriber writing scrubbed lines through `writer` (no ANSI colours: it is a file).
pub fn subscriber<W>(filter: EnvFilter, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Scrubbing(writer))
        .finish()
}

/// Installs the global subscriber. A destination that cannot be opened is an error only when it was asked for
/// (`--log-file`); the default directory failing leaves logging off with one warning, so a read-only home does
/// not stop a broadcast.
pub fn init(setup: &LogSetup) -> Result<LogGuard, LogError> {
    let filter = filter(setup)?;
    let opened = match open(setup) {
        Ok(o) => o,
        Err(e) if setup.file.is_none() => {
            crate::stderr::say(&format!("roomwatch: warning: {e}; logging is off"));
            None
        }
        Err(e) => return Err(e),
    };
    let Some((writer, guard, target)) = opened else {
        return Ok(LogGuard {
            _worker: None,
            target: None,
        });
    };
    // Already set (a second run in one process, as in tests): keep the first.
    let _ = tracing::subscriber::set_global_default(subscriber(filter, writer));
    Ok(LogGuard {
        _worker: Some(guard),
        target: Some(target),
    })
}

/// Wraps a [`MakeWriter`] so each event's text is scrubbed of secrets as one piece before it is written.
#[derive(Debug, Clone)]
pub struct Scrubbing<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Scrubbing<M> {
    type Writer = ScrubbingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbingWriter::new(self.0.make_writer())
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        ScrubbingWriter::new(self.0.make_writer_for(meta))
    }
}

/// Collects one event's bytes and writes them scrubbed on flush or drop: a secret split over two `write` calls
/// is still whole when it is masked.
pub struct ScrubbingWriter<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> ScrubbingWriter<W> {
    pub fn new(inner: W) -> Self {
        ScrubbingWriter {
            inner,
            pending: Vec::new(),
        }
    }

    fn write_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.pending);
        let clean = crate::mask::scrub(&text);
        self.inner.write_all(clean.as_bytes())?;
        self.pending.clear();
        Ok(())
    }
}

impl<W: Write> Write for ScrubbingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_pending()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for ScrubbingWriter<W> {
    fn drop(&mut self) {
        // Nowhere to report a failed log write; losing a log line must not stop the program.
        let _ = self.write_pending();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(level: Option<&str>, rust_log: Option<&str>) -> LogSetup {
        LogSetup {
            level: level.map(Into::into),
            rust_log: rust_log.map(Into::into),
            ..LogSetup::default()
        }
    }

    #[test]
    fn level_comes_from_the_flag_then_rust_log_then_info() {
        assert_eq!(filter(&setup(None, None)).unwrap().to_string(), "info");
        assert_eq!(
            filter(&setup(None, Some("debug"))).unwrap().to_string(),
            "debug"
        );
        assert_eq!(
            filter(&setup(Some("trace"), Some("debug")))
                .unwrap()
                .to_string(),
            "trace"
        );
        assert_eq!(
            filter(&setup(Some("roomwatch=debug,warn"), None))
                .unwrap()
                .to_string(),
            "roomwatch=debug,warn"
        );
    }

    #[test]
    fn a_word_that_is_not_a_level_is_refused() {
        let e = filter(&setup(Some("verbose"), None)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--log-level `verbose` is not a log level; allowed: off, error, warn, info, debug, trace or a \
             filter like \"roomwatch=debug,info\""
        );
        assert!(filter(&setup(None, Some("loud")))
            .unwrap_err()
            .to_string()
            .starts_with("RUST_LOG `loud`"));
    }

    #[test]
    fn a_secret_split_across_writes_is_masked_whole() {
        crate::mask::register("splitsecret42");
        let mut out = Vec::new();
        {
            let mut w = ScrubbingWriter::new(&mut out);
            w.write_all(b"url /events/alice/split").unwrap();
            w.write_all(b"secret42/ end\n").unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "url /events/alice/***/ end\n"
        );
    }
}
