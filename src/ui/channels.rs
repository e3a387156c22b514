//! The channel table (`roomwatch channels`): one row per watched channel, live first, with how long it has
//! been live, its viewers and their sparkline, title, category and last change. Only the rows on screen are
//! built, so a thousand channels cost what a screenful does.

use super::format::{age, clock, span, thousands, truncate, width};
use super::theme::{Level, Theme};
use crate::app::channels::{shows, ChannelBoard, Row};
use crate::app::State;
use crate::sanitize::clean;
use crate::sources::watch::engine::Health;
use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Lines above the rows: the status line, the notice line and the column heads.
const ABOVE: u16 = 3;

/// How long the end of an outage stays on the notice line.
const OUTAGE_SHOWN_SECS: i64 = 600;

/// Rows of the table on a `w`×`h` screen (what a page scrolls), without a prompt open.
pub fn table_rows(state: &State, w: u16, h: u16) -> u16 {
    if !state.channels_only() || super::layout::too_small(w, h) {
        return 0;
    }
    h.saturating_sub(ABOVE + 1)
}

/// Which columns fit: (spark width, category width, last change width). The title takes what is left.
fn columns(w: u16) -> (usize, usize, usize) {
    match w {
        0..=89 => (8, 0, 0),
        90..=109 => (10, 0, 14),
        _ => (12, 18, 14),
    }
}

fn secs_since(state: &State, t: DateTime<Utc>) -> i64 {
    (state.live.now - t).num_seconds()
}

fn local(state: &State, t: DateTime<Utc>) -> String {
    t.with_timezone(&state.live.utc_offset)
        .format("%H:%M:%S")
        .to_string()
}

pub fn view(state: &State, board: &ChannelBoard, frame: &mut Frame, theme: &Theme) {
    let area = frame.area();
    let line = |y: u16| Rect {
        y: area.y + y,
        height: 1,
        ..area
    };
    frame.render_widget(
        Paragraph::new(status_line(state, board, theme, area.width)),
        line(0),
    );
    if let Some((text, level)) = notice(state, board) {
        let style = match level {
            Level::Good => theme.text(),
            _ => theme.warn(),
        };
        super::status::render_line(frame, line(1), format!(" {text}"), style);
    }
    let (spark, cat, last) = columns(area.width);
    frame.render_widget(
        Paragraph::new(head(spark, cat, last, area.width, theme)),
        line(2),
    );
    // An open prompt takes the line above the key hints.
    let prompt = u16::from(state.live.prompt.is_some());
    let rows = usize::from(area.height.saturating_sub(ABOVE + 1 + prompt));
    let filters = &state.live.filters;
    let lines: Vec<Line> = (board.polled.then_some(board).into_iter())
        .flat_map(|b| b.shown(|r| shows(filters, r)))
        .skip(board.scroll)
        .take(rows)
        .map(|r| row(state, r, (spark, cat, last), area.width, theme))
        .collect();
    if lines.is_empty() {
        let text = if !board.polled {
            "waiting for the first poll…"
        } else if board.rows.is_empty() {
            "no channel to watch"
        } else {
            "no channel matches the filter"
        };
        frame.render_widget(
            Paragraph::new(Line::styled(format!(" {text}"), theme.dim())),
            line(ABOVE),
        );
    } else {
        let table = Rect {
            y: area.y + ABOVE,
            height: u16::try_from(lines.len()).unwrap_or(u16::MAX),
            ..area
        };
        frame.render_widget(Paragraph::new(lines), table);
    }
}

