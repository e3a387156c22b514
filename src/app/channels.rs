//! The channel table's state (`roomwatch channels`): the last good poll in the order shown (live first), what
//! changed last on each channel, its recent viewer counts for the sparkline, and the platform's health. Fed by
//! the channel watch's messages (`Msg::Watch`); changed only by the reducer.

use super::msg::{Effects, ExitReason};
use crate::sources::watch::channels::{ChannelChange, Channels};
use crate::sources::watch::engine::{Health, Report};
use crate::sources::watch::WatchMsg;
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap, VecDeque};

/// Viewer counts kept per channel for its sparkline (one per good poll).
pub const HISTORY: usize = 24;

/// Streams kept per channel for the summary (the latest; older ones are counted).
pub const MAX_STREAMS: usize = 50;

/// Outages kept for the summary (the latest).
pub const MAX_OUTAGES: usize = 100;

/// One stream seen this session: from its start to the last good poll that saw it live.
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    pub from: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// A later poll saw the channel offline (or another stream): `false` while it is still live.
    pub ended: bool,
    pub peak_viewers: u64,
}

/// What the session saw of one channel live (the summary's `channels`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelLog {
    pub streams: Vec<Stream>,
    /// Older streams dropped past [`MAX_STREAMS`].
    pub dropped: u64,
}

/// What the channel watch tells the reducer.
pub type WatchUpdate = WatchMsg<ChannelChange, Channels>;

/// A change's kind and when the poll that found it was made.
pub type LastChange = (&'static str, DateTime<Utc>);

/// One channel as the table shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    pub login: String,
    pub live: bool,
    pub started_at: Option<DateTime<Utc>>,
    pub title: String,
    pub category: String,
    pub viewers: Option<u64>,
    /// Viewers at the last polls, oldest first (0 while offline).
    pub history: VecDeque<u64>,
    /// The last change reported: its kind and when the poll that found it was made.
    pub last_change: Option<LastChange>,
    /// Rings the bell when it goes live (`alert = true` in `[watch]`).
    pub alert: bool,
}

/// The whole table.
#[derive(Debug, Clone, Default)]
pub struct ChannelBoard {
    /// Every watched channel, live first (most viewers first), then by name — the order shown.
    pub rows: Vec<Row>,
    pub health: Option<Health>,
    /// When the last good poll was made.
    pub last_good: Option<DateTime<Utc>>,
    /// Changes reported this session.
    pub changes: u64,
    /// Whether a good poll has come (until then nothing is known: no channel is shown offline).
    pub polled: bool,
    /// The rows as they were when the table was paused: the screen shows them while `rows` stays live (for the
    /// API, and so that nothing is missing on resume).
    pub frozen: Option<Vec<Row>>,
    /// Good polls and changes since the pause.
    pub held_polls: u64,
    pub held_changes: u64,
    /// First row shown (of the rows the filter lets through).
    pub scroll: usize,
    alerts: BTreeSet<String>,
    /// Who was live this session, when, with how many viewers at most (by login).
    pub log: std::collections::BTreeMap<String, ChannelLog>,
    /// The outages the platform recovered from this session (the latest [`MAX_OUTAGES`]).
    pub outages: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// Good polls this session.
    pub polls: u64,
    /// Why the watch stopped while the session's rooms go on.
    pub stopped: Option<String>,
    /// Per-login memory across polls (history, last change), so the table rebuilds from a poll alone.
    memory: HashMap<String, (VecDeque<u64>, Option<LastChange>)>,
}

impl ChannelBoard {
    /// A board for `logins` (shown offline until the first poll); `alerts` ring the bell when they go live.
    pub fn new(logins: &[String], alerts: impl IntoIterator<Item = String>) -> Self {
        let alerts: BTreeSet<String> = alerts.into_iter().collect();
        let rows = (logins.iter())
            .map(|l| Row {
                login: l.clone(),
                alert: alerts.contains(l),
                ..Row::default()
            })
            .collect();
        ChannelBoard {
            rows,
            alerts,
            ..ChannelBoard::default()
        }
    }

    pub fn live_count(&self) -> usize {
        self.rows.iter().take_while(|r| r.live).count()
    }

    /// The rows on screen (frozen while paused) that `shows` lets through, in the order shown.
    pub fn shown<'a>(&'a self, shows: impl Fn(&Row) -> bool + 'a) -> impl Iterator<Item = &'a Row> {
        let rows = self.frozen.as_ref().unwrap_or(&self.rows);
        rows.iter().filter(move |r| shows(r))
    }

