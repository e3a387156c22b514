//! What the sockets deliver: notifications into events (de-duplicated across sockets), and the session's own
//! messages — welcome, keepalive, reconnect, revocation — and closes.

use super::*;

impl Session {
    /// A notification that a lost socket delivered before it went: sent on its own (de-duplicated); anything
    /// else from that socket (its keepalive, a reconnect request) no longer matters.
    pub(super) async fn late_notification(&mut self, text: String) -> Result<(), Stop> {
        let Ok(raw) = RawValue::from_string(text) else {
            return Ok(());
        };
        let now = Utc::now();
        if let Ok(ev) = crate::sources::twitch::parse_frame(&raw, SourceKind::Twitch, now) {
            if self.dedup.first_time(&ev.id) {
                let batch = Batch {
                    received_at: now,
                    events: vec![ev],
                    skipped: 0,
                    duplicates_dropped: 0,
                };
                self.send(SourceMsg::Batch(batch)).await?;
            }
        }
        Ok(())
    }

    /// One socket event; `Some(loss)` when the session's socket is gone.
    pub(super) async fn handle(
        &mut self,
        ev: SocketEvent,
        batch: &mut Batch,
    ) -> Result<Option<Loss>, Stop> {
        let active_id = self.active.as_ref().map(|l| l.socket.id);
        let incoming_id = self.incoming.as_ref().map(|(s, _)| s.id);
        match ev {
            SocketEvent::Text(id, text) => {
                if Some(id) == active_id {
                    if let Some(l) = self.active.as_mut() {
                        l.last_frame = Instant::now();
                    }
                }
                // Frames of a socket already replaced are read too: they arrived, and the de-dup drops what
                // the new socket repeats.
                self.frame(id, text, batch).await
            }
            SocketEvent::Closed(id, code, why) => {
                if Some(id) == incoming_id {
                    self.incoming = None;
                    if self.active_closed.is_some() {
                        return Ok(Some(close_loss(code, &why)));
                    }
                    self.notice(format!(
                        "the reconnect socket closed before its welcome ({why})"
                    ))
                    .await?;
                    return Ok(None);
                }
                if Some(id) != active_id {
                    return Ok(None);
                }
                if self.incoming.is_some() {
                    // Twitch closes the old socket once the reconnect window is over; the new one takes over
                    // on its welcome — or the session is lost if it fails too.
                    self.active_closed = Some(Instant::now());
                    return Ok(None);
                }
                Ok(Some(close_loss(code, &why)))
            }
            SocketEvent::Failed(id, why) => {
                if Some(id) != incoming_id {
                    return Ok(None);
                }
                self.incoming = None;
                if self.active_closed.is_some() {
                    return Ok(Some(Loss {
                        class: ErrorClass::Connect,
                        why: format!("cannot open the reconnect URL Twitch gave ({why})"),
                    }));
                }
                self.notice(format!("cannot open the reconnect URL Twitch gave ({why})"))
                    .await?;
                Ok(None)
            }
        }
    }

    pub(super) async fn frame(
        &mut self,
        id: SocketId,
        text: String,
        batch: &mut Batch,
    ) -> Result<Option<Loss>, Stop> {
        let Ok(raw) = RawValue::from_string(text) else {
            batch.skipped += 1;
            tracing::warn!("twitch: a frame that is not JSON");
            return Ok(None);
        };
        // Notifications are nearly every frame: parsed once, straight into the event.
        match crate::sources::twitch::parse_frame(&raw, SourceKind::Twitch, batch.received_at) {
            Ok(ev) if self.dedup.first_time(&ev.id) => batch.events.push(ev),
            Ok(_) => batch.duplicates_dropped += 1,
            Err(crate::sources::twitch::parse::NOT_A_NOTIFICATION) => {
                return self.session_message(id, &raw, batch).await
            }
            Err(why) => {
                batch.skipped += 1;
                tracing::warn!(why, "twitch: notification skipped");
            }
        }
        Ok(None)
    }

