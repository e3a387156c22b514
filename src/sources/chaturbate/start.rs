//! Starting the Chaturbate source: the credentials become the poller's configuration. The runner adds what
//! belongs to the session's files (the room lock, the saved cursor) and spawns the poller.

use super::credentials::{self, CredentialOptions};
use super::poller::PollerConfig;

/// What `roomwatch chaturbate` needs besides the common options.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// `--testbed`.
    pub testbed: bool,
    /// `--fresh`.
    pub fresh: bool,
    /// The URL file named in the config, if any (`None`: the default file in the config dir, when present).
    pub credentials_file: Option<std::path::PathBuf>,
    /// Where the prompt offers to save the URL (`None`: the default file in the config dir).
    pub save_to: Option<std::path::PathBuf>,
}

/// Reads the credentials (environment, file or prompt) into a poller configuration without a start cursor.
/// `Err` is a usage/config error line (exit 2).
pub fn configure(opts: &StartOptions) -> Result<PollerConfig, String> {
    let cred = CredentialOptions {
        testbed: opts.testbed,
        file: opts.credentials_file.clone(),
        save_to: opts.save_to.clone(),
    };
    let (url, origin) = credentials::load(&cred).map_err(|e| e.0)?;
    tracing::info!(room = url.room(), ?origin, "Events API URL loaded");
    let mut cfg = PollerConfig::new(url);
    cfg.fresh = opts.fresh;
    Ok(cfg)
}
