//! Secret masking. The events URL *is* the credential: every string that may reach a screen, a log line or a
//! file passes through [`scrub`], which replaces every registered secret (raw and percent-encoded) with `***`.

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

/// Replaces every registered secret in `text` with [`MASK`].
pub fn scrub(text: &str) -> Cow<'_, str> {
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
}
