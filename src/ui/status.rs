//! The status line (connection state, rates, clock, tokens), the pause banner and the notice line.

use super::format::{age, clock, thousands, truncate, width};
use super::theme::{Level, Theme};
use crate::app::{Action, ExitReason, Mode, State};
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

/// The connection label and its severity, e.g. `RETRYING attempt 3 · next in 8 s · last: 503`.
pub fn connection(state: &State) -> (String, Level) {
    if let Some(reason) = &state.live.ended {
        return match reason {
            ExitReason::CredentialsRefused => ("CREDENTIALS REFUSED".into(), Level::Bad),
            ExitReason::FatalError(_) | ExitReason::SourceFailed => {
                ("STOPPED · error".into(), Level::Bad)
            }
            _ => ("ENDED".into(), Level::Warn),
        };
    }
    let conn = &state.stats.conn;
    match &conn.state {
        ConnState::Connecting => ("CONNECTING".into(), Level::Warn),
        ConnState::Live if state.live.replay => ("REPLAY".into(), Level::Good),
        ConnState::Live => {
            // Only network sources can go quiet without replying; the simulator just has no events.
            let network = state.source != SourceKind::Simulator;
            let last = state
                .last_reply_at
                .or(conn.since)
                .unwrap_or(state.started_at);
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

/// Segments in display order with a priority (lower = kept longer when the line is too narrow).
pub fn status_line(state: &State, theme: &Theme, width_cols: u16) -> Line<'static> {
    let (label, level) = connection(state);
    let s = &state.stats;
    let mut segs: Vec<(u8, Vec<Span<'static>>)> = vec![
        (
            0,
            vec![Span::styled(format!(" {label} "), theme.level(level))],
        ),
        (
            3,
            vec![Span::styled(
                format!(" {} ", clean(&state.room)),
                theme.title(false),
            )],
        ),
        (
            6,
            vec![Span::styled(
                if state.live.replay {
                    format!("replay of {} ", state.source)
                } else {
                    format!("{} ", state.source)
                },
                theme.dim(),
            )],
        ),
        (
            4,
            vec![Span::raw(format!(
                "│ {} ev/min ",
                thousands(state.live.rates.events_per_min(state.live.now))
            ))],
        ),
        (
            5,
            vec![Span::raw(match state.live.last_event_seen {
                Some(t) => format!("· last {} ago ", age(secs_since(state, t))),
                None => "· no events yet ".into(),
            })],
        ),
        (
            2,
            vec![Span::raw(format!(
                "│ ⏱ {} ",
                clock(secs_since(state, state.started_at))
            ))],
        ),
        (
            1,
            vec![
                Span::raw("│ "),
                Span::styled(
                    format!(
                        "{} {}",
                        thousands(s.tokens_total()),
                        crate::sources::platform::of(state.source).unit.label()
                    ),
                    theme.tokens(),
                ),
                Span::raw(" "),
            ],
        ),
    ];
    if !state.notices.is_empty() {
        segs.push((
            7,
            vec![Span::styled(
                format!("│ ⚠ {} ", state.notices.len()),
                theme.warn(),
            )],
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
    let dropped = crate::app::Pane::ALL.into_iter().any(|p| {
        let ps = live.pane(p);
        ps.backlog as usize > ps.feed.capacity()
    });
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
    let at = state.live.notice_at?;
    if secs_since(state, at) > NOTICE_SECS {
        return None;
    }
    let text = state.notices.last()?;
    Some((format!("⚠ {}", crate::mask::scrub(&clean(text))), true))
}

pub fn render_line(frame: &mut Frame, area: Rect, text: String, style: ratatui::style::Style) {
    let t = truncate(&text, area.width as usize);
    let pad = (area.width as usize).saturating_sub(width(&t));
    frame.render_widget(
        Paragraph::new(Line::styled(format!("{t}{}", " ".repeat(pad)), style)),
        area,
    );
}
