//! The reducer with fixture sequences and a fixed clock: totals, top tippers, anonymous handling, presence,
//! pause backlog, filters, alerts with cooldown, prompts and markers.

mod common;

use common::*;
use roomwatch::app::{update, Action, Effects, ExitReason, Mode, Msg, Pane, Settings, State};
use roomwatch::event::Unit;
use roomwatch::sources::{ConnState, ConnStatus, ErrorClass, SourceError, SourceMsg};
use roomwatch::ui::status::connection;
use std::time::Duration;

fn act(s: &mut State, a: Action) -> Effects {
    update(s, Msg::Action(a), at(0))
}

fn type_text(s: &mut State, text: &str) {
    for c in text.chars() {
        update(s, Msg::Input(c), at(0));
    }
}

/// The ids a pane shows, oldest first.
fn shown(s: &State, p: Pane) -> Vec<String> {
    let mut ids: Vec<String> = s.shown_items(p).map(|i| i.ev.id.to_string()).collect();
    ids.reverse();
    ids
}

#[test]
fn totals_top_tippers_and_anonymous_tips() {
    let mut s = state();
    let evs = vec![
        tip(Some("alice"), 50, at(1)),
        tip(Some("bob"), 200, at(2)),
        tip(Some("alice"), 100, at(3)),
        tip(None, 500, at(4)),
        tip(Some("carol"), 150, at(5)),
    ];
    feed(&mut s, evs, at(5));
    assert_eq!(s.rooms[0].stats.tips.value, 1000);
    assert_eq!(s.rooms[0].stats.tips.count, 5);
    assert_eq!(
        (
            s.rooms[0].stats.tips.anon_count,
            s.rooms[0].stats.tips.anon_value
        ),
        (1, 500)
    );
    let top: Vec<(&str, u64, u64)> = s.rooms[0]
        .top
        .entries
        .iter()
        .map(|(u, t)| (u.as_str(), t.value, t.count))
        .collect();
    // Ties on tokens: more tips first.
    assert_eq!(
        top,
        vec![("bob", 200, 1), ("alice", 150, 2), ("carol", 150, 1)]
    );
    let b = s.rooms[0].stats.tips.biggest.clone().unwrap();
    assert_eq!((b.user, b.value), (None, 500));
    let anon = s
        .shown_items(Pane::Tips)
        .find(|i| i.ev.is_anonymous())
        .unwrap();
    assert_eq!(anon.ev.display_user(), None);
    // Panes never keep the raw JSON (that is the journal's job).
    assert!(s.shown_items(Pane::Tips).all(|i| i.ev.raw.is_none()));
}

#[test]
fn incremental_top_tippers_match_the_ledger_on_a_long_session() {
    let mut s = state();
    feed_simulated(&mut s, simulated(11, 6000));
    let ledger: Vec<(String, u64)> = s.rooms[0]
        .stats
        .tips
        .top(5)
        .into_iter()
        .map(|(u, t)| (u.to_string(), t.value))
        .collect();
    let live: Vec<(String, u64)> = s.rooms[0]
        .top
        .entries
        .iter()
        .map(|(u, t)| (u.clone(), t.value))
        .collect();
    assert_eq!(live, ledger);
    assert_eq!(live.len(), 5);
}

#[test]
fn presence_counts_in_room_peak_and_unique() {
    let mut s = state();
    feed(
        &mut s,
        vec![
            enter("a", at(1)),
            enter("b", at(2)),
            leave("a", at(3)),
            enter("a", at(4)),
            enter("c", at(5)),
            leave("b", at(6)),
        ],
        at(6),
    );
    assert_eq!(s.rooms[0].stats.in_room.len(), 2);
    assert_eq!(s.rooms[0].stats.peak_in_room, 3);
    assert_eq!(s.rooms[0].stats.visitors.len(), 3);
}

#[test]
fn smart_viewers_show_only_notable_enters_and_decide_when_drawn() {
    let mut s = state();
    let mut modu = enter("mod_guy", at(1));
    modu.user.as_mut().unwrap().is_mod = true;
    feed(
        &mut s,
        vec![enter("lurker", at(1)), modu, enter("talker", at(2))],
        at(2),
    );
    assert!(s.live.smart_viewers, "smart mode is on by default");
    assert_eq!(s.shown_items(Pane::Viewers).count(), 1);
    // Once "talker" chats, the earlier enter line shows too: history is filtered, not dropped.
    feed(&mut s, vec![chat("talker", "hi", at(3))], at(3));
    assert_eq!(s.shown_items(Pane::Viewers).count(), 2);
    act(&mut s, Action::ToggleSmartViewers);
    assert_eq!(s.shown_items(Pane::Viewers).count(), 3);
}

