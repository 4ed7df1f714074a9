//! `/v1/profiles/*`: the caller's partner profiles, partner-center shaped.

use super::collection::{etag, expected_version, Attributes, EtagAttributes};
use super::error::ApiResult;
use super::extract::Query;
use super::extract::{Body, Caller};
use super::json::Json;
use crate::app::profiles::{self, Part};
use crate::app::{App, Ctx};
use crate::domain::enrollment::{Application, Status};
use crate::domain::Error;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub address_line1: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub address_line2: String,
    pub city: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub state: String,
    pub postal_code: String,
    pub country: String,
}

/// An optional address line sent as `null` (as the reference's examples do) reads as empty.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone_number: String,
}

/// Which profile a response is, spelled as the public contract spells it.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProfileType {
    #[serde(rename = "legal_business_profile")]
    LegalBusiness,
    #[serde(rename = "organization_profile")]
    Organization,
    #[serde(rename = "mpn_profile")]
    Mpn,
    #[serde(rename = "support_profile")]
    Support,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LegalBusinessProfile {
    pub company_name: String,
    pub address: Address,
    pub primary_contact: Contact,
    pub registration_number: String,
    pub vetting_status: String,
    pub vetting_sub_status: String,
    pub profile_type: ProfileType,
    pub attributes: Attributes,
}

fn legal_dto(a: &Application, status: Status, version: i64) -> LegalBusinessProfile {
    let (vs, vss) = status.vetting();
    LegalBusinessProfile {
        company_name: a.legal_name.clone(),
        address: Address {
            address_line1: a.address_line1.clone(),
            address_line2: a.address_line2.clone(),
            city: a.city.clone(),
            state: a.region.clone(),
            postal_code: a.postal_code.clone(),
            country: a.country.clone(),
        },
        primary_contact: Contact {
            first_name: a.contact_first_name.clone(),
            last_name: a.contact_last_name.clone(),
            email: a.contact_email.clone(),
            phone_number: a.contact_phone.clone(),
        },
        registration_number: a.registration_number.clone(),
        vetting_status: vs.as_str().into(),
        vetting_sub_status: vss.as_str().into(),
        profile_type: ProfileType::LegalBusiness,
        attributes: Attributes::with_etag("LegalBusinessProfile", version),
    }
}

fn with_etag<T: Serialize>(version: i64, body: T) -> Response {
    ([(header::ETAG, etag(version))], Json(body)).into_response()
}

/// The partner account, or the newest application while there is none yet.
async fn legal_source(app: &App, ctx: &Ctx) -> Result<(Application, Status, i64), Error> {
    profiles::legal_source(app, ctx).await
}

