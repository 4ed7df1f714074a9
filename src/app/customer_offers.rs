//! The catalog as one customer sees it (`/v1/customers/{id}/offers`, its categories and
//! add-ons): the offers of the customer's country, for a partner that may see the customer.
//! A partner asking another country's catalog for the customer gets nothing it could buy.

use super::catalog::{self, Offer};
use super::customers::authorized;
use super::paging::Position;
use super::{App, Ctx};
use crate::domain::authz::Action;
use crate::domain::{Error, Result};

/// One page of the offers of the customer's country, and how many there are.
pub async fn offers_page(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    after: Position<'_>,
    limit: u32,
) -> Result<(Vec<Offer>, i64)> {
    let (t, _) = authorized(app, ctx, customer_id, Action::ReadCustomer).await?;
    catalog::offers_page(app, ctx, Some(&t.country), after, limit).await
}

/// The offer categories of the customer's country, with that country.
pub async fn categories(app: &App, ctx: &Ctx, customer_id: &str) -> Result<(Vec<String>, String)> {
    let (t, _) = authorized(app, ctx, customer_id, Action::ReadCustomer).await?;
    Ok((
        catalog::categories(app, ctx, Some(&t.country)).await?,
        t.country,
    ))
}

/// One offer's add-ons for the customer; an offer of another country is not found here.
pub async fn addons(app: &App, ctx: &Ctx, customer_id: &str, offer_id: &str) -> Result<Vec<Offer>> {
    let (t, _) = authorized(app, ctx, customer_id, Action::ReadCustomer).await?;
    let base = catalog::offer(app, ctx, offer_id).await?;
    if !base.availability.country.eq_ignore_ascii_case(&t.country) {
        return Err(Error::NotFound("offer"));
    }
    catalog::addons(app, ctx, offer_id).await
}
