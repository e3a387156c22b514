//! Twitch (EventSub). So far: the message parser and the platform table's entry (replay of Twitch journals, the
//! kinds and the unit). The WebSocket source, the login and the Helix polls come next (issue 11).

pub mod parse;

pub use parse::{parse_frame, KINDS};
