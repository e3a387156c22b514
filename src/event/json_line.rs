use super::{format_at, EventBody, Media, Reward, RoomEvent, SourceKind};
use serde::Serialize;
use std::io::{self, Write};

/// The headless JSON line (DESIGN.md "Headless event line"): keys in a fixed order, absent values omitted.
#[derive(Serialize)]
struct Line<'a> {
    source: &'a str,
    room: &'a str,
    id: &'a str,
    kind: &'a str,
    at: String,
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
pub fn write_json_line<W: Write>(out: &mut W, room: &str, ev: &RoomEvent) -> io::Result<()> {
    let user = ev.user.as_ref().map(|u| u.username.as_str());
    let mut line = Line {
        source: ev.source.as_str(),
        room,
        id: &ev.id,
        kind: ev.kind().as_str(),
        at: format_at(ev.at),
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
    write_terminal_safe(out, &line)
}

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