#[test]
fn pause_freezes_panes_counts_backlog_and_keeps_totals_live() {
    let mut s = state();
    feed(
        &mut s,
        vec![chat("a", "one", at(1)), tip(Some("b"), 5, at(1))],
        at(1),
    );
    act(&mut s, Action::TogglePause);
    assert!(s.live.paused);
    let before = shown(&s, Pane::Chat);
    let fx = feed(
        &mut s,
        vec![
            chat("a", "two", at(2)),
            chat("c", "three", at(2)),
            tip(Some("b"), 10, at(2)),
            tip(None, 20, at(3)),
            enter("d", at(3)),
            pm("e", "psst", at(3)),
        ],
        at(3),
    );
    assert!(fx.redraw, "the banner and totals change while paused");
    assert_eq!(s.live.backlog(), (6, 2));
    assert_eq!(shown(&s, Pane::Chat), before, "paused panes do not move");
    assert_eq!(s.rooms[0].stats.tips.value, 35, "totals stay live");
    act(&mut s, Action::TogglePause);
    assert!(!s.live.any_frozen());
    assert_eq!(s.live.backlog(), (0, 0));
    assert_eq!(
        s.shown_items(Pane::Chat).count(),
        4,
        "nothing lost on resume"
    );
    assert_eq!(s.shown_items(Pane::Tips).count(), 3);
}

#[test]
fn scrolling_up_pauses_only_that_pane_and_end_resumes() {
    let mut s = state();
    let chats: Vec<_> = (0..10)
        .map(|i| chat("a", &format!("m{i}"), at(i)))
        .collect();
    feed(&mut s, chats, at(10));
    act(&mut s, Action::ScrollUp);
    act(&mut s, Action::ScrollUp);
    let chat_pane = s.live.pane(Pane::Chat);
    assert_eq!(chat_pane.scroll, 2);
    assert!(chat_pane.frozen_at.is_some());
    assert!(s.live.pane(Pane::Tips).frozen_at.is_none());
    assert!(!s.live.paused);
    feed(
        &mut s,
        vec![chat("a", "new", at(11)), tip(Some("x"), 1, at(11))],
        at(11),
    );
    assert_eq!(
        s.live.backlog(),
        (1, 0),
        "only the frozen pane's backlog counts"
    );
    // Scroll is clamped to what exists.
    for _ in 0..50 {
        act(&mut s, Action::ScrollUp);
    }
    assert_eq!(s.live.pane(Pane::Chat).scroll, 9);
    act(&mut s, Action::JumpToLive);
    assert!(!s.live.any_frozen());
    assert_eq!(s.live.pane(Pane::Chat).scroll, 0);
    // Scrolling down past the bottom also resumes.
    act(&mut s, Action::ScrollUp);
    act(&mut s, Action::ScrollDown);
    assert!(s.live.pane(Pane::Chat).frozen_at.is_some());
    act(&mut s, Action::ScrollDown);
    assert!(s.live.pane(Pane::Chat).frozen_at.is_none());
}

#[test]
fn focus_moves_scroll_to_another_pane() {
    let mut s = state();
    feed(
        &mut s,
        vec![tip(Some("a"), 1, at(1)), tip(Some("b"), 2, at(2))],
        at(2),
    );
    act(&mut s, Action::FocusNext);
    assert_eq!(s.live.focus, Pane::Tips);
    act(&mut s, Action::ScrollUp);
    assert!(s.live.pane(Pane::Tips).frozen_at.is_some());
    assert!(s.live.pane(Pane::Chat).frozen_at.is_none());
    act(&mut s, Action::FocusPrev);
    act(&mut s, Action::FocusPrev);
    assert_eq!(s.live.focus, Pane::Viewers);
}

fn filter_fixture() -> State {
    let mut s = state();
    feed(
        &mut s,
        vec![
            chat("alice", "Hello there", at(1)),
            chat("bob", "hey alice", at(2)),
            chat("carol", "goodbye", at(3)),
            tip(Some("alice"), 5, at(4)),
            tip(Some("bob"), 500, at(5)),
            tip(None, 300, at(6)),
            pm("alice", "secret", at(7)),
        ],
        at(7),
    );
    s
}

