use super::{AtText, EventBody, Media, Reward, RoomEvent, SourceKind};
use serde::Serialize;
use std::io::{self, Write};

/// The headless JSON line (DESIGN.md "Headless event line"): keys in a fixed order, absent values omitted.
/// `Serialize` states the line; [`Line::write`] writes the same bytes by hand, faster (a test holds the two
/// together).
#[derive(Serialize)]
struct Line<'a> {
    source: &'a str,
    room: &'a str,
    id: &'a str,
    kind: &'a str,
    at: AtText,
    /// Outer `None`: key omitted; `Some(None)`: `null` (anonymous tips).
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<Option<&'a str>>,
    /// Twitch's enters and leaves come from polling the chatter list (EventSub has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    polled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bits: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tier: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_gift: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cumulative_months: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    streak_months: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    anonymous: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    badges: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from_user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to_user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    media: Option<&'a Media>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reward: Option<&'a Reward>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    viewers: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<&'a serde_json::Value>,
}

/// Writes one event of `room` as a JSON line (with the trailing newline).
pub fn write_json_line(out: &mut Vec<u8>, room: &str, ev: &RoomEvent) -> io::Result<()> {
    line(room, ev).write(out)
}

fn line<'a>(room: &'a str, ev: &'a RoomEvent) -> Line<'a> {
    let user = ev.user.as_ref().map(|u| u.username.as_str());
    let mut line = Line {
        source: ev.source.as_str(),
        room,
        id: &ev.id,
        kind: ev.kind().as_str(),
        at: AtText::of(ev.at),
        user: user.map(Some),
        polled: None,
        tokens: None,
        bits: None,
        tier: None,
        is_gift: None,
        cumulative_months: None,
        streak_months: None,
        total: None,
        anonymous: None,
        message: None,
        badges: None,
        from_user: None,
        to_user: None,
        media: None,
        subject: None,
        reward: None,
        input: None,
        viewers: None,
        action: None,
        target: None,
        title: None,
        category: None,
        method: None,
        raw: None,
    };
    match &ev.body {
        EventBody::ChatMessage { message } => {
            line.message = Some(message);
            // DESIGN.md: Twitch chat lines carry the badges; Chaturbate's schema has none.
            if ev.source == SourceKind::Twitch {
                line.badges = Some(ev.user.as_ref().map_or(&[][..], |u| &u.badges[..]));
            }
        }
        EventBody::PrivateMessage {
            message,
            from_user,
            to_user,
        } => {
            line.message = Some(message);
            line.from_user = from_user.as_deref();
            line.to_user = to_user.as_deref();
        }
        EventBody::Tip {
            tokens,
            anonymous,
            message,
        } => {
            // Anonymous tippers are never named, whatever the payload carried.
            line.user = Some(if *anonymous { None } else { user });
            line.tokens = Some(*tokens);
            line.anonymous = Some(*anonymous);
            line.message = Some(message);
        }
        EventBody::MediaPurchase { tokens, media } => {
            line.tokens = Some(*tokens);
            line.media = Some(media);
        }
        EventBody::RoomSubjectChange { subject, category } => {
            line.subject = Some(subject);
            line.category = category.as_deref();
        }
        EventBody::Cheer {
            bits,
            anonymous,
            message,
        } => {
            line.user = Some(if *anonymous { None } else { user });
            line.bits = Some(*bits);
            line.anonymous = Some(*anonymous);
            line.message = Some(message);
        }
        EventBody::Subscription { tier, is_gift } => {
            line.tier = Some(tier);
            line.is_gift = Some(*is_gift);
        }
        EventBody::Resubscription {
            tier,
            cumulative_months,
            streak_months,
            message,
        } => {
            line.tier = Some(tier);
            line.cumulative_months = Some(*cumulative_months);
            line.streak_months = *streak_months;
            line.message = Some(message);
        }
        EventBody::SubGift {
            tier,
            total,
            anonymous,
        } => {
            line.user = Some(if *anonymous { None } else { user });
            line.tier = Some(tier);
            line.total = Some(*total);
            line.anonymous = Some(*anonymous);
        }
        EventBody::Redemption { reward, input } => {
            line.reward = Some(reward);
            line.input = input.as_deref();
        }
        EventBody::Raid { viewers } => line.viewers = Some(*viewers),
        EventBody::Moderation { action, target } => {
            line.action = Some(action);
            line.target = target.as_deref();
        }
        EventBody::StreamUpdate {
            viewers,
            title,
            category,
        } => {
            line.viewers = *viewers;
            line.title = title.as_deref();
            line.category = category.as_deref();
        }
        EventBody::Unknown { method, raw } => {
            line.method = Some(method);
            line.raw = Some(raw);
        }
        EventBody::UserEnter | EventBody::UserLeave if ev.source == SourceKind::Twitch => {
            line.polled = Some(true);
        }
        EventBody::UserEnter
        | EventBody::UserLeave
        | EventBody::Follow
        | EventBody::Unfollow
        | EventBody::FanclubJoin
        | EventBody::BroadcastStart
        | EventBody::BroadcastStop => {}
    }
    line
}

