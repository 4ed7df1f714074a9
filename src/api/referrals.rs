//! `/v1/referrals`: sales leads a partner records or receives.

use super::collection::{etag, expected_version, Attributes, Collection, Page, PageQuery};
use super::error::{ApiErrorBody, ApiResult};
use super::extract::{Body, Caller};
use super::extract::{Path, Query};
use super::json::Json;
use crate::app::referrals::{self, Update};
use crate::app::referrals::{Direction, ReferralRow};
use crate::app::App;
use crate::domain::referral::LeadInput;
use crate::domain::Error;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReferralContact {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerProfile {
    pub name: String,
    /// ISO 3166 two-letter country.
    pub country: String,
    pub contact: ReferralContact,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewReferral {
    pub name: String,
    /// The partner that receives the lead; omit it to record your own lead.
    pub target_partner_id: Option<String>,
    /// Estimated deal value, a decimal string such as `"12500.00"`.
    pub deal_value: String,
    pub currency: String,
    pub customer_profile: CustomerProfile,
    /// The customer agreed to share these details with the receiving partner.
    pub consent: bool,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Referral {
    pub id: String,
    pub name: String,
    pub created_by_partner_id: String,
    pub target_partner_id: String,
    /// `new`, `active` or `closed`.
    pub status: String,
    /// `pending`, `received`, `accepted`, `won`, `lost`, `declined` or `expired`.
    pub substatus: String,
    pub deal_value: String,
    pub currency: String,
    pub customer_profile: CustomerProfile,
    pub consent_date: String,
    pub notes: String,
    pub created_date: String,
    pub updated_date: String,
    pub attributes: Attributes,
}

fn dto(r: ReferralRow) -> Referral {
    let when = |ms: i64| crate::clock::from_ms(ms).to_rfc3339();
    Referral {
        id: r.id.to_string(),
        name: r.name,
        created_by_partner_id: r.created_by_tenant.to_string(),
        target_partner_id: r.target_tenant.to_string(),
        status: r.status.as_str().into(),
        substatus: r.substatus.as_str().into(),
        deal_value: r.deal_value,
        currency: r.currency,
        customer_profile: CustomerProfile {
            name: r.customer_name,
            country: r.customer_country,
            contact: ReferralContact {
                name: r.contact_name,
                email: r.contact_email,
                phone: r.contact_phone,
            },
        },
        consent_date: when(r.consent_at),
        notes: r.notes,
        created_date: when(r.created_at),
        updated_date: when(r.updated_at),
        attributes: Attributes::with_etag("Referral", r.version),
    }
}

fn tagged(status: StatusCode, r: ReferralRow) -> Response {
    let v = r.version;
    (status, [(header::ETAG, etag(v))], Json(dto(r))).into_response()
}

/// Records a lead (no target) or sends one to a partner.
#[utoipa::path(post, path = "/v1/referrals", tag = "referrals", request_body = NewReferral,
    responses((status = 201, body = Referral), (status = 400, body = ApiErrorBody), (status = 403, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<NewReferral>,
) -> ApiResult<Response> {
    let target = match b
        .target_partner_id
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    {
        Some(t) => Some(
            t.trim()
                .parse()
                .map_err(|_| Error::field("targetPartnerId", "a partner id (tenant id)"))?,
        ),
        None => None,
    };
    let r = referrals::create(
        &app,
        &ctx,
        target,
        LeadInput {
            name: &b.name,
            deal_value: &b.deal_value,
            currency: &b.currency,
            customer_name: &b.customer_profile.name,
            customer_country: &b.customer_profile.country,
            contact_name: &b.customer_profile.contact.name,
            contact_email: &b.customer_profile.contact.email,
            contact_phone: &b.customer_profile.contact.phone,
            notes: &b.notes,
            consent: b.consent,
        },
    )
    .await?;
    Ok(tagged(StatusCode::CREATED, r))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ReferralQuery {
    /// `sent`, `received` or `all` (default).
    pub direction: Option<String>,
    /// `new`, `active` or `closed`.
    pub status: Option<String>,
    pub size: Option<u32>,
    pub seek_operation: Option<String>,
}

/// Referrals the organisation sent or received, newest first.
#[utoipa::path(get, path = "/v1/referrals", tag = "referrals", params(ReferralQuery),
    responses((status = 200, body = Collection<Referral>), (status = 400, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(q): Query<ReferralQuery>,
) -> ApiResult<Json<Collection<Referral>>> {
    let direction = match q.direction.as_deref().map(str::trim).unwrap_or("all") {
        "sent" => Direction::Sent,
        "received" => Direction::Received,
        "all" | "" => Direction::All,
        _ => return Err(Error::field("direction", "sent, received or all").into()),
    };
    let fingerprint = format!(
        "referrals:{}:{:?}:{}",
        ctx.actor.tenant,
        direction,
        q.status.clone().unwrap_or_default()
    );
    let page = Page::from_request(
        &headers,
        &PageQuery {
            size: q.size,
            seek_operation: q.seek_operation.clone(),
        },
        &fingerprint,
        &app.keys.paging_secret,
    )?;
    let before = page.before_time();
    let (rows, total) = referrals::list(
        &app,
        &ctx,
        direction,
        q.status.as_deref(),
        before,
        page.size + 1,
    )
    .await?;
    Ok(Json(page.finish(
        rows,
        total,
        "/v1/referrals",
        &app.keys.paging_secret,
        |r| (r.created_at.to_string(), r.id.to_string()),
        dto,
    )))
}

#[utoipa::path(get, path = "/v1/referrals/{referralId}", tag = "referrals",
    params(("referralId" = String, Path)),
    responses((status = 200, body = Referral), (status = 404, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(tagged(
        StatusCode::OK,
        referrals::get(&app, &ctx, &id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReferralPatch {
    /// Moves the referral; its status follows (`received` new, `accepted` active,
    /// `won`/`lost`/`declined`/`expired` closed).
    pub substatus: Option<String>,
    pub deal_value: Option<String>,
    pub currency: Option<String>,
    pub notes: Option<String>,
}

/// Moves a referral on or changes its deal details (`If-Match` optional).
#[utoipa::path(patch, path = "/v1/referrals/{referralId}", tag = "referrals",
    params(("referralId" = String, Path)), request_body = ReferralPatch,
    responses((status = 200, body = Referral), (status = 400, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 412, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn patch(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body(b): Body<ReferralPatch>,
) -> ApiResult<Response> {
    let expected = expected_version(&headers, None)?;
    let r = referrals::update(
        &app,
        &ctx,
        &id,
        Update {
            substatus: b.substatus,
            deal_value: b.deal_value,
            currency: b.currency,
            notes: b.notes,
        },
        expected,
    )
    .await?;
    Ok(tagged(StatusCode::OK, r))
}