#[test]
fn kind_groups_hide_and_show_without_deleting() {
    let mut s = filter_fixture();
    act(&mut s, Action::ToggleKind(1));
    assert_eq!(s.shown_items(Pane::Chat).count(), 1, "only the PM is left");
    act(&mut s, Action::ToggleKind(2));
    assert_eq!(s.shown_items(Pane::Chat).count(), 0);
    assert_eq!(s.rooms[0].feed(Pane::Chat).len(), 4, "history is kept");
    assert_eq!(s.live.filters.describe(Unit::Tokens), vec!["hidden 1,2"]);
    act(&mut s, Action::ToggleKind(1));
    act(&mut s, Action::ToggleKind(2));
    assert_eq!(s.shown_items(Pane::Chat).count(), 4);
}

#[test]
fn text_filter_applies_live_and_escape_restores() {
    let mut s = filter_fixture();
    act(&mut s, Action::TextFilter);
    assert_eq!(s.live.mode(), Mode::Input);
    type_text(&mut s, "hel");
    // Matches "Hello there" (case-insensitive); usernames match too, none here.
    assert_eq!(s.shown_items(Pane::Chat).count(), 1);
    update(&mut s, Msg::Action(Action::Cancel), at(0));
    assert_eq!(s.live.mode(), Mode::Normal);
    assert!(s.live.filters.text.is_none());
    assert_eq!(s.shown_items(Pane::Chat).count(), 4);

    act(&mut s, Action::TextFilter);
    type_text(&mut s, "/^(hey|good)/");
    act(&mut s, Action::Confirm);
    assert_eq!(s.shown_items(Pane::Chat).count(), 2);
    assert!(s.live.filters.describe(Unit::Tokens)[0].contains("/^(hey|good)/"));
}

#[test]
fn a_bad_regex_keeps_the_prompt_open_with_the_reason() {
    let mut s = filter_fixture();
    act(&mut s, Action::TextFilter);
    type_text(&mut s, "/(/");
    act(&mut s, Action::Confirm);
    let p = s.live.prompt.as_ref().expect("still open");
    assert!(p.error.as_deref().unwrap().starts_with("bad regex"));
    update(&mut s, Msg::InputBackspace, at(0));
    update(&mut s, Msg::InputBackspace, at(0));
    type_text(&mut s, "a/");
    act(&mut s, Action::Confirm);
    assert!(s.live.prompt.is_none());
}

#[test]
fn user_focus_spans_panes_and_never_matches_anonymous() {
    let mut s = filter_fixture();
    act(&mut s, Action::FocusUser);
    type_text(&mut s, "ALICE");
    act(&mut s, Action::Confirm);
    assert_eq!(s.shown_items(Pane::Chat).count(), 2, "her chat and her PM");
    assert_eq!(s.shown_items(Pane::Tips).count(), 1);
    act(&mut s, Action::InvertFilter);
    let tips: Vec<Option<&str>> = s
        .shown_items(Pane::Tips)
        .map(|i| i.ev.display_user())
        .collect();
    assert_eq!(tips, vec![None, Some("bob")], "newest first");
    act(&mut s, Action::ClearFilters);
    assert!(!s.live.filters.is_active());
    assert_eq!(s.shown_items(Pane::Tips).count(), 3);
}

#[test]
fn minimum_tip_accepts_digits_only() {
    let mut s = filter_fixture();
    act(&mut s, Action::MinTip);
    type_text(&mut s, "3x0y0");
    act(&mut s, Action::Confirm);
    assert_eq!(s.live.filters.min_tip, Some(300));
    assert_eq!(s.shown_items(Pane::Tips).count(), 2);
    assert_eq!(
        s.shown_items(Pane::Chat).count(),
        4,
        "other kinds are not affected"
    );
    act(&mut s, Action::MinTip);
    for _ in 0..3 {
        update(&mut s, Msg::InputBackspace, at(0));
    }
    act(&mut s, Action::Confirm);
    assert_eq!(s.live.filters.min_tip, None);
}