    /// Freezes what the screen shows (the pause key).
    pub fn pause(&mut self) {
        self.frozen = Some(self.rows.clone());
    }

    /// Rebuilds the rows from a good poll: the table's order is the API's (`Channels::live_first`).
    fn apply(&mut self, polled: Channels) {
        self.last_good = polled.polled_at.or(self.last_good);
        self.polled = true;
        self.polls = self.polls.saturating_add(1);
        if let Some(at) = polled.polled_at {
            self.log_streams(&polled, at);
        }
        let mut rows = Vec::with_capacity(polled.channels.len());
        for (login, c) in polled.live_first() {
            let (history, last_change) = self.memory.entry(login.to_string()).or_default();
            if history.len() == HISTORY {
                history.pop_front();
            }
            history.push_back(if c.live { c.viewers.unwrap_or(0) } else { 0 });
            rows.push(Row {
                login: login.to_string(),
                live: c.live,
                started_at: (c.started_at.as_deref())
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .map(|t| t.with_timezone(&Utc)),
                title: c.title.clone().unwrap_or_default(),
                category: c.category.clone().unwrap_or_default(),
                viewers: c.viewers.filter(|_| c.live),
                history: history.clone(),
                last_change: *last_change,
                alert: self.alerts.contains(login),
            });
        }
        // A channel no longer polled (dropped as unknown) is forgotten.
        self.memory
            .retain(|login, _| polled.channels.contains_key(login));
        self.rows = rows;
    }

    /// Follows each live channel's stream (a new `started_at` is a new stream) for the summary.
    fn log_streams(&mut self, polled: &Channels, at: DateTime<Utc>) {
        for (login, c) in &polled.channels {
            if !c.live {
                let last = self.log.get_mut(login).and_then(|l| l.streams.last_mut());
                if let Some(s) = last {
                    s.ended = true;
                }
                continue;
            }
            let from = (c.started_at.as_deref())
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc));
            let viewers = c.viewers.unwrap_or(0);
            let log = self.log.entry(login.clone()).or_default();
            match log.streams.last_mut() {
                // The same stream (a reply that missed it once does not split it), or one without a start
                // time (Helix's error rows) going on.
                Some(s) if from.map_or(!s.ended, |f| f == s.from) => {
                    s.ended = false;
                    s.last_seen = at;
                    s.peak_viewers = s.peak_viewers.max(viewers);
                }
                last => {
                    if let Some(s) = last {
                        s.ended = true;
                    }
                    if log.streams.len() == MAX_STREAMS {
                        log.streams.remove(0);
                        log.dropped = log.dropped.saturating_add(1);
                    }
                    log.streams.push(Stream {
                        from: from.unwrap_or(at),
                        last_seen: at,
                        ended: false,
                        peak_viewers: viewers,
                    });
                }
            }
        }
    }

    fn change(&mut self, c: &ChannelChange, at: DateTime<Utc>) {
        let entry = self.memory.entry(c.channel.clone()).or_default();
        entry.1 = Some((c.kind, at));
        if let Some(row) = self.rows.iter_mut().find(|r| r.login == c.channel) {
            row.last_change = entry.1;
        }
    }

    /// Shows the live rows again.
    pub fn resume(&mut self) {
        self.frozen = None;
        self.held_polls = 0;
        self.held_changes = 0;
    }
}

/// What a key does on the channel table, for its help and hints; `None` for the keys the table does not use.
pub fn table_help(action: super::Action) -> Option<&'static str> {
    use super::Action as A;
    Some(match action {
        A::Quit => "quit",
        A::ToggleHelp => "this help",
        A::TogglePause => "pause / resume the table (the screen stays; polls go on)",
        A::JumpToLive => "resume the table",
        A::ScrollUp => "scroll up",
        A::ScrollDown => "scroll down",
        A::PageUp => "page up",
        A::PageDown => "page down",
        A::ScrollTop => "back to the first row",
        A::TextFilter => "filter channels by name, title or category (plain or /regex/)",
        A::InvertFilter => "invert the filter",
        A::ClearFilters => "clear the filter",
        A::Cancel => "cancel input / close overlay",
        A::Confirm => "accept input",
        _ => return None,
    })
}

/// Whether the text filter (`/`, and its inversion) lets a row through: it matches the login, the title or the
/// category.
pub fn shows(filters: &super::filter::FilterSet, row: &Row) -> bool {
    let Some(text) = &filters.text else {
        return true;
    };
    let hit = [&row.login, &row.title, &row.category]
        .iter()
        .any(|s| text.is_match(s));
    hit != filters.inverted
}

