//! Parsing of Events API replies: strict on the envelope, lenient inside events (chaturbate.md §3).

use super::loose::{LooseBool, LooseCount, LooseObj, LooseStr};
use crate::event::{
    event_time, EventBody, EventKind, Media, MediaId, RoomEvent, SourceKind, UserInfo,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

/// A reply that cannot be used at all. Only these are retried by the poller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("reply is not valid JSON ({0})")]
    InvalidJson(String),
    #[error("reply is not a JSON object")]
    NotAnObject,
    #[error("reply's `events` is not a list")]
    EventsNotAList,
}

/// What the reply said about the next poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextUrl {
    /// `null` or absent: rebuild from the configured URL with the last seen id.
    Missing,
    /// A non-empty string, still to be resolved and checked against the configured origin.
    Given(String),
    /// Present but unusable (empty, not a string): treated as `Missing`, and reported.
    Invalid(String),
}

/// One parsed reply.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedReply {
    pub events: Vec<RoomEvent>,
    pub next_url: NextUrl,
    /// Array items that were not events with an id: skipped, counted and logged; the batch still advances.
    pub skipped: Vec<SkippedEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEvent {
    pub index: usize,
    pub reason: &'static str,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    events: Option<EventsField<'a>>,
    #[serde(rename = "nextUrl", borrow, default)]
    next_url: Option<&'a RawValue>,
}

/// The `events` value, split into its items in the same pass as the envelope (no second scan of the body).
enum EventsField<'a> {
    List(Vec<&'a RawValue>),
    Null,
    NotAList,
}