#[test]
fn alerts_ring_with_cooldown_and_always_flash() {
    let settings = Settings {
        alert_cooldown: Duration::from_secs(10),
        ..Settings::default()
    };
    let mut s = state_with(settings);
    assert!(!feed(&mut s, vec![tip(Some("a"), 99, at(1))], at(1)).bell);
    assert!(feed(&mut s, vec![tip(Some("a"), 100, at(2))], at(2)).bell);
    let fx = feed(&mut s, vec![tip(Some("b"), 500, at(5))], at(5));
    assert!(!fx.bell, "inside the cooldown");
    assert!(s.live.pane(Pane::Tips).is_flashing(at(6)));
    assert!(!s.live.pane(Pane::Tips).is_flashing(at(8)));
    assert!(feed(&mut s, vec![pm("c", "hi", at(12))], at(12)).bell);
    assert!(s.live.pane(Pane::Chat).is_flashing(at(12)));

    let mut quiet = state_with(Settings {
        bell: false,
        pm_alert: false,
        ..Settings::default()
    });
    assert!(!feed(&mut quiet, vec![tip(Some("a"), 1000, at(1))], at(1)).bell);
    assert!(quiet.live.pane(Pane::Tips).is_flashing(at(1)));
    assert!(!feed(&mut quiet, vec![pm("c", "hi", at(30))], at(30)).bell);
}

#[test]
fn duplicates_and_skips_are_counted_from_batches() {
    let mut s = state();
    update(
        &mut s,
        from_source(SourceMsg::Batch(roomwatch::sources::Batch {
            received_at: at(1),
            events: vec![chat("a", "x", at(1))],
            skipped: 2,
            duplicates_dropped: 3,
        })),
        at(1),
    );
    assert_eq!(s.rooms[0].stats.duplicates_dropped, 3);
    assert_eq!(s.rooms[0].stats.skipped_events, 2);
    assert_eq!(s.rooms[0].stats.events_total, 1);
}

#[test]
fn markers_take_the_time_of_the_key_and_an_optional_note() {
    let mut s = state();
    update(&mut s, Msg::Action(Action::Mark), at(42));
    type_text(&mut s, "raid from bob");
    update(&mut s, Msg::Action(Action::Confirm), at(50));
    assert_eq!(s.rooms[0].markers.len(), 1);
    assert_eq!(s.rooms[0].markers[0].at, at(42));
    assert_eq!(s.rooms[0].markers[0].note, "raid from bob");
    update(&mut s, Msg::Action(Action::Mark), at(60));
    update(&mut s, Msg::Action(Action::Cancel), at(61));
    assert_eq!(s.rooms[0].markers.len(), 1);
}

#[test]
fn help_toggles_and_quit_ends() {
    let mut s = state();
    act(&mut s, Action::ToggleHelp);
    assert_eq!(s.live.mode(), Mode::Help);
    act(&mut s, Action::Cancel);
    assert_eq!(s.live.mode(), Mode::Normal);
    assert_eq!(act(&mut s, Action::Quit).quit, Some(ExitReason::QuitKey));
}

#[test]
fn the_tui_holds_the_screen_when_the_source_fails_headless_does_not() {
    let refused = from_source(SourceMsg::Fatal(SourceError::CredentialsRefused {
        status: 401,
    }));
    let mut headless = state();
    assert_eq!(
        update(&mut headless, refused.clone(), at(1)).quit,
        Some(ExitReason::CredentialsRefused)
    );
    let mut tui = state();
    tui.live.hold_on_end = true;
    assert_eq!(update(&mut tui, refused, at(1)).quit, None);
    assert_eq!(connection(&tui, &tui.rooms[0]).0, "CREDENTIALS REFUSED");
    assert_eq!(
        act(&mut tui, Action::Quit).quit,
        Some(ExitReason::CredentialsRefused)
    );
}

