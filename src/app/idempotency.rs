//! `MS-RequestId` bookkeeping for the API's idempotency layer: claim a request id, wait for a
//! concurrent duplicate, hand back a stored response (sealed: it may hold one-time secrets),
//! and store or release the outcome. The HTTP side is `api::idempotency`.
//!
//! A use case that is idempotent by itself (an order is unique per organisation and request
//! id) takes the claim inside its own transaction instead ([`Folded`], [`claim_into`]): the
//! claim commits with the effect or not at all, and no transaction is spent before or after.
//! Its retries are answered by running the use case again, which finds the first effect and
//! writes nothing.

use super::{identity, oauth, App};
use crate::app::store::batch::Batch;
use crate::app::store::idempotency::{self as repo, Answered, Claim};
use crate::domain::error::Code;
use crate::domain::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Content type of a claim taken inside its use case's transaction: the answer is the use
/// case run again, not stored bytes.
const RERUN: &str = "application/x-partnerhub-rerun";

/// How many 50 ms waits a duplicate makes for the first request before giving up (15 s).
const MAX_WAITS: u32 = 300;

/// One caller's request id, bound to what the caller may do now: a stored answer opens only
/// for the same scope, id and standing (tenant, roles, partner state).
pub struct Key {
    scope: String,
    request_id: String,
    aad: String,
}

impl Key {
    pub fn request_id(&self) -> &str {
        &self.request_id
    }
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
    /// The first request's claim was taken inside its use case: run the request again as a
    /// replay ([`Folded::replay`]); the use case answers its first effect.
    Rerun,
}

/// The key of a request with bearer `token` and request id `rid`; `None` when the caller is
/// not (or no longer) signed in, so nothing is stored or replayed for it.
/// `ask`: what the caller's statement reads besides (`app::seen`): the customer a write
/// request is about, read once for the check before it writes.
pub async fn key_for(
    app: &App,
    token: Option<&str>,
    rid: &str,
    ask: &crate::app::seen::Ask,
) -> Option<(Key, KnownCaller)> {
    let claims = oauth::verify(app, token?).ok()?;
    let (actor, upn) = match claims.kind.as_str() {
        "user" => {
            let (actor, upn) = identity::actor_for_user_seeing(app, claims.sub.parse().ok()?, ask)
                .await
                .ok()??;
            (actor, Some(upn))
        }
        "app" => (
            identity::actor_for_app(app, claims.sub.parse().ok()?)
                .await
                .ok()??,
            None,
        ),
        _ => return None,
    };
    let standing = format!("{}|{:?}|{:?}", actor.tenant, actor.roles, actor.partner);
    let scope = format!("{}:{}", claims.kind, claims.sub);
    let caller = KnownCaller {
        scope: scope.clone(),
        actor,
        upn,
    };
    Some((
        Key {
            aad: format!("{scope}\n{rid}\n{standing}"),
            scope,
            request_id: rid.to_string(),
        },
        caller,
    ))
}

/// The caller [`key_for`] rebuilt from the database for this request, kept in the request
/// so the API's caller extractor does not read it a second time. It lives as long as the
/// request: the next request rebuilds its caller again.
#[derive(Clone)]
pub struct KnownCaller {
    /// `kind:subject` of the token it was built for.
    pub scope: String,
    pub actor: crate::domain::authz::Actor,
    pub upn: Option<String>,
}

