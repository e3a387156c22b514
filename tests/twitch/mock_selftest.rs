//! Proves the mock Twitch behaves as twitch.md says, with a plain WebSocket client and reqwest.

use crate::mock::{ClientFrame, DeviceOutcome, MockOptions, TwitchMock};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

fn fast() -> MockOptions {
    MockOptions {
        keepalive_secs: Some(1),
        device_interval_secs: 1,
        ..MockOptions::default()
    }
}

async fn connect(url: &str) -> Ws {
    connect_async(url).await.expect("connect").0
}

/// The next text frame as JSON (panics on close or after 5 s).
async fn next_json(ws: &mut Ws) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let m = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a frame within 5 s")
            .expect("socket open")
            .expect("frame");
        match m {
            Message::Text(t) => return serde_json::from_str(t.as_str()).expect("JSON frame"),
            Message::Close(f) => panic!("closed: {f:?}"),
            _ => {}
        }
    }
}

/// The next frame of this type, skipping keepalives.
async fn next_of(ws: &mut Ws, message_type: &str) -> Value {
    loop {
        let v = next_json(ws).await;
        if v["metadata"]["message_type"] == message_type {
            return v;
        }
        assert_eq!(
            v["metadata"]["message_type"], "session_keepalive",
            "unexpected {v}"
        );
    }
}

/// The close code the server sends (skipping other frames).
async fn close_code(ws: &mut Ws, within: Duration) -> u16 {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let m = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a close in time");
        match m {
            Some(Ok(Message::Close(Some(f)))) => return u16::from(f.code),
            Some(Ok(Message::Close(None))) => return 1005,
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("socket error before a close frame: {e}"),
            None => panic!("socket ended without a close frame"),
        }
    }
}

async fn welcome(ws: &mut Ws) -> String {
    let v = next_json(ws).await;
    assert_eq!(v["metadata"]["message_type"], "session_welcome");
    v["payload"]["session"]["id"].as_str().unwrap().to_string()
}

async fn subscribe(mock: &TwitchMock, token: &str, session: &str, sub_type: &str) -> (u16, Value) {
    let body = json!({
        "type": sub_type,
        "version": "1",
        "condition": {"broadcaster_user_id": "1001", "user_id": "1001"},
        "transport": {"method": "websocket", "session_id": session},
    });
    let r = reqwest::Client::new()
        .post(format!("{}/eventsub/subscriptions", mock.api_url()))
        .header("Authorization", format!("Bearer {token}"))
        .header("Client-Id", mock.client_id())
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap(),
    )
}