#[test]
fn status_shows_retry_countdown_and_stale() {
    let mut s = state();
    update(
        &mut s,
        from_source(SourceMsg::Status(ConnStatus {
            state: ConnState::Retrying {
                attempt: 3,
                next_in: Duration::from_secs(8),
                last: ErrorClass::Status(503),
            },
            since: Some(at(10)),
            ..ConnStatus::default()
        })),
        at(10),
    );
    assert_eq!(
        connection(&s, &s.rooms[0]).0,
        "RETRYING attempt 3 · next in 8 s · last: 503"
    );
    update(&mut s, Msg::Tick, at(13));
    assert_eq!(
        connection(&s, &s.rooms[0]).0,
        "RETRYING attempt 3 · next in 5 s · last: 503"
    );

    let mut cb = State::with_settings(
        "room",
        roomwatch::event::SourceKind::Chaturbate,
        at(0),
        Settings::default(),
    );
    live(&mut cb, at(0));
    feed(&mut cb, vec![], at(5));
    update(&mut cb, Msg::Tick, at(45));
    assert_eq!(connection(&cb, &cb.rooms[0]).0, "LIVE");
    update(&mut cb, Msg::Tick, at(46));
    assert_eq!(
        connection(&cb, &cb.rooms[0]).0,
        "STALE · no response for 41 s"
    );
    // A reply, even an empty one, clears it.
    feed(&mut cb, vec![], at(47));
    assert_eq!(connection(&cb, &cb.rooms[0]).0, "LIVE");
}

#[test]
fn notices_are_kept_and_stamped() {
    let mut s = state();
    update(
        &mut s,
        from_source(SourceMsg::Notice("refused nextUrl on another host".into())),
        at(3),
    );
    assert_eq!(s.rooms[0].notices, vec!["refused nextUrl on another host"]);
    assert_eq!(s.rooms[0].notice_at, Some(at(3)));
}

#[test]
fn rates_follow_arrival_time() {
    let mut s = state();
    feed(
        &mut s,
        (0..30).map(|i| chat("a", "x", at(i))).collect(),
        at(30),
    );
    feed(
        &mut s,
        vec![tip(Some("a"), 1, at(31)), tip(Some("b"), 1, at(31))],
        at(31),
    );
    assert_eq!(s.rooms[0].rates.events_per_min(at(31)), 32);
    assert_eq!(s.rooms[0].rates.tips_per_min(at(31)), 2);
    assert_eq!(s.rooms[0].rates.events_per_min(at(95)), 0);
}

#[test]
fn twitch_gifts_are_counted_once_in_their_units() {
    use roomwatch::event::{EventBody, Reward};
    let mut s = state();
    feed(
        &mut s,
        vec![
            ev(
                Some("a"),
                EventBody::Cheer {
                    bits: 100,
                    anonymous: false,
                    message: String::new(),
                },
                at(1),
            ),
            ev(
                Some("b"),
                EventBody::Cheer {
                    bits: 50,
                    anonymous: true,
                    message: String::new(),
                },
                at(2),
            ),
            ev(
                Some("a"),
                EventBody::Cheer {
                    bits: 25,
                    anonymous: false,
                    message: String::new(),
                },
                at(3),
            ),
            ev(
                Some("c"),
                EventBody::SubGift {
                    tier: "1000".into(),
                    total: 5,
                    anonymous: false,
                },
                at(4),
            ),
            // The five recipients' own events: the gift is not counted again.
            ev(
                Some("r"),
                EventBody::Subscription {
                    tier: "1000".into(),
                    is_gift: true,
                },
                at(4),
            ),
            ev(
                Some("d"),
                EventBody::Subscription {
                    tier: "2000".into(),
                    is_gift: false,
                },
                at(5),
            ),
            ev(
                Some("e"),
                EventBody::Resubscription {
                    tier: "1000".into(),
                    cumulative_months: 3,
                    streak_months: Some(3),
                    message: String::new(),
                },
                at(6),
            ),
            ev(
                Some("f"),
                EventBody::Redemption {
                    reward: Reward {
                        id: "1".into(),
                        title: "Hydrate".into(),
                        cost: 100,
                    },
                    input: None,
                },
                at(7),
            ),
            ev(Some("g"), EventBody::Raid { viewers: 40 }, at(8)),
        ],
        at(8),
    );
    let st = &s.rooms[0].stats;
    assert_eq!((st.cheers.count, st.cheers.value), (3, 175));
    assert_eq!((st.cheers.anon_count, st.cheers.anon_value), (1, 50));
    assert_eq!(st.cheers.by_user["a"].value, 125);
    assert!(
        !st.cheers.by_user.contains_key("b"),
        "anonymous cheers are never named"
    );
    assert_eq!(
        (st.subs_new, st.resubs, st.subs_gifted, st.gift_events),
        (1, 1, 5, 1)
    );
    assert_eq!(st.subs_by_tier["1000"], 6);
    assert_eq!(st.subs_by_tier["2000"], 1);
    assert_eq!(st.redemptions["Hydrate"], 1);
    assert_eq!((st.raids, st.raid_viewers), (1, 40));
    assert_eq!(st.tips.value, 0, "bits never count as tokens");
}

