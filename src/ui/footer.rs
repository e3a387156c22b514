//! Key hints generated from the effective key map (remapped keys show as remapped), and the prompt line.

use super::format::width;
use super::theme::Theme;
use crate::app::{Action, KeyMap, Mode, State};
use ratatui::text::{Line, Span};

/// (key text, label) hints for the current mode, most useful first; unbound actions are left out.
pub fn hints(state: &State) -> Vec<(String, String)> {
    let km: &KeyMap = &state.settings.keymap;
    let mode = state.live.mode();
    let one = |a: Action, label: &str| km.hint(mode, a).map(|k| (k, label.to_string()));
    // Panes frozen by pause or scrolling, or the channel table paused.
    let pause = if state.live.paused || state.live.any_frozen() {
        "resume"
    } else {
        "pause"
    };
    let list: Vec<Option<(String, String)>> = match mode {
        Mode::Normal if state.channels_only() => {
            vec![
                one(Action::Quit, "quit"),
                one(Action::ToggleHelp, "help"),
                one(Action::TogglePause, pause),
                one(Action::TextFilter, "filter"),
                one(Action::InvertFilter, "invert"),
                one(Action::ClearFilters, "clear"),
                one(Action::PageDown, "page"),
            ]
        }
        Mode::Normal => {
            let kinds = match (
                km.hint(mode, Action::ToggleKind(1)),
                km.hint(mode, Action::ToggleKind(9)),
            ) {
                (Some(a), Some(b)) => Some((format!("{a}-{b}"), "kinds".to_string())),
                _ => None,
            };
            // With several rooms, switching them is the second thing to know.
            let rooms = match (
                state.multi_room(),
                km.hint(mode, Action::PrevRoom),
                km.hint(mode, Action::NextRoom),
            ) {
                (true, Some(a), Some(b)) => Some((format!("{a}{b}"), "room".to_string())),
                _ => None,
            };
            let all = state
                .multi_room()
                .then(|| one(Action::AllRooms, "all rooms"))
                .flatten();
            vec![
                one(Action::Quit, "quit"),
                rooms,
                all,
                one(Action::ToggleHelp, "help"),
                one(Action::TogglePause, pause),
                one(Action::FocusNext, "pane"),
                one(Action::TextFilter, "filter"),
                one(Action::FocusUser, "user"),
                one(Action::MinTip, "min tip"),
                kinds,
                one(Action::InvertFilter, "invert"),
                one(Action::ClearFilters, "clear"),
                one(Action::Mark, "marker"),
                one(Action::ToggleSmartViewers, "smart viewers"),
                one(Action::JumpToLive, "live"),
            ]
        }
        Mode::Input => vec![
            one(Action::Confirm, "accept"),
            one(Action::Cancel, "cancel"),
        ],
        Mode::Help => vec![one(Action::Cancel, "close"), one(Action::Quit, "quit")],
    };
    list.into_iter().flatten().collect()
}

pub fn footer(state: &State, theme: &Theme, width_cols: u16) -> Line<'static> {
    let mut spans = Vec::new();
    let mut used = 0;
    for (key, label) in hints(state) {
        let w = width(&key) + width(&label) + 3;
        if used + w > width_cols as usize {
            break;
        }
        used += w;
        spans.push(Span::styled(format!(" {key}"), theme.key()));
        spans.push(Span::styled(format!(" {label} "), theme.dim()));
    }
    Line::from(spans)
}

/// The open prompt: label, typed text, and an error when the input is not valid yet.
/// Returns the line and the cursor column.
pub fn prompt(state: &State, theme: &Theme) -> Option<(Line<'static>, u16)> {
    let p = state.live.prompt.as_ref()?;
    let head = format!(" {} › ", p.label());
    let buffer = crate::sanitize::clean(&p.buffer).into_owned();
    let cursor = (width(&head) + width(&buffer)) as u16;
    let mut spans = vec![Span::styled(head, theme.key()), Span::raw(buffer)];
    if let Some(e) = &p.error {
        spans.push(Span::styled(format!("   {e}"), theme.error()));
    }
    Some((Line::from(spans), cursor))
}
