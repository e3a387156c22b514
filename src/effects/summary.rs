//! The session summary as data: a pure function of the state (no I/O, no clock), serialized as the JSON
//! file and rendered as Markdown by [`super::summary_md`]. Keys follow DESIGN.md "Session summary".

use crate::app::{ExitReason, Room};
use crate::event::{format_at, Unit};
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use crate::numfmt::thousands;

/// Named tippers listed in `tips.top`.
pub const TOP_TIPPERS: usize = 10;

/// `exit_reason` of an autosave: the session was still running when it was written.
pub const RUNNING: &str = "running";

/// What the summary needs besides the state.
#[derive(Debug, Clone)]
pub struct SummaryMeta<'a> {
    /// `None` for an autosave.
    pub exit: Option<&'a ExitReason>,
    pub ended_at: DateTime<Utc>,
    /// The journal played, when the session is a replay.
    pub replay_of: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub room: String,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay_of: Option<String>,
    pub started_at: String,
    pub ended_at: String,
    pub duration_s: f64,
    pub exit_reason: String,
    /// The fatal error's text (masked), when the session ended on one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_detail: Option<String>,
    pub first_event_at: Option<String>,
    pub last_event_at: Option<String>,
    pub events: Events,
    /// Tips plus media purchases.
    pub tokens_total: u64,
    /// Present (`true`) when a token total reached the largest number roomwatch counts (18446744073709551615)
    /// and stopped there instead of wrapping: the figures are then lower bounds.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub totals_saturated: bool,
    pub tips: Tips,
    pub viewers: Viewers,
    pub chat: Chat,
    pub follows: u64,
    pub unfollows: u64,
    pub fanclub_joins: u64,
    pub media_purchases: Media,
    /// Tokens (tips + media) per 5 minutes of event time; only buckets that saw tokens.
    pub tokens_per_5min: Vec<Bucket>,
    pub markers: Vec<MarkerOut>,
    pub connection: Connection,
    /// Twitch rooms (counted in bits) only: DESIGN.md "Twitch".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<Bits>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subs: Option<Subs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redemptions: Option<Redemptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raids: Option<Raids>,
}

