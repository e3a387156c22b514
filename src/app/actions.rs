//! What each key action does to the state (pause, scroll, filters, prompts, markers, help).

use super::action::Action;
use super::feed::Pane;
use super::filter::TextFilter;
use super::msg::{Effects, ExitReason};
use super::prompt::{Prompt, PromptKind};
use super::state::{Marker, State};
use chrono::{DateTime, Utc};

pub(super) fn apply(state: &mut State, action: Action, now: DateTime<Utc>) -> Effects {
    let mut fx = Effects {
        redraw: true,
        ..Effects::default()
    };
    if state.channels_only() {
        if table_action(state, action) {
            return fx;
        }
        // Keys of the event panes (kinds, user, tip, marker, rooms) mean nothing on the table.
        if super::channels::table_help(action).is_none() {
            return Effects::default();
        }
    }
    let live = &mut state.live;
    match action {
        Action::Quit => {
            fx.quit = Some(live.ended.clone().unwrap_or(ExitReason::QuitKey));
        }
        Action::ToggleHelp => {
            live.help = !live.help;
            live.help_scroll = 0;
        }
        Action::ScrollUp
        | Action::PageUp
        | Action::ScrollTop
        | Action::ScrollDown
        | Action::PageDown
            if live.help && live.prompt.is_none() =>
        {
            scroll_help(state, action)
        }
        Action::Cancel if live.prompt.is_some() => cancel_prompt(state),
        Action::Cancel => live.help = false,
        Action::Confirm => confirm_prompt(state, &mut fx),
        Action::TogglePause => {
            if live.any_frozen() {
                live.resume_all();
            } else {
                live.paused = true;
                live.freeze_all();
            }
        }
        Action::JumpToLive => live.resume_all(),
        Action::FocusNext => live.focus = live.focus.next(),
        Action::FocusPrev => live.focus = live.focus.prev(),
        Action::ScrollUp => scroll_up(state, 1),
        Action::PageUp => scroll_up(state, page(state)),
        Action::ScrollTop => scroll_up(state, usize::MAX),
        Action::ScrollDown => scroll_down(state, 1),
        Action::PageDown => scroll_down(state, page(state)),
        Action::ToggleKind(n) => {
            live.filters.toggle_group(n);
            clamp_scrolls(state);
        }
        Action::InvertFilter => {
            live.filters.inverted = !live.filters.inverted;
            clamp_scrolls(state);
        }
        Action::ClearFilters => {
            live.filters = Default::default();
            clamp_scrolls(state);
        }
        Action::ToggleSmartViewers => {
            live.smart_viewers = !live.smart_viewers;
            clamp_scrolls(state);
        }
        Action::TextFilter => {
            let current = live.filters.text.as_ref().map(|t| t.pattern.clone());
            open(state, PromptKind::Text, current.unwrap_or_default());
        }
        Action::FocusUser => {
            let current = live.filters.user.clone();
            open(state, PromptKind::User, current.unwrap_or_default());
        }
        Action::MinTip => {
            let current = live.filters.min_tip.map(|m| m.to_string());
            open(state, PromptKind::MinTip, current.unwrap_or_default());
        }
        Action::Mark => open(state, PromptKind::Marker { at: now }, String::new()),
        Action::NextRoom => show_room(state, 1),
        Action::PrevRoom => show_room(state, -1),
        Action::AllRooms => {
            if state.multi_room() {
                state.live.shown = None;
                clamp_scrolls(state);
            }
        }
    }
    fx
}

/// Printable input while a prompt is open; the text filter applies as it is typed.
pub(super) fn input(state: &mut State, c: Option<char>) -> Effects {
    let Some(prompt) = state.live.prompt.as_mut() else {
        return Effects::default();
    };
    let changed = match c {
        Some(c) => prompt.push(c),
        None => prompt.buffer.pop().is_some(),
    };
    if changed && prompt.kind == PromptKind::Text {
        let text = prompt.buffer.clone();
        apply_text(state, &text);
    }
    Effects {
        redraw: changed,
        ..Effects::default()
    }
}

fn open(state: &mut State, kind: PromptKind, buffer: String) {
    let saved = state.live.filters.clone();
    state.live.help = false;
    state.live.prompt = Some(Prompt::new(kind, buffer, saved));
}

fn apply_text(state: &mut State, text: &str) {
    let prompt_error = if text.is_empty() {
        state.live.filters.text = None;
        None
    } else {
        match TextFilter::parse(text) {
            Ok(f) => {
                state.live.filters.text = Some(f);
                None
            }
            // Keep the last valid filter while the user is mid-way through a regex.
            Err(e) => Some(e),
        }
    };
    if let Some(p) = state.live.prompt.as_mut() {
        p.error = prompt_error;
    }
    clamp_scrolls(state);
}

fn cancel_prompt(state: &mut State) {
    if let Some(p) = state.live.prompt.take() {
        state.live.filters = p.saved;
        clamp_scrolls(state);
    }
}

