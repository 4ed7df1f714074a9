//! Reading the catalog: products, SKUs and availabilities (single and in keyset pages), the
//! catalog seen as the public contract's offers (one offer per product, SKU and
//! availability), the offer categories of a country, and a provider's price list.

use super::paging::{self, Position};
use super::Ctx;
use crate::app::store::commerce::{self as repo};
use crate::app::store::commerce_pages::{self as pages, OfferKey};
use crate::app::store::subscription_links as links;
use crate::app::App;
use crate::domain::authz::{Action, Resource};
use crate::domain::commerce::CatalogItemId;
use crate::domain::{Error, Result};
use rust_decimal::Decimal;
use std::str::FromStr;

pub use crate::app::store::commerce::{Availability, Product, Sku};
pub use crate::app::store::commerce_pages::ProviderPriceRow;

fn reader(ctx: &Ctx) -> Result<()> {
    ctx.require(Action::SearchProviders, Resource::Platform)
}

/// The country a catalog read is for: the one asked, else the caller's own.
async fn country_or_own(app: &App, ctx: &Ctx, country: Option<&str>) -> Result<String> {
    Ok(match country.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => c.to_ascii_uppercase(),
        None => crate::app::store::identity::tenant(&app.db, ctx.actor.tenant)
            .await?
            .map(|t| t.country)
            .unwrap_or_default(),
    })
}

/// One page of the products offered in a country (the caller's when none is given) and
/// segment, by title, and how many there are.
pub async fn products_page(
    app: &App,
    ctx: &Ctx,
    country: Option<&str>,
    segment: Option<&str>,
    after: Position<'_>,
    limit: u32,
) -> Result<(Vec<Product>, i64)> {
    reader(ctx)?;
    let country = country_or_own(app, ctx, country).await?;
    let segment = segment.unwrap_or("");
    Ok(pages::products(&app.db, &country, segment, after, limit).await?)
}

/// One product.
pub async fn product(app: &App, ctx: &Ctx, id: &str) -> Result<Product> {
    reader(ctx)?;
    repo::product(&app.db, id)
        .await?
        .ok_or(Error::NotFound("product"))
}

/// One page of a product's SKUs, by id.
pub async fn skus_page(
    app: &App,
    ctx: &Ctx,
    product_id: &str,
    after: Position<'_>,
    limit: u32,
) -> Result<(Vec<Sku>, i64)> {
    product(app, ctx, product_id).await?;
    Ok(pages::skus(&app.db, product_id, after.map(|(_, id)| id), limit).await?)
}

/// An availability with the caller's price when the caller is a provider (its price list
/// applied to the list price).
pub struct PricedAvailability {
    pub availability: Availability,
    pub reseller_price: Option<Decimal>,
}

/// One page of an SKU's availabilities (in a country, when given), by id.
pub async fn availabilities_page(
    app: &App,
    ctx: &Ctx,
    product_id: &str,
    sku_id: &str,
    country: Option<&str>,
    after: Position<'_>,
    limit: u32,
) -> Result<(Vec<PricedAvailability>, i64)> {
    sku(app, ctx, product_id, sku_id).await?;
    let country = country.unwrap_or_default().to_ascii_uppercase();
    let (rows, total) = pages::availabilities(
        &app.db,
        product_id,
        sku_id,
        &country,
        after.map(|(_, id)| id),
        limit,
    )
    .await?;
    let is_provider = ctx.actor.partner.as_ref().is_some_and(|x| x.is_provider);
    // The provider's whole price list in one read, not one read per availability.
    let prices = if is_provider {
        pages::provider_price_map(&app.db, ctx.actor.tenant).await?
    } else {
        Default::default()
    };
    let priced = rows
        .into_iter()
        .map(|a| {
            let reseller_price = is_provider.then(|| {
                let list = Decimal::from_str(&a.list_price).unwrap_or_default();
                let key = (a.product_id.clone(), a.sku_id.clone(), a.country.clone());
                match prices.get(&key) {
                    Some(price) => price.apply(list),
                    None => list,
                }
            });
            PricedAvailability {
                availability: a,
                reseller_price,
            }
        })
        .collect();
    Ok((priced, total))
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

impl Offer {
    /// The offer's place in a page: its product's title, then its catalog item id.
    pub fn sort_key(&self) -> (String, String) {
        let a = &self.availability;
        (
            self.product.title.clone(),
            format!("{}:{}:{}", a.product_id, a.sku_id, a.id),
        )
    }
}

/// The add-on relation of the catalog: (add-on product, base product).
async fn add_on_flags(app: &App, product: &str) -> Result<(bool, bool)> {
    Ok((
        links::base_product(&app.db, product).await?.is_some(),
        !links::addon_products(&app.db, product).await?.is_empty(),
    ))
}

/// The add-ons of an offer: the offers of its add-on products in its country, billed on the
/// same cycle and term. A short list (the add-ons one product has), read whole.
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

/// One page of the offers of a country (the caller's when none is given), by product title
/// then catalog item id, and how many there are; one joined read per page.
pub async fn offers_page(
    app: &App,
    ctx: &Ctx,
    country: Option<&str>,
    after: Position<'_>,
    limit: u32,
) -> Result<(Vec<Offer>, i64)> {
    reader(ctx)?;
    let country = country_or_own(app, ctx, country).await?;
    let item = after
        .map(|(_, id)| CatalogItemId::parse(id).map_err(|_| paging::bad_position()))
        .transpose()?;
    let key = match (&after, &item) {
        (Some((title, _)), Some(i)) => Some(OfferKey {
            title,
            product: &i.product,
            sku: &i.sku,
            availability: &i.availability,
        }),
        _ => None,
    };
    let (rows, total) = pages::offers(&app.db, &country, key, limit).await?;
    let offers = rows
        .into_iter()
        .map(|r| Offer {
            product: r.product,
            sku: r.sku,
            availability: r.availability,
            is_add_on: r.is_add_on,
            has_add_ons: r.has_add_ons,
        })
        .collect();
    Ok((offers, total))
}

/// The offer categories of a country: the distinct product types offered there (at most
/// one per product type, so a short list read whole).
pub async fn categories(app: &App, ctx: &Ctx, country: Option<&str>) -> Result<Vec<String>> {
    reader(ctx)?;
    let country = country_or_own(app, ctx, country).await?;
    let mut kinds: Vec<String> = repo::products(&app.db, &country, "")
        .await?
        .into_iter()
        .map(|p| p.product_type)
        .collect();
    kinds.sort();
    kinds.dedup();
    Ok(kinds)
}

/// The country a catalog read for the caller is about (the one given, else the caller's).
pub async fn country_for(app: &App, ctx: &Ctx, country: Option<&str>) -> Result<String> {
    reader(ctx)?;
    country_or_own(app, ctx, country).await
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

/// One page of the caller's (a provider's) prices to its resellers, by product, SKU and
/// country.
pub async fn provider_prices_page(
    app: &App,
    ctx: &Ctx,
    after: Position<'_>,
    limit: u32,
) -> Result<(Vec<ProviderPriceRow>, i64)> {
    ctx.require(Action::ManageListing, Resource::Tenant(ctx.actor.tenant))?;
    // The position is the last row's product, then its SKU and country.
    let parts = after
        .map(|(product, rest)| {
            rest.rsplit_once(':')
                .map(|(sku, country)| (product, sku, country))
                .ok_or_else(paging::bad_position)
        })
        .transpose()?;
    Ok(pages::provider_prices(&app.db, ctx.actor.tenant, parts, limit).await?)
}
