//! Starting the Chaturbate source from the command line: credentials, then the poller task.

use super::credentials::{self, CredentialOptions};
use super::poller::{self, PollerConfig};
use crate::event::SourceKind;
use crate::run::{RunError, StartedSource};
use crate::sources::CHANNEL_BATCHES;
use tokio::sync::mpsc;

/// Replies buffered between the poller and the main task.
const REPLY_BUFFER: usize = 4;

/// What `roomwatch chaturbate` needs besides the common options.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// `--testbed`.
    pub testbed: bool,
    /// `--fresh`.
    pub fresh: bool,
    /// Resume from the room's saved cursor (id of the last event processed in an earlier session), if any.
    pub resume: bool,
    /// The URL file named in the config, if any (`None`: the default file in the config dir, when present).
    pub credentials_file: Option<std::path::PathBuf>,
    /// Where the prompt offers to save the URL (`None`: the default file in the config dir).
    pub save_to: Option<std::path::PathBuf>,
}

/// Reads the credentials and spawns the poller. Errors are usage/config errors (exit 2).
/// Must be called inside the tokio runtime.
pub fn start(opts: StartOptions) -> Result<StartedSource, RunError> {
    let cred = CredentialOptions {
        testbed: opts.testbed,
        file: opts.credentials_file,
        save_to: opts.save_to,
    };
    let (url, origin) = credentials::load(&cred).map_err(|e| RunError::usage(e.0))?;
    tracing::info!(room = url.room(), ?origin, "Events API URL loaded");
    let room = url.room().to_string();
    // One process per room, taken before the first request (DESIGN.md has no room for a read-only second run).
    let room_lock = crate::effects::cursor::CursorStore::default_store()
        .map(|store| crate::effects::room_lock::acquire(store.dir(), &room))
        .transpose()
        .map_err(RunError::usage)?;
    let mut cfg = PollerConfig::new(url);
    cfg.fresh = opts.fresh;
    // The room is only known once the URL is read, so the saved cursor is looked up here.
    cfg.start_cursor = if opts.fresh || !opts.resume {
        None
    } else {
        crate::effects::cursor::load(&room)
    };
    if let Some(cursor) = &cfg.start_cursor {
        tracing::info!(room = %room, cursor = %cursor, "resuming from the saved cursor");
    }
    // A long-poll source needs little buffering: a few replies of up to ~1000 events each keep memory small
    // when the consumer is slower, and back-pressure simply delays the next poll.
    let (tx, rx) = mpsc::channel(CHANNEL_BATCHES.min(REPLY_BUFFER));
    let task = poller::spawn(cfg, tx);
    Ok(StartedSource {
        rx,
        task,
        room,
        kind: SourceKind::Chaturbate,
        replay_of: None,
        save_cursor: true,
        room_lock,
    })
}