// ── Several rooms ───────────────────────────────────────────────────────────────────────────────────────────

fn rooms3(hold: bool) -> State {
    use roomwatch::event::{RoomKey, SourceKind};
    let keys = vec![
        RoomKey::new(SourceKind::Simulator, "alpha"),
        RoomKey::new(SourceKind::Chaturbate, "beta"),
        RoomKey::new(SourceKind::Twitch, "gamma"),
    ];
    let mut s = State::with_rooms(keys, t0(), Settings::default());
    s.live.hold_on_end = hold;
    s
}

fn to_room(
    s: &mut State,
    r: usize,
    msg: SourceMsg,
    when: chrono::DateTime<chrono::Utc>,
) -> Effects {
    let key = s.rooms[r].key.clone();
    update(s, Msg::Source(key, msg), when)
}

fn cheer(u: &str, bits: u64, when: chrono::DateTime<chrono::Utc>) -> roomwatch::event::RoomEvent {
    ev(
        Some(u),
        roomwatch::event::EventBody::Cheer {
            bits,
            anonymous: false,
            message: String::new(),
        },
        when,
    )
}

#[test]
fn interleaved_rooms_keep_exact_totals_each() {
    let mut s = rooms3(false);
    // The third room counts in bits (a Twitch room, once its platform entry says so).
    s.rooms[2].unit = Unit::Bits;
    let mut want = [0u64; 3];
    for i in 0..30u64 {
        let r = (i * 7 % 3) as usize;
        let when = at(i as i64);
        if r == 2 {
            feed_room(&mut s, r, vec![cheer("zed", i + 1, when)], when);
        } else {
            feed_room(
                &mut s,
                r,
                vec![tip(Some("ann"), i + 1, when), chat("ann", "hi", when)],
                when,
            );
        }
        want[r] += i + 1;
    }
    assert_eq!(s.rooms[0].stats.tips.value, want[0]);
    assert_eq!(s.rooms[1].stats.tips.value, want[1]);
    // Bits stay bits: never in a token total, never in another room.
    assert_eq!(s.rooms[2].stats.cheers.value, want[2]);
    assert_eq!(s.rooms[2].stats.tips.value, 0);
    assert_eq!(
        s.rooms[0].stats.cheers.value + s.rooms[1].stats.cheers.value,
        0
    );
    assert_eq!(
        s.events_total(),
        s.rooms.iter().map(|r| r.stats.events_total).sum::<u64>()
    );
    // Top supporters are per room and per unit: "ann" in two rooms is two entries with two totals; the bits
    // room ranks its cheerers in bits.
    assert_eq!(s.rooms[0].top.entries[0].1.value, want[0]);
    assert_eq!(s.rooms[1].top.entries[0].1.value, want[1]);
    assert_eq!(
        s.rooms[2].top.entries,
        vec![(
            "zed".to_string(),
            s.rooms[2].stats.cheers.by_user["zed"].clone()
        )]
    );
    assert_eq!(s.rooms[2].stats.ledger(Unit::Bits).value, want[2]);
    assert_eq!(s.rooms[2].stats.total_in(Unit::Bits), want[2]);
    assert_eq!(s.rooms[2].stats.total_in(Unit::Tokens), 0);
}

#[test]
fn a_big_cheer_alerts_like_a_big_tip() {
    let mut s = rooms3(false);
    s.rooms[2].unit = Unit::Bits;
    let fx = feed_room(&mut s, 2, vec![cheer("zed", 99, at(1))], at(1));
    assert!(!fx.bell);
    let fx = feed_room(&mut s, 2, vec![cheer("zed", 100, at(30))], at(30));
    assert!(
        fx.bell,
        "100 bits reach tip_alert_min = 100 in the room's unit"
    );
}

