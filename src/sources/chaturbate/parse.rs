//! Parsing of Events API replies: strict on the envelope, lenient inside events (chaturbate.md §3).

use super::loose::{
    says_no, CautiousFlag, LooseBool, LooseCount, LooseObj, LooseShort, LooseStr, LooseTag,
};
use super::methods::kind_of;
use super::time::event_time;
use crate::event::{
    EventBody, EventKind, Media, MediaId, RoomEvent, ShortText, SourceKind, UserInfo,
};
use crate::sources::json::{repair_lone_surrogates, MAX_ID_BYTES};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Longest event id accepted. Real ids are ~15 bytes (`1625274862454-0`); an id is also the poll cursor, so a
/// huge one would make every later request unbuildable, and the de-dup set would hold it.
const ID_TOO_LONG: &str = "event id longer than 512 bytes";

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
    /// Money events (`tip`, `mediaPurchase`) whose amount could not be read: passed on as `unknown` (in
    /// `events`), but in no total, so they are counted with the skipped ones (`events.skipped`).
    pub uncounted_money: u32,
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

/// The common item, typed in one pass over it: a string id and the object parsed in place. Anything else (a
/// numeric or missing id, an object the loose types cannot take) goes through [`WireEvent`], which defines the
/// rules.
#[derive(Deserialize)]
struct FastEvent {
    #[serde(default)]
    method: LooseStr,
    #[serde(default)]
    id: LooseShort,
    #[serde(default)]
    object: LooseObj<WireObject>,
    /// An anonymity flag on the event itself.
    #[serde(default)]
    #[serde(
        rename = "isAnon",
        alias = "is_anon",
        alias = "anonymous",
        alias = "isAnonymous"
    )]
    is_anon: CautiousFlag,
}

#[derive(Deserialize)]
struct WireEvent<'a> {
    #[serde(default)]
    method: LooseStr,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    object: Option<&'a RawValue>,
    #[serde(default)]
    #[serde(
        rename = "isAnon",
        alias = "is_anon",
        alias = "anonymous",
        alias = "isAnonymous"
    )]
    is_anon: CautiousFlag,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct WireUser {
    pub(super) username: LooseShort,
    pub(super) is_mod: LooseBool,
    pub(super) in_fanclub: LooseBool,
    pub(super) is_follower: LooseBool,
    pub(super) has_tokens: LooseBool,
    pub(super) recent_tips: LooseTag,
    pub(super) color_group: LooseTag,
    #[serde(
        rename = "isAnon",
        alias = "is_anon",
        alias = "anonymous",
        alias = "isAnonymous"
    )]
    pub(super) is_anon: CautiousFlag,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct WireMessage {
    pub(super) message: LooseStr,
    pub(super) from_user: LooseStr,
    pub(super) to_user: LooseStr,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct WireTip {
    pub(super) tokens: LooseCount,
    #[serde(alias = "is_anon", alias = "anonymous", alias = "isAnonymous")]
    pub(super) is_anon: CautiousFlag,
    pub(super) message: LooseStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct WireMedia {
    pub(super) id: Option<Box<RawValue>>,
    pub(super) name: LooseStr,
    #[serde(rename = "type")]
    pub(super) media_type: LooseStr,
    pub(super) tokens: LooseCount,
    #[serde(
        rename = "isAnon",
        alias = "is_anon",
        alias = "anonymous",
        alias = "isAnonymous"
    )]
    pub(super) is_anon: CautiousFlag,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct WireObject {
    pub(super) user: LooseObj<WireUser>,
    pub(super) message: LooseObj<WireMessage>,
    pub(super) tip: LooseObj<WireTip>,
    pub(super) media: LooseObj<WireMedia>,
    pub(super) subject: LooseStr,
    /// An anonymity flag beside `tip` instead of inside it.
    #[serde(
        rename = "isAnon",
        alias = "is_anon",
        alias = "anonymous",
        alias = "isAnonymous"
    )]
    pub(super) is_anon: CautiousFlag,
}

/// Whether the parsed events carry their original JSON (`RoomEvent::raw`). Only the journal reads it, so a
/// session without one is spared a copy of every event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raw {
    Keep,
    Drop,
}

