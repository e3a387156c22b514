use super::msg::{Effects, ExitReason, Msg};
use super::state::State;
use super::Action;
use crate::sources::{SourceError, SourceMsg};
use chrono::{DateTime, Utc};

/// Most notices kept for the status area.
const MAX_NOTICES: usize = 50;

/// The reducer. Pure: everything it needs, including the time, comes in as arguments.
pub fn update(state: &mut State, msg: Msg, now: DateTime<Utc>) -> Effects {
    let mut fx = Effects::default();
    match msg {
        Msg::Source(SourceMsg::Batch(batch)) => {
            state.last_reply_at = Some(batch.received_at);
            state.stats.duplicates_dropped += u64::from(batch.duplicates_dropped);
            state.stats.skipped_events += u64::from(batch.skipped);
            for ev in &batch.events {
                state.stats.record(ev);
            }
            if let Some(last) = batch.events.last() {
                state.last_event_id = Some(last.id.clone());
            }
            fx.redraw = !batch.events.is_empty();
        }
        Msg::Source(SourceMsg::Status(status)) => {
            state.stats.record_status(&status, now);
            fx.redraw = true;
        }
        Msg::Source(SourceMsg::Notice(text)) => {
            state.notices.push(text);
            if state.notices.len() > MAX_NOTICES {
                state.notices.remove(0);
            }
            fx.redraw = true;
        }
        Msg::Source(SourceMsg::Ended) => fx.quit = Some(ExitReason::EndOfReplay),
        Msg::Source(SourceMsg::Fatal(err)) => {
            fx.quit = Some(match err {
                SourceError::CredentialsRefused { .. } => ExitReason::CredentialsRefused,
                SourceError::Fatal(text) => ExitReason::FatalError(text),
            });
        }
        Msg::Action(Action::Quit) => fx.quit = Some(ExitReason::QuitKey),
        Msg::Shutdown(reason) => fx.quit = Some(reason),
        Msg::Action(_) | Msg::Input(_) | Msg::InputBackspace | Msg::Tick | Msg::Resize(..) => {
            fx.redraw = true;
        }
    }
    if let Some(reason) = &fx.quit {
        state.quit.get_or_insert_with(|| reason.clone());
    }
    fx
}
