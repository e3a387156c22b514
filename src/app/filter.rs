//! Filters are data applied when panes are drawn and counted; they never delete history.

use crate::event::{EventBody, EventKind, RoomEvent, Unit};
use regex::{Regex, RegexBuilder};

/// The event-kind groups toggled by `1`–`9` (listed in the help overlay).
pub const GROUPS: [(u8, &str); 9] = [
    (1, "chat"),
    (2, "private messages"),
    (3, "tips / cheers"),
    (4, "media / redemptions"),
    (5, "enter / leave"),
    (6, "follow / unfollow"),
    (7, "fan club / subs"),
    (8, "room / raids / mods"),
    (9, "unknown events"),
];

pub fn group_of(kind: EventKind) -> u8 {
    match kind {
        EventKind::ChatMessage => 1,
        EventKind::PrivateMessage => 2,
        EventKind::Tip | EventKind::Cheer => 3,
        EventKind::MediaPurchase | EventKind::Redemption => 4,
        EventKind::UserEnter | EventKind::UserLeave => 5,
        EventKind::Follow | EventKind::Unfollow => 6,
        EventKind::FanclubJoin
        | EventKind::Subscription
        | EventKind::Resubscription
        | EventKind::SubGift => 7,
        EventKind::RoomSubjectChange
        | EventKind::BroadcastStart
        | EventKind::BroadcastStop
        | EventKind::StreamUpdate
        | EventKind::Raid
        | EventKind::Moderation => 8,
        EventKind::Unknown => 9,
    }
}

/// A text filter: plain (case-insensitive substring) or, written as `/…/`, a case-insensitive regex.
#[derive(Debug, Clone)]
pub struct TextFilter {
    pub pattern: String,
    matcher: Matcher,
}

#[derive(Debug, Clone)]
enum Matcher {
    Plain(String),
    Regex(Regex),
}

impl TextFilter {
    pub fn parse(pattern: &str) -> Result<TextFilter, String> {
        let matcher = match pattern.strip_prefix('/').and_then(|p| p.strip_suffix('/')) {
            Some(re) if !re.is_empty() => RegexBuilder::new(re)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .map(Matcher::Regex)
                .map_err(|e| {
                    let first = e.to_string();
                    let last = first.lines().last().unwrap_or("invalid").trim().to_string();
                    format!("bad regex: {last}")
                })?,
            _ => Matcher::Plain(pattern.to_lowercase()),
        };
        Ok(TextFilter {
            pattern: pattern.to_string(),
            matcher,
        })
    }

