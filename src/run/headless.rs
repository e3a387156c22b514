//! Headless mode: one JSON line per distinct event on stdout, human status lines on stderr.

use super::signals::Signals;
use crate::app::{update, ExitReason, Msg, State};
use crate::event::write_json_line;
use crate::sources::{ConnState, ConnStatus, SourceError, SourceMsg};
use chrono::Utc;
use std::io::{self, Write};
use tokio::sync::mpsc;

/// Most batches taken from the channel per wake-up.
const DRAIN: usize = 64;

pub struct HeadlessOptions {
    pub max_events: Option<u64>,
}

/// Runs until the source ends, a signal arrives, stdout closes or `max_events` is reached.
pub async fn run(
    state: &mut State,
    rx: &mut mpsc::Receiver<SourceMsg>,
    signals: &mut Signals,
    opts: &HeadlessOptions,
    files: &mut crate::effects::SessionFiles,
) -> ExitReason {
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout());
    let mut buf = Vec::with_capacity(DRAIN);
    // Sources repeat an unchanged state to refresh their counters; print only changes.
    let mut shown: Option<ConnState> = None;
    loop {
        // A quiet room still gets its autosave.
        let autosave = tokio::time::sleep(files.autosave_in(Utc::now()));
        let got = tokio::select! {
            n = rx.recv_many(&mut buf, DRAIN) => n,
            _ = autosave => {
                files.maybe_autosave(state, Utc::now());
                continue;
            }
            reason = signals.recv() => {
                let _ = out.flush();
                update(state, Msg::Shutdown(reason.clone()), Utc::now());
                return reason;
            }
        };
        if got == 0 {
            // `Ended` and `Fatal` end the run before the channel closes: closing without one is a source
            // that vanished, never a clean end.
            let _ = out.flush();
            update(
                state,
                Msg::Source(SourceMsg::Fatal(SourceError::Vanished)),
                Utc::now(),
            );
            return ExitReason::SourceFailed;
        }
        for msg in buf.drain(..) {
            let msg = match msg {
                SourceMsg::Batch(mut batch) => {
                    let done = super::cut_at_max_events(&mut batch, opts.max_events, state);
                    for ev in &batch.events {
                        if let Err(e) = write_json_line(&mut out, &state.room, ev) {
                            return stdout_failed(e);
                        }
                    }
                    // The lines leave before the resume cursor moves past them: a crash between the two can
                    // repeat a batch on the next start, never skip one.
                    if !batch.events.is_empty() {
                        if let Err(e) = out.flush() {
                            return stdout_failed(e);
                        }
                    }
                    files.on_batch(&batch);
                    update(state, Msg::Source(SourceMsg::Batch(batch)), Utc::now());
                    if done {
                        if let Err(e) = out.flush() {
                            return stdout_failed(e);
                        }
                        return ExitReason::MaxEvents;
                    }
                    continue;
                }
                SourceMsg::Status(s) => {
                    if shown.as_ref() != Some(&s.state) {
                        status_line(&s);
                        shown = Some(s.state.clone());
                    }
                    SourceMsg::Status(s)
                }
                SourceMsg::Notice(text) => {
                    crate::stderr::say(&format!("roomwatch: {text}"));
                    SourceMsg::Notice(text)
                }
                other => other,
            };
            let fx = update(state, Msg::Source(msg), Utc::now());
            if let Some(reason) = fx.quit {
                let _ = out.flush();
                return reason;
            }
        }
        if let Err(e) = out.flush() {
            return stdout_failed(e);
        }
        files.maybe_autosave(state, Utc::now());
    }
}

fn stdout_failed(e: io::Error) -> ExitReason {
    if e.kind() == io::ErrorKind::BrokenPipe {
        ExitReason::OutputClosed
    } else {
        ExitReason::FatalError(format!("cannot write to stdout: {e}"))
    }
}

fn status_line(s: &ConnStatus) {
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
    crate::stderr::say(&format!("roomwatch: {text}"));
}
