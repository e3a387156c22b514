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
    seen: HashSet<Arc<str>, RandomState>,
    order: VecDeque<Arc<str>>,
    capacity: usize,
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
        if self.seen.contains(id) {
            return false;
        }
        if self.order.len() == self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        let id: Arc<str> = Arc::from(id);
        self.seen.insert(id.clone());
        self.order.push_back(id);
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
    fn memory_stays_bounded() {
        let mut d = Dedup::new(100);
        for i in 0..10_000 {
            assert!(d.first_time(&i.to_string()));
        }
        assert_eq!(d.len(), 100);
        assert_eq!(d.seen.len(), 100);
    }
}
