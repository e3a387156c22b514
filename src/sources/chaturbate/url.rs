//! The Events API URL: the accepted forms (DESIGN.md "Command line"), the poll URLs built from it, and the
//! same-origin rule for `nextUrl`. The URL *is* the credential, so nothing here ever shows it in clear.

use reqwest::Url;
use std::fmt;
use std::net::IpAddr;

pub const PRODUCTION_HOST: &str = "eventsapi.chaturbate.com";
pub const TESTBED_HOST: &str = "events.testbed.cb.dev";
/// Where users create the token (named in every "what to do" message).
pub const TOKEN_PAGE: &str = "https://chaturbate.com/statsapi/authtoken/";
/// The server's own default when a URL carries no `timeout` (chaturbate.md §2).
pub const SERVER_DEFAULT_TIMEOUT_S: u64 = 10;
/// The API's own maximum long-poll `timeout` (0–90 s, chaturbate.md §2): a larger value in a configured URL
/// or a `nextUrl` is read as 90, so no deadline arithmetic can overflow and no request waits for ever.
pub const MAX_TIMEOUT_S: u64 = 90;
/// Longest `nextUrl` followed. Real ones are ~100 bytes; 8 KiB is what common servers and proxies accept in
/// a request line, and a longer one could not be requested anyway.
pub const MAX_NEXT_URL_BYTES: usize = 8 * 1024;

/// Which kind of host the configured URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKind {
    Production,
    Testbed,
    /// `http` or `https` on 127.0.0.0/8, `localhost` or `[::1]`: tests, benchmarks, local mocks.
    Loopback,
}

/// Why a configured URL was refused. Each message is one line that says what to do; none contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error(
        "the Events API URL is not a URL: copy it whole from {TOKEN_PAGE} \
         (it looks like https://{PRODUCTION_HOST}/events/<user>/<token>/)"
    )]
    NotAUrl,
    #[error(
        "the Events API URL must use https (plain http is only accepted on a loopback address such as \
         127.0.0.1): change http:// to https://"
    )]
    HttpOnPublicHost,
    #[error("the Events API URL must start with https:// (got a {0}: URL)")]
    WrongScheme(String),
    #[error(
        "the Events API URL's host must be {PRODUCTION_HOST} (or {TESTBED_HOST} with --testbed), not {0}: \
         copy the URL from {TOKEN_PAGE}"
    )]
    WrongHost(String),
    #[error("the Events API URL must not carry a port on {0}: remove the :port part")]
    PortNotAllowed(String),
    #[error("the Events API URL must not contain a user name or password before the host: remove the `...@` part")]
    UserInfo,
    #[error(
        "this is a production URL ({PRODUCTION_HOST}) but --testbed expects {TESTBED_HOST}: drop --testbed \
         or use the testbed token's URL"
    )]
    ProductionWithTestbedFlag,
    #[error(
        "this is a testbed URL ({TESTBED_HOST}): add --testbed to watch the testbed, or use the production \
         token's URL from {TOKEN_PAGE}"
    )]
    TestbedWithoutFlag,
    #[error(
        "the Events API URL's path must be /events/<user>/<token>/: copy the whole URL from {TOKEN_PAGE}"
    )]
    WrongPath,
    #[error("the Events API URL has no user name: it must end in /events/<user>/<token>/")]
    MissingUser,
    #[error(
        "the Events API URL has no token: it must end in /events/<user>/<token>/ — copy the whole URL from \
         {TOKEN_PAGE}"
    )]
    MissingToken,
    #[error(
        "the Events API URL has extra path after the token: use it exactly as /events/<user>/<token>/ with \
         nothing after the last slash"
    )]
    ExtraPath,
}

/// A URL that contains the token. `Debug` and `Display` show it masked; [`SecretUrl::expose`] is the only
/// way to the real text, for the HTTP client.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(Url);

impl SecretUrl {
    pub fn expose(&self) -> &Url {
        &self.0
    }

    /// The `timeout` query parameter (seconds) this URL asks the server to wait, or the server's default;
    /// at most [`MAX_TIMEOUT_S`].
    pub fn long_poll_timeout_s(&self) -> u64 {
        timeout_param(&self.0).unwrap_or(SERVER_DEFAULT_TIMEOUT_S)
    }

