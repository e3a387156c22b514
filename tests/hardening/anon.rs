//! Anonymous tippers are never named, whatever form the payload takes (issue 9, defect 1), and amounts that
//! are numbers in disguise still count.

use roomwatch::event::{write_json_line, EventBody, EventKind, MediaId, RoomEvent, SourceKind};
use roomwatch::sources::chaturbate::{parse_reply, ParsedReply, Raw};

fn received() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
        .unwrap()
        .into()
}

fn parse(items: &[serde_json::Value]) -> (Vec<RoomEvent>, usize) {
    let body = serde_json::json!({"events": items, "nextUrl": null}).to_string();
    let r = reply(&body);
    (r.events, r.skipped.len() + r.uncounted_money as usize)
}

/// The reply as read with a journal; without one (possibly in one pass) it must read the same.
fn reply(body: &str) -> ParsedReply {
    let read = |raw| parse_reply(body.as_bytes(), SourceKind::Chaturbate, received(), raw).unwrap();
    let kept = read(Raw::Keep);
    let mut stripped = kept.clone();
    stripped.events.iter_mut().for_each(|e| e.raw = None);
    assert_eq!(read(Raw::Drop), stripped, "{body}");
    kept
}

fn line(ev: &RoomEvent) -> String {
    let mut out = Vec::new();
    write_json_line(&mut out, "room", ev).unwrap();
    String::from_utf8(out).unwrap()
}

fn tip(id: u32, tokens: serde_json::Value, is_anon: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"method": "tip", "id": format!("1795000000000-{id}"),
        "object": {"tip": {"tokens": tokens, "isAnon": is_anon, "message": ""},
                   "user": {"username": "secret_tipper", "isMod": false}}})
}