#[test]
fn all_rooms_merge_by_arrival_and_one_room_shows_only_its_own() {
    let mut s = rooms3(false);
    feed_room(&mut s, 0, vec![chat("a", "1", at(1))], at(1));
    feed_room(&mut s, 1, vec![chat("b", "2", at(2))], at(2));
    feed_room(&mut s, 0, vec![chat("a", "3", at(3))], at(3));
    feed_room(&mut s, 2, vec![chat("c", "4", at(4))], at(4));
    let merged: Vec<(usize, String)> = s
        .shown_items(Pane::Chat)
        .map(|i| (i.room, i.ev.user.as_ref().unwrap().username.to_string()))
        .collect();
    assert_eq!(
        merged,
        vec![
            (2, "c".into()),
            (0, "a".into()),
            (1, "b".into()),
            (0, "a".into())
        ],
        "newest first over every room"
    );
    update(&mut s, Msg::Action(Action::NextRoom), at(5));
    assert_eq!(s.live.shown, Some(0));
    let ids: Vec<usize> = s.shown_items(Pane::Chat).map(|i| i.room).collect();
    assert_eq!(ids, vec![0, 0]);
    update(&mut s, Msg::Action(Action::NextRoom), at(5));
    update(&mut s, Msg::Action(Action::NextRoom), at(5));
    assert_eq!(s.live.shown, Some(2));
    update(&mut s, Msg::Action(Action::NextRoom), at(5));
    assert_eq!(s.live.shown, None, "after the last room: all rooms");
    update(&mut s, Msg::Action(Action::PrevRoom), at(5));
    assert_eq!(s.live.shown, Some(2));
    update(&mut s, Msg::Action(Action::AllRooms), at(5));
    assert_eq!(s.live.shown, None);
}

#[test]
fn a_marker_goes_to_the_room_shown() {
    let mut s = rooms3(false);
    update(&mut s, Msg::Action(Action::NextRoom), at(1));
    update(&mut s, Msg::Action(Action::NextRoom), at(1));
    act(&mut s, Action::Mark);
    act(&mut s, Action::Confirm);
    let counts: Vec<usize> = s.rooms.iter().map(|r| r.markers.len()).collect();
    assert_eq!(counts, vec![0, 1, 0]);
    update(&mut s, Msg::Action(Action::AllRooms), at(2));
    act(&mut s, Action::Mark);
    act(&mut s, Action::Confirm);
    let counts: Vec<usize> = s.rooms.iter().map(|r| r.markers.len()).collect();
    assert_eq!(counts, vec![1, 2, 1], "all rooms shown: every room gets it");
}

#[test]
fn one_rooms_fatal_error_ends_that_room_only() {
    let mut s = rooms3(false);
    let fx = to_room(
        &mut s,
        1,
        SourceMsg::Fatal(SourceError::Fatal("HTTP 404".into())),
        at(1),
    );
    assert_eq!(fx.quit, None, "the other rooms go on");
    assert!(matches!(s.rooms[1].ended, Some(ExitReason::FatalError(_))));
    assert!(s.rooms[0].is_running() && s.rooms[2].is_running());
    // The ended room takes nothing more; the others do.
    to_room(
        &mut s,
        1,
        batch_of(vec![tip(Some("x"), 5, at(2))], at(2)),
        at(2),
    );
    feed_room(&mut s, 0, vec![tip(Some("x"), 5, at(2))], at(2));
    assert_eq!(s.rooms[1].stats.events_total, 0);
    assert_eq!(s.rooms[0].stats.events_total, 1);
    // A panic in one room of several is that room's end too.
    let fx = to_room(
        &mut s,
        2,
        SourceMsg::Fatal(SourceError::Panic("bug".into())),
        at(3),
    );
    assert_eq!(fx.quit, None);
    assert_eq!(s.rooms[2].ended, Some(ExitReason::Panic));
    // The last room ends normally: the session ends, failed because a room failed (exit 4).
    let fx = to_room(&mut s, 0, SourceMsg::Ended, at(4));
    let reason = fx.quit.expect("no room left");
    assert!(matches!(reason, ExitReason::FatalError(_)), "{reason:?}");
    assert_eq!(reason.exit_code(), 4);
}

#[test]
fn refused_credentials_in_any_room_make_the_session_exit_3() {
    let mut s = rooms3(true);
    to_room(&mut s, 0, SourceMsg::Fatal(SourceError::Vanished), at(1));
    to_room(
        &mut s,
        2,
        SourceMsg::Fatal(SourceError::CredentialsRefused { status: 401 }),
        at(2),
    );
    assert_eq!(s.live.ended, None, "one room still runs");
    to_room(&mut s, 1, SourceMsg::Ended, at(3));
    assert_eq!(s.live.ended, Some(ExitReason::CredentialsRefused));
    // Held on screen: the quit key ends with the rooms' reason.
    let fx = update(&mut s, Msg::Action(Action::Quit), at(4));
    assert_eq!(fx.quit.map(|r| r.exit_code()), Some(3));
}

