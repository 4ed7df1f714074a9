//! Reading orders: a customer's orders in keyset pages (newest first) and one order, each
//! with its lines and the names of the subscriptions they made. A page reads its orders and
//! then all their lines in one more query, never one query per order.

use super::customers::authorized;
use super::paging::{self, Position};
use super::{App, Ctx};
use crate::app::store::commerce as repo;
use crate::app::store::commerce_pages as pages;
use crate::domain::authz::Action;
use crate::domain::ids::OrderId;
use crate::domain::{Error, Result};
use std::collections::BTreeMap;

pub use crate::app::store::commerce::{OrderLine, OrderRow};

/// An order line with the friendly name of the subscription it made.
#[derive(Debug, Clone)]
pub struct LineView {
    pub line: OrderLine,
    pub friendly_name: String,
}

/// An order with its lines, in line order.
#[derive(Debug, Clone)]
pub struct OrderView {
    pub order: OrderRow,
    pub lines: Vec<LineView>,
}

impl OrderView {
    /// The order's place in a page: created time, then id.
    pub fn sort_key(&self) -> (String, String) {
        (self.order.created_at.to_string(), self.order.id.to_string())
    }
}

/// Attaches their lines to orders, reading the lines of all of them at once.
async fn with_lines(app: &App, orders: Vec<OrderRow>) -> Result<Vec<OrderView>> {
    let ids: Vec<OrderId> = orders.iter().map(|o| o.id).collect();
    let mut by_order: BTreeMap<OrderId, Vec<LineView>> = BTreeMap::new();
    for l in pages::lines_of(&app.db, &ids).await? {
        by_order.entry(l.order_id).or_default().push(LineView {
            line: l.line,
            friendly_name: l.friendly_name,
        });
    }
    Ok(orders
        .into_iter()
        .map(|order| OrderView {
            lines: by_order.remove(&order.id).unwrap_or_default(),
            order,
        })
        .collect())
}

/// One page of a customer's orders, newest first, and how many there are.
pub async fn page(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    after: Position<'_>,
    limit: u32,
) -> Result<(Vec<OrderView>, i64)> {
    let (t, _) = authorized(app, ctx, customer_id, Action::ReadCustomer).await?;
    let before = paging::timed(after)?;
    let (rows, total) = pages::orders(&app.db, t.id, before, limit).await?;
    Ok((with_lines(app, rows).await?, total))
}

/// One order of a customer the caller may read.
pub async fn get(app: &App, ctx: &Ctx, customer_id: &str, order_id: OrderId) -> Result<OrderView> {
    let (t, _) = authorized(app, ctx, customer_id, Action::ReadCustomer).await?;
    let o = repo::order(&app.db, t.id, order_id)
        .await?
        .ok_or(Error::NotFound("order"))?;
    placed(app, o).await
}

/// The view of an order a use case has just written or returned for the caller (placing,
/// checking out, changing an order): its lines as stored.
pub async fn placed(app: &App, order: OrderRow) -> Result<OrderView> {
    let mut views = with_lines(app, vec![order]).await?;
    views.pop().ok_or(Error::NotFound("order"))
}

/// How many catalog items, partners and services the order form lists.
const FORM_ROWS: u32 = 500;

/// What the portal's order form offers: the customer, the catalog items of its country
/// (id and label), the partners the caller may name (a provider: the resellers that may be
/// of record for this customer; a reseller: its providers), and the customer's services.
pub struct OrderForm {
    pub customer: crate::app::store::identity::TenantRow,
    pub is_provider: bool,
    pub items: Vec<(String, String)>,
    pub partners: Vec<crate::app::store::partnerships::Counterpart>,
    pub services: Vec<crate::app::store::commerce::SubscriptionRow>,
}

pub async fn order_form(app: &App, ctx: &Ctx, customer_id: &str) -> Result<OrderForm> {
    let (customer, _) = authorized(app, ctx, customer_id, Action::OrderForCustomer).await?;
    let is_provider = ctx.actor.partner.as_ref().is_some_and(|p| p.is_provider);
    let mut partners: Vec<_> = crate::app::store::partnerships::page(
        &app.db,
        ctx.actor.tenant,
        is_provider,
        None,
        FORM_ROWS,
    )
    .await?
    .0
    .into_iter()
    .filter(|c| c.partnership.is_active())
    .collect();
    if is_provider {
        let of_record = super::commerce::resellers_of_record(app, ctx, customer_id).await?;
        partners.retain(|c| of_record.contains(&c.other_tenant));
    }
    let items = pages::offers(&app.db, &customer.country, None, FORM_ROWS)
        .await?
        .0
        .into_iter()
        .map(|o| {
            let a = &o.availability;
            (
                format!("{}:{}:{}", a.product_id, a.sku_id, a.id),
                format!(
                    "{} – {} ({} {}/{})",
                    o.product.title, o.sku.title, a.list_price, a.currency, a.term
                ),
            )
        })
        .collect();
    let services = super::customer_lists::services(app, customer.id, FORM_ROWS).await?;
    Ok(OrderForm {
        customer,
        is_provider,
        items,
        partners,
        services,
    })
}
