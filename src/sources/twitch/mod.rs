//! Twitch (EventSub). So far: the message parser and the platform table's entry (replay of Twitch journals, the
//! kinds and the unit). The WebSocket source, the login and the Helix polls come next (issue 11).

pub mod auth;
pub mod endpoints;
pub mod helix;
pub mod parse;
pub mod poll;
pub mod session;
pub mod socket;
pub mod subscriptions;
pub mod token;

pub use parse::{parse_frame, KINDS};
