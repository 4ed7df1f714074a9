//! The catalog as the public contract's offers (`/v1/offers`, categories, add-ons) and single
//! SKUs and availabilities by id. One offer is one catalog item: `productId:skuId:availabilityId`.

use super::collection::{single_page, Attributes, Collection, Page, PageQuery};
use super::error::ApiResult;
use super::extract::{Caller, Path, Query};
use super::json::Json;
use crate::app::catalog::{self, Availability, Offer, Sku};
use crate::app::App;
use crate::domain::commerce::CatalogItemId;
use crate::domain::ids::SubscriptionId;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfferQuery {
    /// Country code; defaults to the caller's tenant country.
    pub country: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfferCategory {
    /// The product type the offers of this category share: `license` or `usage`.
    pub id: String,
    pub name: String,
    pub rank: i64,
    pub country: String,
    pub attributes: Attributes,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfferProduct {
    pub id: String,
    pub name: String,
    pub unit: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfferDto {
    /// `productId:skuId:availabilityId`, the id orders and carts take.
    pub id: String,
    pub name: String,
    pub description: String,
    pub minimum_quantity: i64,
    pub maximum_quantity: i64,
    pub country: String,
    pub currency_code: String,
    pub category: OfferCategory,
    /// `license` or `usage`.
    pub billing: String,
    pub supported_billing_cycles: Vec<String>,
    pub term_duration: String,
    pub is_add_on: bool,
    pub has_add_ons: bool,
    pub is_available_for_purchase: bool,
    pub is_auto_renewable: bool,
    pub is_trial: bool,
    pub unit_type: String,
    pub list_price: String,
    pub product: OfferProduct,
    pub attributes: Attributes,
}

fn category(product_type: &str, country: &str) -> OfferCategory {
    let (name, rank) = match product_type {
        "usage" => ("Usage-based services", 2),
        _ => ("Licensed services", 1),
    };
    OfferCategory {
        id: product_type.to_string(),
        name: name.into(),
        rank,
        country: country.to_string(),
        attributes: Attributes::of("OfferCategory"),
    }
}

fn offer_dto(o: Offer) -> OfferDto {
    let a = &o.availability;
    OfferDto {
        id: format!("{}:{}:{}", a.product_id, a.sku_id, a.id),
        name: format!("{} {}", o.product.title, o.sku.title),
        description: o.sku.description.clone(),
        minimum_quantity: o.sku.minimum_quantity,
        maximum_quantity: o.sku.maximum_quantity,
        country: a.country.clone(),
        currency_code: a.currency.clone(),
        category: category(&o.product.product_type, &a.country),
        billing: o.product.product_type.clone(),
        supported_billing_cycles: vec![a.billing_cycle.clone()],
        term_duration: a.term.clone(),
        is_add_on: o.is_add_on,
        has_add_ons: o.has_add_ons,
        is_available_for_purchase: true,
        is_auto_renewable: o.product.product_type == "license",
        is_trial: o.sku.is_trial,
        unit_type: o.sku.unit_type.clone(),
        list_price: a.list_price.clone(),
        product: OfferProduct {
            id: o.product.id.clone(),
            name: o.product.title.clone(),
            unit: o.sku.unit_type.clone(),
        },
        attributes: Attributes::of("Offer"),
    }
}

/// The offers available in a country, one per catalog item, by product title (keyset pages).
#[utoipa::path(get, path = "/v1/offers", tag = "commerce", params(OfferQuery, PageQuery),
    responses((status = 200, body = Collection<OfferDto>), (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn offers(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(q): Query<OfferQuery>,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<OfferDto>>> {
    let country = catalog::country_for(&app, &ctx, q.country.as_deref()).await?;
    let page = Page::from_request(
        &headers,
        &pq,
        &format!("offers:{country}"),
        &app.keys.paging_secret,
    )?;
    let (rows, total) =
        catalog::offers_page(&app, &ctx, Some(&country), page.position(), page.fetch()).await?;
    Ok(offers_page(
        &app,
        page,
        rows,
        total,
        &format!("/v1/offers?country={country}"),
    ))
}

/// One offer by id.
#[utoipa::path(get, path = "/v1/offers/{offerId}", tag = "commerce", params(("offerId" = String, Path)),
    responses((status = 200, body = OfferDto), (status = 400, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn offer(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<OfferDto>> {
    Ok(Json(offer_dto(catalog::offer(&app, &ctx, &id).await?)))
}

/// The add-ons of an offer: offers of the products bought on top of its product, in its
/// country, billed on the same cycle and term.
#[utoipa::path(get, path = "/v1/offers/{offerId}/addons", tag = "commerce", params(("offerId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<OfferDto>), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn addons(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<OfferDto>>> {
    let path = format!("/v1/offers/{id}/addons");
    let page = Page::from_request(&headers, &pq, &path, &app.keys.paging_secret)?;
    let rows = catalog::addons(&app, &ctx, &id).await?;
    Ok(addons_page(&app, page, rows, &path))
}

/// The offer categories of a country: at most one per product type, so one page.
#[utoipa::path(get, path = "/v1/offercategories", tag = "commerce", params(OfferQuery),
    responses((status = 200, body = Collection<OfferCategory>), (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn categories(
    State(app): State<App>,
    Caller(ctx): Caller,
    Query(q): Query<OfferQuery>,
) -> ApiResult<Json<Collection<OfferCategory>>> {
    let country = catalog::country_for(&app, &ctx, q.country.as_deref()).await?;
    let kinds = catalog::categories(&app, &ctx, Some(&country)).await?;
    categories_page(&app, kinds, &country, "/v1/offercategories")
}

/// Product types as offer categories, as one page (a fixed, short list).
pub(super) fn categories_page(
    app: &App,
    kinds: Vec<String>,
    country: &str,
    path: &str,
) -> ApiResult<Json<Collection<OfferCategory>>> {
    Ok(Json(single_page(
        &app.keys.paging_secret,
        kinds,
        path,
        |k| (String::new(), k.clone()),
        |k| category(&k, country),
    )?))
}

/// A page of offers read by keyset, keyed by product title and catalog item id.
pub(super) fn offers_page(
    app: &App,
    page: Page,
    rows: Vec<Offer>,
    total: i64,
    path: &str,
) -> Json<Collection<OfferDto>> {
    Json(page.finish(
        rows,
        total,
        path,
        &app.keys.paging_secret,
        Offer::sort_key,
        offer_dto,
    ))
}

/// The add-ons of an offer (a short list read whole), paged in memory.
pub(super) fn addons_page(
    app: &App,
    page: Page,
    rows: Vec<Offer>,
    path: &str,
) -> Json<Collection<OfferDto>> {
    Json(page.finish_in_memory(
        rows,
        path,
        &app.keys.paging_secret,
        Offer::sort_key,
        offer_dto,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkuOne {
    #[serde(flatten)]
    pub sku: Sku,
    pub attributes: Attributes,
}

/// One SKU of a product.
#[utoipa::path(get, path = "/v1/products/{productId}/skus/{skuId}", tag = "commerce",
    params(("productId" = String, Path), ("skuId" = String, Path)),
    responses((status = 200, body = SkuOne), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn sku(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((p, s)): Path<(String, String)>,
) -> ApiResult<Json<SkuOne>> {
    Ok(Json(SkuOne {
        sku: catalog::sku(&app, &ctx, &p, &s).await?,
        attributes: Attributes::of("Sku"),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityOne {
    #[serde(flatten)]
    pub availability: Availability,
    /// What to order: `productId:skuId:availabilityId`.
    pub catalog_item_id: String,
    pub attributes: Attributes,
}

/// One availability of an SKU.
#[utoipa::path(get, path = "/v1/products/{productId}/skus/{skuId}/availabilities/{availabilityId}", tag = "commerce",
    params(("productId" = String, Path), ("skuId" = String, Path), ("availabilityId" = String, Path)),
    responses((status = 200, body = AvailabilityOne), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn availability(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((p, s, a)): Path<(String, String, String)>,
) -> ApiResult<Json<AvailabilityOne>> {
    let item = CatalogItemId {
        product: p,
        sku: s,
        availability: a,
    };
    let found = catalog::availability(&app, &ctx, &item).await?;
    Ok(Json(AvailabilityOne {
        catalog_item_id: item.to_string(),
        availability: found,
        attributes: Attributes::of("Availability"),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningStatus {
    pub sku_id: String,
    /// `success`: subscriptions are provisioned when their order is placed.
    pub status: String,
    pub quantity: i64,
    pub attributes: Attributes,
}

/// Whether a subscription's seats are provisioned.
#[utoipa::path(get, path = "/v1/customers/{customerId}/subscriptions/{subscriptionId}/provisioningstatus", tag = "commerce",
    params(("customerId" = String, Path), ("subscriptionId" = String, Path)),
    responses((status = 200, body = ProvisioningStatus), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn provisioning_status(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, sid)): Path<(String, String)>,
) -> ApiResult<Json<ProvisioningStatus>> {
    let s = crate::app::subscriptions::get(&app, &ctx, &id, SubscriptionId::named(&sid)?).await?;
    Ok(Json(ProvisioningStatus {
        sku_id: format!("{}:{}", s.product_id, s.sku_id),
        status: "success".into(),
        quantity: s.quantity,
        attributes: Attributes::of("SubscriptionProvisioningStatus"),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Upgrade {
    pub target_offer: OfferDto,
    /// `upgrade_only`: the subscription changes SKU and keeps its seats.
    pub upgrade_type: String,
    pub is_eligible: bool,
    pub attributes: Attributes,
}

/// The offers a subscription may be upgraded to (the other SKUs of its product: a short list
/// read whole, paged in memory).
#[utoipa::path(get, path = "/v1/customers/{customerId}/subscriptions/{subscriptionId}/upgrades", tag = "commerce",
    params(("customerId" = String, Path), ("subscriptionId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<Upgrade>), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn upgrades(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, sid)): Path<(String, String)>,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<Upgrade>>> {
    let path = format!("/v1/customers/{id}/subscriptions/{sid}/upgrades");
    let page = Page::from_request(&headers, &pq, &path, &app.keys.paging_secret)?;
    let rows =
        crate::app::subscriptions::upgrades(&app, &ctx, &id, SubscriptionId::named(&sid)?).await?;
    Ok(Json(page.finish_in_memory(
        rows,
        &path,
        &app.keys.paging_secret,
        Offer::sort_key,
        |o| Upgrade {
            target_offer: offer_dto(o),
            upgrade_type: "upgrade_only".into(),
            is_eligible: true,
            attributes: Attributes::of("Upgrade"),
        },
    )))
}
