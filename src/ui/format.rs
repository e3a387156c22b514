//! Pure text helpers for the views: numbers, durations, and word wrapping by display width.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

pub use crate::numfmt::thousands;

/// A session clock: `4:05`, `1:02:03`.
pub fn clock(secs: i64) -> String {
    crate::numfmt::clock(secs.max(0) as u64)
}

/// A short age: `5 s`, `3 min`, `2 h`.
pub fn age(secs: i64) -> String {
    let s = secs.max(0);
    if s < 120 {
        format!("{s} s")
    } else if s < 7200 {
        format!("{} min", s / 60)
    } else {
        format!("{} h", s / 3600)
    }
}

/// A stream's length in at most 8 columns: `45s`, `12m 03s`, `3h 07m`, `27d 01h`.
pub fn span(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m) = (s / 86_400, s / 3600 % 24, s / 60 % 60);
    if d > 999 {
        ">999d".into()
    } else if d > 0 {
        format!("{d}d {h:02}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {:02}s", s % 60)
    } else {
        format!("{s}s")
    }
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A one-line sparkline (zeros as a baseline dot) scaled to the series' maximum.
pub fn sparkline(series: &[u64]) -> String {
    let max = series.iter().copied().max().unwrap_or(0);
    series
        .iter()
        .map(|&v| {
            if v == 0 || max == 0 {
                '·'
            } else {
                // In u128: a count from the network must not overflow.
                BARS[(u128::from(v) * 7).div_ceil(u128::from(max)) as usize]
            }
        })
        .collect()
}

/// Display width of a string (what the terminal will use).
pub fn width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Cuts a string to at most `max` columns, with `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// Word-wraps styled spans to `width` columns; continuation lines start with `indent` spaces. Words longer
/// than a line are broken by character. Never returns an empty vector.
pub fn wrap(spans: Vec<Span<'static>>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let indent = if indent * 2 > width { 0 } else { indent };
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut cur: Vec<Span<'static>> = Vec::new();
    let mut col = 0usize;
    for span in spans {
        let style = span.style;
        for word in split_keep_spaces(&span.content) {
            let ww = self::width(word);
            let is_space = word.starts_with(' ');
            if col + ww <= width {
                push(&mut cur, word, style);
                col += ww;
                continue;
            }
            if is_space {
                // A break eats the spaces at the end of the line.
                flush(&mut lines, &mut cur, indent, &mut col);
                continue;
            }
            if ww <= width - indent && col > indent {
                flush(&mut lines, &mut cur, indent, &mut col);
                push(&mut cur, word, style);
                col += ww;
                continue;
            }
            for c in word.chars() {
                let cw = c.width().unwrap_or(0);
                if col + cw > width && col > indent {
                    flush(&mut lines, &mut cur, indent, &mut col);
                }
                let mut buf = [0u8; 4];
                push(&mut cur, c.encode_utf8(&mut buf), style);
                col += cw;
            }
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(Line::from(cur));
    }
    lines
}

fn flush(
    lines: &mut Vec<Line<'static>>,
    cur: &mut Vec<Span<'static>>,
    indent: usize,
    col: &mut usize,
) {
    lines.push(Line::from(std::mem::take(cur)));
    if indent > 0 {
        cur.push(Span::raw(" ".repeat(indent)));
    }
    *col = indent;
}

fn push(cur: &mut Vec<Span<'static>>, text: &str, style: Style) {
    if let Some(last) = cur.last_mut() {
        if last.style == style {
            last.content.to_mut().push_str(text);
            return;
        }
    }
    cur.push(Span::styled(text.to_string(), style));
}

/// Splits into runs of spaces and runs of non-spaces, keeping both.
fn split_keep_spaces(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let space = rest.starts_with(' ');
        let end = rest
            .find(|c: char| (c == ' ') != space)
            .unwrap_or(rest.len());
        let (head, tail) = rest.split_at(end);
        rest = tail;
        Some(head)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_max() {
        assert_eq!(sparkline(&[0, 1, 2, 4]), "·▃▅█");
        assert_eq!(sparkline(&[0, 0]), "··");
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&[u64::MAX, 1]), "█▂");
    }

    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn numbers_and_durations() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(clock(3723), "1:02:03");
        assert_eq!(clock(65), "1:05");
        assert_eq!(age(5), "5 s");
        assert_eq!(age(600), "10 min");
    }

    #[test]
    fn wraps_words_with_indent_and_breaks_long_words() {
        let l = wrap(vec![Span::raw("12:00 hello there world")], 12, 6);
        assert_eq!(
            texts(&l),
            vec!["12:00 hello ", "      there ", "      world"]
        );
        let l = wrap(vec![Span::raw("ab abcdefghij")], 5, 0);
        assert_eq!(texts(&l), vec!["ab ab", "cdefg", "hij"]);
        // Wide characters count double.
        let l = wrap(vec![Span::raw("こんにちは")], 4, 0);
        assert_eq!(texts(&l), vec!["こん", "にち", "は"]);
        for line in wrap(vec![Span::raw("x ".repeat(50))], 7, 2) {
            assert!(width(&line.to_string()) <= 7);
        }
    }

    #[test]
    fn truncates_by_width() {
        assert_eq!(truncate("hello", 10), "hello");
        assert_eq!(truncate("hello world", 6), "hello…");
        assert_eq!(truncate("こんにちは", 5), "こん…");
    }
}
