//! Channels' live status as the channel watch polls it, whatever the platform: who is live since when, with
//! which title, category and viewers, and the changes between two polls (DESIGN.md "Channel watch").

use super::engine::Snapshot;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The watched channels at one poll, by login.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Channels {
    pub channels: BTreeMap<String, Channel>,
    /// When this poll was made.
    #[serde(default)]
    pub polled_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Report viewers when they move a whole step from the last count reported (0: never). Set by the poll,
    /// not saved.
    #[serde(skip)]
    pub viewer_step: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    pub live: bool,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub viewers: Option<u64>,
    /// The viewer count last reported (the diff's memory, so a wavering count does not flap).
    #[serde(default)]
    pub viewers_reported: Option<u64>,
}

impl Channels {
    /// The channels in the order the table and the API show them: live first (most viewers first), then by
    /// name.
    pub fn live_first(&self) -> Vec<(&str, &Channel)> {
        let mut all: Vec<(&str, &Channel)> =
            self.channels.iter().map(|(n, c)| (n.as_str(), c)).collect();
        all.sort_by(|a, b| {
            (b.1.live.cmp(&a.1.live))
                .then(b.1.viewers.unwrap_or(0).cmp(&a.1.viewers.unwrap_or(0)))
                .then(a.0.cmp(b.0))
        });
        all
    }
}

/// One change of one channel: DESIGN.md's `kind` and its `data`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelChange {
    pub channel: String,
    pub kind: &'static str,
    pub data: Value,
}

impl Snapshot for Channels {
    type Change = ChannelChange;

