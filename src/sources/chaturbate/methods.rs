//! Chaturbate's method names and the event kinds they map to: the platform's table, kept out of the
//! platform-neutral event model.

use crate::event::EventKind;

const METHODS: [(EventKind, &str); 12] = [
    (EventKind::ChatMessage, "chatMessage"),
    (EventKind::PrivateMessage, "privateMessage"),
    (EventKind::Tip, "tip"),
    (EventKind::UserEnter, "userEnter"),
    (EventKind::UserLeave, "userLeave"),
    (EventKind::Follow, "follow"),
    (EventKind::Unfollow, "unfollow"),
    (EventKind::FanclubJoin, "fanclubJoin"),
    (EventKind::MediaPurchase, "mediaPurchase"),
    (EventKind::RoomSubjectChange, "roomSubjectChange"),
    (EventKind::BroadcastStart, "broadcastStart"),
    (EventKind::BroadcastStop, "broadcastStop"),
];

/// Every kind a Chaturbate room can produce (its summary lists each, zero included): the methods' kinds, then
/// `unknown`. Derived from [`METHODS`], so the two cannot drift apart.
pub const KINDS: [EventKind; METHODS.len() + 1] = {
    let mut kinds = [EventKind::Unknown; METHODS.len() + 1];
    let mut i = 0;
    while i < METHODS.len() {
        kinds[i] = METHODS[i].0;
        i += 1;
    }
    kinds
};

/// The kind a Chaturbate method name stands for (`None`: an unknown method).
pub fn kind_of(method: &str) -> Option<EventKind> {
    METHODS.iter().find(|(_, m)| *m == method).map(|(k, _)| *k)
}

/// The Chaturbate method name of a kind (`None` for kinds Chaturbate does not send).
pub fn method_of(kind: EventKind) -> Option<&'static str> {
    METHODS.iter().find(|(k, _)| *k == kind).map(|(_, m)| *m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip_through_methods() {
        for kind in KINDS {
            match method_of(kind) {
                Some(m) => assert_eq!(kind_of(m), Some(kind)),
                None => assert_eq!(kind, EventKind::Unknown),
            }
        }
        assert!(METHODS.iter().all(|(k, _)| KINDS.contains(k)));
        assert_eq!(kind_of("tipz"), None);
    }
}
