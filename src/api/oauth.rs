//! OAuth 2.0 endpoints: the token endpoint (form-encoded, RFC 6749 errors), the JWKS and the
//! OpenID discovery document.

use super::json::Json;
use crate::app::{oauth, App};
use crate::domain::Error;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// `authorization_code`, `password`, `refresh_token` or `client_credentials`.
    pub grant_type: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Current TOTP code, for users with MFA turned on.
    pub mfa_code: Option<String>,
    pub refresh_token: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub scope: Option<String>,
    /// `authorization_code`: the code, the redirect_uri it was issued for, the PKCE verifier.
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthError {
    pub error: String,
    pub error_description: String,
}

pub(super) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut r = (
        status,
        Json(OAuthError {
            error: error.into(),
            error_description: description.into(),
        }),
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn from_domain(e: Error, on_auth_failure: &str) -> Response {
    match e {
        Error::Unauthenticated(m) => oauth_error(StatusCode::BAD_REQUEST, on_auth_failure, &m),
        Error::Throttled { retry_after_secs } => {
            let mut r = oauth_error(
                StatusCode::TOO_MANY_REQUESTS,
                "slow_down",
                &format!("too many failed sign-ins; retry after {retry_after_secs} seconds"),
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            r
        }
        Error::Forbidden(m) => oauth_error(StatusCode::BAD_REQUEST, "unauthorized_client", &m),
        Error::Validation(f) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &f.first().map(|f| f.message.clone()).unwrap_or_default(),
        ),
        other => super::error::ApiError(other).into_response(),
    }
}

/// Issues tokens. Form-encoded body, as OAuth 2.0 requires.
#[utoipa::path(post, path = "/oauth2/token", tag = "oauth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = oauth::TokenResponse), (status = 400, body = OAuthError),
        (status = 401, body = OAuthError, description = "client authentication failed"),
        (status = 429, body = OAuthError)))]
pub async fn token(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send the request as application/x-www-form-urlencoded",
        );
    }
    let req: TokenRequest = match serde_urlencoded::from_bytes(&body) {
        Ok(r) => r,
        Err(e) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string()),
    };
    let client = peer.ip().to_string();
    let result = match req.grant_type.as_str() {
        "password" => {
            let (Some(u), Some(p)) = (&req.username, &req.password) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "username and password are required",
                );
            };
            oauth::password_grant(&app, u, p, req.mfa_code.as_deref(), &client)
                .await
                .map_err(|e| from_domain(e, "invalid_grant"))
        }
        "refresh_token" => {
            let Some(t) = &req.refresh_token else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "refresh_token is required",
                );
            };
            // A refresh token from a revoked or lapsed consent is refused.
            match crate::app::oidc::refresh_allowed(&app, t).await {
                Ok(true) => {}
                Ok(false) => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "the consent was revoked",
                    )
                }
                Err(e) => return super::error::ApiError(e).into_response(),
            }
            oauth::refresh_grant(&app, t)
                .await
                .map_err(|e| from_domain(e, "invalid_grant"))
        }
        "authorization_code" => return super::oidc::token_by_code(&app, &headers, &req).await,
        "client_credentials" => {
            let basic = basic_auth(&headers);
            let over_basic = basic.is_some();
            let (id, secret) = match (basic, &req.client_id, &req.client_secret) {
                (Some((i, s)), _, _) => (i, s),
                (None, Some(i), Some(s)) => (i.clone(), s.clone()),
                _ => {
                    return oauth_error(
                        StatusCode::UNAUTHORIZED,
                        "invalid_client",
                        "client_id and client_secret are required",
                    )
                }
            };
            oauth::client_credentials(&app, &id, &secret)
                .await
                .map_err(|e| match e {
                    Error::Unauthenticated(m) if over_basic => basic_auth_failed(&m),
                    e => from_domain(e, "invalid_client"),
                })
        }
        other => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("the grant type {other:?} is not supported"),
            )
        }
    };
    match result {
        Ok(t) => {
            let mut r = Json(t).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(r) => r,
    }
}

/// Client authentication over the Authorization header failed: RFC 6749 (5.2) answers 401
/// with a challenge for the scheme the client used.
fn basic_auth_failed(message: &str) -> Response {
    let mut r = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", message);
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"partnerhub\""),
    );
    r
}

pub(super) fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(v.strip_prefix("Basic ")?)
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (i, p) = s.split_once(':')?;
    Some((i.to_string(), p.to_string()))
}

/// Public keys that verify access tokens (EdDSA) and id tokens (RS256).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "oauth",
    responses((status = 200, description = "JSON Web Key Set")))]
pub async fn jwks(State(app): State<App>) -> Response {
    let mut set = app.keys.jwks.clone();
    match crate::app::oidc::rsa_key(&app).await {
        Ok(k) => {
            if let Some(keys) = set["keys"].as_array_mut() {
                keys.push(k.jwk.clone());
            }
        }
        Err(e) => return super::error::ApiError(e).into_response(),
    }
    Json(set).into_response()
}

/// OpenID Provider metadata. `access_token_audience` (Partner Hub's own member) is the `aud`
/// of every access token, for resource servers that check it.
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "oauth",
    responses((status = 200, description = "OpenID discovery document")))]
pub async fn discovery(State(app): State<App>) -> Response {
    let base = app.config.public_url();
    let mut grants = vec!["authorization_code", "refresh_token", "client_credentials"];
    if !app.config.disable_password_grant {
        grants.push("password");
    }
    Json(serde_json::json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/portal/oauth2/authorize"),
        "token_endpoint": format!("{base}/oauth2/token"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "scopes_supported": crate::app::oidc::SCOPES.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": grants,
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "subject_types_supported": ["public"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp", "tid",
            "name", "preferred_username", "email"],
        "access_token_audience": crate::app::oauth::AUDIENCE,
        "access_token_signing_alg_values_supported": ["EdDSA"],
    }))
    .into_response()
}
