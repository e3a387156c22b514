//! The common reply in one pass: the envelope read and each event typed on the way by a strict byte cursor
//! ([`Scan`]), with no second scan of each item. With a journal, each event keeps its item's text, cut from
//! the reply.

use super::loose::{
    known_tag, CautiousFlag, LooseBool, LooseCount, LooseObj, LooseShort, LooseStr, LooseTag,
};
use super::parse::{
    event, next_url, typed, ParsedReply, Raw, WireMedia, WireMessage, WireObject, WireTip, WireUser,
};
use super::scan::{Scan, KEY_SLOTS};
use crate::event::{RoomEvent, ShortText, SourceKind};
use crate::sources::json::{repair_lone_surrogates, MAX_ID_BYTES};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::cell::Cell;

/// The reply, or `None` to leave it to the item by item path ([`super::parse_reply_by_items`]), which
/// defines the rules.
/// Anything this pass is not sure of goes there: a non-object item, an id that is not a non-empty string of
/// at most [`MAX_ID_BYTES`], a method that is not known or whose contents cannot be typed, invalid UTF-8, a
/// lone surrogate in a string it reads (or, with a journal, anywhere in the item: the journal gets the repaired
/// text), an escaped or repeated key, nesting deeper than the cursor's limit.
/// A value of an unusual form in a field that is read (an escaped string, a flag written as text, a float
/// amount) is read by the field's own serde type from that value's text alone. Whenever this pass gives a
/// reply, it is the one the item by item path gives; `tests/payloads.rs` and the property tests in
/// `tests/hardening` hold the two together.
pub fn parse(
    body: &[u8],
    source: SourceKind,
    received_at: DateTime<Utc>,
    raw: Raw,
) -> Option<ParsedReply> {
    // UTF-8 checked once for the whole body, not string by string.
    let text = simdutf8::basic::from_utf8(body).ok()?;
    let mut s = Scan::new(text);
    let mut events: Option<Vec<RoomEvent>> = None;
    let mut next: Option<Option<&str>> = None;
    s.object(|s, key| match key {
        "events" => once(&mut events, read_events(s, (source, received_at, raw))?),
        "nextUrl" => once(&mut next, if s.null() { None } else { Some(s.value()?) }),
        _ => s.skip(),
    })?;
    if !s.at_end() {
        return None;
    }
    Some(ParsedReply {
        events: events.unwrap_or_default(),
        next_url: next_url(next.flatten()),
        skipped: Vec::new(),
        uncounted_money: 0,
    })
}

/// Fills a field read once; a repeated key is left to serde (whose derive refuses it).
fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

/// The `events` list (or `null`); every item must be an object that types as an event.
fn read_events(s: &mut Scan, how: How) -> Option<Vec<RoomEvent>> {
    // Room for as many events as the last reply on this thread held: a steady stream's replies are of one
    // size, and growing the list copied it again and again, a third of this thread's copying (issue 14). A
    // hint only, bounded whatever a reply held.
    thread_local! {
        static LAST_COUNT: Cell<usize> = const { Cell::new(0) };
    }
    if s.null() {
        return Some(Vec::new());
    }
    let mut events = Vec::with_capacity(LAST_COUNT.get().min(RESERVED_EVENTS));
    s.list(|s| read_event(s, how, &mut events))?;
    LAST_COUNT.set(events.len());
    Some(events)
}

/// The most events room is made for at once: a reply holds up to about a thousand.
const RESERVED_EVENTS: usize = 2048;

/// Where the events come from, when they were received, and whether they keep their text.
type How = (SourceKind, DateTime<Utc>, Raw);

/// One event, pushed onto `events`. Its object is read in place: moving it (320 bytes) cost a copy each time
/// (issue 14).
fn read_event<'a>(
    s: &mut Scan<'a>,
    (source, received_at, raw): How,
    events: &mut Vec<RoomEvent>,
) -> Option<()> {
    if s.peek()? != b'{' {
        return None;
    }
    let (start, escapes) = (s.pos(), s.unicode_escapes());
    let mut fields = EventFields::default();
    let field = |key: &str| match key {
        "method" => Some(0),
        "id" => Some(1),
        "object" => Some(2),
        _ => is_anon_key(key).then_some(3),
    };
    let read = |s: &mut Scan<'a>, f: &mut EventFields<'a>, bit| {
        match bit {
            0 => f.method = method_name(s)?,
            1 => f.id = loose_short(s)?.0,
            2 => wire_object(s, &mut f.object)?,
            _ => f.anonymous = cautious(s)?.0,
        }
        Some(())
    };
    fields_into(s, Slot::Event, field, read, &mut fields)?;
    let EventFields {
        method,
        id,
        object,
        anonymous,
    } = fields;
    let id = id.filter(|id| !id.is_empty() && id.len() <= MAX_ID_BYTES)?;
    let anonymous = anonymous.unwrap_or(false);
    let user_and_body = typed(method.as_deref().unwrap_or_default(), object, anonymous).ok()?;
    let text = match raw {
        Raw::Drop => None,
        Raw::Keep => {
            let text = s.text_since(start);
            // A lone surrogate anywhere in the item is repaired in the journal's copy: the item by item path's.
            if s.unicode_escapes() != escapes && repair_lone_surrogates(text) != text {
                return None;
            }
            Some(text.into())
        }
    };
    events.push(event(id, user_and_body, text, source, received_at));
    Some(())
}

