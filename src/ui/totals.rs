//! Header lines: the tips totals block (exact, from `SessionStats`) and the viewers counts.

use super::format::{sparkline, thousands, truncate, width};
use super::theme::Theme;
use crate::app::State;
use crate::event::Unit;
use ratatui::text::{Line, Span};

fn money(state: &State, tokens: u64) -> Option<String> {
    let c = state.settings.currency.as_ref()?;
    Some(format!(" ≈ {}{:.2}", c.symbol, tokens as f64 * c.per_token))
}

/// Gift totals (tips, cheers) of the room shown, in its unit; nothing when all rooms are merged (the overview has each room's totals,
/// and rooms are never summed).
pub fn tips(state: &State, theme: &Theme, width_cols: u16) -> Vec<Line<'static>> {
    let Some(room) = state.shown() else {
        return Vec::new();
    };
    // The room's own unit: tips in tokens, cheers in bits; the currency rate is per token.
    let unit = room.unit;
    let s = room.stats.ledger(unit);
    let (one, gifts) = unit.gift();
    let w = width_cols as usize;
    let mut out = Vec::new();
    let avg = s.value.checked_div(s.count).unwrap_or(0);
    let money = (unit == Unit::Tokens)
        .then(|| money(state, s.value))
        .flatten();
    let head = vec![
        Span::styled(
            format!("{} {}", thousands(s.value), unit.label()),
            theme.tokens(),
        ),
        Span::raw(format!(" · {}", crate::numfmt::count(s.count, one, gifts))),
    ];
    let tail = vec![
        Span::raw(format!(" · avg {}", thousands(avg))),
        Span::styled(money.unwrap_or_default(), theme.dim()),
    ];
    let full: usize = head.iter().chain(&tail).map(|s| width(&s.content)).sum();
    if full <= w {
        out.push(Line::from([head, tail].concat()));
    } else {
        // Narrow column: the average gets its own line instead of being cut.
        out.push(Line::from(head));
        let mut tail = tail;
        tail[0] = Span::raw(format!("avg {}", thousands(avg)));
        out.push(Line::from(tail));
    }
    let rate = room.rates.tips_per_min(state.live.now);
    let label = format!("{gifts}/min {rate:<3} ");
    let spark_w = w.saturating_sub(width(&label)).min(60);
    let series = room.rates.tips_series(state.live.now, spark_w);
    out.push(Line::from(vec![
        Span::raw(label),
        Span::styled(sparkline(&series), theme.tokens()),
    ]));
    // The goal is set in tokens (`tip_goal.tokens`): a room counted in another unit shows none.
    if let Some(goal) = state
        .settings
        .tip_goal
        .as_ref()
        .filter(|_| unit == Unit::Tokens)
    {
        let target = goal.tokens.max(1);
        let pct = (s.value.saturating_mul(100) / target).min(999);
        let head = format!(
            "goal {} {}/{} ",
            crate::sanitize::clean(&goal.label),
            thousands(s.value.min(target)),
            thousands(target)
        );
        let tail = format!(" {pct}%");
        let bar_w = w.saturating_sub(width(&head) + width(&tail)).min(30);
        let filled = (bar_w as u64 * pct.min(100) / 100) as usize;
        out.push(Line::from(vec![
            Span::raw(truncate(&head, w)),
            Span::styled("█".repeat(filled), theme.enter()),
            Span::styled("░".repeat(bar_w - filled), theme.dim()),
            Span::raw(tail),
        ]));
    }
    if let Some(b) = &s.biggest {
        let mut spans = vec![
            Span::raw("biggest "),
            Span::styled(thousands(b.value), theme.tokens()),
            Span::raw(" "),
        ];
        match &b.user {
            Some(u) => spans.push(Span::styled(
                crate::sanitize::name(u).into_owned(),
                theme.user(u),
            )),
            None => spans.push(Span::styled("anonymous", theme.anonymous())),
        }
        out.push(Line::from(spans));
    }
    for (i, (user, total)) in room.top.entries.iter().enumerate() {
        let user = crate::sanitize::name(user).into_owned();
        out.push(Line::from(vec![
            Span::styled(format!("{}. ", i + 1), theme.dim()),
            Span::styled(user.clone(), theme.user(&user)),
            Span::raw(" "),
            Span::styled(thousands(total.value), theme.tokens()),
            Span::styled(format!(" ({})", total.count), theme.dim()),
        ]));
    }
    if s.anon_count > 0 {
        out.push(Line::from(vec![
            Span::styled("anonymous ", theme.anonymous()),
            Span::styled(thousands(s.anon_value), theme.tokens()),
            Span::styled(format!(" ({})", s.anon_count), theme.dim()),
        ]));
    }
    out
}

pub fn viewers(state: &State, theme: &Theme, width_cols: u16) -> Vec<Line<'static>> {
    let Some(room) = state.shown() else {
        return Vec::new();
    };
    let s = &room.stats;
    let here = vec![
        Span::raw("in room "),
        Span::styled(thousands(s.in_room.len() as u64), theme.enter()),
    ];
    let rest = vec![
        Span::styled(" · peak ", theme.dim()),
        Span::raw(thousands(s.peak_in_room)),
        Span::styled(" · unique ", theme.dim()),
        Span::raw(thousands(s.visitors.len() as u64)),
    ];
    let w: usize = here.iter().chain(&rest).map(|s| width(&s.content)).sum();
    if w <= width_cols as usize {
        vec![Line::from([here, rest].concat())]
    } else {
        // Narrow pane: two lines rather than a cut-off number.
        let mut second = rest;
        second[0] = Span::styled("peak ", theme.dim());
        vec![Line::from(here), Line::from(second)]
    }
}
