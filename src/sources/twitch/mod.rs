//! Twitch (EventSub over WebSocket): the message parser (also the platform table's replay parser), the session
//! and its sockets, the OAuth calls (device flow, refresh, validate, revoke), the Helix calls and polls, the
//! subscription plan, the token store and the endpoints.

pub mod auth;
pub mod channels;
pub mod endpoints;
pub mod helix;
pub mod parse;
pub mod poll;
pub mod session;
pub mod socket;
pub mod subscriptions;
pub mod token;

pub use parse::{parse_frame, KINDS};
