//! The Chaturbate Events API source: parsing, credentials, and the long-poll task.

mod loose;
pub mod parse;

pub use parse::{parse_event, parse_reply, EnvelopeError, NextUrl, ParsedReply, SkippedEvent};
