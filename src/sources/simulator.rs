//! The built-in simulator behind `roomwatch demo`: a seeded, deterministic room that speaks the Chaturbate
//! event shape, so it goes through the same parser, journal and replay as a real feed.

use super::{Batch, ConnState, ConnStatus, SourceMsg};
use crate::event::SourceKind;
use crate::sources::chaturbate::parse_event;
use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
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
    /// Debug builds' fault injection: panic after this many batches (the source-panic exit-path tests).
    pub panic_after_batches: Option<u64>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            rate: 4.0,
            room: "demo_room".into(),
            panic_after_batches: None,
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
    present_count: usize,
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
            present_count: 0,
        }
    }

    fn user(&self, idx: usize) -> WireUser<'_> {
        let u = &self.users[idx];
        WireUser {
            username: &u.name,
            in_fanclub: u.in_fanclub,
            is_mod: u.is_mod,
            is_follower: u.is_follower,
            has_tokens: true,
            recent_tips: u.recent_tips,
            gender: "m",
            subgender: "",
            color_group: if u.is_mod {
                "m"
            } else if u.in_fanclub {
                "f"
            } else {
                "tr"
            },
            is_owner: false,
        }
    }

    fn pick(&mut self, present: bool) -> usize {
        // A few random probes find a match almost always; the scan is the rare fallback.
        for _ in 0..16 {
            let i = self.rng.usize(0..self.users.len());
            if self.users[i].present == present {
                return i;
            }
        }
        let candidates: Vec<usize> = (0..self.users.len())
            .filter(|&i| self.users[i].present == present)
            .collect();
        if candidates.is_empty() {
            self.rng.usize(0..self.users.len())
        } else {
            candidates[self.rng.usize(0..candidates.len())]
        }
    }

    /// The next event as the platform's JSON text, stamped at `at_ms` (milliseconds since the epoch).
    pub fn next_event(&mut self, at_ms: i64) -> String {
        // Ids are `<ms>-<n>` and must stay unique and increasing even when several share a millisecond.
        let ms = at_ms.max(self.last_ms);
        self.seq = if ms == self.last_ms { self.seq + 1 } else { 0 };
        self.last_ms = ms;
        self.present_count = self.users.iter().filter(|u| u.present).count();
        let roll = self.rng.u32(0..1000);
        let mut obj = WireObject::default();
        let method;
        let actor: Option<usize>;
        match roll {
            _ if self.present_count < 8 || (roll < 140 && self.present_count < 120) => {
                let i = self.pick(false);
                self.users[i].present = true;
                method = "userEnter";
                actor = Some(i);
            }
            0..=239 => {
                let i = self.pick(true);
                self.users[i].present = false;
                method = "userLeave";
                actor = Some(i);
            }
            240..=679 => {
                method = "chatMessage";
                actor = Some(self.pick(true));
                obj.message = Some(WireMessage {
                    message: self.chat_text(),
                    color: "#494949",
                    font: "default",
                    from_user: None,
                    to_user: None,
                });
            }
            680..=829 => {
                method = "tip";
                actor = Some(self.pick(true));
                let tokens = match self.rng.u32(0..100) {
                    0..=59 => self.rng.u64(1..=25),
                    60..=89 => self.rng.u64(26..=99),
                    90..=97 => self.rng.u64(100..=500),
                    _ => self.rng.u64(501..=5000),
                };
                obj.tip = Some(WireTip {
                    tokens,
                    is_anon: self.rng.u8(0..10) == 0,
                    message: TIP_NOTES[self.rng.usize(0..TIP_NOTES.len())],
                });
            }
            830..=869 => {
                method = "privateMessage";
                let i = self.pick(true);
                actor = Some(i);
                obj.message = Some(WireMessage {
                    message: self.chat_text(),
                    color: "",
                    font: "default",
                    from_user: Some(i),
                    to_user: Some(()),
                });
            }
            870..=914 => {
                let i = self.pick(true);
                self.users[i].is_follower = true;
                method = "follow";
                actor = Some(i);
            }
            915..=929 => {
                let i = self.pick(true);
                self.users[i].is_follower = false;
                method = "unfollow";
                actor = Some(i);
            }
            930..=949 => {
                let i = self.pick(true);
                self.users[i].in_fanclub = true;
                method = "fanclubJoin";
                actor = Some(i);
            }
            950..=974 => {
                method = "mediaPurchase";
                actor = Some(self.pick(true));
                let video = self.rng.bool();
                let id = self.rng.u32(1..40);
                obj.media = Some(WireMedia {
                    id,
                    name: format!("{} set {id}", if video { "video" } else { "photo" }),
                    media_type: if video { "video" } else { "photos" },
                    tokens: self.rng.u64(10..=200),
                });
            }
            975..=984 => {
                method = "roomSubjectChange";
                actor = None;
                obj.subject = Some(SUBJECTS[self.rng.usize(0..SUBJECTS.len())]);
            }
            985..=989 => {
                method = if self.rng.bool() {
                    "broadcastStop"
                } else {
                    "broadcastStart"
                };
                actor = None;
                obj.owner = true;
            }
            _ => {
                method = "roomPasswordChange";
                actor = None;
                obj.hint = Some("a method this version does not know");
            }
        }
        let owner = WireUser {
            username: &self.room,
            color_group: "o",
            is_owner: true,
            ..WireUser::default()
        };
        let user = match actor {
            Some(i) => Some(self.user(i)),
            None if obj.owner => Some(owner),
            None => None,
        };
        let message = obj.message.take().map(|m| WireMessageOut {
            message: m.message,
            color: m.color,
            font: m.font,
            bg_color: None,
            from_user: m.from_user.map(|i| self.users[i].name.as_str()),
            to_user: m.to_user.map(|()| self.room.as_str()),
        });
        let event = WireEvent {
            method,
            object: WireObjectOut {
                broadcaster: &self.room,
                user,
                message,
                tip: obj.tip,
                media: obj.media,
                subject: obj.subject,
                hint: obj.hint,
            },
            id: format!("{ms}-{}", self.seq),
        };
        serde_json::to_string(&event).expect("simulated events serialize")
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

/// The platform's event shape, written without building a `serde_json::Value` (the simulator can feed the
/// benchmarks at hundreds of thousands of events per second).
#[derive(Serialize)]
struct WireEvent<'a> {
    method: &'a str,
    object: WireObjectOut<'a>,
    id: String,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct WireUser<'a> {
    username: &'a str,
    in_fanclub: bool,
    is_mod: bool,
    is_follower: bool,
    has_tokens: bool,
    recent_tips: &'a str,
    gender: &'a str,
    subgender: &'a str,
    color_group: &'a str,
    is_owner: bool,
}

