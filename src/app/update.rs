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
        Msg::Source(key, msg) => {
            // A room not in the session, or one that has ended, has nothing more to say.
            if let Some(r) = state
                .room_index(&key)
                .filter(|&r| state.rooms[r].is_running())
            {
                source(state, r, msg, now, &mut fx);
            }
        }
        Msg::Watch(msg) => {
            let (paused, alone) = (state.live.paused, state.rooms.is_empty());
            if let Some(board) = state.channels.as_mut() {
                if let Some(text) = super::channels::update(board, msg, paused, alone, &mut fx) {
                    state.live.info = Some((text, now));
                }
                // A channel going live rings like any alert: not with `bell = false`, not within the cooldown.
                fx.bell = fx.bell && state.live.alerts.ring(&state.settings, now);
            }
            // A poll may have fewer rows through the filter than the scroll assumed.
            actions::clamp_table(state);
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
            actions::clamp_table(state);
            fx.redraw = true;
        }
    }
    if let Some(reason) = &fx.quit {
        state.quit.get_or_insert_with(|| reason.clone());
    }
    fx
}

/// One message of room `r`'s source.
fn source(state: &mut State, r: usize, msg: SourceMsg, now: DateTime<Utc>, fx: &mut Effects) {
    let multi_room = state.multi_room();
    let room = &mut state.rooms[r];
    match msg {
        SourceMsg::Batch(batch) => {
            room.last_reply_at = Some(batch.received_at);
            let stats = &mut room.stats;
            stats.duplicates_dropped = stats
                .duplicates_dropped
                .saturating_add(batch.duplicates_dropped.into());
            stats.skipped_events = stats.skipped_events.saturating_add(batch.skipped.into());
            fx.redraw = !batch.events.is_empty();
            for ev in batch.events {
                state.rooms[r].stats.record(&ev);
                live::ingest(state, r, ev, now, fx);
            }
        }
        SourceMsg::Status(status) => {
            room.stats.record_status(&status, now);
            fx.redraw = true;
        }
        SourceMsg::Notice(text) => {
            room.notices.push(text);
            if room.notices.len() > MAX_NOTICES {
                room.notices.remove(0);
            }
            room.notice_at = Some(now);
            fx.redraw = true;
        }
        SourceMsg::Ended => end_room(state, r, ExitReason::EndOfReplay, fx),
        // A panic is a bug: a session of one room ends at once, whatever the screen would hold.
        SourceMsg::Fatal(SourceError::Panic(_)) if !multi_room => {
            room.ended = Some(ExitReason::Panic);
            fx.quit = Some(ExitReason::Panic)
        }
        SourceMsg::Fatal(err) => {
            let reason = match err {
                SourceError::CredentialsRefused { .. } => ExitReason::CredentialsRefused,
                SourceError::Fatal(text) => ExitReason::FatalError(text),
                SourceError::Vanished => ExitReason::SourceFailed,
                SourceError::Panic(_) => ExitReason::Panic,
            };
            end_room(state, r, reason, fx);
        }
    }
}

/// Room `r`'s source stopped. The others go on; when none is left, headless ends now and the TUI keeps the
/// screen (and the reason) until the user quits.
fn end_room(state: &mut State, r: usize, reason: ExitReason, fx: &mut Effects) {
    state.rooms[r].ended.get_or_insert(reason);
    fx.redraw = true;
    let Some(reason) = session_end(state) else {
        return;
    };
    if state.live.hold_on_end {
        state.live.ended.get_or_insert(reason);
    } else {
        fx.quit = Some(reason);
    }
}

/// Why the session ended by itself, once every room has ended (DESIGN.md: refused credentials in any room
/// first, then any other failure, else a normal end). One room's reason is the session's.
pub fn session_end(state: &State) -> Option<ExitReason> {
    let reasons: Vec<&ExitReason> = (state.rooms.iter())
        .map(|r| r.ended.as_ref())
        .collect::<Option<_>>()?;
    let refused = (reasons.iter()).find(|r| matches!(r, ExitReason::CredentialsRefused));
    let failed = (reasons.iter()).find(|r| r.exit_code() != super::msg::exit_code::OK);
    Some((refused.or(failed).or(reasons.first())).map_or(ExitReason::EndOfReplay, |r| (*r).clone()))
}