    fn diff(old: Option<&Self>, new: &mut Self) -> Vec<ChannelChange> {
        let mut out = Vec::new();
        let step = new.viewer_step;
        for (login, now) in new.channels.iter_mut() {
            let change = |kind, data| ChannelChange {
                channel: login.clone(),
                kind,
                data,
            };
            let went_live = |now: &Channel, initial: bool| {
                let mut data = json!({
                    "started_at": now.started_at, "title": now.title, "category": now.category,
                    "viewers": now.viewers,
                });
                if initial {
                    data["initial"] = json!(true);
                }
                change("went_live", data)
            };
            // How long a stream that ended lasted: to the last poll that saw it live (never the time
            // roomwatch was off or Twitch unreachable since).
            let lasted = |b: &Channel, seen: Option<chrono::DateTime<chrono::Utc>>| {
                let start = chrono::DateTime::parse_from_rfc3339(b.started_at.as_deref()?).ok()?;
                Some(
                    (seen? - start.with_timezone(&chrono::Utc))
                        .num_seconds()
                        .max(0),
                )
            };
            let before = old.and_then(|o| o.channels.get(login));
            let seen = old.and_then(|o| o.polled_at);
            match (before, now.live) {
                // No earlier state: report who is live now, nothing for the others.
                (None, true) => out.push(went_live(now, true)),
                (None, false) => {}
                (Some(b), true) if !b.live => out.push(went_live(now, false)),
                (Some(b), false) if b.live => {
                    out.push(change(
                        "went_offline",
                        json!({ "duration_s": lasted(b, seen) }),
                    ));
                }
                // Live at both polls, but another stream: the first ended, a new one began.
                (Some(b), true) if b.started_at != now.started_at => {
                    out.push(change(
                        "went_offline",
                        json!({ "duration_s": lasted(b, seen) }),
                    ));
                    out.push(went_live(now, false));
                }
                (Some(b), true) => {
                    if b.title != now.title {
                        let data = json!({"from": b.title, "to": now.title});
                        out.push(change("title_changed", data));
                    }
                    if b.category != now.category {
                        let data = json!({"from": b.category, "to": now.category});
                        out.push(change("category_changed", data));
                    }
                    // Reported when the count is a whole step away from the last one reported (or seen at
                    // going live), so a count wavering around a multiple does not flap.
                    let reported = b.viewers_reported.or(b.viewers);
                    now.viewers_reported = reported;
                    if let (Some(from), Some(to), true) = (reported, now.viewers, step > 0) {
                        if from.abs_diff(to) >= step {
                            out.push(change("viewers", json!({"from": from, "viewers": to})));
                            now.viewers_reported = Some(to);
                        }
                    }
                }
                (Some(_), false) => {}
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A live channel's title, category and viewers.
    type Live<'a> = Option<(&'a str, &'a str, u64)>;

    fn snap(entries: &[(&str, Live)]) -> Channels {
        Channels {
            channels: (entries.iter())
                .map(|(l, s)| {
                    let c = match s {
                        Some((title, cat, v)) => Channel {
                            live: true,
                            started_at: Some("2026-11-28T10:00:00Z".into()),
                            title: Some(title.to_string()),
                            category: Some(cat.to_string()),
                            viewers: Some(*v),
                            viewers_reported: None,
                        },
                        None => Channel::default(),
                    };
                    (l.to_string(), c)
                })
                .collect(),
            polled_at: None,
            viewer_step: 100,
        }
    }

    fn kinds(c: &[ChannelChange]) -> Vec<(String, &'static str)> {
        c.iter().map(|c| (c.channel.clone(), c.kind)).collect()
    }

    #[test]
    fn the_first_poll_announces_who_is_live_as_initial() {
        let c = Channels::diff(None, &mut snap(&[("a", Some(("t", "g", 5))), ("b", None)]));
        assert_eq!(kinds(&c), [("a".into(), "went_live")]);
        assert_eq!(c[0].data["initial"], true);
    }

    #[test]
    fn live_offline_title_category_and_viewer_steps() {
        let old = snap(&[
            ("a", Some(("t", "g", 150))),
            ("b", None),
            ("c", Some(("x", "y", 10))),
        ]);
        let mut new = snap(&[
            ("a", Some(("t2", "g2", 260))),
            ("b", Some(("hi", "g", 1))),
            ("c", None),
        ]);
        let c = Channels::diff(Some(&old), &mut new);
        assert_eq!(
            kinds(&c),
            [
                ("a".into(), "title_changed"),
                ("a".into(), "category_changed"),
                ("a".into(), "viewers"),
                ("b".into(), "went_live"),
                ("c".into(), "went_offline"),
            ]
        );
        assert_eq!(c[2].data, json!({"from": 150, "viewers": 260}));
        assert!(c[3].data.get("initial").is_none());
        // Within the same hundred: no viewers line.
        let mut quiet = snap(&[("a", Some(("t2", "g2", 299)))]);
        assert!(
            Channels::diff(Some(&snap(&[("a", Some(("t2", "g2", 260)))])), &mut quiet).is_empty()
        );
    }

    #[test]
    fn a_count_wavering_around_a_step_does_not_flap() {
        let mut prev = snap(&[("a", Some(("t", "g", 99)))]);
        let mut lines = 0;
        for v in [100, 99, 100, 99, 101, 150, 198, 199] {
            let mut now = snap(&[("a", Some(("t", "g", v)))]);
            lines += Channels::diff(Some(&prev), &mut now).len();
            prev = now;
        }
        assert_eq!(lines, 1, "only 99 → 199 is a whole step");
    }

    #[test]
    fn a_new_stream_between_polls_and_durations_to_the_last_poll_seen_live() {
        let at = |s: &str| Some(chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc());
        let mut old = snap(&[("a", Some(("t", "g", 5)))]);
        old.polled_at = at("2026-11-28T11:00:00Z");
        // Ten hours later (roomwatch was off): the stream of 10:00 ended, another began at 20:00.
        let mut new = snap(&[("a", Some(("t", "g", 5)))]);
        new.channels.get_mut("a").unwrap().started_at = Some("2026-11-28T20:00:00Z".into());
        let c = Channels::diff(Some(&old), &mut new);
        assert_eq!(
            kinds(&c),
            [("a".into(), "went_offline"), ("a".into(), "went_live")]
        );
        assert_eq!(
            c[0].data["duration_s"], 3600,
            "to the last poll that saw it, not to now"
        );
        let mut gone = snap(&[("a", None)]);
        let c = Channels::diff(Some(&old), &mut gone);
        assert_eq!(c[0].data["duration_s"], 3600);
    }

    /// What the changes say about a channel: whether it is live and, if so, which stream with which title and
    /// category (the viewer count is reported in steps only).
    type Seen = BTreeMap<String, Option<(Option<String>, Option<String>, Option<String>)>>;

    fn seen(c: &Channels) -> Seen {
        (c.channels.iter())
            .map(|(l, c)| {
                let live = c
                    .live
                    .then(|| (c.started_at.clone(), c.title.clone(), c.category.clone()));
                (l.clone(), live)
            })
            .collect()
    }

    /// Replays one change over what is known.
    fn replay(known: &mut Seen, c: &ChannelChange) {
        let text = |v: &Value| v.as_str().map(str::to_string);
        let entry = known.entry(c.channel.clone()).or_insert(None);
        match c.kind {
            "went_live" => {
                let d = &c.data;
                *entry = Some((
                    text(&d["started_at"]),
                    text(&d["title"]),
                    text(&d["category"]),
                ));
            }
            "went_offline" => *entry = None,
            "title_changed" => entry.as_mut().expect("live").1 = text(&c.data["to"]),
            "category_changed" => entry.as_mut().expect("live").2 = text(&c.data["to"]),
            "viewers" => assert!(entry.is_some(), "viewers of an offline channel"),
            other => panic!("unknown change {other}"),
        }
    }

    /// A live channel at one poll: (stream, title, category, viewers); `None` offline.
    type Stream = Option<(u8, u8, u8, u64)>;

    /// A poll: a failure, or each of four channels offline or live (stream, title, category, viewers).
    fn poll_strategy() -> impl proptest::strategy::Strategy<Value = Option<Vec<Stream>>> {
        let channel = proptest::option::of((0u8..3, 0u8..3, 0u8..3, 0u64..1000));
        proptest::option::weighted(0.8, proptest::collection::vec(channel, 4))
    }

    fn build(poll: &[Stream], at: i64) -> Channels {
        Channels {
            channels: (poll.iter().enumerate())
                .map(|(i, c)| {
                    let c = match c {
                        Some((stream, title, cat, viewers)) => Channel {
                            live: true,
                            started_at: Some(format!("2026-11-28T0{stream}:00:00Z")),
                            title: Some(format!("title {title}")),
                            category: (*cat > 0).then(|| format!("cat {cat}")),
                            viewers: Some(*viewers),
                            viewers_reported: None,
                        },
                        None => Channel::default(),
                    };
                    (format!("ch{i}"), c)
                })
                .collect(),
            polled_at: chrono::DateTime::from_timestamp(1_800_000_000 + at * 60, 0),
            viewer_step: 100,
        }
    }

    proptest::proptest! {
        /// Replaying every change reported over the first state (nothing live, or the snapshot an earlier run
        /// saved) gives the last good poll, whatever failures came between: nothing lost, nothing doubled, no
        /// false offline.
        #[test]
        fn replaying_the_changes_gives_the_last_good_poll(
            saved in proptest::option::of(proptest::collection::vec(
                proptest::option::of((0u8..3, 0u8..3, 0u8..3, 0u64..1000)), 4)),
            polls in proptest::collection::vec(poll_strategy(), 1..40),
        ) {
            use super::super::engine::{Engine, Failure, Report, Timing};
            let saved = saved.map(|p| build(&p, -1));
            let mut known: Seen = saved.as_ref().map(seen).unwrap_or_default();
            let start = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
            let mut engine = Engine::new(Timing::default(), saved.clone().map(|s| (s, start)));
            let mut last_good = saved;
            for (n, poll) in polls.iter().enumerate() {
                let now = start + chrono::Duration::minutes(n as i64);
                let outcome = match poll {
                    Some(p) => Ok(build(p, n as i64)),
                    None if n % 2 == 0 => Err(Failure::Maintenance("503".into())),
                    None => Err(Failure::Unreachable("timeout".into())),
                };
                let good = outcome.as_ref().ok().cloned();
                let (reports, _) = engine.on_poll(outcome, now);
                for r in reports {
                    if let Report::Changes { changes, .. } = r {
                        proptest::prop_assert!(good.is_some(), "a failed poll reported changes");
                        for c in &changes {
                            replay(&mut known, c);
                        }
                    }
                }
                if good.is_some() {
                    last_good = good;
                }
            }
            // Channels never seen live are not in `known` at all; offline ones may be (as None).
            known.retain(|_, v| v.is_some());
            let mut expected = last_good.as_ref().map(seen).unwrap_or_default();
            expected.retain(|_, v| v.is_some());
            proptest::prop_assert_eq!(known, expected);
        }
    }
}
