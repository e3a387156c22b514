//! Every reference payload (copied from shared/reference/chaturbate/payloads into tests/fixtures/chaturbate)
//! goes through the parser and gives what its index.json entry says: a typed event, an unknown event kept raw,
//! a skipped item, or a rejected reply — never a panic.
//!
//! Where the index records that cb-events or the poller judged a payload differently, our rule wins and is
//! written next to the file below (and in docs/decisions.md).

#[path = "payloads/twitch.rs"]
mod twitch;

use chrono::{TimeZone, Utc};
use roomwatch::event::{write_json_line, EventBody, EventKind, MediaId, RoomEvent, SourceKind};
use roomwatch::sources::chaturbate::methods::{self, kind_of};
use roomwatch::sources::chaturbate::{
    parse_event, parse_reply, parse_reply_by_items, NextUrl, ParsedReply, Raw,
};
use serde_json::{json, Value};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chaturbate")
}

fn index() -> Vec<Value> {
    let text = std::fs::read_to_string(dir().join("index.json")).expect("index.json");
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn read(file: &str) -> Vec<u8> {
    std::fs::read(dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn received() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

fn event_from(value: &Value) -> Result<RoomEvent, &'static str> {
    let raw = serde_json::value::RawValue::from_string(value.to_string()).unwrap();
    parse_event(&raw, SourceKind::Chaturbate, received())
}

/// Events whose known method arrives without the parts that give it meaning: kept as `unknown` (with method and
/// raw JSON), never dropped and never guessed.
const KEPT_AS_UNKNOWN: &[&str] = &[
    "userEnter-no-user_chaturbate-poller_tests-test_format_messages.json",
    "tip-no-tip_chaturbate-poller_tests-test_format_messages.json",
    "chatMessage-no-message_chaturbate-poller_tests-test_format_messages.json",
    "chatMessage-no-user_chaturbate-poller_tests-test_format_messages.json",
    "mediaPurchase-no-media_chaturbate-poller_tests-test_format_messages.json",
    "roomSubjectChange-no-subject_chaturbate-poller_tests-test_format_messages.json",
    "mediaPurchase-no-media_cb-events_tests-test_models-media_missing.json",
    "invalid-tip-evt-user_cb-events_tests-test_models-property_validation.json",
    "invalid-tip-evt-tip_cb-events_tests-test_models-property_validation.json",
    "invalid-chatMessage-evt-msg_cb-events_tests-test_models-property_validation.json",
    "invalid-roomSubjectChange-evt-subject_cb-events_tests-test_models-property_validation.json",
    "invalid-mediaPurchase-evt-media-3_cb-events_tests-test_models-property_validation.json",
    "tip-with-message-key_cb-events_tests-test_models-message_not_parsed.json",
    "tip-with-subject-key_cb-events_tests-test_models-subject_ignored.json",
    "roomSubjectChange-empty-object_cb-events_tests-test_models-type_mapping.json",
    "userEnter-empty-object_cb-events_tests-test_models-type_mapping.json",
    "userLeave-empty-object_cb-events_tests-test_models-type_mapping.json",
    "follow-empty-object_cb-events_tests-test_models-type_mapping.json",
    "unfollow-empty-object_cb-events_tests-test_models-type_mapping.json",
    "fanclubJoin-empty-object_cb-events_tests-test_models-type_mapping.json",
    "chatMessage-empty-object_cb-events_tests-test_models-type_mapping.json",
    "privateMessage-empty-object_cb-events_tests-test_models-type_mapping.json",
    "tip-empty-object_cb-events_tests-test_models-type_mapping.json",
    "mediaPurchase-empty-object_cb-events_tests-test_models-type_mapping.json",
    // `tokens` is the string "100": an amount we cannot trust is not counted as money.
    "invalid-tip-tokens-string_cb-events_tests-test_client-invalid_nested.json",
    // `subject: null` is not a subject.
    "roomSubjectChange-subject-null_cb-events-history_tests-models-test_models.json",
];

/// Replies whose envelope cannot be used at all (the only replies the poller retries).
const REJECTED: &[(&str, &str)] = &[
    (
        "response-envelope_chaturbate-docs_rest-example-response.txt",
        "not valid JSON",
    ),
    (
        "invalid-nonjson-200_cb-events_tests-test_polling_errors.txt",
        "not valid JSON",
    ),
    (
        "error429_cb-events_tests-test_polling_errors.txt",
        "not valid JSON",
    ),
    (
        "invalid-timeout400-array_cb-events_tests-test_polling_errors.json",
        "not a JSON object",
    ),
    (
        "invalid-toplevel-array_cb-events_tests-test_parser.json",
        "not a JSON object",
    ),
];

fn method_of(ev: &Value) -> &str {
    ev.get("method").and_then(Value::as_str).unwrap_or("")
}

/// Checks an event against the method it was sent with.
fn check_event(file: &str, ev: &RoomEvent, method: &str) {
    let expect_unknown = KEPT_AS_UNKNOWN.contains(&file) || kind_of(method).is_none();
    match (&ev.body, expect_unknown) {
        (EventBody::Unknown { method: m, raw }, true) => {
            assert_eq!(m, method, "{file}: unknown keeps the method");
            assert!(raw.is_object(), "{file}: unknown keeps the raw object");
        }
        (body, false) => assert_eq!(
            Some(body.kind()),
            kind_of(method),
            "{file}: expected a typed {method}"
        ),
        (body, true) => panic!("{file}: expected unknown:{method}, got {body:?}"),
    }
    if ev.is_anonymous() {
        assert_eq!(ev.user, None, "{file}: anonymous tippers are never named");
    }
    // Every event renders as one valid headless line.
    let mut line = Vec::new();
    write_json_line(&mut line, "room", ev).unwrap();
    let parsed: Value = serde_json::from_slice(&line).unwrap();
    assert_eq!(parsed["kind"], ev.kind().as_str(), "{file}");
    assert_eq!(parsed["id"], ev.id.as_str(), "{file}");
}

fn check_reply(file: &str, body: &[u8], reply: &ParsedReply) {
    let value: Value = serde_json::from_slice(body).unwrap();
    let items = value
        .get("events")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        reply.events.len() + reply.skipped.len(),
        items.len(),
        "{file}: every item is an event or a counted skip"
    );
    let mut events = reply.events.iter();
    for (i, item) in items.iter().enumerate() {
        let has_id = item
            .get("id")
            .is_some_and(|id| id.is_string() || id.is_number());
        if has_id {
            let ev = events.next().unwrap();
            assert_eq!(
                Some(ev.id.as_str()),
                item["id"].as_str(),
                "{file}: order kept"
            );
            let raw: Value = serde_json::from_str(ev.raw.as_deref().unwrap()).unwrap();
            assert_eq!(&raw, item, "{file}: raw JSON kept for the journal");
            check_typed_in_reply(file, ev, method_of(item));
        } else {
            assert!(
                reply.skipped.iter().any(|s| s.index == i),
                "{file}: item {i} skipped"
            );
        }
    }
}

/// Events inside test replies are often minimal (`{}` objects): typed when complete, else unknown — never lost.
fn check_typed_in_reply(file: &str, ev: &RoomEvent, method: &str) {
    match &ev.body {
        EventBody::Unknown { method: m, .. } => assert_eq!(m, method, "{file}"),
        body => assert_eq!(Some(body.kind()), kind_of(method), "{file}"),
    }
}

#[test]
fn every_reference_payload_gives_what_the_index_says() {
    let entries = index();
    assert_eq!(entries.len(), 141, "the fixture set is complete");
    let mut checked = 0;
    for entry in &entries {
        let file = entry["file"].as_str().unwrap();
        let kind = entry["kind"].as_str().unwrap();
        let methods: Vec<&str> = entry["methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        let body = read(file);
        match kind {
            "response" | "response-text" | "error-body" => {
                let result = parse_reply(&body, SourceKind::Chaturbate, received(), Raw::Keep);
                match REJECTED.iter().find(|(f, _)| *f == file) {
                    Some((_, why)) => {
                        let err = result.expect_err(file).to_string();
                        assert!(err.contains(why), "{file}: {err}");
                    }
                    None => {
                        let reply = result.unwrap_or_else(|e| panic!("{file}: {e}"));
                        check_reply(file, &body, &reply);
                        let value: Value = serde_json::from_slice(&body).unwrap();
                        let items = value["events"].as_array().cloned().unwrap_or_default();
                        let mut seen: Vec<String> = reply
                            .events
                            .iter()
                            .map(|e| match &e.body {
                                EventBody::Unknown { method, .. } => method.clone(),
                                b => methods::method_of(b.kind()).unwrap().to_string(),
                            })
                            .collect();
                        seen.extend(
                            reply
                                .skipped
                                .iter()
                                .map(|s| method_of(&items[s.index]).to_string()),
                        );
                        for m in &methods {
                            assert!(
                                seen.iter().any(|s| s == m),
                                "{file}: method {m} accounted for"
                            );
                        }
                    }
                }
            }
            "event" => {
                let value: Value = serde_json::from_slice(&body).unwrap();
                let ev = event_from(&value).unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_eq!(methods, vec![method_of(&value)], "{file}");
                check_event(file, &ev, method_of(&value));
            }
            "object" => {
                let object: Value = serde_json::from_slice(&body).unwrap();
                // Objects are wrapped in an envelope, as the index's cb-events check did.
                let method = methods.first().copied().unwrap_or("tip");
                let ev = event_from(
                    &json!({"method": method, "id": "1625274862454-0", "object": object}),
                )
                .unwrap();
                check_event(file, &ev, method);
            }
            "fragment-user" => {
                let user: Value = serde_json::from_slice(&body).unwrap();
                let ev = event_from(
                    &json!({"method": "userEnter", "id": "1", "object": {"user": user}}),
                )
                .unwrap();
                check_event(file, &ev, "userEnter");
                assert_eq!(ev.username(), user["username"].as_str());
            }
            "fragment-message" | "fragment-tip" => {
                let part: Value = serde_json::from_slice(&body).unwrap();
                let key = if kind == "fragment-tip" {
                    "tip"
                } else {
                    "message"
                };
                let ev = event_from(&json!({"method": methods[0], "id": "1", "object": {
                    key: part, "user": {"username": "someone"}}}))
                .unwrap();
                check_event(file, &ev, methods[0]);
            }
            "http-metadata" => {
                let meta: Value = serde_json::from_slice(&body).unwrap();
                assert!(meta.is_object(), "{file}");
            }
            other => panic!("{file}: kind {other} not covered"),
        }
        checked += 1;
    }
    assert_eq!(checked, entries.len());
}

#[test]
fn the_captured_testbed_reply_is_read_exactly() {
    let body = read("response-mixed_cb-events_examples-api_response.json");
    let reply = parse_reply(&body, SourceKind::Chaturbate, received(), Raw::Keep).unwrap();
    let kinds: Vec<&str> = reply.events.iter().map(|e| e.kind().as_str()).collect();
    assert_eq!(
        kinds,
        [
            "chat_message",
            "private_message",
            "tip",
            "tip",
            "tip",
            "unfollow",
            "follow",
            "room_subject_change"
        ]
    );
    let tips: Vec<(u64, bool, &str, Option<&str>)> = reply
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Tip {
                tokens,
                anonymous,
                message,
            } => Some((*tokens, *anonymous, message.as_str(), e.display_user())),
            _ => None,
        })
        .collect();
    // Straight from the capture: the anonymous tip's payload names the tipper; we do not.
    let raw: Value = serde_json::from_slice(&body).unwrap();
    let raw_tips: Vec<&Value> = raw["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["method"] == "tip")
        .collect();
    assert_eq!(tips.len(), raw_tips.len());
    for (ours, theirs) in tips.iter().zip(&raw_tips) {
        let tip = &theirs["object"]["tip"];
        assert_eq!(ours.0, tip["tokens"].as_u64().unwrap());
        assert_eq!(ours.1, tip["isAnon"].as_bool().unwrap());
        assert_eq!(
            ours.2,
            tip["message"].as_str().unwrap(),
            "tip-menu encoding kept"
        );
        if ours.1 {
            assert_eq!(ours.3, None);
            assert!(theirs["object"]["user"]["username"].is_string());
        } else {
            assert_eq!(ours.3, theirs["object"]["user"]["username"].as_str());
        }
    }
    assert!(tips.iter().any(|t| t.2 == "| hi"));
    assert!(tips.iter().any(|t| t.1), "the capture has an anonymous tip");
    let first = &reply.events[0];
    assert_eq!(first.at.timestamp_millis(), 1_755_376_889_458);
    assert!(first.user.as_ref().unwrap().is_follower);
    assert_eq!(
        reply.next_url,
        NextUrl::Given(raw["nextUrl"].as_str().unwrap().to_string())
    );
}

#[test]
fn anonymous_tip_lines_say_null_and_never_the_name() {
    let body = read("response-mixed_cb-events_examples-api_response.json");
    let reply = parse_reply(&body, SourceKind::Chaturbate, received(), Raw::Keep).unwrap();
    let mut out = Vec::new();
    for ev in &reply.events {
        write_json_line(&mut out, "room", ev).unwrap();
    }
    let text = String::from_utf8(out).unwrap();
    let anon: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["anonymous"] == true)
        .collect();
    assert!(!anon.is_empty());
    for line in anon {
        assert!(line.get("user").is_some_and(Value::is_null), "{line}");
    }
}

