//! `/v1/products` (catalog), `/v1/catalog/import`, orders, carts, subscriptions, price lists
//! and invoices.

use super::collection::{
    etag, expected_version, single_page, Attributes, Collection, EtagAttributes,
};
use super::error::ApiResult;
use super::extract::{Body, Caller};
use super::extract::{Path, Query};
use crate::app::carts;
use crate::app::commerce::{
    self as uc, CatalogFile, LineInput, OrderInput, ProviderPriceInput, ResellerPriceInput,
    SubscriptionPatch,
};
use crate::app::customers::authorized;
use crate::app::store::commerce::{
    self as repo, Availability, OrderRow, Product, Sku, SubscriptionRow,
};
use crate::app::{App, Ctx};
use crate::domain::authz::{Action, Resource};
use crate::domain::Error;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use utoipa::{IntoParams, ToSchema};

fn catalog_reader(ctx: &Ctx) -> Result<(), Error> {
    ctx.require(Action::SearchProviders, Resource::Platform)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ProductQuery {
    /// Country code; defaults to the caller's tenant country.
    pub country: Option<String>,
    /// commercial, education, government or nonprofit.
    pub target_segment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductDto {
    #[serde(flatten)]
    pub product: Product,
    pub attributes: Attributes,
}

/// Products offered in a country.
#[utoipa::path(get, path = "/v1/products", tag = "commerce", params(ProductQuery),
    responses((status = 200, body = Collection<ProductDto>), (status = 403, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn products(
    State(app): State<App>,
    Caller(ctx): Caller,
    Query(q): Query<ProductQuery>,
) -> ApiResult<axum::Json<Collection<ProductDto>>> {
    catalog_reader(&ctx)?;
    let country = match q.country {
        Some(c) => c.to_ascii_uppercase(),
        None => crate::app::store::identity::tenant(&app.db, ctx.actor.tenant)
            .await?
            .map(|t| t.country)
            .unwrap_or_default(),
    };
    let rows = repo::products(&app.db, &country, q.target_segment.as_deref().unwrap_or("")).await?;
    Ok(axum::Json(single_page(
        &app.keys.paging_secret,
        rows,
        "/v1/products",
        |p| (String::new(), p.id.clone()),
        |p| ProductDto {
            product: p,
            attributes: Attributes::of("Product"),
        },
    )?))
}

/// One product.
#[utoipa::path(get, path = "/v1/products/{productId}", tag = "commerce", params(("productId" = String, Path)),
    responses((status = 200, body = ProductDto), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn product(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ProductDto>> {
    catalog_reader(&ctx)?;
    let p = repo::product(&app.db, &id)
        .await?
        .ok_or(Error::NotFound("product"))?;
    Ok(axum::Json(ProductDto {
        product: p,
        attributes: Attributes::of("Product"),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkuDto {
    #[serde(flatten)]
    pub sku: Sku,
    pub attributes: Attributes,
}

/// A product's SKUs.
#[utoipa::path(get, path = "/v1/products/{productId}/skus", tag = "commerce", params(("productId" = String, Path)),
    responses((status = 200, body = Collection<SkuDto>), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn skus(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Collection<SkuDto>>> {
    catalog_reader(&ctx)?;
    repo::product(&app.db, &id)
        .await?
        .ok_or(Error::NotFound("product"))?;
    let rows = repo::skus(&app.db, &id).await?;
    Ok(axum::Json(single_page(
        &app.keys.paging_secret,
        rows,
        &format!("/v1/products/{id}/skus"),
        |s| (String::new(), s.id.clone()),
        |s| SkuDto {
            sku: s,
            attributes: Attributes::of("Sku"),
        },
    )?))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityDto {
    #[serde(flatten)]
    pub availability: Availability,
    /// What to order: `productId:skuId:availabilityId`.
    pub catalog_item_id: String,
    /// The caller's price when it is a provider with a price list for its resellers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reseller_price: Option<String>,
    pub attributes: Attributes,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountryQuery {
    pub country: Option<String>,
}

/// An SKU's availabilities: country, currency, segment, billing cycle, term and price.
#[utoipa::path(get, path = "/v1/products/{productId}/skus/{skuId}/availabilities", tag = "commerce",
    params(("productId" = String, Path), ("skuId" = String, Path), CountryQuery),
    responses((status = 200, body = Collection<AvailabilityDto>), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn availabilities(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((p, s)): Path<(String, String)>,
    Query(q): Query<CountryQuery>,
) -> ApiResult<axum::Json<Collection<AvailabilityDto>>> {
    catalog_reader(&ctx)?;
    repo::sku(&app.db, &p, &s)
        .await?
        .ok_or(Error::NotFound("sku"))?;
    let rows = repo::availabilities(
        &app.db,
        &p,
        &s,
        &q.country.unwrap_or_default().to_ascii_uppercase(),
    )
    .await?;
    let is_provider = ctx.actor.partner.as_ref().is_some_and(|x| x.is_provider);
    let mut out = Vec::new();
    for a in rows {
        let reseller_price = if is_provider {
            let list = Decimal::from_str(&a.list_price).unwrap_or_default();
            Some(
                uc::price_to_reseller(
                    &app,
                    ctx.actor.tenant,
                    &a.product_id,
                    &a.sku_id,
                    &a.country,
                    list,
                )
                .await?
                .to_string(),
            )
        } else {
            None
        };
        out.push((a, reseller_price));
    }
    Ok(axum::Json(single_page(
        &app.keys.paging_secret,
        out,
        &format!("/v1/products/{p}/skus/{s}/availabilities"),
        |(a, _)| (String::new(), a.id.clone()),
        |(a, rp)| AvailabilityDto {
            catalog_item_id: format!("{}:{}:{}", a.product_id, a.sku_id, a.id),
            availability: a,
            reseller_price: rp,
            attributes: Attributes::of("Availability"),
        },
    )?))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CatalogImportResult)]
pub struct ImportResult {
    pub availabilities: usize,
    pub attributes: Attributes,
}

/// Imports or updates catalog products, SKUs and availabilities (operator).
#[utoipa::path(post, path = "/v1/catalog/import", tag = "commerce", request_body = CatalogFile,
    responses((status = 201, body = ImportResult), (status = 400, body = super::error::ApiErrorBody), (status = 403, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn import(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<CatalogFile>,
) -> ApiResult<Response> {
    let n = uc::import_catalog(&app, Some(&ctx), &b).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ImportResult {
            availabilities: n,
            attributes: Attributes::of("CatalogImport"),
        }),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderLineItem {
    #[serde(default)]
    pub line_item_number: Option<i64>,
    /// `productId:skuId:availabilityId` (`offerId` is accepted as a synonym).
    #[serde(alias = "offerId")]
    pub catalog_item_id: String,
    pub quantity: i64,
    /// Partner-network id of the indirect reseller of record.
    pub partner_id_on_record: Option<String>,
    #[serde(default)]
    pub friendly_name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewOrder {
    pub line_items: Vec<OrderLineItem>,
    /// For a reseller ordering itself: the provider (tenant id) the order is placed through.
    pub provider_id: Option<String>,
    #[serde(default)]
    pub attributes: Option<EtagAttributes>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderLineDto {
    pub line_item_number: i64,
    pub offer_id: String,
    /// The subscription's name (given with the order, or the SKU's title).
    pub friendly_name: String,
    pub subscription_id: String,
    pub quantity: i64,
    pub unit_price: String,
    pub partner_id_on_record: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderDto {
    pub id: String,
    pub reference_customer_id: String,
    pub billing_provider_id: String,
    pub reseller_id: Option<String>,
    pub status: String,
    pub currency_code: String,
    pub total_price: String,
    pub creation_date: String,
    pub line_items: Vec<OrderLineDto>,
    pub attributes: Attributes,
}

pub(crate) async fn order_dto(app: &App, o: OrderRow) -> Result<OrderDto, Error> {
    let lines = repo::lines(&app.db, &o.id).await?;
    let mut names = uc::subscription_names(app, o.customer, &o.id).await?;
    Ok(OrderDto {
        reference_customer_id: o.customer.to_string(),
        billing_provider_id: o.provider.to_string(),
        reseller_id: o.reseller.map(|r| r.to_string()),
        status: o.status,
        currency_code: o.currency,
        total_price: o.total,
        creation_date: crate::clock::from_ms(o.created_at).to_rfc3339(),
        line_items: lines
            .into_iter()
            .map(|l| OrderLineDto {
                line_item_number: l.line_number,
                offer_id: l.catalog_item_id,
                friendly_name: names.remove(&l.subscription_id).unwrap_or_default(),
                subscription_id: l.subscription_id,
                quantity: l.quantity,
                unit_price: l.unit_price,
                partner_id_on_record: l.partner_id_on_record,
            })
            .collect(),
        id: o.id,
        attributes: Attributes::of("Order"),
    })
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("ms-requestid")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 128)
        .map(str::to_string)
}

/// Places an order for a customer; its subscriptions exist when this returns. Send
/// `MS-RequestId`: a retry with the same id returns the same order and places nothing.
#[utoipa::path(post, path = "/v1/customers/{customerId}/orders", tag = "commerce", params(("customerId" = String, Path), ("MS-RequestId" = Option<String>, Header)),
    request_body = NewOrder,
    responses((status = 201, body = OrderDto), (status = 400, body = super::error::ApiErrorBody), (status = 403, body = super::error::ApiErrorBody),
        (status = 404, body = super::error::ApiErrorBody), (status = 409, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn create_order(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(b): Body<NewOrder>,
) -> ApiResult<Response> {
    let input = OrderInput {
        request_id: request_id(&headers),
        lines: b
            .line_items
            .into_iter()
            .map(|l| LineInput {
                catalog_item_id: l.catalog_item_id,
                quantity: l.quantity,
                partner_id_on_record: l.partner_id_on_record,
                friendly_name: l.friendly_name,
            })
            .collect(),
        provider_id: crate::app::partnerships::provider_named(
            &app,
            b.provider_id.as_deref(),
            "providerId",
        )
        .await?,
    };
    let (o, _) = uc::place_order(&app, &ctx, &id, input).await?;
    Ok((StatusCode::CREATED, axum::Json(order_dto(&app, o).await?)).into_response())
}

/// The customer's orders, newest first.
#[utoipa::path(get, path = "/v1/customers/{customerId}/orders", tag = "commerce", params(("customerId" = String, Path)),
    responses((status = 200, body = Collection<OrderDto>), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn orders(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Collection<OrderDto>>> {
    let (t, _) = authorized(&app, &ctx, &id, Action::ReadCustomer).await?;
    let mut out = Vec::new();
    for o in repo::orders_of(&app.db, t.id).await? {
        out.push(order_dto(&app, o).await?);
    }
    Ok(axum::Json(single_page(
        &app.keys.paging_secret,
        out,
        &format!("/v1/customers/{id}/orders"),
        |o| (String::new(), o.id.clone()),
        |o| o,
    )?))
}

/// One order.
#[utoipa::path(get, path = "/v1/customers/{customerId}/orders/{orderId}", tag = "commerce", params(("customerId" = String, Path), ("orderId" = String, Path)),
    responses((status = 200, body = OrderDto), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn order(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, oid)): Path<(String, String)>,
) -> ApiResult<axum::Json<OrderDto>> {
    let (t, _) = authorized(&app, &ctx, &id, Action::ReadCustomer).await?;
    let o = repo::order(&app.db, t.id, &oid)
        .await?
        .ok_or(Error::NotFound("order"))?;
    Ok(axum::Json(order_dto(&app, o).await?))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionDto {
    pub id: String,
    pub offer_id: String,
    pub offer_name: String,
    pub friendly_name: String,
    pub quantity: i64,
    pub unit_type: String,
    pub unit_price: String,
    pub currency_code: String,
    pub order_id: String,
    pub creation_date: String,
    pub effective_start_date: String,
    pub commitment_end_date: String,
    pub cancellation_allowed_until_date: String,
    pub status: String,
    pub auto_renew_enabled: bool,
    pub billing_cycle: String,
    pub term_duration: String,
    /// Partner-network id of the reseller of record.
    pub partner_id: Option<String>,
    pub billing_provider_id: String,
    pub attributes: Attributes,
}

pub(crate) async fn subscription_dto(
    app: &App,
    s: SubscriptionRow,
) -> Result<SubscriptionDto, Error> {
    let mpn = match s.reseller {
        Some(r) => crate::app::store::partners::get(&app.db, r)
            .await?
            .map(|p| p.mpn_id.to_string()),
        None => None,
    };
    let ts = |ms: i64| crate::clock::from_ms(ms).to_rfc3339();
    Ok(SubscriptionDto {
        offer_id: format!("{}:{}:{}", s.product_id, s.sku_id, s.availability_id),
        offer_name: s.friendly_name.clone(),
        friendly_name: s.friendly_name,
        quantity: s.quantity,
        unit_type: "Licenses".into(),
        unit_price: s.unit_price,
        currency_code: s.currency,
        order_id: s.order_id,
        creation_date: ts(s.created_at),
        effective_start_date: ts(s.term_start),
        commitment_end_date: ts(s.term_end),
        cancellation_allowed_until_date: ts(s.cancel_until),
        status: s.status,
        auto_renew_enabled: s.auto_renew,
        billing_cycle: s.billing_cycle,
        term_duration: s.term,
        partner_id: mpn,
        billing_provider_id: s.provider.to_string(),
        attributes: Attributes::with_etag("Subscription", s.version),
        id: s.id,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionQuery {
    /// Only subscriptions of this order.
    pub order_id: Option<String>,
    /// Only subscriptions whose reseller of record has this partner-network id.
    pub mpn_id: Option<String>,
}

/// The customer's subscriptions (filter by order or reseller of record).
#[utoipa::path(get, path = "/v1/customers/{customerId}/subscriptions", tag = "commerce", params(("customerId" = String, Path), SubscriptionQuery),
    responses((status = 200, body = Collection<SubscriptionDto>), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn subscriptions(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Query(q): Query<SubscriptionQuery>,
) -> ApiResult<axum::Json<Collection<SubscriptionDto>>> {
    let (t, _) = authorized(&app, &ctx, &id, Action::ReadCustomer).await?;
    let mut out = Vec::new();
    for s in repo::subscriptions_of(&app.db, t.id).await? {
        if q.order_id.as_deref().is_some_and(|o| o != s.order_id) {
            continue;
        }
        let dto = subscription_dto(&app, s).await?;
        if q.mpn_id
            .as_deref()
            .is_some_and(|m| dto.partner_id.as_deref() != Some(m))
        {
            continue;
        }
        out.push(dto);
    }
    Ok(axum::Json(single_page(
        &app.keys.paging_secret,
        out,
        &format!("/v1/customers/{id}/subscriptions"),
        |s| (String::new(), s.id.clone()),
        |s| s,
    )?))
}

/// One subscription, with its ETag.
#[utoipa::path(get, path = "/v1/customers/{customerId}/subscriptions/{subscriptionId}", tag = "commerce", params(("customerId" = String, Path), ("subscriptionId" = String, Path)),
    responses((status = 200, body = SubscriptionDto), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn subscription(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, sid)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (t, _) = authorized(&app, &ctx, &id, Action::ReadCustomer).await?;
    let s = repo::subscription(&app.db, t.id, &sid)
        .await?
        .ok_or(Error::NotFound("subscription"))?;
    let tag = etag(s.version);
    Ok((
        [(header::ETAG, tag)],
        axum::Json(subscription_dto(&app, s).await?),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionUpdate {
    pub quantity: Option<i64>,
    /// active, suspended or deleted (cancel, within the cancellation window).
    pub status: Option<String>,
    pub auto_renew_enabled: Option<bool>,
    #[serde(default)]
    pub attributes: Option<EtagAttributes>,
}

/// Changes a subscription: send the full resource (or the fields to change) with its ETag
/// in `If-Match` or `attributes.etag`; a stale ETag is 412.
#[utoipa::path(patch, path = "/v1/customers/{customerId}/subscriptions/{subscriptionId}", tag = "commerce",
    params(("customerId" = String, Path), ("subscriptionId" = String, Path), ("If-Match" = Option<String>, Header)), request_body = SubscriptionUpdate,
    responses((status = 200, body = SubscriptionDto), (status = 400, body = super::error::ApiErrorBody), (status = 403, body = super::error::ApiErrorBody),
        (status = 404, body = super::error::ApiErrorBody), (status = 409, body = super::error::ApiErrorBody), (status = 412, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn update_subscription(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, sid)): Path<(String, String)>,
    headers: HeaderMap,
    Body(b): Body<SubscriptionUpdate>,
) -> ApiResult<Response> {
    let body_tag = b.attributes.and_then(|a| a.etag);
    let expected = expected_version(&headers, body_tag.as_deref())?;
    let (quantity, status, auto_renew) = (b.quantity, b.status, b.auto_renew_enabled);
    let s = uc::update_subscription(
        &app,
        &ctx,
        &id,
        &sid,
        SubscriptionPatch {
            quantity,
            status,
            auto_renew,
        },
        expected,
    )
    .await?;
    let tag = etag(s.version);
    Ok((
        [(header::ETAG, tag)],
        axum::Json(subscription_dto(&app, s).await?),
    )
        .into_response())
}

pub use crate::app::carts::{CartLine, Participant};
pub use crate::domain::commerce::BillingCycle;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartBody {
    pub line_items: Vec<CartLine>,
    pub provider_id: Option<String>,
    #[serde(default)]
    pub attributes: Option<EtagAttributes>,
}

impl CartBody {
    fn content(self) -> carts::CartContent {
        carts::CartContent {
            provider_id: self.provider_id,
            lines: self.line_items,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartDto {
    pub id: String,
    /// `Active` or `Ordered`.
    pub status: String,
    pub line_items: Vec<CartLine>,
    /// For a reseller ordering itself: the provider the cart is ordered through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    pub creation_timestamp: String,
    pub last_modified_timestamp: String,
    pub expiration_timestamp: String,
    pub order_id: Option<String>,
    pub attributes: Attributes,
}

fn cart_dto(c: carts::Cart) -> CartDto {
    CartDto {
        id: c.id,
        status: c.status.wire().into(),
        line_items: c.content.lines,
        provider_id: c.content.provider_id,
        creation_timestamp: crate::clock::from_ms(c.created_at).to_rfc3339(),
        last_modified_timestamp: crate::clock::from_ms(c.updated_at).to_rfc3339(),
        expiration_timestamp: crate::clock::from_ms(c.expires_at).to_rfc3339(),
        order_id: c.order_id,
        attributes: Attributes::with_etag("Cart", c.version),
    }
}

/// Creates a cart for a customer; its lines are ordered at checkout.
#[utoipa::path(post, path = "/v1/customers/{customerId}/carts", tag = "commerce", params(("customerId" = String, Path)), request_body = CartBody,
    responses((status = 201, body = CartDto), (status = 400, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn create_cart(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(b): Body<CartBody>,
) -> ApiResult<Response> {
    let c = carts::create(&app, &ctx, &id, b.content()).await?;
    Ok((StatusCode::CREATED, axum::Json(cart_dto(c))).into_response())
}

/// One cart of the caller.
#[utoipa::path(get, path = "/v1/customers/{customerId}/carts/{cartId}", tag = "commerce", params(("customerId" = String, Path), ("cartId" = String, Path)),
    responses((status = 200, body = CartDto), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn get_cart(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, cid)): Path<(String, String)>,
) -> ApiResult<axum::Json<CartDto>> {
    Ok(axum::Json(cart_dto(
        carts::get(&app, &ctx, &id, &cid).await?,
    )))
}

/// Replaces a cart's lines (send `If-Match`).
#[utoipa::path(put, path = "/v1/customers/{customerId}/carts/{cartId}", tag = "commerce", params(("customerId" = String, Path), ("cartId" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = CartBody,
    responses((status = 200, body = CartDto), (status = 400, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody), (status = 409, body = super::error::ApiErrorBody), (status = 412, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn put_cart(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, cid)): Path<(String, String)>,
    headers: HeaderMap,
    Body(b): Body<CartBody>,
) -> ApiResult<axum::Json<CartDto>> {
    let body_tag = b.attributes.as_ref().and_then(|a| a.etag.clone());
    let expected = expected_version(&headers, body_tag.as_deref())?;
    let c = carts::update(&app, &ctx, &id, &cid, b.content(), expected).await?;
    Ok(axum::Json(cart_dto(c)))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutResult {
    pub orders: Vec<OrderDto>,
    #[schema(value_type = Vec<Object>)]
    pub order_errors: Vec<serde_json::Value>,
    pub attributes: Attributes,
}

/// Orders a cart's lines. Checkout is idempotent: checking out an ordered cart again answers
/// the same order and orders nothing.
#[utoipa::path(post, path = "/v1/customers/{customerId}/carts/{cartId}/checkout", tag = "commerce", params(("customerId" = String, Path), ("cartId" = String, Path)),
    responses((status = 201, body = CheckoutResult), (status = 404, body = super::error::ApiErrorBody), (status = 409, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn checkout(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, cid)): Path<(String, String)>,
) -> ApiResult<Response> {
    let order = carts::checkout(&app, &ctx, &id, &cid).await?;
    let dto = order_dto(&app, order).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CheckoutResult {
            orders: vec![dto],
            order_errors: vec![],
            attributes: Attributes::of("CartCheckoutResult"),
        }),
    )
        .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceDto {
    pub id: String,
    pub billing_period_start_date: String,
    pub billing_period_end_date: String,
    pub total_charges: String,
    pub currency_code: String,
    pub invoice_date: String,
    pub invoice_type: String,
    pub attributes: Attributes,
}

fn invoice_dto(i: repo::InvoiceRow) -> InvoiceDto {
    InvoiceDto {
        id: i.id,
        billing_period_start_date: crate::clock::from_ms(i.period_start).to_rfc3339(),
        billing_period_end_date: crate::clock::from_ms(i.period_end).to_rfc3339(),
        total_charges: i.total,
        currency_code: i.currency,
        invoice_date: crate::clock::from_ms(i.created_at).to_rfc3339(),
        invoice_type: "recurring".into(),
        attributes: Attributes::of("Invoice"),
    }
}

async fn own_invoice(app: &App, ctx: &Ctx, id: &str) -> Result<repo::InvoiceRow, Error> {
    Ok(uc::invoice(app, ctx, id).await?.0)
}

/// The provider's invoices, newest period first.
#[utoipa::path(get, path = "/v1/invoices", tag = "commerce",
    responses((status = 200, body = Collection<InvoiceDto>), (status = 403, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn invoices(
    State(app): State<App>,
    Caller(ctx): Caller,
) -> ApiResult<axum::Json<Collection<InvoiceDto>>> {
    ctx.require(Action::ReadPartnerships, Resource::Tenant(ctx.actor.tenant))?;
    let rows = repo::invoices_of(&app.db, ctx.actor.tenant).await?;
    Ok(axum::Json(single_page(
        &app.keys.paging_secret,
        rows,
        "/v1/invoices",
        |i| (String::new(), i.id.clone()),
        invoice_dto,
    )?))
}

/// One invoice.
#[utoipa::path(get, path = "/v1/invoices/{invoiceId}", tag = "commerce", params(("invoiceId" = String, Path)),
    responses((status = 200, body = InvoiceDto), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn invoice(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<InvoiceDto>> {
    Ok(axum::Json(invoice_dto(own_invoice(&app, &ctx, &id).await?)))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLineDto {
    pub line_number: i64,
    pub customer_id: String,
    pub customer_name: String,
    pub reseller_id: Option<String>,
    pub reseller_mpn_id: Option<String>,
    pub subscription_id: String,
    pub product_id: String,
    pub sku_id: String,
    pub quantity: i64,
    pub unit_price: String,
    pub charge_start_date: String,
    pub charge_end_date: String,
    pub amount: String,
    pub attributes: Attributes,
}

/// An invoice's line items.
#[utoipa::path(get, path = "/v1/invoices/{invoiceId}/lineitems", tag = "commerce", params(("invoiceId" = String, Path)),
    responses((status = 200, body = Collection<InvoiceLineDto>), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn invoice_lines(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Collection<InvoiceLineDto>>> {
    own_invoice(&app, &ctx, &id).await?;
    let rows = repo::invoice_lines(&app.db, &id).await?;
    Ok(axum::Json(single_page(
        &app.keys.paging_secret,
        rows,
        &format!("/v1/invoices/{id}/lineitems"),
        |l| (String::new(), format!("{:08}", l.line_number)),
        line_dto,
    )?))
}

fn line_dto(l: repo::InvoiceLine) -> InvoiceLineDto {
    InvoiceLineDto {
        line_number: l.line_number,
        customer_id: l.customer.to_string(),
        customer_name: l.customer_name,
        reseller_id: l.reseller.map(|r| r.to_string()),
        reseller_mpn_id: l.reseller_mpn_id,
        subscription_id: l.subscription_id,
        product_id: l.product_id,
        sku_id: l.sku_id,
        quantity: l.quantity,
        unit_price: l.unit_price,
        charge_start_date: crate::clock::from_ms(l.charge_start).to_rfc3339(),
        charge_end_date: crate::clock::from_ms(l.charge_end).to_rfc3339(),
        amount: l.amount,
        attributes: Attributes::of("InvoiceLineItem"),
    }
}

/// The invoice's lines as CSV.
#[utoipa::path(get, path = "/v1/invoices/{invoiceId}/csv", tag = "commerce", params(("invoiceId" = String, Path)),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn invoice_csv(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (inv, lines) = uc::invoice(&app, &ctx, &id).await?;
    let body =
        crate::web::invoice_csv(&lines, &inv.currency).map_err(|e| Error::Internal(e.into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"invoice-{id}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    pub reseller_id: Option<String>,
    pub reseller_mpn_id: Option<String>,
    pub currency_code: String,
    /// The provider's charges to this reseller, at the provider's price list.
    pub total: String,
    pub lines: i64,
    pub attributes: Attributes,
}

/// The provider's statement to each reseller for the invoice's period, at its price list.
#[utoipa::path(get, path = "/v1/invoices/{invoiceId}/statements", tag = "commerce", params(("invoiceId" = String, Path)),
    responses((status = 200, body = Collection<Statement>), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn statements(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Collection<Statement>>> {
    let inv = own_invoice(&app, &ctx, &id).await?;
    let mut by: std::collections::BTreeMap<Option<String>, (Option<String>, Decimal, i64)> =
        Default::default();
    for l in repo::invoice_lines(&app.db, &id).await? {
        let country = crate::app::store::identity::tenant(&app.db, l.customer)
            .await?
            .map(|t| t.country)
            .unwrap_or_default();
        let list = Decimal::from_str(&l.unit_price).unwrap_or_default();
        let price =
            uc::price_to_reseller(&app, inv.provider, &l.product_id, &l.sku_id, &country, list)
                .await?;
        let share = Decimal::from(l.charge_end - l.charge_start)
            / Decimal::from(inv.period_end - inv.period_start);
        let amount = (Decimal::from(l.quantity) * price * share).round_dp(2);
        let e = by.entry(l.reseller.map(|r| r.to_string())).or_insert((
            l.reseller_mpn_id.clone(),
            Decimal::ZERO,
            0,
        ));
        e.1 += amount;
        e.2 += 1;
    }
    let rows: Vec<_> = by.into_iter().collect();
    Ok(axum::Json(single_page(
        &app.keys.paging_secret,
        rows,
        &format!("/v1/invoices/{id}/statements"),
        |(r, _)| (String::new(), r.clone().unwrap_or_default()),
        |(r, (mpn, total, n))| Statement {
            reseller_id: r,
            reseller_mpn_id: mpn,
            currency_code: inv.currency.clone(),
            total: total.to_string(),
            lines: n,
            attributes: Attributes::of("ResellerStatement"),
        },
    )?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenerateBody {
    /// The month to invoice, `YYYY-MM`; it must have ended.
    pub period: String,
}

/// Creates the invoices of a closed month for every provider (operator).
#[utoipa::path(post, path = "/v1/invoices/generate", tag = "commerce", request_body = GenerateBody,
    responses((status = 201, body = ImportResult), (status = 400, body = super::error::ApiErrorBody), (status = 403, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn generate(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<GenerateBody>,
) -> ApiResult<Response> {
    ctx.require(Action::ReviewEnrollments, Resource::Platform)?;
    let start = chrono::NaiveDate::parse_from_str(&format!("{}-01", b.period.trim()), "%Y-%m-%d")
        .map_err(|_| Error::field("period", "write the month as YYYY-MM"))?
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_millis();
    let n = uc::generate_invoices(&app, start).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ImportResult {
            availabilities: n,
            attributes: Attributes::of("InvoiceRun"),
        }),
    )
        .into_response())
}

/// The provider's prices to its resellers.
#[utoipa::path(get, path = "/v1/pricelists/provider", tag = "commerce",
    responses((status = 200, body = Collection<ProviderPriceInput>), (status = 403, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn provider_prices(
    State(app): State<App>,
    Caller(ctx): Caller,
) -> ApiResult<axum::Json<Collection<ProviderPriceInput>>> {
    ctx.require(Action::ManageListing, Resource::Tenant(ctx.actor.tenant))?;
    let rows = repo::provider_prices(&app.db, ctx.actor.tenant).await?;
    Ok(axum::Json(single_page(
        &app.keys.paging_secret,
        rows,
        "/v1/pricelists/provider",
        |r| (String::new(), format!("{}:{}:{}", r.0, r.1, r.2)),
        |(p, s, c, k, v)| ProviderPriceInput {
            product_id: p,
            sku_id: s,
            country: c,
            kind: k,
            value: v,
        },
    )?))
}

/// Sets prices to resellers: a markup in percent on the operator's price, or a fixed price.
#[utoipa::path(put, path = "/v1/pricelists/provider", tag = "commerce", request_body = Vec<ProviderPriceInput>,
    responses((status = 200, body = Collection<ProviderPriceInput>), (status = 400, body = super::error::ApiErrorBody), (status = 403, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn put_provider_prices(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<Vec<ProviderPriceInput>>,
) -> ApiResult<axum::Json<Collection<ProviderPriceInput>>> {
    uc::set_provider_prices(&app, &ctx, &b).await?;
    provider_prices(State(app), Caller(ctx)).await
}

/// Sets the reseller's prices to its customers.
#[utoipa::path(put, path = "/v1/pricelists/customer", tag = "commerce", request_body = Vec<ResellerPriceInput>,
    responses((status = 204, description = "saved"), (status = 400, body = super::error::ApiErrorBody), (status = 403, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn put_reseller_prices(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<Vec<ResellerPriceInput>>,
) -> ApiResult<StatusCode> {
    uc::set_reseller_prices(&app, &ctx, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}
