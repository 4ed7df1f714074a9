//! `MS-RequestId` bookkeeping for the API's idempotency layer: claim a request id, wait for a
//! concurrent duplicate, hand back a stored response (sealed: it may hold one-time secrets),
//! and store or release the outcome. The HTTP side is `api::idempotency`.

use super::{identity, oauth, App};
use crate::app::store::idempotency::{self as repo, Claim};
use std::time::Duration;

/// How many 50 ms waits a duplicate makes for the first request before giving up (15 s).
const MAX_WAITS: u32 = 300;

/// One caller's request id, bound to what the caller may do now: a stored answer opens only
/// for the same scope, id and standing (tenant, roles, partner state).
pub struct Key {
    scope: String,
    request_id: String,
    aad: String,
}

/// What the request is, so a reused id with another request is told apart.
pub struct Fingerprint {
    pub method: String,
    pub path: String,
    pub body_hash: String,
}

/// What to do with a request carrying a request id.
pub enum Outcome {
    /// This request owns the id: run it, then [`finish`] or [`abandon`].
    Proceed,
    /// The first request's stored response.
    Replay {
        status: u16,
        body: Vec<u8>,
        content_type: String,
    },
    /// The id was used for a different request.
    Reused,
    /// The caller's access changed since the stored response was made.
    AccessChanged,
    /// The first request is still running after the wait.
    StillRunning,
}

/// The key of a request with bearer `token` and request id `rid`; `None` when the caller is
/// not (or no longer) signed in, so nothing is stored or replayed for it.
pub async fn key_for(app: &App, token: Option<&str>, rid: &str) -> Option<Key> {
    let claims = oauth::verify(app, token?).ok()?;
    let actor = match claims.kind.as_str() {
        "user" => {
            identity::actor_for_user(app, claims.sub.parse().ok()?)
                .await
                .ok()??
                .0
        }
        "app" => identity::actor_for_app(app, claims.sub.parse().ok()?)
            .await
            .ok()??,
        _ => return None,
    };
    let standing = format!("{}|{:?}|{:?}", actor.tenant, actor.roles, actor.partner);
    let scope = format!("{}:{}", claims.kind, claims.sub);
    Some(Key {
        aad: format!("{scope}\n{rid}\n{standing}"),
        scope,
        request_id: rid.to_string(),
    })
}

/// Claims the id, or says what the earlier request with it decides. Waits (briefly) while a
/// duplicate is still running; takes over a claim left stale by a crash.
pub async fn begin(app: &App, key: &Key, req: &Fingerprint) -> crate::domain::Result<Outcome> {
    let mut waited = 0u32;
    loop {
        let now = app.clock.now_ms();
        let claim = repo::claim(
            &app.db,
            &key.scope,
            &key.request_id,
            &req.method,
            &req.path,
            &req.body_hash,
            now,
        )
        .await?;
        let stored = match claim {
            Claim::Mine => return Ok(Outcome::Proceed),
            Claim::Taken(stored) => stored,
        };
        if stored.body_hash != req.body_hash
            || stored.path != req.path
            || stored.method != req.method
        {
            return Ok(Outcome::Reused);
        }
        if let Some((status, sealed, content_type)) = stored.response {
            return Ok(match app.vault.open(&key.aad, &sealed) {
                Some(body) => Outcome::Replay {
                    status,
                    body,
                    content_type,
                },
                None => Outcome::AccessChanged,
            });
        }
        if now - stored.created_at > app.config.idempotency_stale_secs.max(1) * 1000 {
            let _ = repo::release(&app.db, &key.scope, &key.request_id).await;
            continue;
        }
        if waited >= MAX_WAITS {
            return Ok(Outcome::StillRunning);
        }
        waited += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Stores a successful response (sealed) for replays.
pub async fn finish(app: &App, key: &Key, status: u16, body: &[u8], content_type: &str) {
    let sealed = app.vault.seal(&key.aad, body);
    if let Err(e) = repo::complete(
        &app.db,
        &key.scope,
        &key.request_id,
        status,
        &sealed,
        content_type,
    )
    .await
    {
        tracing::error!(error = %e, "could not store the idempotent response");
    }
}

/// Frees the id after a failure: use cases roll back whole, so a retry may run again.
pub async fn abandon(app: &App, key: &Key) {
    if let Err(e) = repo::release(&app.db, &key.scope, &key.request_id).await {
        tracing::error!(error = %e, "could not release the request id");
    }
}
