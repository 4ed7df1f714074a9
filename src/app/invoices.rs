//! Reading invoices: a provider's invoices and an invoice's lines in keyset pages, one
//! invoice, and the provider's statement to each reseller for an invoice's period.

use super::paging::{self, Position};
use super::{App, Ctx};
use crate::app::store::commerce as repo;
use crate::app::store::commerce_pages as pages;
use crate::domain::authz::{can, Action, Resource};
use crate::domain::ids::TenantId;
use crate::domain::{Error, Result};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

pub use crate::app::store::commerce::{InvoiceLine, InvoiceRow};

/// The invoice's place in a page: period start, then currency.
pub fn sort_key(i: &InvoiceRow) -> (String, String) {
    (i.period_start.to_string(), i.currency.clone())
}

/// One page of the caller's (a provider's) invoices, newest period first, and how many
/// there are.
pub async fn page(
    app: &App,
    ctx: &Ctx,
    after: Position<'_>,
    limit: u32,
) -> Result<(Vec<InvoiceRow>, i64)> {
    ctx.require(Action::ReadPartnerships, Resource::Tenant(ctx.actor.tenant))?;
    let after = paging::timed(after)?;
    Ok(pages::invoices(&app.db, ctx.actor.tenant, after, limit).await?)
}

/// One invoice, for the provider it bills or the operator. Anyone else is told it does not
/// exist, so invoice ids leak nothing.
pub async fn get(app: &App, ctx: &Ctx, id: &str) -> Result<InvoiceRow> {
    repo::invoice(&app.db, id)
        .await?
        .filter(|i| {
            can(
                &ctx.actor,
                Action::ReadInvoices,
                Resource::Tenant(i.provider),
            )
            .allowed()
        })
        .ok_or(Error::NotFound("invoice"))
}

/// One page of an invoice's lines, by line number, and how many there are.
pub async fn lines_page(
    app: &App,
    ctx: &Ctx,
    id: &str,
    after: Position<'_>,
    limit: u32,
) -> Result<(Vec<InvoiceLine>, i64)> {
    let invoice = get(app, ctx, id).await?;
    let after = paging::numbered(after)?;
    Ok(pages::invoice_lines(&app.db, &invoice.id, after, limit).await?)
}

/// What a provider charges one reseller for an invoice's period, at its price list.
#[derive(Debug, Clone)]
pub struct Statement {
    pub reseller: Option<TenantId>,
    pub reseller_mpn_id: Option<String>,
    pub total: Decimal,
    pub lines: i64,
}

impl Statement {
    /// The statement's place in a list: its reseller's id (none first).
    pub fn sort_key(&self) -> (String, String) {
        (
            String::new(),
            self.reseller.map(|r| r.to_string()).unwrap_or_default(),
        )
    }
}

/// The provider's statement to each reseller for an invoice's period: every line priced at
/// the provider's price list for the customer's country, prorated like the invoice. The
/// customers' countries and the price list are read once for the whole invoice.
pub async fn statements(app: &App, ctx: &Ctx, id: &str) -> Result<(InvoiceRow, Vec<Statement>)> {
    let invoice = get(app, ctx, id).await?;
    let lines = repo::invoice_lines(&app.db, &invoice.id).await?;
    let mut customers: Vec<TenantId> = lines.iter().map(|l| l.customer).collect();
    customers.sort();
    customers.dedup();
    let countries = pages::countries(&app.db, &customers).await?;
    let prices = pages::provider_price_map(&app.db, invoice.provider).await?;
    let period = Decimal::from((invoice.period_end - invoice.period_start).max(1));
    let mut by: BTreeMap<Option<TenantId>, Statement> = BTreeMap::new();
    for l in lines {
        let country = countries.get(&l.customer).cloned().unwrap_or_default();
        let list = Decimal::from_str(&l.unit_price).unwrap_or_default();
        let price = match prices.get(&(l.product_id.clone(), l.sku_id.clone(), country)) {
            Some(price) => price.apply(list),
            None => list,
        };
        let share = Decimal::from(l.charge_end - l.charge_start) / period;
        let amount = (Decimal::from(l.quantity) * price * share).round_dp(2);
        let s = by.entry(l.reseller).or_insert_with(|| Statement {
            reseller: l.reseller,
            reseller_mpn_id: l.reseller_mpn_id.clone(),
            total: Decimal::ZERO,
            lines: 0,
        });
        s.total += amount;
        s.lines += 1;
    }
    Ok((invoice, by.into_values().collect()))
}
