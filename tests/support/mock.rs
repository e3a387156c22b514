//! A mock Events API server: a small HTTP/1.1 server (keep-alive, Content-Length, optional gzip) on
//! 127.0.0.1, on its own thread and runtime (real time, so tests may pause theirs).
//!
//! Protocol as chaturbate.md describes it: `GET /events/<user>/<token>/?i=<id>&timeout=<s>`; without `i` the
//! reply starts at the beginning of the scripted events (the "backlog"); with `i` it carries the events after
//! that id; when there is nothing new the request is held up to `timeout` seconds (capped by `max_hold`),
//! woken early by [`Mock::push`]. Replies carry `nextUrl` with `i` = the last id delivered. Faults are
//! scripted per request number.

use flate2::write::GzEncoder;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// How a reply's `nextUrl` is written.
#[derive(Debug, Clone, PartialEq)]
pub enum NextMode {
    /// `http://127.0.0.1:<port>/events/<user>/<token>/?i=…&timeout=…` (what the real API does).
    Absolute,
    /// `/events/<user>/<token>/?i=…&timeout=…`
    Relative,
    /// `null`
    Null,
    /// The same path and query on another base (e.g. `http://127.0.0.1:<other port>`, `https://evil.example`).
    Foreign(String),
}

/// A scripted deviation for one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// A status with headers and a body; the cursor does not move.
    Status {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// The right reply with `Content-Length` of the whole body, cut in half, then the connection closed.
    TruncateBody,
    /// A well-formed HTTP reply whose JSON body is cut in half.
    CutJson,
    /// The right reply after a delay.
    Slow(Duration),
    /// The connection closed without any reply.
    Drop,
    /// `400 {"status":"waited too long for events","nextUrl":…,"events":[]}`: a long-poll continuation.
    BadRequestWithNext,
    /// The right events, with this `nextUrl` form for this reply only.
    Next(NextMode),
    /// The right events twice over in one reply (the client must drop the repeats).
    Duplicate,
    /// The reply also carries an item without `id` (the client must skip and count it).
    WithoutId,
}

impl Fault {
    pub fn status(status: u16) -> Fault {
        Fault::Status {
            status,
            headers: vec![],
            body: format!("{{\"error\":\"status {status}\"}}"),
        }
    }
    pub fn retry_after(value: &str) -> Fault {
        Fault::Status {
            status: 429,
            headers: vec![("Retry-After".into(), value.into())],
            body: "Rate limit exceeded".into(),
        }
    }
}

pub type FaultScript = Arc<dyn Fn(u64) -> Option<Fault> + Send + Sync>;

#[derive(Clone)]
pub struct MockConfig {
    pub user: String,
    pub token: String,
    pub per_reply: usize,
    pub next_mode: NextMode,
    /// Gzip replies when the client accepts it.
    pub gzip: bool,
    /// Longest hold of an empty long poll, whatever `timeout` asks.
    pub max_hold: Duration,
    /// Called with the 1-based request number.
    pub faults: FaultScript,
    /// An `i` that names no known event: 400 without `nextUrl` (as a stale cursor might be refused).
    pub reject_unknown_cursor: bool,
}

