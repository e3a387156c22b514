//! One event → styled spans, per pane. All network text goes through `sanitize::clean` here.

use super::format::thousands;
use super::theme::Theme;
use crate::app::State;
use crate::event::{split_tip_message, EventBody, RoomEvent, UserInfo};
use crate::sanitize::clean;
use ratatui::text::Span;
use std::fmt::Write;

/// The event time in the configured format and offset (a bad format falls back to `%H:%M:%S`).
pub fn time(state: &State, ev: &RoomEvent) -> String {
    let t = ev.at.with_timezone(&state.live.utc_offset);
    if state.settings.timestamp_format == "%H:%M:%S" {
        // The default, without chrono's format-string interpreter (this runs for every visible line).
        use chrono::Timelike;
        return format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
    }
    let mut out = String::new();
    if write!(out, "{}", t.format(&state.settings.timestamp_format)).is_err() {
        out.clear();
        let _ = write!(out, "{}", t.format("%H:%M:%S"));
    }
    clean(&out).into_owned()
}

fn start(state: &State, ev: &RoomEvent, theme: &Theme) -> (Vec<Span<'static>>, usize) {
    let t = time(state, ev);
    let w = super::format::width(&t) + 1;
    (vec![Span::styled(t, theme.time()), Span::raw(" ")], w)
}

fn user_spans(user: &UserInfo, theme: &Theme, spans: &mut Vec<Span<'static>>) {
    // Chat badges (Twitch): the broadcaster and VIPs get their own marks; moderators and subscribers already
    // carry `is_mod` / `in_fanclub`.
    let badge = |b: &str| user.badges.iter().any(|x| x == b);
    if badge("broadcaster") {
        spans.push(Span::styled("▲", theme.tier_mark()));
    }
    if badge("vip") {
        spans.push(Span::styled("◆", theme.tier_mark()));
    }
    if user.is_mod {
        spans.push(Span::styled("@", theme.mod_mark()));
    }
    if user.in_fanclub {
        spans.push(Span::styled("♥", theme.fan_mark()));
    }
    match user.recent_tips.as_deref() {
        Some("lots") => spans.push(Span::styled("$", theme.tier_mark())),
        Some("tons") => spans.push(Span::styled("$$", theme.tier_mark())),
        _ => {}
    }
    let name = crate::sanitize::name(&user.username).into_owned();
    spans.push(Span::styled(name.clone(), theme.user(&name)));
    if user.is_follower {
        spans.push(Span::styled("+", theme.dim()));
    }
}

fn name_or_anonymous(ev: &RoomEvent, theme: &Theme, spans: &mut Vec<Span<'static>>) {
    match (ev.display_user(), &ev.user) {
        (Some(_), Some(u)) => user_spans(u, theme, spans),
        _ => spans.push(Span::styled("anonymous", theme.anonymous())),
    }
}