/// Cheers: all of them, the anonymous part (never named) and the top named cheerers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bits {
    pub count: u64,
    pub bits: u64,
    pub anonymous: BitsAmount,
    pub top: Vec<Cheerer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BitsAmount {
    pub count: u64,
    pub bits: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cheerer {
    pub user: String,
    pub bits: u64,
    pub count: u64,
}

/// `new` = subscriptions that are not gifts; `gifted` = the sum of `total` over gift events; `by_tier` counts
/// new + resubs + gifted by tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subs {
    pub new: u64,
    pub resubs: u64,
    pub gifted: u64,
    pub gift_events: u64,
    pub by_tier: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Redemptions {
    pub count: u64,
    pub by_reward: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Raids {
    pub count: u64,
    pub viewers: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Events {
    pub total: u64,
    /// Every kind, zero included.
    pub by_kind: BTreeMap<String, u64>,
    pub duplicates_dropped: u64,
    /// Items the source could not use (no id, not an object, unreadable journal lines).
    pub skipped: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tips {
    pub count: u64,
    pub tokens: u64,
    /// `null` when there was no tip.
    pub biggest: Option<Biggest>,
    pub anonymous: Amount,
    pub top: Vec<Tipper>,
}

/// The biggest tip. `user` is `null` for an anonymous tipper (never named), and `anonymous` says so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Biggest {
    pub user: Option<String>,
    pub anonymous: bool,
    pub tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Amount {
    pub count: u64,
    pub tokens: u64,
}

pub type Media = Amount;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tipper {
    pub user: String,
    pub tokens: u64,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Viewers {
    pub enters: u64,
    pub leaves: u64,
    pub unique: u64,
    pub peak_in_room: u64,
    pub in_room_at_end: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chat {
    pub messages: u64,
    pub private_messages: u64,
    pub unique_chatters: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub start: String,
    pub tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkerOut {
    pub at: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub requests: u64,
    pub retries: u64,
    pub errors_by_class: BTreeMap<String, u64>,
    pub longest_outage_s: f64,
    pub outages: Vec<OutageOut>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutageOut {
    pub started_at: String,
    /// `null` while the outage was still going on when the summary was written.
    pub ended_at: Option<String>,
    pub length_s: f64,
}

/// Seconds with millisecond precision.
fn secs(ms: i64) -> f64 {
    ms.max(0) as f64 / 1000.0
}

/// Builds the summary. Pure: the end time comes in through `meta`.
pub fn build(room: &Room, meta: &SummaryMeta) -> Summary {
    let s = &room.stats;
    let ended_at = meta.ended_at;
    // The platform's kinds, zero included, and any other kind that was seen.
    let mut by_kind: BTreeMap<String, u64> = crate::sources::platform::of(room.platform())
        .kinds
        .iter()
        .map(|k| (k.as_str().to_string(), 0))
        .collect();
    for (k, n) in &s.by_kind {
        by_kind.insert(k.as_str().to_string(), *n);
    }
    let biggest = s.tips.biggest.as_ref().map(|b| Biggest {
        user: b.user.clone(),
        anonymous: b.user.is_none(),
        tokens: b.value,
    });
    let top = (s.tips.top(TOP_TIPPERS).into_iter())
        .map(|(user, t)| Tipper {
            user: user.to_string(),
            tokens: t.value,
            count: t.count,
        })
        .collect();
    let tokens_per_5min = s
        .tokens_by_bucket
        .iter()
        .map(|(start, tokens)| Bucket {
            start: Utc
                .timestamp_opt(*start, 0)
                .single()
                .map(format_at)
                .unwrap_or_default(),
            tokens: *tokens,
        })
        .collect();
    let outages = s
        .outages
        .iter()
        .map(|o| OutageOut {
            started_at: format_at(o.started),
            ended_at: o.ended.map(format_at),
            length_s: secs((o.ended.unwrap_or(ended_at) - o.started).num_milliseconds()),
        })
        .collect();
    let exit_detail = match meta.exit {
        Some(ExitReason::FatalError(text)) => Some(crate::mask::scrub(text).into_owned()),
        _ => None,
    };
    // The Twitch sections belong to rooms counted in bits (the platform table says which those are).
    let twitch = room.unit == Unit::Bits;
    let bits = twitch.then(|| Bits {
        count: s.cheers.count,
        bits: s.cheers.value,
        anonymous: BitsAmount {
            count: s.cheers.anon_count,
            bits: s.cheers.anon_value,
        },
        top: (s.cheers.top(TOP_TIPPERS).into_iter())
            .map(|(user, t)| Cheerer {
                user: user.to_string(),
                bits: t.value,
                count: t.count,
            })
            .collect(),
    });
    let subs = twitch.then(|| Subs {
        new: s.subs_new,
        resubs: s.resubs,
        gifted: s.subs_gifted,
        gift_events: s.gift_events,
        by_tier: s.subs_by_tier.clone(),
    });
    let redemptions = twitch.then(|| Redemptions {
        count: s
            .redemptions
            .values()
            .fold(0u64, |n, c| n.saturating_add(*c)),
        by_reward: s.redemptions.clone(),
    });
    let raids = twitch.then_some(Raids {
        count: s.raids,
        viewers: s.raid_viewers,
    });
    Summary {
        room: room.name().to_string(),
        source: room.platform().as_str().to_string(),
        replay_of: meta.replay_of.map(str::to_string),
        started_at: format_at(room.started_at),
        ended_at: format_at(ended_at),
        duration_s: secs((ended_at - room.started_at).num_milliseconds()),
        exit_reason: meta.exit.map_or(RUNNING, ExitReason::as_str).to_string(),
        exit_detail,
        first_event_at: s.first_event_at.map(format_at),
        last_event_at: s.last_event_at.map(format_at),
        events: Events {
            total: s.events_total,
            by_kind,
            duplicates_dropped: s.duplicates_dropped,
            skipped: s.skipped_events,
        },
        tokens_total: s.tokens_total(),
        totals_saturated: s.saturated || s.tips.value.checked_add(s.media_tokens).is_none(),
        tips: Tips {
            count: s.tips.count,
            tokens: s.tips.value,
            biggest,
            anonymous: Amount {
                count: s.tips.anon_count,
                tokens: s.tips.anon_value,
            },
            top,
        },
        viewers: Viewers {
            enters: s.enters,
            leaves: s.leaves,
            unique: s.visitors.len() as u64,
            peak_in_room: s.peak_in_room,
            in_room_at_end: s.in_room.len() as u64,
        },
        chat: Chat {
            messages: s.chat_messages,
            private_messages: s.private_messages,
            unique_chatters: s.chatters.len() as u64,
        },
        follows: s.follows,
        unfollows: s.unfollows,
        fanclub_joins: s.fanclub_joins,
        media_purchases: Amount {
            count: s.media_count,
            tokens: s.media_tokens,
        },
        tokens_per_5min,
        markers: room
            .markers
            .iter()
            .map(|m| MarkerOut {
                at: format_at(m.at),
                note: m.note.clone(),
            })
            .collect(),
        connection: Connection {
            requests: s.conn.requests,
            retries: s.conn.retries,
            errors_by_class: s.conn.errors_by_class.clone(),
            longest_outage_s: s.longest_outage_s(ended_at),
            outages,
        },
        bits,
        subs,
        redemptions,
        raids,
    }
}

/// Serializes the summary as pretty JSON with a trailing newline.
pub fn to_json(summary: &Summary) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(summary).expect("a summary always serializes");
    out.push(b'\n');
    out
}

/// `1:02:03` / `12:03`.
pub fn format_duration(secs: f64) -> String {
    crate::numfmt::clock(secs.max(0.0) as u64)
}

/// The name shown for the biggest tip's tipper.
pub fn biggest_label(b: &Biggest) -> &str {
    b.user.as_deref().unwrap_or("anonymous")
}

/// The five lines printed on stderr at the end (after the file paths).
pub fn text_lines(s: &Summary) -> [String; 5] {
    use crate::numfmt::count;
    let biggest = s.tips.biggest.as_ref().map_or(String::new(), |b| {
        format!(
            " · biggest {} by {}",
            thousands(b.tokens),
            crate::sanitize::name(biggest_label(b))
        )
    });
    let money = match (&s.bits, &s.subs, &s.raids) {
        // A room counted in bits: its money line is Twitch's.
        (Some(bits), Some(subs), Some(raids)) => format!(
            "bits {} · {} · subs {} new, {} resubs, {} gifted · {} ({} viewers)",
            thousands(bits.bits),
            count(bits.count, "cheer", "cheers"),
            thousands(subs.new),
            thousands(subs.resubs),
            thousands(subs.gifted),
            count(raids.count, "raid", "raids"),
            thousands(raids.viewers)
        ),
        _ => format!(
            "tokens {}{} · {} for {}{} · {} media for {}",
            thousands(s.tokens_total),
            if s.totals_saturated {
                " (capped: lower bounds)"
            } else {
                ""
            },
            count(s.tips.count, "tip", "tips"),
            thousands(s.tips.tokens),
            biggest,
            thousands(s.media_purchases.count),
            thousands(s.media_purchases.tokens)
        ),
    };
    [
        format!(
            "{} · {} · {} · ended: {}",
            s.room,
            format_duration(s.duration_s),
            count(s.events.total, "event", "events"),
            s.exit_reason
        ),
        money,
        format!(
            "chat {} from {} · {} private",
            count(s.chat.messages, "message", "messages"),
            count(s.chat.unique_chatters, "chatter", "chatters"),
            thousands(s.chat.private_messages)
        ),
        format!(
            "viewers {} entered ({} unique) · peak {} in room · {}, {}, {}",
            thousands(s.viewers.enters),
            thousands(s.viewers.unique),
            thousands(s.viewers.peak_in_room),
            count(s.follows, "follow", "follows"),
            count(s.unfollows, "unfollow", "unfollows"),
            count(s.fanclub_joins, "fan-club join", "fan-club joins")
        ),
        format!(
            "connection {} · {} · longest outage {:.1} s",
            count(s.connection.requests, "request", "requests"),
            count(s.connection.retries, "retry", "retries"),
            s.connection.longest_outage_s
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_durations_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(format_duration(59.9), "0:59");
        assert_eq!(format_duration(3723.0), "1:02:03");
    }
}
