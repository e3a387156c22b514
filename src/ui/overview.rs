//! The rooms overview (several rooms only): one line per room with its state, platform, name, people in the
//! room, totals in its own unit and the age of its last event. The room the panes show is marked.

use super::format::{age, thousands, truncate};
use super::theme::Theme;
use crate::app::{ExitReason, Room, State};
use crate::sanitize::clean;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

pub fn lines(state: &State, theme: &Theme, area: Rect) -> Vec<Line<'static>> {
    let rows = area.height as usize;
    let n = state.rooms.len();
    // Too many rooms for the rows: the last row says how many are left out, and the window moves so the room
    // shown is always in it.
    let fit = if n > rows { rows.saturating_sub(1) } else { n };
    let first = match state.live.shown {
        Some(s) if s >= fit => s + 1 - fit,
        _ => 0,
    };
    let mut out: Vec<Line<'static>> = (state.rooms.iter().enumerate())
        .skip(first)
        .take(fit)
        .map(|(i, room)| line(state, theme, i, room, area.width as usize))
        .collect();
    if fit < n {
        out.push(Line::styled(
            format!(" +{} more rooms", n - fit),
            theme.dim(),
        ));
    }
    out
}

fn line(state: &State, theme: &Theme, i: usize, room: &Room, width: usize) -> Line<'static> {
    let (label, level) = super::status::connection(state, room);
    let mark = match state.live.shown {
        Some(s) if s == i => "▸",
        _ => " ",
    };
    let unit = room.unit;
    let s = &room.stats;
    let (one, many) = unit.gift();
    let why = match &room.ended {
        Some(ExitReason::FatalError(text)) => format!(" · {}", crate::mask::scrub(&clean(text))),
        _ => String::new(),
    };
    let last = match room.last_event_seen {
        Some(t) => format!(
            " · last {} ago",
            age((state.live.now - t).num_seconds().max(0))
        ),
        None => " · no events yet".into(),
    };
    let rest = format!(
        " {} · in room {} · {} {} ({}){last}{why}",
        room.platform(),
        thousands(s.in_room.len() as u64),
        thousands(s.total_in(unit)),
        unit.label(),
        crate::numfmt::count(s.ledger(unit).count, one, many),
    );
    // The number is the tag the merged panes put in front of this room's lines, in the same colour.
    let num = format!("{}", i + 1);
    let name = format!(" {} ", crate::sanitize::name(room.name()));
    let label = format!(" {label} ");
    let used =
        2 + super::format::width(&num) + super::format::width(&label) + super::format::width(&name);
    Line::from(vec![
        Span::raw(mark),
        Span::styled(num, theme.room(i)),
        Span::raw(" "),
        Span::styled(label, theme.level(level)),
        Span::raw(name),
        Span::raw(truncate(&rest, width.saturating_sub(used))),
    ])
}
