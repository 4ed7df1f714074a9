//! `/v1/tenants` (sign-up), `/v1/enrollments` (apply, membership, submit, verify, review) and
//! `/v1/agreements` (the partner agreement).

use super::collection::{Attributes, Collection, Page, PageQuery};
use super::error::{ApiError, ApiResult};
use super::extract::{Body, Caller};
use super::extract::{Path, Query};
use super::json::Json;
use crate::app::enrollment::{self as uc, Decision, EnrollmentRow, LinkProblem};
use crate::app::identity::{self, NewTenant, NewUser};
use crate::app::App;
use crate::domain::authz::{Action, Resource};
use crate::domain::enrollment::{Application, Program, Status};
use crate::domain::identity::TenantKind;
use crate::domain::ids::EnrollmentId;
use crate::domain::Error;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTenantAdmin {
    pub user_principal_name: String,
    pub display_name: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    pub password: String,
    pub language: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTenantBody {
    /// The primary domain, e.g. `contoso.example`; must be free.
    pub domain: String,
    pub display_name: String,
    /// ISO country code of the organisation.
    pub country: String,
    pub admin: NewTenantAdmin,
    /// `partner` (the default: an organisation that will enroll) or `customer` (a company
    /// that will accept partners' relationship requests).
    pub kind: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedTenant {
    pub tenant_id: String,
    pub domain: String,
    pub display_name: String,
    pub country: String,
    pub admin_user_principal_name: String,
    /// `partner` or `customer`.
    pub kind: String,
    pub attributes: Attributes,
}

/// Creates a directory tenant for a company that has none, with its first global
/// administrator (no sign-in needed; limited per client address).
#[utoipa::path(post, path = "/v1/tenants", tag = "enrollment", request_body = NewTenantBody,
    responses((status = 201, body = CreatedTenant), (status = 400, body = super::error::ApiErrorBody),
        (status = 429, body = super::error::ApiErrorBody)))]
