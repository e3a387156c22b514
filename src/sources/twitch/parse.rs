//! EventSub messages → [`RoomEvent`]s, with our own tolerant serde types (reference §8): the envelope is read
//! first, so every frame is routable; each known subscription type has a small struct where everything Twitch has
//! ever sent as `null` or left out is optional; a type we do not know, or one whose event does not read, becomes
//! `unknown` with the event kept raw — never a dropped event, never a failed frame.
//!
//! The input is the whole WebSocket frame `{"metadata": …, "payload": {"subscription": …, "event": …}}`, as the
//! journal keeps it: `id` is `metadata.message_id`, `at` is `metadata.message_timestamp` (DESIGN.md "Twitch").
//! Users are named by their login (`*_user_login`), never the display name.

use crate::event::{EventBody, EventKind, Reward, RoomEvent, SourceKind, UserInfo};
use crate::sources::json::{repair_lone_surrogates, MAX_ID_BYTES};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Every kind a Twitch room can produce (the summary lists each, zero included).
pub const KINDS: [EventKind; 17] = [
    EventKind::ChatMessage,
    EventKind::PrivateMessage,
    EventKind::Cheer,
    EventKind::Subscription,
    EventKind::Resubscription,
    EventKind::SubGift,
    EventKind::Redemption,
    EventKind::Follow,
    EventKind::Raid,
    EventKind::Moderation,
    EventKind::BroadcastStart,
    EventKind::BroadcastStop,
    EventKind::RoomSubjectChange,
    EventKind::StreamUpdate,
    EventKind::UserEnter,
    EventKind::UserLeave,
    EventKind::Unknown,
];

#[derive(Deserialize)]
struct Frame<'a> {
    metadata: Metadata,
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
}

/// Only the id and the message type must be strings; anything else of the envelope is read when it can be.
#[derive(Deserialize)]
struct Metadata {
    message_id: String,
    message_type: String,
    #[serde(default)]
    message_timestamp: serde_json::Value,
    #[serde(default)]
    subscription_type: serde_json::Value,
}

#[derive(Deserialize)]
struct Notification<'a> {
    #[serde(default)]
    subscription: serde_json::Value,
    #[serde(borrow, default)]
    event: Option<&'a RawValue>,
}

/// [`parse_frame`]'s answer for a welcome, keepalive, reconnect or revocation: the session's business.
pub const NOT_A_NOTIFICATION: &str = "not a notification";

/// Parses one `notification` frame. `Err` for a frame that is no notification or has no usable id (the caller
/// skips and counts it); anything else is an event, `unknown` when its type or content is not understood.
pub fn parse_frame(
    frame: &RawValue,
    _source: SourceKind,
    received_at: DateTime<Utc>,
) -> Result<RoomEvent, &'static str> {
    if let Cow::Owned(repaired) = repair_lone_surrogates(frame.get()) {
        let repaired = RawValue::from_string(repaired).map_err(|_| "not a JSON object")?;
        return parse_frame(&repaired, SourceKind::Twitch, received_at);
    }
    let f: Frame = serde_json::from_str(frame.get()).map_err(|_| "not an EventSub message")?;
    if f.metadata.message_type != "notification" {
        return Err(NOT_A_NOTIFICATION);
    }
    let id = f.metadata.message_id;
    if id.is_empty() {
        return Err("a notification without message_id");
    }
    if id.len() > MAX_ID_BYTES {
        return Err("message_id longer than 512 bytes");
    }
    let at = (f.metadata.message_timestamp.as_str())
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or(received_at, |t| t.with_timezone(&Utc));
    let notification = f
        .payload
        .and_then(|p| serde_json::from_str::<Notification>(p.get()).ok());
    // The type from the subscription, else from the metadata: either names it.
    let from_metadata = f.metadata.subscription_type.as_str().map(str::to_string);
    let (kind, event) = match notification {
        Some(n) => (
            (n.subscription.get("type").and_then(|t| t.as_str()))
                .map(str::to_string)
                .or(from_metadata),
            n.event.filter(|e| e.get() != "null"),
        ),
        None => (from_metadata, None),
    };
    let kind = kind.unwrap_or_default();
    let (user, body) = typed(&kind, event).unwrap_or_else(|| (None, unknown(&kind, event)));
    Ok(RoomEvent {
        source: SourceKind::Twitch,
        id: id.into(),
        at,
        user,
        body,
        raw: Some(frame.get().into()),
    })
}

