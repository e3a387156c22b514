//! The platform table: what differs between platforms, looked up by [`SourceKind`], so the shared layers
//! (replay, the views, the summary) never `match` on a platform themselves. Adding a platform is a folder
//! under `sources/` plus one entry here.

use crate::event::{EventKind, RoomEvent, SourceKind, Unit};
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;

/// Parses one event as the platform sent it (a journal line's `event`), with its receive time.
pub type ParseRaw = fn(&RawValue, SourceKind, DateTime<Utc>) -> Result<RoomEvent, &'static str>;

pub struct Platform {
    /// The unit its tips are counted in (the one the tips pane and the status line show).
    pub unit: Unit,
    /// Re-parses a journaled event (replay) the way the live source parsed it.
    pub parse_raw: ParseRaw,
    /// The kinds its rooms can produce: the summary's `events.by_kind` lists each (zero included).
    pub kinds: &'static [EventKind],
    /// What to do when the platform refused the credentials (the end report's line).
    pub refused_help: &'static str,
}

const CHATURBATE: Platform = Platform {
    unit: Unit::Tokens,
    parse_raw: super::chaturbate::parse_event,
    kinds: &super::chaturbate::methods::KINDS,
    refused_help: "Chaturbate refused the credentials (HTTP 401/403). Create a new token with the \"Events API\" \
        scope at https://chaturbate.com/statsapi/authtoken/ and set CB_EVENTS_URL (for `roomwatch watch`: the \
        room's credentials_env or credentials_file) to its URL.",
};

const TWITCH: Platform = Platform {
    unit: Unit::Bits,
    parse_raw: super::twitch::parse_frame,
    kinds: &super::twitch::KINDS,
    refused_help:
        "Twitch refused or revoked the token. Run `roomwatch twitch login` again (or set a new \
        TWITCH_ACCESS_TOKEN).",
};

/// The table entry of a platform. The simulator sends Chaturbate's wire format, so it shares that entry.
pub fn of(kind: SourceKind) -> &'static Platform {
    match kind {
        SourceKind::Chaturbate | SourceKind::Simulator => &CHATURBATE,
        SourceKind::Twitch => &TWITCH,
    }
}
