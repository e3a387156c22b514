use super::action::Action;
use crate::event::RoomKey;
use crate::sources::SourceMsg;
use std::fmt;

/// Everything the reducer can receive.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// A source's message, with the room it belongs to.
    Source(RoomKey, SourceMsg),
    /// The channel watch's message.
    Watch(super::channels::WatchUpdate),
    Action(Action),
    /// A printable character typed while a prompt is open.
    Input(char),
    /// Backspace while a prompt is open.
    InputBackspace,
    /// The 1 Hz clock (only armed while something time-derived is on screen).
    Tick,
    /// A new terminal size, with what the view derives from it (`ui::viewport`).
    Resize(super::live::Viewport),
    /// A request to end the session (signal, `--max-events`, end of replay, fatal error).
    Shutdown(ExitReason),
}

/// The process exit codes (DESIGN.md "Command line").
pub mod exit_code {
    /// A normal end: the quit key, `--max-events`, the end of a replay, a signal.
    pub const OK: i32 = 0;
    /// A usage or config error.
    pub const USAGE: i32 = 2;
    /// The platform refused the credentials.
    pub const CREDENTIALS: i32 = 3;
    /// Any other fatal error.
    pub const FATAL: i32 = 4;
}

/// Why the session ended; the summary's `exit_reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitReason {
    QuitKey,
    Interrupt,
    Terminate,
    Hangup,
    MaxEvents,
    EndOfReplay,
    CredentialsRefused,
    FatalError(String),
    Panic,
    /// The source's channel closed without saying it ended (a source that vanished): exit 4.
    SourceFailed,
    /// Headless stdout was closed by the reader (e.g. `| head`): a normal end.
    OutputClosed,
}

impl ExitReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            ExitReason::QuitKey => "quit_key",
            ExitReason::Interrupt => "sigint",
            ExitReason::Terminate => "sigterm",
            ExitReason::Hangup => "sighup",
            ExitReason::MaxEvents => "max_events",
            ExitReason::EndOfReplay => "end_of_replay",
            ExitReason::CredentialsRefused => "credentials_refused",
            ExitReason::FatalError(_) => "fatal_error",
            ExitReason::Panic => "panic",
            ExitReason::SourceFailed => "source_failed",
            ExitReason::OutputClosed => "output_closed",
        }
    }

    /// The process exit code (DESIGN.md): 0 normal end, 3 credentials refused, 4 other fatal errors.
    pub fn exit_code(&self) -> i32 {
        match self {
            ExitReason::CredentialsRefused => exit_code::CREDENTIALS,
            ExitReason::FatalError(_) | ExitReason::Panic | ExitReason::SourceFailed => {
                exit_code::FATAL
            }
            _ => exit_code::OK,
        }
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the runner must do after an update.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    pub redraw: bool,
    pub bell: bool,
    pub quit: Option<ExitReason>,
}

impl Effects {
    pub fn merge(&mut self, other: Effects) {
        self.redraw |= other.redraw;
        self.bell |= other.bell;
        if self.quit.is_none() {
            self.quit = other.quit;
        }
    }
}
