//! `MS-RequestId` makes every POST idempotent: the first request with an id does the work
//! and its successful response is stored (encrypted: it may hold one-time secrets); a retry with the same id and body gets that
//! response back without the work being done again; the same id with another body is a 409.
//! Concurrent duplicates wait for the first to finish.

use super::error::error_response;
use crate::app::{identity, oauth, App};
use crate::domain::error::Code;
use crate::store::idempotency::{self, Claim};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

pub const REQUEST_ID_HEADER: &str = "ms-requestid";

/// The caller's scope (`user:<id>` or `app:<id>`) and a fingerprint of what it may do now
/// (tenant, roles, partner state). `None` when the caller is not (or no longer) signed in:
/// the handler then answers 401 without any stored response being replayed.
async fn caller_of(app: &App, auth: Option<String>) -> Option<(String, String)> {
    let token = super::extract::bearer(auth.as_deref()?)?;
    let claims = oauth::verify(app, token).ok()?;
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
    let fingerprint = format!("{}|{:?}|{:?}", actor.tenant, actor.roles, actor.partner);
    Some((format!("{}:{}", claims.kind, claims.sub), fingerprint))
}

pub async fn layer(State(app): State<App>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(rid) = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
    else {
        return next.run(req).await;
    };
    if rid.len() > 128 {
        return error_response(
            StatusCode::BAD_REQUEST,
            Code::InvalidInput,
            "MS-RequestId has at most 128 characters".into(),
            vec![],
        );
    }
    // Unauthenticated requests fail before doing anything; let the handler say so.
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let Some((scope, fingerprint)) = caller_of(&app, auth).await else {
        return next.run(req).await;
    };
    // The stored answer is bound to what the caller could do when it was made: a caller whose
    // roles or partner standing changed since gets no replay.
    let aad = format!("{scope}\n{rid}\n{fingerprint}");
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, app.config.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                Code::InvalidInput,
                format!(
                    "the body is larger than {} bytes",
                    app.config.max_body_bytes
                ),
                vec![],
            )
        }
    };
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let hash = crate::crypto::sha256_hex(&bytes);
    let method = parts.method.as_str().to_string();

    let mut waited = 0u32;
    loop {
        let now = app.clock.now_ms();
        let claim =
            match idempotency::claim(&app.db, &scope, &rid, &method, &path, &hash, now).await {
                Ok(c) => c,
                Err(e) => return super::error::ApiError(e.into()).into_response(),
            };
        match claim {
            Claim::Mine => break,
            Claim::Taken(stored) => {
                if stored.body_hash != hash || stored.path != path || stored.method != method {
                    return error_response(
                        StatusCode::CONFLICT,
                        Code::RequestIdReused,
                        "this MS-RequestId was already used for a different request; use a new id for a new request".into(),
                        vec![],
                    );
                }
                if let Some((status, sealed, ctype)) = stored.response {
                    // Responses are kept encrypted: they may hold one-time secrets.
                    let Some(body) = app.vault.open(&aad, &sealed) else {
                        return error_response(
                            StatusCode::FORBIDDEN,
                            Code::AuthorizationFailed,
                            "your access changed since this MS-RequestId was first used; \
                             send the request again with a new id"
                                .into(),
                            vec![],
                        );
                    };
                    metrics::counter!("partnerhub_idempotent_replays_total").increment(1);
                    return replay(status, body, &ctype, &rid);
                }
                if now - stored.created_at > app.config.idempotency_stale_secs.max(1) * 1000 {
                    let _ = idempotency::release(&app.db, &scope, &rid).await;
                    continue;
                }
                if waited >= 300 {
                    let mut r = error_response(
                        StatusCode::CONFLICT,
                        Code::RequestInProgress,
                        "a request with this MS-RequestId is still being processed; retry shortly"
                            .into(),
                        vec![],
                    );
                    r.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(1));
                    return r;
                }
                waited += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = resp.status();
    if status.is_success() {
        let (rparts, rbody) = resp.into_parts();
        let rbytes = to_bytes(rbody, usize::MAX).await.unwrap_or_default();
        let ctype = rparts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_string();
        let sealed = app.vault.seal(&aad, &rbytes);
        if let Err(e) =
            idempotency::complete(&app.db, &scope, &rid, status.as_u16(), &sealed, &ctype).await
        {
            tracing::error!(error = %e, "could not store the idempotent response");
        }
        Response::from_parts(rparts, Body::from(rbytes))
    } else {
        // Failures change nothing (use cases roll back whole), so a retry may run again.
        if let Err(e) = idempotency::release(&app.db, &scope, &rid).await {
            tracing::error!(error = %e, "could not release the request id");
        }
        resp
    }
}

fn replay(status: u16, body: Vec<u8>, ctype: &str, rid: &str) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if let Ok(v) = HeaderValue::from_str(ctype) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r.headers_mut()
        .insert("ms-idempotent-replay", HeaderValue::from_static("true"));
    if let Ok(v) = HeaderValue::from_str(rid) {
        r.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    r
}
