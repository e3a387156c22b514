//! Views: ratatui `TestBackend` + insta snapshots per pane and mode at 120×40, 80×24 and 50×12, with a fixed
//! clock and the simulator's seeded room; no panic at any size; hostile chat never reaches the terminal raw.

mod common;

use common::*;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use roomwatch::app::{update, Action, Msg, State};
use roomwatch::event::{EventBody, SourceKind};
use roomwatch::sources::{ConnState, ConnStatus, ErrorClass, SourceError, SourceMsg};
use std::time::Duration;

/// What the backend wrote, readable after the terminal is dropped.
#[derive(Clone, Default)]
struct SharedBuf(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const SIZES: [(u16, u16); 3] = [(120, 40), (80, 24), (50, 12)];

fn render(state: &State, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| roomwatch::ui::view(state, f)).unwrap();
    term.backend().to_string()
}

fn act(s: &mut State, a: Action) {
    let now = s.live.now;
    update(s, Msg::Action(a), now);
}

fn typed(s: &mut State, text: &str) {
    let now = s.live.now;
    for c in text.chars() {
        update(s, Msg::Input(c), now);
    }
}

/// A lively room: 400 simulated events over 100 s, connection live, clock at the last event.
fn lively() -> State {
    let mut s = state();
    live(&mut s, t0());
    let last = feed_simulated(&mut s, simulated(7, 400));
    update(&mut s, Msg::Tick, last);
    s
}

fn snap_all(mode: &str, s: &State) {
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("{mode}_{w}x{h}"), render(s, w, h));
    }
}

#[test]
fn live_mode() {
    snap_all("live", &lively());
}

#[test]
fn paused_with_backlog() {
    let mut s = state();
    live(&mut s, t0());
    let mut evs = simulated(7, 400);
    let later = evs.split_off(300);
    feed_simulated(&mut s, evs);
    act(&mut s, Action::TogglePause);
    let last = feed_simulated(&mut s, later);
    update(&mut s, Msg::Tick, last);
    let (n, _) = s.live.backlog();
    assert_eq!(n, 100);
    let screen = render(&s, 80, 24);
    assert!(screen.contains("PAUSED · 100 new ("), "{screen}");
    snap_all("paused", &s);
}

#[test]
fn filtered() {
    let mut s = lively();
    act(&mut s, Action::TextFilter);
    typed(&mut s, "/hello|hi/");
    act(&mut s, Action::Confirm);
    act(&mut s, Action::ToggleKind(5));
    snap_all("filtered", &s);
}

#[test]
fn prompt_open() {
    let mut s = lively();
    act(&mut s, Action::MinTip);
    typed(&mut s, "100");
    insta::assert_snapshot!("prompt_80x24", render(&s, 80, 24));
}

#[test]
fn retrying() {
    let mut s = lively();
    let now = s.live.now;
    update(
        &mut s,
        from_source(SourceMsg::Status(ConnStatus {
            state: ConnState::Retrying {
                attempt: 3,
                next_in: Duration::from_secs(8),
                last: ErrorClass::Status(503),
            },
            since: Some(now),
            requests: 40,
            retries: 3,
            ..ConnStatus::default()
        })),
        now,
    );
    update(
        &mut s,
        from_source(SourceMsg::Notice(
            "refused nextUrl: host evil.example is not the configured host".into(),
        )),
        now,
    );
    let screen = render(&s, 120, 40);
    assert!(screen.contains("RETRYING attempt 3 · next in 8 s · last: 503"));
    assert!(screen.contains("refused nextUrl"));
    snap_all("retrying", &s);
}

/// A replayed Chaturbate journal: a quiet stretch in the recording is not a stale connection.
#[test]
fn replay_says_replay_and_never_stale() {
    let mut s = State::new("alice", SourceKind::Chaturbate, t0());
    let viewport = roomwatch::ui::viewport(&s, 120, 40);
    update(&mut s, Msg::Resize(viewport), t0());
    live(&mut s, t0());
    update(&mut s, Msg::Tick, at(120));
    assert!(
        render(&s, 120, 40).contains("STALE"),
        "the live run would be stale"
    );
    s.live.replay = true;
    update(&mut s, Msg::Tick, at(121));
    let screen = render(&s, 120, 40);
    assert!(screen.contains(" REPLAY "), "{screen}");
    assert!(screen.contains("replay of chaturbate"), "{screen}");
    assert!(!screen.contains("STALE"), "{screen}");
}

