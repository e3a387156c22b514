//! De-duplication by event id with bounded memory: a set plus the FIFO of the last `capacity` ids.

use foldhash::fast::RandomState;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

/// Ids remembered by default: far more than one reply (≤ ~1000) or a server replay after a reconnect.
pub const DEFAULT_CAPACITY: usize = 20_000;

#[derive(Debug)]
pub struct Dedup {
    /// foldhash instead of SipHash (a third of the hashing cost per event): the ids are the server's, which the
    /// user chose and authenticated; the hasher is still seeded at random per process, and the set is bounded,
    /// so even crafted collisions cost at most a bounded scan, never memory (docs/decisions.md).
    seen: HashSet<Key, RandomState>,
    order: VecDeque<Key>,
    capacity: usize,
}

/// An id as kept. Chaturbate's ids (`1625274862454-0`) are kept as the two numbers they spell: no allocation,
/// and compared without reading a string elsewhere in memory. Only the canonical spelling is packed (no
/// leading zero, no sign, each part within `u64`), so two different ids never become the same key; any other
/// id is kept as its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Pair(u64, u64),
    Text(Arc<str>),
}

impl Key {
    fn of(id: &str) -> Key {
        match id.split_once('-') {
            Some((a, b)) => match (canonical(a), canonical(b)) {
                (Some(a), Some(b)) => Key::Pair(a, b),
                _ => Key::Text(Arc::from(id)),
            },
            None => Key::Text(Arc::from(id)),
        }
    }
}

/// A whole number written the one way `u64`'s `to_string` writes it.
fn canonical(digits: &str) -> Option<u64> {
    let bytes = digits.as_bytes();
    let plain = !bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit);
    let no_leading_zero = bytes.len() == 1 || bytes.first() != Some(&b'0');
    if plain && no_leading_zero {
        digits.parse().ok()
    } else {
        None
    }
}

impl Dedup {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Dedup {
            seen: HashSet::with_capacity_and_hasher(
                capacity.min(DEFAULT_CAPACITY) + 1,
                RandomState::default(),
            ),
            order: VecDeque::with_capacity(capacity.min(DEFAULT_CAPACITY) + 1),
            capacity,
        }
    }

    /// True the first time an id is seen (the event is new), false for a duplicate.
    pub fn first_time(&mut self, id: &str) -> bool {
        let key = Key::of(id);
        if self.seen.contains(&key) {
            return false;
        }
        if self.order.len() == self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        self.seen.insert(key.clone());
        self.order.push_back(key);
        true
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
        for id in [
            "1-0",
            "01-0",
            "1-00",
            "+1-0",
            "1-0-0",
            "1",
            "-1-0",
            "1-",
            "18446744073709551616-0",
        ] {
            assert!(d.first_time(id), "{id} is new");
        }
        for id in [
            "1-0",
            "01-0",
            "1-00",
            "+1-0",
            "1-0-0",
            "1",
            "-1-0",
            "1-",
            "18446744073709551616-0",
        ] {
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
            assert!(d.first_time(&i.to_string()));
        }
        assert_eq!(d.len(), 100);
        assert_eq!(d.seen.len(), 100);
    }
}
