//! Where roomwatch talks to Twitch: the EventSub socket, Helix and the OAuth host. The defaults are Twitch's; an
//! override (for tests and mocks) must be plain `ws`/`http` on a loopback address, so a token can never be sent
//! to a host the user did not mean (DESIGN.md "Twitch").

use reqwest::Url;

pub const EVENTSUB_VAR: &str = "ROOMWATCH_TWITCH_EVENTSUB_URL";
pub const API_VAR: &str = "ROOMWATCH_TWITCH_API_URL";
pub const AUTH_VAR: &str = "ROOMWATCH_TWITCH_AUTH_URL";

pub const EVENTSUB_DEFAULT: &str = "wss://eventsub.wss.twitch.tv/ws";
pub const API_DEFAULT: &str = "https://api.twitch.tv/helix";
pub const AUTH_DEFAULT: &str = "https://id.twitch.tv/oauth2";

/// The three base URLs, without a trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub eventsub: Url,
    pub api: String,
    pub auth: String,
}

impl Endpoints {
    /// Twitch's own endpoints.
    pub fn twitch() -> Self {
        Endpoints {
            eventsub: Url::parse(EVENTSUB_DEFAULT).expect("a valid default"),
            api: API_DEFAULT.into(),
            auth: AUTH_DEFAULT.into(),
        }
    }

    /// The defaults with the overrides of the environment (`lookup` is `std::env::var` outside tests). An
    /// override that is not loopback `ws`/`http` is a usage error naming the variable.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut e = Endpoints::twitch();
        if let Some(v) = lookup(EVENTSUB_VAR) {
            e.eventsub = loopback(EVENTSUB_VAR, &v, "ws")?;
        }
        if let Some(v) = lookup(API_VAR) {
            e.api = loopback(API_VAR, &v, "http")?
                .as_str()
                .trim_end_matches('/')
                .into();
        }
        if let Some(v) = lookup(AUTH_VAR) {
            e.auth = loopback(AUTH_VAR, &v, "http")?
                .as_str()
                .trim_end_matches('/')
                .into();
        }
        Ok(e)
    }

    /// Whether every endpoint is on this machine (then no proxy is used).
    pub fn all_loopback(&self) -> bool {
        is_loopback(&self.eventsub)
            && [&self.api, &self.auth]
                .iter()
                .all(|u| Url::parse(u).is_ok_and(|u| is_loopback(&u)))
    }

    /// A `reconnect_url` from a `session_reconnect` is followed only when it stays with Twitch: the base URL's
    /// scheme, and the base's host and port, or (for `wss`) a host under `twitch.tv`.
    pub fn reconnect_allowed(&self, url: &Url) -> bool {
        let base = &self.eventsub;
        if url.scheme() != base.scheme() || !url.username().is_empty() || url.password().is_some() {
            return false;
        }
        let same_host = url.host_str() == base.host_str()
            && url.port_or_known_default() == base.port_or_known_default();
        let twitch_host = url.scheme() == "wss"
            && url.port_or_known_default() == Some(443)
            && url
                .host_str()
                .is_some_and(|h| h == "twitch.tv" || h.ends_with(".twitch.tv"));
        same_host || twitch_host
    }
}

fn loopback(var: &str, value: &str, scheme: &str) -> Result<Url, String> {
    let bad = || {
        format!(
            "{var} may only point at a local test server ({scheme}:// on 127.0.0.1, localhost or [::1]); \
             unset it to use Twitch"
        )
    };
    let url = Url::parse(value.trim()).map_err(|_| bad())?;
    if url.scheme() != scheme || !is_loopback(&url) || !url.username().is_empty() {
        return Err(bad());
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn defaults_are_twitch_and_overrides_must_be_loopback() {
        assert_eq!(Endpoints::from_env(env(&[])).unwrap(), Endpoints::twitch());
        let e = Endpoints::from_env(env(&[
            (EVENTSUB_VAR, "ws://127.0.0.1:9000/ws"),
            (API_VAR, "http://localhost:9000/helix/"),
            (AUTH_VAR, "http://[::1]:9000/oauth2"),
        ]))
        .unwrap();
        assert_eq!(e.api, "http://localhost:9000/helix");
        assert!(e.all_loopback());
        assert!(!Endpoints::twitch().all_loopback());
        for (var, value) in [
            (EVENTSUB_VAR, "wss://eventsub.example.com/ws"),
            (EVENTSUB_VAR, "http://127.0.0.1:9000/ws"),
            (API_VAR, "https://127.0.0.1/helix"),
            (API_VAR, "http://10.0.0.1/helix"),
            (AUTH_VAR, "http://user@127.0.0.1/oauth2"),
            (AUTH_VAR, "not a url"),
        ] {
            let err = Endpoints::from_env(env(&[(var, value)])).unwrap_err();
            assert!(err.starts_with(var), "{err}");
        }
    }

    #[test]
    fn reconnect_urls_stay_with_twitch() {
        let twitch = Endpoints::twitch();
        let ok = |s: &str| twitch.reconnect_allowed(&Url::parse(s).unwrap());
        assert!(ok(
            "wss://cell-a.eventsub.wss.twitch.tv/ws?challenge=x&id=y"
        ));
        assert!(ok("wss://eventsub.wss.twitch.tv/ws"));
        assert!(!ok("wss://eviltwitch.tv/ws"));
        assert!(!ok("wss://twitch.tv.evil.example/ws"));
        assert!(!ok("ws://cell-a.eventsub.wss.twitch.tv/ws"));
        assert!(!ok("wss://cell-a.eventsub.wss.twitch.tv:8443/ws"));
        let mock = Endpoints::from_env(env(&[(EVENTSUB_VAR, "ws://127.0.0.1:9000/ws")])).unwrap();
        assert!(mock.reconnect_allowed(&Url::parse("ws://127.0.0.1:9000/ws?reconnect=1").unwrap()));
        assert!(!mock.reconnect_allowed(&Url::parse("ws://127.0.0.1:9001/ws").unwrap()));
    }
}
