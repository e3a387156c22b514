//! The replay source behind `roomwatch replay JOURNAL`: reads a journal written by an earlier session and
//! sends its batches through the same pipeline as a live source. Each recorded event is re-parsed from the
//! platform's original JSON with the recorded source and receive time, so the headless output equals the live
//! run's byte for byte.

use super::{Batch, ConnState, ConnStatus, SourceError, SourceMsg};
use crate::event::journal::{self, Line};
use crate::event::{RoomEvent, SourceKind};
use chrono::{DateTime, Utc};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Longest journal line read: a line is one event, and no reply the poller accepts is larger.
const MAX_LINE_BYTES: usize = super::MAX_REPLY_BYTES;

/// What [`read_line_capped`] found.
enum LineRead {
    Read,
    /// Longer than the cap: skipped to its end, nothing kept.
    TooLong,
    End,
}

/// Reads one line (without keeping more than `max` bytes of it) into `buf`.
fn read_line_capped(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<LineRead> {
    let mut too_long = false;
    let mut any = false;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(match (any, too_long) {
                (false, _) => LineRead::End,
                (true, true) => LineRead::TooLong,
                (true, false) => LineRead::Read,
            });
        }
        any = true;
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let used = chunk.len();
        if !too_long && buf.len() + used <= max {
            buf.extend_from_slice(chunk);
        } else {
            too_long = true;
            buf.clear();
        }
        reader.consume(used);
        if done {
            return Ok(if too_long {
                LineRead::TooLong
            } else {
                LineRead::Read
            });
        }
    }
}

/// Fallback wait when a recorded gap does not fit the clock at all.
const LONGEST_WAIT: Duration = Duration::from_secs(24 * 3600);

/// Malformed lines reported one by one; after that only the count (in the summary's `events.skipped`).
const MAX_LINE_NOTICES: u64 = 20;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// The recorded gaps between batches divided by `speed` (1 = as recorded).
    Recorded { speed: f64 },
    /// No waiting.
    Instant,
}

/// An opened journal: who it is about, and the reader positioned at the start.
pub struct Replay {
    path: PathBuf,
    reader: BufReader<File>,
    pub room: String,
    pub source: SourceKind,
}

impl Replay {
    /// Opens `path` and reads the room and source from its first header line (falls back to the first
    /// event's source and the file name when a journal has no header).
    pub fn open(path: &Path) -> Result<Replay, String> {
        let file = File::open(path)
            .map_err(|e| format!("cannot open the journal {}: {e}", path.display()))?;
        // A journal is a file: a device or a pipe (`/dev/zero`) could be one endless line.
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            return Err(format!("{} is not a journal file", path.display()));
        }
        let mut probe = BufReader::new(&file);
        let mut buf = Vec::new();
        let mut room = None;
        let mut source = None;
        for _ in 0..1000 {
            buf.clear();
            match read_line_capped(&mut probe, &mut buf, MAX_LINE_BYTES) {
                Ok(LineRead::End) => break,
                Ok(LineRead::TooLong) => continue,
                Ok(LineRead::Read) => {}
                Err(e) => return Err(format!("cannot read the journal {}: {e}", path.display())),
            }
            let Ok(text) = std::str::from_utf8(&buf) else {
                continue;
            };
            match journal::parse_line(text.trim_end()) {
                Ok(Line::Header(h)) => {
                    room = Some(h.room);
                    source = Some(h.source);
                    break;
                }
                Ok(Line::Event { source: s, .. }) => {
                    source = Some(s);
                    break;
                }
                _ => {}
            }
        }
        let Some(source) = source else {
            return Err(format!(
                "{} is not a roomwatch journal (no header or event line found)",
                path.display()
            ));
        };
        let room = room.unwrap_or_else(|| {
            path.file_stem()
                .map_or_else(|| "replay".into(), |s| s.to_string_lossy().into_owned())
        });
        let file = File::open(path)
            .map_err(|e| format!("cannot open the journal {}: {e}", path.display()))?;
        Ok(Replay {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(1 << 16, file),
            room,
            source,
        })
    }
}

/// A batch being assembled from consecutive lines with the same (session, batch number).
struct Pending {
    key: (u64, u64),
    batch: Batch,
}

struct Player {
    tx: mpsc::Sender<SourceMsg>,
    pacing: Pacing,
    /// Recorded time and wall-clock instant that line up (rebased at each session in the file).
    origin: Option<(DateTime<Utc>, Instant)>,
    last_recorded: Option<DateTime<Utc>>,
    malformed: u64,
    /// Unusable lines not yet counted in a batch.
    skipped_pending: u32,
}

impl Player {
    async fn notice(&self, text: String) -> bool {
        self.tx.send(SourceMsg::Notice(text)).await.is_ok()
    }

    async fn bad_line(&mut self, path: &Path, line_no: u64, why: &str) -> bool {
        self.malformed += 1;
        self.skipped_pending = self.skipped_pending.saturating_add(1);
        if self.malformed <= MAX_LINE_NOTICES {
            let more = if self.malformed == MAX_LINE_NOTICES {
                " (further bad lines are only counted)"
            } else {
                ""
            };
            return self
                .notice(format!(
                    "journal {} line {line_no}: {why}; line skipped{more}",
                    path.display()
                ))
                .await;
        }
        true
    }

