//! What a watch message prints: its change lines (stdout when headless, and the API's clients either way), and
//! when headless, its notices and the platform's health on stderr.

use crate::event::format_at;
use crate::run::serve::Serving;
use crate::sources::watch::channels::{ChannelChange, Channels};
use crate::sources::watch::engine::{Health, Report};
use crate::sources::watch::WatchMsg;
use crate::stderr::say;
use serde_json::{json, Value};
use std::io::Write;

/// The change line: `{"source":"twitch","room":…,"kind":…,"at":…,"data":{…}}`.
fn line(room: &str, kind: &str, at: chrono::DateTime<chrono::Utc>, data: Value) -> Value {
    json!({"source": "twitch", "room": room, "kind": kind, "at": format_at(at), "data": data})
}

/// Writes one line to stdout and hands it to the API's clients (as the same bytes, without the newline).
fn emit(
    out: &mut (impl Write + ?Sized),
    serving: &Option<Serving>,
    room: &str,
    kind: &'static str,
    value: &Value,
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(256);
    crate::event::write_terminal_safe(&mut buf, value)?;
    out.write_all(&buf)?;
    if let Some(s) = serving {
        buf.pop();
        s.publish_as(
            room,
            "twitch",
            kind,
            String::from_utf8(buf).unwrap_or_default(),
        );
    }
    Ok(())
}

fn write_changes(
    out: &mut (impl Write + ?Sized),
    serving: &Option<Serving>,
    changes: Vec<ChannelChange>,
    while_off: bool,
    at: chrono::DateTime<chrono::Utc>,
) -> std::io::Result<()> {
    // `at` is when the poll that found the change was made.
    changes.into_iter().try_for_each(|c| {
        let mut data = c.data;
        if while_off {
            data["while_off"] = json!(true);
        }
        emit(
            out,
            serving,
            &c.channel,
            c.kind,
            &line(&c.channel, c.kind, at, data),
        )
    })
}

/// Writes the change lines of a watch message (its changes, or the end of an outage) to `out` and the API's
/// clients; other messages have none.
pub fn write_lines(
    out: &mut (impl Write + ?Sized),
    serving: &Option<Serving>,
    msg: &WatchMsg<ChannelChange, Channels>,
) -> std::io::Result<()> {
    match msg {
        WatchMsg::Report(Report::Changes {
            changes,
            while_off,
            at,
        }) => write_changes(out, serving, changes.clone(), *while_off, *at),
        WatchMsg::Report(Report::Recovered { from, to }) => emit(
            out,
            serving,
            "twitch",
            "unreachable",
            &line(
                "twitch",
                "unreachable",
                *to,
                json!({"from": format_at(*from), "to": format_at(*to)}),
            ),
        ),
        _ => Ok(()),
    }
}

/// A watch message said on stderr when headless (the table shows these on screen): notices, the platform's
/// health as it changes, and, beside rooms (`alone` false), why the watch stopped (alone, that is the session's
/// end, which the runner says).
pub fn say_headless(msg: &WatchMsg<ChannelChange, Channels>, alone: bool) {
    match msg {
        WatchMsg::Notice(text) => say(&format!("roomwatch: {text}")),
        WatchMsg::Refused if !alone => say(
            "roomwatch: the channel watch stopped: Twitch refused the login (run `roomwatch twitch login`); the rooms go on",
        ),
        WatchMsg::Fatal(why) if !alone => say(&format!(
            "roomwatch: the channel watch stopped: {}; the rooms go on",
            crate::sanitize::clean(why)
        )),
        WatchMsg::Report(Report::Health { health, last_good }) => {
            let since = last_good
                .map(|t| format!(" (last good poll {})", format_at(t)))
                .unwrap_or_default();
            say(&format!(
                "roomwatch: Twitch is {}{since}",
                match health {
                    Health::Good => "reachable again",
                    Health::Degraded => "degraded: polls fail; changes are held until one works",
                    Health::Maintenance => "in maintenance: changes are held until it ends",
                }
            ));
        }
        _ => {}
    }
}
