//! `/v1/providers` (directory), `/v1/providerlisting`, `/v1/partnershipinvitations`,
//! `/v1/relationships` and `/v1/partners/validateresellers`.

use super::collection::{etag, expected_version, Attributes, Collection, Page, PageQuery};
use super::error::ApiResult;
use super::extract::{Body, Caller};
use super::extract::{Path, Query};
use super::json::Json;
use crate::app::partnerships::{
    self as uc, Counterpart, DirectoryEntry, DirectoryFilter, InvitationRow, InviteInput,
    ListingInput,
};
use crate::app::App;
use crate::domain::ids::PartnerInvitationId;
use crate::domain::partnership::RelationshipType;
use crate::domain::Error;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderListing {
    /// The provider's tenant id.
    pub id: String,
    pub name: String,
    pub mpn_id: String,
    /// The provider's own country.
    pub location: String,
    pub countries: Vec<String>,
    pub services: Vec<String>,
    pub description: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub website: String,
    pub attributes: Attributes,
}

pub fn listing_dto(e: DirectoryEntry) -> ProviderListing {
    let countries = uc::served(&e);
    let l = e.listing;
    ProviderListing {
        id: e.tenant_id.to_string(),
        name: e.name,
        mpn_id: e.mpn_id.to_string(),
        location: e.country,
        countries,
        services: l.as_ref().map(|l| l.services.clone()).unwrap_or_default(),
        description: l
            .as_ref()
            .map(|l| l.description.clone())
            .unwrap_or_default(),
        contact_email: l
            .as_ref()
            .map(|l| l.contact_email.clone())
            .unwrap_or_default(),
        contact_phone: l
            .as_ref()
            .map(|l| l.contact_phone.clone())
            .unwrap_or_default(),
        website: l.as_ref().map(|l| l.website.clone()).unwrap_or_default(),
        attributes: Attributes::with_etag("ProviderListing", l.map(|l| l.version).unwrap_or(0)),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    /// Only providers serving this country (ISO code).
    pub country: Option<String>,
    /// Only providers offering this service (`billing`, `customer_support`,
    /// `financing_and_credit`, `marketing_help`, `technical_assistance`).
    pub service: Option<String>,
    /// Name contains this text (case-insensitive).
    pub name: Option<String>,
    /// Items per page, 1 to 500 (default 100).
    pub size: Option<u32>,
    /// `Next` when following a continuation token.
    #[serde(rename = "seekOperation")]
    pub seek_operation: Option<String>,
}

/// Find a provider: authorized indirect providers, by country served, service and name.
#[utoipa::path(get, path = "/v1/providers", tag = "partnerships", params(DirectoryQuery),
    responses((status = 200, body = Collection<ProviderListing>), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn directory(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(q): Query<DirectoryQuery>,
) -> ApiResult<Json<Collection<ProviderListing>>> {
    let filters: Vec<(&str, &str)> = [
        ("country", &q.country),
        ("service", &q.service),
        ("name", &q.name),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    .collect();
    let filters = serde_urlencoded::to_string(&filters).unwrap_or_default();
    let fingerprint = format!("providers:{filters}");
    let path = if filters.is_empty() {
        "/v1/providers".to_string()
    } else {
        format!("/v1/providers?{filters}")
    };
    let page = Page::from_request(
        &headers,
        &PageQuery {
            size: q.size,
            seek_operation: None,
        },
        &fingerprint,
        &app.keys.paging_secret,
    )?;
    let filter = DirectoryFilter {
        country: q.country,
        service: q.service,
        name: q.name,
    };
    let found = uc::search_as(&app, &ctx, &filter).await?;
    let total = found.len() as i64;
    // The directory is small and filtered in memory; the keyset applies to what matched.
    let sort_key = |e: &DirectoryEntry| (e.name.to_lowercase(), e.tenant_id.to_string());
    let mut found: Vec<_> = found
        .into_iter()
        .filter(|e| {
            page.after
                .as_ref()
                .is_none_or(|c| sort_key(e) > (c.key.clone(), c.id.clone()))
        })
        .collect();
    found.sort_by_key(sort_key);
    found.truncate(page.size as usize + 1);
    Ok(Json(page.finish(
        found,
        total,
        &path,
        &app.keys.paging_secret,
        sort_key,
        listing_dto,
    )))
}

/// One provider's directory entry.
#[utoipa::path(get, path = "/v1/providers/{providerId}", tag = "partnerships",
    params(("providerId" = String, Path)),
    responses((status = 200, body = ProviderListing), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn provider(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ProviderListing>> {
    let tenant = id.parse().map_err(|_| Error::NotFound("provider"))?;
    Ok(Json(listing_dto(uc::provider(&app, &ctx, tenant).await?)))
}

/// The caller's own directory listing (provider).
#[utoipa::path(get, path = "/v1/providerlisting", tag = "partnerships",
    responses((status = 200, body = ProviderListing), (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn my_listing(State(app): State<App>, Caller(ctx): Caller) -> ApiResult<Response> {
    let e = uc::own_listing(&app, &ctx).await?;
    let version = e.listing.as_ref().map(|l| l.version).unwrap_or(0);
    Ok(([(header::ETAG, etag(version))], Json(listing_dto(e))).into_response())
}

/// Changes the caller's directory listing (provider); send `If-Match`.
#[utoipa::path(put, path = "/v1/providerlisting", tag = "partnerships", request_body = ListingInput,
    params(("If-Match" = Option<String>, Header)),
    responses((status = 200, body = ProviderListing), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody), (status = 412, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn put_listing(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Body(b): Body<ListingInput>,
) -> ApiResult<Response> {
    let expected = expected_version(&headers, None)?;
    let l = uc::save_listing(&app, &ctx, b, expected).await?;
    let e = uc::own_listing(&app, &ctx).await?;
    Ok(([(header::ETAG, etag(l.version))], Json(listing_dto(e))).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DraftEmail {
    pub subject: String,
    pub body: String,
    /// A `mailto:` link that opens the draft in the user's mail program.
    pub mailto: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnershipInvitation {
    pub id: String,
    /// pending, accepted, revoked or expired.
    pub state: String,
    /// The personal link; only in the response that creates the invitation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft_email: Option<DraftEmail>,
    pub reseller_id: Option<String>,
    pub email: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: String,
    pub accepted_by: Option<String>,
    pub attributes: Attributes,
}

fn invitation_dto(i: InvitationRow, now: i64) -> PartnershipInvitation {
    PartnershipInvitation {
        state: i.state.seen_at(i.expires_at, now).as_str().into(),
        id: i.id.to_string(),
        url: None,
        draft_email: None,
        reseller_id: i.reseller_tenant_id.map(|t| t.to_string()),
        email: i.email,
        created_by: i.created_by,
        created_at: crate::clock::from_ms(i.created_at).to_rfc3339(),
        expires_at: crate::clock::from_ms(i.expires_at).to_rfc3339(),
        accepted_by: i.accepted_by,
        attributes: Attributes::of("PartnershipInvitation"),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewInvitation {
    /// Name the reseller so that only it can accept.
    pub reseller_mpn_id: Option<i64>,
    /// The address to send the invitation to (with `send`), or to put in the draft.
    pub email: Option<String>,
    /// Send the invitation through Partner Hub instead of only returning the draft.
    #[serde(default)]
    pub send: bool,
    /// Days the link works (default 30).
    pub expires_in_days: Option<i64>,
}

/// "Request a partnership" (provider): a personal link and a draft e-mail; optionally sent.
#[utoipa::path(post, path = "/v1/partnershipinvitations", tag = "partnerships", request_body = NewInvitation,
    params(("MS-RequestId" = Option<String>, Header)),
    responses((status = 201, body = PartnershipInvitation), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody), (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn create_invitation(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<NewInvitation>,
) -> ApiResult<Response> {
    let inv = uc::invite(
        &app,
        &ctx,
        InviteInput {
            reseller_mpn_id: b.reseller_mpn_id,
            email: b.email,
            send: b.send,
            days: b.expires_in_days,
        },
    )
    .await?;
    let mailto = format!(
        "mailto:{}?subject={}&body={}",
        inv.row.email.clone().unwrap_or_default(),
        crate::web::url_escape(&inv.subject),
        crate::web::url_escape(&inv.body)
    );
    let mut dto = invitation_dto(inv.row, app.clock.now_ms());
    dto.url = Some(inv.url);
    dto.draft_email = Some(DraftEmail {
        subject: inv.subject,
        body: inv.body,
        mailto,
    });
    Ok((StatusCode::CREATED, Json(dto)).into_response())
}

/// The provider's invitations, newest first, paged.
#[utoipa::path(get, path = "/v1/partnershipinvitations", tag = "partnerships", params(PageQuery),
    responses((status = 200, body = Collection<PartnershipInvitation>), (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn list_invitations(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Collection<PartnershipInvitation>>> {
    let page = Page::from_request(
        &headers,
        &q,
        &format!("invitations:{}", ctx.actor.tenant),
        &app.keys.paging_secret,
    )?;
    let (rows, total) = uc::invitations_page(&app, &ctx, page.before_time(), page.size + 1).await?;
    let now = app.clock.now_ms();
    Ok(Json(page.finish(
        rows,
        total,
        "/v1/partnershipinvitations",
        &app.keys.paging_secret,
        |i| (i.created_at.to_string(), i.id.to_string()),
        |i| invitation_dto(i, now),
    )))
}

/// Withdraws a pending invitation; its link stops working.
#[utoipa::path(delete, path = "/v1/partnershipinvitations/{invitationId}", tag = "partnerships",
    params(("invitationId" = String, Path)),
    responses((status = 200, body = PartnershipInvitation), (status = 404, body = super::error::ApiErrorBody),
        (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_invitation(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<PartnershipInvitation>> {
    let i = uc::revoke_invitation(&app, &ctx, PartnerInvitationId::named(&id)?).await?;
    Ok(Json(invitation_dto(i, app.clock.now_ms())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenBody {
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationPreview {
    pub provider: ProviderListing,
    pub state: String,
    pub expires_at: String,
    /// The invitation names one reseller; only it can accept.
    pub for_named_reseller: bool,
    /// What the provider may do once authorized.
    pub permissions: Vec<String>,
    pub attributes: Attributes,
}

pub const PERMISSIONS: [&str; 2] = [
    "place orders and add subscriptions for the reseller's customers",
    "administer the reseller's directory tenant",
];

/// Who invites, and what it will be allowed to do (before authorizing).
#[utoipa::path(post, path = "/v1/partnershipinvitations/preview", tag = "partnerships", request_body = TokenBody,
    responses((status = 200, body = InvitationPreview), (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn preview(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<TokenBody>,
) -> ApiResult<Json<InvitationPreview>> {
    let p = uc::preview_as(&app, &ctx, &b.token).await?;
    Ok(Json(InvitationPreview {
        state: p.state.as_str().into(),
        expires_at: crate::clock::from_ms(p.invitation.expires_at).to_rfc3339(),
        for_named_reseller: p.invitation.reseller_tenant_id.is_some(),
        provider: listing_dto(p.provider),
        permissions: PERMISSIONS.iter().map(|s| s.to_string()).collect(),
        attributes: Attributes::of("PartnershipInvitationPreview"),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptInvitation {
    pub token: String,
    /// The reseller agrees to what the provider will be allowed to do.
    pub consent: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerRelationship {
    /// The other partner's tenant id, as the public partner-center API gives it: use it as
    /// `associatedPartnerId`, `indirectCloudSolutionProviderId` or `providerId`.
    pub id: String,
    /// The partnership itself (also accepted in `/v1/relationships/{relationshipId}`).
    pub partnership_id: String,
    /// The other partner's name.
    pub name: String,
    pub relationship_type: String,
    /// `Active` or `Terminated`.
    pub state: String,
    pub mpn_id: String,
    /// The other partner's country.
    pub location: String,
    /// The provider administers the reseller's directory.
    pub admin_access: bool,
    pub created_at: String,
    pub attributes: Attributes,
}

fn relationship_dto(me: crate::domain::ids::TenantId, c: Counterpart) -> PartnerRelationship {
    let rt = if c.partnership.provider_tenant_id == me {
        RelationshipType::IsIndirectCloudSolutionProviderOf
    } else {
        RelationshipType::IsIndirectResellerOf
    };
    PartnerRelationship {
        id: c.other_tenant.to_string(),
        partnership_id: c.partnership.id.to_string(),
        name: c.name,
        relationship_type: rt.wire().into(),
        state: c.partnership.state.wire().into(),
        mpn_id: c.mpn_id.to_string(),
        location: c.country,
        admin_access: c.partnership.admin_access,
        created_at: crate::clock::from_ms(c.partnership.created_at).to_rfc3339(),
        attributes: Attributes::of("PartnerRelationship"),
    }
}

/// The reseller authorizes the provider (admin agent or account admin, with consent).
#[utoipa::path(post, path = "/v1/partnershipinvitations/accept", tag = "partnerships", request_body = AcceptInvitation,
    params(("MS-RequestId" = Option<String>, Header)),
    responses((status = 201, body = PartnerRelationship), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody), (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn accept(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<AcceptInvitation>,
) -> ApiResult<Response> {
    let p = uc::accept(&app, &ctx, &b.token, b.consent).await?;
    Ok((
        StatusCode::CREATED,
        Json(relationship_dto(
            ctx.actor.tenant,
            uc::counterpart(&app, &ctx, p).await?,
        )),
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RelationshipQuery {
    /// `IsIndirectCloudSolutionProviderOf` (as provider: its resellers) or
    /// `IsIndirectResellerOf` (as reseller: its providers). Optional: a provider sees its
    /// resellers, a reseller its providers.
    pub relationship_type: Option<String>,
    /// Items per page, 1 to 500 (default 100).
    pub size: Option<u32>,
    /// `Next` when following a continuation token.
    #[serde(rename = "seekOperation")]
    pub seek_operation: Option<String>,
}

/// The caller's partners, partner-center shaped and paged.
#[utoipa::path(get, path = "/v1/relationships", tag = "partnerships", params(RelationshipQuery),
    responses((status = 200, body = Collection<PartnerRelationship>), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn relationships(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(q): Query<RelationshipQuery>,
) -> ApiResult<Json<Collection<PartnerRelationship>>> {
    let rt = match q.relationship_type.as_deref().map(str::trim) {
        None | Some("") => {
            if ctx.actor.partner.as_ref().is_some_and(|p| p.is_provider) {
                RelationshipType::IsIndirectCloudSolutionProviderOf
            } else {
                RelationshipType::IsIndirectResellerOf
            }
        }
        Some(raw) => RelationshipType::parse(raw).ok_or_else(|| {
            Error::field(
                "relationship_type",
                "use IsIndirectCloudSolutionProviderOf or IsIndirectResellerOf",
            )
        })?,
    };
    let as_provider = rt == RelationshipType::IsIndirectCloudSolutionProviderOf;
    let fingerprint = format!("relationships:{}:{as_provider}", ctx.actor.tenant);
    let page = Page::from_request(
        &headers,
        &PageQuery {
            size: q.size,
            seek_operation: None,
        },
        &fingerprint,
        &app.keys.paging_secret,
    )?;
    let after = page.after.as_ref().map(|c| (c.key.as_str(), c.id.as_str()));
    let (rows, total) =
        uc::relationships_page(&app, &ctx, as_provider, after, page.size + 1).await?;
    let path = format!("/v1/relationships?relationship_type={}", rt.wire());
    Ok(Json(page.finish(
        rows,
        total,
        &path,
        &app.keys.paging_secret,
        |c| (c.name.to_lowercase(), c.partnership.id.to_string()),
        |c| relationship_dto(ctx.actor.tenant, c),
    )))
}

/// One partnership of the caller.
#[utoipa::path(get, path = "/v1/relationships/{relationshipId}", tag = "partnerships",
    params(("relationshipId" = String, Path)),
    responses((status = 200, body = PartnerRelationship), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn relationship(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<PartnerRelationship>> {
    let p = uc::get(&app, &ctx, &id).await?;
    Ok(Json(relationship_dto(
        ctx.actor.tenant,
        uc::counterpart(&app, &ctx, p).await?,
    )))
}

/// Ends a partnership (either side). Customers and their other relationships stay.
#[utoipa::path(delete, path = "/v1/relationships/{relationshipId}", tag = "partnerships",
    params(("relationshipId" = String, Path)),
    responses((status = 200, body = PartnerRelationship), (status = 403, body = super::error::ApiErrorBody),
        (status = 404, body = super::error::ApiErrorBody), (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn end(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<PartnerRelationship>> {
    let p = uc::end(&app, &ctx, &id).await?;
    Ok(Json(relationship_dto(
        ctx.actor.tenant,
        uc::counterpart(&app, &ctx, p).await?,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RelationshipPatch {
    /// `false` takes back the provider's admin access and keeps the partnership (reseller).
    pub admin_access: bool,
}

/// Changes a partnership: the reseller can remove the provider's admin access.
#[utoipa::path(patch, path = "/v1/relationships/{relationshipId}", tag = "partnerships", request_body = RelationshipPatch,
    params(("relationshipId" = String, Path)),
    responses((status = 200, body = PartnerRelationship), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody), (status = 409, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn patch(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(b): Body<RelationshipPatch>,
) -> ApiResult<Json<PartnerRelationship>> {
    if b.admin_access {
        return Err(Error::field(
            "adminAccess",
            "admin access is given by a new invitation, not restored by an update",
        )
        .into());
    }
    let p = uc::revoke_admin(&app, &ctx, &id).await?;
    Ok(Json(relationship_dto(
        ctx.actor.tenant,
        uc::counterpart(&app, &ctx, p).await?,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidateResellers {
    pub partner_ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResellerValidation {
    pub partner_id: String,
    pub is_valid_partner_id_on_record: bool,
    /// Why the id may not be used (null when it may).
    pub error_code: Option<String>,
    pub error_description: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResellerValidations {
    pub validation_results: Vec<ResellerValidation>,
    pub attributes: Attributes,
}

/// Checks partner-network ids before they are used as partner of record.
#[utoipa::path(post, path = "/v1/partners/validateresellers", tag = "partnerships", request_body = ValidateResellers,
    responses((status = 200, body = ResellerValidations), (status = 400, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn validate_resellers(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<ValidateResellers>,
) -> ApiResult<Json<ResellerValidations>> {
    let results = uc::validate_resellers(&app, &ctx, &b.partner_ids).await?;
    Ok(Json(ResellerValidations {
        validation_results: results
            .into_iter()
            .map(|(id, v)| ResellerValidation {
                partner_id: id,
                is_valid_partner_id_on_record: v.code().is_none(),
                error_code: v.code().map(str::to_string),
                error_description: v.code().map(|_| v.description().to_string()),
            })
            .collect(),
        attributes: Attributes::of("PartnerIdValidationResults"),
    }))
}
