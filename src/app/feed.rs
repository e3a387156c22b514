//! Pane history: bounded ring buffers of events, each stamped with a global, monotonically increasing `seq`.
//! Pause and scroll are expressed as "show items with `seq ≤ frozen_at`", so ingestion never stops.

use crate::event::{EventKind, RoomEvent};
use chrono::{DateTime, Utc};
use std::collections::VecDeque;

/// The three event panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pane {
    Chat,
    Tips,
    Viewers,
}

impl Pane {
    pub const ALL: [Pane; 3] = [Pane::Chat, Pane::Tips, Pane::Viewers];

    pub fn index(self) -> usize {
        match self {
            Pane::Chat => 0,
            Pane::Tips => 1,
            Pane::Viewers => 2,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Chat => "Chat",
            Pane::Tips => "Tips",
            Pane::Viewers => "Viewers",
        }
    }

    pub fn next(self) -> Pane {
        Pane::ALL[(self.index() + 1) % 3]
    }

    pub fn prev(self) -> Pane {
        Pane::ALL[(self.index() + 2) % 3]
    }

    /// Where an event kind is shown. Every kind has exactly one pane.
    pub fn for_kind(kind: EventKind) -> Pane {
        match kind {
            EventKind::Tip
            | EventKind::MediaPurchase
            | EventKind::Cheer
            | EventKind::Subscription
            | EventKind::Resubscription
            | EventKind::SubGift
            | EventKind::Redemption => Pane::Tips,
            EventKind::UserEnter
            | EventKind::UserLeave
            | EventKind::Follow
            | EventKind::Unfollow
            | EventKind::FanclubJoin
            | EventKind::Raid => Pane::Viewers,
            EventKind::ChatMessage
            | EventKind::PrivateMessage
            | EventKind::RoomSubjectChange
            | EventKind::BroadcastStart
            | EventKind::BroadcastStop
            | EventKind::Moderation
            | EventKind::StreamUpdate
            | EventKind::Unknown => Pane::Chat,
        }
    }
}

/// One stored event. `raw` is dropped on the way in: the journal keeps it, the panes never show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub seq: u64,
    /// The room's index in `State::rooms` (for the room tag where several rooms are merged).
    pub room: usize,
    pub ev: RoomEvent,
}

/// A bounded history; the oldest items fall off (totals live in `SessionStats`, so nothing exact is lost).
#[derive(Debug, Clone, Default)]
pub struct Feed {
    items: VecDeque<Item>,
    cap: usize,
    /// Items that fell off the end since the session started.
    pub dropped: u64,
}

impl Feed {
    pub fn with_capacity(cap: usize) -> Self {
        Feed {
            items: VecDeque::new(),
            cap: cap.max(1),
            dropped: 0,
        }
    }

    pub fn push(&mut self, item: Item) {
        if self.items.len() >= self.cap {
            // Dropped where it stands: `pop_front` would copy the item out first (issue 14).
            self.items.drain(..1);
            self.dropped += 1;
        }
        self.items.push_back(item);
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn capacity(&self) -> usize {
        self.cap
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Items with `seq ≤ upto` (all when `None`), oldest first.
    pub fn upto(&self, upto: Option<u64>) -> impl DoubleEndedIterator<Item = &Item> + '_ {
        let end = match upto {
            Some(s) => self.items.partition_point(|i| i.seq <= s),
            None => self.items.len(),
        };
        self.items.range(..end)
    }
}

/// One pane's view state (its history is per room: `Room::feeds`).
#[derive(Debug, Clone, Default)]
pub struct PaneState {
    /// Shown items skipped from the bottom (0 = the newest shown item is at the bottom).
    pub scroll: usize,
    /// While `Some`, the pane shows only items with `seq ≤ frozen_at` (pause or scrolled up).
    pub frozen_at: Option<u64>,
    /// Events that arrived for this pane since it froze (exact, even beyond the ring's capacity).
    pub backlog: u64,
    /// Tips among `backlog`.
    pub backlog_tips: u64,
    /// The border flashes until then (the visual twin of the bell).
    pub flash_until: Option<DateTime<Utc>>,
}

impl PaneState {
    pub fn freeze(&mut self, at: u64) {
        if self.frozen_at.is_none() {
            self.frozen_at = Some(at);
            self.backlog = 0;
            self.backlog_tips = 0;
        }
    }

    pub fn resume(&mut self) {
        self.frozen_at = None;
        self.scroll = 0;
        self.backlog = 0;
        self.backlog_tips = 0;
    }

    pub fn is_flashing(&self, now: DateTime<Utc>) -> bool {
        self.flash_until.is_some_and(|t| now < t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventBody, SourceKind};

    fn item(seq: u64) -> Item {
        Item {
            seq,
            room: 0,
            ev: RoomEvent {
                source: SourceKind::Simulator,
                id: seq.to_string().into(),
                at: chrono::DateTime::UNIX_EPOCH,
                user: None,
                body: EventBody::BroadcastStart,
                raw: None,
            },
        }
    }

    #[test]
    fn ring_drops_oldest_and_ranges_follow_seq() {
        let mut f = Feed::with_capacity(3);
        for s in [2, 4, 6, 8] {
            f.push(item(s));
        }
        assert_eq!(f.len(), 3);
        assert_eq!(f.dropped, 1);
        let upto: Vec<u64> = f.upto(Some(5)).map(|i| i.seq).collect();
        assert_eq!(upto, vec![4]);
        assert_eq!(f.upto(None).count(), 3);
    }

    #[test]
    fn every_kind_has_a_pane_and_focus_cycles() {
        assert_eq!(Pane::for_kind(EventKind::Tip), Pane::Tips);
        assert_eq!(Pane::for_kind(EventKind::UserLeave), Pane::Viewers);
        assert_eq!(Pane::for_kind(EventKind::Unknown), Pane::Chat);
        assert_eq!(Pane::Viewers.next(), Pane::Chat);
        assert_eq!(Pane::Chat.prev(), Pane::Viewers);
    }
}
