//! Creating the session's subscriptions: all at once after a welcome, and again while live for those that
//! failed for a passing reason.

use super::*;

impl Session {
    /// Creates `which` on the active session, all at once (the welcome's window is short). A type Twitch
    /// forbids leaves the plan (said once); one that fails for a passing reason is retried while live, with
    /// backoff; a 401 refreshes the token once.
    pub(super) async fn subscribe(
        &mut self,
        mut which: Vec<&'static Wanted>,
    ) -> Result<Result<(), Loss>, Stop> {
        let mut refreshed = false;
        loop {
            let Some(live) = &self.active else {
                return Ok(Err(Loss {
                    class: ErrorClass::Network,
                    why: "the socket closed while subscribing".into(),
                }));
            };
            let session_id = live.session_id.clone();
            let access = self.token.access.clone();
            let bodies: Vec<_> = (which.iter())
                .map(|w| w.body(&self.broadcaster_id, &self.token.user_id, &session_id))
                .collect();
            let http = &self.cfg.http;
            let results = futures_util::future::join_all(
                (bodies.iter()).map(|body| http.create_subscription(&access, body)),
            )
            .await;
            self.status.requests += results.len() as u64;
            let (mut forbidden, mut unauthorized, mut failed) =
                (Vec::new(), Vec::new(), Vec::new());
            for (w, r) in which.iter().zip(results) {
                match r {
                    // 409: it exists on this session already (it moved with a requested reconnect).
                    Ok(Created::Enabled | Created::AlreadyThere) => {
                        if !self.enabled.contains(&w.kind) {
                            self.enabled.push(w.kind);
                        }
                    }
                    Err(e) if e.status() == Some(403) => forbidden.push(w.kind),
                    Err(e) if e.status() == Some(401) => unauthorized.push(*w),
                    Err(e) => failed.push((*w, e)),
                }
            }
            if !forbidden.is_empty() {
                self.wanted.retain(|w| !forbidden.contains(&w.kind));
                self.notice(format!(
                    "Twitch did not allow {} for this channel (the token must be the broadcaster's, or a \
                     moderator's for follows and moderation)",
                    forbidden.join(", ")
                ))
                .await?;
            }
            if !unauthorized.is_empty() {
                if refreshed {
                    return Err(Stop::Fatal(SourceError::CredentialsRefused { status: 401 }));
                }
                refreshed = true;
                if let Err(e) = self.refresh().await? {
                    return Ok(Err(Loss {
                        class: e.class(),
                        why: e.to_string(),
                    }));
                }
                which = unauthorized;
                which.extend(failed.into_iter().map(|(w, _)| w));
                continue;
            }
            let attempt = self.retry_subs.map_or(0, |(_, n)| n) + 1;
            if failed.is_empty() {
                self.retry_subs = None;
            } else {
                if attempt == 1 {
                    let what: Vec<String> = (failed.iter())
                        .map(|(w, e)| format!("{} ({e})", w.kind))
                        .collect();
                    self.notice(format!(
                        "could not create {}; trying again",
                        what.join(", ")
                    ))
                    .await?;
                }
                let wait = self.cfg.backoff.delay(attempt, fastrand::f64());
                self.retry_subs = Some((Instant::now() + wait, attempt));
            }
            self.to_retry = failed.into_iter().map(|(w, _)| w).collect();
            if self.enabled.is_empty() {
                if self.wanted.is_empty() {
                    // Every type forbidden: this token cannot watch this channel.
                    return Err(Stop::Fatal(SourceError::CredentialsRefused { status: 403 }));
                }
                // Nothing on: Twitch would close the socket (4003); connect again with backoff.
                return Ok(Err(Loss {
                    class: ErrorClass::Network,
                    why: "no subscription could be created".into(),
                }));
            }
            self.show_socket();
            return Ok(Ok(()));
        }
    }

    /// The socket's figures in the status.
    pub(super) fn show_socket(&mut self) {
        let keepalive = self.active.as_ref().map_or(0, |l| l.keepalive.as_secs());
        self.status.socket = Some(SocketInfo {
            keepalive_s: keepalive,
            subscriptions_enabled: self.enabled.len() as u32,
            subscriptions_total: self.planned,
        });
    }

    /// Creates again the subscriptions that failed for a passing reason.
    pub(super) async fn retry_subscriptions(&mut self) -> Result<Result<(), Loss>, Stop> {
        let which = std::mem::take(&mut self.to_retry);
        if let Err(loss) = self.subscribe(which).await? {
            return Ok(Err(loss));
        }
        self.send(SourceMsg::Status(self.status.clone())).await?;
        Ok(Ok(()))
    }
}
