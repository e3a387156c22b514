//! App state and the pure reducer: `update(&mut State, Msg, now) -> Effects`. No I/O, no clock reads.

pub mod action;
pub mod keymap;
pub mod msg;
pub mod settings;
pub mod state;
pub mod stats;
pub mod update;

pub use action::Action;
pub use keymap::{KeyMap, Mode};
pub use msg::{Effects, ExitReason, Msg};
pub use settings::Settings;
pub use state::{Marker, State};
pub use stats::SessionStats;
pub use update::update;
