//! Partner-center operations the generated partner-center SDK calls that sit under one
//! customer: the customer's offers, offer categories and add-ons, a partner leaving it, and
//! the (refused) deletion of a customer.

use super::collection::{Collection, Page, PageQuery};
use super::error::ApiResult;
use super::extract::{Caller, Path, Query};
use super::json::Json;
use super::offers::{addons_page, categories_page, offers_page, OfferCategory, OfferDto};
use crate::app::customer_offers;
use crate::app::App;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

/// The offers a customer can buy: those of the customer's country.
#[utoipa::path(get, path = "/v1/customers/{customerId}/offers", tag = "commerce",
    params(("customerId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<OfferDto>), (status = 403, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn customer_offers(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<OfferDto>>> {
    let path = format!("/v1/customers/{id}/offers");
    let page = Page::from_request(&headers, &pq, &path, &app.keys.paging_secret)?;
    let (rows, total) =
        customer_offers::offers_page(&app, &ctx, &id, page.position(), page.fetch()).await?;
    Ok(offers_page(&app, page, rows, total, &path))
}

/// The offer categories of the customer's country.
#[utoipa::path(get, path = "/v1/customers/{customerId}/offercategories", tag = "commerce",
    params(("customerId" = String, Path)),
    responses((status = 200, body = Collection<OfferCategory>), (status = 403, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn customer_offer_categories(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Collection<OfferCategory>>> {
    let (kinds, country) = customer_offers::categories(&app, &ctx, &id).await?;
    categories_page(
        &app,
        kinds,
        &country,
        &format!("/v1/customers/{id}/offercategories"),
    )
}

/// The add-ons of one offer, for a customer of the offer's country.
#[utoipa::path(get, path = "/v1/customers/{customerId}/offers/{offerId}/addons", tag = "commerce",
    params(("customerId" = String, Path), ("offerId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<OfferDto>), (status = 400, body = super::error::ApiErrorBody), (status = 403, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn customer_offer_addons(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, offer)): Path<(String, String)>,
    headers: HeaderMap,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Collection<OfferDto>>> {
    let path = format!("/v1/customers/{id}/offers/{offer}/addons");
    let page = Page::from_request(&headers, &pq, &path, &app.keys.paging_secret)?;
    let rows = customer_offers::addons(&app, &ctx, &id, &offer).await?;
    Ok(addons_page(&app, page, rows, &path))
}

/// The caller removes itself from a customer: its relationship and its delegated grants end
/// (as `relationshipToPartner: none` does); subscriptions already bought keep billing.
#[utoipa::path(delete, path = "/v1/customers/{customerId}/relationships/partner", tag = "customers",
    params(("customerId" = String, Path)),
    responses((status = 204, description = "the relationship and grants ended"), (status = 403, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn remove_partner_relationship(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    crate::app::customers::end_from_partner(&app, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deleting a customer: refused with 409 to the partners that serve it (Partner Hub has no
/// sandbox accounts, the only ones the reference deletes); end the relationship instead.
#[utoipa::path(delete, path = "/v1/customers/{customerId}", tag = "customers",
    params(("customerId" = String, Path)),
    responses((status = 409, body = super::error::ApiErrorBody), (status = 403, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_customer(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    crate::app::customer_deletion::delete(&app, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
