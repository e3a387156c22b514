//! The shared pane frame: a bordered block whose title carries focus, filters and pause state, optional header
//! lines (totals), and the event lines — bottom-anchored, wrapped, built only for what fits.

use super::format;
use super::theme::Theme;
use crate::app::feed::{Item, Pane};
use crate::app::State;
use crate::event::{RoomEvent, Unit};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};
use ratatui::Frame;

/// Turns one event into styled spans plus the indent for its continuation lines.
pub type LineBuilder = fn(&State, &RoomEvent, &Theme) -> (Vec<Span<'static>>, usize);

pub struct PaneView<'a> {
    pub pane: Pane,
    pub header: Vec<Line<'static>>,
    /// Most rows the header may take (the feed keeps the rest).
    pub header_max: u16,
    pub build: LineBuilder,
    pub extra_title: Option<String>,
    pub theme: &'a Theme,
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, v: PaneView) {
    if area.width < 3 || area.height < 3 {
        return;
    }
    let live = &state.live;
    let ps = live.pane(v.pane);
    let focused = live.focus == v.pane;
    let frozen = ps.frozen_at.is_some();
    let flashing = ps.is_flashing(live.now);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(v.theme.border(focused, frozen, flashing))
        .title(title(state, &v, area.width.saturating_sub(4) as usize));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let header_rows = (v.header.len() as u16).min(v.header_max).min(inner.height);
    let mut feed_area = inner;
    if header_rows > 0 {
        let mut header = v.header;
        header.truncate(header_rows as usize);
        let h = Rect {
            height: header_rows,
            ..inner
        };
        frame.render_widget(Paragraph::new(header), h);
        feed_area.y += header_rows;
        feed_area.height -= header_rows;
        if feed_area.height > 1 {
            let rule = "─".repeat(inner.width as usize);
            frame.render_widget(
                Paragraph::new(Line::styled(rule, v.theme.dim())),
                Rect {
                    height: 1,
                    ..feed_area
                },
            );
            feed_area.y += 1;
            feed_area.height -= 1;
        }
    }
    let lines = feed_lines(state, v.pane, v.build, v.theme, feed_area);
    if lines.is_empty() {
        let hint = if state.live.filters.is_active() || state.live.smart_viewers {
            "nothing to show (filters hide the rest)"
        } else {
            "waiting for events…"
        };
        let empty = (state.rooms.iter().enumerate())
            .all(|(i, r)| !state.shows_room(i) || r.feed(v.pane).is_empty());
        let hint = if empty { "waiting for events…" } else { hint };
        frame.render_widget(Paragraph::new(Line::styled(hint, v.theme.dim())), feed_area);
        return;
    }
    frame.render_widget(Paragraph::new(lines), feed_area);
}

fn title(state: &State, v: &PaneView, max: usize) -> Line<'static> {
    let live = &state.live;
    let ps = live.pane(v.pane);
    // The support pane is named after the room's gifts (Tips, Cheers); with several rooms the title names the
    // one shown.
    let base = match (v.pane, state.shown().map(|r| r.unit)) {
        (Pane::Tips, Some(Unit::Bits)) => "Cheers",
        (pane, _) => pane.title(),
    };
    let name = match (state.multi_room(), state.shown()) {
        (false, _) => base.to_string(),
        (true, Some(room)) => format!("{base} · {}", crate::sanitize::name(room.name())),
        (true, None) => format!("{base} · all rooms"),
    };
    let name_w = format::width(&name);
    let mut spans = vec![Span::styled(
        format!(" {name} "),
        v.theme.title(live.focus == v.pane),
    )];
    let mut tags: Vec<String> = Vec::new();
    if let Some(extra) = &v.extra_title {
        tags.push(extra.clone());
    }
    tags.extend(live.filters.describe(super::shown_unit(state)));
    if ps.frozen_at.is_some() {
        tags.push(if live.paused {
            format!("paused +{}", ps.backlog)
        } else {
            format!("scrolled +{}", ps.backlog)
        });
    }
    if !tags.is_empty() {
        let text = format::truncate(
            &format!(" {} ", tags.join(" · ")),
            max.saturating_sub(name_w + 2),
        );
        let style = if ps.frozen_at.is_some() {
            v.theme.warn()
        } else {
            v.theme.selection()
        };
        spans.push(Span::styled(text, style));
    }
    Line::from(spans)
}

/// The lines that fit `area`: the newest shown item (after scrolling) at the bottom, older ones above; when
/// scrolled so far that the top would be empty, newer items fill in below instead.
fn feed_lines(
    state: &State,
    pane: Pane,
    build: LineBuilder,
    theme: &Theme,
    area: Rect,
) -> Vec<Line<'static>> {
    let height = area.height as usize;
    let width = area.width as usize;
    let scroll = state.live.pane(pane).scroll;
    let tagged = state.multi_room() && state.shown().is_none();
    // All rooms merged: each line starts with its room's number in the overview, in the room's colour.
    let lines_of = |item: &Item| {
        let (mut spans, indent) = build(state, &item.ev, theme);
        if !tagged {
            return format::wrap(spans, width, indent);
        }
        let tag = format!("{}", item.room + 1);
        let tag_w = format::width(&tag) + 1;
        spans.insert(0, Span::raw(" "));
        spans.insert(0, Span::styled(tag, theme.room(item.room)));
        format::wrap(spans, width, indent + tag_w)
    };
    let mut older: Vec<Vec<Line<'static>>> = Vec::new();
    let mut used = 0;
    let mut newer_skipped: Vec<&Item> = Vec::new();
    for (i, item) in state.shown_items(pane).enumerate() {
        if i < scroll {
            newer_skipped.push(item);
            continue;
        }
        let l = lines_of(item);
        used += l.len();
        older.push(l);
        if used >= height {
            break;
        }
    }
    // Scrolled to the very top: fill the rest of the pane with newer items.
    let mut below: Vec<Line<'static>> = Vec::new();
    if used < height {
        for item in newer_skipped.iter().rev() {
            let l = lines_of(item);
            used += l.len();
            below.extend(l);
            if used >= height {
                break;
            }
        }
    }
    let filled_below = !below.is_empty();
    let mut out: Vec<Line<'static>> = older.into_iter().rev().flatten().collect();
    out.extend(below);
    if out.len() > height {
        if filled_below {
            // Scrolled to the top: the oldest line stays first.
            out.truncate(height);
        } else {
            // Anchored at the bottom: a tall old item is cut at its top.
            let cut = out.len() - height;
            out.drain(..cut);
        }
    }
    out
}
