//! Every Twitch reference payload (copied from shared/reference/twitch/payloads into tests/fixtures/twitch) goes
//! through the EventSub parser: a notification is an event of the kind DESIGN.md's table names, or `unknown` with
//! its event kept raw; any other message is not an event — never a panic.

use chrono::{TimeZone, Utc};
use roomwatch::event::{write_json_line, EventBody, EventKind, RoomEvent, SourceKind};
use roomwatch::sources::twitch::parse_frame;
use serde_json::{json, Value};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/twitch")
}

fn received() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

fn parse(frame: &Value) -> Result<RoomEvent, &'static str> {
    let raw = serde_json::value::RawValue::from_string(frame.to_string()).unwrap();
    parse_frame(&raw, SourceKind::Twitch, received())
}

/// A WebSocket notification frame around a notification payload.
fn frame(id: &str, payload: Value) -> Value {
    json!({
        "metadata": {
            "message_id": id,
            "message_type": "notification",
            "message_timestamp": "2026-11-23T11:59:58.5Z",
        },
        "payload": payload,
    })
}

/// The kind DESIGN.md's table gives a subscription type; everything else is `unknown`.
fn expected(kind: &str) -> EventKind {
    match kind {
        "channel.chat.message" => EventKind::ChatMessage,
        "user.whisper.message" => EventKind::PrivateMessage,
        "channel.cheer" => EventKind::Cheer,
        "channel.subscribe" => EventKind::Subscription,
        "channel.subscription.message" => EventKind::Resubscription,
        "channel.subscription.gift" => EventKind::SubGift,
        "channel.channel_points_custom_reward_redemption.add" => EventKind::Redemption,
        "channel.follow" => EventKind::Follow,
        "channel.raid" => EventKind::Raid,
        "channel.moderate" => EventKind::Moderation,
        "stream.online" => EventKind::BroadcastStart,
        "stream.offline" => EventKind::BroadcastStop,
        "channel.update" => EventKind::RoomSubjectChange,
        _ => EventKind::Unknown,
    }
}

#[test]
fn every_reference_payload_is_an_event_of_its_kind_or_no_event() {
    let index: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir().join("index.json")).unwrap()).unwrap();
    let mut seen = 0;
    for entry in &index {
        let file = entry["file"].as_str().unwrap();
        let kind = entry["type"].as_str().unwrap_or_default();
        // Headers, the HMAC vector and webhook challenges are webhook material, not messages.
        if file.ends_with(".headers.json") || file.contains("hmac-vector") {
            continue;
        }
        let text = std::fs::read_to_string(dir().join(file)).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let (got, want) = if value.get("metadata").is_some() {
            // A whole WebSocket frame: only notifications are events.
            let is_notification = value["metadata"]["message_type"] == "notification";
            let got = parse(&value);
            assert_eq!(got.is_ok(), is_notification, "{file}: {got:?}");
            let Ok(ev) = got else { continue };
            (ev, expected(kind))
        } else if value.get("subscription").is_some() {
            let has_event = value.get("event").is_some_and(|e| e.is_object());
            let ev = parse(&frame(file, value)).unwrap_or_else(|e| panic!("{file}: {e}"));
            let want = if has_event {
                expected(kind)
            } else {
                EventKind::Unknown
            };
            (ev, want)
        } else {
            // An event object alone (or a fragment): as the payload of its type.
            let payload = json!({"subscription": {"type": kind}, "event": value});
            let ev = parse(&frame(file, payload)).unwrap_or_else(|e| panic!("{file}: {e}"));
            // A fragment is a sub-object, not an event: whatever it reads as, it must not panic.
            let fragment = entry["kind"]
                .as_str()
                .unwrap_or_default()
                .contains("fragment");
            let want = if fragment { ev.kind() } else { expected(kind) };
            (ev, want)
        };
        assert_eq!(got.kind(), want, "{file}");
        assert_eq!(got.source, SourceKind::Twitch);
        assert!(got.raw.is_some(), "{file}: the journal keeps the frame");
        if let EventBody::Unknown { method, .. } = &got.body {
            assert_eq!(method, kind, "{file}");
        }
        // The headless line is one JSON object whatever the payload.
        let mut line = Vec::new();
        write_json_line(&mut line, "chan", &got).unwrap();
        let v: Value = serde_json::from_slice(&line).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(v["source"], "twitch");
        seen += 1;
    }
    assert!(seen >= 60, "{seen} payloads parsed");
}

fn fixture_event(file: &str) -> RoomEvent {
    let text = std::fs::read_to_string(dir().join(file)).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    parse(&frame("m-1", value)).unwrap()
}

fn line_of(ev: &RoomEvent) -> Value {
    let mut line = Vec::new();
    write_json_line(&mut line, "chan", ev).unwrap();
    serde_json::from_slice(&line).unwrap()
}

