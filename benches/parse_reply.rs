//! Parsing one 1000-event Events API reply of realistic size (17-field users), the ingest hot path.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use roomwatch::event::SourceKind;
use roomwatch::sources::chaturbate::{parse_reply, parse_reply_by_items, Raw};
use std::hint::black_box;

#[path = "../tests/support/events.rs"]
mod events;

fn reply(n: u64) -> Vec<u8> {
    format!(
        "{{\"events\":[{}],\"nextUrl\":\"https://eventsapi.chaturbate.com/events/test_room/tok/?i={}&timeout=30\"}}",
        events::many(n).join(","),
        events::id(n - 1)
    )
    .into_bytes()
}

fn bench(c: &mut Criterion) {
    let body = reply(1000);
    let now = chrono::Utc::now();
    let mut g = c.benchmark_group("parse_reply");
    g.throughput(Throughput::Elements(1000));
    // With a journal (the events keep their JSON) and without.
    g.bench_function("1000_events", |b| {
        b.iter(|| parse_reply(black_box(&body), SourceKind::Chaturbate, now, Raw::Keep).unwrap())
    });
    g.bench_function("1000_events_no_journal", |b| {
        b.iter(|| parse_reply(black_box(&body), SourceKind::Chaturbate, now, Raw::Drop).unwrap())
    });
    // The item by item path, which defines the rules (and reads whatever the one pass leaves).
    g.bench_function("1000_events_by_items", |b| {
        b.iter(|| {
            parse_reply_by_items(black_box(&body), SourceKind::Chaturbate, now, Raw::Keep).unwrap()
        })
    });
    let mut line = Vec::with_capacity(1 << 20);
    let parsed = parse_reply(&body, SourceKind::Chaturbate, now, Raw::Drop).unwrap();
    g.bench_function("1000_json_lines", |b| {
        b.iter(|| {
            line.clear();
            for ev in &parsed.events {
                roomwatch::event::write_json_line(&mut line, "room", ev).unwrap();
            }
            black_box(line.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
