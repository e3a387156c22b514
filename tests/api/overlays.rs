//! The overlays in a real browser: headless Chromium loads each widget from a running roomwatch fed by a local
//! Events API mock; the page's DOM follows new events, a hostile username stays text, and a screenshot of each
//! widget is saved under `docs/overlays/` for the README.

use crate::browser::Browser;
use crate::support::{roomwatch, Served};
use axum::extract::State;
use axum::routing::get;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

const HOSTILE: &str = r#"<img src=x onerror="document.title='pwned'">"#;
const WITHIN: Duration = Duration::from_secs(20);

/// An Events API mock: each poll gets what the test queued, or an empty list after a short wait.
#[derive(Clone, Default)]
struct Feed {
    queue: Arc<Mutex<Vec<Value>>>,
    added: Arc<Notify>,
}

impl Feed {
    fn push(&self, events: Vec<Value>) {
        self.queue.lock().unwrap().extend(events);
        self.added.notify_waiters();
    }
}

async fn poll(State(feed): State<Feed>) -> axum::Json<Value> {
    for _ in 0..2 {
        let events: Vec<Value> = std::mem::take(&mut *feed.queue.lock().unwrap());
        if !events.is_empty() {
            return axum::Json(json!({"events": events, "nextUrl": null}));
        }
        let _ = tokio::time::timeout(Duration::from_millis(400), feed.added.notified()).await;
    }
    axum::Json(json!({"events": [], "nextUrl": null}))
}

static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn id() -> String {
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{n}", chrono::Utc::now().timestamp_millis())
}

fn user(name: &str) -> Value {
    json!({"username": name, "inFanclub": false, "gender": "f", "hasTokens": true, "recentTips": "none",
           "isMod": false})
}

fn tip(name: &str, tokens: u64, message: &str) -> Value {
    json!({"method": "tip", "id": id(), "object": {"broadcaster": "studio", "user": user(name),
           "tip": {"tokens": tokens, "message": message, "isAnon": false}}})
}

fn chat(name: &str, text: &str) -> Value {
    json!({"method": "chatMessage", "id": id(), "object": {"broadcaster": "studio", "user": user(name),
           "message": {"message": text, "color": "", "font": "default"}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_widget_follows_new_events_in_a_real_browser_and_shows_names_as_text() {
    let Some(browser) = Browser::start() else {
        eprintln!(
            "SKIPPED: no Chromium on this machine (apt-get install chromium); the overlays were not tried \
             in a browser"
        );
        return;
    };
    let feed = Feed::default();
    feed.push(vec![
        tip("alice", 100, "hi"),
        tip(HOSTILE, 250, "<b>bold</b>"),
        chat("bob", "hello <i>there</i>"),
    ]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mock = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route("/events/studio/secret-token/", get(poll))
        .with_state(feed.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let home = tempfile::tempdir().unwrap();
    let mut cmd = roomwatch(
        home.path(),
        &[
            "chaturbate",
            "--headless",
            "--no-journal",
            "--set",
            "tip_goal.tokens=1000",
            "--set",
            "tip_goal.label=New mic",
        ],
    );
    cmd.env(
        "CB_EVENTS_URL",
        format!("http://{mock}/events/studio/secret-token/"),
    );
    let s = Served::spawn(home.path(), cmd);
    let url = |widget: &str| s.url(&format!("/overlay/{widget}?key={}", s.key));
    let dark = [24, 26, 33, 255];
    let mut goal = browser.open(&url("goal"), 520, 110, dark).await;
    let mut latest = browser.open(&url("latest"), 620, 130, dark).await;
    let mut top = browser
        .open(&format!("{}&n=3", url("top")), 420, 200, dark)
        .await;
    let mut feed_page = browser.open(&url("feed"), 620, 330, dark).await;

    let text = |id: &str| format!("document.getElementById('{id}').textContent");
    goal.wait_for(&text("nums"), json!("350 / 1,000 tk"), WITHIN)
        .await;
    assert_eq!(goal.eval(&text("label")).await, json!("New mic"));
    latest.wait_for(&text("user"), json!(HOSTILE), WITHIN).await;
    assert_eq!(latest.eval(&text("what")).await, json!("tipped 250 tk"));
    assert_eq!(latest.eval(&text("msg")).await, json!("<b>bold</b>"));
    top.wait_for("document.body.dataset.rows", json!("2"), WITHIN)
        .await;
    feed_page
        .wait_for("document.body.dataset.lines", json!("3"), WITHIN)
        .await;

    // New events after the pages loaded: every widget moves.
    feed.push(vec![
        tip("late_tipper", 500, "made it"),
        chat("carol", "gg"),
    ]);
    goal.wait_for(&text("nums"), json!("850 / 1,000 tk"), WITHIN)
        .await;
    latest
        .wait_for(&text("user"), json!("late_tipper"), WITHIN)
        .await;
    top.wait_for("document.body.dataset.rows", json!("3"), WITHIN)
        .await;
    let names = "[...document.querySelectorAll('#list .user')].map(e => e.textContent)";
    assert_eq!(
        top.eval(names).await,
        json!(["late_tipper", HOSTILE, "alice"])
    );
    feed_page
        .wait_for("document.body.dataset.lines", json!("5"), WITHIN)
        .await;
    let lines = "[...document.querySelectorAll('#feed .line')].map(e => e.textContent)";
    let shown = feed_page.eval(lines).await;
    assert!(shown.to_string().contains("hello <i>there</i>"), "{shown}");

    // Hostile text stayed text: no element was made from it, no script of it ran.
    for page in [&mut goal, &mut latest, &mut top, &mut feed_page] {
        assert_eq!(
            page.eval("document.querySelectorAll('img, b, i').length")
                .await,
            json!(0)
        );
        assert_ne!(page.eval("document.title").await, json!("pwned"));
        assert_eq!(
            page.eval("document.body.dataset.connected").await,
            json!("yes")
        );
    }

    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/overlays");
    std::fs::create_dir_all(&docs).unwrap();
    for (name, page) in [
        ("goal", &mut goal),
        ("latest", &mut latest),
        ("top", &mut top),
        ("feed", &mut feed_page),
    ] {
        page.screenshot(&docs.join(format!("{name}.png"))).await;
    }
    let (code, stderr) = s.stop();
    assert_eq!(code, Some(0), "{stderr}");
}
