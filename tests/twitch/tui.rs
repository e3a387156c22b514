//! `roomwatch twitch` in a real terminal (tmux) against the mock, as a broadcaster would see it: the socket in
//! the status line, cheers in the Cheers pane, chat with its text, and `q` writing the summary.

use crate::binary::{log_in, ALL_SUBS, WAIT};
use crate::mock::{MockOptions, StreamInfo, TwitchMock};
use crate::tmux::Tmux;
use serde_json::json;

#[test]
fn the_live_screen_shows_the_socket_cheers_and_chat_and_q_writes_the_summary() {
    if !Tmux::available() {
        eprintln!("tmux not installed: skipped");
        return;
    }
    let mock = TwitchMock::start(MockOptions::default());
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    let h = home.path().display();
    let cmd = format!(
        "env HOME={h} XDG_CONFIG_HOME={h}/config XDG_DATA_HOME={h}/data XDG_STATE_HOME={h}/state \
         TWITCH_CLIENT_ID={} ROOMWATCH_TWITCH_EVENTSUB_URL={} ROOMWATCH_TWITCH_API_URL={} \
         ROOMWATCH_TWITCH_AUTH_URL={} {} twitch --no-journal --summary-dir {h}/sessions",
        mock.client_id(),
        mock.eventsub_url(),
        mock.api_url(),
        mock.auth_url(),
        env!("CARGO_BIN_EXE_roomwatch"),
    );
    let t = Tmux::start("twitch", &cmd, 120, 40);
    assert!(mock.wait_subscribed(ALL_SUBS, WAIT));
    t.wait_for("the socket in the status line", |s| {
        s.contains("LIVE · socket") && s.contains(&format!("subs {ALL_SUBS}/{ALL_SUBS}"))
    });
    mock.notify(
        "channel.cheer",
        "1",
        json!({"is_anonymous": false, "user_id": "2002", "user_login": "bigfan", "user_name": "BigFan",
               "broadcaster_user_id": "1001", "broadcaster_user_login": "streamer",
               "broadcaster_user_name": "Streamer", "message": "Cheer500 great show", "bits": 500}),
    );
    mock.notify(
        "channel.chat.message",
        "1",
        json!({"broadcaster_user_id": "1001", "broadcaster_user_login": "streamer",
               "chatter_user_id": "2003", "chatter_user_login": "modfriend", "chatter_user_name": "ModFriend",
               "message_id": "m1", "message": {"text": "hello <script>", "fragments": []},
               "badges": [{"set_id": "moderator", "id": "1", "info": ""}], "message_type": "text"}),
    );
    let screen = t.wait_for("the cheer and the chat line", |s| {
        s.contains("Cheers") && s.contains("bigfan") && s.contains("hello <script>")
    });
    assert!(screen.contains("500"), "{screen}");
    t.keys(&["q"]);
    let sessions = home.path().join("sessions");
    let deadline = std::time::Instant::now() + WAIT;
    let summary = loop {
        let found = std::fs::read_dir(&sessions)
            .into_iter()
            .flatten()
            .flatten()
            .find(|e| e.path().extension().is_some_and(|x| x == "json"));
        if let Some(f) = found.filter(|_| !t.alternate_on()) {
            break f.path();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no summary; screen:\n{}",
            t.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(summary).unwrap()).unwrap();
    assert_eq!(summary["bits"]["bits"], 500, "{summary:#}");
    assert_eq!(summary["bits"]["top"][0]["user"], "bigfan");
}

/// `roomwatch channels` in a real terminal: the table shows who is live (first) with the title, a change found
/// by the next poll shows up, the filter narrows the rows, and `q` restores the terminal.
#[test]
fn the_channel_table_shows_live_first_follows_a_change_and_filters() {
    if !Tmux::available() {
        eprintln!("tmux not installed: skipped");
        return;
    }
    let mock = crate::channels::mock_with(&["alpha", "beta", "gamma"]);
    mock.set_stream_for(
        "gamma",
        Some(StreamInfo::live("Late <b>night</b>", "Games", 1234)),
    );
    let home = tempfile::tempdir().unwrap();
    log_in(home.path(), &mock.access_token(), &mock.refresh_token());
    let h = home.path().display();
    let cmd = format!(
        "env HOME={h} XDG_CONFIG_HOME={h}/config XDG_DATA_HOME={h}/data XDG_STATE_HOME={h}/state \
         TWITCH_CLIENT_ID={} ROOMWATCH_TWITCH_API_URL={} ROOMWATCH_TWITCH_AUTH_URL={} {} channels \
         --interval 15 alpha beta gamma",
        mock.client_id(),
        mock.api_url(),
        mock.auth_url(),
        env!("CARGO_BIN_EXE_roomwatch"),
    );
    let t = Tmux::start("channels", &cmd, 120, 40);
    let screen = t.wait_for("gamma live at the top", |s| {
        s.contains("WATCHING") && s.contains("1 live of 3")
    });
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("LIVE") || l.contains(" off "))
        .collect();
    assert!(
        rows[0].contains("gamma") && rows[0].contains("Late <b>night</b>"),
        "{screen}"
    );
    assert!(
        rows[0].contains("1,234") && rows[0].contains("Games"),
        "{screen}"
    );
    assert_eq!(rows.len(), 3, "{screen}");

    // The next poll (15 s) finds beta live.
    mock.set_stream_for("beta", Some(StreamInfo::live("Hello", "Music", 5)));
    t.wait_for("beta live", |s| {
        s.contains("2 live of 3") && s.contains("Hello")
    });

    t.keys(&["/"]);
    t.keys(&["-l", "alp"]);
    let screen = t.wait_for("only alpha", |s| s.contains("1 shown"));
    assert!(
        screen.contains("alpha") && !screen.contains("gamma"),
        "{screen}"
    );
    t.keys(&["Enter", "q"]);
    let deadline = std::time::Instant::now() + WAIT;
    while t.alternate_on() {
        assert!(
            std::time::Instant::now() < deadline,
            "still on: {}",
            t.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
