//! Exact session figures, updated per event. Unbounded by design (per-user ledgers), independent of how much
//! history the panes keep, so the summary is exact after any length of stream.

use crate::event::{EventBody, EventKind, RoomEvent, ShortText, Unit};
use crate::sources::ConnStatus;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Width of the tokens-over-time buckets (the summary's "tokens per 5 minutes").
pub const BUCKET_SECS: i64 = 300;

/// One named supporter's gifts in one unit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Supporter {
    pub value: u64,
    pub count: u64,
}

/// The biggest single gift of a ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Biggest {
    /// `None` for an anonymous gift.
    pub user: Option<String>,
    pub value: u64,
}

/// An outage: from the first failed request to the next success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outage {
    pub started: DateTime<Utc>,
    pub ended: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default)]
pub struct SessionStats {
    pub events_total: u64,
    pub by_kind: BTreeMap<EventKind, u64>,
    pub duplicates_dropped: u64,
    pub skipped_events: u64,

    /// Chaturbate tips, in tokens.
    pub tips: Ledger,
    /// Tokens (tips + media) per [`BUCKET_SECS`] bucket, keyed by bucket start (unix seconds).
    pub tokens_by_bucket: BTreeMap<i64, u64>,

    pub enters: u64,
    pub leaves: u64,
    // User names as `ShortText`, kept in the table itself up to 24 bytes: a lookup compares the name without
    // following a pointer to it, which was a cache miss per event on a busy room (issue 14).
    pub visitors: HashSet<ShortText>,
    pub in_room: HashSet<ShortText>,
    pub peak_in_room: u64,

    pub chat_messages: u64,
    pub private_messages: u64,
    pub chatters: HashSet<ShortText>,

    pub follows: u64,
    pub unfollows: u64,
    pub fanclub_joins: u64,
    pub media_count: u64,
    pub media_tokens: u64,

    pub first_event_at: Option<DateTime<Utc>>,
    pub last_event_at: Option<DateTime<Utc>>,

    /// The source's latest cumulative counters.
    pub conn: ConnStatus,
    pub outages: Vec<Outage>,
    /// Twitch cheers, in bits.
    pub cheers: Ledger,
    /// Subscriptions: new ones (not gifts), renewals, gifted (the sum of `total` over gift events), gift
    /// events, and all three by tier.
    pub subs_new: u64,
    pub resubs: u64,
    pub subs_gifted: u64,
    pub gift_events: u64,
    pub subs_by_tier: BTreeMap<String, u64>,
    /// Channel-points redemptions by reward title.
    pub redemptions: BTreeMap<String, u64>,
    pub raids: u64,
    pub raid_viewers: u64,
    /// A token total reached `u64::MAX` and stopped there (amounts come from the network: they saturate,
    /// never wrap). The summary says so.
    pub saturated: bool,
}

/// The one ranking of supporters, for the screen and the summary alike: more given first, then more gifts,
/// then the name.
pub fn rank(a: (&str, &Supporter), b: (&str, &Supporter)) -> std::cmp::Ordering {
    b.1.value
        .cmp(&a.1.value)
        .then(b.1.count.cmp(&a.1.count))
        .then(a.0.cmp(b.0))
}

/// Gifts of one kind in one unit (tips in tokens, cheers in bits): all of them, the anonymous part, per named
/// giver (anonymous gifts never enter `by_user`), and the biggest.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub count: u64,
    pub value: u64,
    pub anon_count: u64,
    pub anon_value: u64,
    pub by_user: HashMap<ShortText, Supporter>,
    /// The first of the biggest gifts.
    pub biggest: Option<Biggest>,
}

impl Ledger {
    fn record(&mut self, user: Option<&str>, anonymous: bool, value: u64, saturated: &mut bool) {
        self.count += 1;
        add(&mut self.value, value, saturated);
        if anonymous {
            self.anon_count += 1;
            add(&mut self.anon_value, value, saturated);
        } else if let Some(u) = user {
            // A known supporter is looked up by `&str`: the name is copied once, on the first gift.
            let t = match self.by_user.get_mut(u) {
                Some(t) => t,
                None => self.by_user.entry(ShortText::from(u)).or_default(),
            };
            add(&mut t.value, value, saturated);
            t.count += 1;
        }
        if self.biggest.as_ref().is_none_or(|b| value > b.value) {
            self.biggest = Some(Biggest {
                user: if anonymous {
                    None
                } else {
                    user.map(str::to_string)
                },
                value,
            });
        }
    }

    /// Top named supporters in [`rank`] order, at most `n`.
    pub fn top(&self, n: usize) -> Vec<(&str, &Supporter)> {
        let mut all: Vec<(&str, &Supporter)> =
            self.by_user.iter().map(|(u, t)| (u.as_str(), t)).collect();
        all.sort_by(|a, b| rank(*a, *b));
        all.truncate(n);
        all
    }
}

/// `total += n`, stopping at `u64::MAX` and noting it.
fn add(total: &mut u64, n: u64, saturated: &mut bool) {
    match total.checked_add(n) {
        Some(t) => *total = t,
        None => {
            *total = u64::MAX;
            *saturated = true;
        }
    }
}

