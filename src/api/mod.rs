//! The local API (`--serve`): axum on loopback, the API key on every request, JSON answers from the runner,
//! and the session's headless lines as Server-Sent Events (DESIGN.md "Local API").
//!
//! The server never reaches into the state: a JSON answer is a [`Query`] the runner answers from the state it
//! owns (between two batches), and the event stream reads the [`hub::Hub`] the runner publishes to. Platform
//! tokens and URLs are not in either, so they cannot be served.

pub mod auth;
mod events;
pub mod eventsub;
pub mod hub;
pub mod overlay;
pub mod secret;

use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Where `--serve` listens when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7797";

/// `--serve ADDR`: `IP:PORT`, `localhost:PORT`, or a port alone (on 127.0.0.1).
pub fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    let port = |p: &str| p.parse::<u16>().ok();
    if let Some(p) = port(text).or_else(|| text.strip_prefix("localhost:").and_then(port)) {
        return Ok(SocketAddr::from(([127, 0, 0, 1], p)));
    }
    text.parse().map_err(|_| {
        format!(
            "not an address: give IP:PORT (e.g. {DEFAULT_ADDR}, [::1]:7797) or a port; put --serve after \
             the other arguments, or write --serve=ADDR"
        )
    })
}

/// Longest wait for the runner's answer; a runner that does not answer in this time is busy or gone.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// Questions in flight to the runner at most; more wait for a place (the handler's own time limit applies).
const QUERIES: usize = 64;

/// `--serve [ADDR]` and `--serve-public`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    pub public: bool,
}

impl ServeOptions {
    /// Checks the address against `--serve-public`: anything but loopback must be asked for.
    pub fn check(&self) -> Result<(), String> {
        if self.addr.ip().is_loopback() || self.public {
            return Ok(());
        }
        Err(format!(
            "--serve {} is not a loopback address: anyone who can reach it could try the API key; add \
             --serve-public if that is what you want",
            self.addr
        ))
    }
}

/// What the server asks the runner, each with the place for the answer (a JSON body).
#[derive(Debug)]
pub enum Query {
    /// `GET /api/v1/rooms`.
    Rooms(oneshot::Sender<Vec<u8>>),
    /// `GET /api/v1/rooms/{room}/summary`: `None` when no room has that name.
    Summary {
        room: String,
        reply: oneshot::Sender<Option<Vec<u8>>>,
    },
    /// `GET /api/v1/channels`.
    Channels(oneshot::Sender<Vec<u8>>),
    /// A verified EventSub webhook message (no answer expected).
    Webhook(eventsub::Webhook),
    /// The server stopped (it does not on its own): the session says so and ends.
    Failed(String),
}

/// The running server, owned by the runner: the queries to answer and the hub to publish to. Dropping it
/// stops the server's thread, and every connection with it.
pub struct Server {
    pub addr: SocketAddr,
    pub hub: Arc<hub::Hub>,
    queries: mpsc::Receiver<Query>,
    /// Dropped with the server: its thread stops serving.
    _stop: oneshot::Sender<()>,
}

impl Server {
    /// A query already waiting, if any.
    pub fn try_query(&mut self) -> Option<Query> {
        self.queries.try_recv().ok()
    }

    /// The next query; never returns while the server runs and nobody asks.
    pub async fn next_query(&mut self) -> Query {
        match self.queries.recv().await {
            Some(q) => q,
            // The server's task holds a sender until it reports `Failed`.
            None => Query::Failed("the API server stopped".into()),
        }
    }
}

#[derive(Clone)]
struct Shared {
    key: Arc<str>,
    webhook_secret: Arc<str>,
    webhook_seen: Arc<std::sync::Mutex<crate::sources::dedup::Dedup>>,
    queries: mpsc::Sender<Query>,
    hub: Arc<hub::Hub>,
}

/// The secrets a server checks requests with.
pub struct Secrets {
    /// The API key (`Authorization: Bearer` or `?key=`).
    pub key: String,
    /// The EventSub webhook secret (the HMAC key of `POST /eventsub`).
    pub webhook: String,
}