/// A form POST; the future owns its fields.
fn form(url: String, fields: &[(&str, &str)]) -> impl std::future::Future<Output = (u16, Value)> {
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    async move {
        let r = reqwest::Client::new()
            .post(url)
            .form(&fields)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn welcome_keepalive_and_notifications() {
    let mock = TwitchMock::start(fast());
    let mut ws = connect(&mock.eventsub_url()).await;
    let w = next_json(&mut ws).await;
    assert_eq!(w["metadata"]["message_type"], "session_welcome");
    let session = w["payload"]["session"]["id"].as_str().unwrap().to_string();
    assert_eq!(mock.session_id().as_deref(), Some(session.as_str()));
    assert_eq!(w["payload"]["session"]["status"], "connected");
    assert_eq!(w["payload"]["session"]["keepalive_timeout_seconds"], 1);
    assert!(w["payload"]["session"]["reconnect_url"].is_null());

    let (status, _) = subscribe(&mock, &mock.access_token(), &session, "channel.cheer").await;
    assert_eq!(status, 202);
    assert!(mock.wait_subscribed_async(1, Duration::from_secs(2)).await);

    // Silence on the socket → a keepalive after about a second.
    let started = Instant::now();
    let k = next_json(&mut ws).await;
    assert_eq!(k["metadata"]["message_type"], "session_keepalive");
    assert_eq!(k["payload"], json!({}));
    assert!(started.elapsed() < Duration::from_millis(2500));

    let id = mock.notify("channel.cheer", "1", json!({"bits": 100}));
    let n = next_of(&mut ws, "notification").await;
    assert_eq!(n["metadata"]["message_id"], id.as_str());
    assert_eq!(n["metadata"]["subscription_type"], "channel.cheer");
    assert_eq!(n["metadata"]["subscription_version"], "1");
    assert_eq!(n["payload"]["subscription"]["type"], "channel.cheer");
    assert_eq!(n["payload"]["subscription"]["status"], "enabled");
    assert_eq!(
        n["payload"]["subscription"]["transport"]["session_id"],
        session.as_str()
    );
    assert_eq!(n["payload"]["event"]["bits"], 100);
    mock.resend(&id);
    let again = next_of(&mut ws, "notification").await;
    assert_eq!(again, n);

    let body: Value = serde_json::from_str(
        &std::fs::read_to_string("tests/fixtures/twitch/channel.follow_2_twitch-api.json").unwrap(),
    )
    .unwrap();
    mock.notify_body(&body);
    let f = next_of(&mut ws, "notification").await;
    assert_eq!(f["metadata"]["subscription_type"], "channel.follow");
    assert_eq!(f["payload"]["event"]["user_login"], "cool_user");

    mock.revoke("channel.cheer", "authorization_revoked");
    let r = next_of(&mut ws, "revocation").await;
    assert_eq!(
        r["payload"]["subscription"]["status"],
        "authorization_revoked"
    );
    assert!(r["payload"].get("event").is_none());
    assert!(mock.enabled_subscriptions().is_empty());

    ws.close(None).await.unwrap();
    assert!(
        mock.wait_until_async(Duration::from_secs(2), |m| m.session_id().is_none())
            .await
    );
    // The client sent only its close.
    let frames = mock.client_frames();
    assert!(frames
        .iter()
        .all(|(_, f)| matches!(f, ClientFrame::Close(_) | ClientFrame::Pong(_))));
}

#[tokio::test]
async fn subscribe_conflict_and_auth_errors() {
    let mock = TwitchMock::start(MockOptions {
        forbidden_types: vec!["channel.moderate".into()],
        ..fast()
    });
    let mut ws = connect(&mock.eventsub_url()).await;
    let session = welcome(&mut ws).await;
    let token = mock.access_token();
    assert!(token.len() >= 20);

    let (status, body) = subscribe(&mock, &token, &session, "channel.follow").await;
    assert_eq!(status, 202, "{body}");
    let data = &body["data"][0];
    assert_eq!(data["status"], "enabled");
    assert_eq!(data["type"], "channel.follow");
    assert_eq!(data["transport"]["session_id"], session.as_str());
    assert!(data["transport"]["connected_at"].is_string());
    assert_eq!(body["total"], 1);
    assert_eq!(body["max_total_cost"], 10);

    let (status, body) = subscribe(&mock, &token, &session, "channel.follow").await;
    assert_eq!(status, 409);
    assert_eq!(body["message"], "subscription already exists");

    let (status, body) = subscribe(&mock, "not-the-token", &session, "channel.raid").await;
    assert_eq!(status, 401);
    assert_eq!(body["message"], "Invalid OAuth token");

    let (status, body) = subscribe(&mock, &token, &session, "channel.moderate").await;
    assert_eq!(status, 403);
    assert_eq!(body["message"], "subscription missing proper authorization");

    // Wrong Client-Id.
    let r = reqwest::Client::new()
        .get(format!("{}/users", mock.api_url()))
        .header("Authorization", format!("Bearer {token}"))
        .header("Client-Id", "someoneelse")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // The token's user, and an unknown login.
    let users = |q: &'static str| {
        let url = format!("{}/users{q}", mock.api_url());
        let (token, client) = (token.clone(), mock.client_id());
        async move {
            let r = reqwest::Client::new()
                .get(url)
                .header("Authorization", format!("Bearer {token}"))
                .header("Client-Id", client)
                .send()
                .await
                .unwrap();
            serde_json::from_str::<Value>(&r.text().await.unwrap()).unwrap()
        }
    };
    assert_eq!(users("").await["data"][0]["login"], "streamer");
    assert_eq!(users("?login=streamer").await["data"][0]["id"], "1001");
    assert_eq!(users("?login=nobody").await["data"], json!([]));

    let codes: Vec<u16> = mock
        .subscriptions_created()
        .iter()
        .map(|a| a.status)
        .collect();
    assert_eq!(codes, vec![202, 409, 401, 403]);

    // After the client leaves, the session is dead: 400, and the subscription is disabled.
    ws.close(None).await.unwrap();
    assert!(
        mock.wait_until_async(Duration::from_secs(2), |m| m.session_id().is_none())
            .await
    );
    let (status, body) = subscribe(&mock, &token, &session, "channel.raid").await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "websocket transport session does not exist or has already disconnected"
    );
    assert_eq!(mock.subscriptions()[0].status, "websocket_disconnected");

    // An expired access token is refused until a refresh.
    mock.expire_access_token();
    let mut ws = connect(&mock.eventsub_url()).await;
    let session = welcome(&mut ws).await;
    assert_eq!(session, "mock_2");
    let (status, _) = subscribe(&mock, &token, &session, "channel.follow").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn unused_connection_is_closed_with_4003() {
    let mock = TwitchMock::start(fast());
    let mut ws = connect(&mock.eventsub_url()).await;
    welcome(&mut ws).await;
    let started = Instant::now();
    assert_eq!(close_code(&mut ws, Duration::from_secs(4)).await, 4003);
    assert!(started.elapsed() >= Duration::from_millis(800));
    assert_eq!(mock.server_closes(), vec![(1, 4003)]);
}

#[tokio::test]
async fn reconnect_keeps_the_session() {
    let mock = TwitchMock::start(MockOptions {
        reconnect_grace: Duration::from_secs(2),
        ..fast()
    });
    let mut old = connect(&mock.eventsub_url()).await;
    let session = welcome(&mut old).await;
    assert_eq!(
        subscribe(&mock, &mock.access_token(), &session, "channel.raid")
            .await
            .0,
        202
    );
    let url = mock.reconnect();
    let r = next_of(&mut old, "session_reconnect").await;
    assert_eq!(r["payload"]["session"]["reconnect_url"], url.as_str());
    assert_eq!(r["payload"]["session"]["status"], "reconnecting");
    assert!(r["payload"]["session"]["keepalive_timeout_seconds"].is_null());

    let mut new = connect(&url).await;
    assert_eq!(welcome(&mut new).await, session);
    assert_eq!(mock.connections(), 2);
    assert_eq!(mock.enabled_subscriptions().len(), 1);

    // During the overlap both sockets may carry the same notification.
    let id = mock.notify_both("channel.raid", "1", json!({"viewers": 5}));
    assert_eq!(
        next_of(&mut old, "notification").await["metadata"]["message_id"],
        id.as_str()
    );
    assert_eq!(
        next_of(&mut new, "notification").await["metadata"]["message_id"],
        id.as_str()
    );
    // Re-creating the subscription on the carried session is a conflict.
    assert_eq!(
        subscribe(&mock, &mock.access_token(), &session, "channel.raid")
            .await
            .0,
        409
    );

    // The old socket is closed with 4004 when the grace runs out; the new one stays, with no 4003.
    assert_eq!(close_code(&mut old, Duration::from_secs(4)).await, 4004);
    assert_eq!(mock.enabled_subscriptions().len(), 1);
    let k = next_json(&mut new).await;
    assert_eq!(k["metadata"]["message_type"], "session_keepalive");

    // The reconnect URL is single-use: 4007.
    let mut again = connect(&url).await;
    assert_eq!(close_code(&mut again, Duration::from_secs(2)).await, 4007);
}

#[tokio::test]
async fn close_code_and_inbound_traffic() {
    let mock = TwitchMock::start(fast());
    let mut ws = connect(&mock.eventsub_url()).await;
    let session = welcome(&mut ws).await;
    subscribe(&mock, &mock.access_token(), &session, "channel.cheer").await;
    mock.close(4005);
    assert_eq!(close_code(&mut ws, Duration::from_secs(2)).await, 4005);
    assert!(
        mock.wait_until_async(Duration::from_secs(2), |m| m.session_id().is_none())
            .await
    );
    assert_eq!(mock.subscriptions()[0].status, "websocket_network_timeout");

    let mut ws = connect(&mock.eventsub_url()).await;
    let second = welcome(&mut ws).await;
    assert_ne!(second, session);
    ws.send(Message::text("hello")).await.unwrap();
    assert_eq!(close_code(&mut ws, Duration::from_secs(2)).await, 4001);
    assert!(mock
        .client_frames()
        .iter()
        .any(|(c, f)| *c == 2 && *f == ClientFrame::Text("hello".into())));
}

#[tokio::test]
async fn silenced_socket_sends_nothing() {
    let mock = TwitchMock::start(fast());
    let mut ws = connect(&mock.eventsub_url()).await;
    welcome(&mut ws).await;
    mock.silence();
    let quiet = tokio::time::timeout(Duration::from_millis(2500), ws.next()).await;
    assert!(quiet.is_err(), "expected silence, got {quiet:?}");
}

#[tokio::test]
async fn device_flow_answers_in_order() {
    let mock = TwitchMock::start(MockOptions {
        device_outcomes: vec![
            DeviceOutcome::Pending,
            DeviceOutcome::SlowDown,
            DeviceOutcome::Approve,
        ],
        ..fast()
    });
    let client = mock.client_id();
    let initial = mock.access_token();
    let (status, d) = form(
        format!("{}/device", mock.auth_url()),
        &[
            ("client_id", &client),
            ("scopes", "user:read:chat bits:read"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(d["interval"], 1);
    assert!(d["expires_in"].as_u64().unwrap() > 0);
    assert!(d["user_code"].is_string() && d["verification_uri"].is_string());
    let code = d["device_code"].as_str().unwrap().to_string();
    let poll = || {
        form(
            format!("{}/token", mock.auth_url()),
            &[
                ("client_id", client.as_str()),
                ("device_code", code.as_str()),
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ],
        )
    };
    assert_eq!(
        poll().await,
        (400, json!({"status":400,"message":"authorization_pending"}))
    );
    assert_eq!(
        poll().await,
        (400, json!({"status":400,"message":"slow_down"}))
    );
    let (status, t) = poll().await;
    assert_eq!(status, 200);
    assert_eq!(t["token_type"], "bearer");
    assert!(t["scope"].is_array() && t["refresh_token"].is_string());
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(access, mock.access_token());
    assert_eq!(mock.device_polls().len(), 3);
    // The device code is spent.
    assert_eq!(poll().await.1["message"], "invalid device code");

    let validate = |token: String| {
        let url = format!("{}/validate", mock.auth_url());
        async move {
            let r = reqwest::Client::new()
                .get(url)
                .header("Authorization", format!("OAuth {token}"))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (
                status,
                serde_json::from_str::<Value>(&r.text().await.unwrap()).unwrap(),
            )
        }
    };
    let (status, v) = validate(access.to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(v["login"], "streamer");
    assert_eq!(v["user_id"], "1001");
    assert_eq!(v["client_id"], client.as_str());
    assert_eq!(
        validate(initial).await,
        (401, json!({"status":401,"message":"invalid access token"}))
    );
}

async fn refresh(mock: &TwitchMock, token: &str) -> (u16, Value) {
    form(
        format!("{}/token", mock.auth_url()),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", &mock.client_id()),
        ],
    )
    .await
}

#[tokio::test]
async fn refresh_is_single_use_and_revoke_works() {
    let mock = TwitchMock::start(fast());
    let client = mock.client_id();
    let first = mock.refresh_token();
    let (status, t) = refresh(&mock, &first).await;
    assert_eq!(status, 200);
    assert_ne!(t["refresh_token"], first.as_str());
    assert_eq!(t["access_token"], mock.access_token().as_str());
    assert_eq!(mock.refreshes(), 1);
    assert_eq!(
        refresh(&mock, &first).await,
        (400, json!({"status":400,"message":"Invalid refresh token"}))
    );
    let access = mock.access_token();
    let (status, _) = form(
        format!("{}/revoke", mock.auth_url()),
        &[("client_id", &client), ("token", &access)],
    )
    .await;
    assert_eq!(status, 200);
    assert!(!mock.access_token_valid());
    // Tokens only went to the auth endpoints here.
    assert!(mock
        .requests()
        .iter()
        .all(|r| r.path().starts_with("/oauth2/")));
}

#[tokio::test]
async fn chatters_fault_and_stream() {
    let mock = TwitchMock::start(fast());
    let get = |path: &'static str| {
        let url = format!("{}{path}", mock.api_url());
        let (token, client) = (mock.access_token(), mock.client_id());
        async move {
            let r = reqwest::Client::new()
                .get(url)
                .header("Authorization", format!("Bearer {token}"))
                .header("Client-Id", client)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (
                status,
                serde_json::from_str::<Value>(&r.text().await.unwrap()).unwrap(),
            )
        }
    };
    const CHATTERS: &str = "/chat/chatters?broadcaster_id=1001&moderator_id=1001&first=1000";
    mock.set_chatters(&["alice", "bob"]);
    mock.fail_chatters(1);
    assert_eq!(get(CHATTERS).await.0, 500);
    let (status, c) = get(CHATTERS).await;
    assert_eq!(status, 200);
    assert_eq!(c["total"], 2);
    assert_eq!(c["data"][1]["user_login"], "bob");
    let bob_id = c["data"][1]["user_id"].clone();
    mock.set_chatters(&["bob"]);
    assert_eq!(get(CHATTERS).await.1["data"][0]["user_id"], bob_id);

    assert_eq!(get("/streams?user_id=1001").await.1["data"], json!([]));
    mock.set_stream(Some(crate::mock::StreamInfo::live("hi", "Chess", 42)));
    let s = get("/streams?user_id=1001").await.1;
    assert_eq!(s["data"][0]["type"], "live");
    assert_eq!(s["data"][0]["viewer_count"], 42);
    assert_eq!(s["data"][0]["user_login"], "streamer");
}

#[tokio::test]
async fn pings_are_answered_and_drops_have_no_close_frame() {
    let mock = TwitchMock::start(MockOptions {
        ping_secs: Some(1),
        ..fast()
    });
    let mut ws = connect(&mock.eventsub_url()).await;
    let session = welcome(&mut ws).await;
    subscribe(&mock, &mock.access_token(), &session, "channel.cheer").await;
    // Reading keeps tungstenite answering pings: no 4002 over a few ping periods.
    let until = tokio::time::Instant::now() + Duration::from_millis(2600);
    while let Ok(Some(m)) = tokio::time::timeout_at(until, ws.next()).await {
        assert!(!matches!(m, Ok(Message::Close(_))), "closed: {m:?}");
    }
    assert!(mock
        .client_frames()
        .iter()
        .any(|(_, f)| matches!(f, ClientFrame::Pong(_))));
    assert!(mock.server_closes().is_empty());

    mock.drop_socket();
    let end = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(f))) => return Some(f),
                Some(Ok(_)) => {}
                _ => return None,
            }
        }
    })
    .await
    .expect("the socket ends");
    assert_eq!(end, None, "no close frame on a drop");
    assert!(
        mock.wait_until_async(Duration::from_secs(2), |m| m.session_id().is_none())
            .await
    );
    assert_eq!(mock.subscriptions()[0].status, "websocket_network_error");
}
