//! `/v1/me`, `/v1/users`, `/v1/applications`, `/v1/tenants/domainavailability`: the caller's
//! own directory.

use super::collection::{
    etag, expected_version, Attributes, Collection, EtagAttributes, Page, PageQuery,
};
use super::error::{ApiError, ApiResult};
use super::extract::{Body, Caller};
use super::extract::{Path, Query};
use super::json::Json;
use crate::app::identity::{self, NewUser, UserPatch, UserRow, UserView};
use crate::app::{mfa, oauth, App};
use crate::domain::identity::{Domain, Role};
use crate::domain::ids::UserId;
use crate::domain::Error;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
    /// `active` or `inactive`.
    pub state: String,
    pub language: String,
    pub roles: Vec<Role>,
    pub mfa_enabled: bool,
    pub attributes: Attributes,
}

fn user_dto(u: UserRow, roles: Vec<Role>) -> User {
    User {
        id: u.id.to_string(),
        user_principal_name: u.upn,
        display_name: u.display_name,
        first_name: u.first_name,
        last_name: u.last_name,
        state: u.state.as_str().into(),
        language: u.language,
        roles,
        mfa_enabled: u.totp_secret.is_some(),
        attributes: Attributes::with_etag("User", u.version),
    }
}

fn with_etag(status: StatusCode, u: User) -> Response {
    let tag = u.attributes.etag.clone().unwrap_or_default();
    (status, [(header::ETAG, tag)], Json(u)).into_response()
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub user: Option<User>,
    pub application_id: Option<String>,
    pub tenant_id: String,
    pub tenant_domain: String,
    pub tenant_name: String,
    /// `operator`, `partner` or `customer`.
    pub tenant_kind: String,
    pub roles: Vec<Role>,
    pub attributes: Attributes,
}

