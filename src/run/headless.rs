//! Headless mode: one JSON line per distinct event on stdout, human status lines on stderr.

use super::rooms::Inbox;
use super::serve::Serving;
use super::signals::Signals;
use crate::app::{session_end, update, ExitReason, Msg, State};
use crate::effects::SessionFiles;
use crate::event::write_json_line;
use crate::sources::{ConnState, ConnStatus, SourceMsg};
use chrono::Utc;
use std::io::{self, Write};
use std::time::Duration;

/// Most batches taken from the channel per wake-up.
const DRAIN: usize = 64;

/// The most line bytes made before they are handed to stdout's writer.
const LINES_BYTES: usize = 1 << 16;

/// The timer when no room has an autosave due (every room's final summary is written).
const IDLE: Duration = Duration::from_secs(3600);

pub struct HeadlessOptions {
    pub max_events: Option<u64>,
}

/// Runs until every room's source ends, a signal arrives, stdout closes or `max_events` is reached.
pub async fn run(
    state: &mut State,
    inbox: &mut Inbox,
    signals: &mut Signals,
    opts: &HeadlessOptions,
    files: &mut [SessionFiles],
    serving: &mut Option<Serving>,
) -> ExitReason {
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout());
    // A batch's lines are made in a plain buffer (cheaper per write than the `BufWriter`) and handed over in
    // pieces of up to `LINES_BYTES`.
    let mut lines = Vec::with_capacity(LINES_BYTES + 4096);
    let mut buf = Vec::with_capacity(DRAIN);
    // Sources repeat an unchanged state to refresh their counters; print only changes.
    let mut shown: Vec<Option<ConnState>> = vec![None; state.rooms.len()];
    // A session of the channel watch alone has no room to wait for.
    let rooms_open = !state.rooms.is_empty();
    loop {
        // A quiet room still gets its autosave.
        let now = Utc::now();
        let due = files.iter().filter_map(|f| f.autosave_in(now)).min();
        let autosave = tokio::time::sleep(due.unwrap_or(IDLE));
        let got = tokio::select! {
            n = inbox.rooms.recv_many(&mut buf, DRAIN), if rooms_open => n,
            m = inbox.watch.next(), if inbox.watch.is_open() => {
                let Some(m) = m else {
                    if super::channels::stopped_by_itself(state) {
                        continue;
                    }
                    let _ = out.flush();
                    return super::channels::vanished();
                };
                // The change lines leave before the table (and the snapshot's next save) moves on.
                if let Err(e) = super::channels::write_lines(&mut out, serving, &m).and_then(|()| out.flush()) {
                    return stdout_failed(e);
                }
                super::channels::say_headless(&m, state.rooms.is_empty());
                let fx = update(state, Msg::Watch(m), Utc::now());
                if let Some(reason) = fx.quit {
                    let _ = out.flush();
                    return reason;
                }
                continue;
            }
            _ = autosave => {
                super::exit::autosave(files, state, Utc::now());
                continue;
            }
            q = Serving::next_query(serving) => {
                if let Some(reason) = super::serve::answer(q, state, files) {
                    let _ = out.flush();
                    update(state, Msg::Shutdown(reason.clone()), Utc::now());
                    return reason;
                }
                continue;
            }
            reason = signals.recv() => {
                let _ = out.flush();
                update(state, Msg::Shutdown(reason.clone()), Utc::now());
                return reason;
            }
        };
        if got == 0 {
            // Every channel closed, each room told why (the inbox adds `Vanished` to a silent one): the
            // reducer has ended the session already, unless something is wrong.
            let _ = out.flush();
            return session_end(state).unwrap_or(ExitReason::SourceFailed);
        }
        for (key, msg) in buf.drain(..) {
            let Some(r) = state
                .room_index(&key)
                .filter(|&r| state.rooms[r].is_running())
            else {
                continue;
            };
            let msg = match msg {
                SourceMsg::Batch(mut batch) => {
                    let done = super::cut_at_max_events(&mut batch, opts.max_events, state);
                    for ev in &batch.events {
                        match serving.as_ref() {
                            // Formatted once for both: stdout and the SSE clients get the same bytes.
                            Some(s) => {
                                let line = super::serve::line(&key.name, ev);
                                lines.extend_from_slice(line.as_bytes());
                                lines.push(b'\n');
                                s.publish_line(r, ev.kind().as_str(), line);
                            }
                            // Writing to a Vec cannot fail.
                            None => drop(write_json_line(&mut lines, &key.name, ev)),
                        }
                        if lines.len() >= LINES_BYTES {
                            if let Err(e) = out.write_all(&lines) {
                                return stdout_failed(e);
                            }
                            lines.clear();
                        }
                    }
                    // The lines leave before the resume cursor moves past them: a crash between the two can
                    // repeat a batch on the next start, never skip one.
                    if !batch.events.is_empty() {
                        if let Err(e) = out.write_all(&lines).and_then(|()| out.flush()) {
                            return stdout_failed(e);
                        }
                        lines.clear();
                        // One huge line (a reply holds up to its size cap) does not keep its memory.
                        lines.shrink_to(LINES_BYTES + 4096);
                    }
                    files[r].on_batch(&batch);
                    update(state, Msg::Source(key, SourceMsg::Batch(batch)), Utc::now());
                    if done {
                        if let Err(e) = out.flush() {
                            return stdout_failed(e);
                        }
                        return ExitReason::MaxEvents;
                    }
                    continue;
                }
                SourceMsg::Status(s) => {
                    if shown[r].as_ref() != Some(&s.state) {
                        status_line(&room_tag(state, r), &s);
                        shown[r] = Some(s.state.clone());
                    }
                    SourceMsg::Status(s)
                }
                SourceMsg::Notice(text) => {
                    crate::stderr::say(&format!("roomwatch: {}{text}", room_tag(state, r)));
                    SourceMsg::Notice(text)
                }
                other => other,
            };
            let fx = update(state, Msg::Source(key, msg), Utc::now());
            if let Some(reason) = fx.quit {
                let _ = out.flush();
                return reason;
            }
            // One room of several ended: its summary is written now and said on stderr; the others go on.
            for r in super::exit::finish_ended_rooms(files, state, Utc::now()) {
                if let Some(reason) = &state.rooms[r].ended {
                    let kind = [state.rooms[r].key.platform];
                    let text =
                        super::why(reason, &kind).unwrap_or_else(|| format!("ended ({reason})"));
                    crate::stderr::say(&format!(
                        "roomwatch: {}{text} (the other rooms go on)",
                        room_tag(state, r)
                    ));
                }
            }
        }
        if let Err(e) = out.flush() {
            return stdout_failed(e);
        }
        super::exit::autosave(files, state, Utc::now());
    }
}

/// `"<room>: "` in front of a room's stderr lines where several rooms share stderr; nothing for one room.
fn room_tag(state: &State, r: usize) -> String {
    if state.multi_room() {
        format!("{}: ", state.rooms[r].name())
    } else {
        String::new()
    }
}

fn stdout_failed(e: io::Error) -> ExitReason {
    if e.kind() == io::ErrorKind::BrokenPipe {
        ExitReason::OutputClosed
    } else {
        ExitReason::FatalError(format!("cannot write to stdout: {e}"))
    }
}

fn status_line(tag: &str, s: &ConnStatus) {
    let text = match &s.state {
        ConnState::Connecting => "connecting…".to_string(),
        ConnState::Live => "live".to_string(),
        ConnState::Retrying {
            attempt,
            next_in,
            last,
        } => format!(
            "retrying: attempt {attempt} · next in {:.1} s · last: {last}",
            next_in.as_secs_f64()
        ),
        ConnState::CredentialsRefused => "credentials refused".to_string(),
        ConnState::Stopped => "stopped".to_string(),
    };
    crate::stderr::say(&format!("roomwatch: {tag}{text}"));
}
