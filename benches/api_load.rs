//! Local API load harness (issue 13 "Performance"): the release binary replaying a generated journal of RATE
//! events a second for SECS seconds (`roomwatch replay J --speed 1 --headless --no-journal --serve 127.0.0.1:0 >
//! /dev/null`: a steady load, unlike the simulator's bursts), run once with no API client and once
//! with CLIENTS Server-Sent-Events clients reading `/api/v1/events` plus one client asking `/api/v1/rooms` every
//! 20 ms. Prints roomwatch's share of a core (getrusage of the child) for both, what the SSE clients received,
//! and the `/api/v1/rooms` latency (p50, p99, max) while ingesting. ROUNDS rounds, interleaved (none, clients,
//! none, clients, …) as the box is noisy.
//!
//! Run: `cargo bench --bench api_load` (env `RATE` default 2000, `SECS` 20, `CLIENTS` 50, `ROUNDS` 3;
//! `ROOMWATCH_BIN` measures another build).

#[path = "support/rusage.rs"]
mod rusage;

use rusage::{tv, wait4};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn binary() -> String {
    std::env::var("ROOMWATCH_BIN").unwrap_or_else(|_| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--release", "--quiet", "--bin", "roomwatch"])
            .status()
            .unwrap();
        assert!(status.success());
        format!("{}/target/release/roomwatch", env!("CARGO_MANIFEST_DIR"))
    })
}

struct Outcome {
    cpu_share: f64,
    wall: f64,
    sse_lines: Vec<u64>,
    lagged: u64,
    latencies: Vec<Duration>,
    /// `/api/v1/rooms` requests that failed or were refused.
    failed: u64,
}

fn main() {
    let rate = env_or("RATE", 2000);
    let secs = env_or("SECS", 20);
    let clients = env_or("CLIENTS", 50) as usize;
    let rounds = env_or("ROUNDS", 3);
    let bin = binary();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for round in 1..=rounds {
        for with_clients in [false, true] {
            let o = rt.block_on(run(
                &bin,
                rate,
                secs,
                if with_clients { clients } else { 0 },
            ));
            let mut lat = o.latencies.clone();
            lat.sort();
            let pct = |p: f64| {
                lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
                    .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
            };
            let min_lines = o.sse_lines.iter().min().copied().unwrap_or(0);
            println!(
                "round {round} {:>10}: {:.1} % of a core over {:.1} s{}",
                if with_clients {
                    format!("{clients} SSE")
                } else {
                    "no client".into()
                },
                100.0 * o.cpu_share,
                o.wall,
                if with_clients {
                    format!(
                        "; each SSE client got ≥ {min_lines} lines ({} lagged notices); /rooms p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {} requests ({} failed)",
                        o.lagged,
                        pct(0.5),
                        pct(0.99),
                        lat.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
                        lat.len(),
                        o.failed
                    )
                } else {
                    String::new()
                }
            );
        }
    }
}

/// A Chaturbate journal: `rate` events a second in batches every 50 ms, for `secs` seconds (chat, with a tip
/// every tenth event).
fn journal(path: &std::path::Path, rate: u64, secs: u64) {
    use std::io::Write;
    let t0 = chrono::Utc::now() - chrono::Duration::days(1);
    let at = |ms: i64| {
        (t0 + chrono::Duration::milliseconds(ms))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        out,
        r#"{{"roomwatch_journal":1,"room":"loadroom","source":"chaturbate","started_at":"{}"}}"#,
        at(0)
    )
    .unwrap();
    let per_batch = (rate / 20).max(1);
    for n in 0..rate * secs {
        let batch = n / per_batch;
        let ms = (batch * 50) as i64;
        let user = format!("user_{}", n % 500);
        let id = format!("{}-{n}", t0.timestamp_millis() + ms);
        let event = if n % 10 == 0 {
            format!(
                r#"{{"method":"tip","id":"{id}","object":{{"user":{{"username":"{user}"}},"tip":{{"tokens":{},"message":"","isAnon":false}}}}}}"#,
                1 + n % 50
            )
        } else {
            format!(
                r#"{{"method":"chatMessage","id":"{id}","object":{{"user":{{"username":"{user}"}},"message":{{"message":"hello there, message number {n}"}}}}}}"#
            )
        };
        writeln!(
            out,
            r#"{{"received_at":"{}","source":"chaturbate","batch":{},"event":{event}}}"#,
            at(ms),
            batch + 1
        )
        .unwrap();
    }
}

async fn run(bin: &str, rate: u64, secs: u64, clients: usize) -> Outcome {
    let home = tempfile::tempdir().unwrap();
    let journal_path = home.path().join("load.jsonl");
    journal(&journal_path, rate, secs);
    let mut child = Command::new(bin)
        .arg("replay")
        .arg(&journal_path)
        .args([
            "--speed",
            "1",
            "--headless",
            "--no-journal",
            "--serve",
            "127.0.0.1:0",
        ])
        // Not a roomwatch option: an unknown ROOMWATCH_… variable is a config error.
        .env_remove("ROOMWATCH_BIN")
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let base = loop {
        line.clear();
        assert!(err.read_line(&mut line).unwrap() > 0, "no API line");
        assert!(!line.contains("error"), "{line}");
        if let Some(rest) = line.strip_prefix("roomwatch: API on ") {
            break rest.split(' ').next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in err.lines() {});
    let key = std::fs::read_to_string(home.path().join("data/roomwatch/api-key"))
        .unwrap()
        .trim()
        .to_string();
    let done = Arc::new(AtomicBool::new(false));
    let lagged = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    for _ in 0..clients {
        let url = format!("{base}/api/v1/events?key={key}");
        let lagged = lagged.clone();
        readers.push(tokio::spawn(async move {
            let Ok(mut resp) = reqwest::get(&url).await else {
                return 0u64;
            };
            let mut n = 0u64;
            while let Ok(Some(chunk)) = resp.chunk().await {
                n += chunk.windows(4).filter(|w| w == b"id: ").count() as u64;
                lagged.fetch_add(
                    chunk.windows(13).filter(|w| w == b"event: lagged").count() as u64,
                    Ordering::Relaxed,
                );
            }
            n
        }));
    }
    let poller = (clients > 0).then(|| {
        let (done, url, key) = (done.clone(), format!("{base}/api/v1/rooms"), key.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut lat = Vec::new();
            let mut failed = 0u64;
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                // A failed or refused request counts with the time it took (a 503 after 5 s is a stall).
                match http.get(&url).bearer_auth(&key).send().await {
                    Ok(r) => {
                        failed += u64::from(!r.status().is_success());
                        let _ = r.bytes().await;
                    }
                    Err(_) => failed += 1,
                }
                lat.push(t.elapsed());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (lat, failed)
        })
    });
    let pid = child.id() as libc::pid_t;
    let (status, ru) = tokio::task::spawn_blocking(move || wait4(pid))
        .await
        .unwrap();
    let wall = started.elapsed().as_secs_f64();
    std::mem::forget(child);
    assert_eq!(status, 0, "roomwatch failed");
    done.store(true, Ordering::Relaxed);
    let mut sse_lines = Vec::new();
    for r in readers {
        sse_lines.push(r.await.unwrap());
    }
    let (latencies, failed) = match poller {
        Some(p) => p.await.unwrap(),
        None => (Vec::new(), 0),
    };
    Outcome {
        cpu_share: (tv(ru.ru_utime) + tv(ru.ru_stime)) / wall,
        wall,
        sse_lines,
        lagged: lagged.load(Ordering::Relaxed),
        latencies,
        failed,
    }
}