/// Binds and starts serving on a thread of its own (its own single-threaded runtime): the fan-out to the
/// SSE clients and the HTTP work use the second core instead of the runner's. Errors are one line for the user.
pub fn start(opts: &ServeOptions, secrets: Secrets) -> Result<Server, String> {
    opts.check()?;
    let listener = std::net::TcpListener::bind(opts.addr).map_err(|e| bind_error(opts.addr, &e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| bind_error(opts.addr, &e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| bind_error(opts.addr, &e))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the API server: {e}"))?;
    let (tx, rx) = mpsc::channel(QUERIES);
    let hub = hub::Hub::new(hub::RING, hub::FANOUT);
    let shared = Shared {
        key: Arc::from(secrets.key),
        webhook_secret: Arc::from(secrets.webhook),
        webhook_seen: Arc::new(std::sync::Mutex::new(crate::sources::dedup::Dedup::new(
            eventsub::REMEMBERED,
        ))),
        queries: tx.clone(),
        hub: Arc::clone(&hub),
    };
    let app = router(shared);
    let (stop, stopped) = oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("roomwatch-api".into())
        .spawn(move || {
            runtime.block_on(async move {
                let served = async {
                    let listener = tokio::net::TcpListener::from_std(listener)?;
                    serve(listener, app).await;
                    Ok::<(), std::io::Error>(())
                };
                let why = tokio::select! {
                    // The session is over: dropping the runtime below ends every connection.
                    _ = stopped => return,
                    r = served => match r {
                        Ok(()) => "the API server stopped".to_string(),
                        Err(e) => format!("the API server failed: {e}"),
                    },
                };
                let _ = tx.send(Query::Failed(why)).await;
            });
        })
        .map_err(|e| format!("cannot start the API server: {e}"))?;
    Ok(Server {
        addr,
        hub,
        queries: rx,
        _stop: stop,
    })
}

/// Connections served at once (each SSE client holds one); more are closed as they come.
const MAX_CONNECTIONS: usize = 256;
/// A request's head must arrive within this: a client that opens a connection and sends half a line does not
/// hold it for ever.
const HEAD_WITHIN: Duration = Duration::from_secs(10);

/// The accept loop: HTTP/1 on each connection, at most [`MAX_CONNECTIONS`] at once, heads within
/// [`HEAD_WITHIN`] (axum's own `serve` has neither). Never returns: a failed accept (out of descriptors) waits
/// and tries again.
async fn serve(listener: tokio::net::TcpListener, app: Router) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    // Said at most once a minute: a flood must not fill the log as well.
    let mut warned: Option<tokio::time::Instant> = None;
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "API server: accept failed");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            if warned.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                tracing::warn!("API server: {MAX_CONNECTIONS} connections open; more are refused");
                warned = Some(tokio::time::Instant::now());
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_WITHIN)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(slot);
        });
    }
}

fn bind_error(addr: SocketAddr, e: &std::io::Error) -> String {
    let hint = match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            " (another program, or another roomwatch, serves there); choose another with --serve ADDR"
        }
        std::io::ErrorKind::PermissionDenied => "; ports below 1024 need privileges, choose another",
        std::io::ErrorKind::AddrNotAvailable => ": no interface of this machine has that address",
        _ => "",
    };
    format!("cannot serve on {addr}: {e}{hint}")
}

fn router(shared: Shared) -> Router {
    let with_key = Router::new()
        .route("/api/v1/rooms", get(rooms))
        .route("/api/v1/rooms/{room}/summary", get(summary))
        .route("/api/v1/channels", get(channels))
        .route("/api/v1/events", get(events::stream))
        .route("/api/v1/session", get(session))
        .route("/overlay/{widget}", get(overlay::page))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            auth::require_key,
        ));
    // Twitch cannot send the API key: the webhook is authenticated by its signature instead.
    let webhook = Router::new()
        .route("/eventsub", post(eventsub::receive))
        .layer(DefaultBodyLimit::max(eventsub::MAX_BODY));
    with_key.merge(webhook).with_state(shared)
}

/// Asks the runner and waits for its answer (503 when it is gone or too busy to answer in time).
async fn ask<T>(
    s: &Shared,
    query: impl FnOnce(oneshot::Sender<T>) -> Query,
) -> Result<T, StatusCode> {
    let (tx, rx) = oneshot::channel();
    let asked = async {
        s.queries.send(query(tx)).await.ok()?;
        rx.await.ok()
    };
    match tokio::time::timeout(ANSWER_WITHIN, asked).await {
        Ok(Some(answer)) => Ok(answer),
        _ => Err(StatusCode::SERVICE_UNAVAILABLE),
    }
}

fn json(body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

async fn rooms(State(s): State<Shared>) -> Result<Response, StatusCode> {
    ask(&s, Query::Rooms).await.map(json)
}

async fn summary(
    State(s): State<Shared>,
    Path(room): Path<String>,
) -> Result<Response, StatusCode> {
    match ask(&s, |reply| Query::Summary { room, reply }).await? {
        Some(body) => Ok(json(body)),
        None => Err(StatusCode::NOT_FOUND),
    }
}

/// `GET /api/v1/session`: this session's name and its newest line's id, for clients that resume across restarts.
async fn session(State(s): State<Shared>) -> Response {
    let body = serde_json::json!({"session": s.hub.session(), "newest_id": s.hub.published()});
    json(body.to_string().into_bytes())
}

async fn channels(State(s): State<Shared>) -> Result<Response, StatusCode> {
    ask(&s, Query::Channels).await.map(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_ports_and_what_is_refused() {
        let ok = |t: &str| parse_addr(t).unwrap().to_string();
        assert_eq!(ok("7798"), "127.0.0.1:7798");
        assert_eq!(ok("localhost:80"), "127.0.0.1:80");
        assert_eq!(ok("[::1]:7797"), "[::1]:7797");
        assert_eq!(ok("0.0.0.0:7797"), "0.0.0.0:7797");
        for bad in [
            "journal.jsonl",
            "localhost",
            "127.0.0.1",
            "99999",
            "example.com:80",
        ] {
            assert!(parse_addr(bad).is_err(), "{bad}");
        }
        let public = |addr: &str, public| ServeOptions {
            addr: parse_addr(addr).unwrap(),
            public,
        };
        assert!(public("127.0.0.2:1", false).check().is_ok());
        assert!(public("[::1]:1", false).check().is_ok());
        let err = public("0.0.0.0:7797", false).check().unwrap_err();
        assert!(err.contains("--serve-public"), "{err}");
        assert!(public("0.0.0.0:7797", true).check().is_ok());
    }
}