/// Claims the id, or says what the earlier request with it decides. Waits (briefly) while a
/// duplicate is still running; takes over a claim left stale by a crash.
pub async fn begin(app: &App, key: &Key, req: &Fingerprint) -> Result<Outcome> {
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
                Some(_) if content_type == RERUN => Outcome::Rerun,
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

/// A request whose use case takes its own claim: the key, what the request is, and whether
/// the claim was written (or whether this run is a replay that must write nothing).
pub struct Folded {
    key: Key,
    fingerprint: Fingerprint,
    replay: bool,
    written: AtomicBool,
}

tokio::task_local! {
    static FOLDED: Arc<Folded>;
}

impl Folded {
    pub fn new(key: Key, fingerprint: Fingerprint, replay: bool) -> Arc<Folded> {
        Arc::new(Folded {
            key,
            fingerprint,
            replay,
            written: AtomicBool::new(false),
        })
    }

    /// Runs `f` (the request's handler) with this claim available to its use case.
    pub async fn scope<F: std::future::Future>(self: &Arc<Self>, f: F) -> F::Output {
        FOLDED.scope(self.clone(), f).await
    }

    /// True when the use case wrote the claim with its effect.
    pub fn written(&self) -> bool {
        self.written.load(Ordering::Acquire)
    }

    pub fn key(&self) -> &Key {
        &self.key
    }

    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }
}

/// Whether the current request is a replay of a folded claim: its use case must find the
/// first request's effect and write nothing.
pub fn replaying() -> bool {
    FOLDED.try_with(|f| f.replay).unwrap_or(false)
}

/// Whether the API layer folded this request's id into its use case after finding the id
/// unused (a first run, not a replay).
pub fn found_unused() -> bool {
    FOLDED.try_with(|f| !f.replay).unwrap_or(false)
}

/// For the use case's transaction: adds the claim of the current request's id (when the API
/// layer folded it into this use case) as answered to `b`. Once `b` has run, call
/// [`Claimed::taken`]. If the id is taken already, by a concurrent twin or by another
/// request of the same caller, the batch fails with a unique violation: the use case then
/// looks for what holds the id (its twin's effect, else [`reused`]).
pub fn claim_into(app: &App, b: &mut Batch<'_>) -> Result<Option<Claimed>> {
    let Ok(folded) = FOLDED.try_with(Arc::clone) else {
        return Ok(None);
    };
    if folded.replay {
        return Err(Error::Internal(anyhow::anyhow!(
            "a replayed request tried to write"
        )));
    }
    let (k, f) = (&folded.key, &folded.fingerprint);
    let sealed = app.vault.seal(&k.aad, b"");
    repo::insert_answered(
        b,
        &Answered {
            scope: &k.scope,
            request_id: &k.request_id,
            method: &f.method,
            path: &f.path,
            body_hash: &f.body_hash,
            created_at: app.clock.now_ms(),
            status: 201,
            body: &sealed,
            content_type: RERUN,
        },
    );
    Ok(Some(Claimed(folded)))
}

/// A claim added to a batch by [`claim_into`].
pub struct Claimed(Arc<Folded>);

impl Claimed {
    /// The batch holding the claim ran: this request wrote its effect under the id.
    pub fn taken(self) {
        self.0.written.store(true, Ordering::Release);
    }
}

/// The answer when a folded request's id turns out to be held by another kind of request.
pub fn reused() -> Error {
    Error::Conflict {
        code: Code::RequestIdReused,
        message: "this MS-RequestId was already used for another request; use a new id".into(),
    }
}

/// What a look at a request id, without waiting or writing, finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// No request has used the id yet.
    Unused,
    /// The id was used for a different request.
    Reused,
    /// A folded claim for this very request: replay it with [`Outcome::Rerun`].
    Rerun,
    /// A folded claim whose caller's access changed since.
    AccessChanged,
    /// A claim of the classic kind (stored response or still running): see [`begin`].
    Classic,
}

/// Looks at the request id through the read pool, so a request id never used costs no write
/// and no wait for the writer.
pub async fn peek(app: &App, key: &Key, req: &Fingerprint) -> Result<Seen> {
    let Some(stored) = repo::peek(&app.db, &key.scope, &key.request_id).await? else {
        return Ok(Seen::Unused);
    };
    if stored.body_hash != req.body_hash || stored.path != req.path || stored.method != req.method {
        return Ok(Seen::Reused);
    }
    Ok(match stored.response {
        Some((_, sealed, ctype)) if ctype == RERUN => match app.vault.open(&key.aad, &sealed) {
            Some(_) => Seen::Rerun,
            None => Seen::AccessChanged,
        },
        _ => Seen::Classic,
    })
}
