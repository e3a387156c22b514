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
    /// Watch a Twitch channel through EventSub (token from `roomwatch twitch login` or TWITCH_ACCESS_TOKEN).
    #[command(args_conflicts_with_subcommands = true)]
    Twitch {
        #[command(subcommand)]
        account: Option<TwitchAccount>,
        /// The channel's login (default: the logged-in user's own channel).
        #[arg(value_name = "CHANNEL")]
        channel: Option<String>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Many channels' live status by poll-and-diff (`twitch:NAME …`, or the config's [watch]): a table, or
    /// one JSON line per change with --headless.
    Channels {
        /// Seconds between polls (at least 15; default: [watch] interval, else 60).
        #[arg(long, value_name = "SECS")]
        interval: Option<u64>,
        /// Report viewers when they move this far from the count last reported (0: never; default:
        /// [watch] viewer_step, else 100).
        #[arg(long, value_name = "N")]
        viewer_step: Option<u64>,
        /// Also get stream.online/offline webhooks at this public HTTPS URL, forwarded to this roomwatch's
        /// `--serve` /eventsub (needs TWITCH_CLIENT_SECRET for an app token).
        #[arg(long, value_name = "URL")]
        webhook_callback: Option<String>,
        /// The channels: `twitch:NAME` (or just NAME), up to 1000 (default: the config's [watch] channels).
        #[arg(value_name = "CHANNEL", num_args = 0..)]
        channels: Vec<String>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Several rooms at once: the config's [[rooms]], or N simulated rooms with --demo N.
    Watch {
        /// Run N simulated rooms instead of the config's (no account, no network).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=32))]
        demo: Option<u16>,
        /// Seed of the first simulated room (the next rooms take the following seeds).
        #[arg(long, default_value_t = 1, requires = "demo")]
        seed: u64,
        /// Mean events per second of each simulated room; 0 = as fast as possible.
        #[arg(
            long,
            default_value_t = 4.0,
            value_name = "EVENTS_PER_S",
            requires = "demo"
        )]
        rate: f64,
        /// Ignore the saved cursors of Chaturbate rooms and start from the present.
        #[arg(long)]
        fresh: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Show where the config file is looked for, print the commented default, or check a config.
    #[command(group = clap::ArgGroup::new("what").required(true))]
    Config {
        /// Print where config.toml is looked for (or the --config file).
        #[arg(long, group = "what")]
        path: bool,
        /// Print the built-in default config: every option, commented.
        #[arg(long, group = "what")]
        print_default: bool,
        /// Load the config with the environment and --set layers, report the first error (exit 2) or "ok".
        #[arg(long, group = "what")]
        check: bool,
        /// The config file to use instead of the default place.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Set one option over the file and the environment (repeatable), as for the other commands.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Print a shell completion script (e.g. `roomwatch completions bash > ~/.local/share/bash-completion/completions/roomwatch`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the local API's URLs with the API key, for OBS browser sources and scripts (creates the key).
    ApiUrl {
        /// The address `--serve` uses.
        #[arg(
            long,
            value_name = "ADDR",
            default_value = crate::api::DEFAULT_ADDR,
            value_parser = crate::api::parse_addr
        )]
        serve: std::net::SocketAddr,
        /// Config file (for [paths] data_dir).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Print the man page (roff) on stdout (e.g. `roomwatch man > ~/.local/share/man/man1/roomwatch.1`).
    Man,
    /// Play recorded journals through the same pipeline (several journals: one room each, side by side).
    Replay {
        /// The journal files (JSON Lines written by earlier sessions).
        // Its own id: `--journal` of the common options is also named `journal`, and clap refuses two.
        #[arg(id = "replay_journal", value_name = "JOURNAL", required = true, num_args = 1..)]
        journals: Vec<PathBuf>,
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

/// `roomwatch twitch login|logout`.
#[derive(Debug, Clone, Subcommand)]
pub enum TwitchAccount {
    /// Log in with the device code flow: open the URL shown on any device and enter the code.
    Login {
        /// Scopes to ask for, comma-separated (default: everything roomwatch can show).
        #[arg(long, value_name = "S,…", value_delimiter = ',')]
        scopes: Vec<String>,
        /// Config file (for twitch.client_id).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Revoke the stored token and delete it.
    Logout {
        /// Config file (for twitch.client_id).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// Options common to `demo`, `chaturbate`, `twitch`, `watch` and `replay`.
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
    /// Append the raw events to this file (default: a new file in the data dir's journals/; a replay writes none).
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
    /// Log level or filter: error, warn, info, debug, trace, or a RUST_LOG-style filter (default: RUST_LOG, else info).
    #[arg(long, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// Set one config option over the file and the environment, e.g. --set bell=false (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Serve the local API and the overlays on ADDR (default 127.0.0.1:7797; a port alone means 127.0.0.1:PORT).
    #[arg(
        long,
        value_name = "ADDR",
        num_args = 0..=1,
        default_missing_value = crate::api::DEFAULT_ADDR,
        value_parser = crate::api::parse_addr
    )]
    pub serve: Option<std::net::SocketAddr>,
    /// Allow --serve on an address other than loopback (the API key still guards every request).
    #[arg(long, requires = "serve")]
    pub serve_public: bool,
}

impl Command {
    /// The options of a command that runs a session (`None` for `config`, `completions`, `man`, `twitch
    /// login|logout`).
    pub fn common(&self) -> Option<&CommonArgs> {
        match self {
            Command::Twitch {
                account: None,
                common,
                ..
            } => Some(common),
            Command::Twitch { .. } => None,
            Command::Demo { common, .. }
            | Command::Channels { common, .. }
            | Command::Chaturbate { common, .. }
            | Command::Watch { common, .. }
            | Command::Replay { common, .. } => Some(common),
            Command::Config { .. }
            | Command::Completions { .. }
            | Command::Man
            | Command::ApiUrl { .. } => None,
        }
    }
}