/// Parses a reply body (HTTP 200, or a 400 long-poll continuation). The reply is first tried in one pass
/// (`one_pass`), which gives the same reply or leaves it to the item by item path, [`parse_reply_by_items`].
pub fn parse_reply(
    body: &[u8],
    source: SourceKind,
    received_at: DateTime<Utc>,
    raw: Raw,
) -> Result<ParsedReply, EnvelopeError> {
    match super::one_pass::parse(body, source, received_at, raw) {
        Some(parsed) => Ok(parsed),
        None => parse_reply_by_items(body, source, received_at, raw),
    }
}

/// The reply read item by item: the path that defines the rules, for any reply at all (a broken envelope,
/// invalid UTF-8, odd items, each skipped and counted). Public so that tests can hold the one pass to it.
pub fn parse_reply_by_items(
    body: &[u8],
    source: SourceKind,
    received_at: DateTime<Utc>,
    raw: Raw,
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
    // Invalid UTF-8 inside one string would otherwise make the whole reply unusable, retried forever: such a
    // reply is decoded lossily (the bad bytes become U+FFFD) and the rest of it goes on.
    let lossy: Vec<u8>;
    let env: Envelope = match serde_json::from_slice(body) {
        Ok(env) => env,
        Err(e) if std::str::from_utf8(body).is_ok() => {
            return Err(EnvelopeError::InvalidJson(e.to_string()))
        }
        Err(_) => {
            lossy = String::from_utf8_lossy(body).into_owned().into_bytes();
            serde_json::from_slice(&lossy).map_err(|e| EnvelopeError::InvalidJson(e.to_string()))?
        }
    };
    let next_url = next_url(env.next_url.map(RawValue::get));
    let items: Vec<&RawValue> = match env.events {
        None | Some(EventsField::Null) => Vec::new(),
        Some(EventsField::List(items)) => items,
        Some(EventsField::NotAList) => return Err(EnvelopeError::EventsNotAList),
    };
    let mut events = Vec::with_capacity(items.len());
    let mut skipped = Vec::new();
    let mut uncounted_money = 0u32;
    for (index, item) in items.into_iter().enumerate() {
        match parse_item(item, source, received_at, raw) {
            Ok(ev) => {
                uncounted_money += u32::from(is_unreadable_money(&ev));
                events.push(ev)
            }
            Err(reason) => skipped.push(SkippedEvent { index, reason }),
        }
    }
    Ok(ParsedReply {
        events,
        next_url,
        skipped,
        uncounted_money,
    })
}

/// `nextUrl` from its JSON text, if present.
pub(super) fn next_url(raw: Option<&str>) -> NextUrl {
    match raw {
        None | Some("null") => NextUrl::Missing,
        Some(raw) => match serde_json::from_str::<String>(raw) {
            Ok(s) if !s.trim().is_empty() => NextUrl::Given(s),
            Ok(_) => NextUrl::Invalid("nextUrl is an empty string".into()),
            Err(_) => NextUrl::Invalid("nextUrl is not a string".into()),
        },
    }
}

/// Parses one event object (`{"method", "id", "object"}`), keeping its original JSON.
/// `Err` only for items that are not events with an id; a known method with unusable contents becomes `unknown`.
pub fn parse_event(
    item: &RawValue,
    source: SourceKind,
    received_at: DateTime<Utc>,
) -> Result<RoomEvent, &'static str> {
    parse_item(item, source, received_at, Raw::Keep)
}