    /// The `i` (cursor) query parameter, if any.
    pub fn cursor(&self) -> Option<String> {
        self.0
            .query_pairs()
            .find(|(k, _)| k == "i")
            .map(|(_, v)| v.into_owned())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::mask::scrub(self.0.as_str()))
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({self})")
    }
}

/// Why a `nextUrl` was not followed. Reported as a notice; the next poll is rebuilt from the configured URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NextUrlRefused {
    #[error("nextUrl is not a URL")]
    NotAUrl,
    #[error("nextUrl points to another origin ({0}) than the configured URL")]
    ForeignOrigin(String),
    #[error("nextUrl carries a user name or password")]
    UserInfo,
    #[error("nextUrl is longer than {MAX_NEXT_URL_BYTES} bytes")]
    TooLong,
}

/// A URL's `timeout` parameter in whole seconds (rounded up), clamped to `0..=MAX_TIMEOUT_S`; `None` when it
/// is absent or not a number.
fn timeout_param(url: &Url) -> Option<u64> {
    url.query_pairs()
        .find(|(k, _)| k == "timeout")
        .and_then(|(_, v)| v.trim().parse::<f64>().ok())
        .filter(|t| !t.is_nan())
        .map(|t| t.clamp(0.0, MAX_TIMEOUT_S as f64).ceil() as u64)
}

/// The configured Events API URL, validated.
#[derive(Clone)]
pub struct EventsUrl {
    base: Url,
    user: String,
    token: String,
    host: HostKind,
}