/// The table as a pane of a session of rooms: a title line with the count, the last poll and the platform's
/// state, then the first rows (live first) that fit.
pub fn strip(frame: &mut Frame, area: Rect, state: &State, board: &ChannelBoard, theme: &Theme) {
    let mut title = format!(
        " Channels · {} live of {}",
        thousands(board.live_count() as u64),
        thousands(board.rows.len() as u64)
    );
    if let Some(t) = board.last_good {
        title.push_str(&format!(" · polled {} ago", age(secs_since(state, t))));
    }
    let warn = match board.health {
        Some(Health::Degraded) => Some(" · Twitch does not answer: changes held"),
        Some(Health::Maintenance) => Some(" · Twitch in maintenance: changes held"),
        _ => None,
    };
    let stopped = board
        .stopped
        .as_ref()
        .map(|why| format!(" · {}", clean(why)));
    title.push_str(stopped.as_deref().or(warn).unwrap_or(""));
    let style = if warn.is_some() {
        theme.warn()
    } else {
        theme.title(false)
    };
    let mut lines = vec![Line::styled(
        truncate(&title, usize::from(area.width)),
        style,
    )];
    let cols = columns(area.width);
    let rows = usize::from(area.height.saturating_sub(1));
    if !board.polled {
        lines.push(Line::styled(" waiting for the first poll…", theme.dim()));
    } else {
        lines.extend(
            (board.rows.iter())
                .take(rows)
                .map(|r| row(state, r, cols, area.width, theme)),
        );
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn status_line(state: &State, board: &ChannelBoard, theme: &Theme, w: u16) -> Line<'static> {
    let (label, level) = match board.health {
        _ if state.live.paused => ("PAUSED", Level::Warn),
        None if board.last_good.is_none() => ("STARTING", Level::Warn),
        None | Some(Health::Good) => ("WATCHING", Level::Good),
        Some(Health::Degraded) => ("DEGRADED", Level::Bad),
        Some(Health::Maintenance) => ("MAINTENANCE", Level::Bad),
    };
    let shown = board.shown(|r| shows(&state.live.filters, r)).count();
    let mut text = format!(
        " Twitch channels · {} live of {}",
        thousands(board.live_count() as u64),
        thousands(board.rows.len() as u64)
    );
    if shown != board.rows.len() {
        text.push_str(&format!(" · {} shown", thousands(shown as u64)));
    }
    if let Some(t) = board.last_good {
        text.push_str(&format!(" │ polled {} ago", age(secs_since(state, t))));
    }
    text.push_str(&format!(
        " │ {} │ ⏱ {}",
        crate::numfmt::count(board.changes, "change", "changes"),
        clock(secs_since(state, state.started_at))
    ));
    if let Some(addr) = &state.live.serving {
        text.push_str(&format!(" │ API {addr}"));
    }
    let label = format!(" {label} ");
    let rest = usize::from(w).saturating_sub(width(&label));
    Line::from(vec![
        Span::styled(label, theme.level(level)),
        Span::raw(truncate(&text, rest)),
    ])
}

/// The line under the status line: pause, an outage, a notice from the watch, the end of an outage.
fn notice(state: &State, board: &ChannelBoard) -> Option<(String, Level)> {
    if state.live.paused {
        return Some((
            format!(
                "⏸ PAUSED: the table stays as it is · {} and {} since",
                crate::numfmt::count(board.held_polls, "poll", "polls"),
                crate::numfmt::count(board.held_changes, "change", "changes")
            ),
            Level::Warn,
        ));
    }
    let since = board
        .last_good
        .map(|t| {
            format!(
                " since {} ({} ago)",
                local(state, t),
                age(secs_since(state, t))
            )
        })
        .unwrap_or_default();
    let down = match board.health {
        Some(Health::Degraded) => Some("does not answer"),
        Some(Health::Maintenance) => Some("is in maintenance"),
        _ => None,
    };
    if let Some(down) = down {
        return Some((
            format!("⚠ Twitch {down}{since}: changes are held until a poll works, none is lost"),
            Level::Bad,
        ));
    }
    if let Some((text, at)) = &state.live.info {
        if secs_since(state, *at) <= 60 {
            return Some((
                format!("⚑ {}", crate::mask::scrub(&clean(text))),
                Level::Warn,
            ));
        }
    }
    let &(from, to) = board.outages.last()?;
    (secs_since(state, to) <= OUTAGE_SHOWN_SECS).then(|| {
        (
            format!(
                "Twitch was unreachable from {} to {}; what changed meanwhile is in the table",
                local(state, from),
                local(state, to)
            ),
            Level::Good,
        )
    })
}

/// Column widths: state, channel, since, viewers.
const STATE_W: usize = 5;
const NAME_W: usize = 17;
const SINCE_W: usize = 9;
const VIEWERS_W: usize = 7;

fn title_w(cols: (usize, usize, usize), w: u16) -> usize {
    let (spark, cat, last) = cols;
    let fixed = STATE_W + NAME_W + SINCE_W + VIEWERS_W + 1 + spark + 1;
    let extra = if cat > 0 { cat + 1 } else { 0 } + if last > 0 { last + 1 } else { 0 };
    usize::from(w).saturating_sub(fixed + extra + 1)
}

fn pad(s: &str, w: usize) -> String {
    let t = truncate(s, w);
    let fill = w.saturating_sub(width(&t));
    format!("{t}{}", " ".repeat(fill))
}

fn pad_left(s: &str, w: usize) -> String {
    let t = truncate(s, w);
    format!("{}{t}", " ".repeat(w.saturating_sub(width(&t))))
}

fn head(spark: usize, cat: usize, last: usize, w: u16, theme: &Theme) -> Line<'static> {
    let mut text = format!(
        " {}{}{}{} {} {}",
        pad("", STATE_W),
        pad("channel", NAME_W),
        pad("since", SINCE_W),
        pad_left("viewers", VIEWERS_W),
        pad("", spark),
        pad("title", title_w((spark, cat, last), w)),
    );
    if cat > 0 {
        text.push_str(&format!(" {}", pad("category", cat)));
    }
    if last > 0 {
        text.push_str(&format!(" {}", pad("last change", last)));
    }
    Line::styled(truncate(&text, usize::from(w)), theme.title(false))
}

