//! `/v1/products` (catalog), `/v1/catalog/import`, orders, carts, subscriptions, price lists
//! and invoices.

use super::collection::{
    etag, expected_version, Attributes, Collection, EtagAttributes, Page, PageQuery,
};
use super::error::ApiResult;
use super::extract::{Body, Caller};
use super::extract::{Path, Query};
use super::json::Json;
use crate::app::carts;
use crate::app::catalog::{self, Availability, Product, ProviderPriceRow, Sku};
use crate::app::commerce::{
    self as uc, CatalogFile, LineInput, OrderInput, ProviderPriceInput, ResellerPriceInput,
    SubscriptionPatch,
};
use crate::app::invoices::{self, InvoiceLine, InvoiceRow};
use crate::app::orders::{self, OrderView};
use crate::app::subscriptions::{self, SubscriptionView};
use crate::app::App;
use crate::domain::authz::{Action, Resource};
use crate::domain::ids::{CartId, OrderId, SubscriptionId};
use crate::domain::Error;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A query string value inside a `next` link.
fn esc(v: &str) -> String {
    crate::web::url_escape(v)
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

/// Products offered in a country, by title (keyset pages).
#[utoipa::path(get, path = "/v1/products", tag = "commerce", params(ProductQuery, PageQuery),
    responses((status = 200, body = Collection<ProductDto>), (status = 403, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn products(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(q): Query<ProductQuery>,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<ProductDto>>> {
    let country = catalog::country_for(&app, &ctx, q.country.as_deref()).await?;
    let segment = q.target_segment.unwrap_or_default();
    let page = Page::from_request(
        &headers,
        &pq,
        &format!("products:{country}:{segment}"),
        &app.keys.paging_secret,
    )?;
    let (rows, total) = catalog::products_page(
        &app,
        &ctx,
        Some(&country),
        Some(&segment),
        page.position(),
        page.fetch(),
    )
    .await?;
    let mut path = format!("/v1/products?country={}", esc(&country));
    if !segment.is_empty() {
        path.push_str(&format!("&targetSegment={}", esc(&segment)));
    }
    Ok(Json(page.finish(
        rows,
        total,
        &path,
        &app.keys.paging_secret,
        |p| (p.title.clone(), p.id.clone()),
        |p| ProductDto {
            product: p,
            attributes: Attributes::of("Product"),
        },
    )))
}

/// One product.
#[utoipa::path(get, path = "/v1/products/{productId}", tag = "commerce", params(("productId" = String, Path)),
    responses((status = 200, body = ProductDto), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn product(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ProductDto>> {
    Ok(Json(ProductDto {
        product: catalog::product(&app, &ctx, &id).await?,
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

/// A product's SKUs, by id (keyset pages).
#[utoipa::path(get, path = "/v1/products/{productId}/skus", tag = "commerce", params(("productId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<SkuDto>), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn skus(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<SkuDto>>> {
    let path = format!("/v1/products/{id}/skus");
    let page = Page::from_request(&headers, &pq, &path, &app.keys.paging_secret)?;
    let (rows, total) = catalog::skus_page(&app, &ctx, &id, page.position(), page.fetch()).await?;
    Ok(Json(page.finish(
        rows,
        total,
        &path,
        &app.keys.paging_secret,
        |s| (String::new(), s.id.clone()),
        |s| SkuDto {
            sku: s,
            attributes: Attributes::of("Sku"),
        },
    )))
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

/// An SKU's availabilities: country, currency, segment, billing cycle, term and price (keyset
/// pages by id).
#[utoipa::path(get, path = "/v1/products/{productId}/skus/{skuId}/availabilities", tag = "commerce",
    params(("productId" = String, Path), ("skuId" = String, Path), CountryQuery, PageQuery),
    responses((status = 200, body = Collection<AvailabilityDto>), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn availabilities(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((p, s)): Path<(String, String)>,
    headers: HeaderMap,
    Query(q): Query<CountryQuery>,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<AvailabilityDto>>> {
    let country = q.country.unwrap_or_default().to_ascii_uppercase();
    let mut path = format!("/v1/products/{p}/skus/{s}/availabilities");
    let page = Page::from_request(
        &headers,
        &pq,
        &format!("{path}:{country}"),
        &app.keys.paging_secret,
    )?;
    let (rows, total) = catalog::availabilities_page(
        &app,
        &ctx,
        &p,
        &s,
        Some(&country),
        page.position(),
        page.fetch(),
    )
    .await?;
    if !country.is_empty() {
        path.push_str(&format!("?country={}", esc(&country)));
    }
    Ok(Json(page.finish(
        rows,
        total,
        &path,
        &app.keys.paging_secret,
        |r| (String::new(), r.availability.id.clone()),
        |r| AvailabilityDto {
            catalog_item_id: format!(
                "{}:{}:{}",
                r.availability.product_id, r.availability.sku_id, r.availability.id
            ),
            availability: r.availability,
            reseller_price: r.reseller_price.map(|p| p.to_string()),
            attributes: Attributes::of("Availability"),
        },
    )))
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
        Json(ImportResult {
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

pub(crate) fn order_dto(v: OrderView) -> OrderDto {
    let o = v.order;
    OrderDto {
        reference_customer_id: o.customer.to_string(),
        billing_provider_id: o.provider.to_string(),
        reseller_id: o.reseller.map(|r| r.to_string()),
        status: o.status.as_str().into(),
        currency_code: o.currency,
        total_price: o.total,
        creation_date: crate::clock::from_ms(o.created_at).to_rfc3339(),
        line_items: v
            .lines
            .into_iter()
            .map(|l| OrderLineDto {
                line_item_number: l.line.line_number,
                offer_id: l.line.catalog_item_id,
                friendly_name: l.friendly_name,
                subscription_id: l.line.subscription_id.to_string(),
                quantity: l.line.quantity,
                unit_price: l.line.unit_price,
                partner_id_on_record: l.line.partner_id_on_record,
            })
            .collect(),
        id: o.id.to_string(),
        attributes: Attributes::of("Order"),
    }
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
    let (view, _) = uc::place_order(&app, &ctx, &id, input).await?;
    Ok((StatusCode::CREATED, Json(order_dto(view))).into_response())
}

/// The customer's orders, newest first (keyset pages).
#[utoipa::path(get, path = "/v1/customers/{customerId}/orders", tag = "commerce", params(("customerId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<OrderDto>), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn orders(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<OrderDto>>> {
    let path = format!("/v1/customers/{id}/orders");
    let page = Page::from_request(&headers, &pq, &path, &app.keys.paging_secret)?;
    let (rows, total) = orders::page(&app, &ctx, &id, page.position(), page.fetch()).await?;
    Ok(Json(page.finish(
        rows,
        total,
        &path,
        &app.keys.paging_secret,
        OrderView::sort_key,
        order_dto,
    )))
}

/// One order.
#[utoipa::path(get, path = "/v1/customers/{customerId}/orders/{orderId}", tag = "commerce", params(("customerId" = String, Path), ("orderId" = String, Path)),
    responses((status = 200, body = OrderDto), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn order(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, oid)): Path<(String, String)>,
) -> ApiResult<Json<OrderDto>> {
    Ok(Json(order_dto(
        orders::get(&app, &ctx, &id, OrderId::named(&oid)?).await?,
    )))
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

pub(crate) fn subscription_dto(v: SubscriptionView) -> SubscriptionDto {
    let s = v.subscription;
    let ts = |ms: i64| crate::clock::from_ms(ms).to_rfc3339();
    SubscriptionDto {
        offer_id: format!("{}:{}:{}", s.product_id, s.sku_id, s.availability_id),
        offer_name: s.friendly_name.clone(),
        friendly_name: s.friendly_name,
        quantity: s.quantity,
        unit_type: "Licenses".into(),
        unit_price: s.unit_price,
        currency_code: s.currency,
        order_id: s.order_id.to_string(),
        creation_date: ts(s.created_at),
        effective_start_date: ts(s.term_start),
        commitment_end_date: ts(s.term_end),
        cancellation_allowed_until_date: ts(s.cancel_until),
        status: s.status.as_str().into(),
        auto_renew_enabled: s.auto_renew,
        billing_cycle: s.billing_cycle,
        term_duration: s.term,
        partner_id: v.reseller_mpn_id.map(|m| m.to_string()),
        billing_provider_id: s.provider.to_string(),
        attributes: Attributes::with_etag("Subscription", s.version),
        id: s.id.to_string(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionQuery {
    /// Only subscriptions of this order.
    pub order_id: Option<String>,
    /// Only subscriptions whose reseller of record has this partner-network id.
    pub mpn_id: Option<String>,
}

/// The customer's subscriptions, oldest first (keyset pages; filter by order or reseller of
/// record).
#[utoipa::path(get, path = "/v1/customers/{customerId}/subscriptions", tag = "commerce", params(("customerId" = String, Path), SubscriptionQuery, PageQuery),
    responses((status = 200, body = Collection<SubscriptionDto>), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn subscriptions(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<SubscriptionQuery>,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<SubscriptionDto>>> {
    let filter = subscriptions::ListFilter {
        order_id: q.order_id,
        mpn_id: q.mpn_id,
    };
    let mut path = format!("/v1/customers/{id}/subscriptions");
    let mut sep = '?';
    for (name, value) in [("order_id", &filter.order_id), ("mpn_id", &filter.mpn_id)] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            path.push_str(&format!("{sep}{name}={}", esc(v)));
            sep = '&';
        }
    }
    let page = Page::from_request(&headers, &pq, &path, &app.keys.paging_secret)?;
    let (rows, total) =
        subscriptions::page(&app, &ctx, &id, &filter, page.position(), page.fetch()).await?;
    Ok(Json(page.finish(
        rows,
        total,
        &path,
        &app.keys.paging_secret,
        SubscriptionView::sort_key,
        subscription_dto,
    )))
}

/// One subscription, with its ETag.
#[utoipa::path(get, path = "/v1/customers/{customerId}/subscriptions/{subscriptionId}", tag = "commerce", params(("customerId" = String, Path), ("subscriptionId" = String, Path)),
    responses((status = 200, body = SubscriptionDto), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn subscription(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, sid)): Path<(String, String)>,
) -> ApiResult<Response> {
    let v = subscriptions::view(&app, &ctx, &id, SubscriptionId::named(&sid)?).await?;
    let tag = etag(v.subscription.version);
    Ok(([(header::ETAG, tag)], Json(subscription_dto(v))).into_response())
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
        SubscriptionId::named(&sid)?,
        SubscriptionPatch {
            quantity,
            status,
            auto_renew,
        },
        expected,
    )
    .await?;
    let v = subscriptions::changed(&app, s).await?;
    let tag = etag(v.subscription.version);
    Ok(([(header::ETAG, tag)], Json(subscription_dto(v))).into_response())
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
        id: c.id.to_string(),
        status: c.status.wire().into(),
        line_items: c.content.lines,
        provider_id: c.content.provider_id,
        creation_timestamp: crate::clock::from_ms(c.created_at).to_rfc3339(),
        last_modified_timestamp: crate::clock::from_ms(c.updated_at).to_rfc3339(),
        expiration_timestamp: crate::clock::from_ms(c.expires_at).to_rfc3339(),
        order_id: c.order_id.map(|o| o.to_string()),
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
    Ok((StatusCode::CREATED, Json(cart_dto(c))).into_response())
}

/// One cart of the caller.
#[utoipa::path(get, path = "/v1/customers/{customerId}/carts/{cartId}", tag = "commerce", params(("customerId" = String, Path), ("cartId" = String, Path)),
    responses((status = 200, body = CartDto), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn get_cart(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, cid)): Path<(String, String)>,
) -> ApiResult<Json<CartDto>> {
    Ok(Json(cart_dto(
        carts::get(&app, &ctx, &id, CartId::named(&cid)?).await?,
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
) -> ApiResult<Json<CartDto>> {
    let body_tag = b.attributes.as_ref().and_then(|a| a.etag.clone());
    let expected = expected_version(&headers, body_tag.as_deref())?;
    let c = carts::update(&app, &ctx, &id, CartId::named(&cid)?, b.content(), expected).await?;
    Ok(Json(cart_dto(c)))
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
    let order = carts::checkout(&app, &ctx, &id, CartId::named(&cid)?).await?;
    let dto = order_dto(orders::placed(&app, order).await?);
    Ok((
        StatusCode::CREATED,
        Json(CheckoutResult {
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

fn invoice_dto(i: InvoiceRow) -> InvoiceDto {
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

/// The provider's invoices, newest period first (keyset pages).
#[utoipa::path(get, path = "/v1/invoices", tag = "commerce", params(PageQuery),
    responses((status = 200, body = Collection<InvoiceDto>), (status = 403, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn invoices(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<InvoiceDto>>> {
    let page = Page::from_request(
        &headers,
        &pq,
        &format!("invoices:{}", ctx.actor.tenant),
        &app.keys.paging_secret,
    )?;
    let (rows, total) = invoices::page(&app, &ctx, page.position(), page.fetch()).await?;
    Ok(Json(page.finish(
        rows,
        total,
        "/v1/invoices",
        &app.keys.paging_secret,
        invoices::sort_key,
        invoice_dto,
    )))
}

/// One invoice.
#[utoipa::path(get, path = "/v1/invoices/{invoiceId}", tag = "commerce", params(("invoiceId" = String, Path)),
    responses((status = 200, body = InvoiceDto), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn invoice(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<InvoiceDto>> {
    Ok(Json(invoice_dto(invoices::get(&app, &ctx, &id).await?)))
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

/// An invoice's line items, by line number (keyset pages).
#[utoipa::path(get, path = "/v1/invoices/{invoiceId}/lineitems", tag = "commerce", params(("invoiceId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<InvoiceLineDto>), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn invoice_lines(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<InvoiceLineDto>>> {
    let path = format!("/v1/invoices/{id}/lineitems");
    let page = Page::from_request(&headers, &pq, &path, &app.keys.paging_secret)?;
    let (rows, total) =
        invoices::lines_page(&app, &ctx, &id, page.position(), page.fetch()).await?;
    Ok(Json(page.finish(
        rows,
        total,
        &path,
        &app.keys.paging_secret,
        |l| (String::new(), l.line_number.to_string()),
        line_dto,
    )))
}

fn line_dto(l: InvoiceLine) -> InvoiceLineDto {
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

/// The provider's statement to each reseller for the invoice's period, at its price list (one
/// per reseller of the invoice, computed whole and paged in memory).
#[utoipa::path(get, path = "/v1/invoices/{invoiceId}/statements", tag = "commerce", params(("invoiceId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<Statement>), (status = 404, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn statements(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<Statement>>> {
    let path = format!("/v1/invoices/{id}/statements");
    let page = Page::from_request(&headers, &pq, &path, &app.keys.paging_secret)?;
    let (inv, rows) = invoices::statements(&app, &ctx, &id).await?;
    Ok(Json(page.finish_in_memory(
        rows,
        &path,
        &app.keys.paging_secret,
        invoices::Statement::sort_key,
        |st| Statement {
            reseller_id: st.reseller.map(|r| r.to_string()),
            reseller_mpn_id: st.reseller_mpn_id,
            currency_code: inv.currency.clone(),
            total: st.total.to_string(),
            lines: st.lines,
            attributes: Attributes::of("ResellerStatement"),
        },
    )))
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
        Json(ImportResult {
            availabilities: n,
            attributes: Attributes::of("InvoiceRun"),
        }),
    )
        .into_response())
}

/// The provider's prices to its resellers, by product, SKU and country (keyset pages).
#[utoipa::path(get, path = "/v1/pricelists/provider", tag = "commerce", params(PageQuery),
    responses((status = 200, body = Collection<ProviderPriceInput>), (status = 403, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn provider_prices(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<ProviderPriceInput>>> {
    let page = Page::from_request(
        &headers,
        &pq,
        &format!("pricelist:{}", ctx.actor.tenant),
        &app.keys.paging_secret,
    )?;
    let (rows, total) =
        catalog::provider_prices_page(&app, &ctx, page.position(), page.fetch()).await?;
    Ok(Json(page.finish(
        rows,
        total,
        "/v1/pricelists/provider",
        &app.keys.paging_secret,
        |r: &ProviderPriceRow| (r.product_id.clone(), format!("{}:{}", r.sku_id, r.country)),
        |r| ProviderPriceInput {
            product_id: r.product_id,
            sku_id: r.sku_id,
            country: r.country,
            kind: r.kind.as_str().into(),
            value: r.value,
        },
    )))
}

/// Sets prices to resellers: a markup in percent on the operator's price, or a fixed price.
#[utoipa::path(put, path = "/v1/pricelists/provider", tag = "commerce", request_body = Vec<ProviderPriceInput>,
    responses((status = 200, body = Collection<ProviderPriceInput>), (status = 400, body = super::error::ApiErrorBody), (status = 403, body = super::error::ApiErrorBody)), security(("bearer" = [])))]
pub async fn put_provider_prices(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<Vec<ProviderPriceInput>>,
) -> ApiResult<Json<Collection<ProviderPriceInput>>> {
    uc::set_provider_prices(&app, &ctx, &b).await?;
    provider_prices(
        State(app),
        Caller(ctx),
        HeaderMap::new(),
        Query(PageQuery::default()),
    )
    .await
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