/// An event kept raw. Anonymity said anywhere in it (`is_anonymous`, `chatter_is_anonymous`, …) removes every
/// user id, login and name from it (the broadcaster's stay): the raw JSON is printed, and an anonymous giver is
/// never named. Text that is JSON but not a `Value` (a number beyond a float) is kept as a string, unless it
/// speaks of anonymity (then it cannot be stripped, and is dropped).
fn unknown(kind: &str, event: Option<&RawValue>) -> EventBody {
    let raw = match event {
        None => serde_json::Value::Null,
        // Unreadable as a value, it cannot be stripped: kept as text only when it says nothing of anonymity.
        Some(e) => serde_json::from_str(e.get()).unwrap_or_else(|_| {
            if e.get().contains("anonymous") {
                serde_json::Value::Null
            } else {
                serde_json::Value::String(e.get().to_string())
            }
        }),
    };
    let mut raw = raw;
    if says_anonymous(&raw) {
        strip_users(&mut raw);
    }
    EventBody::Unknown {
        method: kind.to_string(),
        raw,
    }
}

fn says_anonymous(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| {
            ((k == "is_anonymous" || k.ends_with("_is_anonymous")) && v.as_bool() != Some(false))
                || says_anonymous(v)
        }),
        serde_json::Value::Array(items) => items.iter().any(says_anonymous),
        _ => false,
    }
}

fn strip_users(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.retain(|k, _| {
                k.contains("broadcaster")
                    || !["user_id", "user_login", "user_name"]
                        .iter()
                        .any(|s| k.ends_with(s))
            });
            map.values_mut().for_each(strip_users);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_users),
        _ => {}
    }
}

fn read<T: DeserializeOwned>(event: &RawValue) -> Option<T> {
    serde_json::from_str(event.get()).ok()
}

fn login(name: Option<String>) -> Option<UserInfo> {
    let username = name.filter(|n| !n.is_empty())?;
    Some(UserInfo {
        username: username.into(),
        ..UserInfo::default()
    })
}

/// The event of a known type, or `None` (then `unknown`) for a type we do not map or an event that does not read.
fn typed(kind: &str, e: Option<&RawValue>) -> Option<(Option<UserInfo>, EventBody)> {
    // The stream going on or off needs nothing from its event.
    match kind {
        "stream.online" => return Some((None, EventBody::BroadcastStart)),
        "stream.offline" => return Some((None, EventBody::BroadcastStop)),
        _ => {}
    }
    let e = e?;
    Some(match kind {
        // What roomwatch polls from Helix, journaled in the same frame shape (`sources::twitch::poll`).
        super::poll::ENTER | super::poll::LEAVE => {
            let p: Polled = read(e)?;
            let body = if kind == super::poll::ENTER {
                EventBody::UserEnter
            } else {
                EventBody::UserLeave
            };
            (Some(login(p.user_login)?), body)
        }
        super::poll::STREAM => {
            let p: Polled = read(e)?;
            (
                None,
                EventBody::StreamUpdate {
                    viewers: p.viewer_count,
                    title: p.title,
                    category: p.game_name.filter(|c| !c.is_empty()),
                },
            )
        }
        "channel.chat.message" => {
            let m: ChatMessage = read(e)?;
            let badges: Vec<String> = (m.badges.unwrap_or_default().into_iter())
                .filter_map(|b| b.set_id)
                .collect();
            let has = |b: &str| badges.iter().any(|x| x == b);
            let user = login(m.chatter_user_login).map(|u| UserInfo {
                is_mod: has("moderator") || has("broadcaster"),
                in_fanclub: has("subscriber"),
                badges: badges.clone(),
                ..u
            });
            let message = m.message.and_then(|t| t.text).unwrap_or_default();
            (user, EventBody::ChatMessage { message })
        }
        "user.whisper.message" => {
            let w: Whisper = read(e)?;
            let from = w.from_user_login;
            (
                login(from.clone()),
                EventBody::PrivateMessage {
                    message: w.whisper.and_then(|t| t.text).unwrap_or_default(),
                    from_user: from,
                    to_user: w.to_user_login,
                },
            )
        }
        "channel.cheer" => {
            let c: Cheer = read(e)?;
            let user = login(c.user_login);
            // Without a login there is nobody to name: the gift counts as anonymous.
            let anonymous = c.is_anonymous.unwrap_or(false) || user.is_none();
            (
                if anonymous { None } else { user },
                EventBody::Cheer {
                    bits: c.bits?,
                    anonymous,
                    message: c.message.unwrap_or_default(),
                },
            )
        }
        "channel.subscribe" => {
            let s: Subscribe = read(e)?;
            (
                login(s.user_login),
                EventBody::Subscription {
                    tier: s.tier?,
                    is_gift: s.is_gift.unwrap_or(false),
                },
            )
        }
        "channel.subscription.message" => {
            let s: Resub = read(e)?;
            (
                login(s.user_login),
                EventBody::Resubscription {
                    tier: s.tier?,
                    cumulative_months: s.cumulative_months.unwrap_or(0),
                    streak_months: s.streak_months,
                    message: s.message.and_then(|t| t.text).unwrap_or_default(),
                },
            )
        }
        "channel.subscription.gift" => {
            let g: Gift = read(e)?;
            let user = login(g.user_login);
            let anonymous = g.is_anonymous.unwrap_or(false) || user.is_none();
            (
                if anonymous { None } else { user },
                EventBody::SubGift {
                    tier: g.tier?,
                    total: g.total.unwrap_or(1),
                    anonymous,
                },
            )
        }
        "channel.channel_points_custom_reward_redemption.add" => {
            let r: Redemption = read(e)?;
            let reward = r.reward?;
            (
                login(r.user_login),
                EventBody::Redemption {
                    reward: Reward {
                        id: reward.id.unwrap_or_default(),
                        title: reward.title.unwrap_or_default(),
                        cost: reward.cost.unwrap_or(0),
                    },
                    input: r.user_input.filter(|i| !i.is_empty()),
                },
            )
        }
        "channel.follow" => {
            let f: Follow = read(e)?;
            (login(f.user_login), EventBody::Follow)
        }
        "channel.raid" => {
            let r: Raid = read(e)?;
            (
                login(r.from_broadcaster_user_login),
                EventBody::Raid {
                    viewers: r.viewers.unwrap_or(0),
                },
            )
        }
        "channel.moderate" => {
            let m: Moderate = read(e)?;
            let action = m.action?;
            // The target sits in the object named after the action (`timeout: {user_login, …}`), or in its
            // family's (`approve_unban_request` → `unban_request`): the one object that names a user.
            let login_in =
                |o: &serde_json::Value| o.get("user_login")?.as_str().map(str::to_string);
            let target = (m.rest.get(&action).and_then(login_in))
                .or_else(|| m.rest.values().find_map(login_in));
            (
                login(m.moderator_user_login),
                EventBody::Moderation { action, target },
            )
        }
        "channel.update" => {
            let u: Update = read(e)?;
            (
                None,
                EventBody::RoomSubjectChange {
                    subject: u.title.unwrap_or_default(),
                    category: u.category_name.filter(|c| !c.is_empty()),
                },
            )
        }
        _ => return None,
    })
}

