//! The built-in simulator behind `roomwatch demo`: a seeded, deterministic room that speaks the Chaturbate
//! event shape, so it goes through the same parser, journal and replay as a real feed.

use super::{Batch, ConnState, ConnStatus, SourceMsg};
use crate::event::SourceKind;
use crate::sources::chaturbate::parse_event;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Largest batch the simulator sends at once (the Events API sends similar sizes after an outage).
const MAX_BATCH: usize = 1000;

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: u64,
    /// Mean events per second; `0` means as fast as the consumer takes them.
    pub rate: f64,
    /// The broadcaster's name shown as the room.
    pub room: String,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            rate: 4.0,
            room: "demo_room".into(),
        }
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "ri", "mo", "ne", "zu", "lo", "ta", "shi", "va", "el", "ix", "or", "ban", "dy", "qu",
    "sol",
];

const CHAT: &[&str] = &[
    "hi everyone",
    "hello from Berlin!",
    "you look amazing tonight",
    "what's the goal?",
    "lol",
    "first time here, love the vibe",
    "can you say hi to me? 😊",
    "¿de dónde eres?",
    "こんにちは！",
    "привет всем",
    "مرحبا",
    "🔥🔥🔥",
    "brb",
    "that song is great, what is it?",
    "tip train incoming 🚂",
    "e\u{301}clair with a combining accent",
];

const TIP_NOTES: &[&str] = &[
    "",
    "| thanks!",
    "| you're the best",
    "Flash | ",
    "Song request | play something fun",
    "Dance",
    "PM me",
    "| 🎉🎉",
    "Spin the wheel | good luck to me",
];

const SUBJECTS: &[&str] = &[
    "Goal: 500 tokens for a dance 💃 #fun",
    "Chill stream — tip menu active",
    "Wheel game! 50 tokens per spin",
];

/// A member of the simulated audience.
#[derive(Clone)]
struct SimUser {
    name: String,
    is_mod: bool,
    in_fanclub: bool,
    is_follower: bool,
    recent_tips: &'static str,
    present: bool,
}

/// Deterministic generator of Chaturbate-shaped events (the part that needs no clock).
pub struct RoomModel {
    rng: fastrand::Rng,
    users: Vec<SimUser>,
    room: String,
    seq: u64,
    last_ms: i64,
}

