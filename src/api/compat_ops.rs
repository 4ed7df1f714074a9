//! The rest of the public partner-center contract: the partner's billing profile, a
//! subscription's support contact and its upgrade, an order's provisioning status and its
//! PATCH (add-ons, billing cycle). Every handler calls one app use case.

use super::collection::{
    etag, expected_version, Attributes, Collection, EtagAttributes, Page, PageQuery,
};
use super::commerce::{order_dto, subscription_dto, OrderDto, SubscriptionDto};
use super::error::{ApiErrorBody, ApiResult};
use super::extract::{Body, Caller, Path, Query};
use super::json::Json;
use crate::app::billing_profile::{self, BillingAddress, BillingContact, BillingProfile};
use crate::app::order_changes::{self, AddOnLine, OrderChange};
use crate::app::{support_contact, upgrades, App};
use crate::domain::ids::{OrderId, SubscriptionId};
use crate::domain::Error;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct BillingAddressDto {
    pub address_line1: String,
    pub address_line2: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
}

#[derive(Debug, Serialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct BillingContactDto {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone_number: String,
}

/// The partner's billing profile, as the contract's `BillingProfile`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerBillingProfile {
    pub address: BillingAddressDto,
    pub primary_contact: BillingContactDto,
    pub purchase_order_number: String,
    pub tax_id: String,
    /// ISO 4217 code.
    pub billing_currency: String,
    /// `billing_profile`.
    pub profile_type: String,
    pub attributes: Attributes,
}

/// An address as sent: any member may be `null` (the reference's examples send
/// `"AddressLine2": null`).
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct BillingAddressInput {
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct BillingContactInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
}

/// A PUT of the billing profile: the whole profile (what the GET answers may be sent back).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerBillingUpdate {
    pub address: BillingAddressInput,
    pub primary_contact: BillingContactInput,
    #[serde(default)]
    pub purchase_order_number: Option<String>,
    #[serde(default)]
    pub tax_id: Option<String>,
    pub billing_currency: String,
    #[serde(default)]
    pub profile_type: Option<String>,
    #[serde(default)]
    pub attributes: Option<EtagAttributes>,
}

fn billing_dto(p: BillingProfile, version: i64) -> Response {
    let a = p.address;
    let c = p.primary_contact;
    let body = PartnerBillingProfile {
        address: BillingAddressDto {
            address_line1: a.address_line1,
            address_line2: a.address_line2,
            city: a.city,
            state: a.state,
            postal_code: a.postal_code,
            country: a.country,
        },
        primary_contact: BillingContactDto {
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email,
            phone_number: c.phone_number,
        },
        purchase_order_number: p.purchase_order_number,
        tax_id: p.tax_id,
        billing_currency: p.billing_currency,
        profile_type: "billing_profile".into(),
        attributes: Attributes::with_etag("BillingProfile", version),
    };
    ([(header::ETAG, etag(version))], Json(body)).into_response()
}

