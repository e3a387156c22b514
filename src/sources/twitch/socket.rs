//! One EventSub WebSocket: a task that connects, then forwards every text frame to the session and never stops
//! reading (tungstenite answers the server's pings while it reads; the client sends nothing else, as Twitch
//! requires). Dropping the [`Socket`] closes it with a close frame.

use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// Identifies a socket among the session's (an old one and its replacement overlap during a reconnect).
pub type SocketId = u64;

/// Largest frame or message accepted: Twitch's notifications are a few KiB; anything near this is hostile.
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a socket task reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketEvent {
    Text(SocketId, String),
    /// The socket ended: the close code when the server sent one, and a reason to show.
    Closed(SocketId, Option<u16>, String),
    /// The connection could not be made.
    Failed(SocketId, String),
}

/// A running socket task.
pub struct Socket {
    pub id: SocketId,
    close: Option<oneshot::Sender<()>>,
}

impl Drop for Socket {
    fn drop(&mut self) {
        if let Some(close) = self.close.take() {
            let _ = close.send(());
        }
    }
}

/// Connects to `url` in a new task; its frames and its end arrive on `events`.
pub fn open(id: SocketId, url: url::Url, events: mpsc::Sender<SocketEvent>) -> Socket {
    let (close_tx, close_rx) = oneshot::channel();
    tokio::spawn(run(id, url, events, close_rx));
    Socket {
        id,
        close: Some(close_tx),
    }
}

async fn run(
    id: SocketId,
    url: url::Url,
    events: mpsc::Sender<SocketEvent>,
    mut close: oneshot::Receiver<()>,
) {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    let connect = tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), false);
    let mut ws = tokio::select! {
        _ = &mut close => return,
        r = tokio::time::timeout(CONNECT_TIMEOUT, connect) => match r {
            Ok(Ok((ws, _))) => ws,
            Ok(Err(e)) => {
                let text = crate::mask::scrub(&e.to_string()).into_owned();
                let _ = events.send(SocketEvent::Failed(id, text)).await;
                return;
            }
            Err(_) => {
                let _ = events.send(SocketEvent::Failed(id, "connect timed out".into())).await;
                return;
            }
        },
    };
    let end = loop {
        tokio::select! {
            _ = &mut close => {
                let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
                return;
            }
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    if events.send(SocketEvent::Text(id, text.as_str().to_owned())).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    let _ = ws.flush().await;
                    break match frame {
                        Some(f) => SocketEvent::Closed(
                            id,
                            Some(u16::from(f.code)),
                            crate::sanitize::clean(f.reason.as_str()).chars().take(120).collect(),
                        ),
                        None => SocketEvent::Closed(id, None, "closed without a code".into()),
                    };
                }
                // Pings are answered by tungstenite; Twitch sends no binary frames.
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    break SocketEvent::Closed(id, None, crate::mask::scrub(&e.to_string()).into_owned())
                }
                None => break SocketEvent::Closed(id, None, "connection closed".into()),
            },
        }
    };
    let _ = events.send(end).await;
}
