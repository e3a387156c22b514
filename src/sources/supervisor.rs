//! Every source task runs under this supervisor: a panic inside it becomes a [`SourceError::Panic`] on its
//! channel (the session then ends with exit 4, summary `exit_reason: panic`), never a channel that simply
//! closes and reads as a clean end. A channel that closes without `Ended` or `Fatal` is the runner's
//! [`SourceError::Vanished`].

use super::{SourceError, SourceMsg};
use futures_util::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::OnceLock;
use tokio::runtime::Handle;
use tokio::sync::mpsc;

/// The runtime the sources run on, when the binary gives them one of their own (docs/decisions.md "The
/// sources on the second core"): fetching and parsing then use the core the runner leaves idle.
static SOURCES_RUNTIME: OnceLock<Handle> = OnceLock::new();

/// Puts every source task spawned from now on on `handle`'s runtime. Set once, by `main`; without it (the
/// tests, a library user) sources run on the caller's runtime.
pub fn run_sources_on(handle: Handle) {
    let _ = SOURCES_RUNTIME.set(handle);
}

/// Spawns a source task under the supervisor, on the sources' runtime (or the current one).
pub fn spawn<F>(fut: F, tx: mpsc::Sender<SourceMsg>) -> tokio::task::JoinHandle<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let task = async move {
        if let Err(payload) = AssertUnwindSafe(fut).catch_unwind().await {
            let text = panic_text(&*payload);
            tracing::error!(panic = %crate::mask::scrub(&text), "the event source panicked");
            let _ = tx.send(SourceMsg::Fatal(SourceError::Panic(text))).await;
        }
    };
    match SOURCES_RUNTIME.get() {
        Some(handle) => handle.spawn(task),
        None => tokio::spawn(task),
    }
}

/// A helper task that stops with its owner (a poll task beside a socket, a watch task beside its writer).
pub struct AbortOnDrop<T = ()>(pub tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The message of a panic payload (`&str` or `String`), or "panic".
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_source_becomes_a_fatal_panic_message() {
        let (tx, mut rx) = mpsc::channel(4);
        let task = spawn(
            async {
                panic!("source broke");
            },
            tx,
        );
        match rx.recv().await.expect("a message") {
            SourceMsg::Fatal(SourceError::Panic(text)) => assert!(text.contains("source broke")),
            other => panic!("{other:?}"),
        }
        assert!(rx.recv().await.is_none(), "channel closes after the fatal");
        task.await.unwrap();
    }
}
