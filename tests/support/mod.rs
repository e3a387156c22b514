//! Test support: a protocol-faithful mock of the Chaturbate Events API on 127.0.0.1 and realistic events.
#![allow(dead_code)]

pub mod events;
pub mod mock;
