//! Property tests (issue 9): for arbitrary input, the parser, the event-line writer, the sanitizer and the
//! URL rules hold their promises. 256 cases per property by default (well under a minute); for a longer run:
//! `PROPTEST_CASES=100000 cargo test --release --test hardening props`.

use proptest::prelude::*;
use roomwatch::event::{write_json_line, SourceKind};
use roomwatch::sanitize;
use roomwatch::sources::chaturbate::url::EventsUrl;
use roomwatch::sources::chaturbate::{parse_reply, parse_reply_by_items, ParsedReply, Raw};

fn received() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
        .unwrap()
        .into()
}

/// Strings that lean towards the characters that matter here: controls, escapes, bidi, invisibles, quotes.
fn nasty_string() -> impl Strategy<Value = String> {
    let pick = prop_oneof![
        any::<char>(),
        prop::sample::select(vec![
            '\u{1b}',
            '\u{7}',
            '\u{9b}',
            '\u{9c}',
            '\u{9d}',
            '\u{7f}',
            '\u{0}',
            '\n',
            '\r',
            '\t',
            '[',
            ']',
            '\\',
            '"',
            '\u{202e}',
            '\u{2066}',
            '\u{200b}',
            '\u{feff}',
            '\u{e0041}',
            '\u{115f}',
            '\u{2028}',
            'a',
            ';',
        ]),
    ];
    prop::collection::vec(pick, 0..40).prop_map(|v| v.into_iter().collect())
}