#[test]
fn media_ids_are_kept_as_number_or_string() {
    let doc = read("mediaPurchase-object_chaturbate-docs_methods-mediaPurchase.json");
    let object: Value = serde_json::from_slice(&doc).unwrap();
    let ev =
        event_from(&json!({"method": "mediaPurchase", "id": "1-0", "object": object})).unwrap();
    let EventBody::MediaPurchase { tokens, media } = &ev.body else {
        panic!("{ev:?}")
    };
    assert_eq!(*tokens, 25);
    assert_eq!(media.id, MediaId::Number(1));
    let named = read("mediaPurchase_cb-events_tests-test_models-media_parsed.json");
    let ev = event_from(&serde_json::from_slice(&named).unwrap()).unwrap();
    let EventBody::MediaPurchase { media, .. } = &ev.body else {
        panic!("{ev:?}")
    };
    assert_eq!(media.id, MediaId::Text("m1".into()));
}

#[test]
fn events_without_id_are_skipped_and_the_batch_still_advances() {
    let body = read("invalid-partial-missing-id_cb-events_tests-test_polling_success-lenient.json");
    let reply = parse_reply(&body, SourceKind::Chaturbate, received(), Raw::Keep).unwrap();
    assert_eq!(reply.events.len(), 1);
    assert_eq!(reply.events[0].id, "valid");
    assert_eq!(reply.skipped.len(), 1);
    assert_eq!(reply.skipped[0].reason, "event without an id");
}

