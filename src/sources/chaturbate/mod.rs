//! The Chaturbate Events API source: parsing, credentials, and the long-poll task.

pub mod backoff;
pub mod credentials;
pub mod dedup;
mod loose;
pub mod parse;
pub mod poller;
pub mod rate_limit;
pub mod start;
pub mod url;

pub use parse::{parse_event, parse_reply, EnvelopeError, NextUrl, ParsedReply, SkippedEvent};
pub use start::{start, StartOptions};