    /// A welcome, keepalive, reconnect or revocation.
    pub(super) async fn session_message(
        &mut self,
        id: SocketId,
        raw: &RawValue,
        batch: &mut Batch,
    ) -> Result<Option<Loss>, Stop> {
        let Ok(env) = serde_json::from_str::<Envelope>(raw.get()) else {
            batch.skipped += 1;
            return Ok(None);
        };
        let kind = (env.metadata.message_type.as_deref())
            .unwrap_or("")
            .to_string();
        let payload: SessionPayload = (env.payload)
            .and_then(|p| serde_json::from_str(p.get()).ok())
            .unwrap_or_default();
        match kind.as_str() {
            "session_keepalive" => {}
            "session_welcome" => {
                let incoming = self.incoming.as_ref().map(|(s, _)| s.id);
                let session_id = payload.session.id.clone().filter(|s| !s.is_empty());
                if let (true, Some(session_id)) = (Some(id) == incoming, session_id) {
                    let (socket, _) = self.incoming.take().expect("checked");
                    let info = payload.session;
                    let now = Instant::now();
                    let keepalive = keepalive_of(info.keepalive_timeout_seconds);
                    // Dropping the old socket closes it: only now, after the new welcome (twitch.md §2.6).
                    let old = self.active.replace(Live {
                        socket,
                        session_id,
                        keepalive,
                        last_frame: now,
                    });
                    drop(old);
                    self.active_closed = None;
                    if let Some(s) = self.status.socket.as_mut() {
                        s.keepalive_s = keepalive.as_secs();
                    }
                    tracing::info!("twitch: moved to the reconnect socket");
                    self.set_state(ConnState::Live).await?;
                }
            }
            "session_reconnect" => {
                let target = (payload.session.reconnect_url.as_deref())
                    .and_then(|u| url::Url::parse(u).ok())
                    .filter(|u| self.cfg.http.endpoints.reconnect_allowed(u));
                match target {
                    Some(url) if self.incoming.is_none() => {
                        tracing::info!("twitch: reconnect requested");
                        let socket = self.open(url);
                        self.incoming = Some((socket, Instant::now()));
                    }
                    Some(_) => {}
                    None => {
                        self.notice(
                            "Twitch asked to reconnect to a URL that is not Twitch's; ignored"
                                .into(),
                        )
                        .await?;
                    }
                }
            }
            "revocation" => {
                if let Some(mid) = env.metadata.message_id.as_deref() {
                    if !self.dedup.first_time(mid) {
                        batch.duplicates_dropped += 1;
                        return Ok(None);
                    }
                }
                // What arrived before it reaches the room first.
                let before = Batch {
                    received_at: batch.received_at,
                    events: std::mem::take(&mut batch.events),
                    skipped: std::mem::take(&mut batch.skipped),
                    duplicates_dropped: std::mem::take(&mut batch.duplicates_dropped),
                };
                self.flush(before).await?;
                let sub = payload.subscription.unwrap_or_default();
                let field = |k: &str| {
                    sub.get(k)
                        .and_then(|v| v.as_str())
                        .unwrap_or("?")
                        .to_string()
                };
                let (sub_type, status) = (field("type"), field("status"));
                // Not on any more, and not asked for again on a later connection.
                self.enabled.retain(|k| *k != sub_type);
                self.wanted.retain(|w| w.kind != sub_type);
                self.to_retry.retain(|w| w.kind != sub_type);
                self.show_socket();
                self.send(SourceMsg::Status(self.status.clone())).await?;
                self.notice(format!(
                    "Twitch revoked the subscription {} ({})",
                    crate::sanitize::clean(&sub_type),
                    crate::sanitize::clean(&status)
                ))
                .await?;
                if status == "authorization_revoked" {
                    return Err(Stop::Fatal(SourceError::CredentialsRefused { status: 401 }));
                }
            }
            _ => {
                batch.skipped += 1;
                tracing::warn!(kind = %crate::sanitize::clean(&kind), "twitch: unknown message type");
            }
        }
        Ok(None)
    }
}

pub(super) fn keepalive_of(secs: Option<u64>) -> Duration {
    Duration::from_secs(secs.unwrap_or(10).clamp(1, 600))
}

/// The session id and keepalive of a `session_welcome` frame.
pub(super) fn welcome_of(text: &str) -> Option<(String, Duration)> {
    let env: Envelope = serde_json::from_str(text).ok()?;
    if env.metadata.message_type.as_deref() != Some("session_welcome") {
        return None;
    }
    let payload: SessionPayload = serde_json::from_str(env.payload?.get()).ok()?;
    let id = payload.session.id.filter(|id| !id.is_empty())?;
    Some((id, keepalive_of(payload.session.keepalive_timeout_seconds)))
}

/// What a close code means (twitch.md §2.8). Every one leads to a fresh connection with backoff.
pub(super) fn close_loss(code: Option<u16>, why: &str) -> Loss {
    let meaning = match code {
        Some(4000) => "Twitch had an internal error",
        Some(4001) => "Twitch says roomwatch sent a message (a bug: please report it)",
        Some(4002) => "Twitch says a ping was not answered",
        Some(4003) => "no subscription was created in time",
        Some(4004) => "the reconnect window expired",
        Some(4005) => "network timeout",
        Some(4006) => "network error",
        Some(4007) => "the reconnect URL was invalid",
        _ => "the connection closed",
    };
    let code_text = code.map(|c| format!("close {c}: ")).unwrap_or_default();
    Loss {
        class: ErrorClass::Network,
        why: format!("{code_text}{meaning} ({why})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn every_close_code_is_a_loss_that_says_what_it_means() {
        let meanings = [
            (4000, "internal error"),
            (4001, "a bug"),
            (4002, "ping"),
            (4003, "no subscription"),
            (4004, "reconnect window"),
            (4005, "network timeout"),
            (4006, "network error"),
            (4007, "reconnect URL"),
        ];
        for (code, says) in meanings {
            let loss = close_loss(Some(code), "reason");
            assert!(
                loss.why.starts_with(&format!("close {code}: ")),
                "{}",
                loss.why
            );
            assert!(loss.why.contains(says), "{code}: {}", loss.why);
        }
        assert!(close_loss(None, "reset").why.contains("closed"));
    }

    #[test]
    pub(super) fn welcomes_are_read_tolerantly_and_keepalives_bounded() {
        let w = |ka: &str| {
            format!(
                r#"{{"metadata":{{"message_id":"a","message_type":"session_welcome"}},
                    "payload":{{"session":{{"id":"s1","keepalive_timeout_seconds":{ka}}}}}}}"#
            )
        };
        assert_eq!(
            welcome_of(&w("30")),
            Some(("s1".into(), Duration::from_secs(30)))
        );
        assert_eq!(welcome_of(&w("0")).unwrap().1, Duration::from_secs(1));
        assert_eq!(welcome_of(&w("99999")).unwrap().1, Duration::from_secs(600));
        assert_eq!(welcome_of(&w("null")).unwrap().1, Duration::from_secs(10));
        assert_eq!(
            welcome_of(r#"{"metadata":{"message_type":"session_keepalive"}}"#),
            None
        );
        assert_eq!(
            welcome_of(
                r#"{"metadata":{"message_type":"session_welcome"},"payload":{"session":{"id":""}}}"#
            ),
            None
        );
    }
}
