//! The summary of a recorded session (tests/fixtures/session_journal.jsonl, real payloads): snapshot of the
//! JSON and the Markdown, and the totals checked against figures computed straight from the fixture.

use chrono::{DateTime, TimeZone, Utc};
use roomwatch::app::{update, ExitReason, Marker, Msg, State};
use roomwatch::effects::summary::{self, Summary, SummaryMeta};
use roomwatch::effects::summary_md;
use roomwatch::sources::replay::{self, Pacing, Replay};
use roomwatch::sources::{ConnState, ConnStatus, ErrorClass, SourceMsg};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/session_journal.jsonl")
}

fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 8, 16, h, m, s).unwrap()
}

/// Plays the fixture through the replay source and the reducer, as `roomwatch replay` does.
fn recorded_session() -> State {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let opened = Replay::open(&fixture()).unwrap();
        let mut state = State::new(opened.room.clone(), opened.source, t(20, 0, 0));
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        tokio::spawn(replay::run(opened, Pacing::Instant, tx));
        // Up to the end of the journal, not the end itself: the tests go on as a live session would (a room
        // that ended takes no more messages).
        while let Some(msg) = rx.recv().await {
            if msg == SourceMsg::Ended {
                break;
            }
            let msg = from_source(&state, msg);
            update(&mut state, msg, t(20, 45, 0));
        }
        state
    })
}

/// The fixture's events, read directly with serde_json (no roomwatch code).
fn fixture_events() -> (Vec<Value>, u64) {
    let text = std::fs::read_to_string(fixture()).unwrap();
    let mut events = Vec::new();
    let mut duplicates = 0;
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        if let Some(ev) = v.get("event") {
            events.push(ev.clone());
        }
        duplicates += v["duplicates_dropped"].as_u64().unwrap_or(0);
    }
    (events, duplicates)
}

/// A source message for the only room of `state`.
fn from_source(state: &State, msg: SourceMsg) -> Msg {
    Msg::Source(state.rooms[0].key.clone(), msg)
}

fn build(state: &State, exit: &ExitReason) -> Summary {
    summary::build(
        &state.rooms[0],
        &SummaryMeta {
            exit: Some(exit),
            ended_at: t(20, 45, 0),
            replay_of: Some("session_journal.jsonl"),
        },
    )
}

#[test]
fn totals_match_figures_computed_from_the_fixture() {
    let state = recorded_session();
    let s = build(&state, &ExitReason::EndOfReplay);
    let (events, duplicates) = fixture_events();
    let method = |e: &Value| e["method"].as_str().unwrap().to_string();
    let count = |m: &str| events.iter().filter(|e| method(e) == m).count() as u64;

    assert_eq!(s.events.total, events.len() as u64);
    assert_eq!(s.events.duplicates_dropped, duplicates);
    assert_eq!(s.events.by_kind["tip"], count("tip"));
    assert_eq!(s.events.by_kind["chat_message"], count("chatMessage"));
    assert_eq!(s.events.by_kind["broadcast_start"], count("broadcastStart"));
    assert_eq!(s.events.by_kind.values().sum::<u64>(), s.events.total);

    let tips: Vec<&Value> = events.iter().filter(|e| method(e) == "tip").collect();
    let tokens = |e: &Value| e["object"]["tip"]["tokens"].as_u64().unwrap();
    let anon = |e: &Value| e["object"]["tip"]["isAnon"].as_bool().unwrap_or(false);
    assert_eq!(s.tips.count, tips.len() as u64);
    assert_eq!(s.tips.tokens, tips.iter().map(|e| tokens(e)).sum::<u64>());
    let anon_tips: Vec<&&Value> = tips.iter().filter(|e| anon(e)).collect();
    assert!(!anon_tips.is_empty(), "the fixture has anonymous tips");
    assert_eq!(s.tips.anonymous.count, anon_tips.len() as u64);
    assert_eq!(
        s.tips.anonymous.tokens,
        anon_tips.iter().map(|e| tokens(e)).sum::<u64>()
    );
    let mut ledger: HashMap<String, (u64, u64)> = HashMap::new();
    for e in tips.iter().filter(|e| !anon(e)) {
        let user = e["object"]["user"]["username"]
            .as_str()
            .unwrap()
            .to_string();
        let entry = ledger.entry(user).or_default();
        entry.0 += tokens(e);
        entry.1 += 1;
    }
    for top in &s.tips.top {
        assert_eq!(ledger[&top.user], (top.tokens, top.count), "{}", top.user);
    }
    let best = ledger.values().map(|v| v.0).max().unwrap();
    assert_eq!(s.tips.top[0].tokens, best);
    let biggest = tips.iter().map(|e| tokens(e)).max().unwrap();
    assert_eq!(s.tips.biggest.as_ref().unwrap().tokens, biggest);

    let media: Vec<&Value> = events
        .iter()
        .filter(|e| method(e) == "mediaPurchase")
        .collect();
    let media_tokens: u64 = media
        .iter()
        .map(|e| e["object"]["media"]["tokens"].as_u64().unwrap())
        .sum();
    assert_eq!(s.media_purchases.count, media.len() as u64);
    assert_eq!(s.media_purchases.tokens, media_tokens);
    assert_eq!(s.tokens_total, s.tips.tokens + media_tokens);
    let bucketed: u64 = s.tokens_per_5min.iter().map(|b| b.tokens).sum();
    assert_eq!(bucketed, s.tokens_total);

    assert_eq!(s.follows, count("follow"));
    assert_eq!(s.unfollows, count("unfollow"));
    assert_eq!(s.fanclub_joins, count("fanclubJoin"));
    assert_eq!(s.viewers.enters, count("userEnter"));
    assert_eq!(s.viewers.leaves, count("userLeave"));
    let chatters: HashSet<&str> = events
        .iter()
        .filter(|e| method(e) == "chatMessage")
        .map(|e| e["object"]["user"]["username"].as_str().unwrap())
        .collect();
    assert_eq!(s.chat.messages, count("chatMessage"));
    assert_eq!(s.chat.private_messages, count("privateMessage"));
    assert_eq!(s.chat.unique_chatters, chatters.len() as u64);
}