#[test]
fn the_headless_keys_of_each_kind_are_design_md_s() {
    let cheer = line_of(&fixture_event("channel.cheer_1_twitch-api.json"));
    assert_eq!(
        cheer,
        json!({"source": "twitch", "room": "chan", "id": "m-1", "kind": "cheer",
               "at": "2026-11-23T11:59:58.500Z", "user": "cool_user", "bits": 1000, "anonymous": false,
               "message": "pogchamp"})
    );
    let chat = line_of(&fixture_event("channel.chat.message_1_twitch-api.json"));
    assert_eq!(
        chat["user"], "viewer32",
        "the login, never the display name"
    );
    assert_eq!(chat["message"], "Hi chat");
    assert_eq!(
        chat["badges"],
        json!(["moderator", "subscriber", "sub-gifter"])
    );
    let gift = line_of(&fixture_event(
        "channel.subscription.gift_1_twitch-api.json",
    ));
    assert_eq!(
        (gift["tier"].clone(), gift["total"].clone()),
        (json!("1000"), json!(2))
    );
    let resub = line_of(&fixture_event(
        "channel.subscription.message_1_twitch-api.json",
    ));
    assert_eq!(resub["cumulative_months"], 15);
    assert_eq!(resub["streak_months"], 1);
    let redemption = line_of(&fixture_event(
        "channel.channel_points_custom_reward_redemption.add_1_twitch-api.json",
    ));
    assert_eq!(
        redemption["reward"],
        json!({"id": "9001", "title": "title", "cost": 100})
    );
    assert_eq!(redemption["input"], "pogchamp");
    let raid = line_of(&fixture_event("channel.raid_1_twitch-api.json"));
    assert_eq!(
        (raid["user"].clone(), raid["viewers"].clone()),
        (json!("cool_user"), json!(9001))
    );
    let timeout = line_of(&fixture_event("channel.moderate_2_twitch-api-timeout.json"));
    assert_eq!(
        (
            timeout["user"].clone(),
            timeout["action"].clone(),
            timeout["target"].clone()
        ),
        (json!("nerixyz"), json!("timeout"), json!("twitchdev"))
    );
    let update = line_of(&fixture_event("channel.update_2_twitch-api.json"));
    assert_eq!(update["subject"], "Best Stream Ever");
    assert_eq!(update["category"], "Grand Theft Auto");
    let whisper = line_of(&fixture_event("user.whisper.message_1_twitch-api.json"));
    assert_eq!(whisper["user"], "glowillig");
    assert_eq!(whisper["message"], "a secret");
}

#[test]
fn anonymous_cheers_and_gifts_are_never_named() {
    for (kind, event) in [
        (
            "channel.cheer",
            json!({"is_anonymous": true, "user_login": "hidden_fan", "bits": 500, "message": "x"}),
        ),
        (
            "channel.subscription.gift",
            json!({"is_anonymous": true, "user_login": "hidden_fan", "tier": "2000", "total": 5}),
        ),
    ] {
        let ev = parse(&frame(
            "a",
            json!({"subscription": {"type": kind}, "event": event}),
        ))
        .unwrap();
        assert!(ev.is_anonymous(), "{kind}");
        assert!(ev.user.is_none(), "{kind}");
        let line = line_of(&ev);
        assert!(line["user"].is_null(), "{kind}: {line}");
        let mut text = Vec::new();
        write_json_line(&mut text, "chan", &ev).unwrap();
        assert!(!String::from_utf8(text).unwrap().contains("hidden_fan"));
    }
}

#[test]
fn hostile_and_drifting_messages_never_lose_the_event() {
    // A type Twitch added after this build: unknown, kept raw.
    let new_type = parse(&frame(
        "n",
        json!({"subscription": {"type": "channel.hype_train.begin", "version": "2"}, "event": {"level": 3}}),
    ))
    .unwrap();
    assert_eq!(
        new_type.body,
        EventBody::Unknown {
            method: "channel.hype_train.begin".into(),
            raw: json!({"level": 3})
        }
    );
    // A known type whose fields changed shape: unknown, not dropped.
    let drift = parse(&frame(
        "d",
        json!({"subscription": {"type": "channel.cheer"}, "event": {"bits": "a lot", "user_login": "x"}}),
    ))
    .unwrap();
    assert_eq!(drift.kind(), EventKind::Unknown);
    // `null` where arrays were documented, and a lone surrogate in chat.
    let chat = parse(&frame(
        "c",
        json!({"subscription": {"type": "channel.chat.message"},
               "event": {"chatter_user_login": "v", "badges": null, "message": {"text": "hi", "fragments": null}}}),
    ))
    .unwrap();
    assert_eq!(chat.kind(), EventKind::ChatMessage);
    let surrogate = r#"{"metadata":{"message_id":"s","message_type":"notification","message_timestamp":"x"},
        "payload":{"subscription":{"type":"channel.chat.message"},"event":{"chatter_user_login":"v","message":{"text":"a\ud800b"}}}}"#;
    let raw = serde_json::value::RawValue::from_string(surrogate.into()).unwrap();
    let ev = parse_frame(&raw, SourceKind::Twitch, received()).unwrap();
    assert_eq!(
        ev.body,
        EventBody::ChatMessage {
            message: "a\u{fffd}b".into()
        }
    );
    assert_eq!(
        ev.at,
        received(),
        "an unreadable timestamp is the receive time"
    );
    // No id, a huge id, not a notification: not events.
    for bad in [
        json!({"metadata": {"message_id": "", "message_type": "notification"}, "payload": {}}),
        json!({"metadata": {"message_id": "x".repeat(600), "message_type": "notification"}, "payload": {}}),
        json!({"metadata": {"message_id": "k", "message_type": "session_keepalive"}, "payload": {}}),
        json!([1, 2]),
    ] {
        assert!(parse(&bad).is_err(), "{bad}");
    }
}

