//! Reading one subscription and what it may become: its provisioning state and the offers it
//! may be upgraded to.

use super::catalog::Offer;
use super::customers::authorized;
use super::{App, Ctx};
use crate::app::store::commerce::{self as repo, SubscriptionRow};
use crate::domain::authz::Action;
use crate::domain::{Error, Result};

/// One subscription of a customer the caller may read.
pub async fn get(app: &App, ctx: &Ctx, customer_id: &str, id: &str) -> Result<SubscriptionRow> {
    let (t, _) = authorized(app, ctx, customer_id, Action::ReadCustomer).await?;
    repo::subscription(&app.db, t.id, id)
        .await?
        .ok_or(Error::NotFound("subscription"))
}

/// The offers a subscription may move to: the other SKUs of its product, in its country,
/// with its billing cycle and term.
pub async fn upgrades(app: &App, ctx: &Ctx, customer_id: &str, id: &str) -> Result<Vec<Offer>> {
    let s = get(app, ctx, customer_id, id).await?;
    let current = repo::availability(&app.db, &s.product_id, &s.sku_id, &s.availability_id)
        .await?
        .ok_or(Error::NotFound("availability"))?;
    let product = repo::product(&app.db, &s.product_id)
        .await?
        .ok_or(Error::NotFound("product"))?;
    let mut out = Vec::new();
    for sku in repo::skus(&app.db, &s.product_id).await? {
        if sku.id == s.sku_id {
            continue;
        }
        for a in repo::availabilities(&app.db, &s.product_id, &sku.id, &current.country).await? {
            if a.billing_cycle == current.billing_cycle
                && a.term == current.term
                && a.segment == current.segment
            {
                out.push(Offer {
                    product: product.clone(),
                    sku: sku.clone(),
                    availability: a,
                    is_add_on: false,
                    has_add_ons: false,
                });
            }
        }
    }
    Ok(out)
}

/// The add-on subscriptions bought on a subscription.
pub async fn addons(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    id: &str,
) -> Result<Vec<SubscriptionRow>> {
    let s = get(app, ctx, customer_id, id).await?;
    let mut out = Vec::new();
    for a in crate::app::store::subscription_links::addons_of(&app.db, &s.id).await? {
        out.extend(repo::subscription(&app.db, s.customer, &a).await?);
    }
    Ok(out)
}