/// Chat pane: messages, private messages (tagged), and room events as system lines.
pub fn chat(state: &State, ev: &RoomEvent, theme: &Theme) -> (Vec<Span<'static>>, usize) {
    let (mut spans, indent) = start(state, ev, theme);
    match &ev.body {
        EventBody::ChatMessage { message } => {
            name_or_anonymous(ev, theme, &mut spans);
            spans.push(Span::raw(": "));
            spans.push(Span::styled(clean(message).into_owned(), theme.text()));
        }
        EventBody::PrivateMessage {
            message,
            from_user,
            to_user,
        } => {
            spans.push(Span::styled(" PM ", theme.pm_tag()));
            spans.push(Span::raw(" "));
            let from = from_user.as_deref().or(ev.display_user()).unwrap_or("?");
            let from = crate::sanitize::name(from).into_owned();
            spans.push(Span::styled(from.clone(), theme.user(&from)));
            if let Some(to) = to_user {
                spans.push(Span::styled(
                    format!(" → {}", crate::sanitize::name(to)),
                    theme.dim(),
                ));
            }
            spans.push(Span::raw(": "));
            spans.push(Span::styled(clean(message).into_owned(), theme.text()));
        }
        EventBody::RoomSubjectChange { subject, category } => {
            let category = category
                .as_deref()
                .map(|c| format!(" · category: {}", clean(c)))
                .unwrap_or_default();
            spans.push(Span::styled(
                format!("── subject: {}{category}", clean(subject)),
                theme.system(),
            ));
        }
        EventBody::BroadcastStart => {
            spans.push(Span::styled("── broadcast started ──", theme.system()))
        }
        EventBody::BroadcastStop => {
            spans.push(Span::styled("── broadcast stopped ──", theme.system()))
        }
        EventBody::Unknown { method, .. } => spans.push(Span::styled(
            format!("── unknown event: {}", clean(method)),
            theme.dim(),
        )),
        EventBody::Moderation { action, target } => {
            spans.push(Span::styled("⚑ ", theme.moderation()));
            name_or_anonymous(ev, theme, &mut spans);
            let target = target
                .as_deref()
                .map(|t| format!(" {}", crate::sanitize::name(t)))
                .unwrap_or_default();
            spans.push(Span::styled(
                format!(" {}{target}", clean(action)),
                theme.moderation(),
            ));
        }
        EventBody::StreamUpdate {
            viewers,
            title,
            category,
        } => {
            let parts: Vec<String> = [
                title.as_deref().map(|t| clean(t).into_owned()),
                category.as_deref().map(|c| clean(c).into_owned()),
                viewers.map(|v| format!("{} viewers", thousands(v))),
            ]
            .into_iter()
            .flatten()
            .collect();
            spans.push(Span::styled(
                format!("── stream: {}", parts.join(" · ")),
                theme.system(),
            ));
        }
        _ => other(ev, theme, &mut spans),
    }
    (spans, indent)
}

/// Tips pane: amount first (the thing to scan), then who, then the tip-menu selection and note.
pub fn tip(state: &State, ev: &RoomEvent, theme: &Theme) -> (Vec<Span<'static>>, usize) {
    let (mut spans, indent) = start(state, ev, theme);
    match &ev.body {
        EventBody::Tip {
            tokens, message, ..
        } => {
            let style = if *tokens >= state.settings.tip_alert_min {
                theme.big_tokens()
            } else {
                theme.tokens()
            };
            spans.push(Span::styled(format!("{:>5}", thousands(*tokens)), style));
            spans.push(Span::raw(" "));
            name_or_anonymous(ev, theme, &mut spans);
            let (selection, text) = split_tip_message(message);
            if let Some(sel) = selection {
                spans.push(Span::raw(" "));
                spans.push(Span::styled(format!("[{}]", clean(sel)), theme.selection()));
            }
            if !text.is_empty() {
                spans.push(Span::raw(" "));
                spans.push(Span::styled(clean(text).into_owned(), theme.text()));
            }
        }
        EventBody::MediaPurchase { tokens, media } => {
            spans.push(Span::styled(
                format!("{:>5}", thousands(*tokens)),
                theme.tokens(),
            ));
            spans.push(Span::raw(" "));
            name_or_anonymous(ev, theme, &mut spans);
            let what = media.media_type.as_deref().unwrap_or("media");
            let name = media.name.as_deref().unwrap_or("");
            spans.push(Span::styled(
                format!(" bought {}: {}", clean(what), clean(name)),
                theme.dim(),
            ));
        }
        EventBody::Cheer { bits, message, .. } => {
            // The alert threshold is read in the gift's own unit (alerts.rs), so is the highlight.
            let style = if *bits >= state.settings.tip_alert_min {
                theme.big_tokens()
            } else {
                theme.tokens()
            };
            spans.push(Span::styled(format!("{:>5} bits", thousands(*bits)), style));
            spans.push(Span::raw(" "));
            name_or_anonymous(ev, theme, &mut spans);
            if !message.is_empty() {
                spans.push(Span::raw(" "));
                spans.push(Span::styled(clean(message).into_owned(), theme.text()));
            }
        }
        EventBody::Subscription { tier, is_gift } => {
            spans.push(Span::styled("★ ", theme.fan_mark()));
            name_or_anonymous(ev, theme, &mut spans);
            let how = if *is_gift {
                "got a gift sub"
            } else {
                "subscribed"
            };
            spans.push(Span::styled(
                format!(" {how} ({})", tier_label(tier)),
                theme.dim(),
            ));
        }
        EventBody::Resubscription {
            tier,
            cumulative_months,
            message,
            ..
        } => {
            spans.push(Span::styled("★ ", theme.fan_mark()));
            name_or_anonymous(ev, theme, &mut spans);
            spans.push(Span::styled(
                format!(
                    " resubscribed · {} months ({})",
                    thousands(*cumulative_months),
                    tier_label(tier)
                ),
                theme.dim(),
            ));
            if !message.is_empty() {
                spans.push(Span::raw(" "));
                spans.push(Span::styled(clean(message).into_owned(), theme.text()));
            }
        }
        EventBody::SubGift { tier, total, .. } => {
            spans.push(Span::styled("★ ", theme.fan_mark()));
            name_or_anonymous(ev, theme, &mut spans);
            let subs = if *total == 1 { "sub" } else { "subs" };
            spans.push(Span::styled(
                format!(
                    " gifted {} {subs} ({})",
                    thousands(*total),
                    tier_label(tier)
                ),
                theme.dim(),
            ));
        }
        EventBody::Redemption { reward, input } => {
            spans.push(Span::styled("✦ ", theme.selection()));
            name_or_anonymous(ev, theme, &mut spans);
            spans.push(Span::styled(
                format!(
                    " redeemed {} ({})",
                    clean(&reward.title),
                    thousands(reward.cost)
                ),
                theme.dim(),
            ));
            if let Some(text) = input.as_deref().filter(|t| !t.is_empty()) {
                spans.push(Span::raw(" "));
                spans.push(Span::styled(clean(text).into_owned(), theme.text()));
            }
        }
        _ => other(ev, theme, &mut spans),
    }
    (spans, indent)
}

