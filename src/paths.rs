//! Default locations (XDG on Linux, via `directories`). The config file and the command line can override each.

use directories::ProjectDirs;
use std::path::PathBuf;

fn project() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "roomwatch")
}

/// Where `config.toml` is looked for.
pub fn config_dir() -> Option<PathBuf> {
    project().map(|p| p.config_dir().to_path_buf())
}

/// Base for `sessions/` (summaries) and `journals/`.
pub fn data_dir() -> Option<PathBuf> {
    project().map(|p| p.data_dir().to_path_buf())
}

/// Logs and the resume cursors (falls back to the data dir where the platform has no state dir).
pub fn state_dir() -> Option<PathBuf> {
    project().map(|p| p.state_dir().unwrap_or_else(|| p.data_dir()).to_path_buf())
}