/// `--serve`: the status line says the API is up and where, and gives way first on a narrow screen.
#[test]
fn the_status_line_names_the_api_address() {
    let mut s = lively();
    assert!(!render(&s, 120, 40).contains("API "));
    s.live.serving = Some("127.0.0.1:7797".into());
    let wide = render(&s, 120, 40);
    let status = wide.lines().next().unwrap();
    assert!(status.contains("│ API 127.0.0.1:7797 "), "{status}");
    assert!(status.contains(" LIVE "), "{status}");
    let narrow = render(&s, 50, 12);
    assert!(
        narrow.lines().next().unwrap().contains(" LIVE "),
        "{narrow}"
    );
}

/// Dropping a marker is confirmed on screen for a few seconds, then the line goes away.
#[test]
fn a_marker_is_confirmed_then_the_line_clears() {
    let mut s = lively();
    act(&mut s, Action::Mark);
    typed(&mut s, "big moment");
    act(&mut s, Action::Confirm);
    assert_eq!(s.rooms[0].markers.len(), 1);
    assert_eq!(s.rooms[0].markers[0].note, "big moment");
    let screen = render(&s, 80, 24);
    assert!(
        screen.contains("marker 1 at") && screen.contains("big moment"),
        "{screen}"
    );
    let later = s.live.now + chrono::Duration::seconds(9);
    update(&mut s, Msg::Tick, later);
    let screen = render(&s, 80, 24);
    assert!(!screen.contains("marker 1 at"), "{screen}");
}

#[test]
fn credentials_refused() {
    let mut s = lively();
    s.live.hold_on_end = true;
    let now = s.live.now;
    update(
        &mut s,
        from_source(SourceMsg::Fatal(SourceError::CredentialsRefused {
            status: 401,
        })),
        now,
    );
    assert!(render(&s, 80, 24).contains("CREDENTIALS REFUSED"));
    snap_all("refused", &s);
}

#[test]
fn help_overlay() {
    let mut s = lively();
    act(&mut s, Action::ToggleHelp);
    let screen = render(&s, 120, 40);
    for needle in ["p / Space", "pause / resume", "room / raids / mods", "Esc"] {
        assert!(screen.contains(needle), "{needle}\n{screen}");
    }
    insta::assert_snapshot!("help_120x40", screen);
    insta::assert_snapshot!("help_80x24", render(&s, 80, 24));
}

/// At 80×24 the help does not fit: it says how much more there is, scrolls with the help's keys (not the
/// pane behind it), stops at the last line, and every normal-mode binding can be reached.
#[test]
fn help_scrolls_to_every_binding_on_a_small_screen() {
    let mut s = lively();
    let now = s.live.now;
    let viewport = roomwatch::ui::viewport(&s, 80, 24);
    update(&mut s, Msg::Resize(viewport), now);
    act(&mut s, Action::ToggleHelp);
    let first = render(&s, 80, 24);
    assert!(first.contains("more"), "{first}");
    assert!(!first.contains("smart viewers"), "{first}");
    for _ in 0..40 {
        act(&mut s, Action::ScrollDown);
    }
    let last = render(&s, 80, 24);
    for needle in [
        "this help",
        "smart viewers",
        "scroll the help",
        "always exact",
    ] {
        assert!(last.contains(needle), "{needle}\n{last}");
    }
    assert!(!last.contains("more"), "{last}");
    assert_eq!(
        s.live.pane(s.live.focus).frozen_at,
        None,
        "the pane behind the help did not scroll"
    );
    act(&mut s, Action::ScrollUp);
    assert!(render(&s, 80, 24).contains("1 more"));
    act(&mut s, Action::ScrollTop);
    assert_eq!(render(&s, 80, 24), first);
    insta::assert_snapshot!("help_80x24_scrolled_down", last);
}

#[test]
fn single_pane_follows_focus_when_small() {
    let mut s = lively();
    act(&mut s, Action::FocusNext);
    let screen = render(&s, 50, 12);
    assert!(
        screen.contains("Tips") && !screen.contains("Viewers"),
        "{screen}"
    );
    insta::assert_snapshot!("tips_focused_50x12", screen);
}

#[test]
fn too_small_and_no_panic_at_any_size() {
    let s = lively();
    insta::assert_snapshot!("too_small_30x8", render(&s, 30, 8));
    let mut paused = lively();
    act(&mut paused, Action::TogglePause);
    act(&mut paused, Action::ToggleHelp);
    for w in (1..=130).step_by(3) {
        for h in (1..=45).step_by(2) {
            render(&s, w, h);
            render(&paused, w, h);
        }
    }
}

