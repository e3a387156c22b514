//! The status line (connection state, rates, clock, tokens), the pause banner and the notice line.

use super::format::{age, clock, thousands, truncate, width};
use super::theme::{Level, Theme};
use crate::app::{Action, ExitReason, Mode, Room, State};
use crate::event::SourceKind;
use crate::sanitize::clean;
use crate::sources::ConnState;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// How long a new notice gets its own line.
const NOTICE_SECS: i64 = 60;
/// How long a confirmation (e.g. a marker dropped) keeps that line.
const INFO_SECS: i64 = 8;

fn secs_since(state: &State, t: chrono::DateTime<chrono::Utc>) -> i64 {
    (state.live.now - t).num_seconds().max(0)
}

/// The connection label and its severity of one room, e.g. `RETRYING attempt 3 · next in 8 s · last: 503`.
pub fn connection(state: &State, room: &Room) -> (String, Level) {
    if let Some(reason) = &room.ended {
        return match reason {
            ExitReason::CredentialsRefused => ("CREDENTIALS REFUSED".into(), Level::Bad),
            ExitReason::FatalError(_) | ExitReason::SourceFailed | ExitReason::Panic => {
                ("STOPPED · error".into(), Level::Bad)
            }
            _ => ("ENDED".into(), Level::Warn),
        };
    }
    let conn = &room.stats.conn;
    match &conn.state {
        ConnState::Connecting => ("CONNECTING".into(), Level::Warn),
        ConnState::Live if state.live.replay => ("REPLAY".into(), Level::Good),
        ConnState::Live if conn.socket.is_some() => socket_live(state, conn),
        ConnState::Live => {
            // Only network sources can go quiet without replying; the simulator just has no events.
            let network = room.platform() != SourceKind::Simulator;
            let last = room.last_reply_at.or(conn.since).unwrap_or(room.started_at);
            let quiet = secs_since(state, last);
            if network && quiet > state.settings.stale_after.as_secs() as i64 {
                (format!("STALE · no response for {quiet} s"), Level::Warn)
            } else {
                ("LIVE".into(), Level::Good)
            }
        }
        ConnState::Retrying {
            attempt,
            next_in,
            last,
        } => {
            let due = conn.since.unwrap_or(state.live.now)
                + chrono::Duration::from_std(*next_in).unwrap_or_default();
            let left = (due - state.live.now).num_milliseconds().max(0);
            let left = (left + 999) / 1000;
            (
                format!("RETRYING attempt {attempt} · next in {left} s · last: {last}"),
                Level::Warn,
            )
        }
        ConnState::CredentialsRefused => ("CREDENTIALS REFUSED".into(), Level::Bad),
        ConnState::Stopped => ("STOPPED".into(), Level::Bad),
    }
}

/// A socket source proves it is alive by its keepalives (the source's watchdog), not by events: its session
/// age, keepalive and subscriptions instead of a staleness check.
fn socket_live(state: &State, conn: &crate::sources::ConnStatus) -> (String, Level) {
    let Some(s) = &conn.socket else {
        return ("LIVE".into(), Level::Good);
    };
    let up = conn.since.map_or(0, |t| secs_since(state, t));
    let level = if s.subscriptions_enabled < s.subscriptions_total {
        Level::Warn
    } else {
        Level::Good
    };
    let text = format!(
        "LIVE · socket {} · keepalive {} s · subs {}/{}",
        age(up),
        s.keepalive_s,
        s.subscriptions_enabled,
        s.subscriptions_total
    );
    (text, level)
}

