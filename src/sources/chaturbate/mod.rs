//! The Chaturbate Events API source: parsing, credentials, and the long-poll task.

pub mod credentials;
mod loose;
pub mod methods;
mod one_pass;
pub mod parse;
pub mod poller;
mod scan;
pub mod start;
pub mod time;
pub mod url;

pub use parse::{
    parse_event, parse_reply, parse_reply_by_items, EnvelopeError, NextUrl, ParsedReply, Raw,
    SkippedEvent,
};
pub use start::{configure, StartOptions};
