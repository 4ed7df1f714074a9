//! `/v1/customers` and everything under it, `/v1/customerinvitations` (the customer answers a
//! request) and `/v1/customer/*` (the customer's own view of its partners).

use super::collection::{
    etag, expected_version, single_page, Attributes, Collection, EtagAttributes, Page, PageQuery,
};
use super::customer_page::CustomerPage;
use super::error::ApiResult;
use super::extract::{Body, Caller};
use super::extract::{Path, Query};
use super::json::Json;
use crate::app::customer_lists::{self as lists, GrantView, PartnerOfCustomer, TenantRow, UserRow};
use crate::app::customer_users::{self, NewCustomerUser, Patch, DIRECTORY_ROLES};
use crate::app::customers::{self as uc, NewCustomer};
use crate::app::{licenses, App, Ctx};
use crate::domain::authz::{Action, Resource};
use crate::domain::customer::{
    parse_filter, parse_roles, AccessRequest, CustomerFilter, GrantRole,
};
use crate::domain::ids::{CustomerInvitationId, GrantId, TenantId};
use crate::domain::Error;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompanyProfile {
    pub tenant_id: String,
    pub domain: String,
    pub company_name: String,
    pub country: String,
    pub attributes: Attributes,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserCredentials {
    pub user_name: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub id: String,
    /// The customer's commerce account id; this server has one id per customer, its tenant id.
    pub commerce_id: String,
    pub company_profile: CompanyProfile,
    /// The billing profile (single reads and creation; `GET .../profiles/billing` reads it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub billing_profile: Option<serde_json::Value>,
    /// `reseller` for a partner with a relationship, `none` otherwise.
    pub relationship_to_partner: String,
    /// The caller holds a live delegated-admin grant (single reads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_delegated_access: Option<bool>,
    /// The indirect reseller the caller (a provider) serves this customer through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub associated_partner_id: Option<String>,
    /// Shown once, when a provider creates the customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_credentials: Option<UserCredentials>,
    pub links: CustomerLinks,
    pub attributes: Attributes,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerLinks {
    #[serde(rename = "self")]
    pub self_link: super::collection::Link,
}

fn customer_links(id: &str) -> CustomerLinks {
    CustomerLinks {
        self_link: super::collection::Link {
            uri: format!("/customers/{id}"),
            method: "GET".into(),
            headers: vec![],
        },
    }
}

/// `id` is the tenant id as text ([`customer`] formats it once for all the places it appears).
fn company(id: String, domain: String, name: String, country: String) -> CompanyProfile {
    CompanyProfile {
        tenant_id: id,
        domain,
        company_name: name,
        country,
        attributes: Attributes::of("CustomerCompanyProfile"),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerListQuery {
    /// Page size, 1 to 500.
    pub size: Option<u32>,
    /// `{"Field":"CompanyName"|"Domain"|"IndirectReseller"|"IndirectCloudSolutionProvider","Value":"...","Operator":"starts_with"}`
    pub filter: Option<String>,
    #[serde(rename = "seekOperation")]
    pub seek_operation: Option<String>,
}

/// The caller's customers, by name (keyset pages). A provider's items name the reseller.
#[utoipa::path(get, path = "/v1/customers", tag = "customers", params(CustomerListQuery),
    responses((status = 200, body = Collection<Customer>), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(q): Query<CustomerListQuery>,
) -> ApiResult<CustomerPage> {
    let (filter, page) = list_request(
        &headers,
        &q,
        &ctx.actor.tenant.to_string(),
        &app.keys.paging_secret,
    )?;
    let (rows, total) =
        lists::page(&app, &ctx, filter.as_ref(), page.position(), page.fetch()).await?;
    let path = match &q.filter {
        Some(f) if !f.is_empty() => format!("/v1/customers?filter={}", crate::web::url_escape(f)),
        _ => "/v1/customers".into(),
    };
    Ok(CustomerPage(page.finish(
        rows,
        total,
        &path,
        &app.keys.paging_secret,
        lists::customer_sort_key,
        |r| r,
    )))
}

/// The filter and the page a customer list request asks for, `tenant` being the caller's
/// organisation (a continuation token only works for its own list). The `Caller` extractor
/// reads the same to fetch an unfiltered page with the caller (`app::seen`).
pub(super) fn list_request(
    headers: &HeaderMap,
    q: &CustomerListQuery,
    tenant: &str,
    paging_secret: &[u8],
) -> Result<(Option<CustomerFilter>, Page), Error> {
    let filter = q
        .filter
        .as_deref()
        .filter(|f| !f.is_empty())
        .map(parse_filter)
        .transpose()?;
    let fingerprint = format!(
        "customers:{tenant}:{}",
        q.filter.as_deref().unwrap_or_default()
    );
    let page = Page::from_request(
        headers,
        &PageQuery {
            size: q.size,
            seek_operation: None,
        },
        &fingerprint,
        paging_secret,
    )?;
    Ok((filter, page))
}

/// A customer as every response shows it: its id (formatted once for the four places it
/// appears), company profile and links, a reseller relationship, and the indirect reseller
/// `via`, as lists show it (`customer_page` writes the same without building it). Single
/// reads and creation add what only they show.
pub(super) fn customer(
    id: TenantId,
    domain: String,
    name: String,
    country: String,
    via: Option<TenantId>,
) -> Customer {
    let id = id.to_string();
    Customer {
        id: id.clone(),
        commerce_id: id.clone(),
        billing_profile: None,
        links: customer_links(&id),
        company_profile: company(id, domain, name, country),
        relationship_to_partner: "reseller".into(),
        allow_delegated_access: None,
        associated_partner_id: via.map(|v| v.to_string()),
        user_credentials: None,
        attributes: Attributes::of("Customer"),
    }
}

fn customer_dto(
    t: TenantRow,
    facts: crate::domain::customer::CustomerFacts,
    via: Option<TenantId>,
) -> Customer {
    Customer {
        relationship_to_partner: if facts.relationship {
            "reseller".into()
        } else {
            "none".into()
        },
        allow_delegated_access: Some(!facts.grants.is_empty()),
        ..customer(t.id, t.domain, t.display_name, t.country, via)
    }
}

/// One customer the caller serves (or the caller's own tenant, for a customer).
#[utoipa::path(get, path = "/v1/customers/{customerId}", tag = "customers", params(("customerId" = String, Path)),
    responses((status = 200, body = Customer), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Customer>> {
    let (t, f, via) = uc::visible_with_reseller(&app, &ctx, &id).await?;
    let mut dto = customer_dto(t, f, via);
    dto.billing_profile = billing_if_allowed(&app, &ctx, &id).await?;
    Ok(Json(dto))
}

/// The billing profile when the caller may read it and one is set; a caller who may see the
/// customer but not its billing gets the customer without it.
async fn billing_if_allowed(
    app: &App,
    ctx: &Ctx,
    id: &str,
) -> Result<Option<serde_json::Value>, Error> {
    match uc::billing(app, ctx, id).await {
        Ok((b, _)) if b.as_object().is_some_and(|o| !o.is_empty()) => Ok(Some(b)),
        Ok(_) | Err(Error::Forbidden(_)) | Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerPatch {
    /// `none` ends the caller's reseller relationship with the customer.
    pub relationship_to_partner: String,
    pub attributes: Option<EtagAttributes>,
}

/// Ends the caller's relationship with a customer (`relationshipToPartner: none`).
#[utoipa::path(patch, path = "/v1/customers/{customerId}", tag = "customers", request_body = CustomerPatch,
    params(("customerId" = String, Path)),
    responses((status = 200, body = Customer), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn patch(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(b): Body<CustomerPatch>,
) -> ApiResult<Json<Customer>> {
    if !b.relationship_to_partner.eq_ignore_ascii_case("none") {
        return Err(Error::field(
            "relationshipToPartner",
            "only none is accepted: it ends your relationship",
        )
        .into());
    }
    let (t, f, via) = uc::visible_with_reseller(&app, &ctx, &id).await?;
    uc::end_from_partner(&app, &ctx, &id).await?;
    let facts = crate::domain::customer::CustomerFacts {
        relationship: false,
        grants: Default::default(),
        ..f
    };
    Ok(Json(customer_dto(t, facts, via)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCustomerCompany {
    pub domain: String,
    /// Read from `billingProfile.companyName` when left out, as the public contract places it.
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCustomerBody {
    pub company_profile: NewCustomerCompany,
    /// `{firstName, lastName, email, culture, language, companyName, defaultAddress{country, ...}}`
    #[schema(value_type = Option<Object>)]
    pub billing_profile: Option<serde_json::Value>,
    /// The indirect reseller (tenant id or partner-network id) the customer is created for.
    pub associated_partner_id: String,
    pub attributes: Option<EtagAttributes>,
}

/// A provider creates a customer tenant for a partnered reseller; the admin credentials are
/// in this response only.
#[utoipa::path(post, path = "/v1/customers", tag = "customers", request_body = NewCustomerBody,
    params(("MS-RequestId" = Option<String>, Header)),
    responses((status = 201, body = Customer), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(mut b): Body<NewCustomerBody>,
) -> ApiResult<Response> {
    b.billing_profile = b.billing_profile.map(super::lenient::camel_keys);
    let company_name = b
        .company_profile
        .company_name
        .clone()
        .or_else(|| {
            b.billing_profile
                .as_ref()
                .and_then(|p| p.get("companyName"))
                .and_then(|c| c.as_str())
                .map(str::to_string)
        })
        .ok_or_else(|| {
            Error::field(
                "billingProfile.companyName",
                "name the customer's company in billingProfile.companyName",
            )
        })?;
    let country = b
        .company_profile
        .country
        .clone()
        .or_else(|| {
            b.billing_profile
                .as_ref()
                .and_then(|p| p.pointer("/defaultAddress/country"))
                .and_then(|c| c.as_str())
                .map(str::to_string)
        })
        .unwrap_or_default();
    let (t, admin, password, reseller) = uc::create_for_reseller(
        &app,
        &ctx,
        NewCustomer {
            domain: b.company_profile.domain,
            company_name,
            country,
            billing: b.billing_profile.clone().unwrap_or(serde_json::Value::Null),
            associated_partner_id: b.associated_partner_id,
        },
    )
    .await?;
    let dto = Customer {
        billing_profile: b.billing_profile,
        allow_delegated_access: Some(false),
        user_credentials: Some(UserCredentials {
            user_name: admin.upn,
            password,
        }),
        ..customer(t.id, t.domain, t.display_name, t.country, Some(reseller))
    };
    Ok((StatusCode::CREATED, Json(dto)).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerPartner {
    pub id: String,
    pub name: String,
    pub mpn_id: Option<String>,
    pub location: String,
    /// `is_indirect_reseller_of` or `is_indirect_cloud_solution_provider_of` (through a reseller).
    pub relationship_type: String,
    pub state: String,
    /// For a provider: the reseller it serves the customer through.
    pub indirect_reseller_id: Option<String>,
    pub since: String,
    pub attributes: Attributes,
}

/// The partners with an active relationship with a customer, by name (keyset pages).
#[utoipa::path(get, path = "/v1/customers/{customerId}/relationships", tag = "customers", params(("customerId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<CustomerPartner>), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn relationships(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<CustomerPartner>>> {
    let path = format!("/v1/customers/{id}/relationships");
    let page = Page::from_request(&headers, &pq, &path, &app.keys.paging_secret)?;
    let (rows, total) =
        lists::partners_page(&app, &ctx, &id, page.position(), page.fetch()).await?;
    Ok(Json(page.finish(
        rows,
        total,
        &path,
        &app.keys.paging_secret,
        lists::partner_sort_key,
        partner_dto,
    )))
}

fn partner_dto(p: PartnerOfCustomer) -> CustomerPartner {
    CustomerPartner {
        id: p.partner.to_string(),
        name: p.name,
        mpn_id: p.mpn_id.map(|m| m.to_string()),
        location: p.country,
        relationship_type: if p.indirect_reseller.is_some() {
            "is_indirect_cloud_solution_provider_of".into()
        } else {
            "is_indirect_reseller_of".into()
        },
        state: p.state.wire().into(),
        indirect_reseller_id: p.indirect_reseller.map(|r| r.to_string()),
        since: crate::clock::from_ms(p.since).to_rfc3339(),
        attributes: Attributes::of("CustomerPartnerRelationship"),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct RequestQuery {
    /// Ask for a relationship with this provider (tenant id) as well.
    pub indirect_cloud_solution_provider_id: Option<String>,
    /// Delegated-admin roles to ask for, comma-separated (none: no admin access).
    pub roles: Option<String>,
    /// Grant duration in days, 1 to 730.
    pub duration_days: Option<i64>,
    pub auto_extend: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RelationshipRequest {
    /// The request's id: `DELETE /v1/customers/relationshiprequests/{id}` withdraws it.
    pub id: String,
    pub url: String,
    /// The API call that accepts, for a customer that works through the API:
    /// `POST /v1/customerinvitations/accept` with `{"token": ..., "consent": true}`.
    pub token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft_email: Option<super::partnerships::DraftEmail>,
    pub expires_at: String,
    pub attributes: Attributes,
}

fn access_of(
    roles: &[String],
    days: Option<i64>,
    auto: Option<bool>,
) -> Result<AccessRequest, Error> {
    let roles = parse_roles(roles, "roles")?;
    Ok(AccessRequest {
        duration_days: if roles.is_empty() {
            0
        } else {
            days.unwrap_or(90)
        },
        auto_extend: auto.unwrap_or(false),
        roles,
    })
}

async fn request_dto(
    app: &App,
    ctx: &Ctx,
    provider: Option<TenantId>,
    access: AccessRequest,
    email: Option<&str>,
) -> Result<RelationshipRequest, Error> {
    let r = uc::request(app, ctx, provider, access, email).await?;
    let mailto = format!(
        "mailto:{}?subject={}&body={}",
        email.unwrap_or(""),
        crate::web::url_escape(&r.subject),
        crate::web::url_escape(&r.body)
    );
    let token = r.url.split("token=").nth(1).unwrap_or_default().to_string();
    Ok(RelationshipRequest {
        id: r.invitation.id.to_string(),
        token,
        url: r.url,
        expires_at: crate::clock::from_ms(r.invitation.expires_at).to_rfc3339(),
        draft_email: Some(super::partnerships::DraftEmail {
            subject: r.subject,
            body: r.body,
            mailto,
        }),
        attributes: Attributes::of("RelationshipRequest"),
    })
}

/// A personal link asking a customer for a reseller relationship (with the provider too when
/// `indirectCloudSolutionProviderId` is given). Each call makes a new single-use link.
#[utoipa::path(get, path = "/v1/customers/relationshiprequests", tag = "customers", params(RequestQuery),
    responses((status = 200, body = RelationshipRequest), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn request_link(
    State(app): State<App>,
    Caller(ctx): Caller,
    Query(q): Query<RequestQuery>,
) -> ApiResult<Json<RelationshipRequest>> {
    let roles: Vec<String> = q
        .roles
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().to_string())
        .collect();
    let access = access_of(&roles, q.duration_days, q.auto_extend)?;
    let provider = crate::app::partnerships::provider_named(
        &app,
        q.indirect_cloud_solution_provider_id.as_deref(),
        "indirectCloudSolutionProviderId",
    )
    .await?;
    Ok(Json(request_dto(&app, &ctx, provider, access, None).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestBody {
    pub indirect_cloud_solution_provider_id: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    pub duration_days: Option<i64>,
    pub auto_extend: Option<bool>,
    /// Send the request to this address through Partner Hub.
    pub email: Option<String>,
}

/// The same as the GET, with a body, and optionally sent by mail.
#[utoipa::path(post, path = "/v1/customers/relationshiprequests", tag = "customers", request_body = RequestBody,
    params(("MS-RequestId" = Option<String>, Header)),
    responses((status = 201, body = RelationshipRequest), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn request_post(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<RequestBody>,
) -> ApiResult<Response> {
    let access = access_of(&b.roles, b.duration_days, b.auto_extend)?;
    let provider = crate::app::partnerships::provider_named(
        &app,
        b.indirect_cloud_solution_provider_id.as_deref(),
        "indirectCloudSolutionProviderId",
    )
    .await?;
    let dto = request_dto(&app, &ctx, provider, access, b.email.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(dto)).into_response())
}

/// The reseller withdraws a relationship request; its link stops working.
#[utoipa::path(delete, path = "/v1/customers/relationshiprequests/{requestId}", tag = "customers",
    params(("requestId" = String, Path)),
    responses((status = 204, description = "withdrawn"), (status = 404, body = super::error::ApiErrorBody),
        (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_request(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    uc::revoke_request(&app, &ctx, CustomerInvitationId::named(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = CustomerInvitationToken)]
pub struct TokenBody {
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CustomerInvitationPreview)]
pub struct InvitationPreview {
    pub reseller: String,
    pub provider: Option<String>,
    pub roles: Vec<GrantRole>,
    pub duration_days: i64,
    pub auto_extend: bool,
    pub state: String,
    pub expires_at: String,
    pub attributes: Attributes,
}

/// What a relationship request asks for (the customer's administrator, before answering).
#[utoipa::path(post, path = "/v1/customerinvitations/preview", tag = "customers", request_body = TokenBody,
    responses((status = 200, body = InvitationPreview), (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn preview(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<TokenBody>,
) -> ApiResult<Json<InvitationPreview>> {
    ctx.require(Action::ReadTenant, Resource::Tenant(ctx.actor.tenant))?;
    let p = uc::preview(&app, &b.token).await?;
    Ok(Json(InvitationPreview {
        reseller: p.reseller,
        provider: p.provider,
        roles: p.invitation.roles.clone(),
        duration_days: p.invitation.duration_days,
        auto_extend: p.invitation.auto_extend,
        state: p.state.as_str().into(),
        expires_at: crate::clock::from_ms(p.invitation.expires_at).to_rfc3339(),
        attributes: Attributes::of("CustomerInvitationPreview"),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptRequestBody {
    pub token: String,
    /// Consent to the delegated access the request asks for (required when it asks for any);
    /// recorded with the time and the user.
    #[serde(default)]
    pub consent: bool,
}

/// The customer's global administrator accepts: relationships and grants start now. A
/// provider named in the request gets nothing if its partnership ended meanwhile.
#[utoipa::path(post, path = "/v1/customerinvitations/accept", tag = "customers", request_body = AcceptRequestBody,
    params(("MS-RequestId" = Option<String>, Header)),
    responses((status = 200, body = Collection<CustomerPartner>), (status = 403, body = super::error::ApiErrorBody),
        (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn accept(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<AcceptRequestBody>,
) -> ApiResult<Json<Collection<CustomerPartner>>> {
    uc::accept(&app, &ctx, &b.token, b.consent).await?;
    my_partners(
        State(app),
        Caller(ctx),
        HeaderMap::new(),
        Query(PageQuery::default()),
    )
    .await
}

/// The customer declines a request; its link stops working.
#[utoipa::path(post, path = "/v1/customerinvitations/decline", tag = "customers", request_body = TokenBody,
    responses((status = 204, description = "declined"), (status = 403, body = super::error::ApiErrorBody),
        (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn decline(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<TokenBody>,
) -> ApiResult<StatusCode> {
    uc::decline(&app, &ctx, &b.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    pub id: String,
    pub partner_id: String,
    pub partner_name: String,
    pub roles: Vec<GrantRole>,
    /// active, expired or revoked.
    pub status: String,
    pub auto_extend: bool,
    pub created_at: String,
    pub expires_at: String,
    pub attributes: Attributes,
}

/// The customer's partners, active relationships first, then by name (keyset pages).
#[utoipa::path(get, path = "/v1/customer/partners", tag = "customers", params(PageQuery),
    responses((status = 200, body = Collection<CustomerPartner>), (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn my_partners(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<CustomerPartner>>> {
    let page = Page::from_request(
        &headers,
        &pq,
        &format!("customer-partners:{}", ctx.actor.tenant),
        &app.keys.paging_secret,
    )?;
    let (rows, total) = lists::own_partners_page(&app, &ctx, page.position(), page.fetch()).await?;
    Ok(Json(page.finish(
        rows,
        total,
        "/v1/customer/partners",
        &app.keys.paging_secret,
        lists::partner_sort_key,
        partner_dto,
    )))
}

/// Every delegated-admin grant on the customer's tenant, live or ended, newest first (keyset
/// pages).
#[utoipa::path(get, path = "/v1/customer/grants", tag = "customers", params(PageQuery),
    responses((status = 200, body = Collection<Grant>), (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn my_grants(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<Grant>>> {
    let page = Page::from_request(
        &headers,
        &pq,
        &format!("customer-grants:{}", ctx.actor.tenant),
        &app.keys.paging_secret,
    )?;
    let (rows, total) = lists::own_grants_page(&app, &ctx, page.position(), page.fetch()).await?;
    Ok(Json(page.finish(
        rows,
        total,
        "/v1/customer/grants",
        &app.keys.paging_secret,
        lists::grant_sort_key,
        grant_dto,
    )))
}

pub fn grant_dto(g: GrantView) -> Grant {
    Grant {
        id: g.grant.id.to_string(),
        partner_id: g.grant.partner.to_string(),
        partner_name: g.partner_name,
        roles: g.grant.roles,
        status: g.shown_status,
        auto_extend: g.grant.auto_extend,
        created_at: crate::clock::from_ms(g.grant.created_at).to_rfc3339(),
        expires_at: crate::clock::from_ms(g.grant.expires_at).to_rfc3339(),
        attributes: Attributes::of("DelegatedAdminGrant"),
    }
}

/// The customer ends a partner's relationship and every grant it holds.
#[utoipa::path(delete, path = "/v1/customer/partners/{partnerId}", tag = "customers", params(("partnerId" = String, Path)),
    responses((status = 204, description = "revoked"), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_partner(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    // The partner is named by its tenant id or partner-network id.
    let partner: TenantId = crate::app::partnerships::find_partner(&app, &id)
        .await?
        .map(|p| p.tenant_id)
        .ok_or(Error::NotFound("partner relationship"))?;
    uc::revoke_partner(&app, &ctx, partner).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The customer ends one grant and keeps the relationship.
#[utoipa::path(delete, path = "/v1/customer/grants/{grantId}", tag = "customers", params(("grantId" = String, Path)),
    responses((status = 200, body = Grant), (status = 404, body = super::error::ApiErrorBody), (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_grant(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Grant>> {
    Ok(Json(grant_dto(
        lists::revoke_grant(&app, &ctx, GrantId::named(&id)?).await?,
    )))
}

/// The customer's company profile.
#[utoipa::path(get, path = "/v1/customers/{customerId}/profiles/company", tag = "customers", params(("customerId" = String, Path)),
    responses((status = 200, body = CompanyProfile), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn company_profile(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<CompanyProfile>> {
    let (t, _) = uc::visible(&app, &ctx, &id).await?;
    Ok(Json(company(
        t.id.to_string(),
        t.domain,
        t.display_name,
        t.country,
    )))
}

/// The customer's billing profile, with its ETag.
#[utoipa::path(get, path = "/v1/customers/{customerId}/profiles/billing", tag = "customers", params(("customerId" = String, Path)),
    responses((status = 200, description = "billing profile"), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn billing(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (mut b, version) = uc::billing(&app, &ctx, &id).await?;
    b["attributes"] =
        serde_json::json!({ "objectType": "CustomerBillingProfile", "etag": etag(version) });
    Ok(([(header::ETAG, etag(version))], Json(b)).into_response())
}

/// Replaces the billing profile; send `If-Match` (or `attributes.etag`) from your read.
#[utoipa::path(put, path = "/v1/customers/{customerId}/profiles/billing", tag = "customers", params(("customerId" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = Object, description = "billing profile"),
    responses((status = 200, description = "billing profile"), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody), (status = 412, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn put_billing(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(b): Body<serde_json::Value>,
) -> ApiResult<Response> {
    let mut b = super::lenient::camel_keys(b);
    if !b.is_object() {
        return Err(Error::field(
            "billingProfile",
            "send the billing profile as a JSON object",
        )
        .into());
    }
    let body_tag = b
        .pointer("/attributes/etag")
        .and_then(|e| e.as_str())
        .map(str::to_string);
    let expected = expected_version(&headers, body_tag.as_deref())?;
    if let Some(o) = b.as_object_mut() {
        o.remove("attributes");
    }
    let (mut saved, version) = uc::update_billing(&app, &ctx, &id, b, expected).await?;
    saved["attributes"] =
        serde_json::json!({ "objectType": "CustomerBillingProfile", "etag": etag(version) });
    Ok(([(header::ETAG, etag(version))], Json(saved)).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerUser {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
    /// `active` or `inactive` (deleted, restorable for 30 days).
    pub state: String,
    /// Two-letter country where the user's services are used, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_profile: Option<serde_json::Value>,
    pub attributes: Attributes,
}

fn user_dto(u: UserRow) -> CustomerUser {
    CustomerUser {
        id: u.id.to_string(),
        user_principal_name: u.upn,
        display_name: u.display_name,
        first_name: u.first_name,
        last_name: u.last_name,
        state: u.state.as_str().into(),
        usage_location: u.usage_location,
        password_profile: None,
        attributes: Attributes::with_etag("CustomerUser", u.version),
    }
}

/// The customer's users (needs a grant with a directory role).
#[utoipa::path(get, path = "/v1/customers/{customerId}/users", tag = "customers", params(("customerId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<CustomerUser>), (status = 403, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn users(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Collection<CustomerUser>>> {
    let fingerprint = format!("customer-users:{id}");
    let page = Page::from_request(&headers, &q, &fingerprint, &app.keys.paging_secret)?;
    let after = page.after.as_ref().map(|c| (c.key.as_str(), c.id.as_str()));
    let (rows, total) = customer_users::list(&app, &ctx, &id, after, page.size + 1).await?;
    Ok(Json(page.finish(
        rows,
        total,
        &format!("/v1/customers/{id}/users"),
        &app.keys.paging_secret,
        |u| (u.upn.clone(), u.id.to_string()),
        user_dto,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = NewCustomerUserBody)]
pub struct NewUserBody {
    pub user_principal_name: String,
    pub display_name: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub usage_location: Option<String>,
    /// `{password, forceChangePassword}`; without it a password is generated.
    #[schema(value_type = Option<Object>)]
    pub password_profile: Option<serde_json::Value>,
    pub attributes: Option<EtagAttributes>,
}

/// Adds a user to the customer's directory.
#[utoipa::path(post, path = "/v1/customers/{customerId}/users", tag = "customers", params(("customerId" = String, Path)),
    request_body = NewUserBody,
    responses((status = 201, body = CustomerUser), (status = 400, body = super::error::ApiErrorBody), (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn create_user(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(b): Body<NewUserBody>,
) -> ApiResult<Response> {
    let given = b
        .password_profile
        .as_ref()
        .and_then(|p| p.get("password"))
        .and_then(|p| p.as_str())
        .map(str::to_string);
    let (u, password) = customer_users::create(
        &app,
        &ctx,
        &id,
        NewCustomerUser {
            upn: b.user_principal_name,
            display_name: b.display_name,
            first_name: b.first_name,
            last_name: b.last_name,
            password: given.clone(),
            usage_location: b.usage_location,
        },
    )
    .await?;
    let mut dto = user_dto(u);
    if given.is_none() {
        dto.password_profile =
            Some(serde_json::json!({ "password": password, "forceChangePassword": true }));
    }
    Ok((StatusCode::CREATED, Json(dto)).into_response())
}

/// One user of the customer.
#[utoipa::path(get, path = "/v1/customers/{customerId}/users/{userId}", tag = "customers", params(("customerId" = String, Path), ("userId" = String, Path)),
    responses((status = 200, body = CustomerUser), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get_user(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, uid)): Path<(String, String)>,
) -> ApiResult<Json<CustomerUser>> {
    Ok(Json(user_dto(
        customer_users::get(&app, &ctx, &id, &uid).await?,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = CustomerUserPatchBody)]
pub struct UserPatchBody {
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `active` restores a deleted user.
    pub state: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub password_profile: Option<serde_json::Value>,
    pub user_principal_name: Option<String>,
    pub usage_location: Option<String>,
    pub attributes: Option<EtagAttributes>,
}

/// Changes a user, resets its password, or restores it after deletion.
#[utoipa::path(patch, path = "/v1/customers/{customerId}/users/{userId}", tag = "customers", params(("customerId" = String, Path), ("userId" = String, Path)),
    request_body = UserPatchBody,
    responses((status = 200, body = CustomerUser), (status = 400, body = super::error::ApiErrorBody), (status = 403, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn patch_user(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, uid)): Path<(String, String)>,
    Body(b): Body<UserPatchBody>,
) -> ApiResult<Json<CustomerUser>> {
    let new_password = b
        .password_profile
        .as_ref()
        .and_then(|p| p.get("password"))
        .and_then(|p| p.as_str())
        .map(str::to_string);
    let u = customer_users::update(
        &app,
        &ctx,
        &id,
        &uid,
        Patch {
            display_name: b.display_name,
            first_name: b.first_name,
            last_name: b.last_name,
            state: b.state,
            new_password,
            usage_location: b.usage_location,
        },
    )
    .await?;
    Ok(Json(user_dto(u)))
}

/// Deletes a user: inactive for 30 days (restorable), then purged.
#[utoipa::path(delete, path = "/v1/customers/{customerId}/users/{userId}", tag = "customers", params(("customerId" = String, Path), ("userId" = String, Path)),
    responses((status = 204, description = "deleted"), (status = 403, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_user(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, uid)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    customer_users::delete(&app, &ctx, &id, &uid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryRole {
    pub id: String,
    pub name: String,
    pub attributes: Attributes,
}

fn role_dto(
    (g, r): (
        crate::domain::customer::GrantRole,
        crate::domain::identity::Role,
    ),
) -> DirectoryRole {
    DirectoryRole {
        id: g.role_id().into(),
        name: r.as_str().into(),
        attributes: Attributes::of("DirectoryRole"),
    }
}

/// The directory roles partners manage in the customer's tenant.
#[utoipa::path(get, path = "/v1/customers/{customerId}/directoryroles", tag = "customers", params(("customerId" = String, Path)),
    responses((status = 200, body = Collection<DirectoryRole>), (status = 403, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn directory_roles(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Collection<DirectoryRole>>> {
    uc::authorized(&app, &ctx, &id, Action::ReadCustomerUsers).await?;
    let rows: Vec<_> = DIRECTORY_ROLES.to_vec();
    Ok(Json(single_page(
        &app.keys.paging_secret,
        rows,
        &format!("/v1/customers/{id}/directoryroles"),
        |(g, _)| (String::new(), g.role_id().into()),
        role_dto,
    )?))
}

/// The directory roles a customer's user holds.
#[utoipa::path(get, path = "/v1/customers/{customerId}/users/{userId}/directoryroles", tag = "customers",
    params(("customerId" = String, Path), ("userId" = String, Path)),
    responses((status = 200, body = Collection<DirectoryRole>), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn user_directory_roles(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, uid)): Path<(String, String)>,
) -> ApiResult<Json<Collection<DirectoryRole>>> {
    let rows = customer_users::roles_of(&app, &ctx, &id, &uid).await?;
    Ok(Json(single_page(
        &app.keys.paging_secret,
        rows,
        &format!("/v1/customers/{id}/users/{uid}/directoryroles"),
        |(g, _)| (String::new(), g.role_id().into()),
        role_dto,
    )?))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserMember {
    pub id: String,
    pub display_name: String,
    pub user_principal_name: String,
    pub attributes: Attributes,
}

/// Members of one directory role, by sign-in name (keyset pages).
#[utoipa::path(get, path = "/v1/customers/{customerId}/directoryroles/{roleId}/usermembers", tag = "customers",
    params(("customerId" = String, Path), ("roleId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<UserMember>), (status = 403, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn role_members(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, role)): Path<(String, String)>,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<UserMember>>> {
    let path = format!("/v1/customers/{id}/directoryroles/{role}/usermembers");
    let page = Page::from_request(&headers, &pq, &path, &app.keys.paging_secret)?;
    let (rows, total) =
        lists::role_members_page(&app, &ctx, &id, &role, page.position(), page.fetch()).await?;
    Ok(Json(page.finish(
        rows,
        total,
        &path,
        &app.keys.paging_secret,
        |u| (u.upn.clone(), u.id.to_string()),
        member_dto,
    )))
}

fn member_dto(u: UserRow) -> UserMember {
    UserMember {
        id: u.id.to_string(),
        display_name: u.display_name,
        user_principal_name: u.upn,
        attributes: Attributes::of("UserMember"),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewMember {
    /// The user's id.
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    #[serde(default)]
    pub attributes: Option<EtagAttributes>,
}

/// Adds a user to a directory role.
#[utoipa::path(post, path = "/v1/customers/{customerId}/directoryroles/{roleId}/usermembers", tag = "customers",
    params(("customerId" = String, Path), ("roleId" = String, Path)), request_body = NewMember,
    responses((status = 201, body = UserMember), (status = 403, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn add_member(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, role)): Path<(String, String)>,
    Body(b): Body<NewMember>,
) -> ApiResult<Response> {
    let u = customer_users::set_member(&app, &ctx, &id, &role, &b.id, true).await?;
    Ok((StatusCode::CREATED, Json(member_dto(u))).into_response())
}

/// Removes a user from a directory role.
#[utoipa::path(delete, path = "/v1/customers/{customerId}/directoryroles/{roleId}/usermembers/{userId}", tag = "customers",
    params(("customerId" = String, Path), ("roleId" = String, Path), ("userId" = String, Path)),
    responses((status = 204, description = "removed"), (status = 403, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody), (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn remove_member(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, role, uid)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    customer_users::set_member(&app, &ctx, &id, &role, &uid, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscribedSku {
    pub available_units: i64,
    pub active_units: i64,
    pub consumed_units: i64,
    pub suspended_units: i64,
    pub total_units: i64,
    #[schema(value_type = Object)]
    pub product_sku: serde_json::Value,
    pub attributes: Attributes,
}

/// Seats per SKU: purchased (active), assigned (consumed) and available (one row per SKU
/// the customer holds: read whole, paged in memory).
#[utoipa::path(get, path = "/v1/customers/{customerId}/subscribedskus", tag = "customers", params(("customerId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<SubscribedSku>), (status = 403, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn subscribed_skus(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<SubscribedSku>>> {
    let path = format!("/v1/customers/{id}/subscribedskus");
    let page = Page::from_request(&headers, &pq, &path, &app.keys.paging_secret)?;
    let rows = licenses::subscribed_skus(&app, &ctx, &id).await?;
    Ok(Json(page.finish_in_memory(
        rows,
        &path,
        &app.keys.paging_secret,
        |s| (String::new(), s.sku_id.clone()),
        |s| SubscribedSku {
            available_units: s.available(),
            active_units: s.active_units,
            consumed_units: s.consumed_units,
            suspended_units: s.suspended_units,
            total_units: s.active_units + s.suspended_units,
            product_sku: serde_json::json!({ "id": s.sku_id, "name": s.name, "skuPartNumber": s.sku, "targetType": "User" }),
            attributes: Attributes::of("SubscribedSku"),
        },
    )))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct License {
    #[schema(value_type = Object)]
    pub product_sku: serde_json::Value,
    pub attributes: Attributes,
}

/// Licenses one user holds (at most one per SKU of the catalog: read whole, paged in memory).
#[utoipa::path(get, path = "/v1/customers/{customerId}/users/{userId}/licenses", tag = "customers",
    params(("customerId" = String, Path), ("userId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<License>), (status = 403, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn user_licenses(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, uid)): Path<(String, String)>,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<License>>> {
    let path = format!("/v1/customers/{id}/users/{uid}/licenses");
    let page = Page::from_request(&headers, &pq, &path, &app.keys.paging_secret)?;
    let rows = licenses::user_licenses(&app, &ctx, &id, &uid).await?;
    Ok(Json(page.finish_in_memory(
        rows,
        &path,
        &app.keys.paging_secret,
        |s| (String::new(), s.clone()),
        |s| License {
            product_sku: serde_json::json!({ "id": s }),
            attributes: Attributes::of("License"),
        },
    )))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenseToAssign {
    /// `productId:skuId`.
    pub sku_id: String,
    #[serde(default)]
    pub excluded_plans: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LicenseUpdate {
    #[serde(default)]
    pub licenses_to_assign: Vec<LicenseToAssign>,
    #[serde(default)]
    pub licenses_to_remove: Vec<String>,
    pub attributes: Option<EtagAttributes>,
}

/// A license warning of the public contract (this server refuses instead of warning, so the
/// list is always empty; it is declared so clients can read it).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenseWarning {
    pub code: String,
    pub message: String,
}

/// The license update as applied: what was assigned and removed, with warnings.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenseUpdateResult {
    pub licenses_to_assign: Vec<LicenseToAssign>,
    pub licenses_to_remove: Vec<String>,
    pub license_warnings: Vec<LicenseWarning>,
    pub attributes: Attributes,
}

/// Assigns and removes a user's licenses in one step; beyond the available seats nothing
/// changes. Answers the update as applied (read the licenses with GET .../licenses).
#[utoipa::path(post, path = "/v1/customers/{customerId}/users/{userId}/licenseupdates", tag = "customers",
    params(("customerId" = String, Path), ("userId" = String, Path)), request_body = LicenseUpdate,
    responses((status = 201, body = LicenseUpdateResult), (status = 400, body = super::error::ApiErrorBody), (status = 403, body = super::error::ApiErrorBody),
        (status = 404, body = super::error::ApiErrorBody), (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn license_updates(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, uid)): Path<(String, String)>,
    Body(b): Body<LicenseUpdate>,
) -> ApiResult<Response> {
    let assign: Vec<String> = b
        .licenses_to_assign
        .iter()
        .map(|l| l.sku_id.clone())
        .collect();
    licenses::update(&app, &ctx, &id, &uid, &assign, &b.licenses_to_remove).await?;
    let applied = LicenseUpdateResult {
        licenses_to_assign: b.licenses_to_assign,
        licenses_to_remove: b.licenses_to_remove,
        license_warnings: Vec::new(),
        attributes: Attributes::of("LicenseUpdate"),
    };
    Ok((StatusCode::CREATED, Json(applied)).into_response())
}

/// Customers both partners of a partnership serve, by name (keyset pages).
#[utoipa::path(get, path = "/v1/relationships/{relationshipId}/customers", tag = "partnerships", params(("relationshipId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<Customer>), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn shared(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<CustomerPage> {
    let path = format!("/v1/relationships/{id}/customers");
    let page = Page::from_request(&headers, &pq, &path, &app.keys.paging_secret)?;
    let (rows, total) = lists::shared_page(&app, &ctx, &id, page.position(), page.fetch()).await?;
    Ok(CustomerPage(page.finish(
        rows,
        total,
        &path,
        &app.keys.paging_secret,
        lists::customer_sort_key,
        |r| r,
    )))
}