/// The status line of all rooms merged: how many run, the busiest figures summed where they share a unit
/// is left to the overview (no sum across rooms here).
fn all_rooms_line(state: &State) -> (String, Level, Vec<(u8, Vec<Span<'static>>)>) {
    let running = state.rooms.iter().filter(|r| r.is_running()).count();
    let (label, level) = match running {
        0 => ("ENDED".to_string(), Level::Warn),
        n if n == state.rooms.len() => ("LIVE".to_string(), Level::Good),
        n => (format!("{n}/{} RUNNING", state.rooms.len()), Level::Warn),
    };
    let per_min = (state.rooms.iter()).fold(0u64, |n, r| {
        n.saturating_add(r.rates.events_per_min(state.live.now))
    });
    let last = state.rooms.iter().filter_map(|r| r.last_event_seen).max();
    let segs = vec![
        (
            3,
            vec![Span::raw(format!(" all {} rooms ", state.rooms.len()))],
        ),
        (
            4,
            vec![Span::raw(format!("│ {} ev/min ", thousands(per_min)))],
        ),
        (5, vec![Span::raw(last_seen(state, last))]),
    ];
    (label, level, segs)
}

fn last_seen(state: &State, at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    match at {
        Some(t) => format!("· last {} ago ", age(secs_since(state, t))),
        None => "· no events yet ".into(),
    }
}

/// Segments in display order with a priority (lower = kept longer when the line is too narrow).
pub fn status_line(state: &State, theme: &Theme, width_cols: u16) -> Line<'static> {
    let (label, level, mut segs) = match state.shown() {
        Some(room) => {
            let (label, level) = connection(state, room);
            (label, level, room_segments(state, room, theme))
        }
        None => all_rooms_line(state),
    };
    segs.insert(
        0,
        (
            0,
            vec![Span::styled(format!(" {label} "), theme.level(level))],
        ),
    );
    segs.push((
        2,
        vec![Span::raw(format!(
            "│ ⏱ {} ",
            clock(secs_since(state, state.started_at))
        ))],
    ));
    if let Some(room) = state.shown() {
        segs.push((
            1,
            vec![
                Span::raw("│ "),
                Span::styled(
                    format!(
                        "{} {}",
                        thousands(room.stats.total_in(room.unit)),
                        room.unit.label()
                    ),
                    theme.tokens(),
                ),
                Span::raw(" "),
            ],
        ));
    }
    if let Some(addr) = &state.live.serving {
        segs.push((6, vec![Span::raw(format!("│ API {addr} "))]));
    }
    let notices: usize = (state.rooms.iter().enumerate())
        .filter(|(i, _)| state.shows_room(*i))
        .map(|(_, r)| r.notices.len())
        .sum();
    if notices > 0 {
        segs.push((
            7,
            vec![Span::styled(format!("│ ⚠ {notices} "), theme.warn())],
        ));
    }
    let w = width_cols as usize;
    let seg_w = |spans: &[Span]| spans.iter().map(|s| width(&s.content)).sum::<usize>();
    let mut order: Vec<usize> = (0..segs.len()).collect();
    order.sort_by_key(|&i| segs[i].0);
    let mut keep = vec![false; segs.len()];
    let mut used = 0;
    for i in order {
        let sw = seg_w(&segs[i].1);
        if used + sw <= w {
            used += sw;
            keep[i] = true;
        }
    }
    let mut spans = Vec::new();
    for (i, (_, seg)) in segs.into_iter().enumerate() {
        if keep[i] {
            spans.extend(seg);
        } else if i == 0 {
            // The state always shows, cut if it must.
            spans.push(Span::styled(
                truncate(&format!(" {label}"), w),
                theme.level(level),
            ));
        }
    }
    Line::from(spans)
}

/// The segments that describe one room: its name, platform, rate and last event.
fn room_segments(state: &State, room: &Room, theme: &Theme) -> Vec<(u8, Vec<Span<'static>>)> {
    vec![
        (
            3,
            vec![Span::styled(
                format!(" {} ", clean(room.name())),
                theme.title(false),
            )],
        ),
        (
            6,
            vec![Span::styled(
                if state.live.replay {
                    format!("replay of {} ", room.platform())
                } else {
                    format!("{} ", room.platform())
                },
                theme.dim(),
            )],
        ),
        (
            4,
            vec![Span::raw(format!(
                "│ {} ev/min ",
                thousands(room.rates.events_per_min(state.live.now))
            ))],
        ),
        (5, vec![Span::raw(last_seen(state, room.last_event_seen))]),
    ]
}