pub async fn create_tenant(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Body(b): Body<NewTenantBody>,
) -> ApiResult<Response> {
    if let Err(secs) = app
        .limiter
        .check(&format!("anon:{}", peer.ip()), app.clock.now_ms())
        .await
    {
        return Err(Error::RateLimited {
            retry_after_secs: secs,
        }
        .into());
    }
    let kind = match b.kind.as_deref().map(str::trim) {
        None | Some("") => TenantKind::Partner,
        Some(k) if k.eq_ignore_ascii_case("partner") => TenantKind::Partner,
        Some(k) if k.eq_ignore_ascii_case("customer") => TenantKind::Customer,
        Some(_) => return Err(Error::field("kind", "use partner or customer").into()),
    };
    let (t, u, _) = identity::create_tenant_with_admin(
        &app,
        None,
        NewTenant {
            domain: b.domain,
            display_name: b.display_name,
            country: b.country,
            kind,
        },
        NewUser {
            upn: b.admin.user_principal_name,
            display_name: b.admin.display_name,
            first_name: b.admin.first_name,
            last_name: b.admin.last_name,
            password: Some(b.admin.password),
            language: b.admin.language,
            roles: vec![],
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTenant {
            tenant_id: t.id.to_string(),
            domain: t.domain,
            display_name: t.display_name,
            country: t.country,
            admin_user_principal_name: u.upn,
            kind: t.kind.as_str().into(),
            attributes: Attributes::of("Tenant"),
        }),
    )
        .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Enrollment {
    pub id: String,
    pub program: Program,
    pub status: Status,
    /// `none`, `pending`, `authorized` or `rejected`.
    pub vetting_status: String,
    /// `none`, `email_ownership`, `employment_verification`, `business_verification` or `decision`.
    pub vetting_sub_status: String,
    pub tenant_id: String,
    /// The linked partner-network (organisation) id.
    pub mpn_id: Option<i64>,
    /// The chosen organisation profile (location) id.
    pub profile_id: Option<i64>,
    /// Only support details are needed: the organisation is a partner already.
    pub support_only: bool,
    pub application: Application,
    pub review_note: Option<String>,
    pub submitted_at: Option<String>,
    pub verified_at: Option<String>,
    pub decided_at: Option<String>,
    pub created_at: String,
    pub attributes: Attributes,
}

fn ts(ms: Option<i64>) -> Option<String> {
    ms.map(|m| crate::clock::from_ms(m).to_rfc3339())
}

pub fn dto(e: EnrollmentRow) -> Enrollment {
    let (vs, vss) = e.status.vetting();
    Enrollment {
        id: e.id.to_string(),
        program: e.program,
        status: e.status,
        vetting_status: vs.as_str().into(),
        vetting_sub_status: vss.as_str().into(),
        tenant_id: e.tenant_id.to_string(),
        mpn_id: e.mpn_id,
        profile_id: e.profile_id,
        support_only: e.support_only,
        application: e.application,
        review_note: e.review_note,
        submitted_at: ts(e.submitted_at),
        verified_at: ts(e.verified_at),
        decided_at: ts(e.decided_at),
        created_at: crate::clock::from_ms(e.created_at).to_rfc3339(),
        attributes: Attributes::with_etag("Enrollment", e.version),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartEnrollment {
    pub program: Program,
}

/// Starts the caller's organisation's application to a program (global administrator). A
/// second call returns the same application (200) instead of making another.
#[utoipa::path(post, path = "/v1/enrollments", tag = "enrollment", request_body = StartEnrollment,
    params(("MS-RequestId" = Option<String>, Header, description = "Idempotency key")),
    responses((status = 201, body = Enrollment), (status = 200, body = Enrollment),
        (status = 403, body = super::error::ApiErrorBody), (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn start(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<StartEnrollment>,
) -> ApiResult<Response> {
    let (e, created) = uc::start(&app, &ctx, b.program).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(dto(e))).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentQuery {
    /// Only applications in this status (operator).
    pub status: Option<String>,
    pub size: Option<u32>,
}

/// The caller's organisation's applications; for the operator, every application (the review
/// queue, oldest change first).
#[utoipa::path(get, path = "/v1/enrollments", tag = "enrollment", params(EnrollmentQuery),
    responses((status = 200, body = Collection<Enrollment>), (status = 400, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(q): Query<EnrollmentQuery>,
) -> ApiResult<Json<Collection<Enrollment>>> {
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => {
            Some(Status::parse(s).ok_or_else(|| Error::field("status", "not a known status"))?)
        }
    };
    // The applicant's own list and the operator's queue page the same way; the fingerprint
    // keeps a continuation from being replayed by another tenant or with another filter.
    let scope = if ctx.actor.is_operator() {
        "all".to_string()
    } else {
        ctx.actor.tenant.to_string()
    };
    let fingerprint = format!(
        "enrollments:{scope}:{}",
        status.map(|s| s.as_str()).unwrap_or("")
    );
    let page = Page::from_request(
        &headers,
        &PageQuery {
            size: q.size,
            seek_operation: None,
        },
        &fingerprint,
        &app.keys.paging_secret,
    )?;
    let after = page
        .after
        .as_ref()
        .map(|c| (c.key.parse::<i64>().unwrap_or(i64::MIN), c.id.clone()));
    let (rows, total) = uc::page(
        &app,
        &ctx,
        status,
        after.as_ref().map(|(a, i)| (*a, i.as_str())),
        page.size + 1,
    )
    .await?;
    let path = match status {
        Some(s) => format!("/v1/enrollments?status={}", s.as_str()),
        None => "/v1/enrollments".to_string(),
    };
    Ok(Json(page.finish(
        rows,
        total,
        &path,
        &app.keys.paging_secret,
        |e| (e.updated_at.to_string(), e.id.to_string()),
        dto,
    )))
}

/// One application (the applicant's organisation, or the operator).
#[utoipa::path(get, path = "/v1/enrollments/{enrollmentId}", tag = "enrollment",
    params(("enrollmentId" = String, Path)),
    responses((status = 200, body = Enrollment), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Enrollment>> {
    Ok(Json(dto(uc::visible(
        &app,
        &ctx,
        EnrollmentId::named(&id)?,
    )
    .await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MembershipSignIn {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembershipProfile {
    pub profile_id: i64,
    pub name: String,
    pub country: String,
    /// The profile is in the tenant's country and can be chosen.
    pub eligible: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkedMembership {
    pub mpn_id: i64,
    pub profiles: Vec<MembershipProfile>,
    pub attributes: Attributes,
}

/// Signs in to the organisation's partner-network membership and links it to the application.
#[utoipa::path(post, path = "/v1/enrollments/{enrollmentId}/membership", tag = "enrollment",
    request_body = MembershipSignIn, params(("enrollmentId" = String, Path)),
    responses((status = 200, body = LinkedMembership), (status = 400, body = super::error::ApiErrorBody),
        (status = 404, body = super::error::ApiErrorBody), (status = 429, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn link_membership(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(b): Body<MembershipSignIn>,
) -> ApiResult<Json<LinkedMembership>> {
    let (e, profiles) = uc::link_membership(
        &app,
        &ctx,
        EnrollmentId::named(&id)?,
        &b.username,
        &b.password,
    )
    .await?;
    let tenant = uc::step_facts(&app, &ctx, &e).await?.tenant;
    Ok(Json(LinkedMembership {
        mpn_id: e.mpn_id.unwrap_or_default(),
        profiles: profiles
            .into_iter()
            .map(|p| MembershipProfile {
                eligible: p.country == tenant.country,
                profile_id: p.profile_id,
                name: p.name,
                country: p.country,
            })
            .collect(),
        attributes: Attributes::of("MembershipLink"),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChooseProfile {
    pub profile_id: i64,
}

/// Chooses the membership's organisation profile; it must be in the tenant's country.
#[utoipa::path(put, path = "/v1/enrollments/{enrollmentId}/membership", tag = "enrollment",
    request_body = ChooseProfile, params(("enrollmentId" = String, Path)),
    responses((status = 200, body = Enrollment), (status = 400, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn choose_profile(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(b): Body<ChooseProfile>,
) -> ApiResult<Json<Enrollment>> {
    Ok(Json(dto(uc::choose_profile(
        &app,
        &ctx,
        EnrollmentId::named(&id)?,
        b.profile_id,
    )
    .await?)))
}

/// Unlinks the membership ("cancel and sign in with another membership").
#[utoipa::path(delete, path = "/v1/enrollments/{enrollmentId}/membership", tag = "enrollment",
    params(("enrollmentId" = String, Path)),
    responses((status = 200, body = Enrollment), (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn unlink_membership(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Enrollment>> {
    Ok(Json(dto(uc::unlink_membership(
        &app,
        &ctx,
        EnrollmentId::named(&id)?,
    )
    .await?)))
}

/// Saves the application as entered so far (not validated until it is submitted).
#[utoipa::path(put, path = "/v1/enrollments/{enrollmentId}/application", tag = "enrollment",
    request_body = Application, params(("enrollmentId" = String, Path)),
    responses((status = 200, body = Enrollment), (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn save_application(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(b): Body<Application>,
) -> ApiResult<Json<Enrollment>> {
    Ok(Json(dto(uc::save_draft(
        &app,
        &ctx,
        EnrollmentId::named(&id)?,
        b,
    )
    .await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubmitBody {
    /// The application to submit; omitted, the saved one is submitted.
    pub application: Option<Application>,
}

/// "Enroll now": validates the application and mails the primary contact a verification link.
#[utoipa::path(post, path = "/v1/enrollments/{enrollmentId}/submit", tag = "enrollment",
    request_body = SubmitBody, params(("enrollmentId" = String, Path), ("MS-RequestId" = Option<String>, Header)),
    responses((status = 200, body = Enrollment), (status = 400, body = super::error::ApiErrorBody),
        (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn submit(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(b): Body<SubmitBody>,
) -> ApiResult<Json<Enrollment>> {
    Ok(Json(dto(uc::submit(
        &app,
        &ctx,
        EnrollmentId::named(&id)?,
        b.application,
    )
    .await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifyBody {
    /// The token from the link mailed to the primary contact.
    pub token: String,
}

/// Confirms the primary contact's address with the token from the mailed link (no sign-in).
#[utoipa::path(post, path = "/v1/enrollments/verification", tag = "enrollment", request_body = VerifyBody,
    responses((status = 200, body = Enrollment), (status = 400, body = super::error::ApiErrorBody),
        (status = 409, body = super::error::ApiErrorBody)))]
pub async fn verify(State(app): State<App>, Body(b): Body<VerifyBody>) -> ApiResult<Response> {
    match uc::verify_email(&app, &b.token).await? {
        Ok(e) => Ok(Json(dto(e)).into_response()),
        Err(problem) => Err(link_error(problem)),
    }
}

pub fn link_error(p: LinkProblem) -> ApiError {
    let message = match p {
        LinkProblem::Unknown => "this link is not valid: check that it was copied whole",
        LinkProblem::Expired => "this link has expired: submit the application again for a new one",
        LinkProblem::Used => "this link was used already",
    };
    ApiError(Error::Conflict {
        code: crate::domain::error::Code::LinkNotUsable,
        message: message.into(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReviewNote {
    /// Shown to the applicant.
    pub note: String,
}

/// Approves an application under review (operator): the partner account is created.
#[utoipa::path(post, path = "/v1/enrollments/{enrollmentId}/approve", tag = "enrollment",
    params(("enrollmentId" = String, Path)),
    responses((status = 200, body = Enrollment), (status = 403, body = super::error::ApiErrorBody),
        (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn approve(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Enrollment>> {
    Ok(Json(dto(uc::review(
        &app,
        &ctx,
        EnrollmentId::named(&id)?,
        Decision::Approve,
    )
    .await?)))
}

/// Rejects an application under review with a reason for the applicant (operator).
#[utoipa::path(post, path = "/v1/enrollments/{enrollmentId}/reject", tag = "enrollment",
    request_body = ReviewNote, params(("enrollmentId" = String, Path)),
    responses((status = 200, body = Enrollment), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody), (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn reject(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(b): Body<ReviewNote>,
) -> ApiResult<Json<Enrollment>> {
    Ok(Json(dto(uc::review(
        &app,
        &ctx,
        EnrollmentId::named(&id)?,
        Decision::Reject { reason: b.note },
    )
    .await?)))
}

/// Sends an application back to the applicant with a request for more information (operator).
#[utoipa::path(post, path = "/v1/enrollments/{enrollmentId}/requestinfo", tag = "enrollment",
    request_body = ReviewNote, params(("enrollmentId" = String, Path)),
    responses((status = 200, body = Enrollment), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody), (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn request_info(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(b): Body<ReviewNote>,
) -> ApiResult<Json<Enrollment>> {
    Ok(Json(dto(uc::review(
        &app,
        &ctx,
        EnrollmentId::named(&id)?,
        Decision::RequestInfo { message: b.note },
    )
    .await?)))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgreementStatus {
    pub version: String,
    pub title: String,
    pub body: String,
    pub accepted: bool,
    pub accepted_by: Option<String>,
    pub accepted_at: Option<String>,
    pub attributes: Attributes,
}

/// The current partner agreement and whether the caller's organisation accepted it.
#[utoipa::path(get, path = "/v1/agreements/current", tag = "enrollment",
    responses((status = 200, body = AgreementStatus), (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn agreement(
    State(app): State<App>,
    Caller(ctx): Caller,
) -> ApiResult<Json<AgreementStatus>> {
    ctx.require(
        Action::ReadPartnerProfile,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    let (a, acc) = uc::agreement_status(&app, &ctx).await?;
    Ok(Json(AgreementStatus {
        accepted: acc.is_some(),
        accepted_by: acc.as_ref().map(|x| x.user_upn.clone()),
        accepted_at: acc
            .as_ref()
            .map(|x| crate::clock::from_ms(x.accepted_at).to_rfc3339()),
        version: a.version,
        title: a.title,
        body: a.body,
        attributes: Attributes::of("PartnerAgreement"),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptBody {
    /// The version being accepted (what the user read).
    pub version: String,
}

/// Accepts the current partner agreement for the organisation; who and when are recorded.
#[utoipa::path(post, path = "/v1/agreements/current/acceptance", tag = "enrollment", request_body = AcceptBody,
    responses((status = 200, body = AgreementStatus), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn accept_agreement(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<AcceptBody>,
) -> ApiResult<Json<AgreementStatus>> {
    uc::accept_agreement(&app, &ctx, &b.version).await?;
    agreement(State(app), Caller(ctx)).await
}
