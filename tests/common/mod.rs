//! Deterministic fixtures for the reducer and view tests: hand-made events and the simulator's seeded room.
#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use roomwatch::app::{update, Effects, Msg, Settings, State};
use roomwatch::event::{EventBody, RoomEvent, RoomKey, SourceKind, UserInfo};
use roomwatch::sources::chaturbate::parse_event;
use roomwatch::sources::simulator::{fixed_start, RoomModel};
use roomwatch::sources::{Batch, ConnState, ConnStatus, SourceMsg};

pub fn t0() -> DateTime<Utc> {
    fixed_start()
}

pub fn at(secs: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(secs)
}

/// The room of [`state`].
pub fn key() -> RoomKey {
    RoomKey::new(SourceKind::Simulator, "demo_room")
}

/// A source message for the room of [`state`].
pub fn from_source(msg: SourceMsg) -> Msg {
    Msg::Source(key(), msg)
}

pub fn state() -> State {
    state_with(Settings::default())
}

pub fn state_with(settings: Settings) -> State {
    let mut s = State::with_settings("demo_room", SourceKind::Simulator, t0(), settings);
    let viewport = roomwatch::ui::viewport(&s, 120, 40);
    update(&mut s, Msg::Resize(viewport), t0());
    s
}

pub fn user(name: &str) -> UserInfo {
    UserInfo {
        username: name.into(),
        ..UserInfo::default()
    }
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub fn ev(user_name: Option<&str>, body: EventBody, when: DateTime<Utc>) -> RoomEvent {
    let n = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    RoomEvent {
        source: SourceKind::Simulator,
        id: format!("{}-{n}", when.timestamp_millis()).into(),
        at: when,
        user: user_name.map(user),
        body,
        raw: Some("{\"raw\":true}".into()),
    }
}

pub fn chat(u: &str, text: &str, when: DateTime<Utc>) -> RoomEvent {
    ev(
        Some(u),
        EventBody::ChatMessage {
            message: text.into(),
        },
        when,
    )
}

pub fn tip(u: Option<&str>, tokens: u64, when: DateTime<Utc>) -> RoomEvent {
    ev(
        u,
        EventBody::Tip {
            tokens,
            anonymous: u.is_none(),
            message: String::new(),
        },
        when,
    )
}

pub fn pm(u: &str, text: &str, when: DateTime<Utc>) -> RoomEvent {
    ev(
        Some(u),
        EventBody::PrivateMessage {
            message: text.into(),
            from_user: Some(u.into()),
            to_user: Some("demo_room".into()),
        },
        when,
    )
}

pub fn enter(u: &str, when: DateTime<Utc>) -> RoomEvent {
    ev(Some(u), EventBody::UserEnter, when)
}

pub fn leave(u: &str, when: DateTime<Utc>) -> RoomEvent {
    ev(Some(u), EventBody::UserLeave, when)
}

pub fn batch(events: Vec<RoomEvent>, when: DateTime<Utc>) -> Msg {
    from_source(batch_of(events, when))
}

pub fn batch_of(events: Vec<RoomEvent>, when: DateTime<Utc>) -> SourceMsg {
    SourceMsg::Batch(Batch {
        received_at: when,
        events,
        skipped: 0,
        duplicates_dropped: 0,
    })
}

/// Feeds one batch at `when` to the first room of `s`.
pub fn feed(s: &mut State, events: Vec<RoomEvent>, when: DateTime<Utc>) -> Effects {
    feed_room(s, 0, events, when)
}

/// Feeds one batch at `when` to room `r` of `s`.
pub fn feed_room(s: &mut State, r: usize, events: Vec<RoomEvent>, when: DateTime<Utc>) -> Effects {
    let key = s.rooms[r].key.clone();
    update(s, Msg::Source(key, batch_of(events, when)), when)
}

pub fn live(s: &mut State, when: DateTime<Utc>) {
    let key = s.rooms[0].key.clone();
    update(
        s,
        Msg::Source(
            key,
            SourceMsg::Status(ConnStatus {
                state: ConnState::Live,
                since: Some(when),
                requests: 1,
                ..ConnStatus::default()
            }),
        ),
        when,
    );
}

/// `n` events of the seeded simulator room, one every 250 ms from `t0()`, parsed like a real feed.
pub fn simulated(seed: u64, n: usize) -> Vec<RoomEvent> {
    let mut m = RoomModel::new(seed, "demo_room");
    let start = t0().timestamp_millis();
    (0..n)
        .map(|i| {
            let when = start + i as i64 * 250;
            let raw = serde_json::value::RawValue::from_string(m.next_event(when).to_string())
                .expect("json");
            parse_event(&raw, SourceKind::Simulator, t0()).expect("event")
        })
        .collect()
}

/// Feeds simulated events in batches of 20 at their own times; returns the time of the last batch.
pub fn feed_simulated(s: &mut State, events: Vec<RoomEvent>) -> DateTime<Utc> {
    let mut last = t0();
    let mut it = events.into_iter().peekable();
    while it.peek().is_some() {
        let chunk: Vec<RoomEvent> = it.by_ref().take(20).collect();
        last = chunk.last().map(|e| e.at).unwrap_or(last);
        feed(s, chunk, last);
    }
    last
}
