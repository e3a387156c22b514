//! The channel watch's summary (`roomwatch channels`): who was live this session, when, and with how many
//! viewers at most, and when the platform was unreachable. Built from the channel table alone (pure), written
//! as `roomwatch-channels-<stamp>.json` and `.md` next to the rooms' summaries.

use super::summary::format_duration;
use super::summary_md::md_text;
use crate::app::channels::ChannelBoard;
use crate::app::ExitReason;
use crate::event::format_at;
use crate::files::atomic::{self, Durability, Place};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelsSummary {
    pub platform: &'static str,
    pub started_at: String,
    pub ended_at: String,
    pub duration_s: f64,
    pub exit_reason: String,
    /// Channels watched at the end.
    pub watched: usize,
    pub polls: u64,
    pub changes: u64,
    /// When the platform could not be polled (each outage it recovered from).
    pub unreachable: Vec<Outage>,
    /// The channels seen live this session, longest live first.
    pub channels: Vec<ChannelOut>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outage {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelOut {
    pub channel: String,
    /// Seconds live over the streams listed (each to the last poll that saw it live).
    pub live_s: i64,
    pub peak_viewers: u64,
    pub streams: Vec<StreamOut>,
    /// Older streams not listed.
    #[serde(skip_serializing_if = "is_zero")]
    pub streams_dropped: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamOut {
    pub from: String,
    /// The last poll that saw it live; `null` when it was still live at the end.
    pub to: Option<String>,
    pub last_seen: String,
    pub peak_viewers: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

pub fn build(
    board: &ChannelBoard,
    started_at: DateTime<Utc>,
    ended_at: DateTime<Utc>,
    exit: &ExitReason,
) -> ChannelsSummary {
    let mut channels: Vec<ChannelOut> = (board.log.iter())
        .map(|(login, log)| {
            let streams: Vec<StreamOut> = (log.streams.iter())
                .map(|s| StreamOut {
                    from: format_at(s.from),
                    to: s.ended.then(|| format_at(s.last_seen)),
                    last_seen: format_at(s.last_seen),
                    peak_viewers: s.peak_viewers,
                })
                .collect();
            ChannelOut {
                channel: login.clone(),
                live_s: (log.streams.iter())
                    .map(|s| (s.last_seen - s.from).num_seconds().max(0))
                    .fold(0i64, i64::saturating_add),
                peak_viewers: (log.streams.iter())
                    .map(|s| s.peak_viewers)
                    .max()
                    .unwrap_or(0),
                streams,
                streams_dropped: log.dropped,
            }
        })
        .collect();
    channels.sort_by(|a, b| b.live_s.cmp(&a.live_s).then(a.channel.cmp(&b.channel)));
    ChannelsSummary {
        platform: "twitch",
        started_at: format_at(started_at),
        ended_at: format_at(ended_at),
        duration_s: (ended_at - started_at).num_milliseconds().max(0) as f64 / 1000.0,
        exit_reason: exit.as_str().to_string(),
        watched: board.rows.len(),
        polls: board.polls,
        changes: board.changes,
        unreachable: (board.outages.iter())
            .map(|(from, to)| Outage {
                from: format_at(*from),
                to: format_at(*to),
            })
            .collect(),
        channels,
    }
}

/// `2026-11-28 20:01` from a summary time.
fn short(at: &str) -> String {
    DateTime::parse_from_rfc3339(at).map_or_else(
        |_| md_text(at),
        |t| t.with_timezone(&Utc).format("%Y-%m-%d %H:%M").to_string(),
    )
}

pub fn render_md(s: &ChannelsSummary) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# roomwatch channel watch — {} Twitch channels\n",
        s.watched
    );
    let _ = writeln!(
        md,
        "Started {} UTC · ended {} UTC ({}) · ended by: {} · {} good polls, {} changes\n",
        short(&s.started_at),
        short(&s.ended_at),
        format_duration(s.duration_s),
        s.exit_reason,
        s.polls,
        s.changes
    );
    if !s.unreachable.is_empty() {
        let spans: Vec<String> = (s.unreachable.iter())
            .map(|o| format!("{} – {}", short(&o.from), short(&o.to)))
            .collect();
        let _ = writeln!(md, "Twitch was unreachable: {}.\n", spans.join(", "));
    }
    if s.channels.is_empty() {
        let _ = writeln!(md, "No watched channel was live.");
        return md;
    }
    let _ = writeln!(md, "{} channels were live:\n", s.channels.len());
    let _ = writeln!(md, "| channel | live | peak viewers | streams (UTC) |");
    let _ = writeln!(md, "|---|---:|---:|---|");
    for c in &s.channels {
        let mut streams: Vec<String> = (c.streams.iter())
            .map(|st| match &st.to {
                Some(to) => format!("{} – {}", short(&st.from), short(to)),
                None => format!("{} – still live", short(&st.from)),
            })
            .collect();
        if c.streams_dropped > 0 {
            streams.insert(0, format!("{} earlier", c.streams_dropped));
        }
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            md_text(&c.channel),
            format_duration(c.live_s as f64),
            crate::numfmt::thousands(c.peak_viewers),
            streams.join("; ")
        );
    }
    md
}

/// Writes the pair under a freshly claimed `roomwatch-channels-<stamp>` in `dir`; returns both paths.
pub fn write(
    dir: &Path,
    s: &ChannelsSummary,
    started_at: DateTime<Utc>,
) -> std::io::Result<[PathBuf; 2]> {
    atomic::ensure_dir(dir)?;
    let json = serde_json::to_vec_pretty(s).map_err(std::io::Error::other)?;
    let stem = super::claim_name(dir, "channels", started_at, &json)?;
    let md_path = dir.join(format!("{stem}.md"));
    atomic::write(
        &md_path,
        render_md(s).as_bytes(),
        Place::Replace,
        Durability::Synced,
    )?;
    let json_path = dir.join(format!("{stem}.json"));
    Ok([json_path, md_path].map(|p| std::path::absolute(&p).unwrap_or(p)))
}

/// The lines printed on stderr at the end: where the pair is and who was live.
pub fn end_report(s: &ChannelsSummary, written: Result<&[PathBuf; 2], String>) -> Vec<String> {
    let mut lines = vec![match written {
        Ok([json, md]) => format!(
            "roomwatch: channel watch summary: {} and {}",
            json.display(),
            md.display()
        ),
        Err(e) => format!("roomwatch: warning: no channel watch summary could be written: {e}"),
    }];
    let peak = s.channels.iter().max_by_key(|c| c.peak_viewers);
    let mut text = format!(
        "  {} of {} channels live this session; {} changes",
        s.channels.len(),
        s.watched,
        s.changes
    );
    if let Some(p) = peak {
        text.push_str(&format!(
            "; most viewers: {} ({})",
            p.channel,
            crate::numfmt::thousands(p.peak_viewers)
        ));
    }
    lines.push(text);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::channels::{ChannelLog, Stream};

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn the_summary_lists_who_was_live_longest_first_with_open_streams_as_null() {
        let mut board = ChannelBoard::new(&["a".into(), "b|x".into(), "c".into()], []);
        let stream = |from, to, ended, peak| Stream {
            from: at(from),
            last_seen: at(to),
            ended,
            peak_viewers: peak,
        };
        board.log.insert(
            "a".into(),
            ChannelLog {
                streams: vec![stream(0, 600, true, 10)],
                dropped: 0,
            },
        );
        board.log.insert(
            "b|x".into(),
            ChannelLog {
                streams: vec![stream(0, 60, true, 5), stream(100, 3700, false, 1234)],
                dropped: 2,
            },
        );
        board.outages.push((at(50), at(90)));
        board.polls = 7;
        let s = build(&board, at(0), at(3700), &ExitReason::QuitKey);
        let json: serde_json::Value = serde_json::to_value(&s).unwrap();
        assert_eq!(json["watched"], 3);
        assert_eq!(json["exit_reason"], "quit_key");
        assert_eq!(json["channels"][0]["channel"], "b|x");
        assert_eq!(json["channels"][0]["live_s"], 60 + 3600);
        assert_eq!(json["channels"][0]["peak_viewers"], 1234);
        assert_eq!(
            json["channels"][0]["streams"][1]["to"],
            serde_json::Value::Null
        );
        assert_eq!(json["channels"][0]["streams_dropped"], 2);
        assert_eq!(json["channels"][1]["channel"], "a");
        assert!(json["channels"][1].get("streams_dropped").is_none());
        assert_eq!(json["unreachable"][0]["from"], format_at(at(50)));
        let md = render_md(&s);
        assert!(md.contains("| b\\|x | 1:01:00 | 1,234 |"), "{md}");
        assert!(md.contains("still live"), "{md}");
        assert!(md.contains("2 earlier"), "{md}");
        assert!(md.contains("Twitch was unreachable"), "{md}");
        let report = end_report(&s, Err("disk full".into()));
        assert!(report[1].contains("2 of 3 channels") && report[1].contains("b|x (1,234)"));
    }

    #[test]
    fn the_pair_is_written_under_a_fresh_name() {
        let dir = tempfile::tempdir().unwrap();
        let board = ChannelBoard::new(&["a".into()], []);
        let s = build(&board, at(0), at(10), &ExitReason::Terminate);
        let first = write(dir.path(), &s, at(0)).unwrap();
        let second = write(dir.path(), &s, at(0)).unwrap();
        assert_ne!(first, second);
        assert!(
            first[0].ends_with("roomwatch-channels-20270115T080000.json"),
            "{first:?}"
        );
        let back: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&first[0]).unwrap()).unwrap();
        assert_eq!(back["exit_reason"], "sigterm");
        assert!(std::fs::read_to_string(&first[1])
            .unwrap()
            .contains("No watched channel was live"));
    }
}
