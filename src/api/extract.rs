//! Extractors: who is calling (`Caller`), and JSON bodies whose rejections use the API's
//! error shape.

use super::error::{error_response, ApiError};
use crate::app::seen::Ask;
use crate::app::{identity, oauth, App, Ctx};
use crate::domain::authz::Principal;
use crate::domain::error::Code;
use crate::domain::Error;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

pub const CORRELATION_HEADER: &str = "ms-correlationid";

/// The authenticated caller of an API request, built from a bearer token. Rate limiting per
/// tenant happens here, once authentication has told us the tenant.
pub struct Caller(pub Ctx);

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let unauth = |m: &str| ApiError(Error::Unauthenticated(m.into()));
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| unauth("sign in: send Authorization: Bearer <access token>"))?;
        let token = bearer(header)
            .ok_or_else(|| unauth("the Authorization header must use the Bearer scheme"))?;
        let claims = oauth::verify(app, token.trim())?;
        // Rebuilt from the database earlier in this request (the MS-RequestId layer).
        let known = parts
            .extensions
            .remove::<crate::app::idempotency::KnownCaller>()
            .filter(|k| k.scope == format!("{}:{}", claims.kind, claims.sub));
        let (actor, upn) = match (known, claims.kind.as_str()) {
            (Some(k), _) => (k.actor, k.upn),
            (None, "user") => {
                let id = claims
                    .sub
                    .parse()
                    .map_err(|_| unauth("the access token is not valid"))?;
                let ask = ask(parts, app, &claims.tid);
                let (actor, upn) = identity::actor_for_user_seeing(app, id, &ask)
                    .await?
                    .ok_or_else(|| unauth("the user no longer exists or is disabled"))?;
                (actor, Some(upn))
            }
            (None, "app") => {
                let id = claims
                    .sub
                    .parse()
                    .map_err(|_| unauth("the access token is not valid"))?;
                let actor = identity::actor_for_app(app, id)
                    .await?
                    .ok_or_else(|| unauth("the application no longer exists or is disabled"))?;
                (actor, None)
            }
            _ => return Err(unauth("the access token is not valid")),
        };
        if actor.tenant.to_string() != claims.tid {
            return Err(unauth("the access token is not valid"));
        }
        if let Err(secs) = app
            .limiter
            .check(&actor.tenant.to_string(), app.clock.now_ms())
            .await
        {
            metrics::counter!("partnerhub_rate_limited_total").increment(1);
            return Err(ApiError(Error::RateLimited {
                retry_after_secs: secs,
            }));
        }
        let correlation_id = parts
            .headers
            .get(CORRELATION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(128).collect());
        Ok(Caller(Ctx {
            actor,
            upn,
            correlation_id,
        }))
    }
}

/// What a request may read with its caller in one statement (`app::seen`): the customer
/// `/v1/customers/{customerId}...` is about (for a write, for its check before it writes), or
/// the page an unfiltered `GET /v1/customers` asks for. `tenant` is the token's organisation;
/// a caller from another one is refused before anything read is used.
fn ask(parts: &Parts, app: &App, tenant: &str) -> Ask {
    let Some(route) = parts.extensions.get::<axum::extract::MatchedPath>() else {
        return Ask::Nothing;
    };
    let read = parts.method == axum::http::Method::GET;
    if route.as_str().starts_with("/v1/customers/{customerId}") {
        return match customer_in_path(parts) {
            Some(customer) if read => Ask::Customer(customer),
            Some(customer) => Ask::CustomerOnce(customer),
            None => Ask::Nothing,
        };
    }
    if read && route.as_str() == "/v1/customers" {
        return customer_list_ask(parts, app, tenant).unwrap_or(Ask::Nothing);
    }
    Ask::Nothing
}

/// What a write request reads with its caller: the customer of a
/// `/v1/customers/{customerId}...` route, for its check before it writes (once).
pub(crate) fn write_ask(parts: &Parts) -> Ask {
    let about_customer = parts
        .extensions
        .get::<axum::extract::MatchedPath>()
        .is_some_and(|r| r.as_str().starts_with("/v1/customers/{customerId}"));
    match customer_in_path(parts) {
        Some(customer) if about_customer && parts.method != axum::http::Method::GET => {
            Ask::CustomerOnce(customer)
        }
        _ => Ask::Nothing,
    }
}

