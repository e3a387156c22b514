//! Frame time: the whole screen at 200×60 drawn into a `TestBackend` with 100k events held in the panes.
//! `cargo bench --bench frame`; figures in docs/performance.md (## TUI).

use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use roomwatch::app::{update, Action, Msg, Settings, State};
use roomwatch::event::SourceKind;
use roomwatch::sources::chaturbate::parse_event;
use roomwatch::sources::simulator::{fixed_start, RoomModel};
use roomwatch::sources::{Batch, ConnState, ConnStatus, SourceMsg};

const EVENTS: usize = 100_000;

fn loaded_state() -> State {
    let settings = Settings {
        // Keep every event: the panes really hold 100k.
        history_per_pane: EVENTS,
        ..Settings::default()
    };
    let t0 = fixed_start();
    let mut s = State::with_settings("demo_room", SourceKind::Simulator, t0, settings);
    let viewport = roomwatch::ui::viewport(&s, 200, 60);
    update(&mut s, Msg::Resize(viewport), t0);
    let status = ConnStatus {
        state: ConnState::Live,
        since: Some(t0),
        ..ConnStatus::default()
    };
    let key = s.rooms[0].key.clone();
    update(
        &mut s,
        Msg::Source(key.clone(), SourceMsg::Status(status)),
        t0,
    );
    let mut model = RoomModel::new(3, "demo_room");
    let start = t0.timestamp_millis();
    let mut batch = Vec::new();
    for i in 0..EVENTS {
        let ms = start + i as i64 * 10;
        let raw = serde_json::value::RawValue::from_string(model.next_event(ms).to_string())
            .expect("json");
        let at = chrono::DateTime::from_timestamp_millis(ms).expect("time");
        batch.push(parse_event(&raw, SourceKind::Simulator, at).expect("event"));
        if batch.len() == 500 || i + 1 == EVENTS {
            let msg = Msg::Source(
                key.clone(),
                SourceMsg::Batch(Batch {
                    received_at: at,
                    events: std::mem::take(&mut batch),
                    skipped: 0,
                    duplicates_dropped: 0,
                }),
            );
            update(&mut s, msg, at);
        }
    }
    let held: usize = s.rooms[0].feeds.iter().map(|f| f.len()).sum();
    assert_eq!(held, EVENTS);
    s
}

fn frame(c: &mut Criterion) {
    let mut s = loaded_state();
    let mut term = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    c.bench_function("frame 200x60, 100k events held, live", |b| {
        b.iter(|| {
            term.draw(|f| roomwatch::ui::view(&s, f)).expect("draw");
        })
    });
    let now = s.live.now;
    update(&mut s, Msg::Action(Action::TogglePause), now);
    update(&mut s, Msg::Action(Action::ToggleKind(5)), now);
    update(&mut s, Msg::Action(Action::MinTip), now);
    for c in "50".chars() {
        update(&mut s, Msg::Input(c), now);
    }
    update(&mut s, Msg::Action(Action::Confirm), now);
    c.bench_function("frame 200x60, 100k events held, paused + filtered", |b| {
        b.iter(|| {
            term.draw(|f| roomwatch::ui::view(&s, f)).expect("draw");
        })
    });
}

criterion_group!(benches, frame);
criterion_main!(benches);