/// The partner organisation's billing profile (tax id, purchase order number, currency,
/// billing address and contact). Until saved it reads as the legal profile's address and
/// contact, version 0.
#[utoipa::path(get, path = "/v1/profiles/billing", tag = "profiles",
    responses((status = 200, body = PartnerBillingProfile), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get_partner_billing(
    State(app): State<App>,
    Caller(ctx): Caller,
) -> ApiResult<Response> {
    let (p, version) = billing_profile::get(&app, &ctx).await?;
    Ok(billing_dto(p, version))
}

/// Replaces the partner's billing profile (`If-Match` or `attributes.etag`; 412 when stale).
#[utoipa::path(put, path = "/v1/profiles/billing", tag = "profiles", request_body = PartnerBillingUpdate,
    params(("If-Match" = Option<String>, Header)),
    responses((status = 200, body = PartnerBillingProfile), (status = 400, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 412, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn put_partner_billing(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Body(b): Body<PartnerBillingUpdate>,
) -> ApiResult<Response> {
    let body_etag = b.attributes.as_ref().and_then(|a| a.etag.clone());
    let expected = expected_version(&headers, body_etag.as_deref())?;
    let a = b.address;
    let c = b.primary_contact;
    let text = |v: Option<String>| v.map(|s| s.trim().to_string()).unwrap_or_default();
    let next = BillingProfile {
        tax_id: text(b.tax_id),
        purchase_order_number: text(b.purchase_order_number),
        billing_currency: b.billing_currency,
        address: BillingAddress {
            address_line1: text(a.address_line1),
            address_line2: text(a.address_line2),
            city: text(a.city),
            state: text(a.state),
            postal_code: text(a.postal_code),
            country: text(a.country),
        },
        primary_contact: BillingContact {
            first_name: text(c.first_name),
            last_name: text(c.last_name),
            email: text(c.email),
            phone_number: text(c.phone_number),
        },
    };
    let (p, version) = billing_profile::put(&app, &ctx, next, expected).await?;
    Ok(billing_dto(p, version))
}

/// The contract's `SupportContact`: the reseller that supports the subscription's customer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SupportContactDto {
    pub support_tenant_id: String,
    pub support_mpn_id: Option<String>,
    pub name: String,
    pub attributes: Attributes,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SupportContactUpdate {
    /// The reseller's tenant id.
    #[serde(default)]
    pub support_tenant_id: Option<String>,
    /// Or its partner-network id.
    #[serde(default)]
    pub support_mpn_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub attributes: Option<EtagAttributes>,
}

fn contact_dto(c: support_contact::SupportContact) -> Json<SupportContactDto> {
    Json(SupportContactDto {
        support_tenant_id: c.tenant_id.to_string(),
        support_mpn_id: c.mpn_id.map(|m| m.to_string()),
        name: c.name,
        attributes: Attributes::of("SupportContact"),
    })
}

/// The reseller designated for the subscription's support (by default its reseller of record).
#[utoipa::path(get, path = "/v1/customers/{customerId}/subscriptions/{subscriptionId}/supportcontact", tag = "commerce",
    params(("customerId" = String, Path), ("subscriptionId" = String, Path)),
    responses((status = 200, body = SupportContactDto), (status = 404, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get_support_contact(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, sid)): Path<(String, String)>,
) -> ApiResult<Json<SupportContactDto>> {
    Ok(contact_dto(
        support_contact::get(&app, &ctx, &id, SubscriptionId::named(&sid)?).await?,
    ))
}

/// Designates the reseller that supports the subscription's customer: an active indirect
/// reseller partnered with the subscription's provider and serving the customer (409
/// otherwise).
#[utoipa::path(put, path = "/v1/customers/{customerId}/subscriptions/{subscriptionId}/supportcontact", tag = "commerce",
    params(("customerId" = String, Path), ("subscriptionId" = String, Path)), request_body = SupportContactUpdate,
    responses((status = 200, body = SupportContactDto), (status = 400, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn put_support_contact(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, sid)): Path<(String, String)>,
    Body(b): Body<SupportContactUpdate>,
) -> ApiResult<Json<SupportContactDto>> {
    let named = b
        .support_tenant_id
        .filter(|s| !s.trim().is_empty())
        .or(b.support_mpn_id)
        .unwrap_or_default();
    Ok(contact_dto(
        support_contact::put(&app, &ctx, &id, SubscriptionId::named(&sid)?, &named).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuantityProvisioning {
    pub quantity: i64,
    /// `fulfilled`.
    pub status: String,
}

/// The contract's `OrderLineItemProvisioningStatus`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineProvisioningStatus {
    pub line_item_number: i64,
    /// `fulfilled`: subscriptions exist once the order is placed.
    pub status: String,
    pub subscription_id: String,
    pub quantity_provisioning_information: Vec<QuantityProvisioning>,
    pub attributes: Attributes,
}

/// The provisioning status of each line of an order.
#[utoipa::path(get, path = "/v1/customers/{customerId}/orders/{orderId}/provisioningstatus", tag = "commerce",
    params(("customerId" = String, Path), ("orderId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<LineProvisioningStatus>), (status = 404, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn order_provisioning_status(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, oid)): Path<(String, String)>,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<LineProvisioningStatus>>> {
    // One row per line of one order: read whole, paged in memory.
    let path = format!("/v1/customers/{id}/orders/{oid}/provisioningstatus");
    let page = Page::from_request(&headers, &pq, &path, &app.keys.paging_secret)?;
    let rows = order_changes::provisioning(&app, &ctx, &id, OrderId::named(&oid)?).await?;
    Ok(Json(page.finish_in_memory(
        rows,
        &path,
        &app.keys.paging_secret,
        |r| (String::new(), format!("{:08}", r.line.line_number)),
        |r| LineProvisioningStatus {
            line_item_number: r.line.line_number,
            status: "fulfilled".into(),
            subscription_id: r.line.subscription_id.to_string(),
            quantity_provisioning_information: vec![QuantityProvisioning {
                quantity: r
                    .subscription
                    .as_ref()
                    .map_or(r.line.quantity, |s| s.quantity),
                status: "fulfilled".into(),
            }],
            attributes: Attributes::of("OrderLineItemProvisioningStatus"),
        },
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfferRef {
    /// `productId:skuId:availabilityId`.
    pub id: String,
}

/// The contract's `Upgrade` as sent back from `GET .../upgrades`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeRequest {
    pub target_offer: OfferRef,
    /// `upgrade_only` (the only kind: seats move, licenses follow).
    #[serde(default)]
    pub upgrade_type: Option<String>,
    #[serde(default)]
    pub is_eligible: Option<bool>,
    #[serde(default)]
    pub attributes: Option<EtagAttributes>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeError {
    pub code: String,
    pub description: String,
}

/// The contract's `UpgradeResult`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeResult {
    pub source_subscription_id: String,
    pub target_subscription_id: String,
    pub upgrade_type: String,
    pub upgrade_errors: Vec<UpgradeError>,
    pub license_errors: Vec<UpgradeError>,
    /// The order that bought the target subscription (Partner Hub's own member).
    pub order_id: String,
    pub attributes: Attributes,
}

/// Upgrades a subscription to one of its eligible target offers: a new subscription of the
/// target SKU takes the seats; the source is suspended; licenses follow the seats.
#[utoipa::path(post, path = "/v1/customers/{customerId}/subscriptions/{subscriptionId}/upgrades", tag = "commerce",
    params(("customerId" = String, Path), ("subscriptionId" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpgradeRequest,
    responses((status = 200, body = UpgradeResult), (status = 400, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 412, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn upgrade(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, sid)): Path<(String, String)>,
    headers: HeaderMap,
    Body(b): Body<UpgradeRequest>,
) -> ApiResult<Json<UpgradeResult>> {
    if b.upgrade_type
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case("upgrade_only"))
    {
        return Err(Error::field("upgradeType", "upgrade_only").into());
    }
    let expected = expected_version(&headers, None)?;
    let sid = SubscriptionId::named(&sid)?;
    let done = upgrades::upgrade(&app, &ctx, &id, sid, &b.target_offer.id, expected).await?;
    Ok(Json(UpgradeResult {
        source_subscription_id: done.source_subscription_id.to_string(),
        target_subscription_id: done.target_subscription_id.to_string(),
        upgrade_type: "upgrade_only".into(),
        upgrade_errors: vec![],
        license_errors: vec![],
        order_id: done.order_id.to_string(),
        attributes: Attributes::of("UpgradeResult"),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderPatchLine {
    #[serde(default)]
    pub line_item_number: Option<i64>,
    #[serde(default)]
    pub offer_id: Option<String>,
    #[serde(default)]
    pub catalog_item_id: Option<String>,
    #[serde(default)]
    pub quantity: Option<i64>,
    /// On a new line: the subscription of this order the add-on is bought on.
    #[serde(default)]
    pub parent_subscription_id: Option<String>,
    /// On an existing line: its subscription (the line is left as it is).
    #[serde(default)]
    pub subscription_id: Option<String>,
    #[serde(default)]
    pub friendly_name: Option<String>,
}

/// A PATCH of an order: the order (as GET answers it) with new add-on lines appended, and/or
/// a new `billingCycle` for its subscriptions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderPatch {
    #[serde(default)]
    pub billing_cycle: Option<String>,
    #[serde(default)]
    pub line_items: Vec<OrderPatchLine>,
    #[serde(default)]
    pub attributes: Option<EtagAttributes>,
}

/// Buys add-ons on the order's subscriptions (new lines naming `parentSubscriptionId`) or moves
/// its subscriptions to another billing cycle of the same SKU and term.
#[utoipa::path(patch, path = "/v1/customers/{customerId}/orders/{orderId}", tag = "commerce",
    params(("customerId" = String, Path), ("orderId" = String, Path)), request_body = OrderPatch,
    responses((status = 200, body = OrderDto), (status = 400, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn patch_order(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, oid)): Path<(String, String)>,
    Body(b): Body<OrderPatch>,
) -> ApiResult<Json<OrderDto>> {
    let mut add_ons = Vec::new();
    for (i, l) in b.line_items.into_iter().enumerate() {
        if l.subscription_id.as_deref().is_some_and(|s| !s.is_empty()) {
            continue; // an existing line sent back as it is
        }
        let parent = l
            .parent_subscription_id
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| {
                Error::field(
                    format!("lineItems[{i}].parentSubscriptionId"),
                    "a new line on a placed order is an add-on: name the subscription it is bought on",
                )
            })?;
        let offer = l
            .offer_id
            .or(l.catalog_item_id)
            .ok_or_else(|| Error::field(format!("lineItems[{i}].offerId"), "is required"))?;
        add_ons.push(AddOnLine {
            offer_id: offer,
            quantity: l
                .quantity
                .ok_or_else(|| Error::field(format!("lineItems[{i}].quantity"), "is required"))?,
            parent_subscription_id: parent,
            friendly_name: l.friendly_name,
        });
    }
    let o = order_changes::change(
        &app,
        &ctx,
        &id,
        OrderId::named(&oid)?,
        OrderChange {
            billing_cycle: b.billing_cycle.filter(|c| !c.trim().is_empty()),
            add_ons,
        },
    )
    .await?;
    Ok(Json(order_dto(crate::app::orders::placed(&app, o).await?)))
}

/// The add-on subscriptions bought on a subscription (the add-ons of one subscription: read
/// whole in one query, paged in memory).
#[utoipa::path(get, path = "/v1/customers/{customerId}/subscriptions/{subscriptionId}/addons", tag = "commerce",
    params(("customerId" = String, Path), ("subscriptionId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<SubscriptionDto>), (status = 404, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn subscription_addons(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, sid)): Path<(String, String)>,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<SubscriptionDto>>> {
    let path = format!("/v1/customers/{id}/subscriptions/{sid}/addons");
    let page = Page::from_request(&headers, &pq, &path, &app.keys.paging_secret)?;
    let rows =
        crate::app::subscriptions::addons(&app, &ctx, &id, SubscriptionId::named(&sid)?).await?;
    Ok(Json(page.finish_in_memory(
        rows,
        &path,
        &app.keys.paging_secret,
        crate::app::subscriptions::SubscriptionView::sort_key,
        subscription_dto,
    )))
}