/// The `{customerId}` of a `/v1/customers/{customerId}...` path, when it is an id.
fn customer_in_path(parts: &Parts) -> Option<crate::domain::ids::TenantId> {
    parts.uri.path().split('/').nth(3)?.parse().ok()
}

/// The unfiltered page a customer list request asks for; `None` for anything else (a filter,
/// a malformed query or token: the handler reads those itself and reports what is wrong).
fn customer_list_ask(parts: &Parts, app: &App, tenant: &str) -> Option<Ask> {
    let q: super::customers::CustomerListQuery =
        serde_urlencoded::from_str(parts.uri.query().unwrap_or("")).ok()?;
    let (filter, page) =
        super::customers::list_request(&parts.headers, &q, tenant, &app.keys.paging_secret).ok()?;
    if filter.is_some() {
        return None;
    }
    crate::app::seen::customer_list_ask(
        app,
        tenant.parse().ok()?,
        page.position().map(|(k, i)| (k.to_string(), i.to_string())),
        page.fetch(),
    )
}

/// The token of an `Authorization: Bearer <token>` header. The scheme is matched without
/// regard to case (RFC 9110), here and in the idempotency layer alike.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim_start().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

impl Caller {
    pub fn is_user(&self) -> bool {
        matches!(self.0.actor.principal, Principal::User(_))
    }
}

/// A JSON body read the way the public partner-center service reads one (member names in any
/// case, `null` for an empty list, unknown members ignored; see `lenient`), whose failures come
/// back as `{code, description, data, source}`. Every JSON request body goes through here.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let value = if has_no_body(&req) {
            // A body the contract marks optional may be left out: read it as `{}`.
            serde_json::Value::Object(Default::default())
        } else {
            match axum::Json::<serde_json::Value>::from_request(req, state).await {
                Ok(axum::Json(v)) => v,
                Err(rej) => return Err(json_rejection(rej)),
            }
        };
        super::lenient::from_value(value).map(Body).map_err(|e| {
            let path = e.path().to_string();
            let msg = if path == "." {
                format!("the body does not match the expected shape: {}", e.inner())
            } else {
                format!(
                    "the body does not match the expected shape: {path}: {}",
                    e.inner()
                )
            };
            error_response(StatusCode::BAD_REQUEST, Code::InvalidInput, msg, Vec::new())
                .into_response()
        })
    }
}

fn has_no_body(req: &Request) -> bool {
    use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
    let h = req.headers();
    !h.contains_key(CONTENT_TYPE)
        && !h.contains_key(TRANSFER_ENCODING)
        && h.get(CONTENT_LENGTH).is_none_or(|v| v.as_bytes() == b"0")
}

pub fn json_rejection(rej: JsonRejection) -> Response {
    let (status, msg) = match &rej {
        JsonRejection::MissingJsonContentType(_) => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the body as JSON with Content-Type: application/json".to_string(),
        ),
        JsonRejection::JsonSyntaxError(e) => (
            StatusCode::BAD_REQUEST,
            format!("the body is not valid JSON: {}", e.body_text()),
        ),
        JsonRejection::JsonDataError(e) => (
            StatusCode::BAD_REQUEST,
            format!(
                "the body does not match the expected shape: {}",
                e.body_text()
            ),
        ),
        JsonRejection::BytesRejection(_) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "the body is too large".to_string(),
        ),
        _ => (StatusCode::BAD_REQUEST, rej.body_text()),
    };
    error_response(status, Code::InvalidInput, msg, Vec::new()).into_response()
}

/// `Query<T>` whose failures come back in the API's error shape.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(rej) => Err(error_response(
                StatusCode::BAD_REQUEST,
                Code::InvalidInput,
                format!("the query string is not valid: {}", rej.body_text()),
                Vec::new(),
            )
            .into_response()),
        }
    }
}

/// `Path<T>` whose failures come back in the API's error shape.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(rej) => Err(error_response(
                StatusCode::BAD_REQUEST,
                Code::InvalidInput,
                format!("the path is not valid: {}", rej.body_text()),
                Vec::new(),
            )
            .into_response()),
        }
    }
}