/// The sparkline of the last `n` counts, right-aligned in `n` columns.
fn sparkline(history: &std::collections::VecDeque<u64>, n: usize) -> String {
    let recent: Vec<u64> = history
        .iter()
        .skip(history.len().saturating_sub(n))
        .copied()
        .collect();
    if recent.iter().all(|&v| v == 0) {
        // Never live while watched: nothing to draw.
        return " ".repeat(n);
    }
    format!(
        "{}{}",
        " ".repeat(n - recent.len()),
        super::format::sparkline(&recent)
    )
}

/// A change as the table says it, and how long ago.
fn last_change(state: &State, r: &Row) -> String {
    let Some((kind, at)) = r.last_change else {
        return String::new();
    };
    let what = match kind {
        "went_live" => "live",
        "went_offline" => "offline",
        "title_changed" => "title",
        "category_changed" => "category",
        "viewers" => "viewers",
        other => other,
    };
    format!("{what} {}", age(secs_since(state, at)))
}

fn row(
    state: &State,
    r: &Row,
    cols: (usize, usize, usize),
    w: u16,
    theme: &Theme,
) -> Line<'static> {
    let (spark, cat, last) = cols;
    let bell = if r.alert { "*" } else { " " };
    let (mark, mark_style) = if r.live {
        ("LIVE", theme.level(Level::Bad))
    } else {
        ("off", theme.dim())
    };
    let since = match (r.live, r.started_at) {
        (true, Some(t)) => span(secs_since(state, t)),
        _ => String::new(),
    };
    let viewers = r.viewers.map(thousands).unwrap_or_default();
    let name = clean(&r.login);
    let text_style = if r.live { theme.text() } else { theme.dim() };
    let mut spans = vec![
        Span::raw(" "),
        Span::styled(pad(mark, STATE_W - 1), mark_style),
        Span::styled(bell, theme.warn()),
        Span::styled(pad(&name, NAME_W - 1), theme.user(&r.login)),
        Span::raw(" "),
        Span::styled(pad(&since, SINCE_W), text_style),
        Span::styled(pad_left(&viewers, VIEWERS_W), theme.tokens()),
        Span::raw(" "),
        Span::styled(sparkline(&r.history, spark), theme.enter()),
        Span::raw(" "),
        Span::styled(pad(&clean(&r.title), title_w(cols, w)), text_style),
    ];
    if cat > 0 {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(pad(&clean(&r.category), cat), theme.dim()));
    }
    if last > 0 {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(pad(&last_change(state, r), last), theme.dim()));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sparkline_shows_the_last_counts_right_aligned() {
        let h: std::collections::VecDeque<u64> = [0, 10, 50, 70].into_iter().collect();
        assert_eq!(sparkline(&h, 4), "·▂▆█");
        assert_eq!(sparkline(&h, 6), "  ·▂▆█");
        assert_eq!(sparkline(&h, 2), "▆█");
        let never: std::collections::VecDeque<u64> = [0, 0].into_iter().collect();
        assert_eq!(sparkline(&never, 3), "   ");
    }

    #[test]
    fn a_stream_length_fits_its_column() {
        for (secs, text) in [
            (-5, "0s"),
            (45, "45s"),
            (723, "12m 03s"),
            (3 * 3600 + 7 * 60, "3h 07m"),
            (27 * 86_400 + 3600, "27d 01h"),
            (999 * 86_400 + 23 * 3600, "999d 23h"),
            (i64::MAX, ">999d"),
        ] {
            assert_eq!(span(secs), text);
            assert!(width(&span(secs)) < SINCE_W, "a space before the viewers");
        }
    }

    #[test]
    fn the_columns_fill_the_width_exactly() {
        for w in [80u16, 100, 120, 200] {
            let cols = columns(w);
            let (spark, cat, last) = cols;
            let total = 1
                + STATE_W
                + NAME_W
                + SINCE_W
                + VIEWERS_W
                + 1
                + spark
                + 1
                + title_w(cols, w)
                + if cat > 0 { cat + 1 } else { 0 }
                + if last > 0 { last + 1 } else { 0 };
            assert_eq!(total, usize::from(w), "{w}");
        }
    }
}