#[test]
fn an_anonymous_giver_stays_unnamed_even_when_the_event_does_not_read() {
    for (kind, event) in [
        (
            "channel.cheer",
            json!({"is_anonymous": true, "user_login": "secretalice", "user_name": "SecretAlice", "user_id": "7", "bits": null, "broadcaster_user_login": "chan"}),
        ),
        (
            "channel.cheer",
            json!({"is_anonymous": true, "user_login": "secretalice", "bits": "100"}),
        ),
        (
            "channel.subscription.gift",
            json!({"is_anonymous": true, "user_login": "secretalice", "tier": null}),
        ),
        (
            "channel.chat.notification",
            json!({"chatter_is_anonymous": true, "chatter_user_login": "secretalice",
            "community_sub_gift": {"total": 5}, "resub": {"gifter_is_anonymous": true, "gifter_user_login": "secretalice"}}),
        ),
    ] {
        let ev = parse(&frame(
            "a",
            json!({"subscription": {"type": kind}, "event": event}),
        ))
        .unwrap();
        assert_eq!(ev.kind(), EventKind::Unknown, "{kind}");
        let line = line_of(&ev);
        assert!(!line.to_string().contains("secretalice"), "{kind}: {line}");
        assert!(!line.to_string().to_lowercase().contains("secretalice"));
        if kind == "channel.cheer" && line["raw"].get("broadcaster_user_login").is_some() {
            assert_eq!(
                line["raw"]["broadcaster_user_login"], "chan",
                "the broadcaster stays"
            );
        }
    }
    // Unreadable as a value (a number beyond a float) and anonymous: dropped from the raw, never printed.
    let text = r#"{"metadata":{"message_id":"z","message_type":"notification"},
        "payload":{"subscription":{"type":"channel.cheer"},
        "event":{"is_anonymous":true,"user_login":"secretalice","bits":1e400}}}"#;
    let raw = serde_json::value::RawValue::from_string(text.into()).unwrap();
    let ev = parse_frame(&raw, SourceKind::Twitch, received()).unwrap();
    assert!(!line_of(&ev).to_string().contains("secretalice"));
    // A cheer without a login counts as anonymous: nobody to name, counted in the anonymous part.
    let ev = parse(&frame(
        "e",
        json!({"subscription": {"type": "channel.cheer"},
        "event": {"is_anonymous": false, "user_login": "", "bits": 5}}),
    ))
    .unwrap();
    assert!(ev.is_anonymous());
}

#[test]
fn the_envelope_is_read_as_far_as_it_goes() {
    // The subscription does not read, the metadata names the type: still a cheer.
    let f = json!({
        "metadata": {"message_id": "m4", "message_type": "notification", "message_timestamp": 12,
                     "subscription_type": "channel.cheer"},
        "payload": {"subscription": {"type": null}, "event": {"user_login": "bob", "bits": 50}},
    });
    let ev = parse(&f).unwrap();
    assert_eq!(ev.kind(), EventKind::Cheer);
    assert_eq!(
        ev.at,
        received(),
        "a timestamp that is no string is the receive time"
    );
    // The stream going off needs no event.
    let off = parse(&frame(
        "o",
        json!({"subscription": {"type": "stream.offline"}, "event": null}),
    ))
    .unwrap();
    assert_eq!(off.kind(), EventKind::BroadcastStop);
    // A number beyond a float in an unknown event: kept, as text.
    let big = r#"{"metadata":{"message_id":"b","message_type":"notification"},
        "payload":{"subscription":{"type":"channel.new_thing"},"event":{"n":1e400}}}"#;
    let raw = serde_json::value::RawValue::from_string(big.into()).unwrap();
    let ev = parse_frame(&raw, SourceKind::Twitch, received()).unwrap();
    match &ev.body {
        EventBody::Unknown { raw, .. } => assert!(raw.as_str().unwrap().contains("1e400")),
        other => panic!("{other:?}"),
    }
    // An unban request names its target in its family's object.
    let ev = parse(&frame("u", json!({"subscription": {"type": "channel.moderate"}, "event": {
        "moderator_user_login": "mod", "action": "approve_unban_request",
        "unban_request": {"is_approved": true, "user_login": "sorry_user", "moderator_message": "ok"},
        "ban": null}}))).unwrap();
    assert_eq!(line_of(&ev)["target"], "sorry_user");
}
