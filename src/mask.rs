//! Secret masking. The events URL *is* the credential: every string that may reach a screen, a log line or a
//! file passes through [`scrub`], which replaces every registered secret (raw and percent-encoded) with `***`,
//! and the token segment of anything shaped like an events URL (`…/events/<user>/<token>`) whether or not it
//! was registered (a URL pasted where a file name belongs reaches error messages before it is ever parsed).

use std::borrow::Cow;
use std::sync::RwLock;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// The text that replaces a secret.
pub const MASK: &str = "***";

/// Registers a secret (a token) to be masked everywhere from now on. Empty strings are ignored.
pub fn register(secret: &str) {
    if secret.is_empty() {
        return;
    }
    let mut forms = vec![secret.to_string()];
    let encoded = percent_encode(secret);
    if encoded != secret {
        forms.push(encoded);
    }
    let mut guard = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    for f in forms {
        if !guard.contains(&f) {
            guard.push(f);
        }
    }
    // Longest first, so a secret that contains another is masked whole.
    guard.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Replaces every registered secret in `text`, and the token of every events-URL-shaped path, with [`MASK`].
pub fn scrub(text: &str) -> Cow<'_, str> {
    let registered = scrub_registered(text);
    match scrub_url_shapes(&registered) {
        Cow::Borrowed(_) => registered,
        Cow::Owned(o) => Cow::Owned(o),
    }
}

/// Replaces the registered secrets only. For data that must stay exact apart from a secret (a journaled event,
/// a cursor id): text that merely looks like an events URL is left as it is there.
pub fn scrub_registered(text: &str) -> Cow<'_, str> {
    let guard = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    if !guard.iter().any(|s| text.contains(s.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for s in guard.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), MASK);
        }
    }
    Cow::Owned(out)
}

/// `events/<user>/<token>` with `/` or `%2F` between the parts: the token part is masked.
fn scrub_url_shapes(text: &str) -> Cow<'_, str> {
    static SHAPE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = SHAPE.get_or_init(|| {
        regex::Regex::new(
            r#"(?i)(events(?:/|%2f)[^/\s?#"'<>]+(?:/|%2f))([^/\s?#"'<>*][^/\s?#"'<>]*)"#,
        )
        .expect("a valid pattern")
    });
    re.replace_all(text, |c: &regex::Captures| format!("{}{MASK}", &c[1]))
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_masked_raw_and_encoded() {
        register("s3cr3t/tok en");
        let line = "GET /events/alice/s3cr3t/tok en/ and /events/alice/s3cr3t%2Ftok%20en/";
        let masked = scrub(line);
        assert!(!masked.contains("s3cr3t"), "{masked}");
        assert_eq!(masked, "GET /events/alice/***/ and /events/alice/***/");
        assert!(matches!(scrub("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn any_events_url_is_masked_registered_or_not() {
        // Issue 9: the URL itself put where a file name belongs was printed in clear.
        let line = "cannot read the Events API URL file https://eventsapi.chaturbate.com/events/bob/Unregistered9Tok/: \
                    No such file";
        let masked = scrub(line);
        assert!(!masked.contains("Unregistered9Tok"), "{masked}");
        assert!(masked.contains("/events/bob/***/"), "{masked}");
        let encoded = scrub("path=%2Fevents%2Fbob%2FEncTok77%2F and EVENTS/carol/Upper55");
        assert!(
            !encoded.contains("EncTok77") && !encoded.contains("Upper55"),
            "{encoded}"
        );
        assert!(matches!(scrub("no events/ here"), Cow::Borrowed(_)));
        assert_eq!(scrub("/events/bob/***/"), "/events/bob/***/");
    }
}
