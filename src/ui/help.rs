//! The help overlay, generated from the effective key map plus the event-kind groups behind `1`–`9`.

use super::format;
use super::theme::Theme;
use crate::app::channels::table_help;
use crate::app::filter::GROUPS;
use crate::app::{Action, Mode, State};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use ratatui::Frame;

/// (keys, what they do) for the normal mode, with the nine group toggles folded into one row.
pub fn rows(state: &State) -> Vec<(String, String)> {
    let km = &state.settings.keymap;
    let mut out = Vec::new();
    for action in Action::all() {
        if matches!(
            action,
            Action::ToggleKind(_) | Action::Confirm | Action::Cancel
        ) {
            continue;
        }
        // Room keys only where there are rooms to switch between.
        let room_key = matches!(
            action,
            Action::NextRoom | Action::PrevRoom | Action::AllRooms
        );
        if room_key && !state.multi_room() {
            continue;
        }
        let keys: Vec<String> = km
            .keys_for(Mode::Normal, action)
            .iter()
            .map(|k| k.to_string())
            .collect();
        if keys.is_empty() {
            continue;
        }
        // The channel table says what its keys do there, and leaves out those it does not use.
        let what = match (state.channels_only(), table_help(action)) {
            (false, _) => action.description(),
            (true, Some(what)) => what.to_string(),
            (true, None) => continue,
        };
        out.push((keys.join(" / "), what));
    }
    out
}

