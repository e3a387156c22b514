//! How a source's end reaches the exit reason.

use chrono::Utc;
use roomwatch::app::{update, ExitReason, Msg, State};
use roomwatch::event::SourceKind;
use roomwatch::sources::{SourceError, SourceMsg};

fn fatal(state: &mut State, err: SourceError) -> Option<ExitReason> {
    let key = state.rooms[0].key.clone();
    update(state, Msg::Source(key, SourceMsg::Fatal(err)), Utc::now()).quit
}

#[test]
fn a_vanished_source_is_a_failure_never_a_clean_end() {
    let mut s = State::new("room", SourceKind::Chaturbate, Utc::now());
    let reason = fatal(&mut s, SourceError::Vanished).expect("headless ends");
    assert_eq!(reason, ExitReason::SourceFailed);
    assert_eq!((reason.as_str(), reason.exit_code()), ("source_failed", 4));
}

#[test]
fn a_source_panic_ends_even_the_held_live_screen() {
    let mut s = State::new("room", SourceKind::Chaturbate, Utc::now());
    s.live.hold_on_end = true;
    assert_eq!(
        fatal(&mut s, SourceError::Panic("boom".into())),
        Some(ExitReason::Panic)
    );
    // An ordinary fatal error is held on screen until the user quits.
    let mut s = State::new("room", SourceKind::Chaturbate, Utc::now());
    s.live.hold_on_end = true;
    assert_eq!(fatal(&mut s, SourceError::Fatal("404".into())), None);
    assert!(s.live.ended.is_some());
}

#[test]
fn a_total_that_only_overflows_when_added_is_said_to_be_capped() {
    use roomwatch::effects::summary::{build, SummaryMeta};
    let mut s = State::new("room", SourceKind::Chaturbate, Utc::now());
    s.rooms[0].stats.tips.value = u64::MAX - 1;
    s.rooms[0].stats.media_tokens = 2;
    let meta = SummaryMeta {
        exit: None,
        ended_at: Utc::now(),
        replay_of: None,
    };
    let summary = build(&s.rooms[0], &meta);
    assert_eq!(summary.tokens_total, u64::MAX);
    assert!(summary.totals_saturated);
}
