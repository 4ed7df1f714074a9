//! Deleting a customer account. The public reference deletes only integration-sandbox
//! customers. Partner Hub has no sandbox accounts, and a customer's directory, orders and
//! invoices outlive any one partner, so no partner deletes a customer: a partner that no
//! longer serves one ends its own relationship instead. The request is still authorized
//! first, so a stranger learns nothing about the customer (404).

use super::customers::authorized;
use super::{App, Ctx};
use crate::domain::authz::Action;
use crate::domain::error::Code;
use crate::domain::{Error, Result};

/// Always refused (409) for a partner that could end its relationship with the customer.
pub async fn delete(app: &App, ctx: &Ctx, customer_id: &str) -> Result<()> {
    authorized(app, ctx, customer_id, Action::EndCustomerRelationship).await?;
    Err(Error::Conflict {
        code: Code::Conflict,
        message: "customer accounts are not deleted: Partner Hub has no sandbox accounts; \
                  end your relationship with DELETE /v1/customers/{id}/relationships/partner"
            .into(),
    })
}