/// Viewers pane: arrows for enter/leave, marks for follows and fan-club joins.
pub fn viewer(state: &State, ev: &RoomEvent, theme: &Theme) -> (Vec<Span<'static>>, usize) {
    let (mut spans, indent) = start(state, ev, theme);
    let (mark, style, suffix) = match &ev.body {
        EventBody::UserEnter => ("→ ", theme.enter(), ""),
        EventBody::UserLeave => ("← ", theme.dim(), ""),
        EventBody::Follow => ("+ ", theme.enter(), " followed"),
        EventBody::Unfollow => ("- ", theme.dim(), " unfollowed"),
        EventBody::FanclubJoin => ("♥ ", theme.fan_mark(), " joined the fan club"),
        EventBody::Raid { viewers } => {
            spans.push(Span::styled("» ", theme.enter()));
            name_or_anonymous(ev, theme, &mut spans);
            spans.push(Span::styled(
                format!(" raided with {} viewers", thousands(*viewers)),
                theme.enter(),
            ));
            return (spans, indent);
        }
        _ => {
            other(ev, theme, &mut spans);
            return (spans, indent);
        }
    };
    spans.push(Span::styled(mark, style));
    name_or_anonymous(ev, theme, &mut spans);
    if !suffix.is_empty() {
        spans.push(Span::styled(suffix, style));
    }
    (spans, indent)
}

/// `1000` → `tier 1` (Twitch sends tiers as 1000/2000/3000); anything else as sent, cleaned.
fn tier_label(tier: &str) -> String {
    match tier {
        "1000" => "tier 1".into(),
        "2000" => "tier 2".into(),
        "3000" => "tier 3".into(),
        other => format!("tier {}", clean(other)),
    }
}

fn other(ev: &RoomEvent, theme: &Theme, spans: &mut Vec<Span<'static>>) {
    spans.push(Span::styled(ev.kind().as_str(), theme.dim()));
}