impl RoomModel {
    pub fn new(seed: u64, room: &str) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let tiers = ["none", "few", "some", "lots", "tons"];
        let users = (0..240)
            .map(|i| {
                let parts = 2 + rng.usize(0..2);
                let mut name: String = (0..parts)
                    .map(|_| SYLLABLES[rng.usize(0..SYLLABLES.len())])
                    .collect();
                if rng.bool() {
                    name.push_str(&format!("{}", rng.u32(1..999)));
                }
                name.push_str(&format!("_{i}"));
                SimUser {
                    name,
                    is_mod: i % 37 == 0,
                    in_fanclub: i % 11 == 0,
                    is_follower: rng.u8(0..3) == 0,
                    recent_tips: tiers[rng.usize(0..tiers.len())],
                    present: false,
                }
            })
            .collect();
        RoomModel {
            rng,
            users,
            room: room.to_string(),
            seq: 0,
            last_ms: 0,
        }
    }

    fn user_json(&self, idx: usize) -> Value {
        let u = &self.users[idx];
        json!({
            "username": u.name,
            "inFanclub": u.in_fanclub,
            "isMod": u.is_mod,
            "isFollower": u.is_follower,
            "hasTokens": true,
            "recentTips": u.recent_tips,
            "gender": "m",
            "subgender": "",
            "colorGroup": if u.is_mod { "m" } else if u.in_fanclub { "f" } else { "tr" },
        })
    }

    fn pick(&mut self, present: bool) -> usize {
        let candidates: Vec<usize> = (0..self.users.len())
            .filter(|&i| self.users[i].present == present)
            .collect();
        if candidates.is_empty() {
            self.rng.usize(0..self.users.len())
        } else {
            candidates[self.rng.usize(0..candidates.len())]
        }
    }

    /// The next event as the platform's JSON, stamped at `at_ms` (milliseconds since the epoch).
    pub fn next_event(&mut self, at_ms: i64) -> Value {
        // Ids are `<ms>-<n>` and must stay unique and increasing even when several share a millisecond.
        let ms = at_ms.max(self.last_ms);
        self.seq = if ms == self.last_ms { self.seq + 1 } else { 0 };
        self.last_ms = ms;
        let id = format!("{ms}-{}", self.seq);
        let present = self.users.iter().filter(|u| u.present).count();
        let roll = self.rng.u32(0..1000);
        let (method, object) = match roll {
            _ if present < 8 || (roll < 140 && present < 120) => {
                let i = self.pick(false);
                self.users[i].present = true;
                (
                    "userEnter",
                    json!({"broadcaster": self.room, "user": self.user_json(i)}),
                )
            }
            0..=239 => {
                let i = self.pick(true);
                self.users[i].present = false;
                (
                    "userLeave",
                    json!({"broadcaster": self.room, "user": self.user_json(i)}),
                )
            }
            240..=679 => {
                let i = self.pick(true);
                let text = self.chat_text();
                (
                    "chatMessage",
                    json!({"broadcaster": self.room, "user": self.user_json(i),
                    "message": {"message": text, "color": "#494949", "bgColor": null, "font": "default", "orig": null}}),
                )
            }
            680..=829 => {
                let i = self.pick(true);
                let tokens = match self.rng.u32(0..100) {
                    0..=59 => self.rng.u64(1..=25),
                    60..=89 => self.rng.u64(26..=99),
                    90..=97 => self.rng.u64(100..=500),
                    _ => self.rng.u64(501..=5000),
                };
                let anon = self.rng.u8(0..10) == 0;
                let note = TIP_NOTES[self.rng.usize(0..TIP_NOTES.len())];
                (
                    "tip",
                    json!({"broadcaster": self.room, "user": self.user_json(i),
                    "tip": {"tokens": tokens, "isAnon": anon, "message": note}}),
                )
            }
            830..=869 => {
                let i = self.pick(true);
                (
                    "privateMessage",
                    json!({"broadcaster": self.room, "user": self.user_json(i),
                    "message": {"message": self.chat_text(), "fromUser": self.users[i].name, "toUser": self.room,
                        "color": "", "bgColor": null, "font": "default"}}),
                )
            }
            870..=914 => {
                let i = self.pick(true);
                self.users[i].is_follower = true;
                (
                    "follow",
                    json!({"broadcaster": self.room, "user": self.user_json(i)}),
                )
            }
            915..=929 => {
                let i = self.pick(true);
                self.users[i].is_follower = false;
                (
                    "unfollow",
                    json!({"broadcaster": self.room, "user": self.user_json(i)}),
                )
            }
            930..=949 => {
                let i = self.pick(true);
                self.users[i].in_fanclub = true;
                (
                    "fanclubJoin",
                    json!({"broadcaster": self.room, "user": self.user_json(i)}),
                )
            }
            950..=974 => {
                let i = self.pick(true);
                let video = self.rng.bool();
                let mid = self.rng.u32(1..40);
                (
                    "mediaPurchase",
                    json!({"broadcaster": self.room, "user": self.user_json(i),
                    "media": {"id": mid, "name": format!("{} set {mid}", if video { "video" } else { "photo" }),
                        "type": if video { "video" } else { "photos" }, "tokens": self.rng.u64(10..=200)}}),
                )
            }
            975..=984 => {
                let s = SUBJECTS[self.rng.usize(0..SUBJECTS.len())];
                (
                    "roomSubjectChange",
                    json!({"broadcaster": self.room, "subject": s}),
                )
            }
            985..=989 => {
                let stop = self.rng.bool();
                let owner = json!({"username": self.room, "isOwner": true, "colorGroup": "o"});
                (
                    if stop {
                        "broadcastStop"
                    } else {
                        "broadcastStart"
                    },
                    json!({"broadcaster": self.room, "user": owner}),
                )
            }
            _ => (
                "roomPasswordChange",
                json!({"broadcaster": self.room, "hint": "a method this version does not know"}),
            ),
        };
        json!({"method": method, "object": object, "id": id})
    }

    fn chat_text(&mut self) -> String {
        match self.rng.u32(0..100) {
            // Hostile input: the TUI must neutralise escape sequences from the network.
            0 => "look \u{1b}]52;c;cm0gLXJmIH4=\u{7} \u{1b}[2J\u{1b}[31mred\u{1b}[0m \u{202e}desrever".into(),
            1..=4 => {
                let base = CHAT[self.rng.usize(0..CHAT.len())];
                format!("{base} — {}", "this is a long message that keeps going ".repeat(8))
            }
            _ => CHAT[self.rng.usize(0..CHAT.len())].into(),
        }
    }
}