/// The banner while panes are frozen (`PAUSED · 37 new (5 tips)`) or the source has ended.
pub fn banner(state: &State) -> Option<String> {
    let live = &state.live;
    if let Some(reason) = &live.ended {
        let why = match reason {
            ExitReason::CredentialsRefused => {
                "the platform refused the credentials — make a new token, then restart".to_string()
            }
            ExitReason::FatalError(e) => crate::mask::scrub(&clean(e)).into_owned(),
            ExitReason::SourceFailed => crate::sources::SourceError::Vanished.to_string(),
            _ => "the source has ended".to_string(),
        };
        let quit = hints(state, &[Action::Quit])
            .map(|k| format!(" · {k} quits"))
            .unwrap_or_default();
        return Some(format!("■ {why}{quit}"));
    }
    if !live.any_frozen() {
        return None;
    }
    let (n, tips) = live.backlog();
    let mut text = format!(
        "⏸ PAUSED · {} new ({})",
        thousands(n),
        crate::numfmt::count(tips, "tip", "tips")
    );
    if !live.paused {
        let frozen: Vec<&str> = crate::app::Pane::ALL
            .into_iter()
            .filter(|p| live.pane(*p).frozen_at.is_some())
            .map(|p| p.title())
            .collect();
        text.push_str(&format!(" · scrolled: {}", frozen.join(", ")));
    }
    let dropped = crate::app::Pane::ALL
        .into_iter()
        .any(|p| live.pane(p).backlog as usize > state.settings.history_per_pane);
    if dropped {
        text.push_str(" · oldest lines dropped (history limit)");
    }
    text.push_str(" · totals stay live");
    if let Some(keys) = hints(state, &[Action::TogglePause, Action::JumpToLive]) {
        text.push_str(&format!(" · {keys} resumes"));
    }
    Some(text)
}

/// The first key of each action in the effective key map, e.g. `p / End` (`None` when all are unbound).
fn hints(state: &State, actions: &[Action]) -> Option<String> {
    let km = &state.settings.keymap;
    let keys: Vec<String> = actions
        .iter()
        .filter_map(|a| km.hint(Mode::Normal, *a))
        .collect();
    (!keys.is_empty()).then(|| keys.join(" / "))
}

/// The line under the status line: a fresh confirmation (`info`, a few seconds), else the newest warning
/// notice (a minute). The flag says whether it is a warning.
pub fn notice(state: &State) -> Option<(String, bool)> {
    if let Some((text, at)) = &state.live.info {
        if secs_since(state, *at) <= INFO_SECS {
            return Some((format!("⚑ {}", clean(text)), false));
        }
    }
    // The newest notice of the rooms shown, tagged with its room where several are merged.
    let (_, room) = (state.rooms.iter().enumerate())
        .filter(|(i, r)| state.shows_room(*i) && !r.notices.is_empty())
        .filter_map(|(_, r)| Some((r.notice_at?, r)))
        .max_by_key(|(at, _)| *at)?;
    let at = room.notice_at?;
    if secs_since(state, at) > NOTICE_SECS {
        return None;
    }
    let text = room.notices.last()?;
    let tag = if state.shown().is_none() {
        format!("{}: ", room.name())
    } else {
        String::new()
    };
    Some((
        format!("⚠ {}", crate::mask::scrub(&clean(&format!("{tag}{text}")))),
        true,
    ))
}

pub fn render_line(frame: &mut Frame, area: Rect, text: String, style: ratatui::style::Style) {
    let t = truncate(&text, area.width as usize);
    let pad = (area.width as usize).saturating_sub(width(&t));
    frame.render_widget(
        Paragraph::new(Line::styled(format!("{t}{}", " ".repeat(pad)), style)),
        area,
    );
}