/// An event's own fields, each read at most once (the anonymity flag in any of its spellings).
#[derive(Default)]
struct EventFields<'a> {
    method: Option<Cow<'a, str>>,
    id: Option<ShortText>,
    object: WireObject,
    anonymous: Option<bool>,
}

/// Fields of one object of kind `slot`, each read at most once: `field` gives a key's bit, `read` reads its
/// value. An entry is first tried against the skipped entry the last such object had at the same place
/// ([`Scan::recall_skipped`]), then its key against the key there ([`Scan::recall`]).
fn fields<'a, T: Default>(
    s: &mut Scan<'a>,
    slot: Slot,
    field: impl Fn(&str) -> Option<u32>,
    read: impl FnMut(&mut Scan<'a>, &mut T, u32) -> Option<()>,
) -> Option<T> {
    let mut value = T::default();
    fields_into(s, slot, field, read, &mut value)?;
    Some(value)
}

/// [`fields`], filling `value` where it stands.
fn fields_into<'a, T>(
    s: &mut Scan<'a>,
    slot: Slot,
    field: impl Fn(&str) -> Option<u32>,
    mut read: impl FnMut(&mut Scan<'a>, &mut T, u32) -> Option<()>,
    value: &mut T,
) -> Option<()> {
    let slot = slot as usize;
    let mut seen = 0u32;
    s.entries(|s, i| {
        if s.recall_skipped(slot, i) {
            return Some(());
        }
        let from = s.pos();
        let bit = match s.recall(slot, i) {
            Some(bit) => bit,
            None => {
                let bit = field(s.key()?);
                s.remember(slot, i, from, bit);
                bit
            }
        };
        s.colon()?;
        let Some(bit) = bit else {
            let escapes = s.unicode_escapes();
            s.skip()?;
            s.remember_skipped(slot, i, from, escapes);
            return Some(());
        };
        if seen & (1 << bit) != 0 {
            return None;
        }
        seen |= 1 << bit;
        read(s, value, bit)
    })
}

/// The kinds of object whose key orders the cursor remembers.
#[derive(Clone, Copy)]
enum Slot {
    Event,
    Object,
    User,
    Message,
    Tip,
    Media,
}

// Every kind has a place in the cursor's memory.
const _: () = assert!(Slot::Media as usize + 1 == KEY_SLOTS);

/// The keys that say an event, object, user, tip or media is anonymous (one field, four spellings).
fn is_anon_key(key: &str) -> bool {
    matches!(key, "isAnon" | "is_anon" | "anonymous" | "isAnonymous")
}

/// The event's object, read into `o` (which is left at its default when the value is not an object, as
/// [`LooseObj`] does).
fn wire_object(s: &mut Scan, o: &mut WireObject) -> Option<()> {
    if s.peek()? != b'{' {
        *o = by_serde::<LooseObj<WireObject>>(s)?.0.unwrap_or_default();
        return Some(());
    }
    let field = |key: &str| match key {
        "user" => Some(0),
        "message" => Some(1),
        "tip" => Some(2),
        "media" => Some(3),
        "subject" => Some(4),
        _ => is_anon_key(key).then_some(5),
    };
    let read = |s: &mut Scan, o: &mut WireObject, bit| {
        match bit {
            0 => o.user = LooseObj(loose_obj(s, wire_user)?),
            1 => o.message = LooseObj(loose_obj(s, wire_message)?),
            2 => o.tip = LooseObj(loose_obj(s, wire_tip)?),
            3 => o.media = LooseObj(loose_obj(s, wire_media)?),
            4 => o.subject = loose_str(s)?,
            _ => o.is_anon = cautious(s)?,
        }
        Some(())
    };
    fields_into(s, Slot::Object, field, read, o)
}