fn parse_item(
    item: &RawValue,
    source: SourceKind,
    received_at: DateTime<Utc>,
    raw: Raw,
) -> Result<RoomEvent, &'static str> {
    if !item.get().starts_with('{') {
        return Err("not a JSON object");
    }
    // A lone UTF-16 surrogate (`"\ud800"`) is valid JSON syntax but no string: without this, a chat message
    // carrying one would lose its text. Replaced by U+FFFD, and the event parsed from the repaired text.
    if let Cow::Owned(repaired) = repair_lone_surrogates(item.get()) {
        let repaired = RawValue::from_string(repaired).map_err(|_| "not a JSON object")?;
        return parse_item(&repaired, source, received_at, raw);
    }
    if let Ok(FastEvent {
        method,
        id: LooseShort(Some(id)),
        object,
        is_anon,
    }) = serde_json::from_str::<FastEvent>(item.get())
    {
        if !id.is_empty() {
            if id.len() > MAX_ID_BYTES {
                return Err(ID_TOO_LONG);
            }
            let object = object.0.unwrap_or_default();
            return Ok(build(
                id,
                method.0.unwrap_or_default(),
                (object, is_anon.0.unwrap_or(false)),
                item,
                raw,
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
        Some(Ok(serde_json::Value::String(s))) if !s.is_empty() => ShortText::from(s),
        Some(Ok(serde_json::Value::Number(n))) => n.to_string().into(),
        _ => return Err("event without an id"),
    };
    if id.len() > MAX_ID_BYTES {
        return Err(ID_TOO_LONG);
    }
    let method = wire.method.0.unwrap_or_default();
    let object: WireObject = wire
        .object
        .and_then(|o| serde_json::from_str::<LooseObj<WireObject>>(o.get()).ok())
        .and_then(|o| o.0)
        .unwrap_or_default();
    let event_anonymous = wire.is_anon.0.unwrap_or(false);
    Ok(build(
        id,
        method,
        (object, event_anonymous),
        item,
        raw,
        source,
        received_at,
    ))
}

/// `object` comes with the event-level anonymity flag.
fn build(
    id: ShortText,
    method: String,
    (object, event_anonymous): (WireObject, bool),
    item: &RawValue,
    raw: Raw,
    source: SourceKind,
    received_at: DateTime<Utc>,
) -> RoomEvent {
    let typed = match typed(&method, object, event_anonymous) {
        Ok(typed) => typed,
        Err(None) => unknown(method, item),
        Err(Some(reason)) => {
            tracing::warn!(id = %id, method = %method, reason, "event kept as unknown");
            unknown(method, item)
        }
    };
    let raw = (raw == Raw::Keep).then(|| item.get().into());
    event(id, typed, raw, source, received_at)
}

/// The typed user and body of a known method; `Err(None)` for a method that is not known, `Err(Some(why))`
/// for one whose contents cannot be typed.
#[inline]
pub(super) fn typed(
    method: &str,
    object: WireObject,
    event_anonymous: bool,
) -> Result<(Option<UserInfo>, EventBody), Option<&'static str>> {
    let kind = kind_of(method).ok_or(None)?;
    typed_body(kind, object, event_anonymous).map_err(Some)
}

pub(super) fn event(
    id: ShortText,
    (user, body): (Option<UserInfo>, EventBody),
    raw: Option<Box<str>>,
    source: SourceKind,
    received_at: DateTime<Utc>,
) -> RoomEvent {
    RoomEvent {
        source,
        at: event_time(&id, received_at),
        id,
        user,
        body,
        raw,
    }
}

fn unknown(method: String, item: &RawValue) -> (Option<UserInfo>, EventBody) {
    let mut raw = serde_json::from_str(item.get()).unwrap_or(serde_json::Value::Null);
    strip_anonymous_user(&mut raw);
    (None, EventBody::Unknown { method, raw })
}

/// Keys that name the user of an event.
const USER_KEYS: [&str; 4] = ["user", "username", "fromUser", "from_user"];
/// Keys that say an event is anonymous.
const ANON_KEYS: [&str; 4] = ["isAnon", "is_anon", "anonymous", "isAnonymous"];

/// An object that carries an anonymity flag in any form but a clear "no".
fn flagged(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    let Value::Object(map) = v else { return false };
    ANON_KEYS.iter().any(|k| match map.get(*k) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::String(s)) => !says_no(s),
        Some(_) => true,
    })
}

/// The event says it is anonymous: on itself, its object or one level inside (`object.tip.isAnon`,
/// `object.user.isAnon`).
fn says_anonymous(v: &serde_json::Value) -> bool {
    flagged(v)
        || v.as_object().is_some_and(|map| {
            map.values()
                .any(|c| flagged(c) || c.as_object().is_some_and(|o| o.values().any(flagged)))
        })
}