impl MockConfig {
    pub fn new(user: &str, token: &str) -> Self {
        MockConfig {
            user: user.into(),
            token: token.into(),
            per_reply: 100,
            next_mode: NextMode::Absolute,
            gzip: false,
            max_hold: Duration::from_millis(200),
            faults: Arc::new(|_| None),
            reject_unknown_cursor: true,
        }
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub number: u64,
    /// The request target: path and query.
    pub target: String,
    pub host: String,
    pub accept_gzip: bool,
}

struct Shared {
    cfg: MockConfig,
    events: Mutex<Vec<String>>,
    ids: Mutex<HashMap<String, usize>>,
    arrived: Notify,
    seen: Mutex<Vec<Seen>>,
    port: u16,
}

pub struct Mock {
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Mock {
    /// Starts a server with the given events (compact JSON objects, each with an `"id"`).
    pub fn start(cfg: MockConfig, events: Vec<String>) -> Mock {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        std_listener.set_nonblocking(true).unwrap();
        let port = std_listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            cfg,
            events: Mutex::new(Vec::new()),
            ids: Mutex::new(HashMap::new()),
            arrived: Notify::new(),
            seen: Mutex::new(Vec::new()),
            port,
        });
        let mock_shared = shared.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                tokio::select! {
                    _ = accept_loop(listener, mock_shared) => {}
                    _ = rx => {}
                }
            });
            rt.shutdown_background();
        });
        let mock = Mock {
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        };
        mock.push(events);
        mock
    }

    /// Adds events; held long polls wake up.
    pub fn push(&self, more: Vec<String>) {
        let mut evs = self.shared.events.lock().unwrap();
        let mut ids = self.shared.ids.lock().unwrap();
        for e in more {
            let v: serde_json::Value = serde_json::from_str(&e).expect("event JSON");
            if let Some(id) = v.get("id").and_then(|i| i.as_str()) {
                ids.insert(id.to_string(), evs.len());
            }
            evs.push(e);
        }
        drop(evs);
        drop(ids);
        self.shared.arrived.notify_waiters();
    }

    pub fn port(&self) -> u16 {
        self.shared.port
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.shared.port)
    }

    /// The URL a user would configure.
    pub fn events_url(&self) -> String {
        format!(
            "{}/events/{}/{}/",
            self.base(),
            self.shared.cfg.user,
            self.shared.cfg.token
        )
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(stream, shared.clone()));
    }
}

async fn serve_connection(mut stream: TcpStream, shared: Arc<Shared>) {
    let mut buf = Vec::with_capacity(4096);
    loop {
        let head = loop {
            if let Some(end) = find_head_end(&buf) {
                let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                buf.drain(..end + 4);
                break head;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or("");
        let target = request_line.split(' ').nth(1).unwrap_or("").to_string();
        let mut host = String::new();
        let mut accept_gzip = false;
        for l in lines {
            if let Some((k, v)) = l.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "host" => host = v.trim().to_string(),
                    "accept-encoding" => accept_gzip = v.contains("gzip"),
                    _ => {}
                }
            }
        }
        let number = {
            let mut seen = shared.seen.lock().unwrap();
            let number = seen.len() as u64 + 1;
            seen.push(Seen {
                number,
                target: target.clone(),
                host,
                accept_gzip,
            });
            number
        };
        let fault = (shared.cfg.faults)(number);
        let keep = respond(&mut stream, &shared, &target, fault, accept_gzip).await;
        if !keep {
            return;
        }
    }
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

/// Writes one reply; `false` when the connection must close.
async fn respond(
    stream: &mut TcpStream,
    shared: &Shared,
    target: &str,
    fault: Option<Fault>,
    accept_gzip: bool,
) -> bool {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let params: HashMap<&str, &str> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    if segs.len() != 3 || segs[0] != "events" || segs[1] != shared.cfg.user {
        return write_reply(stream, 404, &[], b"{\"error\":\"Not found\"}", false).await;
    }
    if segs[2] != shared.cfg.token {
        return write_reply(stream, 401, &[], b"{\"error\":\"Unauthorized\"}", false).await;
    }
    let timeout = params
        .get("timeout")
        .and_then(|t| t.parse::<f64>().ok())
        .unwrap_or(10.0)
        .clamp(0.0, 90.0);
    let mut next_mode = shared.cfg.next_mode.clone();
    match &fault {
        Some(Fault::Status {
            status,
            headers,
            body,
        }) => return write_reply(stream, *status, headers, body.as_bytes(), false).await,
        Some(Fault::Drop) => return false,
        Some(Fault::Slow(d)) => tokio::time::sleep(*d).await,
        Some(Fault::Next(mode)) => next_mode = mode.clone(),
        _ => {}
    }
    // Where the reply starts.
    let known = params
        .get("i")
        .map(|i| shared.ids.lock().unwrap().get(*i).copied());
    let start = match known {
        None => 0,
        Some(found) => match found {
            Some(idx) => idx + 1,
            None if shared.cfg.reject_unknown_cursor => {
                return write_reply(
                    stream,
                    400,
                    &[],
                    b"{\"status\":\"invalid position\"}",
                    false,
                )
                .await
            }
            None => 0,
        },
    };
    if fault == Some(Fault::BadRequestWithNext) {
        let cursor = params.get("i").map(|s| s.to_string());
        let next = next_url(shared, &next_mode, cursor.as_deref(), timeout);
        let body = format!(
            "{{\"status\":\"waited too long for events\",\"nextUrl\":{next},\"events\":[]}}"
        );
        return write_reply(stream, 400, &[], body.as_bytes(), false).await;
    }
    // Long poll: hold while there is nothing after `start`.
    let hold = Duration::from_secs_f64(timeout).min(shared.cfg.max_hold);
    let deadline = tokio::time::Instant::now() + hold;
    loop {
        let notified = shared.arrived.notified();
        if shared.events.lock().unwrap().len() > start {
            break;
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            break;
        }
    }
    let (items, last_id) = {
        let evs = shared.events.lock().unwrap();
        let end = (start + shared.cfg.per_reply).min(evs.len());
        let items: Vec<String> = evs[start.min(end)..end].to_vec();
        let last_id = items
            .last()
            .and_then(|e| serde_json::from_str::<serde_json::Value>(e).ok())
            .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_string));
        (items, last_id)
    };
    let cursor = last_id.or_else(|| params.get("i").map(|s| s.to_string()));
    let mut list = items.join(",");
    match fault {
        Some(Fault::Duplicate) if !items.is_empty() => {
            list = format!("{list},{list}");
        }
        Some(Fault::WithoutId) => {
            let stray = r#"{"method":"chatMessage","object":{"message":{"message":"no id"},"user":{"username":"ghost"}}}"#;
            list = if list.is_empty() {
                stray.to_string()
            } else {
                format!("{stray},{list}")
            };
        }
        _ => {}
    }
    let next = next_url(shared, &next_mode, cursor.as_deref(), timeout);
    let body = format!("{{\"events\":[{list}],\"nextUrl\":{next}}}");
    let gzip = shared.cfg.gzip && accept_gzip;
    match fault {
        Some(Fault::TruncateBody) => {
            let full = encode(body.as_bytes(), gzip);
            let head = head(200, &[], full.len(), gzip, true);
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&full[..full.len() / 2]).await;
            let _ = stream.flush().await;
            false
        }
        Some(Fault::CutJson) => {
            let cut = &body.as_bytes()[..body.len() / 2];
            write_reply(stream, 200, &[], cut, gzip).await
        }
        _ => write_reply(stream, 200, &[], body.as_bytes(), gzip).await,
    }
}