#[test]
fn hostile_chat_never_reaches_the_terminal_raw() {
    let mut s = state();
    live(&mut s, t0());
    let hostile = "look \u{1b}]52;c;cm0gLXJmIH4=\u{7} \u{1b}]0;owned\u{1b}\\ \u{1b}[2J\u{1b}[31mred\u{1b}[0m \u{9b}1;1H \u{202e}desrever \u{7}";
    let mut evil = chat("evil\u{1b}[5m", hostile, at(1));
    if let Some(u) = evil.user.as_mut() {
        u.username = "evil\u{1b}]2;title\u{7}".into();
    }
    feed(
        &mut s,
        vec![
            evil,
            ev(
                None,
                EventBody::RoomSubjectChange {
                    subject: "\u{1b}]52;c;AAAA\u{7}subject".into(),
                    category: None,
                },
                at(2),
            ),
        ],
        at(2),
    );
    let written = SharedBuf::default();
    let backend = CrosstermBackend::new(written.clone());
    let mut term = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 120, 40)),
        },
    )
    .unwrap();
    term.draw(|f| roomwatch::ui::view(&s, f)).unwrap();
    drop(term);
    let bytes = written.0.borrow().clone();
    let text = String::from_utf8_lossy(&bytes);
    // The message itself shows, without its sequences.
    assert!(text.contains("look"), "the line was drawn");
    assert!(text.contains("desrever"));
    for bad in [
        "\u{1b}]",
        "\u{7}",
        "\u{1b}[2J",
        "\u{1b}[31m",
        "\u{9b}",
        "\u{202e}",
        "\u{1b}[5m",
    ] {
        assert!(!text.contains(bad), "{bad:?} reached the terminal");
    }
    // Only the backend's own sequences remain: every ESC starts a CSI from ratatui (cursor moves, colours).
    for (i, _) in text.match_indices('\u{1b}') {
        assert_eq!(&text[i + 1..i + 2], "[", "non-CSI escape at byte {i}");
    }
}

#[test]
fn goal_and_currency_show_in_the_totals() {
    use roomwatch::app::settings::{Currency, TipGoal};
    let mut s = state_with(roomwatch::app::Settings {
        tip_goal: Some(TipGoal {
            tokens: 500,
            label: "dance".into(),
        }),
        currency: Some(Currency {
            per_token: 0.05,
            symbol: "$".into(),
        }),
        ..roomwatch::app::Settings::default()
    });
    live(&mut s, t0());
    feed(
        &mut s,
        vec![tip(Some("alice"), 100, at(1)), tip(None, 150, at(2))],
        at(2),
    );
    let screen = render(&s, 200, 50);
    assert!(
        screen.contains("250 tk · 2 tips · avg 125 ≈ $12.50"),
        "{screen}"
    );
    assert!(screen.contains("goal dance 250/500"), "{screen}");
    assert!(screen.contains("50%"), "{screen}");
    assert!(screen.contains("anonymous"), "{screen}");
}

/// Three simulated rooms, interleaved in 20-event replies; room 3's source failed.
fn three_rooms() -> State {
    use roomwatch::event::RoomKey;
    let keys = (1..=3)
        .map(|i| RoomKey::new(SourceKind::Simulator, format!("demo_room_{i}")))
        .collect();
    let mut s = State::with_rooms(keys, t0(), roomwatch::app::Settings::default());
    s.live.hold_on_end = true;
    let viewport = roomwatch::ui::viewport(&s, 120, 40);
    update(&mut s, Msg::Resize(viewport), t0());
    let feeds: Vec<Vec<_>> = (0..3).map(|r| simulated(20 + r, 120)).collect();
    let mut last = t0();
    for chunk in 0..6 {
        for (r, events) in feeds.iter().enumerate() {
            let part: Vec<_> = events[chunk * 20..(chunk + 1) * 20].to_vec();
            last = last.max(part.last().unwrap().at);
            feed_room(&mut s, r, part, last);
        }
    }
    let key = s.rooms[2].key.clone();
    update(
        &mut s,
        Msg::Source(key, SourceMsg::Fatal(SourceError::Fatal("HTTP 404".into()))),
        last,
    );
    update(&mut s, Msg::Tick, last);
    s
}