/// An `unknown` event is passed on raw; when it says it is anonymous (in any form but a clear "no", on the
/// event, its object or one level inside, e.g. `object.tip.isAnon`), every user name is removed from it first.
/// Anonymous tippers are never named, even through an event that could not be typed.
fn strip_anonymous_user(raw: &mut serde_json::Value) {
    use serde_json::Value;
    fn strip(v: &mut Value, depth: u8) {
        if let Value::Object(map) = v {
            for k in USER_KEYS {
                map.remove(k);
            }
            if depth > 0 {
                for child in map.values_mut() {
                    strip(child, depth - 1);
                }
            }
        }
    }
    if says_anonymous(raw) {
        strip(raw, 2);
    }
}

/// An event of a money method (`tip`, `mediaPurchase`) that could not be typed: its amount is in no total.
pub fn is_unreadable_money(ev: &RoomEvent) -> bool {
    matches!(&ev.body, EventBody::Unknown { method, .. }
        if matches!(kind_of(method), Some(EventKind::Tip | EventKind::MediaPurchase)))
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
        badges: Vec::new(),
    })
}

/// A media id as sent: a string, an `i64`, or any other JSON number kept digit for digit.
fn media_id(raw: Option<&RawValue>) -> Option<MediaId> {
    let text = raw?.get();
    match text.as_bytes().first()? {
        b'"' => serde_json::from_str::<String>(text).ok().map(MediaId::Text),
        b'-' | b'0'..=b'9' => Some(match text.parse::<i64>() {
            Ok(n) => MediaId::Number(n),
            // A whole number beyond i64 stays a number, digit for digit; a fraction or an exponent (which
            // many JSON readers cannot take back, `1e400`) is kept as its text.
            Err(_)
                if text
                    .trim_start_matches('-')
                    .bytes()
                    .all(|b| b.is_ascii_digit()) =>
            {
                MediaId::Verbatim(text.to_string())
            }
            Err(_) => MediaId::Text(text.to_string()),
        }),
        _ => None,
    }
}

/// Maps a known method onto its typed body; `Err` names the part that is missing or unusable.
fn typed_body(
    kind: EventKind,
    obj: WireObject,
    event_anonymous: bool,
) -> Result<(Option<UserInfo>, EventBody), &'static str> {
    let flag = |f: &CautiousFlag| f.0.unwrap_or(false);
    // Anonymity said anywhere the typed fields look (the event, its object, the user, the tip, the media):
    // the same places as for `unknown` events, read in the same single pass.
    let said_anonymous = event_anonymous
        || flag(&obj.is_anon)
        || obj.user.0.as_ref().is_some_and(|u| flag(&u.is_anon));
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
            let anonymous = flag(&tip.is_anon) || said_anonymous;
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
            let id = media_id(media.id.as_deref()).ok_or("media.id missing")?;
            let tokens = media.tokens.0.ok_or("media.tokens is not a whole number")?;
            let anonymous = flag(&media.is_anon) || said_anonymous;
            let body = EventBody::MediaPurchase {
                tokens,
                media: Media {
                    id,
                    name: media.name.0,
                    media_type: media.media_type.0,
                },
            };
            // Money is kept even when the payload lost (or hides) the buyer.
            (if anonymous { None } else { user }, body)
        }
        EventKind::RoomSubjectChange => {
            let subject = obj.subject.0.ok_or("subject missing")?;
            (
                user,
                EventBody::RoomSubjectChange {
                    subject,
                    category: None,
                },
            )
        }
        EventKind::UserEnter => (need_user(user)?, EventBody::UserEnter),
        EventKind::UserLeave => (need_user(user)?, EventBody::UserLeave),
        EventKind::Follow => (need_user(user)?, EventBody::Follow),
        EventKind::Unfollow => (need_user(user)?, EventBody::Unfollow),
        EventKind::FanclubJoin => (need_user(user)?, EventBody::FanclubJoin),
        EventKind::BroadcastStart => (user, EventBody::BroadcastStart),
        EventKind::BroadcastStop => (user, EventBody::BroadcastStop),
        // Not Chaturbate kinds: `kind_of` never gives them.
        _ => return Err("unknown method"),
    })
}
