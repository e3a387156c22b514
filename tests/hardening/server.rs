//! A hostile Events API: a plain HTTP/1.1 server on 127.0.0.1 (its own threads, real time) whose every
//! answer is scripted as raw bytes, so a test can send what an attacker or a broken proxy would: a gzip bomb,
//! an endless chunked body, `Retry-After: 0`, a 100 KB `nextUrl`, invalid UTF-8, instant empty replies.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One scripted answer. Every connection is closed after its answer.
pub enum Answer {
    /// These bytes as the whole response (status line, headers, body).
    Raw(Vec<u8>),
    /// `200` with a chunked body that never ends (until the client hangs up).
    Endless,
}

impl Answer {
    /// A complete response with `Content-Length`.
    pub fn status(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        let mut out = format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        Answer::Raw(bytes)
    }

    pub fn json(body: &str) -> Answer {
        Answer::status(
            200,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
    }
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub target: String,
}

type Script = dyn Fn(u64, &str) -> Answer + Send + Sync;

pub struct Hostile {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Body bytes the client took of endless answers (what it read before it hung up, plus socket buffers).
    endless_sent: Arc<AtomicU64>,
}

impl Hostile {
    /// Starts the server; `script(n, target)` answers request number `n` (1-based).
    pub fn start(script: impl Fn(u64, &str) -> Answer + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let endless_sent = Arc::new(AtomicU64::new(0));
        let script: Arc<Script> = Arc::new(script);
        let (log, sent) = (seen.clone(), endless_sent.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, script, sent) = (log.clone(), script.clone(), sent.clone());
                std::thread::spawn(move || serve(stream, &log, &*script, &sent));
            }
        });
        Hostile {
            port,
            seen,
            endless_sent,
        }
    }

    /// Bytes of endless bodies written before the client hung up.
    pub fn endless_sent(&self) -> u64 {
        self.endless_sent.load(Ordering::Relaxed)
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn events_url(&self, token: &str) -> String {
        format!("{}/events/alice/{token}/", self.base())
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, log: &Mutex<Vec<Seen>>, script: &Script, sent: &AtomicU64) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => return,
            Ok(_) if header == "\r\n" || header == "\n" => break,
            Ok(_) => {}
        }
    }
    let target = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string();
    let number = {
        let mut log = log.lock().unwrap();
        log.push(Seen {
            at: Instant::now(),
            target: target.clone(),
        });
        log.len() as u64
    };
    let mut stream = stream;
    match script(number, &target) {
        Answer::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
        }
        Answer::Endless => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
            if stream.write_all(head.as_bytes()).is_err() {
                return;
            }
            let chunk = vec![b' '; 64 * 1024];
            let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
            framed.extend_from_slice(&chunk);
            framed.extend_from_slice(b"\r\n");
            // Stops when the client hangs up (or after 1 GiB, so a broken client cannot keep it for ever).
            for _ in 0..16 * 1024 {
                if stream.write_all(&framed).is_err() {
                    return;
                }
                sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
        }
    }
    let _ = stream.flush();
}

/// The most requests a backoff schedule allows in `elapsed`: the first one, then one after each wait.
pub fn schedule_ceiling(initial: Duration, cap: Duration, elapsed: Duration) -> usize {
    let mut n = 1;
    let mut t = Duration::ZERO;
    let mut wait = initial;
    loop {
        t += wait;
        if t > elapsed {
            return n;
        }
        n += 1;
        wait = (wait * 2).min(cap);
    }
}
