//! Carrying out an upgrade (`POST .../subscriptions/{id}/upgrades`): the seats move to an
//! eligible SKU of the same product (one `subscriptions::upgrades` lists). A new order buys the
//! target subscription with the same quantity, reseller of record and provider; the source
//! subscription is suspended (it stops billing and its seats stop counting), and license
//! assignments beyond the seats left on the source SKU move to the target SKU.

use super::audit::Change;
use super::catalog::Offer as UpgradeOffer;
use super::customers::authorized;
use super::order_changes::{publish, subscription_like};
use super::App;
use super::Ctx;
use crate::app::store::batch::Batch;
use crate::app::store::commerce::{self as repo, OrderLine, OrderRow, SubscriptionRow};
use crate::app::store::identity::TenantRow;
use crate::app::store::subscription_links as links;
use crate::app::store::Tx;
use crate::domain::audit::Operation;
use crate::domain::authz::Action;
use crate::domain::commerce::{self as rules, OrderStatus, SubscriptionStatus};
use crate::domain::error::Code;
use crate::domain::ids::{OrderId, SubscriptionId};
use crate::domain::webhook::EventName;
use crate::domain::{Error, Result};
use rust_decimal::Decimal;
use std::str::FromStr;

/// What an upgrade did.
#[derive(Debug, Clone)]
pub struct UpgradeDone {
    pub source_subscription_id: SubscriptionId,
    pub target_subscription_id: SubscriptionId,
    pub order_id: OrderId,
    /// Users whose license moved to the target SKU.
    pub licenses_moved: i64,
}

