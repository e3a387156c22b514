//! App state and the pure reducer: `update(&mut State, Msg, now) -> Effects`. No I/O, no clock reads.

pub mod action;
mod actions;
pub mod alerts;
pub mod channels;
pub mod feed;
pub mod filter;
pub mod keymap;
pub mod live;
pub mod msg;
pub mod presence;
pub mod prompt;
pub mod rates;
pub mod room;
pub mod settings;
pub mod state;
pub mod stats;
pub mod update;

pub use action::Action;
pub use feed::Pane;
pub use keymap::{KeyMap, Mode};
pub use live::{Live, Viewport};
pub use msg::{Effects, ExitReason, Msg};
pub use room::Room;
pub use settings::Settings;
pub use state::{Marker, State};
pub use stats::SessionStats;
pub use update::{session_end, update};
