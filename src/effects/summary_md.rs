//! The summary for people: Markdown rendered from [`Summary`] alone (pure).

use super::summary::{biggest_label, format_duration, thousands, Bucket, Summary};
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// Width of the longest bar in the tokens chart, in cells.
const BAR_WIDTH: usize = 40;
/// More 5-minute rows than this (a day) and the chart lists only the buckets that saw tokens.
const MAX_FILLED_ROWS: usize = 288;
const BUCKET_SECS: i64 = crate::app::stats::BUCKET_SECS;

/// Text from the network or the broadcaster, made inert in Markdown: the terminal sanitizer first (control
/// characters, escape sequences, bidi and invisible characters dropped, line breaks flattened), then the
/// characters that would open markup or break a table escaped.
pub fn md_text(s: &str) -> String {
    let clean = crate::sanitize::clean(s);
    let mut out = String::with_capacity(clean.len());
    for c in clean.chars() {
        if matches!(
            c,
            '\\' | '|' | '*' | '`' | '<' | '>' | '[' | ']' | '#' | '&'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A user name in Markdown: [`md_text`] of the displayed name (`(blank name)` when nothing printable is left).
pub fn md_name(s: &str) -> String {
    md_text(&crate::sanitize::name(s))
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `2026-11-23 09:05:07 UTC`.
fn human_time(s: &str) -> String {
    parse_time(s).map_or_else(
        || s.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

pub fn render(s: &Summary) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# roomwatch session — {}\n", md_text(&s.room));
    let _ = writeln!(
        md,
        "Source: {} · started {} · ended {} · ended by: {}",
        s.source,
        human_time(&s.started_at),
        human_time(&s.ended_at),
        s.exit_reason
    );
    if let Some(detail) = &s.exit_detail {
        let _ = writeln!(md, "\nError: {}", md_text(detail));
    }
    if let Some(journal) = &s.replay_of {
        let _ = writeln!(
            md,
            "\nReplay of the journal `{}`",
            crate::sanitize::clean(journal).replace('`', "'")
        );
    }
    headline(&mut md, s);
    twitch(&mut md, s);
    top_tippers(&mut md, s);
    tokens_chart(&mut md, &s.tokens_per_5min);
    markers(&mut md, s);
    connection(&mut md, s);
    md
}

fn headline(md: &mut String, s: &Summary) {
    let biggest = s.tips.biggest.as_ref().map_or("—".to_string(), |b| {
        format!("{} by {}", thousands(b.tokens), md_name(biggest_label(b)))
    });
    let rows = [
        ("Duration", format_duration(s.duration_s)),
        (
            "Tokens",
            format!(
                "{} (tips {} · media {})",
                thousands(s.tokens_total),
                thousands(s.tips.tokens),
                thousands(s.media_purchases.tokens)
            ),
        ),
        (
            "Tips",
            format!(
                "{} (anonymous: {} for {} tokens)",
                thousands(s.tips.count),
                thousands(s.tips.anonymous.count),
                thousands(s.tips.anonymous.tokens)
            ),
        ),
        ("Biggest tip", biggest),
        ("Unique chatters", thousands(s.chat.unique_chatters)),
        (
            "Chat messages",
            format!(
                "{} (private: {})",
                thousands(s.chat.messages),
                thousands(s.chat.private_messages)
            ),
        ),
        (
            "Peak in room",
            format!(
                "{} ({} unique visitors)",
                thousands(s.viewers.peak_in_room),
                thousands(s.viewers.unique)
            ),
        ),
        (
            "Follows / unfollows",
            format!("{} / {}", thousands(s.follows), thousands(s.unfollows)),
        ),
        ("Fan-club joins", thousands(s.fanclub_joins)),
        (
            "Media purchases",
            format!(
                "{} for {} tokens",
                thousands(s.media_purchases.count),
                thousands(s.media_purchases.tokens)
            ),
        ),
        (
            "Events",
            format!(
                "{} (duplicates dropped: {}, skipped: {})",
                thousands(s.events.total),
                thousands(s.events.duplicates_dropped),
                thousands(s.events.skipped)
            ),
        ),
    ];
    let _ = writeln!(md, "\n| | |\n|---|---|");
    for (k, v) in rows {
        let _ = writeln!(md, "| {k} | {v} |");
    }
    if s.totals_saturated {
        let _ = writeln!(
            md,
            "\nSome totals reached {} (the largest number roomwatch counts) and stopped there: they are lower \
             bounds.",
            thousands(u64::MAX)
        );
    }
}

/// Bits, subs, redemptions and raids, for rooms that have them (Twitch).
fn twitch(md: &mut String, s: &Summary) {
    let (Some(bits), Some(subs), Some(red), Some(raids)) =
        (&s.bits, &s.subs, &s.redemptions, &s.raids)
    else {
        return;
    };
    let tiers: Vec<String> = (subs.by_tier.iter())
        .map(|(tier, n)| format!("tier {} {}", md_text(tier), thousands(*n)))
        .collect();
    let _ = writeln!(md, "\n## Twitch\n\n| | |\n|---|---|");
    let _ = writeln!(
        md,
        "| Bits | {} in {} cheers (anonymous: {} in {}) |",
        thousands(bits.bits),
        thousands(bits.count),
        thousands(bits.anonymous.bits),
        thousands(bits.anonymous.count)
    );
    let _ = writeln!(
        md,
        "| Subs | {} new · {} resubs · {} gifted in {} gifts{} |",
        thousands(subs.new),
        thousands(subs.resubs),
        thousands(subs.gifted),
        thousands(subs.gift_events),
        if tiers.is_empty() {
            String::new()
        } else {
            format!(" ({})", tiers.join(", "))
        }
    );
    let _ = writeln!(md, "| Redemptions | {} |", thousands(red.count));
    let _ = writeln!(
        md,
        "| Raids | {} ({} viewers) |",
        thousands(raids.count),
        thousands(raids.viewers)
    );
    if !red.by_reward.is_empty() {
        let _ = writeln!(md, "\n| Reward | Redeemed |\n|---|---:|");
        for (title, n) in &red.by_reward {
            let _ = writeln!(md, "| {} | {} |", md_text(title), thousands(*n));
        }
    }
    if !bits.top.is_empty() {
        let _ = writeln!(md);
        let rows = bits.top.iter().map(|c| (c.user.as_str(), c.bits, c.count));
        ranking(md, ["Cheerer", "Bits", "Cheers"], rows);
    }
}

/// A ranking table (`stats::rank` order, as given): `#`, who, how much, how many.
fn ranking<'a>(md: &mut String, head: [&str; 3], rows: impl Iterator<Item = (&'a str, u64, u64)>) {
    let [who, amount, count] = head;
    let _ = writeln!(
        md,
        "| # | {who} | {amount} | {count} |\n|---:|---|---:|---:|"
    );
    for (i, (user, value, n)) in rows.enumerate() {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            i + 1,
            md_name(user),
            thousands(value),
            thousands(n)
        );
    }
}

fn top_tippers(md: &mut String, s: &Summary) {
    let _ = writeln!(md, "\n## Top tippers\n");
    if s.tips.top.is_empty() {
        let _ = writeln!(md, "No named tippers.");
    } else {
        let rows = s
            .tips
            .top
            .iter()
            .map(|t| (t.user.as_str(), t.tokens, t.count));
        ranking(md, ["Tipper", "Tokens", "Tips"], rows);
    }
    if s.tips.anonymous.count > 0 {
        let _ = writeln!(
            md,
            "\nanonymous: {} {} for {} tokens (never named).",
            thousands(s.tips.anonymous.count),
            if s.tips.anonymous.count == 1 {
                "tip"
            } else {
                "tips"
            },
            thousands(s.tips.anonymous.tokens)
        );
    }
}

/// The buckets to draw: every 5 minutes from the first to the last bucket (gaps as zero) unless that would
/// exceed a day of rows, then only those that saw tokens.
fn chart_rows(buckets: &[Bucket]) -> Vec<(DateTime<Utc>, u64)> {
    let parsed: Vec<(DateTime<Utc>, u64)> = buckets
        .iter()
        .filter_map(|b| parse_time(&b.start).map(|t| (t, b.tokens)))
        .collect();
    let (Some(first), Some(last)) = (parsed.first(), parsed.last()) else {
        return parsed;
    };
    let span = (last.0 - first.0).num_seconds() / BUCKET_SECS + 1;
    if span as usize > MAX_FILLED_ROWS {
        return parsed;
    }
    let mut rows = Vec::with_capacity(span as usize);
    let mut it = parsed.iter().peekable();
    for i in 0..span {
        let t = first.0 + chrono::Duration::seconds(i * BUCKET_SECS);
        let tokens = match it.peek() {
            Some((bt, tok)) if *bt == t => {
                it.next();
                *tok
            }
            _ => 0,
        };
        rows.push((t, tokens));
    }
    rows
}

fn bar(tokens: u64, max: u64) -> String {
    const PARTS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
    if max == 0 || tokens == 0 {
        return String::new();
    }
    let eighths = ((tokens as u128 * (BAR_WIDTH as u128 * 8)).div_ceil(max as u128)) as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(PARTS[eighths % 8 - 1]);
    }
    s
}

fn tokens_chart(md: &mut String, buckets: &[Bucket]) {
    let _ = writeln!(md, "\n## Tokens per 5 minutes\n");
    let rows = chart_rows(buckets);
    if rows.is_empty() {
        let _ = writeln!(md, "No tokens.");
        return;
    }
    let same_day = rows.first().map(|r| r.0.date_naive()) == rows.last().map(|r| r.0.date_naive());
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0);
    let width = thousands(max).len();
    let _ = writeln!(md, "```text");
    for (t, tokens) in rows {
        let label = if same_day {
            t.format("%H:%M").to_string()
        } else {
            t.format("%Y-%m-%d %H:%M").to_string()
        };
        let row = format!(
            "{label}  {:>width$}  {}",
            thousands(tokens),
            bar(tokens, max)
        );
        let _ = writeln!(md, "{}", row.trim_end());
    }
    let _ = writeln!(
        md,
        "```\n\nTimes in UTC (event time), tips and media purchases."
    );
}

