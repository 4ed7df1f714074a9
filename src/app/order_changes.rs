//! What happens to an order after it is placed: the provisioning state of its lines, and the
//! changes the contract makes by patching it (an add-on bought on one of its subscriptions,
//! a change of billing cycle).

use super::audit::{record, Change};
use super::customers::authorized;
use super::{events, App, Ctx};
use crate::app::store::batch::Batch;
use crate::app::store::commerce::{
    self as repo, Availability, OrderLine, OrderRow, Sku, SubscriptionRow,
};
use crate::app::store::identity::TenantRow;
use crate::app::store::{subscription_links as links, Tx};
use crate::domain::audit::Operation;
use crate::domain::authz::Action;
use crate::domain::commerce::{
    self as rules, CatalogItemId, SubscriptionStatus, CANCELLATION_DAYS,
};
use crate::domain::error::Code;
use crate::domain::ids::{OrderId, SubscriptionId, TenantId};
use crate::domain::webhook::EventName;
use crate::domain::{Error, Result};
use rust_decimal::Decimal;
use std::str::FromStr;

/// One line of an order and the subscription it provisioned.
pub struct LineStatus {
    pub line: OrderLine,
    pub subscription: Option<SubscriptionRow>,
}

/// The order's lines with their subscriptions (provisioned when the order was placed).
pub async fn provisioning(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    order_id: OrderId,
) -> Result<Vec<LineStatus>> {
    let (t, _) = authorized(app, ctx, customer_id, Action::ReadCustomer).await?;
    repo::order(&app.db, t.id, order_id)
        .await?
        .ok_or(Error::NotFound("order"))?;
    let mut out = Vec::new();
    for line in repo::lines(&app.db, order_id).await? {
        let subscription = repo::subscription(&app.db, t.id, line.subscription_id).await?;
        out.push(LineStatus { line, subscription });
    }
    Ok(out)
}

/// A subscription for `a`, bought on the same terms (provider, reseller) as `like`.
pub(crate) fn subscription_like(
    like: &SubscriptionRow,
    order_id: OrderId,
    a: &Availability,
    sku: &Sku,
    quantity: i64,
    name: Option<&str>,
    now: i64,
) -> SubscriptionRow {
    let days = rules::term_days(&a.term).unwrap_or(30);
    SubscriptionRow {
        id: SubscriptionId::new(),
        customer: like.customer,
        order_id,
        provider: like.provider,
        reseller: like.reseller,
        product_id: a.product_id.clone(),
        sku_id: a.sku_id.clone(),
        availability_id: a.id.clone(),
        friendly_name: name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| n.chars().take(200).collect())
            .unwrap_or_else(|| sku.title.clone()),
        quantity,
        unit_price: a.list_price.clone(),
        currency: a.currency.clone(),
        billing_cycle: a.billing_cycle.clone(),
        term: a.term.clone(),
        status: SubscriptionStatus::Active,
        auto_renew: true,
        created_at: now,
        term_start: now,
        term_end: now + days * rules::DAY_MS,
        cancel_until: now + CANCELLATION_DAYS * rules::DAY_MS,
        updated_at: now,
        version: 1,
    }
}

/// Writes the audit record for every organisation involved and one event to the partners.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn publish(
    tx: &mut Tx,
    ctx: &Ctx,
    customer: TenantId,
    parties: &[TenantId],
    change: Change<'_>,
    event: EventName,
    resource_uri: String,
    resource_name: &str,
    now: i64,
) -> Result<()> {
    let mut orgs: Vec<TenantId> = parties.to_vec();
    orgs.push(customer);
    orgs.push(ctx.actor.tenant);
    orgs.sort();
    orgs.dedup();
    for org in &orgs {
        record(
            tx,
            Some(ctx),
            &org.to_string(),
            Change {
                operation: change.operation,
                resource_type: change.resource_type,
                resource_id: change.resource_id.clone(),
                old: change.old.clone(),
                new: change.new.clone(),
                customer_id: change.customer_id.clone(),
            },
            now,
        )
        .await?;
    }
    let audience: Vec<String> = orgs
        .iter()
        .filter(|o| **o != customer)
        .map(|o| o.to_string())
        .collect();
    events::emit(tx, now, event, resource_uri, resource_name, &audience).await?;
    Ok(())
}

