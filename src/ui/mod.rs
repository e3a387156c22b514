//! Views: `view(&State, &mut Frame)` draws the whole screen from the state and nothing else.

pub mod channels;
pub mod footer;
pub mod format;
pub mod help;
pub mod layout;
pub mod lines;
pub mod overview;
pub mod pane;
pub mod status;
pub mod theme;
pub mod totals;

use crate::app::{Pane, State};
use layout::Shape;
use pane::PaneView;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use theme::Theme;

/// The terminal size and what this view derives from it, for `Msg::Resize`: the reducer needs both and must
/// not call the view.
pub fn viewport(state: &State, width: u16, height: u16) -> crate::app::Viewport {
    crate::app::Viewport {
        width,
        height,
        too_small: layout::too_small(width, height),
        help_max_scroll: help::max_scroll(state, width, height),
        table_rows: channels::table_rows(state, width, height),
    }
}

/// The money unit of the room shown (of the first room when all are merged: filters name one unit).
pub fn shown_unit(state: &State) -> crate::event::Unit {
    let room = state.shown().or(state.rooms.first());
    room.map_or(crate::event::Unit::Tokens, |r| r.unit)
}

pub fn view(state: &State, frame: &mut Frame) {
    let area = frame.area();
    let theme = Theme::new(state.settings.theme);
    let banner = status::banner(state);
    let notice = status::notice(state);
    if let Some(board) = state.channels.as_ref().filter(|_| state.channels_only()) {
        if layout::too_small(area.width, area.height) {
            too_small(frame, area);
            return;
        }
        channels::view(state, board, frame, &theme);
        let footer = Rect {
            y: area.bottom() - 1,
            height: 1,
            ..area
        };
        let prompt = Rect {
            y: footer.y - 1,
            ..footer
        };
        bottom(
            frame,
            state,
            &theme,
            state.live.prompt.is_some().then_some(prompt),
            footer,
        );
        return;
    }
    let areas = layout::areas(state, area, banner.is_some(), notice.is_some());
    if areas.shape == Shape::TooSmall {
        too_small(frame, area);
        return;
    }
    frame.render_widget(
        Paragraph::new(status::status_line(state, &theme, area.width)),
        areas.status,
    );
    if let Some(r) = areas.overview {
        frame.render_widget(Paragraph::new(overview::lines(state, &theme, r)), r);
    }
    if let (Some(r), Some(board)) = (areas.channels, &state.channels) {
        channels::strip(frame, r, state, board, &theme);
    }
    if let (Some(r), Some(text)) = (areas.banner, banner) {
        status::render_line(frame, r, format!(" {text}"), theme.banner());
    }
    if let (Some(r), Some((text, warning))) = (areas.notice, notice) {
        let style = if warning { theme.warn() } else { theme.text() };
        status::render_line(frame, r, format!(" {text}"), style);
    }
    for (pane, rect) in &areas.panes {
        draw_pane(frame, *rect, state, *pane, &theme, areas.shape);
    }
    bottom(frame, state, &theme, areas.prompt, areas.footer);
}

/// The prompt (while one is open), the key hints and the help overlay: the same on every screen.
fn bottom(frame: &mut Frame, state: &State, theme: &Theme, prompt: Option<Rect>, footer: Rect) {
    if let Some(r) = prompt {
        if let Some((line, cursor)) = footer::prompt(state, theme) {
            frame.render_widget(Paragraph::new(line), r);
            frame.set_cursor_position((r.x + cursor.min(r.width.saturating_sub(1)), r.y));
        }
    }
    frame.render_widget(
        Paragraph::new(footer::footer(state, theme, footer.width)),
        footer,
    );
    if state.live.help {
        help::render(frame, frame.area(), state, theme);
    }
}

fn draw_pane(
    frame: &mut Frame,
    rect: Rect,
    state: &State,
    pane: Pane,
    theme: &Theme,
    shape: Shape,
) {
    let inner_w = rect.width.saturating_sub(2);
    let view = match pane {
        Pane::Chat => PaneView {
            pane,
            header: Vec::new(),
            header_max: 0,
            build: lines::chat,
            extra_title: None,
            theme,
        },
        Pane::Tips => PaneView {
            pane,
            header: totals::tips(state, theme, inner_w),
            // Totals matter more than the feed, but leave the feed a few lines.
            header_max: match shape {
                Shape::Columns => rect.height.saturating_sub(2) * 3 / 5,
                _ => rect.height.saturating_sub(2) / 2,
            },
            build: lines::tip,
            extra_title: None,
            theme,
        },
        Pane::Viewers => PaneView {
            pane,
            header: totals::viewers(state, theme, inner_w),
            header_max: 2,
            build: lines::viewer,
            extra_title: state.live.smart_viewers.then(|| "smart".to_string()),
            theme,
        },
    };
    pane::render(frame, rect, state, view);
}

fn too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "terminal too small ({}×{}): roomwatch needs at least {}×{}",
        area.width,
        area.height,
        layout::MIN_W,
        layout::MIN_H
    );
    let y = area.height / 2;
    let rect = Rect {
        y: area.y + y.saturating_sub(1),
        height: area.height - y.saturating_sub(1),
        ..area
    };
    frame.render_widget(
        Paragraph::new(Line::raw(text)).wrap(Wrap { trim: true }),
        rect,
    );
}
