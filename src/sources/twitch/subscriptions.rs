//! The EventSub subscriptions the monitor creates for a channel (DESIGN.md "Twitch"), and the scopes each needs.
//! `channel.chat.notification` is left out on purpose: it re-announces subs, gifts and raids that their own
//! subscriptions already bring, and one real-world occurrence must be counted once.

use serde_json::{json, Value};

/// Who a condition names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// The channel watched.
    Broadcaster,
    /// The token's user (the broadcaster, or a moderator of the channel).
    Reader,
}

/// One subscription type: its version, condition keys and the scopes it needs (each inner list is
/// "any of these"; all lists must be met).
pub struct Wanted {
    pub kind: &'static str,
    pub version: &'static str,
    condition: &'static [(&'static str, Who)],
    pub scopes: &'static [&'static [&'static str]],
}

const B: Who = Who::Broadcaster;
const R: Who = Who::Reader;

pub const TABLE: &[Wanted] = &[
    Wanted {
        kind: "channel.chat.message",
        version: "1",
        condition: &[("broadcaster_user_id", B), ("user_id", R)],
        scopes: &[&["user:read:chat"]],
    },
    Wanted {
        kind: "channel.cheer",
        version: "1",
        condition: &[("broadcaster_user_id", B)],
        scopes: &[&["bits:read"]],
    },
    Wanted {
        kind: "channel.subscribe",
        version: "1",
        condition: &[("broadcaster_user_id", B)],
        scopes: &[&["channel:read:subscriptions"]],
    },
    Wanted {
        kind: "channel.subscription.message",
        version: "1",
        condition: &[("broadcaster_user_id", B)],
        scopes: &[&["channel:read:subscriptions"]],
    },
    Wanted {
        kind: "channel.subscription.gift",
        version: "1",
        condition: &[("broadcaster_user_id", B)],
        scopes: &[&["channel:read:subscriptions"]],
    },
    Wanted {
        kind: "channel.channel_points_custom_reward_redemption.add",
        version: "1",
        condition: &[("broadcaster_user_id", B)],
        scopes: &[&["channel:read:redemptions", "channel:manage:redemptions"]],
    },
    Wanted {
        kind: "channel.follow",
        version: "2",
        condition: &[("broadcaster_user_id", B), ("moderator_user_id", R)],
        scopes: &[&["moderator:read:followers"]],
    },
    Wanted {
        kind: "channel.raid",
        version: "1",
        condition: &[("to_broadcaster_user_id", B)],
        scopes: &[],
    },
    Wanted {
        kind: "channel.moderate",
        version: "2",
        condition: &[("broadcaster_user_id", B), ("moderator_user_id", R)],
        scopes: &[
            &[
                "moderator:read:blocked_terms",
                "moderator:manage:blocked_terms",
            ],
            &[
                "moderator:read:chat_settings",
                "moderator:manage:chat_settings",
            ],
            &[
                "moderator:read:unban_requests",
                "moderator:manage:unban_requests",
            ],
            &[
                "moderator:read:banned_users",
                "moderator:manage:banned_users",
            ],
            &[
                "moderator:read:chat_messages",
                "moderator:manage:chat_messages",
            ],
            &["moderator:read:warnings", "moderator:manage:warnings"],
            &["moderator:read:moderators", "channel:manage:moderators"],
            &["moderator:read:vips", "channel:manage:vips"],
        ],
    },
    Wanted {
        kind: "user.whisper.message",
        version: "1",
        condition: &[("user_id", R)],
        scopes: &[&["user:read:whispers", "user:manage:whispers"]],
    },
    Wanted {
        kind: "stream.online",
        version: "1",
        condition: &[("broadcaster_user_id", B)],
        scopes: &[],
    },
    Wanted {
        kind: "stream.offline",
        version: "1",
        condition: &[("broadcaster_user_id", B)],
        scopes: &[],
    },
    Wanted {
        kind: "channel.update",
        version: "2",
        condition: &[("broadcaster_user_id", B)],
        scopes: &[],
    },
];

impl Wanted {
    /// The scopes of this type that `granted` lacks (the first of each "any of" list).
    pub fn missing(&self, granted: &[String]) -> Vec<&'static str> {
        (self.scopes.iter())
            .filter(|any| !any.iter().any(|s| granted.iter().any(|g| g == s)))
            .map(|any| any[0])
            .collect()
    }

    /// The Helix body that creates it on a WebSocket session.
    pub fn body(&self, broadcaster_id: &str, reader_id: &str, session_id: &str) -> Value {
        let condition: serde_json::Map<String, Value> = (self.condition.iter())
            .map(|(key, who)| {
                let id = match who {
                    Who::Broadcaster => broadcaster_id,
                    Who::Reader => reader_id,
                };
                (key.to_string(), Value::String(id.into()))
            })
            .collect();
        json!({
            "type": self.kind,
            "version": self.version,
            "condition": condition,
            "transport": {"method": "websocket", "session_id": session_id},
        })
    }
}

/// The subscriptions the token's scopes allow, and the scopes that would allow the rest (sorted, once each).
pub fn plan(granted: &[String]) -> (Vec<&'static Wanted>, Vec<&'static str>) {
    let mut allowed = Vec::new();
    let mut missing = Vec::new();
    for w in TABLE {
        let lacks = w.missing(granted);
        if lacks.is_empty() {
            allowed.push(w);
        } else {
            missing.extend(lacks);
        }
    }
    missing.sort_unstable();
    missing.dedup();
    (allowed, missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_the_parser_maps_is_planned_with_the_default_scopes() {
        let all: Vec<String> = (super::super::auth::DEFAULT_SCOPES.iter())
            .map(|s| s.to_string())
            .collect();
        let (allowed, missing) = plan(&all);
        assert_eq!(allowed.len(), TABLE.len());
        assert!(missing.is_empty(), "{missing:?}");
        let (allowed, missing) = plan(&["bits:read".to_string()]);
        let kinds: Vec<_> = allowed.iter().map(|w| w.kind).collect();
        assert_eq!(
            kinds,
            [
                "channel.cheer",
                "channel.raid",
                "stream.online",
                "stream.offline",
                "channel.update"
            ]
        );
        assert!(missing.contains(&"user:read:chat") && !missing.contains(&"bits:read"));
    }

    #[test]
    fn bodies_name_the_broadcaster_and_the_reader() {
        let follow = TABLE.iter().find(|w| w.kind == "channel.follow").unwrap();
        assert_eq!(
            follow.body("1001", "2002", "sess"),
            json!({"type":"channel.follow","version":"2",
                   "condition":{"broadcaster_user_id":"1001","moderator_user_id":"2002"},
                   "transport":{"method":"websocket","session_id":"sess"}})
        );
    }
}
