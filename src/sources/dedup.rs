//! De-duplication by event id with bounded memory: the FIFO of the last `capacity` ids, and a set over it once
//! the ids stop arriving in order.

use foldhash::fast::RandomState;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

/// Ids remembered by default: far more than one reply (≤ ~1000) or a server replay after a reconnect.
pub const DEFAULT_CAPACITY: usize = 20_000;

#[derive(Debug)]
pub struct Dedup {
    /// The last `capacity` ids, oldest first.
    order: VecDeque<Key>,
    /// The same ids as a set, from the first id that arrived out of order on. While every id is above the one
    /// before (Chaturbate's ids are a millisecond time and a sequence), a new id above the last needs no lookup
    /// at all, and a repeat is found by a binary search of `order`: no random reads in a 20 000-id table per
    /// event (issue 14). Once built the set stays, so out-of-order ids cannot make it be rebuilt again and again.
    ///
    /// foldhash instead of SipHash: the ids are the server's, which the user chose and authenticated; the
    /// hasher is still seeded at random per process, and the set is bounded, so even crafted collisions cost at
    /// most a bounded scan, never memory (docs/decisions.md).
    seen: Option<HashSet<Key, RandomState>>,
    capacity: usize,
}

/// An id as kept. Chaturbate's ids (`1625274862454-0`) are kept as the two numbers they spell: no allocation,
/// and compared without reading a string elsewhere in memory. Only the canonical spelling is packed (no
/// leading zero, no sign, each part within `u64`), so two different ids never become the same key; any other
/// id is kept as its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    Pair(u64, u64),
    Text(Arc<str>),
}

impl Key {
    fn of(id: &str) -> Key {
        match super::json::id_numbers(id) {
            Some((a, b)) => Key::Pair(a, b),
            None => Key::Text(Arc::from(id)),
        }
    }
}

impl Dedup {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Dedup {
            order: VecDeque::with_capacity(capacity.min(DEFAULT_CAPACITY) + 1),
            seen: None,
            capacity,
        }
    }

    /// True the first time an id is seen (the event is new), false for a duplicate.
    pub fn first_time(&mut self, id: &str) -> bool {
        let key = Key::of(id);
        match &mut self.seen {
            None if self.order.back().is_none_or(|last| key > *last) => {}
            // Still in order: `order` is sorted, so a repeat is found by halving it.
            None if self.order.binary_search(&key).is_ok() => return false,
            None => {
                // The first id out of order: from now on the set answers.
                let mut seen = HashSet::with_capacity_and_hasher(
                    self.capacity.min(DEFAULT_CAPACITY) + 1,
                    RandomState::default(),
                );
                seen.extend(self.order.iter().cloned());
                seen.insert(key.clone());
                self.seen = Some(seen);
                self.push(key);
                return true;
            }
            Some(seen) if seen.contains(&key) => return false,
            Some(seen) => {
                seen.insert(key.clone());
            }
        }
        self.push(key);
        true
    }

    /// Appends a new id (already in the set, if there is one), forgetting the oldest beyond `capacity`.
    fn push(&mut self, key: Key) {
        if self.order.len() == self.capacity {
            if let (Some(old), Some(seen)) = (self.order.pop_front(), self.seen.as_mut()) {
                seen.remove(&old);
            }
        }
        self.order.push_back(key);
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_repeats_and_forgets_the_oldest_beyond_capacity() {
        let mut d = Dedup::new(3);
        assert!(d.first_time("a"));
        assert!(d.first_time("b"));
        assert!(!d.first_time("a"));
        assert!(d.first_time("c"));
        assert!(d.first_time("d")); // evicts "a"
        assert_eq!(d.len(), 3);
        assert!(!d.first_time("b"));
        assert!(!d.first_time("d"));
        assert!(d.first_time("a"));
    }

    #[test]
    fn ids_that_spell_the_same_numbers_differently_stay_apart() {
        let mut d = Dedup::new(100);
        let ids = [
            "1-0",
            "01-0",
            "1-00",
            "+1-0",
            "1-0-0",
            "1",
            "-1-0",
            "1-",
            "18446744073709551616-0",
        ];
        for id in ids {
            assert!(d.first_time(id), "{id} is new");
        }
        for id in ids {
            assert!(!d.first_time(id), "{id} is a repeat");
        }
        assert_eq!(
            Key::of("1625274862454-12"),
            Key::Pair(1_625_274_862_454, 12)
        );
        assert_eq!(Key::of("0-0"), Key::Pair(0, 0));
        assert!(matches!(Key::of("01-0"), Key::Text(_)));
    }

    #[test]
    fn memory_stays_bounded() {
        let mut d = Dedup::new(100);
        for i in 0..10_000 {
            assert!(d.first_time(&format!("{i}-0")));
        }
        assert_eq!(d.len(), 100);
        assert!(d.seen.is_none(), "in order: no set");
        for i in (0..10_000).rev() {
            d.first_time(&format!("{i}-1"));
        }
        assert_eq!(d.len(), 100);
        assert_eq!(d.seen.as_ref().map(HashSet::len), Some(100));
    }

    /// The same answers as the plain definition (a repeat is an id among the last `capacity` new ones), for
    /// ids in order, repeated, replayed and out of order, packed and not.
    #[test]
    fn answers_as_a_plain_window_of_the_last_ids() {
        use proptest::prelude::*;
        let id = prop_oneof![
            (0u64..40, 0u64..3).prop_map(|(ms, seq)| format!("{ms}-{seq}")),
            (0u64..40).prop_map(|n| format!("0{n}-0")),
            (0u64..40).prop_map(|n| format!("t{n}")),
        ];
        let steps = prop::collection::vec((id, any::<bool>()), 0..300);
        proptest!(|(steps in steps, capacity in 1usize..20)| {
            let mut d = Dedup::new(capacity);
            let mut window: VecDeque<String> = VecDeque::new();
            let mut last_ms = 0u64;
            for (id, in_order) in steps {
                // Mostly rising ids, as a real feed sends, with the generated ones mixed in.
                let id = if in_order {
                    last_ms += 1;
                    format!("{last_ms}-0")
                } else {
                    id
                };
                let new = !window.contains(&id);
                if new {
                    if window.len() == capacity {
                        window.pop_front();
                    }
                    window.push_back(id.clone());
                }
                prop_assert_eq!(d.first_time(&id), new, "{}", id);
            }
        });
    }
}
