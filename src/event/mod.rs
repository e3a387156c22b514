//! The normalized event model shared by every source, the reducer, the views and the headless output.

pub mod journal;
mod json_line;
mod time;

pub use json_line::{write_json_line, write_terminal_safe};
pub use time::{format_at, AtText};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// Which platform (or stand-in) produced an event. Serialized as in the headless `source` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Chaturbate,
    Simulator,
    Twitch,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Chaturbate => "chaturbate",
            SourceKind::Simulator => "simulator",
            SourceKind::Twitch => "twitch",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A room: the unit of everything (DESIGN.md "Rooms and platforms"). `name` is the room or channel name as the
/// platform spells it; two rooms of one session never share a key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomKey {
    pub platform: SourceKind,
    pub name: String,
}

impl RoomKey {
    pub fn new(platform: SourceKind, name: impl Into<String>) -> Self {
        RoomKey {
            platform,
            name: name.into(),
        }
    }
}

impl fmt::Display for RoomKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.platform, self.name)
    }
}

/// The kind of an event, as named in the headless `kind` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    ChatMessage,
    PrivateMessage,
    Tip,
    UserEnter,
    UserLeave,
    Follow,
    Unfollow,
    FanclubJoin,
    MediaPurchase,
    RoomSubjectChange,
    BroadcastStart,
    BroadcastStop,
    /// Twitch bits.
    Cheer,
    /// A new subscription (Twitch).
    Subscription,
    /// A subscription renewed with a message (Twitch).
    Resubscription,
    /// Subscriptions given to others (Twitch).
    SubGift,
    /// A channel-points reward redeemed (Twitch).
    Redemption,
    /// Another channel sending its viewers (Twitch).
    Raid,
    /// A moderator's action (Twitch).
    Moderation,
    /// Title, category or viewer count, polled (Twitch).
    StreamUpdate,
    Unknown,
}

impl EventKind {
    pub const ALL: [EventKind; 21] = [
        EventKind::ChatMessage,
        EventKind::PrivateMessage,
        EventKind::Tip,
        EventKind::UserEnter,
        EventKind::UserLeave,
        EventKind::Follow,
        EventKind::Unfollow,
        EventKind::FanclubJoin,
        EventKind::MediaPurchase,
        EventKind::RoomSubjectChange,
        EventKind::BroadcastStart,
        EventKind::BroadcastStop,
        EventKind::Cheer,
        EventKind::Subscription,
        EventKind::Resubscription,
        EventKind::SubGift,
        EventKind::Redemption,
        EventKind::Raid,
        EventKind::Moderation,
        EventKind::StreamUpdate,
        EventKind::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ChatMessage => "chat_message",
            EventKind::PrivateMessage => "private_message",
            EventKind::Tip => "tip",
            EventKind::UserEnter => "user_enter",
            EventKind::UserLeave => "user_leave",
            EventKind::Follow => "follow",
            EventKind::Unfollow => "unfollow",
            EventKind::FanclubJoin => "fanclub_join",
            EventKind::MediaPurchase => "media_purchase",
            EventKind::RoomSubjectChange => "room_subject_change",
            EventKind::BroadcastStart => "broadcast_start",
            EventKind::BroadcastStop => "broadcast_stop",
            EventKind::Cheer => "cheer",
            EventKind::Subscription => "subscription",
            EventKind::Resubscription => "resubscription",
            EventKind::SubGift => "sub_gift",
            EventKind::Redemption => "redemption",
            EventKind::Raid => "raid",
            EventKind::Moderation => "moderation",
            EventKind::StreamUpdate => "stream_update",
            EventKind::Unknown => "unknown",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A money unit. Amounts keep their unit: totals, rankings, goals and alerts are per unit, never summed across.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Chaturbate tokens.
    Tokens,
    /// Twitch bits.
    Bits,
}

impl Unit {
    /// The short label the screen prints after a number (`1,234 tk`).
    pub fn label(self) -> &'static str {
        match self {
            Unit::Tokens => "tk",
            Unit::Bits => "bits",
        }
    }

    /// What one gift in this unit is called: (one, many).
    pub fn gift(self) -> (&'static str, &'static str) {
        match self {
            Unit::Tokens => ("tip", "tips"),
            Unit::Bits => ("cheer", "cheers"),
        }
    }
}

