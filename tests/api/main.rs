//! The local API (`--serve`) through the real binary: auth, JSON shapes, Server-Sent Events, resumes, a
//! stalled client, bind refusals. One test binary (see STYLE.md); modules by area.

mod browser;
mod overlays;
mod server;
#[path = "../support/served.rs"]
mod support;
#[path = "../support/tmux.rs"]
mod tmux;
mod tui;
mod webhook;
