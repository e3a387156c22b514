//! `roomwatch completions SHELL` and `roomwatch man`: generated from the clap definition, so they never drift
//! from the real options.

use crate::cli::Cli;
use clap::CommandFactory;
use std::io::{self, Write};

/// Writes the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "roomwatch", out);
}

/// Writes the man page (roff): the top-level page, one section per command with its options, then the
/// environment, files and exit status.
pub fn man(out: &mut dyn Write) -> io::Result<()> {
    let cmd = Cli::command();
    let page = clap_mangen::Man::new(cmd.clone());
    page.render_title(out)?;
    page.render_name_section(out)?;
    page.render_synopsis_section(out)?;
    page.render_description_section(out)?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("roomwatch {}", sub.get_name());
        let sub_page = clap_mangen::Man::new(sub.clone().bin_name(name.clone()));
        let mut buf = Vec::new();
        sub_page.render_synopsis_section(&mut buf)?;
        if let Some(about) = sub.get_about() {
            buf.extend_from_slice(
                format!(".PP\n{}\n", about.to_string().replace('\\', "\\e")).as_bytes(),
            );
        }
        sub_page.render_options_section(&mut buf)?;
        let text = String::from_utf8_lossy(&buf)
            .replace(".SH SYNOPSIS", &format!(".SH \"{}\"", name.to_uppercase()))
            .replace(".SH OPTIONS", ".SS Options");
        out.write_all(text.as_bytes())?;
    }
    out.write_all(EXTRA_SECTIONS.as_bytes())
}

const EXTRA_SECTIONS: &str = r#".SH ENVIRONMENT
.TP
\fBCB_EVENTS_URL\fR
The Chaturbate Events API URL (https://eventsapi.chaturbate.com/events/USER/TOKEN/), as copied from the token page. It contains the token and is never printed or logged.
.TP
\fBROOMWATCH_\fIKEY\fR
Sets the config option \fIKEY\fR over the config file, e.g. ROOMWATCH_BELL=false, ROOMWATCH_TIP_ALERT_MIN=50, ROOMWATCH_TIP_GOAL_TOKENS=5000 (a dot in the key is written as an underscore). See \fBroomwatch config \-\-print\-default\fR.
.TP
\fBNO_COLOR\fR
When set and not empty, no colours (theme mono).
.TP
\fBRUST_LOG\fR
Log level or filter when \fB\-\-log\-level\fR is not given (default info).
.SH FILES
.TP
\fI~/.config/roomwatch/config.toml\fR
The config file (\fBroomwatch config \-\-path\fR prints where it is looked for).
.TP
\fI~/.config/roomwatch/events-url\fR
The events URL when CB_EVENTS_URL is not set (option credentials_file); must be readable by its owner only (0600).
.TP
\fI~/.local/share/roomwatch/sessions/\fR
Session summaries, JSON and Markdown (option summary_dir, \fB\-\-summary\-dir\fR).
.TP
\fI~/.local/share/roomwatch/journals/\fR
Journals of raw events, replayable (option journal_dir, \fB\-\-journal\fR).
.TP
\fI~/.local/state/roomwatch/\fR
Daily log files roomwatch.YYYY-MM-DD.log (option log_dir, \fB\-\-log\-file\fR) and resume cursors.
.SH "EXIT STATUS"
.TP
0
Normal end: quit key, \-\-max\-events, end of replay, SIGTERM, SIGHUP or Ctrl+C.
.TP
2
Usage or config error.
.TP
3
The platform refused the credentials (HTTP 401/403).
.TP
4
Any other fatal error.
"#;
