//! `GET /overlay/{goal|latest|top|feed}`: self-contained pages for OBS browser sources (no CDN, no build step),
//! embedded in the binary. Each follows one room (`?room=`, else the first) over the events stream and the
//! JSON endpoints, with the key from its own URL. The pages put every user string in with `textContent`, and the
//! Content-Security-Policy lets them load nothing but this server.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::OnceLock;

const COMMON: &str = include_str!("../../assets/overlay/common.js");
const STYLE: &str = include_str!("../../assets/overlay/style.css");

/// The widgets, by the name in the URL.
pub const WIDGETS: [(&str, &str); 4] = [
    ("goal", include_str!("../../assets/overlay/goal.html")),
    ("latest", include_str!("../../assets/overlay/latest.html")),
    ("top", include_str!("../../assets/overlay/top.html")),
    ("feed", include_str!("../../assets/overlay/feed.html")),
];

/// Inline scripts and styles of this page only; requests only to this server; no frames, no forms.
const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                   connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

fn pages() -> &'static [(&'static str, String)] {
    static PAGES: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    PAGES.get_or_init(|| {
        (WIDGETS.iter())
            .map(|(name, html)| {
                let page = html
                    .replace("/*STYLE*/", STYLE)
                    .replace("/*COMMON*/", COMMON);
                (*name, page)
            })
            .collect()
    })
}

pub(super) async fn page(Path(widget): Path<String>) -> Response {
    let Some((_, html)) = pages().iter().find(|(name, _)| *name == widget) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html.clone(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_is_whole_and_writes_user_text_only_as_text() {
        for (name, page) in pages() {
            assert!(
                !page.contains("/*STYLE*/") && !page.contains("/*COMMON*/"),
                "{name}"
            );
            assert!(page.contains("function listen("), "{name}");
            assert!(
                !page.contains("innerHTML") && !page.contains("insertAdjacentHTML"),
                "{name}"
            );
            assert!(!page.contains("document.write"), "{name}");
            assert!(
                !page.contains("http://") && !page.contains("https://"),
                "{name}: nothing from elsewhere"
            );
        }
    }
}