/// The help's own keys, folded into "close" and "scroll" (their normal-mode descriptions would mislead here).
fn help_mode_rows(state: &State) -> Vec<(String, &'static str)> {
    let km = &state.settings.keymap;
    let keys = |actions: &[Action]| -> String {
        let names: Vec<String> = actions
            .iter()
            .flat_map(|a| km.keys_for(Mode::Help, *a).iter().map(|k| k.to_string()))
            .collect();
        names.join(" ")
    };
    let close = keys(&[Action::ToggleHelp, Action::Cancel]);
    let scroll = keys(&[
        Action::ScrollUp,
        Action::ScrollDown,
        Action::PageUp,
        Action::PageDown,
        Action::ScrollTop,
    ]);
    [(close, "close the help"), (scroll, "scroll the help")]
        .into_iter()
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// The group legend: (key, group name, shown?).
pub fn groups(state: &State) -> Vec<(String, &'static str, bool)> {
    let km = &state.settings.keymap;
    GROUPS
        .iter()
        .map(|(n, name)| {
            let key = km
                .hint(Mode::Normal, Action::ToggleKind(*n))
                .unwrap_or_else(|| "—".into());
            (key, *name, !state.live.filters.group_hidden(*n))
        })
        .collect()
}

/// The overlay's frame and its inside for a screen `area`; `None` when there is no room for it.
fn geometry(area: Rect) -> Option<(Rect, Rect)> {
    let w = area.width.saturating_sub(4).min(100);
    let h = area.height.saturating_sub(2);
    if w < 20 || h < 5 {
        return None;
    }
    let rect = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    // The border is one cell on every side.
    let inner = Rect {
        x: rect.x + 1,
        y: rect.y + 1,
        width: rect.width - 2,
        height: rect.height - 2,
    };
    Some((rect, inner))
}

/// A key column entry: the keys padded to `key_w`, the description wrapped under itself.
fn entry(keys: &str, what: &str, key_w: usize, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let keys = format!("{keys:<key_w$} ");
    let indent = format::width(&keys);
    format::wrap(
        vec![Span::styled(keys, theme.key()), Span::raw(what.to_string())],
        width,
        indent,
    )
}

/// The help text as lines already wrapped to the columns, so the height is known before drawing (for the
/// scroll limit). Two columns when the overlay is wide enough, else one.
fn columns(state: &State, theme: &Theme, inner: Rect) -> Vec<(Rect, Vec<Line<'static>>)> {
    let two = inner.width >= 70;
    let lw = if two {
        (inner.width * 3 / 5).min(60)
    } else {
        inner.width
    };
    let left_rect = Rect { width: lw, ..inner };
    let right_rect = Rect {
        x: inner.x + lw + 1,
        width: inner.width.saturating_sub(lw + 1),
        ..inner
    };
    let lw = usize::from(lw);
    // In one column the right-hand sections go under the left one, at its width.
    let rw = if two {
        usize::from(right_rect.width)
    } else {
        lw
    };
    let mut left: Vec<Line<'static>> = vec![Line::styled("Keys", theme.title(false))];
    for (keys, what) in rows(state) {
        left.extend(entry(&keys, &what, 11, lw, theme));
    }
    let mut right: Vec<Line<'static>> = Vec::new();
    if !state.channels_only() {
        right.push(Line::styled("Event groups (toggle)", theme.title(false)));
    }
    for (key, name, shown) in groups(state).into_iter().filter(|_| !state.channels_only()) {
        right.push(Line::from(vec![
            Span::styled(format!("{key:<3}"), theme.key()),
            Span::styled(
                format!("{} {name}", if shown { "■" } else { "□" }),
                if shown { theme.text() } else { theme.dim() },
            ),
        ]));
    }
    if !right.is_empty() {
        right.push(Line::raw(""));
    }
    right.push(Line::styled("In a prompt", theme.title(false)));
    for (keys, what) in state.settings.keymap.help_rows(Mode::Input) {
        right.extend(entry(&keys, &what, 9, rw, theme));
    }
    right.push(Line::raw(""));
    right.push(Line::styled("In this help", theme.title(false)));
    for (keys, what) in help_mode_rows(state) {
        right.extend(entry(&keys, what, 9, rw, theme));
    }
    right.push(Line::raw(""));
    let notes: &[&str] = if state.channels_only() {
        &[
            "Text filter: plain text, or /regex/ (case-insensitive).",
            "Live channels come first, most viewers first; the table changes with each good poll.",
            "A * before a name: the bell rings when it goes live (alert = true in [watch]).",
        ]
    } else {
        &[
            "Text filter: plain text, or /regex/ (case-insensitive).",
            "Filters hide lines, never delete them; totals are always exact.",
        ]
    };
    for &note in notes {
        right.extend(format::wrap(vec![Span::styled(note, theme.dim())], rw, 0));
    }
    if two {
        vec![(left_rect, left), (right_rect, right)]
    } else {
        left.push(Line::raw(""));
        left.extend(right);
        vec![(left_rect, left)]
    }
}

/// How far the help can scroll on the current screen (0 when it all fits).
/// The last first line of the help that still fills a `w`×`h` screen.
pub fn max_scroll(state: &State, w: u16, h: u16) -> u16 {
    let Some((_, inner)) = geometry(Rect::new(0, 0, w, h)) else {
        return 0;
    };
    let theme = Theme::new(state.settings.theme);
    let tallest = columns(state, &theme, inner)
        .iter()
        .map(|(_, lines)| lines.len())
        .max()
        .unwrap_or(0);
    u16::try_from(tallest.saturating_sub(usize::from(inner.height))).unwrap_or(u16::MAX)
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some((rect, inner)) = geometry(area) else {
        return;
    };
    let cols = columns(state, theme, inner);
    let tallest = cols.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
    let visible = usize::from(inner.height);
    let max = tallest.saturating_sub(visible);
    let offset = usize::from(state.live.help_scroll).min(max);
    let km = &state.settings.keymap;
    let close: Vec<String> = [Action::ToggleHelp, Action::Cancel]
        .iter()
        .filter_map(|a| km.hint(Mode::Help, *a))
        .collect();
    let mut title = String::from(" Help");
    if !close.is_empty() {
        title.push_str(&format!(" · {} closes", close.join(" or ")));
    }
    if max > 0 && offset < max {
        title.push_str(&format!(" · ↓ {} more", max - offset));
    } else if max > 0 {
        title.push_str(" · ↑ scroll up");
    }
    title.push(' ');
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.key())
        .title(Line::styled(title, theme.title(true)));
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    for (r, lines) in cols {
        let shown: Vec<Line> = lines.into_iter().skip(offset).take(visible).collect();
        frame.render_widget(Paragraph::new(shown), r);
    }
}
