//! The catalog as the public contract's offers (`/v1/offers`, categories, add-ons) and single
//! SKUs and availabilities by id. One offer is one catalog item: `productId:skuId:availabilityId`.

use super::collection::{single_page, Attributes, Collection};
use super::error::ApiResult;
use super::extract::{Caller, Path, Query};
use crate::app::catalog::{self, Offer};
use crate::app::store::commerce::{Availability, Sku};
use crate::app::App;
use crate::domain::commerce::CatalogItemId;
use axum::extract::State;
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

/// The offers available in a country, one per catalog item.
#[utoipa::path(get, path = "/v1/offers", tag = "commerce", params(OfferQuery),
    responses((status = 200, body = Collection<OfferDto>), (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn offers(
    State(app): State<App>,
    Caller(ctx): Caller,
    Query(q): Query<OfferQuery>,
) -> ApiResult<axum::Json<Collection<OfferDto>>> {
    let rows = catalog::offers(&app, &ctx, q.country.as_deref()).await?;
    offers_page(&app, rows, "/v1/offers")
}

/// One offer by id.
#[utoipa::path(get, path = "/v1/offers/{offerId}", tag = "commerce", params(("offerId" = String, Path)),
    responses((status = 200, body = OfferDto), (status = 400, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn offer(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<OfferDto>> {
    Ok(axum::Json(offer_dto(
        catalog::offer(&app, &ctx, &id).await?,
    )))
}

/// The add-ons of an offer: offers of the products bought on top of its product, in its
/// country, billed on the same cycle and term.
#[utoipa::path(get, path = "/v1/offers/{offerId}/addons", tag = "commerce", params(("offerId" = String, Path)),
    responses((status = 200, body = Collection<OfferDto>), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn addons(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Collection<OfferDto>>> {
    let rows = catalog::addons(&app, &ctx, &id).await?;
    offers_page(&app, rows, &format!("/v1/offers/{id}/addons"))
}

/// The offer categories of a country.
#[utoipa::path(get, path = "/v1/offercategories", tag = "commerce", params(OfferQuery),
    responses((status = 200, body = Collection<OfferCategory>), (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn categories(
    State(app): State<App>,
    Caller(ctx): Caller,
    Query(q): Query<OfferQuery>,
) -> ApiResult<axum::Json<Collection<OfferCategory>>> {
    let offers = catalog::offers(&app, &ctx, q.country.as_deref()).await?;
    categories_page(&app, &offers, "/v1/offercategories")
}

/// The distinct categories of some offers, as one page.
pub(super) fn categories_page(
    app: &App,
    offers: &[Offer],
    path: &str,
) -> ApiResult<axum::Json<Collection<OfferCategory>>> {
    let mut kinds: Vec<(String, String)> = offers
        .iter()
        .map(|o| {
            (
                o.product.product_type.clone(),
                o.availability.country.clone(),
            )
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    Ok(axum::Json(single_page(
        &app.keys.paging_secret,
        kinds,
        path,
        |(k, _)| (String::new(), k.clone()),
        |(k, c)| category(&k, &c),
    )?))
}

/// Offers as one page, keyed by their ids.
pub(super) fn offers_page(
    app: &App,
    rows: Vec<Offer>,
    path: &str,
) -> ApiResult<axum::Json<Collection<OfferDto>>> {
    Ok(axum::Json(single_page(
        &app.keys.paging_secret,
        rows,
        path,
        |o| {
            let a = &o.availability;
            (
                String::new(),
                format!("{}:{}:{}", a.product_id, a.sku_id, a.id),
            )
        },
        offer_dto,
    )?))
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
) -> ApiResult<axum::Json<SkuOne>> {
    Ok(axum::Json(SkuOne {
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
) -> ApiResult<axum::Json<AvailabilityOne>> {
    let item = CatalogItemId {
        product: p,
        sku: s,
        availability: a,
    };
    let found = catalog::availability(&app, &ctx, &item).await?;
    Ok(axum::Json(AvailabilityOne {
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
) -> ApiResult<axum::Json<ProvisioningStatus>> {
    let s = crate::app::subscriptions::get(&app, &ctx, &id, &sid).await?;
    Ok(axum::Json(ProvisioningStatus {
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

/// The offers a subscription may be upgraded to.
#[utoipa::path(get, path = "/v1/customers/{customerId}/subscriptions/{subscriptionId}/upgrades", tag = "commerce",
    params(("customerId" = String, Path), ("subscriptionId" = String, Path)),
    responses((status = 200, body = Collection<Upgrade>), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn upgrades(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, sid)): Path<(String, String)>,
) -> ApiResult<axum::Json<Collection<Upgrade>>> {
    let rows = crate::app::subscriptions::upgrades(&app, &ctx, &id, &sid).await?;
    Ok(axum::Json(single_page(
        &app.keys.paging_secret,
        rows,
        &format!("/v1/customers/{id}/subscriptions/{sid}/upgrades"),
        |o| (String::new(), o.sku.id.clone()),
        |o| Upgrade {
            target_offer: offer_dto(o),
            upgrade_type: "upgrade_only".into(),
            is_eligible: true,
            attributes: Attributes::of("Upgrade"),
        },
    )?))
}