impl fmt::Debug for EventsUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventsUrl")
            .field("url", &SecretUrl(self.base.clone()))
            .field("user", &self.user)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl EventsUrl {
    /// Validates a configured URL. `testbed` is the `--testbed` flag: it says which public host is expected
    /// (loopback URLs are accepted either way). The token is registered for masking as soon as it is found,
    /// before any other check can fail.
    pub fn parse(text: &str, testbed: bool) -> Result<EventsUrl, UrlError> {
        let url = Url::parse(text.trim()).map_err(|_| UrlError::NotAUrl)?;
        let (user, token) = path_credentials(&url);
        if let Some(t) = &token {
            crate::mask::register(t);
            // The raw (possibly percent-encoded) path segment too, exactly as it appears in the URL.
            if let Some(raw) = url.path_segments().and_then(|mut s| s.nth(2)) {
                crate::mask::register(raw);
            }
        }
        let host = check_origin(&url)?;
        match (host, testbed) {
            (HostKind::Production, true) => return Err(UrlError::ProductionWithTestbedFlag),
            (HostKind::Testbed, false) => return Err(UrlError::TestbedWithoutFlag),
            _ => {}
        }
        let segments: Vec<&str> = url.path_segments().map_or(Vec::new(), |s| s.collect());
        match segments.as_slice() {
            [] | [""] => return Err(UrlError::WrongPath),
            [first, ..] if *first != "events" => return Err(UrlError::WrongPath),
            ["events"] | ["events", ""] => return Err(UrlError::MissingUser),
            ["events", _] | ["events", _, ""] => return Err(UrlError::MissingToken),
            ["events", _, _] | ["events", _, _, ""] => {}
            _ => return Err(UrlError::ExtraPath),
        }
        let user = user.ok_or(UrlError::MissingUser)?;
        let token = token.ok_or(UrlError::MissingToken)?;
        let mut base = url;
        base.set_fragment(None);
        Ok(EventsUrl {
            base,
            user,
            token,
            host,
        })
    }

    /// The room: the user name in the path.
    pub fn room(&self) -> &str {
        &self.user
    }

    pub fn host_kind(&self) -> HostKind {
        self.host
    }

    /// The configured URL itself (masked in any output).
    pub fn configured(&self) -> SecretUrl {
        SecretUrl(self.base.clone())
    }

    /// True when `text` is exactly the token (for tests and for checks on captured output).
    pub fn token_is(&self, text: &str) -> bool {
        self.token == text
    }

    /// A poll URL built from the configured one: its own query kept, `i` set to `cursor` (when given), and
    /// `timeout` set to the configured URL's own (clamped to [`MAX_TIMEOUT_S`]) or else `default_timeout_s`.
    pub fn poll_url(&self, cursor: Option<&str>, default_timeout_s: u64) -> SecretUrl {
        self.build_poll_url(
            cursor.map_or(Cursor::Configured, Cursor::At),
            default_timeout_s,
        )
    }

    /// The configured URL without any `i`, its own included: where polling starts over after the server
    /// refused a position (a configured `i` it refuses would otherwise be requested for ever).
    pub fn poll_url_from_start(&self, default_timeout_s: u64) -> SecretUrl {
        self.build_poll_url(Cursor::None, default_timeout_s)
    }

    fn build_poll_url(&self, cursor: Cursor<'_>, default_timeout_s: u64) -> SecretUrl {
        let mut url = self.base.clone();
        let timeout = timeout_param(&self.base).unwrap_or(default_timeout_s.min(MAX_TIMEOUT_S));
        let mut pairs: Vec<(String, String)> = self
            .base
            .query_pairs()
            .filter(|(k, _)| k != "i" || cursor == Cursor::Configured)
            .map(|(k, v)| {
                let v = if k == "timeout" {
                    timeout.to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        if let Cursor::At(i) = cursor {
            pairs.push(("i".into(), i.to_string()));
        }
        if !pairs.iter().any(|(k, _)| k == "timeout") {
            pairs.push(("timeout".into(), timeout.to_string()));
        }
        url.set_query(None);
        url.query_pairs_mut().extend_pairs(pairs);
        SecretUrl(url)
    }

    /// Resolves a `nextUrl` (relative ones against the configured URL) and checks that it has the same
    /// scheme, host and port. A refused one must never be requested.
    pub fn resolve_next(&self, next: &str) -> Result<SecretUrl, NextUrlRefused> {
        if next.len() > MAX_NEXT_URL_BYTES {
            return Err(NextUrlRefused::TooLong);
        }
        let url = self
            .base
            .join(next.trim())
            .map_err(|_| NextUrlRefused::NotAUrl)?;
        let same = url.scheme() == self.base.scheme()
            && url.host_str().map(str::to_ascii_lowercase)
                == self.base.host_str().map(str::to_ascii_lowercase)
            && url.port_or_known_default() == self.base.port_or_known_default();
        if !same {
            return Err(NextUrlRefused::ForeignOrigin(origin_label(&url)));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(NextUrlRefused::UserInfo);
        }
        if url.as_str().len() > MAX_NEXT_URL_BYTES {
            return Err(NextUrlRefused::TooLong);
        }
        Ok(SecretUrl(url))
    }
}

/// Which `i` a poll URL carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cursor<'a> {
    /// The configured URL's own `i`, if it has one.
    Configured,
    At(&'a str),
    None,
}

/// `scheme://host[:port]` of a refused URL: enough to say where it pointed, never its path (the token).
fn origin_label(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{}://{h}:{p}", url.scheme()),
        (Some(h), None) => format!("{}://{h}", url.scheme()),
        _ => format!("{}:", url.scheme()),
    }
}

/// User and token from `/events/<user>/<token>/`, percent-decoded, when those segments are non-empty.
fn path_credentials(url: &Url) -> (Option<String>, Option<String>) {
    let mut segs = match url.path_segments() {
        Some(s) => s,
        None => return (None, None),
    };
    if segs.next() != Some("events") {
        return (None, None);
    }
    let decode = |s: &str| {
        let d = percent_decode(s);
        (!d.trim().is_empty()).then_some(d)
    };
    let user = segs.next().and_then(decode);
    let token = segs.next().and_then(decode);
    (user, token)
}

fn check_origin(url: &Url) -> Result<HostKind, UrlError> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::UserInfo);
    }
    let scheme = url.scheme();
    if scheme != "https" && scheme != "http" {
        return Err(UrlError::WrongScheme(scheme.to_string()));
    }
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    if is_loopback(url) {
        return Ok(HostKind::Loopback);
    }
    if scheme == "http" {
        return Err(UrlError::HttpOnPublicHost);
    }
    let kind = match host.as_str() {
        PRODUCTION_HOST => HostKind::Production,
        TESTBED_HOST => HostKind::Testbed,
        _ => return Err(UrlError::WrongHost(host)),
    };
    if url.port().is_some() {
        return Err(UrlError::PortNotAllowed(host));
    }
    Ok(kind)
}

fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("");
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
#[path = "url_tests.rs"]
mod tests;