#[test]
fn amounts_as_numeric_strings_or_integral_floats_are_tips() {
    use serde_json::json;
    let (events, skipped) = parse(&[
        tip(1, json!("25"), json!(false)),
        tip(2, json!(25.0), json!(false)),
        tip(3, json!(" 7 "), json!(false)),
        tip(4, json!(1e3), json!(false)),
    ]);
    assert_eq!(skipped, 0);
    let amounts: Vec<u64> = events
        .iter()
        .map(|e| match e.body {
            EventBody::Tip { tokens, .. } => tokens,
            ref other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(amounts, [25, 25, 7, 1000]);
}

#[test]
fn every_accepted_form_of_anonymous_is_anonymous() {
    use serde_json::json;
    for flag in [
        json!(true),
        json!("true"),
        json!("TRUE"),
        json!(1),
        json!("1"),
        json!("yes"),
        json!({}),
    ] {
        let (events, _) = parse(&[tip(1, json!(25), flag.clone())]);
        let ev = &events[0];
        assert!(ev.is_anonymous(), "{flag}");
        assert_eq!(ev.user, None, "{flag}");
        assert!(!line(ev).contains("secret_tipper"), "{flag}");
    }
    for flag in [
        json!(false),
        json!("false"),
        json!(0),
        json!("no"),
        json!(null),
    ] {
        let (events, _) = parse(&[tip(1, json!(25), flag.clone())]);
        assert!(!events[0].is_anonymous(), "{flag}");
    }
}

#[test]
fn an_anonymous_tip_that_cannot_be_typed_names_nobody_and_is_counted() {
    // 0.1.0: `tokens: -5` (or a fraction) made the tip `unknown`, and its raw object — username included —
    // went to stdout and into replays.
    use serde_json::json;
    let (events, skipped) = parse(&[
        tip(1, json!(-5), json!(true)),
        tip(2, json!(2.5), json!("true")),
        tip(3, json!("lots"), json!(1)),
        json!({"method": "tipX", "id": "1795000000000-4",
               "object": {"tip": {"tokens": 5, "isAnon": true}, "user": {"username": "secret_tipper"}}}),
        json!({"method": "gift", "id": "1795000000000-5", "isAnon": true, "user": "secret_tipper",
               "object": {"username": "secret_tipper", "fromUser": "secret_tipper"}}),
    ]);
    assert_eq!(events.len(), 5);
    for ev in &events {
        assert_eq!(ev.kind(), EventKind::Unknown);
        let text = line(ev);
        assert!(!text.contains("secret_tipper"), "{text}");
    }
    // The three `tip`s are money missing from the totals: counted as skipped (the others are not money).
    assert_eq!(skipped, 3);
    // A named tip that cannot be typed keeps its user in raw: only anonymity strips it.
    let (named, _) = parse(&[tip(9, json!(-5), json!(false))]);
    assert!(line(&named[0]).contains("secret_tipper"));
}

#[test]
fn a_lone_surrogate_keeps_the_rest_of_the_text() {
    // 0.1.0: the message became `unknown` with `raw: null`.
    let body = r#"{"events":[{"method":"chatMessage","id":"1795000000000-0","object":{"message":{"message":"hi \ud800 there \ud83d\ude00"},"user":{"username":"bob"}}}]}"#;
    let r = reply(body);
    match &r.events[0].body {
        EventBody::ChatMessage { message } => assert_eq!(message, "hi \u{fffd} there \u{1f600}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_huge_media_id_is_kept_digit_for_digit() {
    // 0.1.0 printed `1.2345678901234568e+29`.
    let body = r#"{"events":[{"method":"mediaPurchase","id":"1795000000000-0","object":{"media":{"id":123456789012345678901234567890,"name":"set","type":"photos","tokens":10},"user":{"username":"bob"}}}]}"#;
    let r = reply(body);
    let ev = &r.events[0];
    match &ev.body {
        EventBody::MediaPurchase { media, .. } => {
            assert_eq!(
                media.id,
                MediaId::Verbatim("123456789012345678901234567890".into())
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(
        line(ev).contains(r#""id":123456789012345678901234567890"#),
        "{}",
        line(ev)
    );
}

#[test]
fn headless_lines_escape_what_a_terminal_would_act_on() {
    let body = "{\"events\":[{\"method\":\"chatMessage\",\"id\":\"1795000000000-0\",\"object\":{\"message\":{\"message\":\"a\u{9b}31mb\u{202e}c\u{7f}\"},\"user\":{\"username\":\"bob\"}}}]}";
    let r = reply(body);
    let text = line(&r.events[0]);
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
    assert!(
        text.contains("\\u009b") && text.contains("\\u202e") && text.contains("\\u007f"),
        "{text}"
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["message"], "a\u{9b}31mb\u{202e}c\u{7f}",
        "same value once parsed"
    );
}

#[test]
fn twitch_kinds_write_their_headless_keys_and_anonymous_gifts_name_nobody() {
    use roomwatch::event::{Reward, UserInfo};
    let ev = |body: EventBody| RoomEvent {
        source: SourceKind::Twitch,
        id: "m-1".into(),
        at: received(),
        user: Some(UserInfo {
            username: "giver".into(),
            ..UserInfo::default()
        }),
        body,
        raw: None,
    };
    let cases = [
        (
            EventBody::Cheer {
                bits: 100,
                anonymous: true,
                message: "hi".into(),
            },
            r#""kind":"cheer","at":"2026-11-28T10:00:00.000Z","user":null,"bits":100,"anonymous":true,"message":"hi""#,
        ),
        (
            EventBody::SubGift {
                tier: "1000".into(),
                total: 5,
                anonymous: true,
            },
            r#""user":null,"tier":"1000","total":5,"anonymous":true"#,
        ),
        (
            EventBody::Subscription {
                tier: "2000".into(),
                is_gift: false,
            },
            r#""user":"giver","tier":"2000","is_gift":false"#,
        ),
        (
            EventBody::Resubscription {
                tier: "1000".into(),
                cumulative_months: 12,
                streak_months: None,
                message: "again".into(),
            },
            r#""user":"giver","tier":"1000","cumulative_months":12,"message":"again""#,
        ),
        (
            EventBody::Redemption {
                reward: Reward {
                    id: "r1".into(),
                    title: "Hydrate".into(),
                    cost: 500,
                },
                input: Some("now".into()),
            },
            r#""user":"giver","reward":{"id":"r1","title":"Hydrate","cost":500},"input":"now""#,
        ),
        (
            EventBody::Raid { viewers: 120 },
            r#""user":"giver","viewers":120"#,
        ),
        (
            EventBody::Moderation {
                action: "ban".into(),
                target: Some("troll".into()),
            },
            r#""user":"giver","action":"ban","target":"troll""#,
        ),
        (
            EventBody::StreamUpdate {
                viewers: Some(42),
                title: Some("t".into()),
                category: None,
            },
            r#""viewers":42,"title":"t""#,
        ),
    ];
    for (body, want) in cases {
        let text = line(&ev(body));
        assert!(text.contains(want), "{text}\nwant {want}");
        assert!(
            text.starts_with(r#"{"source":"twitch","room":"room","id":"m-1""#),
            "{text}"
        );
    }
    let cheer = ev(EventBody::Cheer {
        bits: 5,
        anonymous: true,
        message: String::new(),
    });
    assert_eq!(cheer.display_user(), None);
}

#[test]
fn anonymity_said_beside_the_typed_fields_is_anonymity() {
    // Found by review: a typed tip read only `object.tip.isAnon` and `object.isAnon`.
    use serde_json::json;
    let (events, _) = parse(&[
        json!({"method": "tip", "id": "1795000000000-1", "isAnon": true,
               "object": {"tip": {"tokens": 5}, "user": {"username": "secret_tipper"}}}),
        json!({"method": "tip", "id": "1795000000000-2",
               "object": {"tip": {"tokens": 5}, "user": {"username": "secret_tipper", "isAnon": "1"}}}),
        json!({"method": "mediaPurchase", "id": "1795000000000-3", "isAnonymous": true,
               "object": {"media": {"id": 1, "name": "set", "type": "photos", "tokens": 9},
                          "user": {"username": "secret_tipper"}}}),
        json!({"method": "tip", "id": "1795000000000-4",
               "object": {"tip": {"tokens": 5}, "user": {"username": "anonymous_fan", "isAnon": false}}}),
    ]);
    for ev in &events[..3] {
        assert_eq!(ev.user, None, "{ev:?}");
        assert!(!line(ev).contains("secret_tipper"));
    }
    assert!(events[0].is_anonymous() && events[1].is_anonymous());
    assert_eq!(
        events[3].username(),
        Some("anonymous_fan"),
        "a clear no names the tipper"
    );
}
