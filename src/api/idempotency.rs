//! `MS-RequestId` makes every POST idempotent: the first request with an id does the work
//! and its successful response is stored (encrypted: it may hold one-time secrets); a retry with the same id and body gets that
//! response back without the work being done again; the same id with another body is a 409.
//! Concurrent duplicates wait for the first to finish.

use super::error::error_response;
use crate::app::idempotency::{self as uc, Folded, Outcome, Seen};
use crate::app::App;
use crate::domain::error::Code;
use axum::body::{to_bytes, Body};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const REQUEST_ID_HEADER: &str = "ms-requestid";

/// The request id of a POST, when it has one.
fn request_id(req: &Request) -> Option<String> {
    if req.method() != Method::POST {
        return None;
    }
    req.headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub async fn layer(State(app): State<App>, req: Request, next: Next) -> Response {
    let Some(rid) = request_id(&req) else {
        return next.run(req).await;
    };
    if rid.len() > 128 {
        return refusal(
            StatusCode::BAD_REQUEST,
            Code::InvalidInput,
            "MS-RequestId has at most 128 characters",
        );
    }
    // Unauthenticated requests fail before doing anything; let the handler say so.
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let token = auth.and_then(super::extract::bearer).map(str::to_string);
    let (mut parts, body) = req.into_parts();
    // A folded request (an order) runs at once after its claim is peeked: its customer is
    // read with its caller here, for the check before it writes, as the caller extractor
    // would read it. Other requests may wait for a twin first and read theirs afterwards.
    let folds = folds_its_claim(&parts);
    let ask = if folds {
        super::extract::write_ask(&parts)
    } else {
        crate::app::seen::Ask::Nothing
    };
    let Some((key, caller)) = uc::key_for(&app, token.as_deref(), &rid, &ask).await else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    // The caller was just rebuilt for the key: the handler's extractor takes it from here.
    parts.extensions.insert(caller);
    let Ok(bytes) = to_bytes(body, app.config.max_body_bytes).await else {
        let msg = format!(
            "the body is larger than {} bytes",
            app.config.max_body_bytes
        );
        return refusal(StatusCode::PAYLOAD_TOO_LARGE, Code::InvalidInput, &msg);
    };
    let fingerprint = uc::Fingerprint {
        method: parts.method.as_str().to_string(),
        path: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        body_hash: crate::crypto::sha256_hex(&bytes),
    };
    if folds {
        match uc::peek(&app, &key, &fingerprint).await {
            Ok(Seen::Unused) => {
                let req = Request::from_parts(parts, Body::from(bytes));
                return folded(&app, Folded::new(key, fingerprint, false), req, next).await;
            }
            Ok(Seen::Reused) => return answer_without_running(Outcome::Reused, &rid),
            Ok(Seen::AccessChanged) => return answer_without_running(Outcome::AccessChanged, &rid),
            Ok(Seen::Rerun) => {
                // Folded claims are written answered and never released: no need to claim.
                let req = Request::from_parts(parts, Body::from(bytes));
                return rerun(Folded::new(key, fingerprint, true), req, next, &rid).await;
            }
            Ok(Seen::Classic) => crate::app::seen::forget(),
            Err(e) => return super::error::ApiError(e).into_response(),
        }
    }
    match uc::begin(&app, &key, &fingerprint).await {
        Ok(Outcome::Proceed) => {}
        Ok(Outcome::Rerun) => {
            let req = Request::from_parts(parts, Body::from(bytes));
            return rerun(Folded::new(key, fingerprint, true), req, next, &rid).await;
        }
        Ok(other) => return answer_without_running(other, &rid),
        Err(e) => return super::error::ApiError(e).into_response(),
    }
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = resp.status();
    if !status.is_success() {
        uc::abandon(&app, &key).await;
        return resp;
    }
    let (rparts, rbody) = resp.into_parts();
    let rbytes = to_bytes(rbody, usize::MAX).await.unwrap_or_default();
    let ctype = rparts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    uc::finish(&app, &key, status.as_u16(), &rbytes, ctype).await;
    Response::from_parts(rparts, Body::from(rbytes))
}

/// Routes whose use case is idempotent by itself (an order is unique per organisation and
/// request id) and takes the claim inside its own transaction.
const FOLDED_ROUTES: [&str; 1] = ["/v1/customers/{customerId}/orders"];

fn folds_its_claim(parts: &axum::http::request::Parts) -> bool {
    parts
        .extensions
        .get::<MatchedPath>()
        .is_some_and(|p| FOLDED_ROUTES.contains(&p.as_str()))
}

/// Runs a request whose use case claims the id in its own transaction. When the handler
/// succeeded without writing the claim, it answered an effect made earlier under the same
/// id (a concurrent twin won): that is a replay, unless the twin's request was another one.
async fn folded(app: &App, f: std::sync::Arc<Folded>, req: Request, next: Next) -> Response {
    let mut resp = f.scope(next.run(req)).await;
    if f.written() || !resp.status().is_success() {
        return resp;
    }
    let rid = f.key().request_id().to_string();
    match uc::peek(app, f.key(), f.fingerprint()).await {
        Ok(Seen::Reused) => answer_without_running(Outcome::Reused, &rid),
        Ok(Seen::AccessChanged) => answer_without_running(Outcome::AccessChanged, &rid),
        Ok(Seen::Rerun | Seen::Classic) => {
            mark_replay(&mut resp, &rid);
            resp
        }
        Ok(Seen::Unused) => resp,
        Err(e) => super::error::ApiError(e).into_response(),
    }
}

/// Answers a retry of a folded request: its use case runs again as a replay, which re-checks
/// the caller and answers the first effect without writing.
async fn rerun(f: std::sync::Arc<Folded>, req: Request, next: Next, rid: &str) -> Response {
    let mut resp = f.scope(next.run(req)).await;
    if resp.status().is_success() {
        metrics::counter!("partnerhub_idempotent_replays_total").increment(1);
        mark_replay(&mut resp, rid);
    }
    resp
}

fn mark_replay(r: &mut Response, rid: &str) {
    r.headers_mut()
        .insert("ms-idempotent-replay", HeaderValue::from_static("true"));
    if let Ok(v) = HeaderValue::from_str(rid) {
        r.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
}

fn refusal(status: StatusCode, code: Code, message: &str) -> Response {
    error_response(status, code, message.to_string(), vec![])
}

/// The answer to a duplicate: the stored response, or why there is none.
fn answer_without_running(outcome: Outcome, rid: &str) -> Response {
    match outcome {
        Outcome::Replay {
            status,
            body,
            content_type,
        } => {
            metrics::counter!("partnerhub_idempotent_replays_total").increment(1);
            replay(status, body, &content_type, rid)
        }
        Outcome::Reused => refusal(
            StatusCode::CONFLICT,
            Code::RequestIdReused,
            "this MS-RequestId was already used for a different request; use a new id for a new request",
        ),
        Outcome::AccessChanged => refusal(
            StatusCode::FORBIDDEN,
            Code::AuthorizationFailed,
            "your access changed since this MS-RequestId was first used; \
             send the request again with a new id",
        ),
        Outcome::StillRunning | Outcome::Proceed | Outcome::Rerun => {
            let mut r = refusal(
                StatusCode::CONFLICT,
                Code::RequestInProgress,
                "a request with this MS-RequestId is still being processed; retry shortly",
            );
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(1));
            r
        }
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
