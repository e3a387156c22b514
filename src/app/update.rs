use super::msg::{Effects, ExitReason, Msg};
use super::state::State;
use super::{actions, live, Action};
use crate::sources::{SourceError, SourceMsg};
use chrono::{DateTime, Utc};

/// Most notices kept for the status area.
const MAX_NOTICES: usize = 50;

/// The reducer. Pure: everything it needs, including the time, comes in as arguments.
pub fn update(state: &mut State, msg: Msg, now: DateTime<Utc>) -> Effects {
    let mut fx = Effects::default();
    state.live.now = now;
    match msg {
        Msg::Source(SourceMsg::Batch(batch)) => {
            state.last_reply_at = Some(batch.received_at);
            let stats = &mut state.stats;
            stats.duplicates_dropped = stats
                .duplicates_dropped
                .saturating_add(batch.duplicates_dropped.into());
            stats.skipped_events = stats.skipped_events.saturating_add(batch.skipped.into());
            fx.redraw = !batch.events.is_empty();
            for ev in batch.events {
                state.stats.record(&ev);
                live::ingest(state, ev, now, &mut fx);
            }
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
            state.live.notice_at = Some(now);
            fx.redraw = true;
        }
        Msg::Source(SourceMsg::Ended) => end(state, ExitReason::EndOfReplay, &mut fx),
        // A panic is a bug: the session ends at once, whatever the screen would hold.
        Msg::Source(SourceMsg::Fatal(SourceError::Panic(_))) => fx.quit = Some(ExitReason::Panic),
        Msg::Source(SourceMsg::Fatal(err)) => {
            let reason = match err {
                SourceError::CredentialsRefused { .. } => ExitReason::CredentialsRefused,
                SourceError::Fatal(text) => ExitReason::FatalError(text),
                SourceError::Vanished | SourceError::Panic(_) => ExitReason::SourceFailed,
            };
            end(state, reason, &mut fx);
        }
        Msg::Action(Action::Quit) if state.live.ended.is_none() => {
            fx.quit = Some(ExitReason::QuitKey)
        }
        Msg::Action(action) => fx = actions::apply(state, action, now),
        Msg::Input(c) => fx = actions::input(state, Some(c)),
        Msg::InputBackspace => fx = actions::input(state, None),
        Msg::Shutdown(reason) => fx.quit = Some(reason),
        Msg::Tick => fx.redraw = state.wants_tick(),
        Msg::Resize(viewport) => {
            state.live.viewport = viewport;
            fx.redraw = true;
        }
    }
    if let Some(reason) = &fx.quit {
        state.quit.get_or_insert_with(|| reason.clone());
    }
    fx
}

/// The source stopped: headless ends now; the TUI keeps the screen (and the reason) until the user quits.
fn end(state: &mut State, reason: ExitReason, fx: &mut Effects) {
    if state.live.hold_on_end {
        state.live.ended.get_or_insert(reason);
        fx.redraw = true;
    } else {
        fx.quit = Some(reason);
    }
}