#[test]
fn unknown_methods_are_kept_raw() {
    let ev = event_from(
        &json!({"method": "roomPasswordChange", "id": "1625274862454-3",
        "object": {"hint": "x"}}),
    )
    .unwrap();
    let mut line = Vec::new();
    write_json_line(&mut line, "room", &ev).unwrap();
    let v: Value = serde_json::from_slice(&line).unwrap();
    assert_eq!(v["kind"], "unknown");
    assert_eq!(v["method"], "roomPasswordChange");
    assert_eq!(v["raw"]["object"]["hint"], "x");
}

#[test]
fn loose_fields_never_lose_an_event() {
    // A flag of the wrong type, a user that is a string, extra keys: the tip still counts.
    let ev = event_from(&json!({"method": "tip", "id": "5", "extra": [1, 2],
        "object": {"tip": {"tokens": 35, "isAnon": "no", "message": 7, "new": {}},
                   "user": {"username": "bob", "isMod": "yes", "inFanclub": true, "more": null}}}))
    .unwrap();
    assert_eq!(
        ev.body,
        EventBody::Tip {
            tokens: 35,
            anonymous: false,
            message: String::new()
        }
    );
    let user = ev.user.unwrap();
    assert_eq!(
        (user.username.as_str(), user.is_mod, user.in_fanclub),
        ("bob", false, true)
    );
    let ev = event_from(
        &json!({"method": "tip", "id": "6", "object": {"tip": {"tokens": 5}, "user": "bob"}}),
    )
    .unwrap();
    assert_eq!(ev.kind(), EventKind::Tip);
    assert_eq!(ev.user, None);
}

