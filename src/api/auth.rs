//! The API key check: `Authorization: Bearer KEY` or `?key=KEY` (an OBS browser source cannot set headers),
//! compared in constant time. Anything else is a bare 401: no hint of what was wrong.

use super::Shared;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

pub(super) async fn require_key(State(s): State<Shared>, req: Request, next: Next) -> Response {
    if authorized(&s.key, req.headers(), req.uri().query()) {
        return next.run(req).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
    )
        .into_response()
}

/// Whether the request carries `key`, in the header or the query.
pub fn authorized(key: &str, headers: &HeaderMap, query: Option<&str>) -> bool {
    let from_header = (headers.get(header::AUTHORIZATION))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| same(key, given.trim()));
    // Every `key=` is tried: a URL with the key twice (an old one and a new one) still works.
    from_header
        || query.is_some_and(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .filter(|(name, _)| name == "key")
                .fold(false, |found, (_, given)| found | same(key, &given))
        })
}

fn same(key: &str, given: &str) -> bool {
    key.as_bytes().ct_eq(given.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    fn bearer(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn the_key_in_the_header_or_the_query_and_nothing_else() {
        let none = HeaderMap::new();
        assert!(authorized(KEY, &bearer(&format!("Bearer {KEY}")), None));
        assert!(authorized(KEY, &none, Some(&format!("room=a&key={KEY}"))));
        assert!(authorized(KEY, &none, Some(&format!("key=old&key={KEY}"))));
        assert!(!authorized(KEY, &none, None));
        assert!(!authorized(KEY, &none, Some("key=")));
        assert!(!authorized(
            KEY,
            &none,
            Some(&format!("key={}", &KEY[..31]))
        ));
        assert!(!authorized(KEY, &none, Some(&format!("xkey={KEY}"))));
        assert!(!authorized(KEY, &bearer(KEY), None), "the scheme is needed");
        assert!(!authorized(KEY, &bearer(&format!("Basic {KEY}")), None));
        assert!(!authorized(KEY, &bearer(&format!("Bearer {KEY}x")), None));
        assert!(!authorized(
            KEY,
            &bearer("Bearer wrong"),
            Some("key=also-wrong")
        ));
    }
}
