//! The catalog as one customer sees it (`/v1/customers/{id}/offers`, its categories and
//! add-ons): the offers of the customer's country, for a partner that may see the customer.
//! A partner asking another country's catalog for the customer gets nothing it could buy.

use super::catalog::{self, Offer};
use super::customers::authorized;
use super::{App, Ctx};
use crate::domain::authz::Action;
use crate::domain::{Error, Result};

/// The offers of the customer's country.
pub async fn offers(app: &App, ctx: &Ctx, customer_id: &str) -> Result<Vec<Offer>> {
    let (t, _) = authorized(app, ctx, customer_id, Action::ReadCustomer).await?;
    catalog::offers(app, ctx, Some(&t.country)).await
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
