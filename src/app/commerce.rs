//! The money path: catalog import, price lists, orders (idempotent under a request id,
//! creating subscriptions in the same transaction), subscription changes, renewals and
//! monthly invoices per provider.

use super::audit::{record, Change};
use super::customers::authorized;
use super::{events, App, Ctx};
use crate::domain::authz::{Action, Resource};
use crate::domain::channel;
use crate::domain::commerce::{
    self as rules, CatalogItemId, ProviderPrice, Segment, SubscriptionStatus, CANCELLATION_DAYS,
};
use crate::domain::error::{Checks, Code};
use crate::domain::ids::TenantId;
use crate::domain::{Error, Result};
use crate::store::commerce::{
    self as repo, Availability, OrderLine, OrderRow, Product, Sku, SubscriptionRow,
};
use crate::store::{customers, identity as ids, partners, partnerships};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogSku {
    #[serde(flatten)]
    pub sku: SkuInput,
    pub availabilities: Vec<AvailabilityInput>,
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkuInput {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub minimum_quantity: i64,
    pub maximum_quantity: i64,
    #[serde(default)]
    pub is_trial: bool,
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityInput {
    pub id: String,
    pub country: String,
    pub currency: String,
    #[serde(default = "commercial")]
    pub segment: String,
    pub billing_cycle: String,
    pub term: String,
    /// Monthly price per unit, as a decimal string.
    pub list_price: String,
}

fn commercial() -> String {
    "commercial".into()
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogProduct {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// `license` or `usage`.
    pub product_type: String,
    pub skus: Vec<CatalogSku>,
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogFile {
    pub products: Vec<CatalogProduct>,
}

fn id_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !s.contains(':')
}

/// Validates the whole catalog file, then writes it in one transaction.
pub async fn import_catalog(app: &App, ctx: Option<&Ctx>, file: &CatalogFile) -> Result<usize> {
    if let Some(ctx) = ctx {
        ctx.require(Action::ImportMemberships, Resource::Platform)?;
    }
    let mut c = Checks::new();
    for (i, p) in file.products.iter().enumerate() {
        let f = |k: &str| format!("products[{i}].{k}");
        c.check(id_ok(&p.id), &f("id"), "letters, digits, - and _ only");
        c.check(!p.title.trim().is_empty(), &f("title"), "is required");
        c.check(
            p.product_type == "license" || p.product_type == "usage",
            &f("productType"),
            "license or usage",
        );
        for (j, s) in p.skus.iter().enumerate() {
            let f = |k: &str| format!("products[{i}].skus[{j}].{k}");
            c.check(id_ok(&s.sku.id), &f("id"), "letters, digits, - and _ only");
            c.check(
                s.sku.minimum_quantity >= 1 && s.sku.maximum_quantity >= s.sku.minimum_quantity,
                &f("maximumQuantity"),
                "1 <= minimum <= maximum",
            );
            for (k, a) in s.availabilities.iter().enumerate() {
                let f = |x: &str| format!("products[{i}].skus[{j}].availabilities[{k}].{x}");
                c.check(id_ok(&a.id), &f("id"), "letters, digits, - and _ only");
                c.check(
                    crate::domain::identity::Country::parse("c", &a.country).is_ok(),
                    &f("country"),
                    "a two-letter country code",
                );
                c.check(
                    a.currency.len() == 3 && a.currency.chars().all(|x| x.is_ascii_uppercase()),
                    &f("currency"),
                    "a three-letter currency code",
                );
                c.check(
                    ["monthly", "annual", "none"].contains(&a.billing_cycle.as_str()),
                    &f("billingCycle"),
                    "monthly, annual or none",
                );
                c.check(
                    rules::term_days(&a.term).is_some(),
                    &f("term"),
                    "P1M, P1Y, P3Y or none",
                );
                if let Err(Error::Validation(v)) =
                    rules::parse_price(&f("listPrice"), &a.list_price)
                {
                    for e in v {
                        c.push(e);
                    }
                }
            }
        }
    }
    c.finish()?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let mut n = 0;
    for p in &file.products {
        repo::upsert_product(
            &mut tx,
            &Product {
                id: p.id.clone(),
                title: p.title.clone(),
                description: p.description.clone(),
                product_type: p.product_type.clone(),
            },
            now,
        )
        .await?;
        for s in &p.skus {
            repo::upsert_sku(
                &mut tx,
                &Sku {
                    product_id: p.id.clone(),
                    id: s.sku.id.clone(),
                    title: s.sku.title.clone(),
                    description: s.sku.description.clone(),
                    minimum_quantity: s.sku.minimum_quantity,
                    maximum_quantity: s.sku.maximum_quantity,
                    is_trial: s.sku.is_trial,
                    unit_type: if p.product_type == "usage" {
                        "usage".into()
                    } else {
                        "licenses".into()
                    },
                },
            )
            .await?;
            for a in &s.availabilities {
                repo::upsert_availability(
                    &mut tx,
                    &Availability {
                        product_id: p.id.clone(),
                        sku_id: s.sku.id.clone(),
                        id: a.id.clone(),
                        country: a.country.to_ascii_uppercase(),
                        currency: a.currency.clone(),
                        segment: a.segment.clone(),
                        billing_cycle: a.billing_cycle.clone(),
                        term: a.term.clone(),
                        list_price: a.list_price.clone(),
                    },
                )
                .await?;
                n += 1;
            }
        }
    }
    let org = ctx
        .map(|c| c.actor.tenant.to_string())
        .unwrap_or_else(|| "system".into());
    record(
        &mut tx,
        ctx,
        &org,
        Change {
            operation: "import_catalog",
            resource_type: "catalog",
            resource_id: format!("{} products", file.products.len()),
            old: None,
            new: Some(serde_json::json!({ "availabilities": n })),
            customer_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

#[derive(Debug, Clone)]
pub struct LineInput {
    pub catalog_item_id: String,
    pub quantity: i64,
    /// Partner-network id of the reseller of record (provider orders).
    pub partner_id_on_record: Option<String>,
    /// The subscription's name; the SKU's title when none is given.
    pub friendly_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct OrderInput {
    pub request_id: Option<String>,
    pub lines: Vec<LineInput>,
    /// A reseller ordering itself names the provider that is billed.
    pub provider_id: Option<TenantId>,
}

/// Places an order: validates every line first, then writes the order, its lines and the
/// subscriptions in one transaction. A repeated request id returns the first order.
pub async fn place_order(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    input: OrderInput,
) -> Result<(OrderRow, bool)> {
    let (customer, _) = authorized(app, ctx, customer_id, Action::OrderForCustomer).await?;
    if let Some(rid) = &input.request_id {
        if let Some(o) = repo::order_by_request(&app.db, ctx.actor.tenant, rid).await? {
            return Ok((o, false));
        }
    }
    if input.lines.is_empty() || input.lines.len() > 50 {
        return Err(Error::field("lineItems", "an order has 1 to 50 line items"));
    }
    // The actor's partner facts were read from the partner row for this request.
    let me = ctx
        .actor
        .partner
        .as_ref()
        .ok_or_else(|| Error::Forbidden("only partners place orders".into()))?;
    let (provider, reseller) = billed_and_of_record(app, ctx, me, customer.id, &input).await?;
    let now = app.clock.now_ms();
    let order_id = uuid::Uuid::now_v7().to_string();
    let mut lines = Vec::new();
    let mut subs = Vec::new();
    let mut currency = String::new();
    let mut total = Decimal::ZERO;
    let reseller_row = match reseller {
        Some(r) => partners::get(&app.db, r).await?,
        None => None,
    };
    for (i, l) in input.lines.iter().enumerate() {
        let item = CatalogItemId::parse(&l.catalog_item_id)?;
        let a = repo::availability(&app.db, &item.product, &item.sku, &item.availability)
            .await?
            .ok_or_else(|| Error::Conflict {
                code: Code::NotFound,
                message: format!("the catalog item {item} does not exist"),
            })?;
        let sku = repo::sku(&app.db, &item.product, &item.sku)
            .await?
            .ok_or(Error::NotFound("sku"))?;
        if a.country != customer.country {
            return Err(Error::Conflict {
                code: Code::NotOffered,
                message: format!(
                    "{item} is offered in {} ({}), not in the customer's country {}",
                    a.country, a.currency, customer.country
                ),
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
        if !currency.is_empty() && currency != a.currency {
            return Err(Error::field(
                "lineItems",
                "all lines of an order use one currency",
            ));
        }
        currency = a.currency.clone();
        let price = Decimal::from_str(&a.list_price).map_err(|e| Error::Internal(e.into()))?;
        total += price * Decimal::from(l.quantity);
        let days = rules::term_days(&a.term).unwrap_or(30);
        let sub = SubscriptionRow {
            id: uuid::Uuid::now_v7().to_string(),
            customer: customer.id,
            order_id: order_id.clone(),
            provider,
            reseller,
            product_id: item.product.clone(),
            sku_id: item.sku.clone(),
            availability_id: item.availability.clone(),
            friendly_name: l
                .friendly_name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| n.chars().take(200).collect())
                .unwrap_or_else(|| sku.title.clone()),
            quantity: l.quantity,
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
        };
        let mpn = reseller_row.as_ref().map(|p| p.mpn_id.to_string());
        lines.push(OrderLine {
            line_number: i as i64,
            catalog_item_id: item.to_string(),
            quantity: l.quantity,
            unit_price: a.list_price.clone(),
            partner_id_on_record: mpn,
            subscription_id: sub.id.clone(),
        });
        subs.push(sub);
    }
    let order = OrderRow {
        id: order_id,
        customer: customer.id,
        placed_by: ctx.actor.tenant,
        provider,
        reseller,
        request_id: input.request_id.clone(),
        status: "completed".into(),
        currency,
        total: total.round_dp(2).to_string(),
        created_at: now,
    };
    let mut tx = app.db.begin().await?;
    if let Err(e) = repo::insert_order(&mut tx, &order).await {
        if crate::store::is_unique_violation(&e) {
            drop(tx);
            let rid = input.request_id.as_deref().unwrap_or_default();
            let existing = repo::order_by_request(&app.db, ctx.actor.tenant, rid)
                .await?
                .ok_or(Error::Internal(e.into()))?;
            return Ok((existing, false));
        }
        return Err(e.into());
    }
    for (l, s) in lines.iter().zip(&subs) {
        repo::insert_line(&mut tx, &order.id, l).await?;
        repo::insert_subscription(&mut tx, s).await?;
        repo::record_event(&mut tx, s, now).await?;
    }
    let mut orgs = vec![customer.id, ctx.actor.tenant, provider];
    orgs.extend(reseller);
    orgs.sort();
    orgs.dedup();
    for org in &orgs {
        record(&mut tx, Some(ctx), &org.to_string(), Change {
            operation: "create_order",
            resource_type: "order",
            resource_id: order.id.clone(),
            old: None,
            new: Some(serde_json::json!({ "lines": lines.iter().map(|l| serde_json::json!({"catalogItemId": l.catalog_item_id, "quantity": l.quantity, "partnerIdOnRecord": l.partner_id_on_record})).collect::<Vec<_>>(), "total": order.total, "currency": order.currency })),
            customer_id: Some(customer.id.to_string()),
        }, now).await?;
    }
    let audience: Vec<String> = orgs
        .iter()
        .filter(|o| **o != customer.id)
        .map(|o| o.to_string())
        .collect();
    events::emit(
        &mut tx,
        now,
        "order-created",
        format!("/v1/customers/{}/orders/{}", customer.id, order.id),
        &customer.display_name,
        &audience,
    )
    .await?;
    if reseller.is_some() {
        if let Some(to) = reseller_row
            .as_ref()
            .map(|p| p.legal.contact_email.clone())
            .filter(|e| !e.is_empty())
        {
            let mut vars = BTreeMap::new();
            vars.insert("customer", customer.display_name.clone());
            vars.insert("total", format!("{} {}", order.total, order.currency));
            vars.insert(
                "lines",
                lines
                    .iter()
                    .map(|l| format!("{} x {}", l.quantity, l.catalog_item_id))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            vars.insert(
                "url",
                format!(
                    "{}/portal/customers/{}",
                    app.config.public_url(),
                    customer.id
                ),
            );
            crate::mail::enqueue(
                &mut tx,
                now,
                &to,
                crate::mail::Template::OrderCreated,
                "en-US",
                &vars,
            )
            .await?;
        }
    }
    tx.commit().await?;
    metrics::counter!("partnerhub_orders_total").increment(1);
    Ok((order, true))
}

/// Who is billed (the provider) and who is the reseller of record, under the channel rule of
/// `domain::channel`: a provider orders for a reseller it partners with that serves the
/// customer; a reseller orders itself through one of its active providers.
async fn billed_and_of_record(
    app: &App,
    ctx: &Ctx,
    me: &crate::domain::authz::PartnerFacts,
    customer: TenantId,
    input: &OrderInput,
) -> Result<(TenantId, Option<TenantId>)> {
    if me.is_provider && input.provider_id.is_none() {
        let mut named: Option<&str> = None;
        for l in &input.lines {
            if let Some(n) = l
                .partner_id_on_record
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                if named.is_some_and(|m| m != n) {
                    return Err(Error::field(
                        "partnerIdOnRecord",
                        "one order names one reseller of record",
                    ));
                }
                named = Some(n);
            }
        }
        let reseller = match named {
            Some(n) => record_facts(app, ctx.actor.tenant, customer, n).await?,
            None => channel::only_reseller_of_record(
                &customers::qualified_resellers(&app.db, ctx.actor.tenant, customer).await?,
            )?,
        };
        return Ok((ctx.actor.tenant, Some(reseller)));
    }
    let provider = input.provider_id.ok_or_else(|| {
        Error::field(
            "providerId",
            "name the indirect provider this order is placed through",
        )
    })?;
    if partnerships::pair(&app.db, provider, ctx.actor.tenant)
        .await?
        .is_none_or(|s| !s.is_active())
    {
        return Err(Error::field(
            "providerId",
            "this provider is not one of your active indirect providers",
        ));
    }
    let me_named = ctx.actor.tenant.to_string();
    let reseller = record_facts(app, provider, customer, &me_named).await?;
    Ok((provider, Some(reseller)))
}

/// Loads the facts about a reseller named as reseller of record and checks them.
async fn record_facts(
    app: &App,
    provider: TenantId,
    customer: TenantId,
    named: &str,
) -> Result<TenantId> {
    let p = super::partnerships::find_partner(app, named)
        .await?
        .ok_or_else(|| Error::Conflict {
            code: Code::InvalidPartnerOfRecord,
            message: format!(
                "{named} is not the tenant id or partner-network id of an indirect reseller"
            ),
        })?;
    let facts = channel::RecordFacts {
        reseller: p.tenant_id,
        is_reseller: p.is_reseller,
        partner_active: p.status == "active",
        partnered_with_provider: partnerships::pair(&app.db, provider, p.tenant_id)
            .await?
            .is_some_and(|s| s.is_active()),
        serves_customer: customers::serves(&app.db, customer, p.tenant_id).await?,
    };
    channel::check_reseller_of_record(named, facts)
}

#[derive(Debug, Clone, Default)]
pub struct SubscriptionPatch {
    pub quantity: Option<i64>,
    pub status: Option<String>,
    pub auto_renew: Option<bool>,
}

/// Changes quantity, status or auto-renewal. `expected_version` is the ETag read.
pub async fn update_subscription(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    sub_id: &str,
    patch: SubscriptionPatch,
    expected_version: Option<i64>,
) -> Result<SubscriptionRow> {
    let (customer, _) = authorized(app, ctx, customer_id, Action::OrderForCustomer).await?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let mut s = repo::subscription_for_update(&mut tx, customer.id, sub_id)
        .await?
        .ok_or(Error::NotFound("subscription"))?;
    if expected_version.is_some_and(|v| v != s.version) {
        return Err(Error::PreconditionFailed);
    }
    let version = s.version;
    let old = serde_json::json!({ "quantity": s.quantity, "status": s.status, "autoRenewEnabled": s.auto_renew });
    let current = SubscriptionStatus::parse(&s.status).unwrap_or(SubscriptionStatus::Active);
    if let Some(q) = patch.quantity {
        if q != s.quantity {
            if current != SubscriptionStatus::Active {
                return Err(Error::Conflict {
                    code: Code::InvalidSubscriptionChange,
                    message: format!(
                        "the quantity of a {} subscription cannot change",
                        current.as_str()
                    ),
                });
            }
            let sku = repo::sku(&app.db, &s.product_id, &s.sku_id)
                .await?
                .ok_or(Error::NotFound("sku"))?;
            if !(sku.minimum_quantity..=sku.maximum_quantity).contains(&q) {
                return Err(Error::Conflict {
                    code: Code::QuantityOutOfRange,
                    message: format!(
                        "the quantity must be between {} and {}",
                        sku.minimum_quantity, sku.maximum_quantity
                    ),
                });
            }
            s.quantity = q;
        }
    }
    if let Some(st) = &patch.status {
        let to = SubscriptionStatus::parse(st)
            .ok_or_else(|| Error::field("status", "active, suspended or deleted"))?;
        s.status = rules::change_status(current, to, now, s.cancel_until)?
            .as_str()
            .into();
    }
    if let Some(a) = patch.auto_renew {
        s.auto_renew = a;
    }
    s.updated_at = now;
    if !repo::save_subscription(&mut tx, &s, version).await? {
        return Err(Error::PreconditionFailed);
    }
    // Seats never drop below what is assigned: checked inside the same transaction, for a
    // lower quantity (suspension keeps assignments; the licenses just stop working).
    let lowered = patch
        .quantity
        .is_some_and(|q| q < old["quantity"].as_i64().unwrap_or(0));
    let seats = super::licenses::seats(tx.conn(), customer.id).await?;
    if let Some(k) = seats
        .iter()
        .find(|k| lowered && k.product_id == s.product_id && k.sku == s.sku_id)
    {
        if k.consumed_units > k.active_units {
            return Err(Error::Conflict {
                code: Code::QuantityCannotDecrease,
                message: format!(
                    "{} licenses are assigned; remove assignments before lowering seats to {}",
                    k.consumed_units, k.active_units
                ),
            });
        }
    }
    repo::record_event(&mut tx, &s, now).await?;
    let mut orgs = vec![customer.id, ctx.actor.tenant, s.provider];
    orgs.extend(s.reseller);
    orgs.sort();
    orgs.dedup();
    for org in &orgs {
        record(&mut tx, Some(ctx), &org.to_string(), Change {
            operation: "update_subscription",
            resource_type: "subscription",
            resource_id: s.id.clone(),
            old: Some(old.clone()),
            new: Some(serde_json::json!({ "quantity": s.quantity, "status": s.status, "autoRenewEnabled": s.auto_renew })),
            customer_id: Some(customer.id.to_string()),
        }, now).await?;
    }
    let audience: Vec<String> = orgs
        .iter()
        .filter(|o| **o != customer.id)
        .map(|o| o.to_string())
        .collect();
    events::emit(
        &mut tx,
        now,
        "subscription-updated",
        format!("/v1/customers/{}/subscriptions/{}", customer.id, s.id),
        &s.friendly_name,
        &audience,
    )
    .await?;
    tx.commit().await?;
    s.version = version + 1;
    Ok(s)
}

/// Renews auto-renewing subscriptions at term end and expires the others. Returns
/// (renewed, expired).
pub async fn run_renewals(app: &App) -> Result<(usize, usize)> {
    let now = app.clock.now_ms();
    let (mut renewed, mut expired) = (0, 0);
    for mut s in repo::subscriptions_due(&app.db, now).await? {
        let version = s.version;
        let mut tx = app.db.begin().await?;
        if s.auto_renew && s.status == "active" {
            let days = rules::term_days(&s.term).unwrap_or(30);
            s.term_start = s.term_end;
            s.term_end += days * rules::DAY_MS;
            s.cancel_until = s.term_start + CANCELLATION_DAYS * rules::DAY_MS;
            renewed += 1;
        } else {
            s.status = SubscriptionStatus::Expired.as_str().into();
            expired += 1;
        }
        s.updated_at = now;
        if !repo::save_subscription(&mut tx, &s, version).await? {
            continue;
        }
        let at = if s.status == "expired" {
            s.term_end
        } else {
            s.term_start
        };
        repo::record_event(&mut tx, &s, at.min(now)).await?;
        events::emit(
            &mut tx,
            now,
            "subscription-updated",
            format!("/v1/customers/{}/subscriptions/{}", s.customer, s.id),
            &s.friendly_name,
            &[s.provider.to_string()],
        )
        .await?;
        tx.commit().await?;
    }
    Ok((renewed, expired))
}

/// Invoices of one closed month for every provider with charges: one per provider and
/// currency, lines naming customer, reseller of record, SKU, quantity, price and span.
pub async fn generate_invoices(app: &App, month_start: i64) -> Result<usize> {
    let (start, end) = rules::month_of(month_start);
    if end > app.clock.now_ms() {
        return Err(Error::field(
            "period",
            "a month can be invoiced once it has ended",
        ));
    }
    let providers: Vec<String> =
        sqlx::query("SELECT DISTINCT provider_tenant_id FROM subscriptions")
            .fetch_all(&app.db.read)
            .await?
            .iter()
            .map(|r| sqlx::Row::get::<String, _>(r, 0))
            .collect();
    let mut made = 0;
    for p in providers {
        let provider: TenantId = p.parse().map_err(|_| Error::NotFound("provider"))?;
        let mut by_currency: BTreeMap<String, Vec<repo::InvoiceLine>> = BTreeMap::new();
        for s in repo::subscriptions_of_provider(&app.db, provider).await? {
            let history = segments(&app.db, &s.id).await?;
            let customer_name = ids::tenant(&app.db, s.customer)
                .await?
                .map(|t| t.display_name)
                .unwrap_or_default();
            let mpn = match s.reseller {
                Some(r) => partners::get(&app.db, r)
                    .await?
                    .map(|x| x.mpn_id.to_string()),
                None => None,
            };
            for c in rules::charges(&history, start, end) {
                let lines = by_currency.entry(s.currency.clone()).or_default();
                lines.push(repo::InvoiceLine {
                    line_number: lines.len() as i64,
                    customer: s.customer,
                    customer_name: customer_name.clone(),
                    reseller: s.reseller,
                    reseller_mpn_id: mpn.clone(),
                    subscription_id: s.id.clone(),
                    product_id: s.product_id.clone(),
                    sku_id: s.sku_id.clone(),
                    quantity: c.quantity,
                    unit_price: c.unit_price.to_string(),
                    charge_start: c.start,
                    charge_end: c.end,
                    amount: c.amount.to_string(),
                });
            }
        }
        for (currency, lines) in by_currency {
            let total: Decimal = lines
                .iter()
                .map(|l| Decimal::from_str(&l.amount).unwrap_or_default())
                .sum();
            let inv = repo::InvoiceRow {
                id: uuid::Uuid::now_v7().to_string(),
                provider,
                period_start: start,
                period_end: end,
                currency,
                total: total.to_string(),
                created_at: app.clock.now_ms(),
            };
            let mut tx = app.db.begin().await?;
            if repo::insert_invoice(&mut tx, &inv, &lines).await? {
                events::emit(
                    &mut tx,
                    app.clock.now_ms(),
                    "invoice-ready",
                    format!("/v1/invoices/{}", inv.id),
                    &inv.id,
                    &[provider.to_string()],
                )
                .await?;
                record(
                    &mut tx,
                    None,
                    &provider.to_string(),
                    Change {
                        operation: "create_invoice",
                        resource_type: "invoice",
                        resource_id: inv.id.clone(),
                        old: None,
                        new: Some(
                            serde_json::json!({ "total": inv.total, "currency": inv.currency }),
                        ),
                        customer_id: None,
                    },
                    app.clock.now_ms(),
                )
                .await?;
                made += 1;
            }
            tx.commit().await?;
        }
    }
    Ok(made)
}

/// A subscription's history as charge segments.
pub async fn segments(db: &crate::store::Db, subscription: &str) -> Result<Vec<Segment>> {
    Ok(repo::history(db, subscription)
        .await?
        .into_iter()
        .map(|(at, quantity, status, price)| Segment {
            at,
            quantity,
            status: SubscriptionStatus::parse(&status).unwrap_or(SubscriptionStatus::Deleted),
            unit_price: Decimal::from_str(&price).unwrap_or_default(),
        })
        .collect())
}

/// The provider's price to its resellers for an SKU in a country (list price when unset).
pub async fn price_to_reseller(
    app: &App,
    provider: TenantId,
    product: &str,
    sku: &str,
    country: &str,
    list: Decimal,
) -> Result<Decimal> {
    Ok(
        match repo::provider_price(&app.db, provider, product, sku, country).await? {
            Some((kind, value)) => {
                let v = Decimal::from_str(&value).unwrap_or_default();
                if kind == "markup" {
                    ProviderPrice::Markup(v).apply(list)
                } else {
                    ProviderPrice::Fixed(v).apply(list)
                }
            }
            None => list,
        },
    )
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderPriceInput {
    pub product_id: String,
    pub sku_id: String,
    pub country: String,
    /// `markup` (percent on the operator's price) or `fixed`.
    pub kind: String,
    /// Decimal string.
    pub value: String,
}

pub async fn set_provider_prices(
    app: &App,
    ctx: &Ctx,
    prices: &[ProviderPriceInput],
) -> Result<()> {
    ctx.require(Action::ManageListing, Resource::Tenant(ctx.actor.tenant))?;
    let mut c = Checks::new();
    for (i, p) in prices.iter().enumerate() {
        c.check(
            p.kind == "markup" || p.kind == "fixed",
            &format!("prices[{i}].kind"),
            "markup or fixed",
        );
        if rules::parse_price(&format!("prices[{i}].value"), &p.value).is_err() {
            c.check(
                false,
                &format!("prices[{i}].value"),
                "a decimal of zero or more",
            );
        }
        c.check(
            repo::sku(&app.db, &p.product_id, &p.sku_id)
                .await?
                .is_some(),
            &format!("prices[{i}].skuId"),
            "no such SKU in the catalog",
        );
    }
    c.finish()?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    for p in prices {
        repo::set_provider_price(
            &mut tx,
            ctx.actor.tenant,
            &p.product_id,
            &p.sku_id,
            &p.country.to_ascii_uppercase(),
            &p.kind,
            &p.value,
        )
        .await?;
    }
    record(
        &mut tx,
        Some(ctx),
        &ctx.actor.tenant.to_string(),
        Change {
            operation: "update_price_list",
            resource_type: "price_list",
            resource_id: ctx.actor.tenant.to_string(),
            old: None,
            new: Some(serde_json::to_value(prices).unwrap_or_default()),
            customer_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResellerPriceInput {
    pub product_id: String,
    pub sku_id: String,
    pub country: String,
    /// The reseller's price to its customers, decimal string.
    pub price: String,
}

pub async fn set_reseller_prices(
    app: &App,
    ctx: &Ctx,
    prices: &[ResellerPriceInput],
) -> Result<()> {
    ctx.require(Action::InviteCustomers, Resource::Tenant(ctx.actor.tenant))?;
    let mut c = Checks::new();
    for (i, p) in prices.iter().enumerate() {
        if rules::parse_price(&format!("prices[{i}].price"), &p.price).is_err() {
            c.check(
                false,
                &format!("prices[{i}].price"),
                "a decimal of zero or more",
            );
        }
        c.check(
            repo::sku(&app.db, &p.product_id, &p.sku_id)
                .await?
                .is_some(),
            &format!("prices[{i}].skuId"),
            "no such SKU in the catalog",
        );
    }
    c.finish()?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    for p in prices {
        repo::set_reseller_price(
            &mut tx,
            ctx.actor.tenant,
            &p.product_id,
            &p.sku_id,
            &p.country.to_ascii_uppercase(),
            &p.price,
        )
        .await?;
    }
    record(
        &mut tx,
        Some(ctx),
        &ctx.actor.tenant.to_string(),
        Change {
            operation: "update_customer_prices",
            resource_type: "price_list",
            resource_id: ctx.actor.tenant.to_string(),
            old: None,
            new: Some(serde_json::to_value(prices).unwrap_or_default()),
            customer_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The names of an order's subscriptions, by subscription id (the order's line items show
/// them as `friendlyName`).
pub async fn subscription_names(
    app: &App,
    customer: TenantId,
    order_id: &str,
) -> Result<BTreeMap<String, String>> {
    Ok(repo::subscriptions_of(&app.db, customer)
        .await?
        .into_iter()
        .filter(|s| s.order_id == order_id)
        .map(|s| (s.id, s.friendly_name))
        .collect())
}

/// The resellers the caller (a provider) may name as reseller of record for a customer it
/// may order for: those with an active relationship with the customer and an active
/// partnership with the caller (`domain::channel`).
pub async fn resellers_of_record(app: &App, ctx: &Ctx, customer_id: &str) -> Result<Vec<TenantId>> {
    let (customer, _) = authorized(app, ctx, customer_id, Action::OrderForCustomer).await?;
    Ok(customers::qualified_resellers(&app.db, ctx.actor.tenant, customer.id).await?)
}

/// One invoice and its lines, for the provider it bills or the operator. Anyone else is told
/// it does not exist, so invoice ids leak nothing.
pub async fn invoice(
    app: &App,
    ctx: &Ctx,
    id: &str,
) -> Result<(
    crate::store::commerce::InvoiceRow,
    Vec<crate::store::commerce::InvoiceLine>,
)> {
    let invoice = crate::store::commerce::invoice(&app.db, id)
        .await?
        .filter(|i| {
            crate::domain::authz::can(
                &ctx.actor,
                Action::ReadInvoices,
                Resource::Tenant(i.provider),
            )
            .allowed()
        })
        .ok_or(Error::NotFound("invoice"))?;
    let lines = crate::store::commerce::invoice_lines(&app.db, id).await?;
    Ok((invoice, lines))
}