    /// Waits for the batch's recorded moment (scaled), then sends it. `false` when the receiver is gone.
    async fn send(&mut self, mut batch: Batch) -> bool {
        batch.skipped = batch
            .skipped
            .saturating_add(std::mem::take(&mut self.skipped_pending));
        if let Pacing::Recorded { speed } = self.pacing {
            let t = batch.received_at;
            let (t0, i0) = match (self.origin, self.last_recorded) {
                // Time going backwards (journals appended to by several sessions): play on without a wait.
                (Some(o), Some(last)) if t >= last => o,
                _ => {
                    let o = (t, Instant::now());
                    self.origin = Some(o);
                    o
                }
            };
            self.last_recorded = Some(t);
            let gap = (t - t0).to_std().unwrap_or(Duration::ZERO);
            // A hostile or odd journal (years between two batches) must not overflow the clock.
            let scaled =
                Duration::try_from_secs_f64(gap.as_secs_f64() / speed).unwrap_or(Duration::MAX);
            let until = i0
                .checked_add(scaled)
                .unwrap_or_else(|| Instant::now() + LONGEST_WAIT);
            tokio::time::sleep_until(until).await;
        }
        let sent = self.tx.send(SourceMsg::Batch(batch)).await.is_ok();
        // Neither a send into a channel with room nor a deadline already past waits: journals played side by
        // side on the sources' thread take turns instead of the first filling its channel alone.
        tokio::task::yield_now().await;
        sent
    }
}

/// Plays the journal, then sends [`SourceMsg::Ended`].
pub async fn run(replay: Replay, pacing: Pacing, tx: mpsc::Sender<SourceMsg>) {
    let Replay {
        path, mut reader, ..
    } = replay;
    let mut player = Player {
        tx,
        pacing,
        origin: None,
        last_recorded: None,
        malformed: 0,
        skipped_pending: 0,
    };
    let status = ConnStatus {
        state: ConnState::Live,
        since: Some(Utc::now()),
        ..ConnStatus::default()
    };
    if player.tx.send(SourceMsg::Status(status)).await.is_err() {
        return;
    }
    let mut pending: Option<Pending> = None;
    let mut session = 0u64;
    let mut line_no = 0u64;
    let mut buf = Vec::with_capacity(4096);
    loop {
        buf.clear();
        match read_line_capped(&mut reader, &mut buf, MAX_LINE_BYTES) {
            Ok(LineRead::End) => break,
            Ok(LineRead::TooLong) => {
                line_no += 1;
                if !player.bad_line(&path, line_no, "longer than 4 MiB").await {
                    return;
                }
                continue;
            }
            Ok(LineRead::Read) => line_no += 1,
            Err(e) => {
                let text = format!("cannot read the journal {}: {e}", path.display());
                let _ = player
                    .tx
                    .send(SourceMsg::Fatal(SourceError::Fatal(text)))
                    .await;
                return;
            }
        }
        let text = match std::str::from_utf8(&buf) {
            Ok(t) => t.trim_end_matches(['\n', '\r']),
            Err(_) => {
                if !player.bad_line(&path, line_no, "not UTF-8").await {
                    return;
                }
                continue;
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        let line = match journal::parse_line(text) {
            Ok(l) => l,
            Err(why) => {
                if !player.bad_line(&path, line_no, &why).await {
                    return;
                }
                continue;
            }
        };
        let (key, received_at) = match &line {
            Line::Header(_) => {
                session += 1;
                // Sessions in one file play back to back.
                player.origin = None;
                continue;
            }
            Line::Event {
                batch, received_at, ..
            }
            | Line::BatchNote {
                batch, received_at, ..
            } => ((session, *batch), *received_at),
        };
        if pending.as_ref().is_some_and(|p| p.key != key) {
            let done = pending.take().expect("checked");
            if !player.send(done.batch).await {
                return;
            }
        }
        let p = pending.get_or_insert_with(|| Pending {
            key,
            batch: Batch {
                received_at,
                events: Vec::new(),
                skipped: 0,
                duplicates_dropped: 0,
            },
        });
        match line {
            Line::Event {
                source,
                received_at,
                event,
                ..
            } => match (super::platform::of(source).parse_raw)(event, source, received_at) {
                Ok(ev) => p.batch.events.push(ev),
                Err(why) => {
                    if !player.bad_line(&path, line_no, why).await {
                        return;
                    }
                }
            },
            Line::BatchNote {
                skipped,
                duplicates_dropped,
                ..
            } => {
                // Counts from a journal are untrusted numbers: they saturate, never wrap.
                p.batch.skipped = p.batch.skipped.saturating_add(skipped);
                p.batch.duplicates_dropped = p
                    .batch
                    .duplicates_dropped
                    .saturating_add(duplicates_dropped);
            }
            Line::Header(_) => {}
        }
    }
    if let Some(p) = pending.take() {
        if !player.send(p.batch).await {
            return;
        }
    }
    if player.skipped_pending > 0 {
        let batch = Batch {
            received_at: player.last_recorded.unwrap_or_else(Utc::now),
            events: Vec::<RoomEvent>::new(),
            skipped: 0,
            duplicates_dropped: 0,
        };
        if !player.send(batch).await {
            return;
        }
    }
    if player.malformed > 0 {
        let text = format!(
            "journal {}: {} unreadable line(s) skipped",
            path.display(),
            player.malformed
        );
        if !player.notice(text).await {
            return;
        }
    }
    let _ = player.tx.send(SourceMsg::Ended).await;
}

#[cfg(test)]
mod tests;