impl Line<'_> {
    /// The bytes `write_terminal_safe(out, self)` gives, without serde's per-field and per-byte machinery:
    /// this runs once per event (issue 14). Strings that need no escape are copied as they are; any other is
    /// written by serde_json itself.
    fn write(&self, w: &mut Vec<u8>) -> io::Result<()> {
        w.write_all(b"{\"source\":")?;
        string(w, self.source)?;
        w.write_all(b",\"room\":")?;
        string(w, self.room)?;
        w.write_all(b",\"id\":")?;
        string(w, self.id)?;
        w.write_all(b",\"kind\":")?;
        string(w, self.kind)?;
        w.write_all(b",\"at\":\"")?;
        w.write_all(self.at.as_bytes())?;
        w.write_all(b"\"")?;
        match self.user {
            None => {}
            Some(None) => w.write_all(b",\"user\":null")?,
            Some(Some(user)) => {
                w.write_all(b",\"user\":")?;
                string(w, user)?;
            }
        }
        field(w, ",\"polled\":", self.polled)?;
        field(w, ",\"tokens\":", self.tokens)?;
        field(w, ",\"bits\":", self.bits)?;
        field(w, ",\"tier\":", self.tier)?;
        field(w, ",\"is_gift\":", self.is_gift)?;
        field(w, ",\"cumulative_months\":", self.cumulative_months)?;
        field(w, ",\"streak_months\":", self.streak_months)?;
        field(w, ",\"total\":", self.total)?;
        field(w, ",\"anonymous\":", self.anonymous)?;
        field(w, ",\"message\":", self.message)?;
        field(w, ",\"badges\":", self.badges)?;
        field(w, ",\"from_user\":", self.from_user)?;
        field(w, ",\"to_user\":", self.to_user)?;
        field(w, ",\"media\":", self.media)?;
        field(w, ",\"subject\":", self.subject)?;
        field(w, ",\"reward\":", self.reward)?;
        field(w, ",\"input\":", self.input)?;
        field(w, ",\"viewers\":", self.viewers)?;
        field(w, ",\"action\":", self.action)?;
        field(w, ",\"target\":", self.target)?;
        field(w, ",\"title\":", self.title)?;
        field(w, ",\"category\":", self.category)?;
        field(w, ",\"method\":", self.method)?;
        field(w, ",\"raw\":", self.raw)?;
        w.write_all(b"}\n")
    }
}

/// A present value with its key (keys are plain ASCII, written as they are); an absent one is left out.
/// Inlined: most of a line's fields are absent, and a call each cost more than the check.
#[inline(always)]
fn field<T: Scalar>(w: &mut Vec<u8>, key: &str, value: Option<T>) -> io::Result<()> {
    match value {
        None => Ok(()),
        Some(v) => {
            w.write_all(key.as_bytes())?;
            v.write(w)
        }
    }
}

/// How a value of the line is written: strings and numbers by hand, anything else by serde_json.
trait Scalar {
    fn write(&self, w: &mut Vec<u8>) -> io::Result<()>;
}

impl Scalar for &str {
    fn write(&self, w: &mut Vec<u8>) -> io::Result<()> {
        string(w, self)
    }
}

impl Scalar for u64 {
    fn write(&self, w: &mut Vec<u8>) -> io::Result<()> {
        w.write_all(itoa::Buffer::new().format(*self).as_bytes())
    }
}

impl Scalar for bool {
    fn write(&self, w: &mut Vec<u8>) -> io::Result<()> {
        w.write_all(if *self { b"true" } else { b"false" })
    }
}