#[test]
fn anonymous_tippers_are_never_named_in_the_summary() {
    // The fixture with the anonymous tippers renamed to a name seen nowhere else.
    let text = std::fs::read_to_string(fixture()).unwrap();
    let mut renamed = 0;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let mut v: Value = serde_json::from_str(line).unwrap();
            let ev = &mut v["event"];
            if ev["method"] == "tip" && ev["object"]["tip"]["isAnon"] == true {
                ev["object"]["user"]["username"] = "hidden_anon_tipper".into();
                renamed += 1;
            }
            v.to_string()
        })
        .collect();
    assert!(renamed > 0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("anon.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let state = rt.block_on(async {
        let opened = Replay::open(&path).unwrap();
        let mut state = State::new(opened.room.clone(), opened.source, t(20, 0, 0));
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        tokio::spawn(replay::run(opened, Pacing::Instant, tx));
        while let Some(msg) = rx.recv().await {
            let msg = from_source(&state, msg);
            update(&mut state, msg, t(20, 45, 0));
        }
        state
    });
    let s = build(&state, &ExitReason::EndOfReplay);
    assert_eq!(s.tips.anonymous.count, renamed);
    let json = String::from_utf8(summary::to_json(&s)).unwrap();
    let md = summary_md::render(&s);
    assert!(!json.contains("hidden_anon_tipper"), "{json}");
    assert!(!md.contains("hidden_anon_tipper"), "{md}");
    assert!(md.contains("anonymous: "));
}

#[test]
fn snapshot_of_the_recorded_session() {
    let mut state = recorded_session();
    // What the TUI adds during a stream: a marker, and an outage seen by the poller.
    state.rooms[0].markers.push(Marker {
        at: t(20, 12, 30),
        note: "started | the *wheel* game".into(),
    });
    let mut errors = BTreeMap::new();
    errors.insert(ErrorClass::Status(502).key(), 2);
    errors.insert(ErrorClass::Timeout.key(), 1);
    let down = ConnStatus {
        state: ConnState::Retrying {
            attempt: 1,
            next_in: Duration::from_secs(2),
            last: ErrorClass::Status(502),
        },
        since: Some(t(20, 20, 0)),
        requests: 140,
        retries: 3,
        errors_by_class: errors,
        socket: None,
    };
    let up = ConnStatus {
        state: ConnState::Live,
        since: Some(t(20, 20, 42)),
        ..down.clone()
    };
    let msg = from_source(&state, SourceMsg::Status(down));
    update(&mut state, msg, t(20, 20, 0));
    let msg = from_source(&state, SourceMsg::Status(up));
    update(&mut state, msg, t(20, 20, 42));
    let s = build(&state, &ExitReason::QuitKey);
    assert_eq!(s.connection.longest_outage_s, 42.0);
    insta::assert_json_snapshot!("recorded_session_summary", s);
    insta::assert_snapshot!("recorded_session_markdown", summary_md::render(&s));
}