fn wire_user(s: &mut Scan) -> Option<WireUser> {
    let field = |key: &str| match key {
        "username" => Some(0),
        "isMod" => Some(1),
        "inFanclub" => Some(2),
        "isFollower" => Some(3),
        "hasTokens" => Some(4),
        "recentTips" => Some(5),
        "colorGroup" => Some(6),
        _ => is_anon_key(key).then_some(7),
    };
    fields(s, Slot::User, field, |s, u: &mut WireUser, bit| {
        match bit {
            0 => u.username = loose_short(s)?,
            1 => u.is_mod = loose_bool(s)?,
            2 => u.in_fanclub = loose_bool(s)?,
            3 => u.is_follower = loose_bool(s)?,
            4 => u.has_tokens = loose_bool(s)?,
            5 => u.recent_tips = loose_tag(s)?,
            6 => u.color_group = loose_tag(s)?,
            _ => u.is_anon = cautious(s)?,
        }
        Some(())
    })
}

fn wire_message(s: &mut Scan) -> Option<WireMessage> {
    let field = |key: &str| match key {
        "message" => Some(0),
        "fromUser" => Some(1),
        "toUser" => Some(2),
        _ => None,
    };
    fields(s, Slot::Message, field, |s, m: &mut WireMessage, bit| {
        let text = loose_str(s)?;
        match bit {
            0 => m.message = text,
            1 => m.from_user = text,
            _ => m.to_user = text,
        }
        Some(())
    })
}

fn wire_tip(s: &mut Scan) -> Option<WireTip> {
    let field = |key: &str| match key {
        "tokens" => Some(0),
        "message" => Some(1),
        _ => is_anon_key(key).then_some(2),
    };
    fields(s, Slot::Tip, field, |s, t: &mut WireTip, bit| {
        match bit {
            0 => t.tokens = loose_count(s)?,
            1 => t.message = loose_str(s)?,
            _ => t.is_anon = cautious(s)?,
        }
        Some(())
    })
}

fn wire_media(s: &mut Scan) -> Option<WireMedia> {
    let field = |key: &str| match key {
        "id" => Some(0),
        "name" => Some(1),
        "type" => Some(2),
        "tokens" => Some(3),
        _ => is_anon_key(key).then_some(4),
    };
    fields(s, Slot::Media, field, |s, m: &mut WireMedia, bit| {
        match bit {
            0 => m.id = by_serde::<Option<Box<RawValue>>>(s)?,
            1 => m.name = loose_str(s)?,
            2 => m.media_type = loose_str(s)?,
            3 => m.tokens = loose_count(s)?,
            _ => m.is_anon = cautious(s)?,
        }
        Some(())
    })
}

/// A value read by its serde type from its own text: the unusual forms, where the rules live.
fn by_serde<T: DeserializeOwned>(s: &mut Scan) -> Option<T> {
    serde_json::from_str(s.value()?).ok()
}

/// A nested object read by `read`, or `None` for any other value (as [`LooseObj`] does).
fn loose_obj<'a, T: DeserializeOwned>(
    s: &mut Scan<'a>,
    read: fn(&mut Scan<'a>) -> Option<T>,
) -> Option<Option<T>> {
    if s.peek()? == b'{' {
        read(s).map(Some)
    } else {
        by_serde::<LooseObj<T>>(s).map(|o| o.0)
    }
}

/// The method, borrowed from the reply when it needs no unescaping (it is only looked up).
fn method_name<'a>(s: &mut Scan<'a>) -> Option<Option<Cow<'a, str>>> {
    match s.plain_str() {
        Some(text) => Some(Some(Cow::Borrowed(text))),
        None => by_serde::<LooseStr>(s).map(|m| m.0.map(Cow::Owned)),
    }
}

/// A string value: made by `make` from its text when it is a plain string, else read by its serde type.
fn plain_or_serde<T: DeserializeOwned>(s: &mut Scan, make: impl FnOnce(&str) -> T) -> Option<T> {
    match s.plain_str() {
        Some(text) => Some(make(text)),
        None => by_serde(s),
    }
}

fn loose_str(s: &mut Scan) -> Option<LooseStr> {
    plain_or_serde(s, |text| LooseStr(Some(text.to_owned())))
}

fn loose_short(s: &mut Scan) -> Option<LooseShort> {
    plain_or_serde(s, |text| LooseShort(Some(text.into())))
}

fn loose_tag(s: &mut Scan) -> Option<LooseTag> {
    plain_or_serde(s, |text| {
        LooseTag(Some(
            known_tag(text).map_or_else(|| Cow::Owned(text.to_owned()), Cow::Borrowed),
        ))
    })
}