/// The legal business profile with its vetting status (from the application while one is
/// under way).
#[utoipa::path(get, path = "/v1/profiles/legalbusiness", tag = "profiles",
    responses((status = 200, body = LegalBusinessProfile), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get_legal(State(app): State<App>, Caller(ctx): Caller) -> ApiResult<Response> {
    let (a, status, version) = legal_source(&app, &ctx).await?;
    Ok(with_etag(version, legal_dto(&a, status, version)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LegalBusinessUpdate {
    pub company_name: String,
    pub address: Address,
    pub primary_contact: Contact,
    /// Not part of the public contract: left out (or empty), the stored number is kept.
    #[serde(default)]
    pub registration_number: String,
    #[serde(default)]
    pub attributes: Option<EtagAttributes>,
    #[serde(default)]
    pub profile_type: Option<String>,
    #[serde(default)]
    pub vetting_status: Option<String>,
    #[serde(default)]
    pub vetting_sub_status: Option<String>,
}

fn body_etag(a: &Option<EtagAttributes>) -> Option<String> {
    a.as_ref().and_then(|a| a.etag.clone())
}

/// Changes the legal business profile of an authorized partner (send `If-Match`).
#[utoipa::path(put, path = "/v1/profiles/legalbusiness", tag = "profiles", request_body = LegalBusinessUpdate,
    params(("If-Match" = Option<String>, Header)),
    responses((status = 200, body = LegalBusinessProfile), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody), (status = 412, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn put_legal(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Body(b): Body<LegalBusinessUpdate>,
) -> ApiResult<Response> {
    let expected = expected_version(&headers, body_etag(&b.attributes).as_deref())?;
    let a = Application {
        legal_name: b.company_name,
        address_line1: b.address.address_line1,
        address_line2: b.address.address_line2,
        city: b.address.city,
        region: b.address.state,
        postal_code: b.address.postal_code,
        country: b.address.country,
        registration_number: b.registration_number,
        contact_first_name: b.primary_contact.first_name,
        contact_last_name: b.primary_contact.last_name,
        contact_email: b.primary_contact.email,
        contact_phone: b.primary_contact.phone_number,
        ..Default::default()
    };
    let p = profiles::update(&app, &ctx, Part::Legal(Box::new(a)), expected).await?;
    Ok(with_etag(
        p.version,
        legal_dto(&p.legal, Status::Authorized, p.version),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SupportProfile {
    pub email: String,
    pub telephone: String,
    pub website: String,
    pub profile_type: ProfileType,
    pub attributes: Attributes,
}

fn support_dto(a: &Application, version: i64) -> SupportProfile {
    SupportProfile {
        email: a.support_email.clone(),
        telephone: a.support_phone.clone(),
        website: a.support_website.clone(),
        profile_type: ProfileType::Support,
        attributes: Attributes::with_etag("SupportProfile", version),
    }
}

/// Customer support details.
#[utoipa::path(get, path = "/v1/profiles/support", tag = "profiles",
    responses((status = 200, body = SupportProfile), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get_support(State(app): State<App>, Caller(ctx): Caller) -> ApiResult<Response> {
    let (a, _, version) = legal_source(&app, &ctx).await?;
    Ok(with_etag(version, support_dto(&a, version)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SupportUpdate {
    pub email: String,
    pub telephone: String,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub profile_type: Option<String>,
    #[serde(default)]
    pub attributes: Option<EtagAttributes>,
}

/// Changes the support details of an authorized partner (send `If-Match`).
#[utoipa::path(put, path = "/v1/profiles/support", tag = "profiles", request_body = SupportUpdate,
    params(("If-Match" = Option<String>, Header)),
    responses((status = 200, body = SupportProfile), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody), (status = 412, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn put_support(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Body(b): Body<SupportUpdate>,
) -> ApiResult<Response> {
    let expected = expected_version(&headers, body_etag(&b.attributes).as_deref())?;
    let p = profiles::update(
        &app,
        &ctx,
        Part::Support {
            email: b.email,
            phone: b.telephone,
            website: b.website,
        },
        expected,
    )
    .await?;
    Ok(with_etag(p.version, support_dto(&p.legal, p.version)))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationProfile {
    pub id: String,
    pub tenant_id: String,
    pub company_name: String,
    pub domain: String,
    pub email: String,
    pub country: String,
    pub language: String,
    pub culture: String,
    pub profile_type: ProfileType,
    pub attributes: Attributes,
}

/// The organisation: directory tenant, name, domain and language.
#[utoipa::path(get, path = "/v1/profiles/organization", tag = "profiles",
    responses((status = 200, body = OrganizationProfile), (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get_organization(State(app): State<App>, Caller(ctx): Caller) -> ApiResult<Response> {
    let (t, email, lang) = profiles::organization(&app, &ctx).await?;
    let version = t.version;
    Ok(with_etag(
        version,
        OrganizationProfile {
            id: t.id.to_string(),
            tenant_id: t.id.to_string(),
            company_name: t.display_name,
            domain: t.domain,
            email,
            country: t.country,
            culture: lang.clone(),
            language: lang.split('-').next().unwrap_or("en").to_string(),
            profile_type: ProfileType::Organization,
            attributes: Attributes::with_etag("OrganizationProfile", version),
        },
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct MpnQuery {
    /// Look up another partner by its partner-network id.
    pub mpn_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MpnProfile {
    pub partner_name: String,
    /// The location id: name it as partner of record and when a provider asks for it.
    pub mpn_id: String,
    /// The organisation's partner-network id (the membership).
    pub org_mpn_id: String,
    /// The partner's directory tenant id (accepted wherever a partner is named).
    pub tenant_id: String,
    pub profile_type: ProfileType,
    pub attributes: Attributes,
}

/// The caller's partner-network id, or another authorized partner's by `mpnId`.
#[utoipa::path(get, path = "/v1/profiles/mpn", tag = "profiles", params(MpnQuery),
    responses((status = 200, body = MpnProfile), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get_mpn(
    State(app): State<App>,
    Caller(ctx): Caller,
    Query(q): Query<MpnQuery>,
) -> ApiResult<Json<MpnProfile>> {
    let (p, t) = profiles::mpn(&app, &ctx, q.mpn_id).await?;
    Ok(Json(MpnProfile {
        partner_name: t.display_name,
        mpn_id: p.mpn_id.to_string(),
        org_mpn_id: p.org_mpn_id.to_string(),
        tenant_id: p.tenant_id.to_string(),
        profile_type: ProfileType::Mpn,
        attributes: Attributes::of("MpnProfile"),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationUpdate {
    pub company_name: String,
    #[serde(default)]
    pub attributes: Option<EtagAttributes>,
}

/// Renames the organisation (send `If-Match`); other fields come from the directory.
#[utoipa::path(put, path = "/v1/profiles/organization", tag = "profiles", request_body = OrganizationUpdate,
    params(("If-Match" = Option<String>, Header)),
    responses((status = 200, body = OrganizationProfile), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody), (status = 412, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn put_organization(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Body(b): Body<OrganizationUpdate>,
) -> ApiResult<Response> {
    let expected = expected_version(&headers, body_etag(&b.attributes).as_deref())?;
    profiles::rename(&app, &ctx, &b.company_name, expected).await?;
    get_organization(State(app), Caller(ctx)).await
}