#[test]
fn several_rooms_overview_and_merged_panes() {
    let mut s = three_rooms();
    insta::assert_snapshot!("rooms_all_120x40", render(&s, 120, 40));
    insta::assert_snapshot!("rooms_all_80x24", render(&s, 80, 24));
    act(&mut s, Action::NextRoom);
    act(&mut s, Action::NextRoom);
    insta::assert_snapshot!("rooms_second_120x40", render(&s, 120, 40));
    // Too small for the whole overview: the last row counts the rest; nothing panics.
    for (w, h) in [(50, 12), (40, 10)] {
        render(&s, w, h);
    }
}

#[test]
fn the_overview_keeps_the_room_shown_in_view() {
    use roomwatch::event::RoomKey;
    let keys = (1..=5)
        .map(|i| RoomKey::new(SourceKind::Simulator, format!("room_{i}")))
        .collect();
    let mut s = State::with_rooms(keys, t0(), roomwatch::app::Settings::default());
    let viewport = roomwatch::ui::viewport(&s, 60, 12);
    update(&mut s, Msg::Resize(viewport), t0());
    let screen = render(&s, 60, 12);
    assert!(screen.contains("+3 more rooms"), "{screen}");
    for _ in 0..5 {
        act(&mut s, Action::NextRoom);
    }
    assert_eq!(s.live.shown, Some(4));
    let screen = render(&s, 60, 12);
    assert!(
        screen.contains("▸5") && screen.contains("room_5"),
        "{screen}"
    );
}

/// A Twitch room fed the reference payloads (as the EventSub source will deliver them).
fn twitch_room() -> State {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/twitch");
    let mut s = State::with_settings(
        "cooler_user",
        SourceKind::Twitch,
        t0(),
        roomwatch::app::Settings::default(),
    );
    let viewport = roomwatch::ui::viewport(&s, 120, 40);
    update(&mut s, Msg::Resize(viewport), t0());
    let key = s.rooms[0].key.clone();
    update(
        &mut s,
        Msg::Source(
            key.clone(),
            SourceMsg::Status(ConnStatus {
                state: ConnState::Live,
                since: Some(t0()),
                ..ConnStatus::default()
            }),
        ),
        t0(),
    );
    let files = [
        "channel.chat.message_1_twitch-api.json",
        "channel.cheer_1_twitch-api.json",
        "channel.subscribe_1_twitch-api.json",
        "channel.subscription.message_1_twitch-api.json",
        "channel.subscription.gift_1_twitch-api.json",
        "channel.channel_points_custom_reward_redemption.add_1_twitch-api.json",
        "channel.raid_1_twitch-api.json",
        "channel.moderate_2_twitch-api-timeout.json",
        "channel.follow_2_twitch-api.json",
        "channel.update_2_twitch-api.json",
    ];
    let mut events = Vec::new();
    for (n, f) in files.iter().enumerate() {
        let payload: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap();
        let frame = serde_json::json!({
            "metadata": {"message_id": format!("m{n}"), "message_type": "notification",
                         "message_timestamp": roomwatch::event::format_at(at(n as i64))},
            "payload": payload,
        });
        let raw = serde_json::value::RawValue::from_string(frame.to_string()).unwrap();
        events.push(
            roomwatch::sources::twitch::parse_frame(&raw, SourceKind::Twitch, at(n as i64))
                .unwrap(),
        );
    }
    feed(&mut s, events, at(10));
    update(&mut s, Msg::Tick, at(10));
    s
}

#[test]
fn a_twitch_room_shows_cheers_in_bits_subs_raids_and_badges() {
    let s = twitch_room();
    let screen = render(&s, 120, 40);
    insta::assert_snapshot!("twitch_room_120x40", screen);
    assert!(
        screen.contains("Cheers"),
        "the support pane is named after the room's gifts"
    );
    assert!(screen.contains("1,000 bits"), "{screen}");
    assert!(
        !screen.contains(" tk"),
        "never tokens in a bits room:\n{screen}"
    );
}

