//! The help overlay, generated from the effective key map plus the event-kind groups behind `1`–`9`.

use super::theme::Theme;
use crate::app::filter::GROUPS;
use crate::app::{Action, Mode, State};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};
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
        let keys: Vec<String> = km
            .keys_for(Mode::Normal, action)
            .iter()
            .map(|k| k.to_string())
            .collect();
        if keys.is_empty() {
            continue;
        }
        out.push((keys.join(" / "), action.description()));
    }
    out
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

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let w = area.width.saturating_sub(4).min(100);
    let h = area.height.saturating_sub(2);
    if w < 20 || h < 5 {
        return;
    }
    let rect = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let key_w = 12usize;
    let mut left: Vec<Line> = vec![Line::styled("Keys", theme.title(false))];
    for (keys, what) in rows(state) {
        left.push(Line::from(vec![
            Span::styled(format!("{keys:<key_w$}"), theme.key()),
            Span::raw(what),
        ]));
    }
    let mut right: Vec<Line> = vec![Line::styled("Event groups (toggle)", theme.title(false))];
    for (key, name, shown) in groups(state) {
        right.push(Line::from(vec![
            Span::styled(format!("{key:<3}"), theme.key()),
            Span::styled(
                format!("{} {name}", if shown { "■" } else { "□" }),
                if shown { theme.text() } else { theme.dim() },
            ),
        ]));
    }
    right.push(Line::raw(""));
    right.push(Line::styled("In a prompt", theme.title(false)));
    for (keys, what) in state.settings.keymap.help_rows(Mode::Input) {
        right.push(Line::from(vec![
            Span::styled(format!("{keys:<10}"), theme.key()),
            Span::raw(what),
        ]));
    }
    right.push(Line::raw(""));
    right.push(Line::styled(
        "Text filter: plain text, or /regex/ (case-insensitive).",
        theme.dim(),
    ));
    right.push(Line::styled(
        "Filters hide lines, never delete them; totals are always exact.",
        theme.dim(),
    ));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.key())
        .title(Line::styled(" Help · ? or Esc closes ", theme.title(true)));
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    if inner.width >= 70 {
        let lw = (inner.width * 3 / 5).min(60);
        let l = Rect { width: lw, ..inner };
        let r = Rect {
            x: inner.x + lw + 1,
            width: inner.width - lw - 1,
            ..inner
        };
        frame.render_widget(Paragraph::new(left).wrap(Wrap { trim: false }), l);
        frame.render_widget(Paragraph::new(right).wrap(Wrap { trim: false }), r);
    } else {
        left.push(Line::raw(""));
        left.extend(right);
        frame.render_widget(Paragraph::new(left).wrap(Wrap { trim: false }), inner);
    }
}