impl SessionStats {
    pub fn record(&mut self, ev: &RoomEvent) {
        self.events_total += 1;
        *self.by_kind.entry(ev.kind()).or_default() += 1;
        self.first_event_at.get_or_insert(ev.at);
        self.last_event_at = Some(ev.at);
        let user = ev.display_user();
        match &ev.body {
            EventBody::Tip {
                tokens, anonymous, ..
            } => {
                self.tips
                    .record(user, *anonymous, *tokens, &mut self.saturated);
                self.add_bucket(ev.at, *tokens);
            }
            EventBody::UserEnter => {
                self.enters += 1;
                if let Some(u) = user {
                    if !self.visitors.contains(u) {
                        self.visitors.insert(ShortText::from(u));
                    }
                    if !self.in_room.contains(u) {
                        self.in_room.insert(ShortText::from(u));
                    }
                    self.peak_in_room = self.peak_in_room.max(self.in_room.len() as u64);
                }
            }
            EventBody::UserLeave => {
                self.leaves += 1;
                if let Some(u) = user {
                    self.in_room.remove(u);
                }
            }
            EventBody::ChatMessage { .. } => {
                self.chat_messages += 1;
                self.note_chatter(user);
            }
            EventBody::PrivateMessage { .. } => {
                self.private_messages += 1;
            }
            EventBody::Follow => self.follows += 1,
            EventBody::Unfollow => self.unfollows += 1,
            EventBody::FanclubJoin => self.fanclub_joins += 1,
            EventBody::MediaPurchase { tokens, .. } => {
                self.media_count += 1;
                add(&mut self.media_tokens, *tokens, &mut self.saturated);
                self.add_bucket(ev.at, *tokens);
            }
            EventBody::Cheer {
                bits, anonymous, ..
            } => self
                .cheers
                .record(user, *anonymous, *bits, &mut self.saturated),
            EventBody::Subscription { tier, is_gift } => {
                // A gifted sub's recipient event: the gift is counted once, from its `sub_gift` event.
                if !is_gift {
                    self.subs_new += 1;
                    *self.subs_by_tier.entry(tier.clone()).or_default() += 1;
                }
            }
            EventBody::Resubscription { tier, .. } => {
                self.resubs += 1;
                *self.subs_by_tier.entry(tier.clone()).or_default() += 1;
            }
            EventBody::SubGift { tier, total, .. } => {
                self.gift_events += 1;
                add(&mut self.subs_gifted, *total, &mut self.saturated);
                add(
                    self.subs_by_tier.entry(tier.clone()).or_default(),
                    *total,
                    &mut self.saturated,
                );
            }
            EventBody::Redemption { reward, .. } => {
                *self.redemptions.entry(reward.title.clone()).or_default() += 1;
            }
            EventBody::Raid { viewers } => {
                self.raids += 1;
                add(&mut self.raid_viewers, *viewers, &mut self.saturated);
            }
            EventBody::RoomSubjectChange { .. }
            | EventBody::BroadcastStart
            | EventBody::BroadcastStop
            | EventBody::Moderation { .. }
            | EventBody::StreamUpdate { .. }
            | EventBody::Unknown { .. } => {}
        }
    }

    fn note_chatter(&mut self, user: Option<&str>) {
        if let Some(u) = user {
            if !self.chatters.contains(u) {
                self.chatters.insert(ShortText::from(u));
            }
        }
    }

    fn add_bucket(&mut self, at: DateTime<Utc>, tokens: u64) {
        let ts = at.timestamp();
        let start = ts - ts.rem_euclid(BUCKET_SECS);
        add(
            self.tokens_by_bucket.entry(start).or_default(),
            tokens,
            &mut self.saturated,
        );
    }

    /// Applies a source status: keeps the counters and tracks outages (first failure → next success).
    pub fn record_status(&mut self, status: &ConnStatus, now: DateTime<Utc>) {
        use crate::sources::ConnState;
        match status.state {
            ConnState::Retrying { .. } | ConnState::CredentialsRefused => {
                if self.outages.last().is_none_or(|o| o.ended.is_some()) {
                    self.outages.push(Outage {
                        started: status.since.unwrap_or(now),
                        ended: None,
                    });
                }
            }
            ConnState::Live => self.end_outage(status.since.unwrap_or(now)),
            ConnState::Connecting | ConnState::Stopped => {}
        }
        self.conn = status.clone();
    }

    fn end_outage(&mut self, at: DateTime<Utc>) {
        if let Some(o) = self.outages.last_mut() {
            if o.ended.is_none() {
                o.ended = Some(at);
            }
        }
    }

    /// Longest outage in seconds; an outage still open counts up to `now`.
    pub fn longest_outage_s(&self, now: DateTime<Utc>) -> f64 {
        self.outages
            .iter()
            .map(|o| {
                (o.ended.unwrap_or(now) - o.started)
                    .num_milliseconds()
                    .max(0) as f64
                    / 1000.0
            })
            .fold(0.0, f64::max)
    }

    /// Tips and media purchases together, saturating.
    pub fn tokens_total(&self) -> u64 {
        self.tips.value.saturating_add(self.media_tokens)
    }

    /// The gifts in `unit`: tips for tokens, cheers for bits.
    pub fn ledger(&self, unit: Unit) -> &Ledger {
        match unit {
            Unit::Tokens => &self.tips,
            Unit::Bits => &self.cheers,
        }
    }

    /// Everything counted in `unit` (tokens: tips and media purchases; bits: cheers).
    pub fn total_in(&self, unit: Unit) -> u64 {
        match unit {
            Unit::Tokens => self.tokens_total(),
            Unit::Bits => self.cheers.value,
        }
    }
}