fn next_url(shared: &Shared, mode: &NextMode, cursor: Option<&str>, timeout: f64) -> String {
    let path = format!("/events/{}/{}/", shared.cfg.user, shared.cfg.token);
    let query = match cursor {
        Some(i) => format!("?i={i}&timeout={}", timeout as u64),
        None => format!("?timeout={}", timeout as u64),
    };
    match mode {
        NextMode::Absolute => format!("\"http://127.0.0.1:{}{path}{query}\"", shared.port),
        NextMode::Relative => format!("\"{path}{query}\""),
        NextMode::Null => "null".into(),
        NextMode::Foreign(base) => format!("\"{base}{path}{query}\""),
    }
}

fn encode(body: &[u8], gzip: bool) -> Vec<u8> {
    if gzip {
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(body).unwrap();
        enc.finish().unwrap()
    } else {
        body.to_vec()
    }
}

fn head(status: u16, headers: &[(String, String)], len: usize, gzip: bool, close: bool) -> String {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut h = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {len}\r\n"
    );
    if gzip {
        h.push_str("Content-Encoding: gzip\r\n");
    }
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str(if close {
        "Connection: close\r\n\r\n"
    } else {
        "Connection: keep-alive\r\n\r\n"
    });
    h
}

async fn write_reply(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    gzip: bool,
) -> bool {
    let body = encode(body, gzip);
    let mut out = head(status, headers, body.len(), gzip, false).into_bytes();
    out.extend_from_slice(&body);
    stream.write_all(&out).await.is_ok() && stream.flush().await.is_ok()
}