/// Money given to the room, in its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount {
    pub value: u64,
    pub unit: Unit,
}

/// A short value from a small, open set (a user's tip tier, a colour group): the known values are shared
/// statics, so the common event allocates nothing for them; any other value is kept as sent.
pub type Tag = Cow<'static, str>;

/// A short text an event owns: an id, a user name. Up to 24 bytes it is kept inline, so the common event
/// allocates nothing for them (made on the sources' thread, freed on the main one: issue 14).
pub type ShortText = compact_str::CompactString;

/// The user attached to an event, with the flags the views use for marks and the smart viewer filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub username: ShortText,
    #[serde(default)]
    pub is_mod: bool,
    #[serde(default)]
    pub in_fanclub: bool,
    #[serde(default)]
    pub is_follower: bool,
    #[serde(default)]
    pub has_tokens: bool,
    /// `none` / `few` / `some` / `lots` / `tons` (open set: the platform adds values).
    #[serde(default)]
    pub recent_tips: Option<Tag>,
    #[serde(default)]
    pub color_group: Option<Tag>,
    /// Chat badges as the platform names them (Twitch: `broadcaster`, `moderator`, `vip`, `subscriber`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub badges: Vec<String>,
}

/// A media id is a number in the official docs and a string in some clients; kept as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaId {
    Number(i64),
    Text(String),
    /// A JSON number that does not fit `i64` (a huge or fractional id), kept digit for digit as it was sent:
    /// written back as the same number, never rounded through a float.
    Verbatim(String),
}

impl Serialize for MediaId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            MediaId::Number(n) => s.serialize_i64(*n),
            MediaId::Text(t) => s.serialize_str(t),
            MediaId::Verbatim(digits) => {
                match serde_json::value::RawValue::from_string(digits.clone()) {
                    Ok(raw) => raw.serialize(s),
                    // Only the parser builds this variant, from a number it read; anything else is text.
                    Err(_) => s.serialize_str(digits),
                }
            }
        }
    }
}

impl fmt::Display for MediaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaId::Number(n) => write!(f, "{n}"),
            MediaId::Text(s) | MediaId::Verbatim(s) => f.write_str(s),
        }
    }
}

/// A channel-points reward (Twitch redemptions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reward {
    pub id: String,
    pub title: String,
    pub cost: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Media {
    pub id: MediaId,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub media_type: Option<String>,
}

/// What happened, by kind. Every source maps onto these; anything it cannot map is `Unknown`, kept raw.
#[derive(Debug, Clone, PartialEq)]
pub enum EventBody {
    ChatMessage {
        message: String,
    },
    PrivateMessage {
        message: String,
        from_user: Option<String>,
        to_user: Option<String>,
    },
    Tip {
        tokens: u64,
        anonymous: bool,
        /// As sent, including the tip-menu encoding (`"selection | text"`, `"| text"`).
        message: String,
    },
    UserEnter,
    UserLeave,
    Follow,
    Unfollow,
    FanclubJoin,
    MediaPurchase {
        tokens: u64,
        media: Media,
    },
    RoomSubjectChange {
        subject: String,
        /// The stream's category (Twitch), when the platform has one.
        category: Option<String>,
    },
    BroadcastStart,
    BroadcastStop,
    Cheer {
        bits: u64,
        anonymous: bool,
        message: String,
    },
    Subscription {
        /// `1000`, `2000` or `3000`.
        tier: String,
        is_gift: bool,
    },
    Resubscription {
        tier: String,
        cumulative_months: u64,
        streak_months: Option<u64>,
        message: String,
    },
    SubGift {
        tier: String,
        /// Subscriptions given in this event.
        total: u64,
        anonymous: bool,
    },
    Redemption {
        reward: Reward,
        input: Option<String>,
    },
    Raid {
        viewers: u64,
    },
    Moderation {
        action: String,
        target: Option<String>,
    },
    StreamUpdate {
        viewers: Option<u64>,
        title: Option<String>,
        category: Option<String>,
    },
    Unknown {
        method: String,
        raw: serde_json::Value,
    },
}