/// An add-on to buy on one of the order's subscriptions.
#[derive(Debug, Clone)]
pub struct AddOnLine {
    pub offer_id: String,
    pub quantity: i64,
    pub parent_subscription_id: String,
    pub friendly_name: Option<String>,
}

/// What a PATCH of an order asks for.
#[derive(Debug, Clone, Default)]
pub struct OrderChange {
    /// Move the order's subscriptions to this billing cycle.
    pub billing_cycle: Option<String>,
    pub add_ons: Vec<AddOnLine>,
}

/// A subscription of the order moved to another availability (billing cycle).
type Move = (SubscriptionRow, Availability);

/// An add-on subscription to create: the subscription, its catalog item, its parent's id and
/// its unit price.
struct NewAddOn {
    subscription: SubscriptionRow,
    item: CatalogItemId,
    parent_id: SubscriptionId,
    unit_price: Decimal,
}

/// Buys the add-ons and changes the billing cycle in one transaction; answers the order.
/// Everything is validated before anything is written.
pub async fn change(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    order_id: OrderId,
    input: OrderChange,
) -> Result<OrderRow> {
    let (customer, _) = authorized(app, ctx, customer_id, Action::OrderForCustomer).await?;
    let order = repo::order(&app.db, customer.id, order_id)
        .await?
        .ok_or(Error::NotFound("order"))?;
    if input.add_ons.len() > rules::MAX_LINES {
        return Err(Error::field("lineItems", "at most 50 add-ons at once"));
    }
    let subs: Vec<SubscriptionRow> = repo::subscriptions_of(&app.db, customer.id)
        .await?
        .into_iter()
        .filter(|s| s.order_id == order.id)
        .collect();
    let now = app.clock.now_ms();
    let moves = match input.billing_cycle.as_deref() {
        Some(cycle) => plan_cycle_moves(app, &subs, &cycle.to_ascii_lowercase()).await?,
        None => Vec::new(),
    };
    let add_ons = plan_add_ons(app, &customer, &order, &subs, &input.add_ons, now).await?;
    if moves.is_empty() && add_ons.is_empty() {
        return Ok(order);
    }
    let mut tx = app.db.begin().await?;
    let order = write_change(&mut tx, order, &moves, &add_ons, now).await?;
    let mut parties = vec![order.provider];
    parties.extend(order.reseller);
    publish(
        &mut tx,
        ctx,
        customer.id,
        &parties,
        Change {
            operation: Operation::UpdateOrder,
            resource_type: "order",
            resource_id: order.id.to_string(),
            old: None,
            new: Some(serde_json::json!({
                "billingCycle": input.billing_cycle,
                "addOns": add_ons.iter().map(|a| serde_json::json!({"offerId": a.item.to_string(), "quantity": a.subscription.quantity, "subscriptionId": a.subscription.id})).collect::<Vec<_>>(),
                "total": order.total,
            })),
            customer_id: Some(customer.id.to_string()),
        },
        EventName::OrderUpdated,
        format!("/v1/customers/{}/orders/{}", customer.id, order.id),
        &customer.display_name,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(order)
}

/// The active subscriptions of the order not yet on `cycle`, each with the availability of
/// the same SKU, term and segment billed on `cycle`.
async fn plan_cycle_moves(app: &App, subs: &[SubscriptionRow], cycle: &str) -> Result<Vec<Move>> {
    let mut moves = Vec::new();
    for s in subs
        .iter()
        .filter(|s| s.status == SubscriptionStatus::Active && s.billing_cycle != cycle)
    {
        let current = repo::availability(&app.db, &s.product_id, &s.sku_id, &s.availability_id)
            .await?
            .ok_or(Error::NotFound("availability"))?;
        let target = repo::availabilities(&app.db, &s.product_id, &s.sku_id, &current.country)
            .await?
            .into_iter()
            .find(|a| {
                a.billing_cycle == cycle && a.term == current.term && a.segment == current.segment
            })
            .ok_or_else(|| Error::Conflict {
                code: Code::NotOffered,
                message: format!(
                    "{}:{} is not offered with {cycle} billing for the term {}",
                    s.product_id, s.sku_id, current.term
                ),
            })?;
        moves.push((s.clone(), target));
    }
    Ok(moves)
}

/// Checks and prices every add-on (the rules are `domain::commerce::price_add_on`).
async fn plan_add_ons(
    app: &App,
    customer: &TenantRow,
    order: &OrderRow,
    subs: &[SubscriptionRow],
    lines: &[AddOnLine],
    now: i64,
) -> Result<Vec<NewAddOn>> {
    // The catalog entries of every line's offer in one read; each line still reports its
    // own errors in order (parent, offer id, offer) as it is checked below.
    let parsed: Vec<CatalogItemId> = lines
        .iter()
        .filter_map(|l| CatalogItemId::parse(&l.offer_id).ok())
        .collect();
    let entries = repo::catalog_entries(&app.db, &parsed).await?;
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let field = |k: &str| format!("lineItems[{i}].{k}");
        let named = l
            .parent_subscription_id
            .trim()
            .parse::<SubscriptionId>()
            .ok();
        let parent = subs.iter().find(|s| Some(s.id) == named).ok_or_else(|| {
            Error::field(
                field("parentSubscriptionId"),
                "a subscription of this order",
            )
        })?;
        let item = CatalogItemId::parse(&l.offer_id)?;
        let (a, sku) = entries
            .get(&item)
            .ok_or_else(|| Error::field(field("offerId"), "no such offer"))?;
        let base = links::base_product(&app.db, &item.product).await?;
        let unit_price = rules::price_add_on(
            &item,
            rules::Offer {
                country: &a.country,
                currency: &a.currency,
                list_price: &a.list_price,
                minimum_quantity: sku.minimum_quantity,
                maximum_quantity: sku.maximum_quantity,
            },
            base.as_deref(),
            rules::AddOnParent {
                id: parent.id,
                status: parent.status,
                product: &parent.product_id,
                currency: &parent.currency,
            },
            &customer.country,
            l.quantity,
        )?;
        let subscription = subscription_like(
            parent,
            order.id,
            &a,
            &sku,
            l.quantity,
            l.friendly_name.as_deref(),
            now,
        );
        out.push(NewAddOn {
            subscription,
            item,
            parent_id: parent.id,
            unit_price,
        });
    }
    Ok(out)
}