/// The caller: user or application, its tenant and roles.
#[utoipa::path(get, path = "/v1/me", tag = "identity",
    responses((status = 200, body = Me), (status = 401, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn me(State(app): State<App>, Caller(ctx): Caller) -> ApiResult<Json<Me>> {
    let (tenant, user) = identity::me(&app, &ctx).await?;
    let roles: Vec<Role> = ctx.actor.roles.iter().copied().collect();
    let user = user.map(|u| user_dto(u, roles.clone()));
    Ok(Json(Me {
        user,
        application_id: ctx.app_id(),
        tenant_id: tenant.id.to_string(),
        tenant_domain: tenant.domain,
        tenant_name: tenant.display_name,
        tenant_kind: tenant.kind.as_str().into(),
        roles,
        attributes: Attributes::of("Me"),
    }))
}

/// Users of the caller's tenant, ordered by sign-in name.
#[utoipa::path(get, path = "/v1/users", tag = "identity", params(PageQuery),
    responses((status = 200, body = Collection<User>), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn list_users(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Collection<User>>> {
    let fingerprint = format!("users:{}", ctx.actor.tenant);
    let page = Page::from_request(&headers, &q, &fingerprint, &app.keys.paging_secret)?;
    let after = page.after.as_ref().map(|c| (c.key.as_str(), c.id.as_str()));
    let (views, total) = identity::users_page(&app, &ctx, after, page.size + 1).await?;
    Ok(Json(page.finish(
        views,
        total,
        "/v1/users",
        &app.keys.paging_secret,
        |v| (v.user.upn.clone(), v.user.id.to_string()),
        |v| user_dto(v.user, v.roles),
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewUserBody {
    pub user_principal_name: String,
    pub display_name: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Leave out to have a temporary password generated, mailed and returned once.
    pub password: Option<String>,
    pub language: Option<String>,
    #[serde(default)]
    pub attributes: Option<EtagAttributes>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: User,
    /// The generated temporary password, shown only in this response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporary_password: Option<String>,
}

/// Adds a user to the caller's tenant.
#[utoipa::path(post, path = "/v1/users", tag = "identity", request_body = NewUserBody,
    params(("MS-RequestId" = Option<String>, Header, description = "Idempotency key")),
    responses((status = 201, body = CreatedUser), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody), (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn create_user(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<NewUserBody>,
) -> ApiResult<Response> {
    let roles = b.roles.clone();
    let (user, temp) = identity::create_user(
        &app,
        &ctx,
        ctx.actor.tenant,
        NewUser {
            upn: b.user_principal_name,
            display_name: b.display_name,
            first_name: b.first_name,
            last_name: b.last_name,
            roles: b.roles,
            password: b.password,
            language: b.language,
        },
    )
    .await?;
    let tag = etag(user.version);
    let body = CreatedUser {
        user: user_dto(user, roles),
        temporary_password: temp,
    };
    Ok((StatusCode::CREATED, [(header::ETAG, tag)], Json(body)).into_response())
}

async fn load_visible(app: &App, ctx: &crate::app::Ctx, id: &str) -> Result<UserView, ApiError> {
    let id = UserId::named(id)?;
    Ok(identity::user_view(app, ctx, id).await?)
}

/// One user of the caller's tenant.
#[utoipa::path(get, path = "/v1/users/{userId}", tag = "identity",
    params(("userId" = String, Path)),
    responses((status = 200, body = User), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get_user(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let v = load_visible(&app, &ctx, &id).await?;
    Ok(with_etag(StatusCode::OK, user_dto(v.user, v.roles)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserPatchBody {
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub state: Option<String>,
    pub language: Option<String>,
    pub attributes: Option<EtagAttributes>,
}

/// Changes a user. Send `If-Match` with the ETag you read to avoid overwriting a change.
#[utoipa::path(patch, path = "/v1/users/{userId}", tag = "identity", request_body = UserPatchBody,
    params(("userId" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = User), (status = 400, body = super::error::ApiErrorBody),
        (status = 404, body = super::error::ApiErrorBody), (status = 409, body = super::error::ApiErrorBody),
        (status = 412, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn patch_user(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(b): Body<UserPatchBody>,
) -> ApiResult<Response> {
    let user = load_visible(&app, &ctx, &id).await?.user;
    let body_etag = b.attributes.as_ref().and_then(|a| a.etag.clone());
    let expected = expected_version(&headers, body_etag.as_deref())?;
    let updated = identity::update_user(
        &app,
        &ctx,
        user.id,
        UserPatch {
            display_name: b.display_name,
            first_name: b.first_name,
            last_name: b.last_name,
            roles: b.roles,
            state: b.state,
            language: b.language,
        },
        expected,
    )
    .await?;
    let v = identity::user_view(&app, &ctx, updated.id).await?;
    Ok(with_etag(StatusCode::OK, user_dto(updated, v.roles)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DomainQuery {
    /// The domain to check, e.g. `contoso.example`.
    pub domain: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DomainAvailability {
    pub domain: String,
    pub available: bool,
    pub attributes: Attributes,
}

/// Whether a domain is free for a new directory tenant (used while typing in enrollment).
#[utoipa::path(get, path = "/v1/tenants/domainavailability", tag = "identity", params(DomainQuery),
    responses((status = 200, body = DomainAvailability), (status = 400, body = super::error::ApiErrorBody)))]
pub async fn domain_availability(
    State(app): State<App>,
    Query(q): Query<DomainQuery>,
) -> ApiResult<Json<DomainAvailability>> {
    let domain = Domain::parse("domain", &q.domain).map_err(|f| Error::Validation(vec![f]))?;
    let available = identity::domain_available(&app, &domain).await?;
    Ok(Json(DomainAvailability {
        domain: domain.to_string(),
        available,
        attributes: Attributes::of("DomainAvailability"),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// The OAuth `client_id`.
    pub id: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub enabled: bool,
    /// Shown only when the application is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub attributes: Attributes,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewApplication {
    pub display_name: String,
    #[serde(default)]
    pub roles: Vec<Role>,
}

/// Registers an application (client credentials) for the caller's tenant.
#[utoipa::path(post, path = "/v1/applications", tag = "identity", request_body = NewApplication,
    params(("MS-RequestId" = Option<String>, Header, description = "Idempotency key")),
    responses((status = 201, body = Application), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn create_application(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<NewApplication>,
) -> ApiResult<Response> {
    let (reg, secret) = oauth::register_app(&app, &ctx, &b.display_name, b.roles).await?;
    Ok((
        StatusCode::CREATED,
        Json(Application {
            id: reg.id.to_string(),
            display_name: reg.display_name,
            roles: reg.roles,
            enabled: !reg.disabled,
            client_secret: Some(secret),
            attributes: Attributes::of("Application"),
        }),
    )
        .into_response())
}

/// Applications registered for the caller's tenant, in registration order.
#[utoipa::path(get, path = "/v1/applications", tag = "identity", params(PageQuery),
    responses((status = 200, body = Collection<Application>), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn list_applications(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Collection<Application>>> {
    let fingerprint = format!("apps:{}", ctx.actor.tenant);
    let page = Page::from_request(&headers, &q, &fingerprint, &app.keys.paging_secret)?;
    let after = page
        .after
        .as_ref()
        .map(|c| (c.key.parse::<i64>().unwrap_or(i64::MIN), c.id.as_str()));
    let (apps, total) = identity::applications_page(&app, &ctx, after, page.size + 1).await?;
    Ok(Json(page.finish(
        apps,
        total,
        "/v1/applications",
        &app.keys.paging_secret,
        |a| (a.created_at.to_string(), a.id.to_string()),
        |a| app_dto(a, None),
    )))
}

fn app_dto(a: identity::AppRow, secret: Option<String>) -> Application {
    Application {
        id: a.id.to_string(),
        display_name: a.display_name,
        roles: a.roles,
        enabled: !a.disabled,
        client_secret: secret,
        attributes: Attributes::of("Application"),
    }
}

fn app_id(raw: &str) -> Result<crate::domain::ids::AppId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError(Error::NotFound("application")))
}

/// One application of the caller's tenant.
#[utoipa::path(get, path = "/v1/applications/{applicationId}", tag = "identity",
    params(("applicationId" = String, Path)),
    responses((status = 200, body = Application), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get_application(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Application>> {
    let reg = oauth::get_app(&app, &ctx, app_id(&id)?).await?;
    Ok(Json(app_dto(reg, None)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplicationPatch {
    /// `false` stops the application's tokens and sign-ins at once; `true` turns it back on.
    pub enabled: bool,
}

/// Turns an application on or off.
#[utoipa::path(patch, path = "/v1/applications/{applicationId}", tag = "identity",
    params(("applicationId" = String, Path)), request_body = ApplicationPatch,
    responses((status = 200, body = Application), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn patch_application(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(b): Body<ApplicationPatch>,
) -> ApiResult<Json<Application>> {
    let id = app_id(&id)?;
    let change = if b.enabled {
        oauth::AppChange::Enable
    } else {
        oauth::AppChange::Disable
    };
    oauth::change_app(&app, &ctx, id, change).await?;
    Ok(Json(app_dto(oauth::get_app(&app, &ctx, id).await?, None)))
}

/// Deletes an application: its tokens stop working at once.
#[utoipa::path(delete, path = "/v1/applications/{applicationId}", tag = "identity",
    params(("applicationId" = String, Path)),
    responses((status = 204, description = "deleted"), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_application(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    oauth::change_app(&app, &ctx, app_id(&id)?, oauth::AppChange::Delete).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives an application a new client secret, shown once; the old one stops working.
#[utoipa::path(post, path = "/v1/applications/{applicationId}/secret", tag = "identity",
    params(("applicationId" = String, Path)),
    responses((status = 201, body = Application), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn rotate_application_secret(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (reg, secret) = oauth::rotate_app_secret(&app, &ctx, app_id(&id)?).await?;
    Ok((StatusCode::CREATED, Json(app_dto(reg, Some(secret)))).into_response())
}

/// Removes a user (soft delete: inactive and kept for 30 days).
#[utoipa::path(delete, path = "/v1/users/{userId}", tag = "identity",
    params(("userId" = String, Path)),
    responses((status = 204, description = "removed"), (status = 404, body = super::error::ApiErrorBody),
        (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_user(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let user = load_visible(&app, &ctx, &id).await?.user;
    identity::remove_user(&app, &ctx, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MfaSetup {
    /// Base32 secret for an authenticator app.
    pub secret: String,
    /// `otpauth://` URI (a QR code of it sets up most apps).
    pub otpauth_uri: String,
    pub attributes: Attributes,
}

/// Starts TOTP set-up for the signed-in user: a new secret, not active until confirmed.
#[utoipa::path(post, path = "/v1/me/mfa/setup", tag = "identity",
    responses((status = 200, body = MfaSetup), (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn mfa_setup(Caller(ctx): Caller) -> ApiResult<Json<MfaSetup>> {
    let upn = ctx
        .upn
        .clone()
        .ok_or_else(|| Error::Forbidden("only users have two-step verification".into()))?;
    let secret = crate::crypto::base32(&crate::crypto::random_bytes(20));
    Ok(Json(MfaSetup {
        otpauth_uri: format!("otpauth://totp/Partner%20Hub:{upn}?secret={secret}&issuer=Partner%20Hub&algorithm=SHA1&digits=6&period=30"),
        secret,
        attributes: Attributes::of("MfaSetup"),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MfaConfirm {
    /// The base32 secret from the set-up step.
    pub secret: String,
    /// The current code from the authenticator app.
    pub code: String,
    /// When two-step verification is already on: a code of the current authenticator (or a
    /// recovery code). Without it an existing secret is not replaced.
    #[serde(default)]
    pub current_code: Option<String>,
}

/// Turns TOTP on once the user proves the authenticator app works.
#[utoipa::path(post, path = "/v1/me/mfa/confirm", tag = "identity", request_body = MfaConfirm,
    responses((status = 204, description = "on"), (status = 400, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn mfa_confirm(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<MfaConfirm>,
) -> ApiResult<StatusCode> {
    // Who asks comes before what they sent: an application has no second factor.
    if ctx.actor.user_id().is_none() {
        return Err(Error::Forbidden("only users have two-step verification".into()).into());
    }
    let secret = crate::crypto::base32_decode(&b.secret)
        .ok_or_else(|| Error::field("secret", "not a base32 secret from the set-up step"))?;
    if secret.len() < 16 {
        return Err(Error::field("secret", "the secret is too short").into());
    }
    let proof = match b.current_code.as_deref() {
        Some(c) => mfa::Proof::Code(c),
        None => mfa::Proof::Nothing,
    };
    mfa::enable(&app, &ctx, &secret, &b.code, proof, mfa::FirstCodes::Skip).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecoveryCodesRequest {
    /// A current code from the authenticator app.
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryCodes {
    /// Single-use codes that stand in for the authenticator; shown only now.
    pub codes: Vec<String>,
    pub attributes: Attributes,
}

/// Makes a new set of recovery codes for the signed-in user (the previous set stops working).
#[utoipa::path(post, path = "/v1/me/mfa/recoverycodes", tag = "identity", request_body = RecoveryCodesRequest,
    responses((status = 201, body = RecoveryCodes), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody), (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn mfa_recovery_codes(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<RecoveryCodesRequest>,
) -> ApiResult<Response> {
    let codes = mfa::new_recovery_codes(&app, &ctx, &b.code).await?;
    Ok((
        StatusCode::CREATED,
        Json(RecoveryCodes {
            codes,
            attributes: Attributes::of("RecoveryCodes"),
        }),
    )
        .into_response())
}