macro_rules! by_serde {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            fn write(&self, w: &mut Vec<u8>) -> io::Result<()> {
                let mut ser = serde_json::Serializer::with_formatter(&mut *w, TerminalSafe);
                Ok(self.serialize(&mut ser)?)
            }
        }
    )*};
}
by_serde!(&[String], &Media, &Reward, &serde_json::Value);

/// A JSON string as serde_json with [`TerminalSafe`] writes it. Most strings need no escape at all and are
/// copied; a string with any byte that could need one (a control, `"`, `\\`, DEL, or the lead byte of a C1,
/// bidi or separator character) goes to serde_json.
#[inline(always)]
fn string(w: &mut Vec<u8>, s: &str) -> io::Result<()> {
    if plain(s.as_bytes()) {
        w.reserve(s.len() + 2);
        w.push(b'"');
        w.extend_from_slice(s.as_bytes());
        w.push(b'"');
        Ok(())
    } else {
        let mut ser = serde_json::Serializer::with_formatter(&mut *w, TerminalSafe);
        Ok(serde::Serializer::serialize_str(&mut ser, s)?)
    }
}

/// No byte of `s` is one [`MAY_ESCAPE`] names. Eight bytes at a time: a word with no control, quote,
/// backslash, DEL or byte above ASCII needs no look at its bytes (issue 14); any other is looked up byte by byte.
#[inline(never)]
fn plain(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let table = |bytes: &[u8]| bytes.iter().all(|&b| !MAY_ESCAPE[usize::from(b)]);
    let word_is_plain = |word: &[u8]| {
        let v = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        let quote = v ^ (ONES * u64::from(b'"'));
        let slash = v ^ (ONES * u64::from(b'\\'));
        // The high bit of a byte is set when it is below 0x20, a quote, a backslash, 0x7f or above; a borrow
        // can only set more of them where one is set already.
        let look = v.wrapping_sub(ONES * 0x20)
            | quote.wrapping_sub(ONES) & !quote
            | slash.wrapping_sub(ONES) & !slash
            | (v & !HIGH).wrapping_add(ONES)
            | v;
        look & HIGH == 0 || table(word)
    };
    if s.len() < 8 {
        return table(s);
    }
    // The words, and the last eight bytes (which may overlap the last word).
    let mut words = s.chunks_exact(8);
    words.all(word_is_plain) && word_is_plain(&s[s.len() - 8..])
}

/// The bytes [`string`] leaves to serde_json: controls, `"`, `\\`, DEL, and the lead bytes of the C1 controls
/// (0xC2), the bidi marks and separators of U+06xx (0xD8: U+061C) and U+20xx (0xE2). A table, one load a byte.
const MAY_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[0x7f] = true;
    t[0xc2] = true;
    t[0xd8] = true;
    t[0xe2] = true;
    t
};

/// Any value as one terminal-safe JSON line (with the newline): the other line shapes (the channel watch's
/// change lines) are written the same way as the event lines.
pub fn write_terminal_safe<W: Write, T: Serialize>(out: &mut W, value: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, TerminalSafe);
    value.serialize(&mut ser)?;
    out.write_all(b"\n")
}

/// JSON as serde_json writes it, except that the characters a terminal could act on although JSON allows
/// them raw — DEL, the C1 controls (U+0080–U+009F: an 8-bit CSI is U+009B), the bidi controls and the line
/// and paragraph separators — are written as `\uXXXX` escapes. The parsed value is the same; a headless
/// line printed to a terminal (`roomwatch … --headless` with no pipe) carries no raw control character.
struct TerminalSafe;

fn needs_escape(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}')
        || crate::sanitize::is_bidi_control(c)
}

