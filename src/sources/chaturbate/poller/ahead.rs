//! Fetching ahead: while a reply with events is parsed, the next one is already on its way, so the server's
//! time and the parse overlap instead of adding up. Only the request the poller would make next anyway is
//! made early, and only when it would follow at once; anything else drops it (decisions.md, "Ingest speed,
//! third steps").

use super::{fetch, Failure, Reply};
use crate::sources::chaturbate::url::SecretUrl;
use crate::sources::supervisor::AbortOnDrop;
use crate::sources::ErrorClass;
use std::time::Duration;
use tokio::time::Instant;

/// A request sent early. Dropping it abandons it.
pub(super) struct Ahead {
    pub url: SecretUrl,
    pub asked: Instant,
    task: AbortOnDrop<Result<Reply, Failure>>,
}

impl Ahead {
    pub fn start(client: reqwest::Client, read_margin: Option<Duration>, url: SecretUrl) -> Self {
        let asked = Instant::now();
        let request = url.clone();
        let task = AbortOnDrop(tokio::spawn(async move {
            fetch(&client, read_margin, &request).await
        }));
        Ahead { url, asked, task }
    }

    /// Its reply, as the poller's own request would have given it.
    pub async fn reply(mut self) -> Result<Reply, Failure> {
        match (&mut self.task.0).await {
            Ok(reply) => reply,
            // Only a panic in the HTTP client can end the task otherwise: a failed request, retried.
            Err(e) => Err(Failure::Transport(
                ErrorClass::Network,
                format!("the request task failed: {e}"),
            )),
        }
    }
}

/// The `nextUrl` of a reply that ends as the Events API's replies do (`…,"nextUrl":"https://…"}`), found
/// from the end without reading the events. Only a guess, to be checked against the full parse: nothing in
/// an event can make it wrong without the parse disagreeing, and then the early request is dropped.
pub(super) fn next_url_at_end(body: &[u8]) -> Option<&str> {
    let rest = body.trim_ascii_end().strip_suffix(b"}")?.trim_ascii_end();
    let rest = rest.strip_suffix(b"\"")?;
    let open = rest.iter().rposition(|&b| b == b'"')?;
    let value = &rest[open + 1..];
    if value.iter().any(|&b| b == b'\\' || b < 0x20) {
        return None;
    }
    let key = rest[..open]
        .trim_ascii_end()
        .strip_suffix(b":")?
        .trim_ascii_end();
    let before = key.strip_suffix(b"\"nextUrl\"")?.trim_ascii_end();
    if !matches!(before.last(), Some(b',' | b'{')) {
        return None;
    }
    std::str::from_utf8(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_url_is_read_from_the_usual_end_only() {
        let url = "https://eventsapi.chaturbate.com/events/r/t/?i=1-0&timeout=10";
        for body in [
            format!(r#"{{"events":[{{"id":"1-0"}}],"nextUrl":"{url}"}}"#),
            format!("{{\"events\": [],\n  \"nextUrl\" : \"{url}\"\n}}\n"),
            format!(r#"{{"nextUrl":"{url}"}}"#),
        ] {
            assert_eq!(next_url_at_end(body.as_bytes()), Some(url), "{body}");
        }
        for body in [
            r#"{"events":[],"nextUrl":null}"#.to_string(),
            format!(r#"{{"events":[],"x":{{"nextUrl":"{url}"}}}}"#),
            format!(r#"{{"events":[],"nextUrl":"{url}\/x"}}"#),
            format!(r#"{{"events":[],"s":"a\",\"nextUrl\":\"{url}"}}"#),
            format!(r#"{{"events":[],"nextUrl":"{url}"}} trailing"#),
            format!(r#"["nextUrl":"{url}"}}"#),
            String::new(),
        ] {
            assert_eq!(next_url_at_end(body.as_bytes()), None, "{body}");
        }
    }
}
