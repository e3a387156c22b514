//! `--serve` with the live screen: the status line names the address, and the API answers while a simulator
//! runs flat out into the screen's runner.

use crate::support::client;
use crate::tmux::Tmux;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_screen_names_the_server_and_answers_while_a_source_runs_flat_out() {
    if !Tmux::available() {
        eprintln!("SKIPPED: no tmux");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let h = home.path().display();
    let cmd = format!(
        "HOME={h} XDG_DATA_HOME={h}/data XDG_STATE_HOME={h}/state XDG_CONFIG_HOME={h}/config \
         {} demo --rate 0 --no-journal --summary-dir {h}/sessions --serve 127.0.0.1:{port}",
        env!("CARGO_BIN_EXE_roomwatch")
    );
    let t = Tmux::start("api", &cmd, 120, 30);
    t.wait_for("the API in the status line", |s| {
        s.contains(&format!("API 127.0.0.1:{port}"))
    });
    let key = crate::support::api_key(home.path());
    let http = client();
    // The status line can show before the simulator's first batch is reduced (a loaded CI box): wait for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let resp = (http.get(format!("http://127.0.0.1:{port}/api/v1/rooms")))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        let v: serde_json::Value = resp.json().await.unwrap();
        if v["rooms"][0]["events"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no event reduced in 20 s: {v}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for _ in 0..5 {
        let resp = (http.get(format!("http://127.0.0.1:{port}/api/v1/rooms")))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            200,
            "answered while the source runs flat out"
        );
        let v: serde_json::Value = resp.json().await.unwrap();
        assert!(v["rooms"][0]["events"].as_u64().unwrap() > 0);
    }
    t.keys(&["q"]);
    t.wait_for("the shell back", |s| s.contains("session summary"));
}