impl serde_json::ser::Formatter for TerminalSafe {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Fast path: ASCII below DEL needs nothing (one compare a byte, no early exit: vector code). Anything
        // else is looked at character by character.
        if fragment.bytes().fold(true, |plain, b| plain & (b < 0x7f)) {
            return w.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if needs_escape(c) {
                w.write_all(&fragment.as_bytes()[start..i])?;
                write!(w, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventKind, MediaId, UserInfo};
    use proptest::prelude::*;

    /// An event of every body, carrying `text` in each string it has.
    fn every_body(text: &str, n: u64) -> Vec<RoomEvent> {
        let t = || text.to_string();
        let bodies = [
            EventBody::ChatMessage { message: t() },
            EventBody::PrivateMessage {
                message: t(),
                from_user: Some(t()),
                to_user: None,
            },
            EventBody::Tip {
                tokens: n,
                anonymous: n.is_multiple_of(2),
                message: t(),
            },
            EventBody::MediaPurchase {
                tokens: n,
                media: Media {
                    id: MediaId::Text(t()),
                    name: Some(t()),
                    media_type: None,
                },
            },
            EventBody::RoomSubjectChange {
                subject: t(),
                category: Some(t()),
            },
            EventBody::Cheer {
                bits: n,
                anonymous: n.is_multiple_of(3),
                message: t(),
            },
            EventBody::Subscription {
                tier: t(),
                is_gift: !n.is_multiple_of(2),
            },
            EventBody::Resubscription {
                tier: t(),
                cumulative_months: n,
                streak_months: Some(n),
                message: t(),
            },
            EventBody::SubGift {
                tier: t(),
                total: n,
                anonymous: !n.is_multiple_of(2),
            },
            EventBody::Redemption {
                reward: Reward {
                    id: t(),
                    title: t(),
                    cost: n,
                },
                input: Some(t()),
            },
            EventBody::Raid { viewers: n },
            EventBody::Moderation {
                action: t(),
                target: Some(t()),
            },
            EventBody::StreamUpdate {
                viewers: Some(n),
                title: Some(t()),
                category: None,
            },
            EventBody::Unknown {
                method: t(),
                raw: serde_json::json!({ "x": t(), "n": n }),
            },
            EventBody::UserEnter,
            EventBody::UserLeave,
            EventBody::Follow,
            EventBody::Unfollow,
            EventBody::FanclubJoin,
            EventBody::BroadcastStart,
            EventBody::BroadcastStop,
        ];
        let mut events = Vec::new();
        for source in [SourceKind::Chaturbate, SourceKind::Twitch] {
            for body in bodies.clone() {
                let user = UserInfo {
                    username: t().into(),
                    badges: vec![t(), "vip".into()],
                    ..UserInfo::default()
                };
                events.push(RoomEvent {
                    source,
                    id: t().into(),
                    at: chrono::DateTime::from_timestamp_millis(n as i64).unwrap_or_default(),
                    user: (!n.is_multiple_of(5)).then_some(user),
                    body,
                    raw: None,
                });
            }
        }
        assert!(events.iter().any(|e| e.kind() == EventKind::Redemption));
        events
    }

    fn both(room: &str, ev: &RoomEvent) -> (String, String) {
        let mut by_hand = Vec::new();
        write_json_line(&mut by_hand, room, ev).unwrap();
        let mut by_serde = Vec::new();
        write_terminal_safe(&mut by_serde, &line(room, ev)).unwrap();
        (
            String::from_utf8(by_hand).unwrap(),
            String::from_utf8(by_serde).unwrap(),
        )
    }

    #[test]
    fn words_are_looked_up_exactly_when_a_byte_may_need_an_escape() {
        for b in 0..=255u8 {
            for len in 1..20 {
                for at in 0..len {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = b;
                    assert_eq!(
                        plain(&bytes),
                        !MAY_ESCAPE[usize::from(b)],
                        "{b:#x} {len} {at}"
                    );
                    // Beside a byte above ASCII that needs nothing (é's lead byte), in either order.
                    if at + 1 < len {
                        bytes[at + 1] = 0xc3;
                        assert_eq!(plain(&bytes), !MAY_ESCAPE[usize::from(b)], "{b:#x} é");
                    }
                }
            }
        }
        assert!(plain(b""));
    }

    #[test]
    fn the_hand_written_line_is_serdes_byte_for_byte() {
        let texts = [
            "plain",
            "",
            "quote \" and \\ back",
            "tab\tnew\nline",
            "\u{1b}[31mred",
            "del \u{7f}",
            "c1 \u{9b}31m",
            "nbsp\u{a0}",
            "bidi \u{202e}evil",
            "sep \u{2028}",
            "alm \u{61c}",
            "’ quote",
            "🎉 émoji",
            "\u{2067}iso",
        ];
        for (n, text) in texts.iter().enumerate() {
            for ev in every_body(text, n as u64) {
                let (by_hand, by_serde) = both(text, &ev);
                assert_eq!(by_hand, by_serde);
            }
        }
    }

    proptest! {
        #[test]
        fn any_text_is_written_as_serde_writes_it(text in any::<String>(), n in any::<u64>()) {
            for ev in every_body(&text, n) {
                let (by_hand, by_serde) = both(&text, &ev);
                prop_assert_eq!(by_hand, by_serde);
            }
        }
    }
}
