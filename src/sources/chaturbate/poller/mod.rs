//! The long-poll task: one reply at a time, one [`SourceMsg::Batch`] per reply, status changes as they happen.
//! Failures re-request the same URL (no cursor is lost); only a parsed reply advances. While a reply with
//! events is parsed, the next request may already be on its way ([`ahead`]).

mod ahead;

use super::parse::{parse_reply, NextUrl, ParsedReply, Raw};
use super::url::{EventsUrl, HostKind, SecretUrl, TOKEN_PAGE};
use crate::event::SourceKind;
use crate::sources::backoff::{parse_retry_after, Backoff};
use crate::sources::dedup::{Dedup, DEFAULT_CAPACITY};
use crate::sources::http::transport_error;
use crate::sources::rate_limit::TokenBucket;
use crate::sources::{
    Batch, ConnState, ConnStatus, ErrorClass, SourceError, SourceMsg, MAX_REPLY_BYTES,
};
use chrono::Utc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How the task polls. [`PollerConfig::new`] gives the production defaults; tests shorten the waits.
#[derive(Debug, Clone)]
pub struct PollerConfig {
    pub url: EventsUrl,
    /// The id of the last event processed in an earlier session: polling resumes after it (unless `fresh`).
    pub start_cursor: Option<String>,
    /// `--fresh`: ignore the saved cursor and discard the first reply (the server's backlog).
    pub fresh: bool,
    /// The `timeout` roomwatch asks the server for, unless the configured URL names its own.
    pub long_poll_timeout_s: u64,
    pub connect_timeout: Option<Duration>,
    /// Added to the fetched URL's own `timeout` to give the whole request's deadline. `None`: no deadline
    /// (only for tests on paused time, where a pending deadline would fire while real I/O is under way).
    pub read_margin: Option<Duration>,
    pub backoff: Backoff,
    /// Wait before the one confirmation retry after a 401/403.
    pub auth_confirm_delay: Duration,
    /// Requests allowed per `rate_period`, with bursts (token bucket).
    pub rate_requests: u32,
    pub rate_period: Duration,
    pub dedup_capacity: usize,
    /// Whether events keep their original JSON: only for a journal.
    pub raw: Raw,
    /// Seed of the backoff jitter (`None`: random).
    pub jitter_seed: Option<u64>,
}

impl PollerConfig {
    pub fn new(url: EventsUrl) -> Self {
        PollerConfig {
            url,
            start_cursor: None,
            fresh: false,
            long_poll_timeout_s: 30,
            connect_timeout: Some(Duration::from_secs(10)),
            read_margin: Some(Duration::from_secs(15)),
            backoff: Backoff::default(),
            auth_confirm_delay: Duration::from_secs(1),
            rate_requests: 2000,
            rate_period: Duration::from_secs(60),
            dedup_capacity: DEFAULT_CAPACITY,
            raw: Raw::Keep,
            jitter_seed: None,
        }
    }
}

