//! The source in-process with short poll intervals: chatters diffed into enters and leaves (a failed poll makes
//! no leaves), the stream's figures reported when they change.

use crate::mock::{MockOptions, StreamInfo, TwitchMock};
use roomwatch::event::{EventBody, RoomEvent};
use roomwatch::sources::twitch::auth::TwitchHttp;
use roomwatch::sources::twitch::endpoints::{Endpoints, API_VAR, AUTH_VAR, EVENTSUB_VAR};
use roomwatch::sources::twitch::session::{self, TwitchConfig};
use roomwatch::sources::twitch::token::{SharedToken, Token};
use roomwatch::sources::SourceMsg;
use std::time::Duration;
use tokio::sync::mpsc;

/// An HTTP client on the mock's endpoints.
pub fn http(mock: &TwitchMock) -> TwitchHttp {
    let (ws, api, auth) = (mock.eventsub_url(), mock.api_url(), mock.auth_url());
    let endpoints = Endpoints::from_env(|k| match k {
        EVENTSUB_VAR => Some(ws.clone()),
        API_VAR => Some(api.clone()),
        AUTH_VAR => Some(auth.clone()),
        _ => None,
    })
    .unwrap();
    TwitchHttp::new(endpoints, mock.client_id()).unwrap()
}

fn config(mock: &TwitchMock) -> TwitchConfig {
    let http = http(mock);
    let token = Token {
        access: mock.access_token(),
        refresh: Some(mock.refresh_token()),
        expires_at: None,
        scopes: crate::mock::ALL_SCOPES
            .iter()
            .map(|s| s.to_string())
            .collect(),
        login: "streamer".into(),
        user_id: "1001".into(),
    };
    let mut cfg = TwitchConfig::new(http, SharedToken::new(token, None));
    cfg.poll_every = Duration::from_millis(300);
    cfg
}

/// The next events from the source (skipping status and notices), up to `n` or until `quiet` passes.
async fn events(rx: &mut mpsc::Receiver<SourceMsg>, n: usize, quiet: Duration) -> Vec<RoomEvent> {
    let mut out = Vec::new();
    while out.len() < n {
        match tokio::time::timeout(quiet, rx.recv()).await {
            Ok(Some(SourceMsg::Batch(b))) => out.extend(b.events),
            Ok(Some(SourceMsg::Fatal(e))) => panic!("{e}"),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    out
}

fn presence(evs: &[RoomEvent]) -> Vec<(String, bool)> {
    let mut v: Vec<(String, bool)> = (evs.iter())
        .filter_map(|e| {
            let who = e.user.as_ref()?.username.to_string();
            match e.body {
                EventBody::UserEnter => Some((who, true)),
                EventBody::UserLeave => Some((who, false)),
                _ => None,
            }
        })
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chatters_become_enters_and_leaves_and_a_failed_poll_none() {
    let mock = TwitchMock::start(MockOptions {
        chatters: vec!["alice".into(), "bob".into()],
        ..MockOptions::default()
    });
    let (tx, mut rx) = mpsc::channel(16);
    let task = tokio::spawn(session::run(config(&mock), tx));
    let first = events(&mut rx, 2, Duration::from_secs(10)).await;
    assert_eq!(
        presence(&first),
        [("alice".into(), true), ("bob".into(), true)]
    );

    mock.set_chatters(&["bob", "carol"]);
    let next = events(&mut rx, 2, Duration::from_secs(10)).await;
    assert_eq!(
        presence(&next),
        [("alice".into(), false), ("carol".into(), true)]
    );

    // The chatter list fails three times, then answers the same list: nobody left or came back.
    let calls = |m: &crate::mock::MockHandle| {
        (m.requests().iter())
            .filter(|r| r.path().ends_with("/chat/chatters"))
            .count()
    };
    let before = calls(&mock);
    mock.fail_chatters(3);
    let recovered = mock
        .wait_until_async(Duration::from_secs(10), move |m| calls(m) >= before + 4)
        .await;
    assert!(recovered);
    assert_eq!(events(&mut rx, 1, Duration::from_millis(400)).await, []);
    mock.set_chatters(&[]);
    let gone = events(&mut rx, 2, Duration::from_secs(10)).await;
    assert_eq!(
        presence(&gone),
        [("bob".into(), false), ("carol".into(), false)]
    );
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_is_reported_when_it_changes() {
    let mock = TwitchMock::start(MockOptions {
        stream: Some(StreamInfo::live("Late show", "Just Chatting", 120)),
        ..MockOptions::default()
    });
    let (tx, mut rx) = mpsc::channel(16);
    let task = tokio::spawn(session::run(config(&mock), tx));
    let first = events(&mut rx, 1, Duration::from_secs(10)).await;
    assert_eq!(
        first[0].body,
        EventBody::StreamUpdate {
            viewers: Some(120),
            title: Some("Late show".into()),
            category: Some("Just Chatting".into())
        }
    );
    // Unchanged figures make no event; a change makes one.
    assert!(events(&mut rx, 1, Duration::from_millis(900))
        .await
        .is_empty());
    mock.set_stream(Some(StreamInfo::live("Late show", "Just Chatting", 150)));
    let next = events(&mut rx, 1, Duration::from_secs(10)).await;
    assert!(
        matches!(
            next[0].body,
            EventBody::StreamUpdate {
                viewers: Some(150),
                ..
            }
        ),
        "{next:?}"
    );
    task.abort();
}
