//! Carts: lines kept for a customer by the partner that orders for it, ordered at checkout.
//! Every change writes its audit record and event in its own transaction; checkout places
//! the order and closes the cart in one transaction, so a crash leaves neither or both.

use super::audit::{record, Change};
use super::commerce::{prior_order, taken_request, write_order, LineInput, OrderInput};
use super::customers::authorized;
use super::{events, App, Ctx};
use crate::app::store::commerce::{self as repo, CartRow, OrderRow};
use crate::app::store::identity::TenantRow;
use crate::app::store::Tx;
use crate::domain::audit::Operation;
use crate::domain::authz::Action;
use crate::domain::commerce::{self as rules, BillingCycle, CartStatus, CatalogItemId};
use crate::domain::error::Code;
use crate::domain::ids::{CartId, OrderId, TenantId};
use crate::domain::webhook::EventName;
use crate::domain::{Error, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A party to a line: `transaction_reseller` names the reseller of record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartLine {
    /// The line's position, given by the server.
    #[serde(default)]
    pub id: Option<i64>,
    pub catalog_item_id: String,
    /// The name the subscription takes (the SKU's title when left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    pub quantity: i64,
    /// The availability's billing cycle; when given it must match the availability.
    #[serde(default)]
    pub billing_cycle: Option<BillingCycle>,
    /// `P1M`, `P1Y` or `P3Y`: the availability's term; when given it must match.
    #[serde(default)]
    pub term_duration: Option<String>,
    /// `[{"key":"transaction_reseller","value":"<reseller partner-network id>"}]`
    #[serde(default)]
    pub participants: Vec<Participant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_context: Option<std::collections::BTreeMap<String, String>>,
}

/// What a cart holds: its lines and, for a reseller ordering itself, the billed provider.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CartContent {
    pub provider_id: Option<String>,
    pub lines: Vec<CartLine>,
}

/// A cart as its owner sees it.
#[derive(Debug, Clone)]
pub struct Cart {
    pub id: CartId,
    pub status: CartStatus,
    pub content: CartContent,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: i64,
    pub order_id: Option<OrderId>,
    pub version: i64,
}

fn view(c: CartRow) -> Result<Cart> {
    let content = serde_json::from_value(c.line_items).map_err(|e| {
        Error::Internal(anyhow::anyhow!("cart {} holds unreadable lines: {e}", c.id))
    })?;
    Ok(Cart {
        id: c.id,
        status: c.status,
        content,
        created_at: c.created_at,
        updated_at: c.updated_at,
        expires_at: c.expires_at,
        order_id: c.order_id,
        version: c.version,
    })
}

/// Checks each line against its availability, fills in the billing cycle and term it
/// implies, numbers the lines, and checks the provider named.
async fn validate(app: &App, ctx: &Ctx, mut c: CartContent) -> Result<CartContent> {
    if c.lines.is_empty() || c.lines.len() > rules::MAX_LINES {
        return Err(Error::field("lineItems", "a cart has 1 to 50 line items"));
    }
    for (i, l) in c.lines.iter_mut().enumerate() {
        let item = CatalogItemId::parse(&l.catalog_item_id)?;
        if l.quantity < 1 {
            return Err(Error::field("quantity", "at least 1"));
        }
        let a = super::catalog::availability(app, ctx, &item).await?;
        let cycle = BillingCycle::parse(&a.billing_cycle).unwrap_or(BillingCycle::None);
        if l.billing_cycle.is_some_and(|c| c != cycle) {
            return Err(Error::field(
                format!("lineItems[{i}].billingCycle"),
                format!("this availability is billed {}", cycle.as_str()),
            ));
        }
        if l.term_duration
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case(&a.term))
        {
            return Err(Error::field(
                format!("lineItems[{i}].termDuration"),
                format!("this availability's term is {}", a.term),
            ));
        }
        l.id = Some(i as i64);
        l.billing_cycle = Some(cycle);
        l.term_duration = Some(a.term.clone());
    }
    super::partnerships::provider_named(app, c.provider_id.as_deref(), "providerId").await?;
    Ok(c)
}

/// The cart's audit record (in the owner's log) and its event (to the owner).
async fn record_cart(
    tx: &mut Tx,
    ctx: &Ctx,
    customer: TenantId,
    cart: &CartRow,
    (operation, event): (Operation, EventName),
    now: i64,
) -> Result<()> {
    let owner = ctx.actor.tenant.to_string();
    let change = Change {
        operation,
        resource_type: "cart",
        resource_id: cart.id.to_string(),
        old: None,
        new: Some(
            serde_json::json!({ "status": cart.status.wire(), "content": cart.line_items, "orderId": cart.order_id }),
        ),
        customer_id: Some(customer.to_string()),
    };
    record(tx, Some(ctx), &owner, change, now).await?;
    let uri = format!("/v1/customers/{customer}/carts/{}", cart.id);
    events::emit(tx, now, event, uri, &cart.id.to_string(), &[owner]).await?;
    Ok(())
}

/// One cart of the caller's organisation for a customer it may order for.
pub async fn get(app: &App, ctx: &Ctx, customer_id: &str, cart_id: CartId) -> Result<Cart> {
    let (t, _) = authorized(app, ctx, customer_id, Action::OrderForCustomer).await?;
    let row = repo::cart(&app.db, t.id, ctx.actor.tenant, cart_id)
        .await?
        .ok_or(Error::NotFound("cart"))?;
    view(row)
}

