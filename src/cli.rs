//! The command line (DESIGN.md "Command line"). Credentials never come from argv.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "roomwatch",
    version,
    about = "A terminal live room monitor for broadcasters",
    long_about = "roomwatch shows your room live — chat, tips with running totals and top tippers, viewers \
entering and leaving, and the connection state — and writes a session summary when it ends.\n\n\
The Chaturbate Events API URL (it contains your token) is read from the CB_EVENTS_URL environment variable, \
a 0600 file named in the config, or a hidden prompt; never from the command line."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Built-in simulator: a lively room, no account, no network.
    Demo {
        /// Seed of the simulated room (same seed, same stream).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Mean events per second (bursts go ten times faster); 0 = as fast as possible.
        #[arg(long, default_value_t = 4.0, value_name = "EVENTS_PER_S")]
        rate: f64,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Watch a room through the Chaturbate Events API (URL from CB_EVENTS_URL, a 0600 file, or a prompt).
    Chaturbate {
        /// Expect the testbed host (events.testbed.cb.dev) instead of eventsapi.chaturbate.com.
        #[arg(long)]
        testbed: bool,
        /// Ignore the saved cursor and discard the server's backlog: start from the present.
        #[arg(long)]
        fresh: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Play a recorded journal through the same pipeline.
    Replay {
        /// The journal file (JSON Lines written by an earlier session).
        #[arg(id = "journal_file", value_name = "JOURNAL")]
        journal: PathBuf,
        /// Playback speed relative to the recording (2 = twice as fast).
        #[arg(long, value_name = "X", conflicts_with = "instant")]
        speed: Option<f64>,
        /// No waiting between events.
        #[arg(long)]
        instant: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
}

/// Options common to `demo`, `chaturbate` and `replay`.
#[derive(Debug, Clone, Default, Args)]
pub struct CommonArgs {
    /// No TUI: one JSON object per event on stdout, status lines on stderr.
    #[arg(long)]
    pub headless: bool,
    /// Stop cleanly after N distinct events (summary written, exit 0).
    #[arg(long, value_name = "N")]
    pub max_events: Option<u64>,
    /// Where the session summary files go (default: the data dir's sessions/).
    #[arg(long, value_name = "DIR")]
    pub summary_dir: Option<PathBuf>,
    /// Append the raw events to this file (default: the data dir's journals/).
    #[arg(long, value_name = "FILE", conflicts_with = "no_journal")]
    pub journal: Option<PathBuf>,
    /// Do not write a journal.
    #[arg(long)]
    pub no_journal: bool,
    /// Config file (default: config.toml in the config dir; see `roomwatch config --path`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log file (default: the state dir). Nothing is logged to the screen.
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
}