impl EventBody {
    pub fn kind(&self) -> EventKind {
        match self {
            EventBody::ChatMessage { .. } => EventKind::ChatMessage,
            EventBody::PrivateMessage { .. } => EventKind::PrivateMessage,
            EventBody::Tip { .. } => EventKind::Tip,
            EventBody::UserEnter => EventKind::UserEnter,
            EventBody::UserLeave => EventKind::UserLeave,
            EventBody::Follow => EventKind::Follow,
            EventBody::Unfollow => EventKind::Unfollow,
            EventBody::FanclubJoin => EventKind::FanclubJoin,
            EventBody::MediaPurchase { .. } => EventKind::MediaPurchase,
            EventBody::RoomSubjectChange { .. } => EventKind::RoomSubjectChange,
            EventBody::BroadcastStart => EventKind::BroadcastStart,
            EventBody::BroadcastStop => EventKind::BroadcastStop,
            EventBody::Cheer { .. } => EventKind::Cheer,
            EventBody::Subscription { .. } => EventKind::Subscription,
            EventBody::Resubscription { .. } => EventKind::Resubscription,
            EventBody::SubGift { .. } => EventKind::SubGift,
            EventBody::Redemption { .. } => EventKind::Redemption,
            EventBody::Raid { .. } => EventKind::Raid,
            EventBody::Moderation { .. } => EventKind::Moderation,
            EventBody::StreamUpdate { .. } => EventKind::StreamUpdate,
            EventBody::Unknown { .. } => EventKind::Unknown,
        }
    }
}

/// One distinct event from any source.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomEvent {
    pub source: SourceKind,
    /// The platform's event id (opaque; also the poll cursor).
    pub id: ShortText,
    /// Event time: the id's millisecond prefix when plausible, else the receive time.
    pub at: DateTime<Utc>,
    /// `None` when the event has no user, and always for anonymous tips (the parser drops the name there).
    pub user: Option<UserInfo>,
    pub body: EventBody,
    /// The platform's original JSON for this event, for the journal only (never shown, never summarized).
    pub raw: Option<Box<str>>,
}

impl RoomEvent {
    pub fn kind(&self) -> EventKind {
        self.body.kind()
    }

    /// An anonymous gift (a tip, a cheer, gifted subs): its giver is never named.
    /// The money this event gives the room (a tip, a cheer), with its unit; `None` for anything else (a media
    /// purchase is a sale, counted in the token total but not a gift).
    pub fn gift(&self) -> Option<Amount> {
        match self.body {
            EventBody::Tip { tokens, .. } => Some(Amount {
                value: tokens,
                unit: Unit::Tokens,
            }),
            EventBody::Cheer { bits, .. } => Some(Amount {
                value: bits,
                unit: Unit::Bits,
            }),
            _ => None,
        }
    }

    pub fn is_anonymous(&self) -> bool {
        matches!(
            self.body,
            EventBody::Tip {
                anonymous: true,
                ..
            } | EventBody::Cheer {
                anonymous: true,
                ..
            } | EventBody::SubGift {
                anonymous: true,
                ..
            }
        )
    }

    /// The name to show for this event's user: `None` for anonymous gifts (never named downstream).
    pub fn display_user(&self) -> Option<&str> {
        if self.is_anonymous() {
            return None;
        }
        self.username()
    }

    pub fn username(&self) -> Option<&str> {
        self.user.as_ref().map(|u| u.username.as_str())
    }
}

/// Splits a tip message in the tip-menu encoding into (menu selection, free text).
/// `"selection | text"` → (Some, text); `"| text"` → (None, text); plain text → (None, text).
pub fn split_tip_message(message: &str) -> (Option<&str>, &str) {
    match message.split_once('|') {
        Some((sel, text)) => {
            let sel = sel.trim();
            let text = text.trim();
            ((!sel.is_empty()).then_some(sel), text)
        }
        None => (None, message.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tip_menu_encoding_is_split() {
        assert_eq!(split_tip_message("| hi"), (None, "hi"));
        assert_eq!(split_tip_message("Flash | now"), (Some("Flash"), "now"));
        assert_eq!(split_tip_message("just text"), (None, "just text"));
        assert_eq!(split_tip_message(""), (None, ""));
        assert_eq!(split_tip_message("Dance"), (None, "Dance"));
    }
}