#[test]
fn garbage_never_panics() {
    let samples: &[&[u8]] = &[
        b"",
        b"{",
        b"{\"events\": [",
        b"{\"events\": {}}",
        b"{\"events\": [1, \"x\", null, [], {}]}",
        b"{\"events\": [{\"id\": {}, \"method\": 5}]}",
        b"{\"events\": [{\"id\": \"1\", \"method\": \"tip\", \"object\": [1]}]}",
        b"{\"events\": [{\"id\": \"1\", \"method\": \"tip\", \"object\": {\"tip\": {\"tokens\": -5}}}]}",
        b"{\"events\": [{\"id\": \"1\", \"method\": \"tip\", \"object\": {\"tip\": {\"tokens\": 1e400}}}]}",
        b"\xff\xfe",
        b"null",
        b"[]",
    ];
    for s in samples {
        let _ = parse_reply(s, SourceKind::Chaturbate, received(), Raw::Keep);
    }
    let reply = parse_reply(samples[4], SourceKind::Chaturbate, received(), Raw::Keep).unwrap();
    assert_eq!((reply.events.len(), reply.skipped.len()), (0, 5));
    let neg = parse_reply(samples[7], SourceKind::Chaturbate, received(), Raw::Keep).unwrap();
    assert_eq!(
        neg.events[0].kind(),
        EventKind::Unknown,
        "a negative amount is not money"
    );
}

