//! OpenID Connect over HTTP: the authorization-code grant of the token endpoint, the
//! signed-in user's consents (list, revoke) and an application's redirect addresses. The
//! authorization (consent) page itself is in the portal (`portal::consent`).

use super::error::{ApiError, ApiResult};
use super::extract::{Body, Caller, Path};
use super::json::Json;
use super::oauth::{basic_auth, oauth_error, TokenRequest};
use crate::app::oidc::{self, GrantError};
use crate::app::App;
use crate::domain::ids::AppId;
use crate::domain::Error;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `grant_type=authorization_code`: the client authenticates (Basic or form), sends the code,
/// the exact redirect_uri and the PKCE verifier.
pub async fn token_by_code(app: &App, headers: &HeaderMap, req: &TokenRequest) -> Response {
    let basic = basic_auth(headers);
    let over_basic = basic.is_some();
    let (id, secret) = match (basic, &req.client_id, &req.client_secret) {
        (Some(pair), _, _) => pair,
        (None, Some(i), Some(s)) => (i.clone(), s.clone()),
        _ => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication is required (client_secret_basic or client_secret_post)",
            )
        }
    };
    let (Some(code), Some(redirect), Some(verifier)) =
        (&req.code, &req.redirect_uri, &req.code_verifier)
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code, redirect_uri and code_verifier are required",
        );
    };
    let result = match oidc::authenticate_client(app, &id, &secret).await {
        Ok(client) => oidc::exchange_code(app, &client, code, redirect, verifier).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(t) => {
            let mut r = Json(t).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(GrantError::InvalidClient(m)) => {
            let mut r = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", &m);
            if over_basic {
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"partnerhub\""),
                );
            }
            r
        }
        Err(GrantError::InvalidGrant(m)) => {
            oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", &m)
        }
        Err(GrantError::Other(e)) => ApiError(e).into_response(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Consent {
    pub id: String,
    pub application_id: String,
    pub application_name: String,
    pub scopes: Vec<String>,
    pub granted_at: String,
    pub expires_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsentList {
    pub total_count: usize,
    pub items: Vec<Consent>,
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The applications the caller has let sign them in, with the scopes and until when.
#[utoipa::path(get, path = "/v1/consents", tag = "oauth",
    responses((status = 200, body = ConsentList)), security(("bearer" = [])))]
pub async fn list_consents(
    State(app): State<App>,
    Caller(ctx): Caller,
) -> ApiResult<Json<ConsentList>> {
    let items: Vec<Consent> = oidc::my_consents(&app, &ctx)
        .await?
        .into_iter()
        .map(|(c, name)| Consent {
            id: c.id,
            application_id: c.app_id.to_string(),
            application_name: name,
            scopes: c.scopes.split(' ').map(str::to_string).collect(),
            granted_at: iso(c.granted_at),
            expires_at: iso(c.expires_at),
        })
        .collect();
    Ok(Json(ConsentList {
        total_count: items.len(),
        items,
    }))
}

/// Revokes a consent: the application's refresh tokens from it stop working at once.
#[utoipa::path(delete, path = "/v1/consents/{consentId}", tag = "oauth",
    params(("consentId" = String, Path)),
    responses((status = 204, description = "revoked"), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_consent(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    oidc::revoke(&app, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedirectUris {
    pub redirect_uris: Vec<String>,
}

fn app_id(raw: &str) -> Result<AppId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError(Error::NotFound("application")))
}

/// The addresses the authorization-code flow may send this application's codes to.
#[utoipa::path(get, path = "/v1/applications/{applicationId}/redirecturis", tag = "identity",
    params(("applicationId" = String, Path)),
    responses((status = 200, body = RedirectUris), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get_redirect_uris(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<RedirectUris>> {
    let redirect_uris = oidc::redirect_uris(&app, &ctx, app_id(&id)?).await?;
    Ok(Json(RedirectUris { redirect_uris }))
}

/// Replaces the application's redirect addresses (matched exactly at authorization).
#[utoipa::path(put, path = "/v1/applications/{applicationId}/redirecturis", tag = "identity",
    params(("applicationId" = String, Path)), request_body = RedirectUris,
    responses((status = 200, body = RedirectUris), (status = 400, body = super::error::ApiErrorBody),
        (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn put_redirect_uris(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(b): Body<RedirectUris>,
) -> ApiResult<Json<RedirectUris>> {
    let redirect_uris = oidc::set_redirect_uris(&app, &ctx, app_id(&id)?, b.redirect_uris).await?;
    Ok(Json(RedirectUris { redirect_uris }))
}
