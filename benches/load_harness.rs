//! Ingest load harness (issue 3 "Performance"): a local mock Events API serving 1000 events per reply,
//! its own ceiling measured with a minimal client, then the release binary
//! `roomwatch chaturbate --headless --max-events N > /dev/null` against it: events/s, CPU µs per event
//! (getrusage of the child), peak RSS.
//!
//! Beside it, issue 14's yardstick: a naive client (reqwest + serde_json into borrowed structs + one JSON line
//! per event, nothing else) against the same mock, measured the same way.
//!
//! Run: `cargo bench --bench load_harness` (env `EVENTS` to change N, default 200000). With `VERIFY_OUT=FILE`,
//! roomwatch's stdout goes to FILE instead of /dev/null, and the harness checks that it holds every event once,
//! in order.

#[path = "support/rusage.rs"]
mod rusage;
#[path = "../tests/support/mod.rs"]
mod support;

use rusage::{tv, wait4};

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Instant;
use support::events;
use support::mock::{Mock, MockConfig};

const TOKEN: &str = "LoadHarnessToken0123456789";

/// Marks the small helper process that starts roomwatch and reads its resource use.
const LAUNCHER_ENV: &str = "ROOMWATCH_LOAD_HARNESS_LAUNCHER";

/// Marks the naive client process (issue 14's yardstick): its value is `URL N`.
const NAIVE_ENV: &str = "ROOMWATCH_LOAD_HARNESS_NAIVE";

/// Where roomwatch's lines go to be checked (unset: /dev/null).
const VERIFY_ENV: &str = "VERIFY_OUT";

fn main() {
    if std::env::var_os(LAUNCHER_ENV).is_some() {
        return launcher();
    }
    if let Ok(args) = std::env::var(NAIVE_ENV) {
        return naive::run(&args);
    }
    // Linux carries a process's peak RSS across fork+exec into the child's figure, so roomwatch is started by
    // a helper forked now, while this process is still small (before 100 MB of events exist).
    let mut helper = Command::new(std::env::current_exe().unwrap())
        .env(LAUNCHER_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the launcher");
    // `cargo bench` passes `--bench`; any other filter argument is ignored.
    let n: u64 = std::env::var("EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let t = Instant::now();
    let evs = events::many(n);
    let bytes: usize = evs.iter().map(|e| e.len()).sum();
    eprintln!(
        "generated {n} events, {:.0} bytes/event on average, in {:.1} s",
        bytes as f64 / n as f64,
        t.elapsed().as_secs_f64()
    );
    let mut cfg = MockConfig::new("test_room", TOKEN);
    cfg.per_reply = 1000;
    let mock = Mock::start(cfg, evs);

    let (ceiling, served_bytes) = server_ceiling(&mock, n);
    println!(
        "server ceiling (minimal keep-alive client, no parsing): {:.0} events/s ({:.0} MB/s)",
        ceiling,
        served_bytes as f64 / 1e6 / (n as f64 / ceiling)
    );

    // The mock serves the same chain again from its start to each client (a fresh URL without `i`).
    let stdin = helper.stdin.as_mut().unwrap();
    for what in ["naive", "roomwatch"] {
        writeln!(stdin, "{} {n} {what}", mock.events_url()).unwrap();
    }
    drop(helper.stdin.take());
    let mut out = String::new();
    helper
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(helper.wait().unwrap().success(), "launcher failed");
    let verified = match std::env::var(VERIFY_ENV) {
        Ok(path) => format!("roomwatch chaturbate --headless, {n} events > {path}"),
        Err(_) => format!("roomwatch chaturbate --headless, {n} events > /dev/null"),
    };
    for (line, what) in out.lines().zip([
        format!("naive client (reqwest + serde_json borrowed + JSONL), {n} events > /dev/null"),
        verified,
    ]) {
        let f: Vec<f64> = line
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        let (wall, user, sys, rss_kb) = (f[0], f[1], f[2], f[3]);
        println!(
            "{what}: {:.0} events/s, {:.2} µs CPU/event (user {user:.2} s + sys \
             {sys:.2} s), peak RSS {:.1} MB, wall {wall:.2} s",
            n as f64 / wall,
            (user + sys) * 1e6 / n as f64,
            rss_kb / 1024.0,
        );
    }
    if let Some(path) = std::env::var_os(VERIFY_ENV) {
        verify(std::path::Path::new(&path), n);
    }
}

/// roomwatch's output holds each of the `n` events once, in the order served.
fn verify(path: &std::path::Path, n: u64) {
    use std::io::BufRead;
    let file = std::io::BufReader::new(std::fs::File::open(path).expect("the verified output"));
    let mut count = 0u64;
    for line in file.lines() {
        let line = line.unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
        assert_eq!(v["id"], events::id(count).as_str(), "line {}", count + 1);
        count += 1;
    }
    assert_eq!(count, n, "lines written");
    println!("verified: {n} lines, every event once, in order");
}

/// The naive client of issue 14: what a straightforward Rust client does, and nothing else — reqwest, the reply
/// parsed with serde_json into borrowed structs, one JSON line per event on stdout, `nextUrl` followed.
mod naive {
    use serde::{Deserialize, Serialize};
    use serde_json::value::RawValue;
    use std::borrow::Cow;
    use std::io::Write;

    #[derive(Deserialize)]
    struct Reply<'a> {
        #[serde(borrow)]
        events: Vec<Event<'a>>,
        #[serde(rename = "nextUrl", borrow)]
        next_url: Option<Cow<'a, str>>,
    }

    #[derive(Deserialize, Serialize)]
    struct Event<'a> {
        #[serde(borrow)]
        method: Cow<'a, str>,
        #[serde(borrow)]
        id: Cow<'a, str>,
        #[serde(borrow)]
        object: &'a RawValue,
    }

    pub fn run(args: &str) {
        let mut parts = args.split_whitespace();
        let (url, n) = (parts.next().unwrap(), parts.next().unwrap());
        let n: usize = n.parse().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let client = reqwest::Client::new();
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let mut next = url.to_string();
            let mut got = 0;
            while got < n {
                let body = client
                    .get(&next)
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                let reply: Reply = serde_json::from_slice(&body).unwrap();
                for ev in reply.events.iter().take(n - got) {
                    serde_json::to_writer(&mut out, ev).unwrap();
                    out.write_all(b"\n").unwrap();
                }
                got += reply.events.len().min(n - got);
                out.flush().unwrap();
                next = reply.next_url.expect("nextUrl").into_owned();
            }
        });
    }
}