/// `roomwatch channels`: 60 watched channels, 7 live (one with a hostile title, one with the bell), after 12
/// polls with changing viewers and a few changes.
fn channel_table(w: u16, h: u16) -> State {
    use roomwatch::app::channels::ChannelBoard;
    use roomwatch::sources::watch::channels::{Channel, ChannelChange, Channels};
    use roomwatch::sources::watch::engine::Report;
    use roomwatch::sources::watch::WatchMsg;
    let logins: Vec<String> = (0..60).map(|i| format!("chan_{i:03}")).collect();
    let mut s = State::with_rooms(Vec::new(), t0(), Default::default());
    s.channels = Some(ChannelBoard::new(&logins, ["chan_003".to_string()]));
    let viewport = roomwatch::ui::viewport(&s, w, h);
    update(&mut s, Msg::Resize(viewport), t0());
    for poll in 0..12i64 {
        let now = at(60 * poll);
        let channels = (logins.iter().enumerate())
            .map(|(i, l)| {
                let live = i % 9 == 3 && !(i == 30 && poll < 6);
                let c = Channel {
                    live,
                    started_at: live.then(|| format!("2024-01-01T{:02}:00:00Z", i % 24)),
                    title: live.then(|| match i {
                        21 => "Evil \u{1b}[31mred\u{7} title \u{202e}reversed".to_string(),
                        _ => {
                            format!("Stream number {i} with a rather long title that will not fit")
                        }
                    }),
                    category: live.then(|| ["Just Chatting", "Art", "Music"][i % 3].to_string()),
                    viewers: live.then(|| (i as u64 * 37 + poll as u64 * 11) % 500 + 1),
                    viewers_reported: None,
                };
                (l.clone(), c)
            })
            .collect();
        let polled = Channels {
            channels,
            polled_at: Some(now),
            viewer_step: 100,
        };
        if poll == 6 {
            let change = ChannelChange {
                channel: "chan_030".into(),
                kind: "went_live",
                data: serde_json::json!({}),
            };
            let report = Report::Changes {
                changes: vec![change],
                while_off: false,
                at: now,
            };
            update(&mut s, Msg::Watch(WatchMsg::Report(report)), now);
        }
        update(&mut s, Msg::Watch(WatchMsg::Polled(polled)), now);
    }
    update(&mut s, Msg::Tick, at(60 * 11 + 20));
    s
}

#[test]
fn the_channel_table() {
    for (w, h) in [(120, 40), (80, 24)] {
        let s = channel_table(w, h);
        let screen = render(&s, w, h);
        assert!(
            !screen.contains('\u{1b}') && !screen.contains('\u{202e}'),
            "{screen}"
        );
        insta::assert_snapshot!(format!("channels_{w}x{h}"), screen);
    }
}

#[test]
fn the_channel_table_degraded_filtered_and_scrolled() {
    use roomwatch::sources::watch::engine::{Health, Report};
    use roomwatch::sources::watch::WatchMsg;
    let mut s = channel_table(80, 24);
    let now = at(60 * 12);
    let report = Report::Health {
        health: Health::Degraded,
        last_good: Some(at(60 * 11)),
    };
    update(&mut s, Msg::Watch(WatchMsg::Report(report)), now);
    act(&mut s, Action::PageDown);
    act(&mut s, Action::PageDown);
    act(&mut s, Action::PageDown);
    // The last page is full: 60 rows, 19 on screen.
    let board = s.channels.as_ref().unwrap();
    assert_eq!(board.scroll, 60 - usize::from(s.live.viewport.table_rows));
    insta::assert_snapshot!("channels_degraded_scrolled_80x24", render(&s, 80, 24));
    act(&mut s, Action::TextFilter);
    typed(&mut s, "chan_03");
    act(&mut s, Action::Confirm);
    assert_eq!(
        s.channels.as_ref().unwrap().scroll,
        0,
        "the filter keeps the table in range"
    );
    insta::assert_snapshot!("channels_filtered_80x24", render(&s, 80, 24));
}

/// `roomwatch watch` with `[watch]` channels: the channel table is a strip under the rooms' overview, live first.
#[test]
fn the_channel_strip_in_a_session_of_rooms() {
    let mut s = three_rooms();
    let board = channel_table(120, 40).channels.take().unwrap();
    s.channels = Some(board);
    let last = s.live.now;
    update(&mut s, Msg::Tick, last);
    let screen = render(&s, 120, 40);
    assert!(screen.contains("Channels · 7 live of 60"), "{screen}");
    assert!(screen.contains("demo_room_1"), "{screen}");
    assert!(!screen.contains('\u{1b}'), "{screen}");
    insta::assert_snapshot!("rooms_with_channels_120x40", screen);
    // Small screens keep working (Single has no strip).
    for (w, h) in [(80, 24), (50, 12), (40, 10)] {
        render(&s, w, h);
    }
}
