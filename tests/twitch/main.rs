mod binary;
mod channels;
mod faults;
mod mock;
mod mock_selftest;
mod polls;
mod scripted;
mod serve;
#[path = "../support/served.rs"]
mod served;
#[path = "../support/tmux.rs"]
mod tmux;
mod tui;