/// Writes the moves and the add-ons (new order lines recording the order's partner of
/// record, read in this transaction) and the new total; answers the order as written.
async fn write_change(
    tx: &mut Tx,
    mut order: OrderRow,
    moves: &[Move],
    add_ons: &[NewAddOn],
    now: i64,
) -> Result<OrderRow> {
    for (s, target) in moves {
        if !links::move_availability(tx, s.id, target, now, s.version).await? {
            return Err(Error::PreconditionFailed);
        }
        let mut moved = s.clone();
        moved.unit_price = target.list_price.clone();
        let mut b = Batch::new();
        repo::record_event(&mut b, &moved, now);
        b.run(tx).await?;
    }
    if add_ons.is_empty() {
        return Ok(order);
    }
    let lines = repo::lines_in(tx, order.id).await?;
    let record_of = lines.first().and_then(|l| l.partner_id_on_record.clone());
    let first_new = lines.iter().map(|l| l.line_number).max().unwrap_or(-1) + 1;
    let mut total = Decimal::from_str(&order.total)
        .map_err(|_| Error::Internal(anyhow::anyhow!("order {} has a corrupt total", order.id)))?;
    for (line_number, a) in (first_new..).zip(add_ons) {
        let s = &a.subscription;
        let line = OrderLine {
            line_number,
            catalog_item_id: a.item.to_string(),
            quantity: s.quantity,
            unit_price: s.unit_price.clone(),
            partner_id_on_record: record_of.clone(),
            subscription_id: s.id,
        };
        let mut b = Batch::new();
        repo::insert_line(&mut b, order.id, &line);
        repo::insert_subscription(&mut b, s);
        links::insert_addon(&mut b, s.id, a.parent_id);
        repo::record_event(&mut b, s, now);
        b.run(tx).await?;
        total += a.unit_price * Decimal::from(s.quantity);
    }
    order.total = total.round_dp(2).to_string();
    links::set_order_total(tx, order.id, &order.total).await?;
    Ok(order)
}