/// The helper: reads `URL N WHAT` lines on stdin (`WHAT`: `roomwatch` or `naive`), runs each client, prints
/// `wall user sys maxrss_kb` of that child alone, a line per client.
fn launcher() {
    for line in std::io::stdin().lines() {
        let line = line.unwrap();
        let mut parts = line.split_whitespace();
        let (url, n, what) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        match what {
            "naive" => measure(
                Command::new(std::env::current_exe().unwrap())
                    .env_remove(LAUNCHER_ENV)
                    .env(NAIVE_ENV, format!("{url} {n}"))
                    .stdin(Stdio::null())
                    .stdout(Stdio::null()),
            ),
            _ => roomwatch(url, n),
        }
    }
}

/// Runs `cmd` and prints `wall user sys maxrss_kb` of that child alone.
#[allow(clippy::zombie_processes)] // reaped by wait4 below, which also gives its rusage
fn measure(cmd: &mut Command) {
    let t = Instant::now();
    let child = cmd.spawn().expect("start the client");
    let (status, ru) = wait4(child.id() as libc::pid_t);
    let wall = t.elapsed().as_secs_f64();
    assert!(status == 0, "the client failed: wait status {status}");
    println!(
        "{wall} {} {} {}",
        tv(ru.ru_utime),
        tv(ru.ru_stime),
        ru.ru_maxrss
    );
}

fn roomwatch(url: &str, n: &str) {
    let summary = tempfile::tempdir().unwrap();
    measure(
        Command::new(env!("CARGO_BIN_EXE_roomwatch"))
            .args([
                "chaturbate",
                "--headless",
                "--no-journal",
                "--max-events",
                n,
            ])
            .arg("--summary-dir")
            .arg(summary.path())
            .env("CB_EVENTS_URL", url)
            // A private home: no user config, and no resume cursor from an earlier run (it would start after the
            // last event and wait for more); the launcher's own variable is not a roomwatch option.
            .env_remove(LAUNCHER_ENV)
            .env("XDG_CONFIG_HOME", summary.path().join("config"))
            .env("XDG_DATA_HOME", summary.path().join("data"))
            .env("XDG_STATE_HOME", summary.path().join("state"))
            .stdin(Stdio::null())
            .stdout(match std::env::var_os(VERIFY_ENV) {
                Some(path) => {
                    Stdio::from(std::fs::File::create(path).expect("the output to verify"))
                }
                None => Stdio::null(),
            }),
    );
}

/// Fetches the whole chain with a bare HTTP/1.1 keep-alive client that only finds `nextUrl`: what the mock
/// can serve at most on this machine, so the client figure can be read against it.
fn server_ceiling(mock: &Mock, n: u64) -> (f64, usize) {
    let mut stream = TcpStream::connect(("127.0.0.1", mock.port())).unwrap();
    stream.set_nodelay(true).unwrap();
    let mut target = format!("/events/test_room/{TOKEN}/?timeout=30");
    let mut got = 0u64;
    let mut total = 0usize;
    let t = Instant::now();
    let mut buf = Vec::new();
    while got < n {
        write!(stream, "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        buf.clear();
        let body = read_reply(&mut stream, &mut buf);
        total += body.len();
        // The mock sends exactly `per_reply` events while it has them; only the tail is searched for speed.
        got += 1000.min(n - got);
        let key = b"\"nextUrl\":\"";
        let tail = body.len().saturating_sub(512);
        let at = tail + find(&body[tail..], key).expect("nextUrl") + key.len();
        let end = at + body[at..].iter().position(|&b| b == b'"').unwrap();
        let next = std::str::from_utf8(&body[at..end]).unwrap();
        target = next[next.find("/events/").unwrap()..].to_string();
    }
    (got as f64 / t.elapsed().as_secs_f64(), total)
}

fn read_reply<'a>(s: &mut TcpStream, buf: &'a mut Vec<u8>) -> &'a [u8] {
    let mut chunk = vec![0u8; 1 << 16];
    let head_end = loop {
        if let Some(p) = find(&buf[..buf.len().min(4096)], b"\r\n\r\n") {
            break p + 4;
        }
        let k = s.read(&mut chunk).unwrap();
        assert!(k > 0, "server closed");
        buf.extend_from_slice(&chunk[..k]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .expect("content-length");
    while buf.len() < head_end + len {
        let k = s.read(&mut chunk).unwrap();
        assert!(k > 0, "server closed");
        buf.extend_from_slice(&chunk[..k]);
    }
    &buf[head_end..head_end + len]
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