    pub fn is_match(&self, text: &str) -> bool {
        match &self.matcher {
            Matcher::Plain(p) => {
                if text.is_ascii() && p.is_ascii() {
                    // Avoid allocating a lowercase copy for the common case.
                    text.as_bytes()
                        .windows(p.len().max(1))
                        .any(|w| w.eq_ignore_ascii_case(p.as_bytes()))
                        || p.is_empty()
                } else {
                    text.to_lowercase().contains(p.as_str())
                }
            }
            Matcher::Regex(re) => re.is_match(text),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct FilterSet {
    /// Bit `n` set = group `n` hidden.
    pub hidden_groups: u16,
    pub text: Option<TextFilter>,
    /// One user across all panes (case-insensitive; anonymous tips never match).
    pub user: Option<String>,
    /// Tips (and media purchases) below this are hidden; other kinds are not affected.
    pub min_tip: Option<u64>,
    /// Show what the text/user/min-tip filter would hide (kind groups stay as toggled).
    pub inverted: bool,
}

impl FilterSet {
    pub fn toggle_group(&mut self, n: u8) {
        if (1..=9).contains(&n) {
            self.hidden_groups ^= 1 << n;
        }
    }

    pub fn group_hidden(&self, n: u8) -> bool {
        self.hidden_groups & (1 << n) != 0
    }

    pub fn has_predicate(&self) -> bool {
        self.text.is_some() || self.user.is_some() || self.min_tip.is_some()
    }

    pub fn is_active(&self) -> bool {
        self.hidden_groups != 0 || self.has_predicate()
    }

    pub fn shows(&self, ev: &RoomEvent) -> bool {
        if self.group_hidden(group_of(ev.kind())) {
            return false;
        }
        if !self.has_predicate() {
            return true;
        }
        self.matches(ev) != self.inverted
    }

    fn matches(&self, ev: &RoomEvent) -> bool {
        if let Some(min) = self.min_tip {
            // In the amount's own unit, like the pane title says (`≥100 tk`, `≥100 bits`).
            match &ev.body {
                EventBody::Tip { tokens: n, .. }
                | EventBody::MediaPurchase { tokens: n, .. }
                | EventBody::Cheer { bits: n, .. }
                    if *n < min =>
                {
                    return false
                }
                _ => {}
            }
        }
        if let Some(user) = &self.user {
            if !involves_user(ev, user) {
                return false;
            }
        }
        if let Some(text) = &self.text {
            let user_hit = ev.display_user().is_some_and(|u| text.is_match(u));
            if !user_hit && !searchable_text(ev).is_some_and(|t| text.is_match(t)) {
                return false;
            }
        }
        true
    }

    /// Short labels for pane titles: `/hi/`, `user:bob`, `≥100 tk`, `hidden 5,6`, `inverted`; amounts in
    /// the room's `unit`.
    pub fn describe(&self, unit: Unit) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(t) = &self.text {
            out.push(format!("“{}”", t.pattern));
        }
        if let Some(u) = &self.user {
            out.push(format!("user:{u}"));
        }
        if let Some(m) = self.min_tip {
            out.push(format!("≥{m} {}", unit.label()));
        }
        if self.hidden_groups != 0 {
            let hidden: Vec<String> = (1..=9)
                .filter(|n| self.group_hidden(*n))
                .map(|n| n.to_string())
                .collect();
            out.push(format!("hidden {}", hidden.join(",")));
        }
        if self.inverted && self.has_predicate() {
            out.push("inverted".into());
        }
        out
    }
}

fn involves_user(ev: &RoomEvent, user: &str) -> bool {
    if ev
        .display_user()
        .is_some_and(|u| u.eq_ignore_ascii_case(user))
    {
        return true;
    }
    match &ev.body {
        EventBody::PrivateMessage {
            from_user, to_user, ..
        } => [from_user, to_user]
            .into_iter()
            .flatten()
            .any(|u| u.eq_ignore_ascii_case(user)),
        _ => false,
    }
}

fn searchable_text(ev: &RoomEvent) -> Option<&str> {
    match &ev.body {
        EventBody::ChatMessage { message }
        | EventBody::PrivateMessage { message, .. }
        | EventBody::Tip { message, .. } => Some(message),
        EventBody::RoomSubjectChange { subject, .. } => Some(subject),
        EventBody::MediaPurchase { media, .. } => media.name.as_deref(),
        EventBody::Unknown { method, .. } => Some(method),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_in_a_group_and_groups_are_listed() {
        for k in EventKind::ALL {
            let g = group_of(k);
            assert!(GROUPS.iter().any(|(n, _)| *n == g), "{k}");
        }
    }

    #[test]
    fn plain_and_regex_text() {
        let p = TextFilter::parse("HeLLo").unwrap();
        assert!(p.is_match("say hello there"));
        assert!(!p.is_match("help"));
        let r = TextFilter::parse("/^h(i|ey)\\b/").unwrap();
        assert!(r.is_match("Hey you"));
        assert!(!r.is_match("oh hi"));
        assert!(TextFilter::parse("/(/")
            .unwrap_err()
            .starts_with("bad regex"));
        let u = TextFilter::parse("ПРИВЕТ").unwrap();
        assert!(u.is_match("привет всем"));
    }
}
