//! The common reply in one pass: the envelope read and each event typed on the way, with no second scan of
//! each item and no copy of it. Used when the events need not keep their JSON (no journal).

use super::parse::{event, next_url, typed, FastEvent, ParsedReply};
use crate::event::{RoomEvent, SourceKind};
use crate::sources::json::MAX_ID_BYTES;
use chrono::{DateTime, Utc};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fmt;

/// The reply, or `None` to leave it to [`super::parse_reply`]'s item by item path, which defines the rules.
/// Anything this pass is not sure of goes there: a non-object item, an id that is not a non-empty string of
/// at most [`MAX_ID_BYTES`], a method that is not known or whose contents cannot be typed, invalid UTF-8, a
/// lone surrogate in a string it reads, an escaped or repeated key. Whenever this pass gives a reply, it is
/// the one the item by item path gives (without the JSON); `tests/payloads.rs` holds the two together.
pub fn parse(body: &[u8], source: SourceKind, received_at: DateTime<Utc>) -> Option<ParsedReply> {
    // UTF-8 checked once for the whole body, not string by string.
    let text = std::str::from_utf8(body).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let (events, next) = Envelope {
        source,
        received_at,
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    Some(ParsedReply {
        events,
        next_url: next_url(next),
        skipped: Vec::new(),
        uncounted_money: 0,
    })
}

/// Every event becomes a [`RoomEvent`] as soon as it is read; nothing but the events list is kept.
#[derive(Clone, Copy)]
struct Envelope {
    source: SourceKind,
    received_at: DateTime<Utc>,
}

impl<'de> DeserializeSeed<'de> for Envelope {
    type Value = (Vec<RoomEvent>, Option<&'de RawValue>);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Envelope {
    type Value = (Vec<RoomEvent>, Option<&'de RawValue>);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a reply object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut events: Option<Vec<RoomEvent>> = None;
        let mut next: Option<Option<&'de RawValue>> = None;
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "events" if events.is_none() => events = Some(map.next_value_seed(Events(self))?),
                "nextUrl" if next.is_none() => next = Some(map.next_value()?),
                "events" | "nextUrl" => return Err(de::Error::custom("repeated key")),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((events.unwrap_or_default(), next.flatten()))
    }
}

/// The `events` list (or `null`).
struct Events(Envelope);

impl<'de> DeserializeSeed<'de> for Events {
    type Value = Vec<RoomEvent>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Events {
    type Value = Vec<RoomEvent>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of events")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let Envelope {
            source,
            received_at,
        } = self.0;
        let mut events = Vec::new();
        while let Some(ObjectOnly(item)) = seq.next_element::<ObjectOnly<FastEvent>>()? {
            let ev = typed_event(item, source, received_at)
                .ok_or_else(|| de::Error::custom("left to the item by item path"))?;
            events.push(ev);
        }
        Ok(events)
    }
}

fn typed_event(
    item: FastEvent,
    source: SourceKind,
    received_at: DateTime<Utc>,
) -> Option<RoomEvent> {
    let FastEvent {
        method,
        id,
        object,
        is_anon,
    } = item;
    let id =
        id.0.filter(|id| !id.is_empty() && id.len() <= MAX_ID_BYTES)?;
    let object = (object.0.unwrap_or_default(), is_anon.0.unwrap_or(false));
    let user_and_body = typed(method.0.as_deref().unwrap_or_default(), object).ok()?;
    Some(event(id, user_and_body, None, source, received_at))
}

/// A JSON object read as `T`; anything else is an error (a derived struct would also take a list).
struct ObjectOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = ObjectOnly<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an event object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(ObjectOnly)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str) -> Option<usize> {
        parse(body.as_bytes(), SourceKind::Chaturbate, Utc::now()).map(|r| r.events.len())
    }

    #[test]
    fn takes_the_common_reply_and_leaves_the_rest() {
        let user = r#""user":{"username":"u","colorGroup":"p","gender":"m","isMod":false}"#;
        let chat = format!(
            r#"{{"method":"chatMessage","object":{{"message":{{"message":"hi 🎉","color":""}},{user}}},"id":"1-0"}}"#
        );
        let tip = format!(
            r#"{{"method":"tip","object":{{"tip":{{"tokens":5,"isAnon":false,"message":""}},{user}}},"id":"1-1"}}"#
        );
        let common = format!(r#"{{"events":[{chat},{tip}],"nextUrl":"https://x/?i=1-1"}}"#);
        assert_eq!(read(&common), Some(2));
        // A lone surrogate in a value it skips does not matter; in a string it reads (a key too) it does.
        assert_eq!(read(&common.replace(r#""m""#, r#""\ud800""#)), Some(2));
        assert_eq!(read(&common.replace(r#""gender""#, r#""g\ud800""#)), None);
        assert_eq!(read(&common.replace("hi", r"\ud800")), None);
        assert_eq!(read(&common.replace("chatMessage", "newThing")), None);
        assert_eq!(read(&common.replace(r#""id":"1-0""#, r#""id":10"#)), None);
        assert_eq!(read(&common.replace(&chat, "[]")), None);
    }
}
