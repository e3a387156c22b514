//! Durations in the config: a number of seconds (`30`) or a string with units (`"30s"`, `"5m"`, `"1h30m"`,
//! `"500ms"`).

use std::time::Duration;

/// What the error messages offer as the allowed form.
pub const ALLOWED: &str =
    "a number of seconds (e.g. 30) or a duration string like \"30s\", \"5m\", \"1h30m\"";

/// Parses `"1h30m"`, `"45s"`, `"500ms"`, `"2m"`, or a bare number of seconds (`"90"`).
pub fn parse(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let step = match &rest[..unit_len] {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.checked_mul(60)?),
            "h" => Duration::from_secs(n.checked_mul(3600)?),
            _ => return None,
        };
        total = total.checked_add(step)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// The inverse of [`parse`], for messages: `90s` → `"1m30s"`.
pub fn format(d: Duration) -> String {
    let ms = d.as_millis();
    if !ms.is_multiple_of(1000) {
        return format!("{ms}ms");
    }
    let mut s = (ms / 1000) as u64;
    if s == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, size) in [("h", 3600), ("m", 60), ("s", 1)] {
        if s >= size {
            out.push_str(&format!("{}{unit}", s / size));
            s %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_plain_seconds() {
        assert_eq!(parse("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse("500ms"), Some(Duration::from_millis(500)));
        for bad in ["", "s", "5 minutes", "1.5m", "-3s", "5d", "m5"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_back() {
        for text in ["0s", "10s", "5m", "1h30m", "1h0m5s", "500ms"] {
            let d = parse(text).unwrap();
            assert_eq!(parse(&format(d)), Some(d), "{text}");
        }
        assert_eq!(format(Duration::from_secs(90)), "1m30s");
    }
}