#[path = "support/events.rs"]
mod events;

/// A reply is read in one pass where it can be, with or without a journal; whatever that pass gives must be
/// what the item by item path gives (the events' text included), and it must leave to that path whatever it
/// is not sure of. Checked over every reference payload, realistic replies, and the hostile shapes each path
/// treats on its own.
#[test]
fn one_pass_and_item_by_item_agree() {
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    for entry in index() {
        let file = entry["file"].as_str().unwrap();
        let body = read(file);
        match entry["kind"].as_str().unwrap() {
            "response" | "response-text" | "error-body" => bodies.push(body),
            "event" => bodies.push(
                format!(r#"{{"events":[{}]}}"#, String::from_utf8(body).unwrap()).into_bytes(),
            ),
            "object" => {
                let object = String::from_utf8(body).unwrap();
                for method in entry["methods"].as_array().unwrap() {
                    bodies.push(
                        format!(
                            r#"{{"events":[{{"method":{method},"id":"1-0","object":{object}}}]}}"#
                        )
                        .into_bytes(),
                    );
                }
            }
            _ => {}
        }
    }
    let realistic = events::many(64).join(",");
    bodies.push(format!(r#"{{"events":[{realistic}],"nextUrl":"https://eventsapi.chaturbate.com/events/r/t/?i=1"}}"#).into_bytes());
    let tip =
        r#"{"method":"tip","id":"9-0","object":{"tip":{"tokens":5},"user":{"username":"u"}}}"#;
    for hostile in [
        // A lone surrogate in a string that is read, and in one that is skipped.
        r#"{"events":[{"method":"chatMessage","id":"1-0","object":{"message":{"message":"a\ud800b"},"user":{"username":"u"}}}]}"#.to_string(),
        r#"{"events":[{"method":"chatMessage","id":"1-0","object":{"message":{"message":"ab","x":"\udc00"},"user":{"username":"u"}}}]}"#.to_string(),
        // A repeated key, in the event, in its user, in the envelope.
        format!(r#"{{"events":[{{"method":"tip","method":"tip","id":"1-0","object":{{}}}},{tip}]}}"#),
        format!(r#"{{"events":[{{"method":"userEnter","id":"1-0","object":{{"user":{{"username":"a","username":"b"}}}}}},{tip}]}}"#),
        format!(r#"{{"events":[{tip}],"events":[]}}"#),
        format!(r#"{{"events":[{tip}],"nextUrl":"a","nextUrl":"b"}}"#),
        // Items that are not typed events: a list, a number, a numeric, empty or missing id, an unknown method.
        format!(r#"{{"events":[["tip","1-0",{{}}],{tip}]}}"#),
        format!(r#"{{"events":[7,{tip}]}}"#),
        format!(r#"{{"events":[{{"method":"follow","id":12,"object":{{"user":{{"username":"u"}}}}}},{tip}]}}"#),
        format!(r#"{{"events":[{{"method":"follow","id":"","object":{{"user":{{"username":"u"}}}}}},{tip}]}}"#),
        format!(r#"{{"events":[{{"method":"follow","object":{{"user":{{"username":"u"}}}}}},{tip}]}}"#),
        format!(r#"{{"events":[{{"method":"somethingNew","id":"1-0","object":{{}}}},{tip}]}}"#),
        format!(r#"{{"events":[{{"method":"follow","id":"{}","object":{{"user":{{"username":"u"}}}}}},{tip}]}}"#, "9".repeat(600)),
        // Escaped keys, an escaped id, anonymity in odd places.
        format!(r#"{{"\u0065vents":[{tip}]}}"#),
        r#"{"events":[{"method":"tip","id":"1\u002d0","object":{"tip":{"tokens":5,"isAnon":"yes"},"user":{"username":"u"}}}]}"#.to_string(),
        r#"{"events":[{"method":"tip","isAnon":1,"id":"1-0","object":{"tip":{"tokens":5},"user":{"username":"u"}}}]}"#.to_string(),
        // The envelope's odd shapes.
        r#"{"events":null,"nextUrl":null}"#.to_string(),
        r#"{"events":{},"nextUrl":""}"#.to_string(),
        format!(r#"{{"events":[{tip}],"nextUrl":5}}"#),
        format!(r#"{{"events":[{tip}]}} trailing"#),
        r#"[]"#.to_string(),
    ] {
        bodies.push(hostile.into_bytes());
    }
    // Invalid UTF-8 inside one string.
    bodies.push(
        [
            &br#"{"events":[{"method":"chatMessage","id":"1-0","object":{"message":{"message":"a"#
                [..],
            b"\xff",
            &br#"b"},"user":{"username":"u"}}}]}"#[..],
        ]
        .concat(),
    );
    for body in &bodies {
        let text = String::from_utf8_lossy(body);
        for raw in [Raw::Keep, Raw::Drop] {
            let item_by_item = parse_reply_by_items(body, SourceKind::Chaturbate, received(), raw);
            let one_pass = parse_reply(body, SourceKind::Chaturbate, received(), raw);
            assert_eq!(one_pass, item_by_item, "{raw:?} {text}");
        }
    }
}
