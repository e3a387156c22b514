mod binary;
mod channels;
mod faults;
mod mock;
mod mock_selftest;
mod polls;
#[path = "../support/tmux.rs"]
mod tmux;
mod tui;
