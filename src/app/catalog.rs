//! Reading the catalog: single SKUs and availabilities by id, and the catalog seen as the
//! public contract's offers (one offer per product, SKU and availability).

use super::Ctx;
use crate::app::App;
use crate::domain::authz::{Action, Resource};
use crate::domain::commerce::CatalogItemId;
use crate::domain::{Error, Result};
use crate::store::commerce::{self as repo, Availability, Product, Sku};

fn reader(ctx: &Ctx) -> Result<()> {
    ctx.require(Action::SearchProviders, Resource::Platform)
}

/// One SKU of a product.
pub async fn sku(app: &App, ctx: &Ctx, product: &str, sku: &str) -> Result<Sku> {
    reader(ctx)?;
    repo::sku(&app.db, product, sku)
        .await?
        .ok_or(Error::NotFound("sku"))
}

/// One availability of an SKU.
pub async fn availability(app: &App, ctx: &Ctx, item: &CatalogItemId) -> Result<Availability> {
    reader(ctx)?;
    repo::availability(&app.db, &item.product, &item.sku, &item.availability)
        .await?
        .ok_or(Error::NotFound("availability"))
}

/// An offer: what one catalog item id names.
pub struct Offer {
    pub product: Product,
    pub sku: Sku,
    pub availability: Availability,
}

/// Every offer available in a country (the caller's country when none is given).
pub async fn offers(app: &App, ctx: &Ctx, country: Option<&str>) -> Result<Vec<Offer>> {
    reader(ctx)?;
    let country = match country {
        Some(c) => c.trim().to_ascii_uppercase(),
        None => crate::store::identity::tenant(&app.db, ctx.actor.tenant)
            .await?
            .map(|t| t.country)
            .unwrap_or_default(),
    };
    let mut out = Vec::new();
    for product in repo::products(&app.db, &country, "").await? {
        for sku in repo::skus(&app.db, &product.id).await? {
            for availability in
                repo::availabilities(&app.db, &product.id, &sku.id, &country).await?
            {
                out.push(Offer {
                    product: product.clone(),
                    sku: sku.clone(),
                    availability,
                });
            }
        }
    }
    Ok(out)
}

/// One offer by its id (`productId:skuId:availabilityId`).
pub async fn offer(app: &App, ctx: &Ctx, id: &str) -> Result<Offer> {
    let item = CatalogItemId::parse(id)?;
    let availability = availability(app, ctx, &item).await?;
    let sku = sku(app, ctx, &item.product, &item.sku).await?;
    let product = repo::product(&app.db, &item.product)
        .await?
        .ok_or(Error::NotFound("product"))?;
    Ok(Offer {
        product,
        sku,
        availability,
    })
}