fn confirm_prompt(state: &mut State, fx: &mut Effects) {
    let Some(prompt) = state.live.prompt.take() else {
        return;
    };
    let text = prompt.buffer.trim().to_string();
    match &prompt.kind {
        PromptKind::Text => {
            if let Err(e) = (!text.is_empty())
                .then(|| TextFilter::parse(&text))
                .transpose()
            {
                // Refuse to close on a bad regex: the user sees why.
                state.live.prompt = Some(Prompt {
                    error: Some(e),
                    ..prompt
                });
                return;
            }
            apply_text(state, &text);
        }
        PromptKind::User => {
            state.live.filters.user =
                (!text.is_empty()).then(|| text.trim_start_matches('@').to_string());
        }
        PromptKind::MinTip => {
            state.live.filters.min_tip = text.parse::<u64>().ok().filter(|m| *m > 0);
        }
        PromptKind::Marker { at } => {
            let at = *at;
            let n = (marked_rooms(state).iter())
                .map(|&r| state.rooms[r].markers.len())
                .max()
                .unwrap_or(0)
                + 1;
            let local = at.with_timezone(&state.live.utc_offset).format("%H:%M:%S");
            let said = if text.is_empty() {
                format!("marker {n} at {local} · kept for the session summary")
            } else {
                format!("marker {n} at {local} · {text} · kept for the session summary")
            };
            let marker = Marker { at, note: text };
            for r in marked_rooms(state) {
                state.rooms[r].markers.push(marker.clone());
            }
            state.live.info = Some((said, state.live.now));
            fx.redraw = true;
        }
    }
    clamp_scrolls(state);
}

/// The rooms a marker goes to: the rooms shown, except, with several rooms, those that ended (their summary
/// is already written). The one room of a session keeps taking markers on the held screen.
fn marked_rooms(state: &State) -> Vec<usize> {
    (0..state.rooms.len())
        .filter(|&r| state.shows_room(r) && (state.rooms[r].is_running() || !state.multi_room()))
        .collect()
}

/// Steps through the rooms and "all rooms": … → last → all → first → …; one room has nothing to step.
fn show_room(state: &mut State, step: isize) {
    let n = state.rooms.len();
    if n < 2 {
        return;
    }
    // Positions 0..n are the rooms, n is "all".
    let at = state.live.shown.unwrap_or(n) as isize;
    let next = (at + step).rem_euclid(n as isize + 1) as usize;
    state.live.shown = (next < n).then_some(next);
    clamp_scrolls(state);
}

/// A page: a third of the terminal height (panes are at least that tall in every layout).
/// Scrolling while the help is open moves the help, not the pane behind it.
fn scroll_help(state: &mut State, action: Action) {
    let max = state.live.viewport.help_max_scroll;
    let page = u16::try_from(page(state)).unwrap_or(u16::MAX);
    let live = &mut state.live;
    let cur = live.help_scroll.min(max);
    live.help_scroll = match action {
        Action::ScrollUp => cur.saturating_sub(1),
        Action::PageUp => cur.saturating_sub(page),
        Action::ScrollTop => 0,
        Action::ScrollDown => cur.saturating_add(1).min(max),
        _ => cur.saturating_add(page).min(max),
    };
}

fn page(state: &State) -> usize {
    usize::from(state.live.viewport.height / 3).max(1)
}

fn scroll_up(state: &mut State, by: usize) {
    let pane = state.live.focus;
    let max = state.shown_count(pane).saturating_sub(1);
    let seq = state.live.seq;
    let ps = state.live.pane_mut(pane);
    ps.freeze(seq);
    ps.scroll = ps.scroll.saturating_add(by).min(max);
}

fn scroll_down(state: &mut State, by: usize) {
    let paused = state.live.paused;
    let pane = state.live.focus;
    let ps = state.live.pane_mut(pane);
    if ps.scroll == 0 {
        // Past the bottom of a pane frozen by scrolling: back to live.
        if !paused {
            ps.resume();
        }
        return;
    }
    ps.scroll = ps.scroll.saturating_sub(by);
}

/// Pause and scrolling on the channel table (the screen of `roomwatch channels`); `false` for the actions it
/// leaves to the others (help, prompts, filters, quit).
fn table_action(state: &mut State, action: Action) -> bool {
    let live = &mut state.live;
    let Some(board) = state.channels.as_mut() else {
        return false;
    };
    if live.help || live.prompt.is_some() {
        return false;
    }
    let page = usize::from(live.viewport.table_rows).max(1);
    match action {
        Action::TogglePause if !live.paused => {
            live.paused = true;
            board.pause();
        }
        Action::TogglePause | Action::JumpToLive => {
            live.paused = false;
            board.resume();
        }
        Action::ScrollUp => board.scroll = board.scroll.saturating_sub(1),
        Action::PageUp => board.scroll = board.scroll.saturating_sub(page),
        Action::ScrollTop => board.scroll = 0,
        Action::ScrollDown => board.scroll = board.scroll.saturating_add(1),
        Action::PageDown => board.scroll = board.scroll.saturating_add(page),
        _ => return false,
    }
    clamp_table(state);
    true
}

/// The channel table's first row stays where a full page still shows.
pub(super) fn clamp_table(state: &mut State) {
    let filters = &state.live.filters;
    let page = usize::from(state.live.viewport.table_rows).max(1);
    if let Some(board) = state.channels.as_mut() {
        let shown = board.shown(|r| super::channels::shows(filters, r)).count();
        board.scroll = board.scroll.min(shown.saturating_sub(page));
    }
}

/// Filters change how many items are shown; keep every scroll offset inside the new range.
fn clamp_scrolls(state: &mut State) {
    clamp_table(state);
    for pane in Pane::ALL {
        if state.live.pane(pane).scroll == 0 {
            continue;
        }
        let max = state.shown_count(pane).saturating_sub(1);
        let ps = state.live.pane_mut(pane);
        ps.scroll = ps.scroll.min(max);
    }
}
