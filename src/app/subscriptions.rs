//! Reading subscriptions: a customer's subscriptions in keyset pages (oldest first, filtered
//! by order or reseller of record), one subscription, and what it may become (the offers it
//! may be upgraded to, its add-ons). Each view carries its reseller's partner-network id,
//! joined in the same read.

use super::catalog::Offer;
use super::customers::authorized;
use super::paging::{self, Position};
use super::{App, Ctx};
use crate::app::store::commerce::{self as repo};
use crate::app::store::commerce_pages::{
    self as pages, SubscriptionFilter, SubscriptionWithReseller,
};
use crate::domain::authz::Action;
use crate::domain::ids::{OrderId, SubscriptionId};
use crate::domain::{Error, Result};

pub use crate::app::store::commerce::SubscriptionRow;

/// A subscription as lists and single reads show it.
#[derive(Debug, Clone)]
pub struct SubscriptionView {
    pub subscription: SubscriptionRow,
    /// The partner-network id of the reseller of record.
    pub reseller_mpn_id: Option<i64>,
}

impl SubscriptionView {
    /// The subscription's place in a page: created time, then id.
    pub fn sort_key(&self) -> (String, String) {
        (
            self.subscription.created_at.to_string(),
            self.subscription.id.to_string(),
        )
    }
}

impl From<SubscriptionWithReseller> for SubscriptionView {
    fn from(s: SubscriptionWithReseller) -> Self {
        SubscriptionView {
            subscription: s.subscription,
            reseller_mpn_id: s.reseller_mpn_id,
        }
    }
}

/// Which subscriptions a list shows, as a client names them.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub order_id: Option<String>,
    /// The reseller of record's partner-network id.
    pub mpn_id: Option<String>,
}

/// One page of a customer's subscriptions, oldest first, and how many match.
pub async fn page(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    filter: &ListFilter,
    after: Position<'_>,
    limit: u32,
) -> Result<(Vec<SubscriptionView>, i64)> {
    let (t, _) = authorized(app, ctx, customer_id, Action::ReadCustomer).await?;
    let mpn_id = match filter.mpn_id.as_deref().map(str::trim) {
        None | Some("") => None,
        // No partner has an id that is not a number: nothing matches.
        Some(m) => match m.parse::<i64>() {
            Ok(m) => Some(m),
            Err(_) => return Ok((Vec::new(), 0)),
        },
    };
    let order_id = match filter.order_id.as_deref().map(str::trim) {
        None | Some("") => None,
        // No order has an id that is not an order id: nothing matches.
        Some(o) => match o.parse::<OrderId>() {
            Ok(o) => Some(o),
            Err(_) => return Ok((Vec::new(), 0)),
        },
    };
    let filter = SubscriptionFilter { order_id, mpn_id };
    let after = paging::timed(after)?;
    let (rows, total) = pages::subscriptions(&app.db, t.id, &filter, after, limit).await?;
    Ok((rows.into_iter().map(Into::into).collect(), total))
}

/// One subscription of a customer the caller may read, as lists show it.
pub async fn view(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    id: SubscriptionId,
) -> Result<SubscriptionView> {
    let (t, _) = authorized(app, ctx, customer_id, Action::ReadCustomer).await?;
    shown(app, t.id, id).await
}

/// The view of a subscription a use case has just changed for the caller.
pub async fn changed(app: &App, s: SubscriptionRow) -> Result<SubscriptionView> {
    shown(app, s.customer, s.id).await
}

async fn shown(
    app: &App,
    customer: crate::domain::ids::TenantId,
    id: SubscriptionId,
) -> Result<SubscriptionView> {
    pages::subscriptions_by_id(&app.db, customer, &[id])
        .await?
        .pop()
        .map(Into::into)
        .ok_or(Error::NotFound("subscription"))
}

/// One subscription of a customer the caller may read.
pub async fn get(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    id: SubscriptionId,
) -> Result<SubscriptionRow> {
    let (t, _) = authorized(app, ctx, customer_id, Action::ReadCustomer).await?;
    repo::subscription(&app.db, t.id, id)
        .await?
        .ok_or(Error::NotFound("subscription"))
}

/// The offers a subscription may move to: the other SKUs of its product, in its country,
/// with its billing cycle and term.
pub async fn upgrades(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    id: SubscriptionId,
) -> Result<Vec<Offer>> {
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

/// The add-on subscriptions bought on a subscription (a short list: the add-ons of one
/// subscription), read in one query.
pub async fn addons(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    id: SubscriptionId,
) -> Result<Vec<SubscriptionView>> {
    let s = get(app, ctx, customer_id, id).await?;
    let ids = crate::app::store::subscription_links::addons_of(&app.db, s.id).await?;
    Ok(pages::subscriptions_by_id(&app.db, s.customer, &ids)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}