/// Builds the HTTP client the task uses: rustls, gzip, no redirects (a redirect could carry the token
/// elsewhere), connect timeout, no proxy for loopback targets.
pub fn http_client(cfg: &PollerConfig) -> reqwest::Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .gzip(true)
        .user_agent(concat!("roomwatch/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(2);
    if let Some(t) = cfg.connect_timeout {
        b = b.connect_timeout(t);
    }
    if cfg.read_margin.is_none() {
        b = b.pool_idle_timeout(None);
    }
    if cfg.url.host_kind() == HostKind::Loopback {
        b = b.no_proxy();
    }
    b.build()
}

/// Spawns the task on the current runtime, under the source supervisor.
pub fn spawn(cfg: PollerConfig, tx: mpsc::Sender<SourceMsg>) -> tokio::task::JoinHandle<()> {
    crate::sources::supervisor::spawn(run(cfg, tx.clone()), tx)
}

/// Runs until the receiver is dropped, the credentials are refused or a fatal reply arrives. Cancel it by
/// aborting its task: an in-flight request is simply dropped.
pub async fn run(cfg: PollerConfig, tx: mpsc::Sender<SourceMsg>) {
    let client = match http_client(&cfg) {
        Ok(c) => c,
        Err(e) => {
            let text = format!("cannot start the HTTP client: {}", e.without_url());
            let _ = tx.send(SourceMsg::Fatal(SourceError::Fatal(text))).await;
            return;
        }
    };
    let mut poller = Poller::new(cfg, client, tx);
    let _ = poller.run().await;
}

/// The receiver is gone: nothing more to do.
struct Closed;

/// Why a GET produced no HTTP reply to act on.
enum Failure {
    /// Connect, timeout, reset, a body cut short or over [`MAX_REPLY_BYTES`]: retried with backoff.
    Transport(ErrorClass, String),
    /// The request could not be built from the URL.
    Unbuildable(String),
}

/// Reads a reply body within [`MAX_REPLY_BYTES`] (`sources::http::read_capped`).
async fn read_capped(resp: reqwest::Response) -> Result<Vec<u8>, Failure> {
    crate::sources::http::read_capped(resp, MAX_REPLY_BYTES)
        .await
        .map_err(|(class, text)| Failure::Transport(class, text))
}

/// One GET. `Err` for failures below HTTP (connect, timeout, reset, a body cut short or too large) and for
/// a request that could not be built.
async fn fetch(
    client: &reqwest::Client,
    read_margin: Option<Duration>,
    url: &SecretUrl,
) -> Result<Reply, Failure> {
    let mut req = client.get(url.expose().clone());
    if let Some(margin) = read_margin {
        // The timeout is clamped to the API's 90 s, so this cannot overflow.
        req = req.timeout(Duration::from_secs(url.long_poll_timeout_s()).saturating_add(margin));
    }
    let resp = req.send().await.map_err(|e| {
        if e.is_builder() {
            Failure::Unbuildable(transport_error(e, false).1)
        } else {
            let (class, text) = transport_error(e, false);
            Failure::Transport(class, text)
        }
    })?;
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = if status == 200 || status == 400 {
        Some(read_capped(resp).await?)
    } else {
        None
    };
    Ok(Reply {
        status,
        retry_after,
        body,
    })
}

/// An HTTP exchange that produced a status line.
struct Reply {
    status: u16,
    retry_after: Option<String>,
    /// Read for 200 and 400 only; other statuses are decided by their code.
    body: Option<Vec<u8>>,
}

struct Poller {
    cfg: PollerConfig,
    client: reqwest::Client,
    tx: mpsc::Sender<SourceMsg>,
    next: SecretUrl,
    last_id: Option<String>,
    dedup: Dedup,
    bucket: TokenBucket,
    rng: fastrand::Rng,
    status: ConnStatus,
    /// Consecutive failures: the backoff attempt number.
    failures: u32,
    /// Consecutive 401/403 replies.
    auth_failures: u32,
    /// `--fresh`: the next successful reply is the backlog, dropped.
    discard_next: bool,
    /// The first poll resumes a saved cursor; a refusal means the cursor is stale.
    resuming: bool,
    /// `next` is a `nextUrl` the server gave (not one rebuilt from the configured URL).
    next_is_given: bool,
    /// Consecutive replies without a new event that came back at once although the URL asked the server to
    /// wait: a broken or hostile server answering instantly. They are paced by the backoff schedule.
    quick_empty: u32,
    /// roomwatch's own poll URL asks the server to hold the request at least a second.
    asks_to_wait: bool,
    /// Consecutive replies whose `nextUrl` was refused or unusable: paced too.
    refused_next: u32,
    /// The server refused a position: the configured URL's own `i` is never asked for again.
    configured_cursor_refused: bool,
    /// The last reply brought new events: the next one may be fetched ahead.
    flowing: bool,
    /// The next request, sent while the last reply was parsed.
    ahead: Option<ahead::Ahead>,
}

/// An empty reply sooner than this, to a long poll that asked for at least a second, is "at once".
const QUICK_REPLY: Duration = Duration::from_millis(100);
/// A 400 "waited too long" continuation sooner than this did not wait at all.
const QUICK_CONTINUATION: Duration = Duration::from_secs(1);

impl Poller {
    fn new(cfg: PollerConfig, client: reqwest::Client, tx: mpsc::Sender<SourceMsg>) -> Self {
        let cursor = if cfg.fresh {
            None
        } else {
            cfg.start_cursor.clone()
        };
        let next = cfg.url.poll_url(cursor.as_deref(), cfg.long_poll_timeout_s);
        let asks_to_wait = next.long_poll_timeout_s() >= 1;
        let rng = match cfg.jitter_seed {
            Some(s) => fastrand::Rng::with_seed(s),
            None => fastrand::Rng::new(),
        };
        Poller {
            dedup: Dedup::new(cfg.dedup_capacity),
            bucket: TokenBucket::new(cfg.rate_requests, cfg.rate_period, Instant::now()),
            discard_next: cfg.fresh,
            resuming: cursor.is_some(),
            last_id: cursor,
            next,
            rng,
            status: ConnStatus::default(),
            failures: 0,
            auth_failures: 0,
            next_is_given: false,
            quick_empty: 0,
            asks_to_wait,
            refused_next: 0,
            configured_cursor_refused: false,
            flowing: false,
            ahead: None,
            cfg,
            client,
            tx,
        }
    }

    async fn send(&self, msg: SourceMsg) -> Result<(), Closed> {
        self.tx.send(msg).await.map_err(|_| Closed)
    }

    async fn set_state(&mut self, state: ConnState) -> Result<(), Closed> {
        self.status.state = state;
        self.status.since = Some(Utc::now());
        self.send(SourceMsg::Status(self.status.clone())).await
    }

    async fn notice(&self, text: String) -> Result<(), Closed> {
        let text = crate::mask::scrub(&text).into_owned();
        tracing::warn!("{text}");
        self.send(SourceMsg::Notice(text)).await
    }

    async fn run(&mut self) -> Result<(), Closed> {
        self.set_state(ConnState::Connecting).await?;
        loop {
            let (url, asked, reply) = match self.ahead.take().filter(|a| a.url == self.next) {
                Some(ahead) => (ahead.url.clone(), ahead.asked, ahead.reply().await),
                None => {
                    self.bucket.take().await;
                    self.status.requests += 1;
                    let url = self.next.clone();
                    let asked = Instant::now();
                    let reply = fetch(&self.client, self.cfg.read_margin, &url).await;
                    (url, asked, reply)
                }
            };
            match reply {
                Err(Failure::Unbuildable(detail)) => self.unbuildable(&detail).await?,
                Err(Failure::Transport(class, detail)) => self.retry(class, &detail, None).await?,
                Ok(reply) => {
                    // Judged against the wait roomwatch asks for, not the one in a server's nextUrl (a
                    // hostile `timeout=0` there must not switch the pacing off).
                    let took = asked.elapsed();
                    let quick = self.asks_to_wait
                        && (took < QUICK_REPLY
                            || (reply.status == 400 && took < QUICK_CONTINUATION));
                    if !self.handle(&url, reply, quick).await? {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// The HTTP client could not even build the request (e.g. a URL too long for a request line). Retrying
    /// the same URL would fail the same way for ever: a followed `nextUrl` is dropped for the configured URL
    /// with the last id, and a rebuilt URL for the configured URL alone.
    async fn unbuildable(&mut self, detail: &str) -> Result<(), Closed> {
        let (next, what) = if self.next_is_given {
            (self.rebuilt(), "nextUrl cannot be requested: not followed; polling continues from the configured URL")
        } else {
            self.last_id = None;
            self.configured_cursor_refused = true;
            (
                self.cfg
                    .url
                    .poll_url_from_start(self.cfg.long_poll_timeout_s),
                "the poll URL cannot be requested: starting over from the configured URL",
            )
        };
        self.notice(format!("{what} ({detail})")).await?;
        self.next = next;
        self.next_is_given = false;
        self.retry(ErrorClass::InvalidReply, detail, None).await
    }

    /// Sends the next request now if the reply in `body` is likely to be followed at once: the stream is
    /// flowing, nothing is being paced, its `nextUrl` (read from the end) is one the poller would follow, and
    /// the rate limit has a request to spare without waiting. Says whether it did.
    fn fetch_ahead(&mut self, body: &[u8]) -> bool {
        if !self.flowing || self.failures > 0 || self.refused_next > 0 || self.quick_empty > 0 {
            return false;
        }
        let Some(url) =
            ahead::next_url_at_end(body).and_then(|u| self.cfg.url.resolve_next(u).ok())
        else {
            return false;
        };
        if self.bucket.try_take(Instant::now()).is_err() {
            return false;
        }
        self.status.requests += 1;
        let client = self.client.clone();
        self.ahead = Some(ahead::Ahead::start(client, self.cfg.read_margin, url));
        true
    }

    /// Waits before the next request. A request fetched ahead is dropped: it was sent before the wait.
    async fn pause(&mut self, wait: Duration) {
        self.ahead = None;
        tokio::time::sleep(wait).await;
    }

    /// Acts on one HTTP reply. `Ok(false)`: the task must stop. `quick`: it came back at once although the
    /// URL asked the server to wait.
    async fn handle(&mut self, url: &SecretUrl, reply: Reply, quick: bool) -> Result<bool, Closed> {
        let received_at = Utc::now();
        let status = reply.status;
        // Never the URL: the request number is what ties a reply to its retry lines.
        tracing::debug!(
            request = self.status.requests,
            status,
            body_bytes = reply.body.as_ref().map_or(0, Vec::len),
            "Events API reply"
        );
        match status {
            200 | 400 => {
                let body = reply.body.unwrap_or_default();
                if status == 200 && self.fetch_ahead(&body) {
                    // A spawned task runs only when this one yields: a few yields let the early request and
                    // its connection's task write it out before the parse holds the thread. (Parsing on the
                    // blocking pool instead cost more CPU and gained less: docs/performance.md.)
                    for _ in 0..3 {
                        tokio::task::yield_now().await;
                    }
                }
                match parse_reply(&body, SourceKind::Chaturbate, received_at, self.cfg.raw) {
                    Ok(parsed) if status == 200 => self.deliver(parsed, received_at, quick).await?,
                    Ok(parsed) if self.valid_next(&parsed.next_url) => {
                        // The long-poll "waited too long" continuation (chaturbate.md §3.2).
                        self.deliver(parsed, received_at, quick).await?
                    }
                    Err(e) if status == 200 => {
                        self.retry(ErrorClass::InvalidReply, &e.to_string(), None)
                            .await?
                    }
                    _ => return self.bad_request(url).await,
                }
            }
            401 | 403 => {
                self.count_error(ErrorClass::Status(status));
                self.auth_failures += 1;
                tracing::warn!(
                    status,
                    refusals = self.auth_failures,
                    "the Events API refused the credentials"
                );
                if self.auth_failures >= 2 {
                    self.set_state(ConnState::CredentialsRefused).await?;
                    self.send(SourceMsg::Fatal(SourceError::CredentialsRefused { status }))
                        .await?;
                    return Ok(false);
                }
                // A lone 401/403 can be an edge hiccup: confirm once before giving up.
                self.status.retries += 1;
                let wait = self.cfg.auth_confirm_delay;
                self.set_state(ConnState::Retrying {
                    attempt: 1,
                    next_in: wait,
                    last: ErrorClass::Status(status),
                })
                .await?;
                self.pause(wait).await;
            }
            404 => {
                self.count_error(ErrorClass::Status(404));
                self.set_state(ConnState::Stopped).await?;
                let text = format!(
                    "the Events API answered 404 Not Found: check the user name in the URL, or copy the URL \
                     again from {TOKEN_PAGE}"
                );
                self.send(SourceMsg::Fatal(SourceError::Fatal(text)))
                    .await?;
                return Ok(false);
            }
            429 => {
                let wait = reply
                    .retry_after
                    .as_deref()
                    .and_then(|v| parse_retry_after(v, received_at));
                self.retry(ErrorClass::Status(429), "rate limited", wait)
                    .await?
            }
            300..=399 | 408 | 425 | 500..=599 => {
                self.retry(ErrorClass::Status(status), "server error", None)
                    .await?
            }
            _ => {
                self.count_error(ErrorClass::Status(status));
                self.set_state(ConnState::Stopped).await?;
                let text = format!(
                    "the Events API answered HTTP {status}, which retrying cannot fix: check the URL \
                     (copy it again from {TOKEN_PAGE})"
                );
                self.send(SourceMsg::Fatal(SourceError::Fatal(text)))
                    .await?;
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn valid_next(&self, next: &NextUrl) -> bool {
        matches!(next, NextUrl::Given(s) if self.cfg.url.resolve_next(s).is_ok())
    }

    /// A 400 without a usable `nextUrl`. With a cursor in the URL the position is what the server refused:
    /// say so and start over from the configured URL without any cursor (its own `i` included), after the
    /// backoff wait. Without one, nothing would change: fatal.
    async fn bad_request(&mut self, url: &SecretUrl) -> Result<bool, Closed> {
        if url.cursor().is_some() {
            let text = if self.resuming {
                "the server refused the saved position (HTTP 400): starting fresh from the server's recent \
                 events"
            } else {
                "the server refused the current position (HTTP 400): starting over from the configured URL"
            };
            self.notice(text.to_string()).await?;
            self.resuming = false;
            self.last_id = None;
            self.configured_cursor_refused = true;
            self.next = self
                .cfg
                .url
                .poll_url_from_start(self.cfg.long_poll_timeout_s);
            self.next_is_given = false;
            self.retry(ErrorClass::Status(400), "position refused", None)
                .await?;
            return Ok(true);
        }
        self.count_error(ErrorClass::Status(400));
        self.set_state(ConnState::Stopped).await?;
        let text = format!(
            "the Events API refused the request (HTTP 400): check the URL (copy it again from {TOKEN_PAGE})"
        );
        self.send(SourceMsg::Fatal(SourceError::Fatal(text)))
            .await?;
        Ok(false)
    }

    fn count_error(&mut self, class: ErrorClass) {
        *self.status.errors_by_class.entry(class.key()).or_default() += 1;
    }

    /// A retryable failure: count it, report it, wait. The wait is the backoff schedule's, or a longer
    /// `Retry-After`: a server asking for less (even 0) never makes the same failing request come faster.
    async fn retry(
        &mut self,
        class: ErrorClass,
        detail: &str,
        retry_after: Option<Duration>,
    ) -> Result<(), Closed> {
        self.count_error(class);
        self.status.retries += 1;
        self.failures = self.failures.saturating_add(1);
        let backoff = self.cfg.backoff.delay(self.failures, self.rng.f64());
        let wait = retry_after.map_or(backoff, |r| r.max(backoff));
        tracing::info!(
            attempt = self.failures,
            class = %class,
            wait_ms = wait.as_millis() as u64,
            "request failed: {}",
            crate::mask::scrub(detail)
        );
        self.set_state(ConnState::Retrying {
            attempt: self.failures,
            next_in: wait,
            last: class,
        })
        .await?;
        self.pause(wait).await;
        Ok(())
    }

    /// A parsed reply: de-duplicate, send the batch, pick the next URL.
    async fn deliver(
        &mut self,
        reply: ParsedReply,
        received_at: chrono::DateTime<Utc>,
        quick: bool,
    ) -> Result<(), Closed> {
        self.failures = 0;
        self.auth_failures = 0;
        self.resuming = false;
        if self.status.state != ConnState::Live {
            self.set_state(ConnState::Live).await?;
        } else {
            // Fresh counters with every reply (one small message next to the batch), so the status line and
            // the summary's request count are never behind; `since` stays the time the connection went live.
            self.send(SourceMsg::Status(self.status.clone())).await?;
        }
        let ParsedReply {
            mut events,
            next_url,
            skipped,
            uncounted_money,
        } = reply;
        for s in &skipped {
            tracing::warn!(index = s.index, reason = s.reason, "event skipped");
        }
        if uncounted_money > 0 {
            tracing::warn!(
                events = uncounted_money,
                "money events whose amount cannot be read: passed on as unknown, counted as skipped"
            );
        }
        let received = events.len();
        // In place: an event is moved only when an earlier one was dropped.
        events.retain(|ev| self.dedup.first_time(&ev.id));
        let mut kept = events;
        let duplicates = u32::try_from(received - kept.len()).unwrap_or(u32::MAX);
        if let Some(last) = kept.last() {
            self.last_id = Some(last.id.to_string());
        }
        self.flowing = !kept.is_empty();
        self.quick_empty = if quick && kept.is_empty() {
            self.quick_empty.saturating_add(1)
        } else {
            0
        };
        if self.discard_next {
            self.discard_next = false;
            if !kept.is_empty() {
                self.notice(format!(
                    "--fresh: skipped {} earlier event(s) from the server's backlog",
                    kept.len()
                ))
                .await?;
            }
            kept.clear();
        }
        self.next_is_given = matches!(&next_url, NextUrl::Given(_));
        let refused = match next_url {
            NextUrl::Given(s) => match self.cfg.url.resolve_next(&s) {
                Ok(u) => {
                    self.next = u;
                    None
                }
                Err(why) => Some(format!(
                    "{why}: not followed; polling continues from the configured URL"
                )),
            },
            NextUrl::Missing => {
                self.next = self.rebuilt();
                None
            }
            NextUrl::Invalid(why) => {
                Some(format!("{why}: polling continues from the configured URL"))
            }
        };
        match refused {
            None => self.refused_next = 0,
            Some(text) => {
                self.next_is_given = false;
                self.next = self.rebuilt();
                self.refused_next = self.refused_next.saturating_add(1);
                // Said once per run of refusals (a broken server would otherwise flood stderr), then counted.
                if self.refused_next == 1 {
                    self.notice(text).await?;
                } else {
                    tracing::warn!(refusals = self.refused_next, "{text}");
                }
            }
        }
        let batch = Batch {
            received_at,
            events: kept,
            skipped: u32::try_from(skipped.len())
                .unwrap_or(u32::MAX)
                .saturating_add(uncounted_money),
            duplicates_dropped: duplicates,
        };
        self.send(SourceMsg::Batch(batch)).await?;
        // A server answering at once with nothing new (from the second such reply), or giving nextUrls that
        // cannot be followed, is paced like a failing one: not as fast as its replies come.
        let misbehaving = self.quick_empty.saturating_sub(1).max(self.refused_next);
        if misbehaving > 0 {
            let wait = self.cfg.backoff.delay(misbehaving, self.rng.f64());
            tracing::info!(
                quick_empty = self.quick_empty,
                refused_next = self.refused_next,
                wait_ms = wait.as_millis() as u64,
                "the server's replies are not what a long poll gives: waiting before the next request"
            );
            self.pause(wait).await;
        }
        Ok(())
    }

    /// The configured URL with the last seen id, as after a null `nextUrl` (without any cursor once the
    /// server refused the configured one).
    fn rebuilt(&self) -> SecretUrl {
        match (&self.last_id, self.configured_cursor_refused) {
            (None, true) => self
                .cfg
                .url
                .poll_url_from_start(self.cfg.long_poll_timeout_s),
            (id, _) => self
                .cfg
                .url
                .poll_url(id.as_deref(), self.cfg.long_poll_timeout_s),
        }
    }
}