/// Runs the simulator until the receiver goes away.
pub async fn run(cfg: SimConfig, tx: mpsc::Sender<SourceMsg>) {
    let mut model = RoomModel::new(cfg.seed, &cfg.room);
    let mut pacing = fastrand::Rng::with_seed(cfg.seed ^ 0x5eed);
    let status = ConnStatus {
        state: ConnState::Live,
        since: Some(Utc::now()),
        ..ConnStatus::default()
    };
    if tx.send(SourceMsg::Status(status)).await.is_err() {
        return;
    }
    let start = Instant::now();
    let start_ms = Utc::now().timestamp_millis();
    // Simulated time of the next event, in seconds since start.
    let mut next_at = 0.0f64;
    let mut burst_until = 0.0f64;
    loop {
        if cfg.rate > 0.0 {
            tokio::time::sleep_until(start + Duration::from_secs_f64(next_at)).await;
        }
        let now_s = start.elapsed().as_secs_f64();
        let received_at = Utc::now();
        let mut events = Vec::new();
        while events.len() < MAX_BATCH && (cfg.rate <= 0.0 || next_at <= now_s) {
            let ms = start_ms + (next_at * 1000.0) as i64;
            let raw = model.next_event(ms).to_string();
            let raw = serde_json::value::RawValue::from_string(raw).expect("generated JSON");
            if let Ok(ev) = parse_event(&raw, SourceKind::Simulator, received_at) {
                events.push(ev);
            }
            next_at += next_gap(&mut pacing, cfg.rate, next_at, &mut burst_until);
        }
        let batch = Batch {
            received_at,
            events,
            skipped: 0,
            duplicates_dropped: 0,
        };
        if tx.send(SourceMsg::Batch(batch)).await.is_err() {
            return;
        }
    }
}

/// Seconds to the next event: exponential gaps at `rate`, with a ten-times burst for a few seconds now and then.
fn next_gap(rng: &mut fastrand::Rng, rate: f64, now: f64, burst_until: &mut f64) -> f64 {
    if rate <= 0.0 {
        return 0.0;
    }
    if now >= *burst_until && rng.u32(0..(rate * 40.0).max(1.0) as u32) == 0 {
        *burst_until = now + 2.0 + rng.f64() * 3.0;
    }
    let r = if now < *burst_until {
        rate * 10.0
    } else {
        rate
    };
    -(1.0 - rng.f64()).ln() / r
}

/// The time the first simulated event carries when the model is used without a clock (tests, benches).
pub fn fixed_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 20, 0, 0).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;
    use std::collections::BTreeSet;

    fn events(seed: u64, n: usize) -> Vec<crate::event::RoomEvent> {
        let mut m = RoomModel::new(seed, "room");
        let t0 = fixed_start().timestamp_millis();
        (0..n)
            .map(|i| {
                let raw = serde_json::value::RawValue::from_string(
                    m.next_event(t0 + i as i64 * 250).to_string(),
                )
                .unwrap();
                parse_event(&raw, SourceKind::Simulator, fixed_start()).unwrap()
            })
            .collect()
    }

    #[test]
    fn same_seed_same_stream() {
        assert_eq!(events(7, 500), events(7, 500));
        assert_ne!(events(7, 50), events(8, 50));
    }

    #[test]
    fn covers_every_kind_with_unique_increasing_ids() {
        let evs = events(3, 5000);
        let kinds: BTreeSet<EventKind> = evs.iter().map(|e| e.kind()).collect();
        assert_eq!(kinds.len(), EventKind::ALL.len(), "{kinds:?}");
        assert!(evs.iter().any(|e| e.is_anonymous_tip()));
        let ids: Vec<(i64, u64)> = evs
            .iter()
            .map(|e| {
                let (a, b) = e.id.split_once('-').unwrap();
                (a.parse().unwrap(), b.parse().unwrap())
            })
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
    }
}