/// Buys the eligible target SKU with the source's seats in a new order, suspends the source
/// and moves the license assignments the source no longer has seats for, in one transaction.
pub async fn upgrade(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    sub_id: SubscriptionId,
    target_offer_id: &str,
    expected_version: Option<i64>,
) -> Result<UpgradeDone> {
    let (customer, _) = authorized(app, ctx, customer_id, Action::OrderForCustomer).await?;
    let target = eligible_target(app, ctx, customer_id, sub_id, target_offer_id).await?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let mut source = repo::subscription_for_update(&mut tx, customer.id, sub_id)
        .await?
        .ok_or(Error::NotFound("subscription"))?;
    if expected_version.is_some_and(|v| v != source.version) {
        return Err(Error::PreconditionFailed);
    }
    if source.status != SubscriptionStatus::Active {
        return Err(Error::Conflict {
            code: Code::InvalidSubscriptionChange,
            message: format!(
                "only an active subscription is upgraded; this one is {}",
                source.status
            ),
        });
    }
    let order_id = OrderId::new();
    let new = subscription_like(
        &source,
        order_id,
        &target.availability,
        &target.sku,
        source.quantity,
        None,
        now,
    );
    let version = source.version;
    source.status = SubscriptionStatus::Suspended;
    source.updated_at = now;
    if !repo::save_subscription(&mut tx, &source, version).await? {
        return Err(Error::PreconditionFailed);
    }
    let mut b = Batch::new();
    repo::record_event(&mut b, &source, now);
    b.run(&mut tx).await?;
    let order = buy_target(&mut tx, ctx, &source, &new, order_id, now).await?;
    let licenses_moved = move_uncovered_licenses(&mut tx, &source, &new).await?;
    announce(
        &mut tx,
        ctx,
        &customer,
        &source,
        &new,
        &order,
        licenses_moved,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(UpgradeDone {
        source_subscription_id: source.id,
        target_subscription_id: new.id,
        order_id: order.id,
        licenses_moved,
    })
}

/// The upgrade the caller asked for, if `GET .../upgrades` lists it for the subscription.
async fn eligible_target(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    sub_id: SubscriptionId,
    target_offer_id: &str,
) -> Result<UpgradeOffer> {
    super::subscriptions::upgrades(app, ctx, customer_id, sub_id)
        .await?
        .into_iter()
        .find(|o| {
            let a = &o.availability;
            format!("{}:{}:{}", a.product_id, a.sku_id, a.id) == target_offer_id.trim()
        })
        .ok_or_else(|| Error::Conflict {
            code: Code::InvalidSubscriptionChange,
            message: format!(
                "{target_offer_id} is not an eligible upgrade of this subscription (see GET .../upgrades)"
            ),
        })
}

/// The new order buying `new` on the source's terms: its one line records the source's
/// partner of record, read in this transaction.
async fn buy_target(
    tx: &mut Tx,
    ctx: &Ctx,
    source: &SubscriptionRow,
    new: &SubscriptionRow,
    order_id: OrderId,
    now: i64,
) -> Result<OrderRow> {
    let price = Decimal::from_str(&new.unit_price).map_err(|e| Error::Internal(e.into()))?;
    let mut total = rules::OrderTotal::default();
    total.add(&new.currency, price, new.quantity)?;
    let order = OrderRow {
        id: order_id,
        customer: source.customer,
        placed_by: ctx.actor.tenant,
        provider: source.provider,
        reseller: source.reseller,
        request_id: None,
        status: OrderStatus::Completed,
        total: total.amount(),
        currency: total.currency,
        created_at: now,
    };
    let record_of = repo::lines_in(tx, source.order_id)
        .await?
        .into_iter()
        .find(|l| l.subscription_id == source.id)
        .and_then(|l| l.partner_id_on_record);
    let mut b = Batch::new();
    repo::insert_order(&mut b, &order);
    repo::insert_line(
        &mut b,
        order.id,
        &OrderLine {
            line_number: 0,
            catalog_item_id: format!("{}:{}:{}", new.product_id, new.sku_id, new.availability_id),
            quantity: new.quantity,
            unit_price: new.unit_price.clone(),
            partner_id_on_record: record_of,
            subscription_id: new.id,
        },
    );
    repo::insert_subscription(&mut b, new);
    repo::record_event(&mut b, new, now);
    b.run(tx).await?;
    Ok(order)
}

/// Assignments the source SKU no longer has seats for follow the seats to the target SKU;
/// answers how many moved.
async fn move_uncovered_licenses(
    tx: &mut Tx,
    source: &SubscriptionRow,
    new: &SubscriptionRow,
) -> Result<i64> {
    let customer = source.customer;
    super::licenses::hold_seats(tx, customer).await?;
    let seats = super::licenses::seats(tx.conn().await?, customer).await?;
    let consumed = seats
        .iter()
        .find(|k| k.product_id == source.product_id && k.sku == source.sku_id);
    let excess = match consumed {
        Some(k) => k.consumed_units - k.active_units,
        None => links::assigned(tx, customer, &source.product_id, &source.sku_id).await?,
    };
    Ok(links::move_licenses(
        tx,
        customer,
        &source.product_id,
        &source.sku_id,
        &new.sku_id,
        excess,
    )
    .await?)
}

/// Audit records for every party, the subscription's event and the new order's event.
#[allow(clippy::too_many_arguments)]
async fn announce(
    tx: &mut Tx,
    ctx: &Ctx,
    customer: &TenantRow,
    source: &SubscriptionRow,
    new: &SubscriptionRow,
    order: &OrderRow,
    licenses_moved: i64,
    now: i64,
) -> Result<()> {
    let mut parties = vec![source.provider];
    parties.extend(source.reseller);
    publish(
        tx,
        ctx,
        customer.id,
        &parties,
        Change {
            operation: Operation::UpgradeSubscription,
            resource_type: "subscription",
            resource_id: source.id.to_string(),
            old: Some(serde_json::json!({"offerId": format!("{}:{}:{}", source.product_id, source.sku_id, source.availability_id), "status": SubscriptionStatus::Active})),
            new: Some(serde_json::json!({"status": source.status, "targetSubscriptionId": new.id, "targetOfferId": format!("{}:{}:{}", new.product_id, new.sku_id, new.availability_id), "quantity": new.quantity, "licensesMoved": licenses_moved})),
            customer_id: Some(customer.id.to_string()),
        },
        EventName::SubscriptionUpdated,
        format!("/v1/customers/{}/subscriptions/{}", customer.id, source.id),
        &source.friendly_name,
        now,
    )
    .await?;
    let audience: Vec<String> = parties
        .iter()
        .chain([&ctx.actor.tenant])
        .map(|t| t.to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    super::events::emit(
        tx,
        now,
        EventName::OrderCreated,
        format!("/v1/customers/{}/orders/{}", customer.id, order.id),
        &customer.display_name,
        &audience,
    )
    .await?;
    Ok(())
}