#[test]
fn quitting_while_a_room_runs_is_a_normal_end_even_after_another_failed() {
    let mut s = rooms3(true);
    to_room(
        &mut s,
        0,
        SourceMsg::Fatal(SourceError::Fatal("gone".into())),
        at(1),
    );
    let fx = update(&mut s, Msg::Action(Action::Quit), at(2));
    assert_eq!(fx.quit, Some(ExitReason::QuitKey));
    // All rooms ended normally: a normal end.
    let mut s = rooms3(false);
    for r in 0..3 {
        to_room(&mut s, r, SourceMsg::Ended, at(1));
    }
    assert_eq!(s.quit, Some(ExitReason::EndOfReplay));
}

#[test]
fn a_single_room_session_keeps_its_exit_codes() {
    let mut s = state();
    let key = key();
    let fx = update(
        &mut s,
        Msg::Source(
            key.clone(),
            SourceMsg::Fatal(SourceError::CredentialsRefused { status: 403 }),
        ),
        at(1),
    );
    assert_eq!(fx.quit, Some(ExitReason::CredentialsRefused));
    let mut s = state();
    let fx = update(&mut s, Msg::Source(key, SourceMsg::Ended), at(1));
    assert_eq!(fx.quit, Some(ExitReason::EndOfReplay));
    // A message for a room the session does not have changes nothing.
    let mut s = state();
    let other =
        roomwatch::event::RoomKey::new(roomwatch::event::SourceKind::Chaturbate, "demo_room");
    let fx = update(&mut s, Msg::Source(other, SourceMsg::Ended), at(1));
    assert_eq!(fx.quit, None);
    assert!(s.rooms[0].is_running());
}

#[test]
fn a_marker_on_the_held_screen_of_one_room_is_kept_but_never_in_an_ended_room_of_several() {
    // One room: the source ended, the screen is held; the summary is written at quit, with the marker.
    let mut s = state();
    s.live.hold_on_end = true;
    update(&mut s, from_source(SourceMsg::Ended), at(1));
    act(&mut s, Action::Mark);
    act(&mut s, Action::Confirm);
    assert_eq!(s.rooms[0].markers.len(), 1);
    // Several rooms: an ended room's summary is already written, so a marker for all goes to the others.
    let mut s = rooms3(true);
    to_room(&mut s, 1, SourceMsg::Ended, at(1));
    act(&mut s, Action::Mark);
    act(&mut s, Action::Confirm);
    let counts: Vec<usize> = s.rooms.iter().map(|r| r.markers.len()).collect();
    assert_eq!(counts, vec![1, 0, 1]);
}

#[test]
fn the_shown_count_is_the_merged_count() {
    let mut s = rooms3(false);
    for i in 0..40 {
        feed_room(
            &mut s,
            i % 3,
            vec![chat("a", &i.to_string(), at(i as i64))],
            at(i as i64),
        );
    }
    act(&mut s, Action::TogglePause);
    feed_room(&mut s, 0, vec![chat("late", "x", at(50))], at(50));
    for pane in Pane::ALL {
        assert_eq!(s.shown_count(pane), s.shown_items(pane).count(), "{pane:?}");
    }
    assert_eq!(s.shown_count(Pane::Chat), 40, "frozen at the pause");
    update(&mut s, Msg::Action(Action::NextRoom), at(51));
    assert_eq!(s.shown_count(Pane::Chat), 14);
}

#[test]
fn the_minimum_tip_filter_reads_cheers_in_bits() {
    let mut s = rooms3(false);
    update(&mut s, Msg::Action(Action::NextRoom), at(0));
    update(&mut s, Msg::Action(Action::NextRoom), at(0));
    update(&mut s, Msg::Action(Action::NextRoom), at(0));
    assert_eq!(s.live.shown, Some(2));
    feed_room(
        &mut s,
        2,
        vec![cheer("a", 10, at(1)), cheer("b", 500, at(2))],
        at(2),
    );
    act(&mut s, Action::MinTip);
    type_text(&mut s, "100");
    act(&mut s, Action::Confirm);
    let shown: Vec<u64> = s
        .shown_items(Pane::Tips)
        .filter_map(|i| i.ev.gift().map(|g| g.value))
        .collect();
    assert_eq!(shown, vec![500]);
}
