//! Reading the catalog: single SKUs and availabilities by id, and the catalog seen as the
//! public contract's offers (one offer per product, SKU and availability).

use super::Ctx;
use crate::app::store::commerce::{self as repo, Availability, Product, Sku};
use crate::app::store::subscription_links as links;
use crate::app::App;
use crate::domain::authz::{Action, Resource};
use crate::domain::commerce::CatalogItemId;
use crate::domain::{Error, Result};

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
    /// The product is bought on top of a subscription of another product.
    pub is_add_on: bool,
    /// Other products are bought on top of this one.
    pub has_add_ons: bool,
}

/// The add-on relation of the catalog: (add-on product, base product).
async fn add_on_flags(app: &App, product: &str) -> Result<(bool, bool)> {
    Ok((
        links::base_product(&app.db, product).await?.is_some(),
        !links::addon_products(&app.db, product).await?.is_empty(),
    ))
}

/// The add-ons of an offer: the offers of its add-on products in its country, billed on the
/// same cycle and term.
pub async fn addons(app: &App, ctx: &Ctx, id: &str) -> Result<Vec<Offer>> {
    let base = offer(app, ctx, id).await?;
    let mut out = Vec::new();
    for p in links::addon_products(&app.db, &base.product.id).await? {
        let product = repo::product(&app.db, &p)
            .await?
            .ok_or(Error::NotFound("product"))?;
        for sku in repo::skus(&app.db, &p).await? {
            for a in repo::availabilities(&app.db, &p, &sku.id, &base.availability.country).await? {
                if a.billing_cycle == base.availability.billing_cycle
                    && a.term == base.availability.term
                    && a.segment == base.availability.segment
                {
                    out.push(Offer {
                        product: product.clone(),
                        sku: sku.clone(),
                        availability: a,
                        is_add_on: true,
                        has_add_ons: false,
                    });
                }
            }
        }
    }
    Ok(out)
}

/// Every offer available in a country (the caller's country when none is given).
pub async fn offers(app: &App, ctx: &Ctx, country: Option<&str>) -> Result<Vec<Offer>> {
    reader(ctx)?;
    let country = match country {
        Some(c) => c.trim().to_ascii_uppercase(),
        None => crate::app::store::identity::tenant(&app.db, ctx.actor.tenant)
            .await?
            .map(|t| t.country)
            .unwrap_or_default(),
    };
    let mut out = Vec::new();
    for product in repo::products(&app.db, &country, "").await? {
        let (is_add_on, has_add_ons) = add_on_flags(app, &product.id).await?;
        for sku in repo::skus(&app.db, &product.id).await? {
            for availability in
                repo::availabilities(&app.db, &product.id, &sku.id, &country).await?
            {
                out.push(Offer {
                    product: product.clone(),
                    sku: sku.clone(),
                    availability,
                    is_add_on,
                    has_add_ons,
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
    let (is_add_on, has_add_ons) = add_on_flags(app, &product.id).await?;
    Ok(Offer {
        product,
        sku,
        availability,
        is_add_on,
        has_add_ons,
    })
}