#[derive(Deserialize)]
struct Polled {
    #[serde(default)]
    user_login: Option<String>,
    #[serde(default)]
    viewer_count: Option<u64>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    game_name: Option<String>,
}

#[derive(Deserialize)]
struct Text {
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct Badge {
    #[serde(default)]
    set_id: Option<String>,
}

#[derive(Deserialize)]
struct ChatMessage {
    #[serde(default)]
    chatter_user_login: Option<String>,
    #[serde(default)]
    message: Option<Text>,
    #[serde(default)]
    badges: Option<Vec<Badge>>,
}

#[derive(Deserialize)]
struct Whisper {
    #[serde(default)]
    from_user_login: Option<String>,
    #[serde(default)]
    to_user_login: Option<String>,
    #[serde(default)]
    whisper: Option<Text>,
}

#[derive(Deserialize)]
struct Cheer {
    #[serde(default)]
    is_anonymous: Option<bool>,
    #[serde(default)]
    user_login: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    bits: Option<u64>,
}

#[derive(Deserialize)]
struct Subscribe {
    #[serde(default)]
    user_login: Option<String>,
    #[serde(default)]
    tier: Option<String>,
    #[serde(default)]
    is_gift: Option<bool>,
}

#[derive(Deserialize)]
struct Resub {
    #[serde(default)]
    user_login: Option<String>,
    #[serde(default)]
    tier: Option<String>,
    #[serde(default)]
    message: Option<Text>,
    #[serde(default)]
    cumulative_months: Option<u64>,
    #[serde(default)]
    streak_months: Option<u64>,
}

#[derive(Deserialize)]
struct Gift {
    #[serde(default)]
    user_login: Option<String>,
    #[serde(default)]
    total: Option<u64>,
    #[serde(default)]
    tier: Option<String>,
    #[serde(default)]
    is_anonymous: Option<bool>,
}

#[derive(Deserialize)]
struct RewardWire {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    cost: Option<u64>,
}

#[derive(Deserialize)]
struct Redemption {
    #[serde(default)]
    user_login: Option<String>,
    #[serde(default)]
    user_input: Option<String>,
    #[serde(default)]
    reward: Option<RewardWire>,
}

#[derive(Deserialize)]
struct Follow {
    #[serde(default)]
    user_login: Option<String>,
}

#[derive(Deserialize)]
struct Raid {
    #[serde(default)]
    from_broadcaster_user_login: Option<String>,
    #[serde(default)]
    viewers: Option<u64>,
}

#[derive(Deserialize)]
struct Moderate {
    #[serde(default)]
    moderator_user_login: Option<String>,
    #[serde(default)]
    action: Option<String>,
    /// The per-action objects (`ban`, `timeout`, `warn`, …): only the one named by `action` is read.
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct Update {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    category_name: Option<String>,
}