fn leaf() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        nasty_string().prop_map(Value::String),
        prop::sample::select(vec![
            "tip",
            "chatMessage",
            "mediaPurchase",
            "userEnter",
            "true",
            "25"
        ])
        .prop_map(|s| Value::String(s.into())),
        prop::sample::select(vec!["1", "0", " Yes ", "no", "5.0", "", "-3"])
            .prop_map(|s| Value::String(s.into())),
        prop::sample::select(vec![0.0, 1.0, 25.0, 2.5, -1.0, 1e19, 1.8446744073709552e19])
            .prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        let keys = prop::sample::select(vec![
            "method", "id", "object", "tip", "tokens", "isAnon", "user", "username", "message",
            "media", "subject", "x",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(keys.prop_map(String::from), inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The fields the parser reads (and spellings of the anonymity flag beside the one an event has).
const READ_FIELDS: [&str; 26] = [
    "/method",
    "/id",
    "/isAnon",
    "/anonymous",
    "/object",
    "/object/isAnon",
    "/object/is_anon",
    "/object/subject",
    "/object/user",
    "/object/user/username",
    "/object/user/isMod",
    "/object/user/inFanclub",
    "/object/user/isFollower",
    "/object/user/hasTokens",
    "/object/user/recentTips",
    "/object/user/colorGroup",
    "/object/user/isAnonymous",
    "/object/message",
    "/object/message/message",
    "/object/message/fromUser",
    "/object/message/toUser",
    "/object/tip",
    "/object/tip/tokens",
    "/object/tip/anonymous",
    "/object/media/id",
    "/object/media/tokens",
];

/// A realistic event with some of its read fields given other values (or a second spelling of a flag), and
/// written compact or spaced out.
fn edited_event() -> impl Strategy<Value = String> {
    let edit = (prop::sample::select(READ_FIELDS.to_vec()), json_value());
    (0u64..32, prop::collection::vec(edit, 0..4), any::<bool>()).prop_map(|(n, edits, spaced)| {
        let mut event: serde_json::Value = serde_json::from_str(&events::event(n)).unwrap();
        for (path, value) in edits {
            let (parent, key) = path.rsplit_once('/').unwrap();
            if let Some(serde_json::Value::Object(map)) = event.pointer_mut(parent) {
                map.insert(key.to_string(), value);
            }
        }
        if spaced {
            serde_json::to_string_pretty(&event).unwrap()
        } else {
            event.to_string()
        }
    })
}

// Shared with other test binaries; only `event` is used here.
#[allow(dead_code)]
#[path = "../support/events.rs"]
mod events;

fn is_terminal_hazard(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The reply as read, once it is known to be the one the item by item path gives.
fn agreed(body: &str, raw: Raw) -> Result<ParsedReply, TestCaseError> {
    let reply = parse_reply(body.as_bytes(), SourceKind::Chaturbate, received(), raw).unwrap();
    let by_items = parse_reply_by_items(body.as_bytes(), SourceKind::Chaturbate, received(), raw);
    prop_assert_eq!(&reply, &by_items.unwrap(), "{:?} {}", raw, body);
    Ok(reply)
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_parser(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_reply(&bytes, SourceKind::Chaturbate, received(), Raw::Keep);
        let _ = parse_reply(&bytes, SourceKind::Chaturbate, received(), Raw::Drop);
    }

    #[test]
    fn arbitrary_events_make_valid_terminal_safe_lines(items in prop::collection::vec(json_value(), 0..8)) {
        let body = serde_json::json!({"events": items, "nextUrl": null}).to_string();
        // The reply may be read in one pass: it must read as the item by item path does, with its text kept
        // for a journal or not.
        let reply = agreed(&body, Raw::Drop)?;
        agreed(&body, Raw::Keep)?;
        for ev in &reply.events {
            let mut out = Vec::new();
            write_json_line(&mut out, "room", ev).unwrap();
            let text = String::from_utf8(out).expect("UTF-8");
            prop_assert!(text.ends_with('\n'));
            let line = &text[..text.len() - 1];
            prop_assert!(!line.chars().any(is_terminal_hazard), "{:?}", line);
            let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
            prop_assert!(v.is_object());
            if ev.is_anonymous() {
                prop_assert!(v["user"].is_null());
            }
        }
    }

    #[test]
    fn edited_realistic_events_read_the_same_in_one_pass(items in prop::collection::vec(edited_event(), 1..6)) {
        let body = format!(r#"{{"events":[{}],"nextUrl":null}}"#, items.join(","));
        agreed(&body, Raw::Drop)?;
        agreed(&body, Raw::Keep)?;
    }

    #[test]
    fn sanitized_text_is_inert_and_never_grows(s in nasty_string()) {
        let out = sanitize::clean(&s);
        prop_assert!(out.len() <= s.len());
        prop_assert!(!out.chars().any(is_terminal_hazard), "{:?}", out);
        let invisible = out.contains('\u{200b}') || out.contains('\u{feff}');
        prop_assert!(!invisible, "{:?}", out);
        let name = sanitize::name(&s);
        prop_assert!(!name.trim().is_empty());
        let lines = sanitize::lines(&s);
        prop_assert!(!lines.chars().any(|c| c != '\n' && is_terminal_hazard(c)));
    }

    #[test]
    fn an_accepted_next_url_always_has_the_configured_origin(
        scheme in prop::sample::select(vec!["http", "https", "ftp", "javascript", "HTTP", ""]),
        host in prop::sample::select(vec!["127.0.0.1", "localhost", "127.0.0.2", "evil.example", "[::1]", "x@127.0.0.1", ""]),
        port in prop::sample::select(vec!["", ":4000", ":4001", ":80", ":0"]),
        rest in "[ -~]{0,40}",
    ) {
        let base = EventsUrl::parse("http://127.0.0.1:4000/events/alice/PropTestToken0123456789/", false).unwrap();
        let candidate = if scheme.is_empty() { rest.clone() } else { format!("{scheme}://{host}{port}/{rest}") };
        if let Ok(u) = base.resolve_next(&candidate) {
            let u = u.expose();
            prop_assert_eq!(u.scheme(), "http");
            prop_assert_eq!(u.host_str(), Some("127.0.0.1"));
            prop_assert_eq!(u.port_or_known_default(), Some(4000));
            prop_assert!(u.username().is_empty() && u.password().is_none());
        }
    }
}