/// One message of the channel watch. `paused`: the screen keeps its frozen rows; what comes is counted.
/// `alone`: the watch is the whole session (`roomwatch channels`), so its end is the session's. Returns a notice
/// to show.
pub fn update(
    board: &mut ChannelBoard,
    msg: WatchUpdate,
    paused: bool,
    alone: bool,
    fx: &mut Effects,
) -> Option<String> {
    fx.redraw = true;
    match msg {
        WatchMsg::Report(Report::Changes {
            changes,
            while_off,
            at,
        }) => {
            board.changes = board.changes.saturating_add(changes.len() as u64);
            if paused {
                board.held_changes = board.held_changes.saturating_add(changes.len() as u64);
            }
            for c in &changes {
                board.change(c, at);
                // The bell is for a channel going live now: not for who was live at the first start, and not
                // for a stream that began while roomwatch was off.
                let initial = c.data.get("initial").is_some();
                if c.kind == "went_live"
                    && !initial
                    && !while_off
                    && board.alerts.contains(&c.channel)
                {
                    fx.bell = true;
                }
            }
        }
        WatchMsg::Report(Report::Health { health, last_good }) => {
            board.health = Some(health);
            board.last_good = last_good.or(board.last_good);
        }
        WatchMsg::Report(Report::Recovered { from, to }) => {
            if board.outages.len() == MAX_OUTAGES {
                board.outages.remove(0);
            }
            board.outages.push((from, to));
        }
        WatchMsg::Polled(polled) => {
            if paused {
                board.held_polls = board.held_polls.saturating_add(1);
            }
            board.apply(polled);
        }
        WatchMsg::Notice(text) => return Some(text),
        // Alone, the watch is the session; beside rooms it stops by itself and the rooms go on.
        WatchMsg::Refused if alone => fx.quit = Some(ExitReason::CredentialsRefused),
        WatchMsg::Fatal(why) if alone => fx.quit = Some(ExitReason::FatalError(why)),
        WatchMsg::Refused => {
            let text = "the channel watch stopped: Twitch refused the login (run `roomwatch twitch login`)";
            board.stopped = Some(text.into());
            return Some(text.into());
        }
        WatchMsg::Fatal(why) => {
            let text = format!("the channel watch stopped: {why}");
            board.stopped = Some(text.clone());
            return Some(text);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::watch::channels::Channel;
    use serde_json::json;

    fn poll(at: i64, live: &[(&str, u64)], all: &[&str]) -> Channels {
        Channels {
            channels: (all.iter())
                .map(|l| {
                    let v = live.iter().find(|(n, _)| n == l).map(|(_, v)| *v);
                    let c = Channel {
                        live: v.is_some(),
                        started_at: v.map(|_| "2026-11-28T10:00:00Z".into()),
                        title: v.map(|_| format!("{l} streams")),
                        viewers: v,
                        ..Channel::default()
                    };
                    (l.to_string(), c)
                })
                .collect(),
            polled_at: DateTime::from_timestamp(at, 0),
            viewer_step: 0,
        }
    }

    fn went_live(channel: &str, data: serde_json::Value) -> ChannelChange {
        ChannelChange {
            channel: channel.into(),
            kind: "went_live",
            data,
        }
    }

    fn changes(c: Vec<ChannelChange>, while_off: bool) -> WatchUpdate {
        WatchMsg::Report(Report::Changes {
            changes: c,
            while_off,
            at: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        })
    }

    const ALL: [&str; 3] = ["alice", "bob", "carol"];

    #[test]
    fn rows_are_live_first_by_viewers_and_keep_a_bounded_history() {
        let logins: Vec<String> = ALL.iter().map(|s| s.to_string()).collect();
        let mut b = ChannelBoard::new(&logins, []);
        assert_eq!(b.rows.len(), 3);
        assert_eq!(b.live_count(), 0);
        let mut fx = Effects::default();
        for i in 0..30 {
            let polled = poll(1000 + i, &[("carol", 5 + i as u64), ("bob", 100)], &ALL);
            update(&mut b, WatchMsg::Polled(polled), false, true, &mut fx);
        }
        let order: Vec<&str> = b.rows.iter().map(|r| r.login.as_str()).collect();
        assert_eq!(order, ["bob", "carol", "alice"]);
        assert_eq!(b.live_count(), 2);
        let carol = &b.rows[1];
        assert_eq!(carol.history.len(), HISTORY);
        assert_eq!(carol.history.back(), Some(&34));
        assert_eq!(carol.viewers, Some(34));
        assert_eq!(b.rows[2].viewers, None);
        assert_eq!(b.rows[2].history.iter().sum::<u64>(), 0);
        assert_eq!(b.last_good, DateTime::from_timestamp(1029, 0));
    }

    #[test]
    fn the_bell_rings_for_alert_channels_going_live_now_only() {
        let logins: Vec<String> = ALL.iter().map(|s| s.to_string()).collect();
        let mut b = ChannelBoard::new(&logins, ["bob".to_string()]);
        let ring = |b: &mut ChannelBoard, msg| {
            let mut fx = Effects::default();
            update(b, msg, false, true, &mut fx);
            fx.bell
        };
        assert!(!ring(
            &mut b,
            changes(vec![went_live("alice", json!({}))], false)
        ));
        assert!(!ring(
            &mut b,
            changes(vec![went_live("bob", json!({"initial": true}))], false)
        ));
        assert!(!ring(
            &mut b,
            changes(vec![went_live("bob", json!({}))], true)
        ));
        assert!(ring(
            &mut b,
            changes(vec![went_live("bob", json!({}))], false)
        ));
        assert_eq!(b.changes, 4);
        assert!(b.rows.iter().find(|r| r.login == "bob").unwrap().alert);
        assert_eq!(
            b.rows[0].last_change.map(|c| c.0),
            Some("went_live"),
            "alice's last change"
        );
    }

    #[test]
    fn the_channel_bell_obeys_the_bell_setting_and_its_cooldown() {
        use crate::app::{update as reduce, Msg, Settings, State};
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let bells = |settings: Settings| {
            let mut s = State::with_rooms(Vec::new(), t0, settings);
            s.channels = Some(ChannelBoard::new(&["bob".to_string()], ["bob".to_string()]));
            (0..3)
                .map(|i| {
                    let msg = changes(vec![went_live("bob", json!({}))], false);
                    reduce(&mut s, Msg::Watch(msg), t0 + chrono::Duration::seconds(i)).bell
                })
                .collect::<Vec<bool>>()
        };
        let cooldown = Settings {
            alert_cooldown: std::time::Duration::from_secs(2),
            ..Settings::default()
        };
        assert_eq!(bells(cooldown), [true, false, true]);
        let quiet = Settings {
            bell: false,
            ..Settings::default()
        };
        assert_eq!(bells(quiet), [false, false, false]);
    }

    #[test]
    fn pausing_freezes_the_screen_while_the_table_and_its_history_stay_live() {
        let logins: Vec<String> = ALL.iter().map(|s| s.to_string()).collect();
        let mut b = ChannelBoard::new(&logins, []);
        let mut fx = Effects::default();
        update(
            &mut b,
            WatchMsg::Polled(poll(4, &[], &ALL)),
            false,
            true,
            &mut fx,
        );
        b.pause();
        let carol = changes(vec![went_live("carol", json!({}))], false);
        update(&mut b, carol, true, true, &mut fx);
        for at in 5..8 {
            let polled = poll(at, &[("carol", 9)], &ALL);
            update(&mut b, WatchMsg::Polled(polled), true, true, &mut fx);
        }
        let on_screen: Vec<bool> = b.shown(|_| true).map(|r| r.live).collect();
        assert_eq!(on_screen, [false, false, false], "paused: the screen stays");
        assert_eq!(b.live_count(), 1, "the table itself (the API's) is live");
        assert_eq!((b.held_polls, b.held_changes), (3, 1));
        b.resume();
        let first = b.shown(|_| true).next().unwrap();
        assert_eq!(first.login, "carol");
        assert_eq!(first.last_change.map(|c| c.0), Some("went_live"));
        assert_eq!(
            Vec::from(first.history.clone()),
            [0, 9, 9, 9],
            "no poll missing"
        );
        assert_eq!((b.held_polls, b.held_changes), (0, 0));
        assert!(b.frozen.is_none());
    }

    #[test]
    fn the_log_follows_each_stream_to_the_last_poll_that_saw_it() {
        let logins: Vec<String> = ALL.iter().map(|s| s.to_string()).collect();
        let mut b = ChannelBoard::new(&logins, []);
        let mut fx = Effects::default();
        let mut feed = |b: &mut ChannelBoard, p: Channels| {
            update(b, WatchMsg::Polled(p), false, true, &mut fx);
        };
        feed(&mut b, poll(100, &[("bob", 5)], &ALL));
        feed(&mut b, poll(160, &[("bob", 50)], &ALL));
        feed(&mut b, poll(220, &[], &ALL));
        let mut again = poll(280, &[("bob", 7)], &ALL);
        again.channels.get_mut("bob").unwrap().started_at = Some("2026-11-28T11:00:00Z".into());
        feed(&mut b, again);
        let bob = &b.log["bob"];
        assert_eq!(bob.streams.len(), 2);
        let first = &bob.streams[0];
        assert_eq!(first.last_seen, DateTime::from_timestamp(160, 0).unwrap());
        assert!(first.ended);
        assert_eq!(first.peak_viewers, 50);
        assert!(!bob.streams[1].ended, "still live at the end");
        assert!(!b.log.contains_key("alice"), "never live: not in the log");
        assert_eq!(b.polls, 4);
        for i in 0..(MAX_STREAMS as i64 + 5) {
            let mut p = poll(400 + i, &[("carol", 1)], &ALL);
            p.channels.get_mut("carol").unwrap().started_at =
                DateTime::from_timestamp(1000 + i, 0).map(|t| t.to_rfc3339());
            feed(&mut b, p);
        }
        assert_eq!(b.log["carol"].streams.len(), MAX_STREAMS);
        assert_eq!(b.log["carol"].dropped, 5);
    }

    #[test]
    fn a_stream_missed_by_one_reply_stays_one_stream_and_one_without_a_start_goes_on() {
        let logins: Vec<String> = ALL.iter().map(|s| s.to_string()).collect();
        let mut b = ChannelBoard::new(&logins, []);
        let mut fx = Effects::default();
        for (at, live) in [(100, true), (160, false), (220, true)] {
            let live: &[(&str, u64)] = if live { &[("bob", 5)] } else { &[] };
            update(
                &mut b,
                WatchMsg::Polled(poll(at, live, &ALL)),
                false,
                true,
                &mut fx,
            );
        }
        let bob = &b.log["bob"];
        assert_eq!(bob.streams.len(), 1, "{bob:?}");
        assert!(!bob.streams[0].ended);
        assert_eq!(
            bob.streams[0].last_seen,
            DateTime::from_timestamp(220, 0).unwrap()
        );
        for at in [300, 360, 420] {
            let mut p = poll(at, &[("carol", 1)], &ALL);
            p.channels.get_mut("carol").unwrap().started_at = None;
            update(&mut b, WatchMsg::Polled(p), false, true, &mut fx);
        }
        let carol = &b.log["carol"];
        assert_eq!(carol.streams.len(), 1, "{carol:?}");
        assert_eq!(
            carol.streams[0].from,
            DateTime::from_timestamp(300, 0).unwrap()
        );
        assert_eq!(
            carol.streams[0].last_seen,
            DateTime::from_timestamp(420, 0).unwrap()
        );
    }

    #[test]
    fn beside_rooms_a_refused_watch_stops_alone() {
        let mut b = ChannelBoard::default();
        let mut fx = Effects::default();
        let said = update(&mut b, WatchMsg::Refused, false, false, &mut fx);
        assert_eq!(fx.quit, None, "the rooms go on");
        assert!(said.unwrap().contains("roomwatch twitch login"));
        assert!(b.stopped.is_some());
        update(
            &mut b,
            WatchMsg::Fatal("HTTP 400".into()),
            false,
            false,
            &mut fx,
        );
        assert_eq!(fx.quit, None);
        assert!(b.stopped.as_deref().unwrap().contains("HTTP 400"));
    }

    #[test]
    fn a_refusal_or_a_fatal_reply_ends_the_session() {
        let mut b = ChannelBoard::default();
        let mut fx = Effects::default();
        update(&mut b, WatchMsg::Refused, false, true, &mut fx);
        assert_eq!(fx.quit, Some(ExitReason::CredentialsRefused));
        let mut fx = Effects::default();
        update(&mut b, WatchMsg::Fatal("400".into()), false, true, &mut fx);
        assert_eq!(fx.quit, Some(ExitReason::FatalError("400".into())));
        let mut fx = Effects::default();
        let said = update(
            &mut b,
            WatchMsg::Notice("hello".into()),
            false,
            true,
            &mut fx,
        );
        assert_eq!(said.as_deref(), Some("hello"));
    }
}