struct WireMessage {
    message: String,
    color: &'static str,
    font: &'static str,
    from_user: Option<usize>,
    to_user: Option<()>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireMessageOut<'a> {
    message: String,
    color: &'a str,
    font: &'a str,
    bg_color: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from_user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to_user: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireTip {
    tokens: u64,
    is_anon: bool,
    message: &'static str,
}

#[derive(Serialize)]
struct WireMedia {
    id: u32,
    name: String,
    #[serde(rename = "type")]
    media_type: &'static str,
    tokens: u64,
}

#[derive(Default)]
struct WireObject {
    message: Option<WireMessage>,
    tip: Option<WireTip>,
    media: Option<WireMedia>,
    subject: Option<&'static str>,
    hint: Option<&'static str>,
    owner: bool,
}

#[derive(Serialize)]
struct WireObjectOut<'a> {
    broadcaster: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<WireUser<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<WireMessageOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tip: Option<WireTip>,
    #[serde(skip_serializing_if = "Option::is_none")]
    media: Option<WireMedia>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'static str>,
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
    let mut batches = 0u64;
    let mut last_batch = start;
    loop {
        if cfg.rate > 0.0 {
            // No float of a gap can overflow the clock: past what an Instant holds, wait a day and look again.
            let wait = Duration::try_from_secs_f64(next_at).unwrap_or(Duration::MAX);
            let until = start
                .checked_add(wait)
                .unwrap_or_else(|| Instant::now() + MAX_WAIT);
            tokio::time::sleep_until(until.max(last_batch + MIN_BATCH_GAP)).await;
            last_batch = Instant::now();
        }
        batches += 1;
        if cfg.panic_after_batches.is_some_and(|n| batches > n) {
            panic!(
                "fault injection: simulator panic after {} batches",
                batches - 1
            );
        }
        let now_s = start.elapsed().as_secs_f64();
        let received_at = Utc::now();
        let mut events = Vec::new();
        while events.len() < MAX_BATCH && (cfg.rate <= 0.0 || next_at <= now_s) {
            let ms = start_ms + (next_at * 1000.0) as i64;
            let raw = serde_json::value::RawValue::from_string(model.next_event(ms))
                .expect("generated JSON");
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
        if cfg.rate <= 0.0 {
            // Flat out, a send into a channel with room never waits: without this, the first room would fill its
            // channel before the other rooms on the sources' thread made their first batch.
            tokio::task::yield_now().await;
        }
    }
}

/// Batches of a paced room are at least this far apart: a busy room delivers what is due every 20 ms, as a
/// network source delivers a reply's worth at once, instead of waking everything up per event (at 2000 events/s
/// that was ~700 wake-ups/s per room). Event times are untouched; events arrive at most 20 ms late.
const MIN_BATCH_GAP: Duration = Duration::from_millis(20);

/// The wait when the next simulated event lies beyond what the clock can hold.
const MAX_WAIT: Duration = Duration::from_secs(24 * 3600);

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

/// `n_batches` batches of `per_batch` parsed simulator events, `gap_ms` apart from [`fixed_start`]: recorded
/// sessions for the file-effect and replay tests.
#[cfg(test)]
pub(crate) fn recorded_batches(
    seed: u64,
    room: &str,
    n_batches: usize,
    per_batch: usize,
    gap_ms: i64,
) -> Vec<Batch> {
    let mut model = RoomModel::new(seed, room);
    (0..n_batches)
        .map(|b| {
            let received_at = fixed_start() + chrono::Duration::milliseconds(b as i64 * gap_ms);
            let events = (0..per_batch)
                .map(|i| {
                    let ms = received_at.timestamp_millis() + i as i64;
                    let raw =
                        serde_json::value::RawValue::from_string(model.next_event(ms).to_string())
                            .unwrap();
                    parse_event(&raw, SourceKind::Simulator, received_at).unwrap()
                })
                .collect();
            Batch {
                received_at,
                events,
                skipped: 0,
                duplicates_dropped: 0,
            }
        })
        .collect()
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
        let platform = crate::sources::platform::of(SourceKind::Simulator);
        assert_eq!(kinds.len(), platform.kinds.len(), "{kinds:?}");
        assert!(evs.iter().any(|e| e.is_anonymous()));
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