/// Creates a cart; its lines are ordered at checkout.
pub async fn create(app: &App, ctx: &Ctx, customer_id: &str, content: CartContent) -> Result<Cart> {
    let (t, _) = authorized(app, ctx, customer_id, Action::OrderForCustomer).await?;
    let content = validate(app, ctx, content).await?;
    let now = app.clock.now_ms();
    let row = CartRow {
        id: CartId::new(),
        customer: t.id,
        owner: ctx.actor.tenant,
        status: CartStatus::Active,
        line_items: serde_json::to_value(&content).map_err(|e| Error::Internal(e.into()))?,
        created_at: now,
        updated_at: now,
        expires_at: now + rules::CART_DAYS * rules::DAY_MS,
        order_id: None,
        version: 1,
    };
    let mut tx = app.db.begin().await?;
    repo::insert_cart(&mut tx, &row).await?;
    let what = (Operation::CreateCart, EventName::CartCreated);
    record_cart(&mut tx, ctx, t.id, &row, what, now).await?;
    tx.commit().await?;
    view(row)
}

fn submitted(status: CartStatus) -> Error {
    Error::Conflict {
        code: Code::CartAlreadySubmitted,
        message: format!(
            "this cart is {} and cannot change; it was already submitted",
            status.wire()
        ),
    }
}

/// Replaces an active cart's lines. `expected_version` is the ETag read (`None`: any).
pub async fn update(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    cart_id: CartId,
    content: CartContent,
    expected_version: Option<i64>,
) -> Result<Cart> {
    let (t, _) = authorized(app, ctx, customer_id, Action::OrderForCustomer).await?;
    let content = validate(app, ctx, content).await?;
    let lines = serde_json::to_value(&content).map_err(|e| Error::Internal(e.into()))?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let mut row = repo::cart_in(&mut tx, t.id, ctx.actor.tenant, cart_id)
        .await?
        .ok_or(Error::NotFound("cart"))?;
    if row.status != CartStatus::Active {
        return Err(submitted(row.status));
    }
    let expected = expected_version.unwrap_or(row.version);
    if !repo::update_cart(&mut tx, cart_id, &lines, now, expected).await? {
        return Err(Error::PreconditionFailed);
    }
    (row.line_items, row.updated_at, row.version) = (lines, now, row.version + 1);
    let what = (Operation::UpdateCart, EventName::CartUpdated);
    record_cart(&mut tx, ctx, t.id, &row, what, now).await?;
    tx.commit().await?;
    view(row)
}

/// The order a cart's lines make. The cart id is the order's request id, so a repeated
/// checkout finds the same order.
async fn order_input(app: &App, cart: &Cart) -> Result<OrderInput> {
    let provider_id =
        super::partnerships::provider_named(app, cart.content.provider_id.as_deref(), "providerId")
            .await?;
    let lines = cart
        .content
        .lines
        .iter()
        .map(|l| LineInput {
            partner_id_on_record: l
                .participants
                .iter()
                .find(|p| p.key.eq_ignore_ascii_case("transaction_reseller"))
                .map(|p| p.value.clone()),
            catalog_item_id: l.catalog_item_id.clone(),
            quantity: l.quantity,
            friendly_name: l.friendly_name.clone(),
        })
        .collect();
    Ok(OrderInput {
        request_id: Some(format!("cart:{}", cart.id)),
        lines,
        provider_id,
    })
}

/// Orders a cart's lines and marks the cart ordered, in one transaction. Idempotent:
/// checking out an ordered cart again answers its order and orders nothing.
pub async fn checkout(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    cart_id: CartId,
) -> Result<OrderRow> {
    let (t, _) = authorized(app, ctx, customer_id, Action::OrderForCustomer).await?;
    let cart = view(
        repo::cart(&app.db, t.id, ctx.actor.tenant, cart_id)
            .await?
            .ok_or(Error::NotFound("cart"))?,
    )?;
    let input = order_input(app, &cart).await?;
    if cart.status == CartStatus::Ordered {
        return ordered_before(app, ctx, &input).await;
    }
    let mut tx = app.db.begin().await?;
    let row = repo::cart_in(&mut tx, t.id, ctx.actor.tenant, cart_id)
        .await?
        .ok_or(Error::NotFound("cart"))?;
    if row.status == CartStatus::Ordered {
        drop(tx);
        return ordered_before(app, ctx, &input).await;
    }
    checkout_in(app, ctx, tx, &t, row, &input).await
}

/// The order of a cart checked out before.
async fn ordered_before(app: &App, ctx: &Ctx, input: &OrderInput) -> Result<OrderRow> {
    prior_order(app, ctx, input.request_id.as_deref())
        .await?
        .ok_or(Error::NotFound("order"))
}

/// Writes the order, marks the cart ordered and records both, then commits.
async fn checkout_in(
    app: &App,
    ctx: &Ctx,
    mut tx: Tx,
    customer: &TenantRow,
    mut row: CartRow,
    input: &OrderInput,
) -> Result<OrderRow> {
    let Some(order) = write_order(app, ctx, &mut tx, customer, input).await? else {
        drop(tx);
        return taken_request(app, ctx, input).await;
    };
    let now = order.created_at;
    if !repo::mark_ordered(&mut tx, row.id, order.id, now).await? {
        return Err(submitted(row.status));
    }
    (row.status, row.order_id, row.updated_at) = (CartStatus::Ordered, Some(order.id), now);
    let what = (Operation::CheckoutCart, EventName::CartUpdated);
    record_cart(&mut tx, ctx, customer.id, &row, what, now).await?;
    tx.commit().await?;
    metrics::counter!("partnerhub_orders_total").increment(1);
    Ok(order)
}