fn markers(md: &mut String, s: &Summary) {
    let _ = writeln!(md, "\n## Markers\n");
    if s.markers.is_empty() {
        let _ = writeln!(md, "No markers.");
        return;
    }
    for m in &s.markers {
        let note = if m.note.trim().is_empty() {
            "(no note)".to_string()
        } else {
            md_text(&m.note)
        };
        let _ = writeln!(md, "- {} — {note}", human_time(&m.at));
    }
}

fn connection(md: &mut String, s: &Summary) {
    let c = &s.connection;
    let _ = writeln!(md, "\n## Connection\n");
    let _ = writeln!(
        md,
        "{} requests · {} retries · longest outage {:.1} s",
        thousands(c.requests),
        thousands(c.retries),
        c.longest_outage_s
    );
    if !c.errors_by_class.is_empty() {
        let _ = writeln!(md, "\n| Error class | Count |\n|---|---:|");
        for (class, n) in &c.errors_by_class {
            let _ = writeln!(md, "| {} | {} |", md_text(class), thousands(*n));
        }
    }
    if c.outages.is_empty() {
        let _ = writeln!(md, "\nNo outages.");
    } else {
        let _ = writeln!(md, "\n| Outage started | Length |\n|---|---:|");
        for o in &c.outages {
            let length = format!("{:.1} s", o.length_s);
            let open = if o.ended_at.is_none() {
                " (still down)"
            } else {
                ""
            };
            let _ = writeln!(md, "| {} | {length}{open} |", human_time(&o.started_at));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_text_is_inert() {
        assert_eq!(md_text("a|b"), "a\\|b");
        assert_eq!(md_text("x\u{1b}[2Jy\nz"), "xy z");
        assert_eq!(md_text("a\u{1b}]0;title\u{7}b\u{9b}1m\u{200b}c"), "abc");
        assert_eq!(md_text("\u{202e}rev"), "rev");
        assert_eq!(md_text("alice_99"), "alice_99");
        // An entity would come back as the character it names when the Markdown is rendered.
        assert_eq!(md_text("&#x1b;]0;x"), "\\&\\#x1b;\\]0;x");
    }

    #[test]
    fn bars_scale_to_the_biggest_bucket() {
        assert_eq!(bar(0, 10), "");
        assert_eq!(bar(10, 10).chars().count(), BAR_WIDTH);
        assert_eq!(bar(5, 10).chars().count(), BAR_WIDTH / 2);
        assert_eq!(bar(1, 1_000_000), "▏");
    }

    #[test]
    fn chart_fills_gaps_within_a_day() {
        let b = |start: &str, tokens| Bucket {
            start: start.into(),
            tokens,
        };
        let rows = chart_rows(&[
            b("2026-01-01T20:00:00.000Z", 5),
            b("2026-01-01T20:15:00.000Z", 7),
        ]);
        let tokens: Vec<u64> = rows.iter().map(|r| r.1).collect();
        assert_eq!(tokens, vec![5, 0, 0, 7]);
        let sparse = chart_rows(&[
            b("2026-01-01T20:00:00.000Z", 5),
            b("2026-01-05T20:15:00.000Z", 7),
        ]);
        assert_eq!(sparse.len(), 2);
    }
}
