//! The live screen's state: panes, focus, pause, filters, prompt, help, alerts and rates. Lives in
//! `State::live`; changed only by the reducer.

use super::alerts::{Alerts, FLASH};
use super::feed::{Item, Pane, PaneState};
use super::filter::FilterSet;
use super::keymap::Mode;
use super::msg::{Effects, ExitReason};
use super::presence;
use super::prompt::Prompt;
use super::state::State;
use crate::event::RoomEvent;
use chrono::{DateTime, Utc};

/// The terminal size and what the view derives from it, computed by the view (`ui::viewport`) and handed in
/// by the runner: the reducer pages and clamps with it without calling the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewport {
    pub width: u16,
    pub height: u16,
    /// Below the smallest layout: only a "too small" line is drawn (no clock, so no 1 Hz tick).
    pub too_small: bool,
    /// The last first-line of the help overlay that still fills the screen.
    pub help_max_scroll: u16,
    /// Rows of the channel table on screen (a page when scrolling it).
    pub table_rows: u16,
}

impl Default for Viewport {
    /// No size known yet: nothing but "too small" could be drawn (as 0×0 is).
    fn default() -> Self {
        Viewport {
            width: 0,
            height: 0,
            too_small: true,
            help_max_scroll: 0,
            table_rows: 0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Live {
    /// The last `seq` handed out (one sequence over every room, so merged panes keep arrival order).
    pub seq: u64,
    /// The room the detail panes show: `None` merges all rooms (the start of a multi-room session).
    pub shown: Option<usize>,
    pub panes: [PaneState; 3],
    pub focus: Pane,
    /// Paused with the pause key (all panes frozen); scrolling freezes single panes without this.
    pub paused: bool,
    pub filters: FilterSet,
    pub prompt: Option<Prompt>,
    pub help: bool,
    /// A short confirmation (e.g. a marker dropped) shown under the status line for a few seconds.
    pub info: Option<(String, DateTime<Utc>)>,
    /// Playing a journal (`roomwatch replay`): the status line says REPLAY, and quiet gaps are not STALE.
    pub replay: bool,
    /// Where the local API listens (`--serve`), for the status line.
    pub serving: Option<String>,
    /// First help line shown (clamped to the screen when drawn and when scrolled).
    pub help_scroll: u16,
    pub smart_viewers: bool,
    pub alerts: Alerts,
    /// The latest time the reducer was given; the views derive clocks and countdowns from it.
    pub now: DateTime<Utc>,
    /// Offset for times shown on screen (the runner sets the local one; tests keep UTC).
    pub utc_offset: chrono::FixedOffset,
    /// The terminal as the view lays it out (from `Msg::Resize`), for paging and clamping.
    pub viewport: Viewport,
    /// The TUI keeps showing the screen after every room's source ended or failed, until the user quits;
    /// headless ends at once (`false`).
    pub hold_on_end: bool,
    /// Why the session stopped (every room ended), while held on screen; the quit key then ends with it.
    pub ended: Option<ExitReason>,
}

impl Live {
    pub fn new(smart_viewers: bool, now: DateTime<Utc>) -> Self {
        Live {
            seq: 0,
            shown: None,
            panes: Default::default(),
            focus: Pane::Chat,
            paused: false,
            filters: FilterSet::default(),
            prompt: None,
            help: false,
            info: None,
            replay: false,
            serving: None,
            help_scroll: 0,
            smart_viewers,
            alerts: Alerts::default(),
            now,
            utc_offset: chrono::FixedOffset::east_opt(0).expect("zero offset"),
            viewport: Viewport::default(),
            hold_on_end: false,
            ended: None,
        }
    }

    pub fn pane(&self, p: Pane) -> &PaneState {
        &self.panes[p.index()]
    }

    pub fn pane_mut(&mut self, p: Pane) -> &mut PaneState {
        &mut self.panes[p.index()]
    }

    /// The key map table in effect.
    pub fn mode(&self) -> Mode {
        if self.prompt.is_some() {
            Mode::Input
        } else if self.help {
            Mode::Help
        } else {
            Mode::Normal
        }
    }

    pub fn any_frozen(&self) -> bool {
        self.panes.iter().any(|p| p.frozen_at.is_some())
    }

    /// (new events, new tips) held back by frozen panes, for the banner.
    pub fn backlog(&self) -> (u64, u64) {
        self.panes
            .iter()
            .filter(|p| p.frozen_at.is_some())
            .fold((0, 0), |(n, t), p| (n + p.backlog, t + p.backlog_tips))
    }

    pub fn freeze_all(&mut self) {
        let seq = self.seq;
        for p in &mut self.panes {
            p.freeze(seq);
        }
    }

    pub fn resume_all(&mut self) {
        self.paused = false;
        for p in &mut self.panes {
            p.resume();
        }
    }
}

impl State {
    /// Whether a pane shows this item (filters, and smart mode for the viewers pane).
    pub fn pane_shows(&self, pane: Pane, item: &Item) -> bool {
        self.live.filters.shows(&item.ev)
            && (pane != Pane::Viewers
                || !self.live.smart_viewers
                || self
                    .rooms
                    .get(item.room)
                    .is_some_and(|r| presence::is_notable(&item.ev, &r.stats)))
    }

    /// The items a pane shows, newest first: the shown room's, or every room's merged by arrival (frozen panes
    /// stop at their `seq`). Lazy, so drawing a screenful reads a screenful.
    pub fn shown_items(&self, pane: Pane) -> impl Iterator<Item = &Item> + '_ {
        let frozen = self.live.pane(pane).frozen_at;
        let mut heads: Vec<_> = (self.rooms.iter().enumerate())
            .filter(|(i, _)| self.shows_room(*i))
            .map(|(_, r)| {
                (r.feed(pane).upto(frozen).rev())
                    .filter(move |item| self.pane_shows(pane, item))
                    .peekable()
            })
            .collect();
        std::iter::from_fn(move || {
            let (_, newest) = (heads.iter_mut().enumerate())
                .filter_map(|(i, h)| h.peek().map(|item| (item.seq, i)))
                .max()?;
            heads[newest].next()
        })
    }

    /// How many items a pane shows (the same as counting [`State::shown_items`], without merging).
    pub fn shown_count(&self, pane: Pane) -> usize {
        let frozen = self.live.pane(pane).frozen_at;
        (self.rooms.iter().enumerate())
            .filter(|(i, _)| self.shows_room(*i))
            .map(|(_, r)| {
                (r.feed(pane).upto(frozen))
                    .filter(|item| self.pane_shows(pane, item))
                    .count()
            })
            .sum()
    }

    /// Something time-derived (session clock, countdown, "last event 3 s ago", a flash) is on screen.
    pub fn wants_tick(&self) -> bool {
        !self.live.viewport.too_small
            || self.live.panes.iter().any(|p| p.is_flashing(self.live.now))
    }
}

/// Stores one event of room `r` in its pane, counts it for rates, the banner and alerts. The room's ledger
/// has already seen it.
pub(super) fn ingest(
    state: &mut State,
    r: usize,
    mut ev: RoomEvent,
    now: DateTime<Utc>,
    fx: &mut Effects,
) {
    ev.raw = None;
    let shown = state.shows_room(r);
    let live = &mut state.live;
    let room = &mut state.rooms[r];
    live.seq += 1;
    let seq = live.seq;
    let kind = ev.kind();
    // Gifts in the room's unit count as its tips: rates, top supporters, the banner's backlog.
    let is_tip = ev.gift().is_some_and(|g| g.unit == room.unit);
    if is_tip {
        if let Some(user) = ev.display_user() {
            if let Some(total) = room.stats.ledger(room.unit).by_user.get(user) {
                room.top.on_tip(user, total);
            }
        }
    }
    room.rates.record(now, 1, u64::from(is_tip));
    room.last_event_seen = Some(now);
    // Alerts ring for every room (a big tip in a room not shown is still a big tip); the flash is for what
    // is on screen.
    if let Some(alert) = live.alerts.check(&ev, &state.settings, now) {
        fx.bell |= alert.bell;
        if shown {
            live.pane_mut(alert.pane).flash_until = Some(now + FLASH);
        }
    }
    let pane = Pane::for_kind(kind);
    let ps = live.pane_mut(pane);
    if shown && ps.frozen_at.is_some() {
        ps.backlog += 1;
        ps.backlog_tips += u64::from(is_tip);
    }
    room.feeds[pane.index()].push(Item { seq, room: r, ev });
}
