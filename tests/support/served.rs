//! A roomwatch child with `--serve 127.0.0.1:0`, its address read from stderr, and a small HTTP client
//! (shared by the `api` and `twitch` test binaries; each uses part of it).
#![allow(dead_code)]

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(20);

/// roomwatch with its own HOME and XDG dirs under `home`, and none of the developer's credentials (a
/// `TWITCH_CLIENT_SECRET` would switch the channel watch to an app token).
pub fn roomwatch(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_roomwatch"));
    cmd.args(args)
        .env_remove("TWITCH_ACCESS_TOKEN")
        .env_remove("TWITCH_CLIENT_SECRET")
        .env_remove("CB_EVENTS_URL")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .stdin(Stdio::null());
    cmd
}

pub fn api_key(home: &Path) -> String {
    std::fs::read_to_string(home.join("data/roomwatch/api-key"))
        .unwrap()
        .trim()
        .to_string()
}

/// A running session with the API on an ephemeral port.
pub struct Served {
    pub child: Child,
    pub base: String,
    pub key: String,
    pub stdout: Option<ChildStdout>,
    stderr: mpsc::Receiver<String>,
    /// Reads stderr to its end (joined by `stop`, so nothing said is missed).
    stderr_reader: Option<std::thread::JoinHandle<()>>,
    /// stderr lines taken by `wait_said`, given back by `stop`.
    said: Vec<String>,
}

impl Served {
    /// Starts `roomwatch ARGS --serve 127.0.0.1:0` and waits for its "API on" line.
    pub fn start(home: &Path, args: &[&str]) -> Served {
        Served::spawn(home, roomwatch(home, args))
    }

    /// Starts `cmd` (a roomwatch command for `home`) with `--serve 127.0.0.1:0` added.
    pub fn spawn(home: &Path, cmd: Command) -> Served {
        Served::spawn_on(home, cmd, "127.0.0.1:0")
    }

    /// Starts `cmd` with `--serve ADDR` added.
    pub fn spawn_on(home: &Path, mut cmd: Command, addr: &str) -> Served {
        let mut child = cmd
            .args(["--serve", addr])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        let stderr_reader = std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let base = loop {
            let line = rx.recv_timeout(WAIT).expect("an 'API on' line on stderr");
            if let Some(rest) = line.strip_prefix("roomwatch: API on ") {
                break rest.split(' ').next().unwrap().to_string();
            }
        };
        Served {
            stdout: child.stdout.take(),
            child,
            key: api_key(home),
            base,
            stderr: rx,
            stderr_reader: Some(stderr_reader),
            said: Vec::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits for a stderr line containing `needle` and returns it.
    pub fn wait_said(&mut self, needle: &str) -> String {
        if let Some(l) = self.said.iter().find(|l| l.contains(needle)) {
            return l.clone();
        }
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let Ok(line) = self.stderr.recv_timeout(left) else {
                panic!("nothing said with {needle:?}; said: {:?}", self.said);
            };
            self.said.push(line.clone());
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// Every stdout line, read on a thread, as they come.
    pub fn lines(&mut self) -> mpsc::Receiver<String> {
        let out = self.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        rx
    }

    /// GETs `path` with the key as a bearer token; the status and the body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let resp = (client().get(self.url(path)).bearer_auth(&self.key))
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    /// Ends the session with SIGTERM; returns the exit code and the rest of stderr.
    pub fn stop(mut self) -> (Option<i32>, String) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let status = wait_exit(&mut self.child);
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
        let mut all = std::mem::take(&mut self.said);
        all.extend(self.stderr.try_iter());
        (status, all.join("\n"))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn wait_exit(child: &mut Child) -> Option<i32> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code();
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("roomwatch did not exit within {WAIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(WAIT).build().unwrap()
}

/// One Server-Sent Event as it came over the wire.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sse {
    pub id: Option<u64>,
    pub event: Option<String>,
    pub data: String,
    /// Comment lines (`:` heartbeat).
    pub comments: usize,
}

/// Reads events from a streaming response, chunk by chunk.
pub struct SseReader {
    resp: reqwest::Response,
    buf: Vec<u8>,
    /// The `session` event's data, once it came (the stream's first event).
    pub session: Option<String>,
}

impl SseReader {
    pub async fn open(url: &str, last_id: Option<u64>) -> SseReader {
        let mut req = reqwest::Client::new().get(url);
        if let Some(id) = last_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        SseReader {
            resp,
            buf: Vec::new(),
            session: None,
        }
    }

    /// The next event (comments alone are folded into the next event's count).
    pub async fn next(&mut self) -> Sse {
        let mut comments = 0;
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\n\n") {
                let bytes: Vec<u8> = self.buf.drain(..end + 2).collect();
                let block = String::from_utf8(bytes).expect("whole events are UTF-8");
                let mut ev = Sse::default();
                for line in block.lines().filter(|l| !l.is_empty()) {
                    if line.starts_with(':') {
                        comments += 1;
                    } else if let Some(v) = line.strip_prefix("id: ") {
                        ev.id = Some(v.parse().unwrap());
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        ev.event = Some(v.to_string());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        assert!(ev.data.is_empty(), "one data line per event: {block:?}");
                        ev.data = v.to_string();
                    } else {
                        panic!("unexpected SSE line {line:?} in {block:?}");
                    }
                }
                if ev.data.is_empty() && ev.event.is_none() {
                    continue;
                }
                if ev.event.as_deref() == Some("session") {
                    self.session = Some(ev.data.clone());
                    continue;
                }
                ev.comments = comments;
                return ev;
            }
            let chunk = tokio::time::timeout(WAIT, self.resp.chunk())
                .await
                .expect("an SSE chunk in time")
                .unwrap()
                .expect("the stream goes on");
            // A chunk may end inside a character: bytes until a whole event is in.
            self.buf.extend_from_slice(&chunk);
        }
    }
}

/// A file of `tests/fixtures/twitch/`.
pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/twitch/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// `sha256=<hex>` of `id ‖ ts ‖ body` under `secret`, as Twitch signs a webhook message.
pub fn sign(secret: &str, id: &str, ts: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(id.as_bytes());
    mac.update(ts.as_bytes());
    mac.update(body.as_bytes());
    let hex: String = (mac.finalize().into_bytes().iter())
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

pub fn now_ts(minutes_ago: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(minutes_ago))
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

/// POSTs `body` as Twitch would, with the given signature; the status, content type and body.
pub async fn post(
    url: &str,
    kind: &str,
    id: &str,
    ts: &str,
    sig: Option<&str>,
    body: &str,
) -> (u16, String, String) {
    let mut req = (client().post(url))
        .header("Twitch-Eventsub-Message-Id", id)
        .header("Twitch-Eventsub-Message-Timestamp", ts)
        .header("Twitch-Eventsub-Message-Type", kind)
        .header("Twitch-Eventsub-Message-Retry", "0")
        .header("Content-Type", "application/json")
        .body(body.to_string());
    if let Some(sig) = sig {
        req = req.header("Twitch-Eventsub-Message-Signature", sig);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let ctype = (resp.headers().get("content-type"))
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ctype, resp.text().await.unwrap())
}
