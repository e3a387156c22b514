//! Channel watch: many resources' state by poll-and-diff (DESIGN.md "Channel watch"). `engine` holds the rules;
//! this module runs a resource on the network and keeps its last good snapshot on disk, so a restart reports
//! what changed while roomwatch was off instead of announcing everything again.

pub mod channels;
pub mod engine;

use crate::files::atomic::{self, Durability, Place};
use chrono::{DateTime, Utc};
use engine::{Engine, Failure, Report, Snapshot, Timing};
use futures_util::FutureExt;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::sync::Notify;

/// The shortest time between two polls when a hint asks for one early.
pub const HINT_GAP: Duration = Duration::from_secs(5);

/// The early polls after a hint, counted from it (each no sooner than [`HINT_GAP`] after the poll before): the
/// platform's listing may show the change a little after the webhook said it. A new hint starts the series
/// again; the regular interval goes on regardless.
pub const HINT_SERIES: [Duration; 4] = [
    Duration::from_secs(0),
    Duration::from_secs(15),
    Duration::from_secs(30),
    Duration::from_secs(60),
];

/// Largest snapshot file read (1000 channels take about 200 KiB).
const MAX_SNAPSHOT_BYTES: u64 = 8 * 1024 * 1024;

/// A resource's last good snapshot, `<state dir>/watch/<name>.json` (0600, written atomically).
#[derive(Debug, Clone)]
pub struct SnapshotStore {
    path: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Saved<S> {
    saved_at: DateTime<Utc>,
    snapshot: S,
}

impl SnapshotStore {
    pub fn new(path: PathBuf) -> Self {
        SnapshotStore { path }
    }

    /// The saved snapshot; `Ok(None)` when there is none, `Err` (said, then ignored) when it does not read.
    pub fn load<S: DeserializeOwned>(&self) -> Result<Option<(S, DateTime<Utc>)>, String> {
        if !self.path.exists() {
            return Ok(None);
        }
        let text = crate::files::read_text(&self.path, MAX_SNAPSHOT_BYTES)
            .map_err(|e| format!("cannot read {}: {e}", self.path.display()))?;
        let saved: Saved<S> = serde_json::from_str(&text).map_err(|_| {
            format!(
                "{} is not a snapshot roomwatch wrote; starting afresh",
                self.path.display()
            )
        })?;
        Ok(Some((saved.snapshot, saved.saved_at)))
    }

    pub fn save<S: Serialize>(&self, snapshot: &S, at: DateTime<Utc>) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            atomic::ensure_dir(dir)?;
        }
        let json = serde_json::to_vec(&Saved {
            saved_at: at,
            snapshot,
        })
        .map_err(std::io::Error::other)?;
        atomic::write(&self.path, &json, Place::Replace, Durability::ProcessCrash)
    }
}

/// What the runner tells its consumer: reports of changes `C`, and the snapshot `S` after each good poll (for
/// the views that show the whole table).
#[derive(Debug, Clone, PartialEq)]
pub enum WatchMsg<C, S> {
    Report(Report<C>),
    /// The snapshot of a good poll, sent after its reports.
    Polled(S),
    Notice(String),
    /// The credentials were refused: the watch has stopped.
    Refused,
    /// A reply retrying cannot fix: the watch has stopped.
    Fatal(String),
}

/// Polls `fetch` until `stop` says so or the receiver is gone: each outcome through the engine, its reports to
/// `tx`, then the good snapshot saved. A stop lands only between polls or during a fetch (which is dropped), never
/// between reporting and saving: what was reported is saved, and what is saved was reported. Good polls are
/// jittered by up to 10 % of the interval so that many resources do not fire together. `poll_now` asks for an
/// early poll (see [`HINT_GAP`]).
pub async fn run<S, F, Fut>(
    timing: Timing,
    store: Option<SnapshotStore>,
    mut fetch: F,
    tx: mpsc::Sender<WatchMsg<S::Change, S>>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    poll_now: Arc<Notify>,
) where
    S: Snapshot + Serialize + DeserializeOwned,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<S, Failure>>,
{
    let saved = match store.as_ref().map(|s| s.load::<S>()) {
        Some(Ok(saved)) => saved,
        Some(Err(e)) => {
            let _ = tx.send(WatchMsg::Notice(e)).await;
            None
        }
        None => None,
    };
    let mut engine = Engine::new(timing, saved);
    // The last hint and how many of its early polls were made.
    let mut series: Option<(tokio::time::Instant, usize)> = None;
    loop {
        let outcome = tokio::select! {
            outcome = fetch() => outcome,
            _ = stop.wait_for(|s| *s) => return,
        };
        match outcome {
            Err(Failure::Refused) => {
                let _ = tx.send(WatchMsg::Refused).await;
                return;
            }
            Err(Failure::Fatal(why)) => {
                let _ = tx.send(WatchMsg::Fatal(why)).await;
                return;
            }
            _ => {}
        }
        let good = outcome.is_ok();
        let polled = tokio::time::Instant::now();
        let now = Utc::now();
        let (reports, wait) = engine.on_poll(outcome, now);
        for r in reports {
            if tx.send(WatchMsg::Report(r)).await.is_err() {
                return;
            }
        }
        if let (true, Some(snapshot)) = (good, engine.snapshot()) {
            if let Some(store) = &store {
                if let Err(e) = store.save(snapshot, now) {
                    tracing::warn!(error = %e, "channel watch: the snapshot could not be saved");
                }
            }
            if tx.send(WatchMsg::Polled(snapshot.clone())).await.is_err() {
                return;
            }
        }
        let jitter = if good {
            wait.mul_f64(0.1 * fastrand::f64())
        } else {
            Duration::ZERO
        };
        // A hint (a webhook said a channel changed) starts a short series of early polls, as the platform's
        // own listing can lag the webhook; never sooner than `HINT_GAP` after the last poll, never during a
        // failure's backoff.
        if !good {
            // A hint from before an outage is stale once it ends: no series, and no hint kept for later.
            series = None;
            let _ = poll_now.notified().now_or_never();
        }
        let regular = tokio::time::sleep(wait.saturating_add(jitter));
        tokio::pin!(regular);
        loop {
            let early = (series.filter(|_| good))
                .and_then(|(at, step)| HINT_SERIES.get(step).map(|d| at + *d))
                .map(|t| t.max(polled + HINT_GAP));
            tokio::select! {
                _ = &mut regular => break,
                _ = tokio::time::sleep_until(early.unwrap_or(polled)), if early.is_some() => {
                    if let Some((_, step)) = series.as_mut() {
                        *step += 1;
                    }
                    break;
                }
                _ = poll_now.notified(), if good => series = Some((tokio::time::Instant::now(), 0)),
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }
}