fn loose_bool(s: &mut Scan) -> Option<LooseBool> {
    match s.bool() {
        Some(b) => Some(LooseBool(Some(b))),
        None => by_serde(s),
    }
}

fn loose_count(s: &mut Scan) -> Option<LooseCount> {
    match s.small_whole() {
        Some(n) => Some(LooseCount(Some(n))),
        None => by_serde(s),
    }
}

fn cautious(s: &mut Scan) -> Option<CautiousFlag> {
    if let Some(b) = s.bool() {
        return Some(CautiousFlag(Some(b)));
    }
    if s.null() {
        return Some(CautiousFlag(Some(false)));
    }
    by_serde(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str) -> Option<usize> {
        parse(
            body.as_bytes(),
            SourceKind::Chaturbate,
            Utc::now(),
            Raw::Drop,
        )
        .map(|r| r.events.len())
    }

    fn one_tip(tip: &str) -> RoomEvent {
        let body = format!(
            r#"{{"events":[{{"method":"tip","id":"1-0","object":{{"tip":{tip},"user":{{"username":"u"}}}}}}]}}"#
        );
        let reply = parse(
            body.as_bytes(),
            SourceKind::Chaturbate,
            Utc::now(),
            Raw::Drop,
        )
        .expect("read");
        reply.events.into_iter().next().expect("one event")
    }

    #[test]
    fn known_tags_are_shared_and_others_kept_as_sent() {
        let user = |ev: RoomEvent| ev.user.expect("a user");
        let u = user(one_tip(r#"{"tokens":5}"#));
        assert_eq!((u.recent_tips, u.color_group), (None, None));
        let body = r#"{"events":[{"method":"follow","id":"1-0","object":{"user":{"username":"u","recentTips":"lots","colorGroup":"purple"}}}]}"#;
        let reply = parse(
            body.as_bytes(),
            SourceKind::Chaturbate,
            Utc::now(),
            Raw::Drop,
        )
        .unwrap();
        let u = user(reply.events.into_iter().next().unwrap());
        assert!(matches!(u.recent_tips, Some(Cow::Borrowed("lots"))));
        assert!(matches!(u.color_group, Some(Cow::Owned(ref g)) if g == "purple"));
    }

    #[test]
    fn an_anonymity_flag_says_no_only_clearly() {
        for (flag, anonymous) in [
            ("null", false),
            ("false", false),
            ("true", true),
            ("\"x\"", true),
        ] {
            let ev = one_tip(&format!(r#"{{"tokens":5,"isAnon":{flag}}}"#));
            assert_eq!(ev.is_anonymous(), anonymous, "{flag}");
            assert_eq!(ev.user.is_none(), anonymous, "{flag}");
        }
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
        // Unusual forms of read values are read by their serde types; a repeated field (in any spelling) is not.
        assert_eq!(
            read(&common.replace(r#""isMod":false"#, r#""isMod":"1""#)),
            Some(2)
        );
        assert_eq!(
            read(&common.replace(r#""tokens":5"#, r#""tokens":5.0"#)),
            Some(2)
        );
        assert_eq!(read(&common.replace("hi", r"h\u00ed")), Some(2));
        let twice = common.replace(r#""isAnon":false"#, r#""isAnon":false,"anonymous":false"#);
        assert_eq!(read(&twice), None);
        // The event's object, read in place: a second one is not taken, one that is not an object is empty.
        let start = r#"{"events":[{"method":"broadcastStart","id":"1-0","object":OBJ}]}"#;
        assert_eq!(read(&start.replace("OBJ", "{}")), Some(1));
        assert_eq!(read(&start.replace("OBJ", "null")), Some(1));
        assert_eq!(read(&start.replace("OBJ", "[1,{}]")), Some(1));
        assert_eq!(read(&start.replace("OBJ", r#"{},"object":{}"#)), None);
        assert_eq!(
            read(&common.replace(r#""id":"1-0""#, r#""id":"1-0","object":{}"#)),
            None
        );
        // With a journal, each event keeps its item's text exactly, spacing included.
        let spaced = format!("{{\"events\": [ {chat} ,\n {tip}\n ]}}");
        let kept = parse(
            spaced.as_bytes(),
            SourceKind::Chaturbate,
            Utc::now(),
            Raw::Keep,
        )
        .unwrap();
        let texts: Vec<_> = kept.events.iter().map(|e| e.raw.as_deref()).collect();
        assert_eq!(texts, [Some(chat.as_str()), Some(tip.as_str())]);
    }
}
