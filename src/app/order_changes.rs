//! What happens to an order after it is placed: the provisioning state of its lines, and the
//! changes the contract makes by patching it (an add-on bought on one of its subscriptions,
//! a change of billing cycle).

use super::audit::{record, Change};
use super::customers::authorized;
use super::{events, App, Ctx};
use crate::app::store::commerce::{
    self as repo, Availability, OrderLine, OrderRow, Sku, SubscriptionRow,
};
use crate::app::store::{subscription_links as links, Tx};
use crate::domain::authz::Action;
use crate::domain::commerce::{
    self as rules, CatalogItemId, SubscriptionStatus, CANCELLATION_DAYS,
};
use crate::domain::error::Code;
use crate::domain::ids::TenantId;
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
    order_id: &str,
) -> Result<Vec<LineStatus>> {
    let (t, _) = authorized(app, ctx, customer_id, Action::ReadCustomer).await?;
    repo::order(&app.db, t.id, order_id)
        .await?
        .ok_or(Error::NotFound("order"))?;
    let mut out = Vec::new();
    for line in repo::lines(&app.db, order_id).await? {
        let subscription = repo::subscription(&app.db, t.id, &line.subscription_id).await?;
        out.push(LineStatus { line, subscription });
    }
    Ok(out)
}

/// A subscription for `a`, bought on the same terms (provider, reseller) as `like`.
pub(crate) fn subscription_like(
    like: &SubscriptionRow,
    order_id: &str,
    a: &Availability,
    sku: &Sku,
    quantity: i64,
    name: Option<&str>,
    now: i64,
) -> SubscriptionRow {
    let days = rules::term_days(&a.term).unwrap_or(30);
    SubscriptionRow {
        id: uuid::Uuid::now_v7().to_string(),
        customer: like.customer,
        order_id: order_id.to_string(),
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
        status: SubscriptionStatus::Active.as_str().into(),
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
    event: &str,
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

/// Buys the add-ons and changes the billing cycle in one transaction; answers the order.
pub async fn change(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    order_id: &str,
    input: OrderChange,
) -> Result<OrderRow> {
    let (customer, _) = authorized(app, ctx, customer_id, Action::OrderForCustomer).await?;
    let mut order = repo::order(&app.db, customer.id, order_id)
        .await?
        .ok_or(Error::NotFound("order"))?;
    if input.add_ons.len() > 50 {
        return Err(Error::field("lineItems", "at most 50 add-ons at once"));
    }
    let subs: Vec<SubscriptionRow> = repo::subscriptions_of(&app.db, customer.id)
        .await?
        .into_iter()
        .filter(|s| s.order_id == order.id)
        .collect();
    let now = app.clock.now_ms();
    // Validate everything first, then write.
    let mut moves: Vec<(SubscriptionRow, Availability)> = Vec::new();
    if let Some(cycle) = input.billing_cycle.as_deref().map(str::to_ascii_lowercase) {
        for s in subs
            .iter()
            .filter(|s| s.status == "active" && s.billing_cycle != cycle)
        {
            let current = repo::availability(&app.db, &s.product_id, &s.sku_id, &s.availability_id)
                .await?
                .ok_or(Error::NotFound("availability"))?;
            let target = repo::availabilities(&app.db, &s.product_id, &s.sku_id, &current.country)
                .await?
                .into_iter()
                .find(|a| {
                    a.billing_cycle == cycle
                        && a.term == current.term
                        && a.segment == current.segment
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
    }
    let mut new_subs: Vec<(SubscriptionRow, String, String)> = Vec::new();
    for (i, l) in input.add_ons.iter().enumerate() {
        let field = |k: &str| format!("lineItems[{i}].{k}");
        let parent = subs
            .iter()
            .find(|s| s.id == l.parent_subscription_id)
            .ok_or_else(|| {
                Error::field(
                    field("parentSubscriptionId"),
                    "a subscription of this order",
                )
            })?;
        if parent.status != "active" {
            return Err(Error::Conflict {
                code: Code::InvalidSubscriptionChange,
                message: format!(
                    "add-ons are bought on active subscriptions; {} is {}",
                    parent.id, parent.status
                ),
            });
        }
        let item = CatalogItemId::parse(&l.offer_id)?;
        let a = repo::availability(&app.db, &item.product, &item.sku, &item.availability)
            .await?
            .ok_or_else(|| Error::field(field("offerId"), "no such offer"))?;
        let sku = repo::sku(&app.db, &item.product, &item.sku)
            .await?
            .ok_or(Error::NotFound("sku"))?;
        if links::base_product(&app.db, &item.product)
            .await?
            .as_deref()
            != Some(parent.product_id.as_str())
        {
            return Err(Error::Conflict {
                code: Code::NotOffered,
                message: format!("{item} is not an add-on of {}", parent.product_id),
            });
        }
        if a.country != customer.country || a.currency != parent.currency {
            return Err(Error::Conflict {
                code: Code::NotOffered,
                message: format!("{item} is not offered in the customer's country and currency"),
            });
        }
        if !(sku.minimum_quantity..=sku.maximum_quantity).contains(&l.quantity) {
            return Err(Error::Conflict {
                code: Code::QuantityOutOfRange,
                message: format!(
                    "the quantity of {item} must be between {} and {}",
                    sku.minimum_quantity, sku.maximum_quantity
                ),
            });
        }
        let s = subscription_like(
            parent,
            &order.id,
            &a,
            &sku,
            l.quantity,
            l.friendly_name.as_deref(),
            now,
        );
        new_subs.push((s, item.to_string(), parent.id.clone()));
    }
    let mut lines = repo::lines(&app.db, &order.id).await?;
    let mut next_line = lines.iter().map(|l| l.line_number).max().unwrap_or(-1) + 1;
    let mut total = Decimal::from_str(&order.total).unwrap_or_default();
    let mut tx = app.db.begin().await?;
    for (s, target) in &moves {
        if !links::move_availability(&mut tx, &s.id, target, now, s.version).await? {
            return Err(Error::PreconditionFailed);
        }
        let mut moved = s.clone();
        moved.unit_price = target.list_price.clone();
        repo::record_event(&mut tx, &moved, now).await?;
    }
    for (s, item, parent_id) in &new_subs {
        let line = OrderLine {
            line_number: next_line,
            catalog_item_id: item.clone(),
            quantity: s.quantity,
            unit_price: s.unit_price.clone(),
            partner_id_on_record: lines.first().and_then(|l| l.partner_id_on_record.clone()),
            subscription_id: s.id.clone(),
        };
        next_line += 1;
        repo::insert_line(&mut tx, &order.id, &line).await?;
        repo::insert_subscription(&mut tx, s).await?;
        links::insert_addon(&mut tx, &s.id, parent_id).await?;
        repo::record_event(&mut tx, s, now).await?;
        total += Decimal::from_str(&s.unit_price).unwrap_or_default() * Decimal::from(s.quantity);
        lines.push(line);
    }
    if !new_subs.is_empty() {
        order.total = total.round_dp(2).to_string();
        links::set_order_total(&mut tx, &order.id, &order.total).await?;
    }
    if !moves.is_empty() || !new_subs.is_empty() {
        let mut parties = vec![order.provider];
        parties.extend(order.reseller);
        publish(
            &mut tx,
            ctx,
            customer.id,
            &parties,
            Change {
                operation: "update_order",
                resource_type: "order",
                resource_id: order.id.clone(),
                old: None,
                new: Some(serde_json::json!({
                    "billingCycle": input.billing_cycle,
                    "addOns": new_subs.iter().map(|(s, item, _)| serde_json::json!({"offerId": item, "quantity": s.quantity, "subscriptionId": s.id})).collect::<Vec<_>>(),
                    "total": order.total,
                })),
                customer_id: Some(customer.id.to_string()),
            },
            "order-updated",
            format!("/v1/customers/{}/orders/{}", customer.id, order.id),
            &customer.display_name,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(order)
}