impl<'de: 'a, 'a> Deserialize<'de> for EventsField<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = EventsField<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of events")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).max(16));
                while let Some(item) = seq.next_element::<&'de RawValue>()? {
                    items.push(item);
                }
                Ok(EventsField::List(items))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(EventsField::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(EventsField::Null)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(EventsField::NotAList)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(EventsField::NotAList)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(EventsField::NotAList)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(EventsField::NotAList)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(EventsField::NotAList)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(EventsField::NotAList)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// The common case in one pass: a string id and the object parsed in place. Anything else (a numeric or
/// missing id, an object the loose types cannot take) goes through [`WireEvent`], which defines the rules.
#[derive(Deserialize)]
struct FastEvent {
    #[serde(default)]
    method: LooseStr,
    #[serde(default)]
    id: LooseStr,
    #[serde(default)]
    object: LooseObj<WireObject>,
}

#[derive(Deserialize)]
struct WireEvent<'a> {
    #[serde(default)]
    method: LooseStr,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    object: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct WireUser {
    username: LooseStr,
    is_mod: LooseBool,
    in_fanclub: LooseBool,
    is_follower: LooseBool,
    has_tokens: LooseBool,
    recent_tips: LooseStr,
    color_group: LooseStr,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct WireMessage {
    message: LooseStr,
    from_user: LooseStr,
    to_user: LooseStr,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct WireTip {
    tokens: LooseCount,
    is_anon: LooseBool,
    message: LooseStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireMedia {
    id: Option<serde_json::Value>,
    name: LooseStr,
    #[serde(rename = "type")]
    media_type: LooseStr,
    tokens: LooseCount,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireObject {
    user: LooseObj<WireUser>,
    message: LooseObj<WireMessage>,
    tip: LooseObj<WireTip>,
    media: LooseObj<WireMedia>,
    subject: LooseStr,
}

/// Parses a reply body (HTTP 200, or a 400 long-poll continuation).
pub fn parse_reply(
    body: &[u8],
    source: SourceKind,
    received_at: DateTime<Utc>,
) -> Result<ParsedReply, EnvelopeError> {
    let trimmed = body.trim_ascii_start();
    if !trimmed.starts_with(b"{") {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                Ok(_) => EnvelopeError::NotAnObject,
                Err(e) => EnvelopeError::InvalidJson(e.to_string()),
            },
        );
    }
    let env: Envelope =
        serde_json::from_slice(body).map_err(|e| EnvelopeError::InvalidJson(e.to_string()))?;
    let next_url = match env.next_url {
        None => NextUrl::Missing,
        Some(raw) if raw.get() == "null" => NextUrl::Missing,
        Some(raw) => match serde_json::from_str::<String>(raw.get()) {
            Ok(s) if !s.trim().is_empty() => NextUrl::Given(s),
            Ok(_) => NextUrl::Invalid("nextUrl is an empty string".into()),
            Err(_) => NextUrl::Invalid("nextUrl is not a string".into()),
        },
    };
    let items: Vec<&RawValue> = match env.events {
        None | Some(EventsField::Null) => Vec::new(),
        Some(EventsField::List(items)) => items,
        Some(EventsField::NotAList) => return Err(EnvelopeError::EventsNotAList),
    };
    let mut events = Vec::with_capacity(items.len());
    let mut skipped = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match parse_event(item, source, received_at) {
            Ok(ev) => events.push(ev),
            Err(reason) => skipped.push(SkippedEvent { index, reason }),
        }
    }
    Ok(ParsedReply {
        events,
        next_url,
        skipped,
    })
}

/// Parses one event object (`{"method", "id", "object"}`), keeping its original JSON.
/// `Err` only for items that are not events with an id; a known method with unusable contents becomes `unknown`.
pub fn parse_event(
    item: &RawValue,
    source: SourceKind,
    received_at: DateTime<Utc>,
) -> Result<RoomEvent, &'static str> {
    if !item.get().starts_with('{') {
        return Err("not a JSON object");
    }
    if let Ok(FastEvent {
        method,
        id: LooseStr(Some(id)),
        object,
    }) = serde_json::from_str::<FastEvent>(item.get())
    {
        if !id.is_empty() {
            let object = object.0.unwrap_or_default();
            return Ok(build(
                id,
                method.0.unwrap_or_default(),
                object,
                item,
                source,
                received_at,
            ));
        }
    }
    let wire: WireEvent = serde_json::from_str(item.get()).map_err(|_| "not a JSON object")?;
    let id = match wire
        .id
        .map(|r| serde_json::from_str::<serde_json::Value>(r.get()))
    {
        Some(Ok(serde_json::Value::String(s))) if !s.is_empty() => s,
        Some(Ok(serde_json::Value::Number(n))) => n.to_string(),
        _ => return Err("event without an id"),
    };
    let method = wire.method.0.unwrap_or_default();
    let object: WireObject = wire
        .object
        .and_then(|o| serde_json::from_str::<LooseObj<WireObject>>(o.get()).ok())
        .and_then(|o| o.0)
        .unwrap_or_default();
    Ok(build(id, method, object, item, source, received_at))
}

fn build(
    id: String,
    method: String,
    object: WireObject,
    item: &RawValue,
    source: SourceKind,
    received_at: DateTime<Utc>,
) -> RoomEvent {
    let (user, body) = match EventKind::from_chaturbate_method(&method) {
        Some(kind) => match typed_body(kind, object) {
            Ok(typed) => typed,
            Err(reason) => {
                tracing::warn!(id = %id, method = %method, reason, "event kept as unknown");
                unknown(method, item)
            }
        },
        None => unknown(method, item),
    };
    RoomEvent {
        source,
        at: event_time(&id, received_at),
        id,
        user,
        body,
        raw: Some(item.get().into()),
    }
}

fn unknown(method: String, item: &RawValue) -> (Option<UserInfo>, EventBody) {
    let raw = serde_json::from_str(item.get()).unwrap_or(serde_json::Value::Null);
    (None, EventBody::Unknown { method, raw })
}

fn user_info(w: WireUser) -> Option<UserInfo> {
    let username = w.username.0.filter(|u| !u.is_empty())?;
    Some(UserInfo {
        username,
        is_mod: w.is_mod.0.unwrap_or(false),
        in_fanclub: w.in_fanclub.0.unwrap_or(false),
        is_follower: w.is_follower.0.unwrap_or(false),
        has_tokens: w.has_tokens.0.unwrap_or(false),
        recent_tips: w.recent_tips.0.filter(|s| !s.is_empty()),
        color_group: w.color_group.0.filter(|s| !s.is_empty()),
    })
}

/// Maps a known method onto its typed body; `Err` names the part that is missing or unusable.
fn typed_body(
    kind: EventKind,
    obj: WireObject,
) -> Result<(Option<UserInfo>, EventBody), &'static str> {
    let user = obj.user.0.and_then(user_info);
    let need_user = |u: Option<UserInfo>| u.map(Some).ok_or("user.username missing");
    Ok(match kind {
        EventKind::ChatMessage | EventKind::PrivateMessage => {
            let msg = obj.message.0.ok_or("message missing")?;
            let text = msg.message.0.ok_or("message.message missing")?;
            let user = need_user(user)?;
            if kind == EventKind::ChatMessage {
                (user, EventBody::ChatMessage { message: text })
            } else {
                let body = EventBody::PrivateMessage {
                    message: text,
                    from_user: msg.from_user.0,
                    to_user: msg.to_user.0,
                };
                (user, body)
            }
        }
        EventKind::Tip => {
            let tip = obj.tip.0.ok_or("tip missing")?;
            let tokens = tip.tokens.0.ok_or("tip.tokens is not a whole number")?;
            let anonymous = tip.is_anon.0.unwrap_or(false);
            let body = EventBody::Tip {
                tokens,
                anonymous,
                message: tip.message.0.unwrap_or_default(),
            };
            // The payload names anonymous tippers; the name stops here.
            (if anonymous { None } else { user }, body)
        }
        EventKind::MediaPurchase => {
            let media = obj.media.0.ok_or("media missing")?;
            let id = match media.id {
                Some(serde_json::Value::Number(n)) => match n.as_i64() {
                    Some(i) => MediaId::Number(i),
                    None => MediaId::Text(n.to_string()),
                },
                Some(serde_json::Value::String(s)) => MediaId::Text(s),
                _ => return Err("media.id missing"),
            };
            let tokens = media.tokens.0.ok_or("media.tokens is not a whole number")?;
            let body = EventBody::MediaPurchase {
                tokens,
                media: Media {
                    id,
                    name: media.name.0,
                    media_type: media.media_type.0,
                },
            };
            // Money is kept even when the payload lost the buyer.
            (user, body)
        }
        EventKind::RoomSubjectChange => {
            let subject = obj.subject.0.ok_or("subject missing")?;
            (user, EventBody::RoomSubjectChange { subject })
        }
        EventKind::UserEnter => (need_user(user)?, EventBody::UserEnter),
        EventKind::UserLeave => (need_user(user)?, EventBody::UserLeave),
        EventKind::Follow => (need_user(user)?, EventBody::Follow),
        EventKind::Unfollow => (need_user(user)?, EventBody::Unfollow),
        EventKind::FanclubJoin => (need_user(user)?, EventBody::FanclubJoin),
        EventKind::BroadcastStart => (user, EventBody::BroadcastStart),
        EventKind::BroadcastStop => (user, EventBody::BroadcastStop),
        EventKind::Unknown => return Err("unknown method"),
    })
}
