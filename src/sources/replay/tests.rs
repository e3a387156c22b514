use super::*;
use crate::effects::journal::Journal;
use crate::event::journal::Header;
use crate::sources::simulator::fixed_start;
use std::io::Write;

fn recorded(n_batches: usize, per_batch: usize, gap_ms: i64) -> Vec<Batch> {
    crate::sources::simulator::recorded_batches(9, "replayed", n_batches, per_batch, gap_ms)
}

fn write_journal(path: &Path, batches: &[Batch]) {
    let header = Header {
        room: "replayed".into(),
        source: SourceKind::Simulator,
        started_at: fixed_start(),
    };
    let mut j = Journal::open(path, true, &header).unwrap();
    for b in batches {
        j.append_batch(b).unwrap();
    }
    j.sync().unwrap();
}

async fn play(path: &Path, pacing: Pacing) -> Vec<SourceMsg> {
    let replay = Replay::open(path).unwrap();
    assert_eq!(replay.room, "replayed");
    assert_eq!(replay.source, SourceKind::Simulator);
    let (tx, mut rx) = mpsc::channel(4);
    let task = tokio::spawn(run(replay, pacing, tx));
    let mut got = Vec::new();
    while let Some(m) = rx.recv().await {
        got.push(m);
    }
    task.await.unwrap();
    got
}

fn batches_of(msgs: &[SourceMsg]) -> Vec<&Batch> {
    msgs.iter()
        .filter_map(|m| match m {
            SourceMsg::Batch(b) => Some(b),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn replays_the_recorded_batches_event_for_event() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let original = recorded(5, 7, 1500);
    write_journal(&path, &original);
    let msgs = play(&path, Pacing::Instant).await;
    assert!(matches!(msgs.first(), Some(SourceMsg::Status(_))));
    assert!(matches!(msgs.last(), Some(SourceMsg::Ended)));
    let got = batches_of(&msgs);
    assert_eq!(got.len(), original.len(), "batches as recorded");
    for (g, o) in got.iter().zip(&original) {
        assert_eq!(g.events, o.events);
        assert_eq!(g.received_at, o.received_at);
    }
}

#[tokio::test]
async fn bad_lines_are_reported_with_their_number_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let original = recorded(2, 3, 1000);
    write_journal(&path, &original[..1]);
    {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"{\"received_at\": trunc\n").unwrap();
        f.write_all(b"\xff\xfe not utf-8\n").unwrap();
    }
    let mut j = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    let tail = dir.path().join("tail.jsonl");
    write_journal(&tail, &original[1..]);
    let tail_text = std::fs::read_to_string(&tail).unwrap();
    // The second part without its header: events of the same session continue after the bad lines.
    for line in tail_text.lines().skip(1) {
        writeln!(j, "{line}").unwrap();
    }
    drop(j);
    let msgs = play(&path, Pacing::Instant).await;
    let notices: Vec<&String> = msgs
        .iter()
        .filter_map(|m| match m {
            SourceMsg::Notice(t) => Some(t),
            _ => None,
        })
        .collect();
    assert!(notices[0].contains("line 5"), "{notices:?}");
    assert!(notices[1].contains("line 6") && notices[1].contains("UTF-8"));
    assert!(notices.last().unwrap().contains("2 unreadable"));
    let got = batches_of(&msgs);
    let events: usize = got.iter().map(|b| b.events.len()).sum();
    assert_eq!(events, 6, "every good event kept");
    let skipped: u32 = got.iter().map(|b| b.skipped).sum();
    assert_eq!(skipped, 2);
    assert!(matches!(msgs.last(), Some(SourceMsg::Ended)));
}

#[tokio::test(start_paused = true)]
async fn recorded_pacing_scales_the_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    write_journal(&path, &recorded(3, 1, 4000));
    let replay = Replay::open(&path).unwrap();
    let (tx, mut rx) = mpsc::channel(4);
    let start = Instant::now();
    tokio::spawn(run(replay, Pacing::Recorded { speed: 2.0 }, tx));
    let mut arrivals = Vec::new();
    while let Some(m) = rx.recv().await {
        if let SourceMsg::Batch(_) = m {
            arrivals.push((Instant::now() - start).as_millis());
        }
    }
    // Virtual time (paused clock): 4 s recorded gaps at twice the speed.
    assert_eq!(arrivals, vec![0, 2000, 4000]);
}

#[test]
fn a_file_that_is_not_a_journal_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "hello\nworld\n").unwrap();
    let err = Replay::open(&path).err().unwrap();
    assert!(err.contains("not a roomwatch journal"), "{err}");
    let err = Replay::open(&dir.path().join("missing.jsonl"))
        .err()
        .unwrap();
    assert!(err.contains("cannot open"), "{err}");
}

#[test]
fn an_endless_journal_line_is_skipped_without_being_kept() {
    let text = format!("{}\nshort\n{}", "x".repeat(100), "y".repeat(50));
    let mut reader = std::io::BufReader::with_capacity(8, text.as_bytes());
    let mut buf = Vec::new();
    let mut got = Vec::new();
    loop {
        buf.clear();
        match read_line_capped(&mut reader, &mut buf, 16).unwrap() {
            LineRead::End => break,
            LineRead::TooLong => got.push("too long".to_string()),
            LineRead::Read => got.push(String::from_utf8(buf.clone()).unwrap()),
        }
        assert!(buf.len() <= 16);
    }
    assert_eq!(got, ["too long", "short\n", "too long"]);
}
