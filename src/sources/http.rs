//! What every HTTP source shares: bounded body reads and failure classes whose text never carries a URL or a
//! token.

use super::ErrorClass;

/// Reads a reply body, decompressed, stopping as soon as it grows past `max` bytes: a gzip bomb or an endless
/// chunked body costs at most that much memory. A larger body is an invalid reply.
pub async fn read_capped(
    mut resp: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, (ErrorClass, String)> {
    let hint = resp.content_length().unwrap_or(0).min(max as u64) as usize;
    let mut body = Vec::with_capacity(hint);
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(e, true))? {
        if body.len() + chunk.len() > max {
            return Err((
                ErrorClass::InvalidReply,
                format!("the reply is larger than {} KiB: not read", max / 1024),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Classifies a reqwest failure; the text never carries the URL, and registered secrets are masked.
pub fn transport_error(e: reqwest::Error, reading_body: bool) -> (ErrorClass, String) {
    let class = if e.is_timeout() {
        ErrorClass::Timeout
    } else if e.is_connect() {
        ErrorClass::Connect
    } else if reading_body || e.is_body() || e.is_decode() {
        ErrorClass::InvalidReply
    } else {
        ErrorClass::Network
    };
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    (class, crate::mask::scrub(&text).into_owned())
}
