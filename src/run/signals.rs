//! SIGINT, SIGTERM and SIGHUP all end the session through the same path as the quit key.

use crate::app::ExitReason;
use tokio::signal::unix::{signal, Signal, SignalKind};

pub struct Signals {
    int: Signal,
    term: Signal,
    hup: Signal,
}

impl Signals {
    /// Installs the handlers. Call before starting the source so no signal is missed.
    pub fn install() -> std::io::Result<Signals> {
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// Resolves with the next signal.
    pub async fn recv(&mut self) -> ExitReason {
        tokio::select! {
            _ = self.int.recv() => ExitReason::Interrupt,
            _ = self.term.recv() => ExitReason::Terminate,
            _ = self.hup.recv() => ExitReason::Hangup,
        }
    }
}
