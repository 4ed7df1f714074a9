//! Catalog, price lists, orders, subscriptions with their history, and invoices.

use super::batch::Batch;
use super::decode::{all, bad_column, flag, json, parsed, parsed_opt, word};
use super::{Db, Tx};
use crate::domain::commerce::{
    CartStatus, OrderStatus, PriceKind, ProviderPrice, Segment, SubscriptionStatus,
};
use crate::domain::ids::{CartId, OrderId, SubscriptionId, TenantId};
use sqlx::Row;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// `license` (seats) or `usage`.
    pub product_type: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Sku {
    pub product_id: String,
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub minimum_quantity: i64,
    pub maximum_quantity: i64,
    #[serde(default)]
    pub is_trial: bool,
    #[serde(default = "licenses")]
    pub unit_type: String,
}

fn licenses() -> String {
    "licenses".into()
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Availability {
    pub product_id: String,
    pub sku_id: String,
    pub id: String,
    pub country: String,
    pub currency: String,
    /// commercial, education, government, nonprofit.
    pub segment: String,
    /// monthly, annual, none.
    pub billing_cycle: String,
    /// P1M, P1Y, P3Y, none.
    pub term: String,
    /// Monthly price per unit, decimal string.
    pub list_price: String,
}

pub async fn upsert_product(tx: &mut Tx, p: &Product, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO products (id, title, description, product_type, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description, product_type = excluded.product_type")
        .bind(&p.id).bind(&p.title).bind(&p.description).bind(&p.product_type).bind(now)
        .execute(tx.conn().await?).await?;
    Ok(())
}

pub async fn upsert_sku(tx: &mut Tx, s: &Sku) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO skus (product_id, id, title, description, min_quantity, max_quantity, is_trial, unit_type) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (product_id, id) DO UPDATE SET title = excluded.title, description = excluded.description, \
                 min_quantity = excluded.min_quantity, max_quantity = excluded.max_quantity, is_trial = excluded.is_trial, unit_type = excluded.unit_type")
        .bind(&s.product_id).bind(&s.id).bind(&s.title).bind(&s.description).bind(s.minimum_quantity).bind(s.maximum_quantity).bind(s.is_trial as i64).bind(&s.unit_type)
        .execute(tx.conn().await?).await?;
    Ok(())
}

pub async fn upsert_availability(tx: &mut Tx, a: &Availability) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO availabilities (product_id, sku_id, id, country, currency, segment, billing_cycle, term, list_price) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (product_id, sku_id, id) DO UPDATE SET country = excluded.country, \
                 currency = excluded.currency, segment = excluded.segment, billing_cycle = excluded.billing_cycle, term = excluded.term, list_price = excluded.list_price")
        .bind(&a.product_id).bind(&a.sku_id).bind(&a.id).bind(&a.country).bind(&a.currency).bind(&a.segment).bind(&a.billing_cycle).bind(&a.term).bind(&a.list_price)
        .execute(tx.conn().await?).await?;
    Ok(())
}

pub(super) fn product_from(r: &sqlx::any::AnyRow) -> Result<Product, sqlx::Error> {
    Ok(Product {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        product_type: r.try_get("product_type")?,
    })
}

pub(super) fn sku_from(r: &sqlx::any::AnyRow) -> Result<Sku, sqlx::Error> {
    Ok(Sku {
        product_id: r.try_get("product_id")?,
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        minimum_quantity: r.try_get("min_quantity")?,
        maximum_quantity: r.try_get("max_quantity")?,
        is_trial: flag(r, "is_trial")?,
        unit_type: r.try_get("unit_type")?,
    })
}

pub(super) fn availability_from(r: &sqlx::any::AnyRow) -> Result<Availability, sqlx::Error> {
    availability_with_id(r, "id")
}

/// An availability whose own id is in the column `id_col` (the rest by their names).
fn availability_with_id(r: &sqlx::any::AnyRow, id_col: &str) -> Result<Availability, sqlx::Error> {
    Ok(Availability {
        product_id: r.try_get("product_id")?,
        sku_id: r.try_get("sku_id")?,
        id: r.try_get(id_col)?,
        country: r.try_get("country")?,
        currency: r.try_get("currency")?,
        segment: r.try_get("segment")?,
        billing_cycle: r.try_get("billing_cycle")?,
        term: r.try_get("term")?,
        list_price: r.try_get("list_price")?,
    })
}

/// Products offered in a country (and segment), by title.
pub async fn products(db: &Db, country: &str, segment: &str) -> Result<Vec<Product>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM products p WHERE EXISTS (SELECT 1 FROM availabilities a WHERE a.product_id = p.id \
                            AND a.country = $1 AND ($2 = '' OR a.segment = $2)) ORDER BY p.title, p.id")
        .bind(country).bind(segment).fetch_all(&db.read).await?;
    all(&rows, product_from)
}

pub async fn product(db: &Db, id: &str) -> Result<Option<Product>, sqlx::Error> {
    let r = sqlx::query("SELECT * FROM products WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.read)
        .await?;
    r.as_ref().map(product_from).transpose()
}

pub async fn skus(db: &Db, product: &str) -> Result<Vec<Sku>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM skus WHERE product_id = $1 ORDER BY id")
        .bind(product)
        .fetch_all(&db.read)
        .await?;
    all(&rows, sku_from)
}

pub async fn sku(db: &Db, product: &str, sku: &str) -> Result<Option<Sku>, sqlx::Error> {
    let r = sqlx::query("SELECT * FROM skus WHERE product_id = $1 AND id = $2")
        .bind(product)
        .bind(sku)
        .fetch_optional(&db.read)
        .await?;
    r.as_ref().map(sku_from).transpose()
}

pub async fn availabilities(
    db: &Db,
    product: &str,
    sku: &str,
    country: &str,
) -> Result<Vec<Availability>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM availabilities WHERE product_id = $1 AND sku_id = $2 AND ($3 = '' OR country = $3) ORDER BY id")
        .bind(product).bind(sku).bind(country).fetch_all(&db.read).await?;
    all(&rows, availability_from)
}

/// The statement of [`catalog_entries`] for `n` items (`$1..$3n`, three per item).
pub fn catalog_entries_sql(n: usize) -> String {
    let wanted: Vec<String> = (0..n)
        .map(|i| {
            let k = 3 * i;
            format!(
                "(a.product_id = ${} AND a.sku_id = ${} AND a.id = ${})",
                k + 1,
                k + 2,
                k + 3
            )
        })
        .collect();
    // The SKU's columns under the names `sku_from` reads; the availability's own id renamed.
    format!(
        "SELECT k.product_id, k.id, k.title, k.description, k.min_quantity, k.max_quantity, \
         k.is_trial, k.unit_type, a.sku_id, a.id AS availability_id, a.country, a.currency, \
         a.segment, a.billing_cycle, a.term, a.list_price \
         FROM availabilities a JOIN skus k ON k.product_id = a.product_id AND k.id = a.sku_id \
         WHERE {}",
        wanted.join(" OR ")
    )
}

/// Catalog entries read together: each availability with its SKU.
#[derive(Debug, Default)]
pub struct CatalogEntries(Vec<(Availability, Sku)>);

impl CatalogEntries {
    /// The entry of `item`, if the catalog has it.
    pub fn get(
        &self,
        item: &crate::domain::commerce::CatalogItemId,
    ) -> Option<(Availability, Sku)> {
        self.0
            .iter()
            .find(|(a, _)| {
                a.product_id == item.product && a.sku_id == item.sku && a.id == item.availability
            })
            .cloned()
    }
}

/// The availabilities `items` name, each with its SKU, in one statement whatever the number
/// of items (an order reads its whole catalog in one trip, not two per line). An item not in
/// the catalog is absent from the result; each found one comes once.
pub async fn catalog_entries(
    db: &Db,
    items: &[crate::domain::commerce::CatalogItemId],
) -> Result<CatalogEntries, sqlx::Error> {
    if items.is_empty() {
        return Ok(CatalogEntries::default());
    }
    let sql = catalog_entries_sql(items.len());
    let mut q = sqlx::query(&sql);
    for i in items {
        q = q.bind(&i.product).bind(&i.sku).bind(&i.availability);
    }
    let rows = q.fetch_all(&db.read).await?;
    rows.iter()
        .map(|r| Ok((availability_with_id(r, "availability_id")?, sku_from(r)?)))
        .collect::<Result<_, _>>()
        .map(CatalogEntries)
}

pub async fn availability(
    db: &Db,
    product: &str,
    sku: &str,
    id: &str,
) -> Result<Option<Availability>, sqlx::Error> {
    let r = sqlx::query(
        "SELECT * FROM availabilities WHERE product_id = $1 AND sku_id = $2 AND id = $3",
    )
    .bind(product)
    .bind(sku)
    .bind(id)
    .fetch_optional(&db.read)
    .await?;
    r.as_ref().map(availability_from).transpose()
}

/// A provider's price for its resellers, decoded: an unknown kind or a value that is not a
/// price is a decode error.
pub(super) fn provider_price_from(r: &sqlx::any::AnyRow) -> Result<ProviderPrice, sqlx::Error> {
    let value: String = r.try_get("value")?;
    ProviderPrice::from_parts(parsed(r, "kind")?, &value).map_err(|_| bad_column("value", &value))
}

/// A provider's price for its resellers.
pub async fn provider_price(
    db: &Db,
    provider: TenantId,
    product: &str,
    sku: &str,
    country: &str,
) -> Result<Option<ProviderPrice>, sqlx::Error> {
    let r = sqlx::query("SELECT kind, value FROM provider_prices WHERE provider_tenant_id = $1 AND product_id = $2 AND sku_id = $3 AND country = $4")
        .bind(provider.to_string()).bind(product).bind(sku).bind(country).fetch_optional(&db.read).await?;
    r.as_ref().map(provider_price_from).transpose()
}

pub async fn set_provider_price(
    tx: &mut Tx,
    provider: TenantId,
    product: &str,
    sku: &str,
    country: &str,
    kind: PriceKind,
    value: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO provider_prices (provider_tenant_id, product_id, sku_id, country, kind, value) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (provider_tenant_id, product_id, sku_id, country) DO UPDATE SET kind = excluded.kind, value = excluded.value")
        .bind(provider.to_string()).bind(product).bind(sku).bind(country).bind(kind.as_str()).bind(value).execute(tx.conn().await?).await?;
    Ok(())
}

pub async fn set_reseller_price(
    tx: &mut Tx,
    reseller: TenantId,
    product: &str,
    sku: &str,
    country: &str,
    price: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO reseller_prices (reseller_tenant_id, product_id, sku_id, country, price) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (reseller_tenant_id, product_id, sku_id, country) DO UPDATE SET price = excluded.price")
        .bind(reseller.to_string()).bind(product).bind(sku).bind(country).bind(price).execute(tx.conn().await?).await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: OrderId,
    pub customer: TenantId,
    pub placed_by: TenantId,
    pub provider: TenantId,
    pub reseller: Option<TenantId>,
    pub request_id: Option<String>,
    pub status: OrderStatus,
    pub currency: String,
    pub total: String,
    pub created_at: i64,
}

pub(super) fn order_from(r: &sqlx::any::AnyRow) -> Result<OrderRow, sqlx::Error> {
    Ok(OrderRow {
        id: parsed(r, "id")?,
        customer: parsed(r, "customer_tenant_id")?,
        placed_by: parsed(r, "placed_by_tenant_id")?,
        provider: parsed(r, "provider_tenant_id")?,
        reseller: parsed_opt(r, "reseller_tenant_id")?,
        request_id: r.try_get("request_id")?,
        status: parsed(r, "status")?,
        currency: r.try_get("currency")?,
        total: r.try_get("total")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Adds the order's row to `b` (the caller runs the batch in its transaction).
pub fn insert_order(b: &mut Batch<'_>, o: &OrderRow) {
    b.add("INSERT INTO orders (id, customer_tenant_id, placed_by_tenant_id, provider_tenant_id, reseller_tenant_id, request_id, status, currency, total, created_at) \
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(o.id.to_string()).bind(o.customer.to_string()).bind(o.placed_by.to_string()).bind(o.provider.to_string()).bind(o.reseller.map(|r| r.to_string()))
        .bind(o.request_id.clone()).bind(o.status.as_str()).bind(o.currency.clone()).bind(o.total.clone()).bind(o.created_at);
}

pub async fn order_by_request(
    db: &Db,
    placed_by: TenantId,
    request_id: &str,
) -> Result<Option<OrderRow>, sqlx::Error> {
    let r = sqlx::query("SELECT * FROM orders WHERE placed_by_tenant_id = $1 AND request_id = $2")
        .bind(placed_by.to_string())
        .bind(request_id)
        .fetch_optional(&db.write)
        .await?;
    r.as_ref().map(order_from).transpose()
}

pub async fn order(
    db: &Db,
    customer: TenantId,
    id: OrderId,
) -> Result<Option<OrderRow>, sqlx::Error> {
    let r = sqlx::query("SELECT * FROM orders WHERE customer_tenant_id = $1 AND id = $2")
        .bind(customer.to_string())
        .bind(id.to_string())
        .fetch_optional(&db.read)
        .await?;
    r.as_ref().map(order_from).transpose()
}

#[derive(Debug, Clone)]
pub struct OrderLine {
    pub line_number: i64,
    pub catalog_item_id: String,
    pub quantity: i64,
    pub unit_price: String,
    pub partner_id_on_record: Option<String>,
    pub subscription_id: SubscriptionId,
}

pub fn insert_line(b: &mut Batch<'_>, order: OrderId, l: &OrderLine) {
    b.add("INSERT INTO order_lines (order_id, line_number, catalog_item_id, quantity, unit_price, partner_id_on_record, subscription_id) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(order.to_string()).bind(l.line_number).bind(l.catalog_item_id.clone()).bind(l.quantity).bind(l.unit_price.clone()).bind(l.partner_id_on_record.clone()).bind(l.subscription_id.to_string());
}

fn line_from(r: &sqlx::any::AnyRow) -> Result<OrderLine, sqlx::Error> {
    Ok(OrderLine {
        line_number: r.try_get("line_number")?,
        catalog_item_id: r.try_get("catalog_item_id")?,
        quantity: r.try_get("quantity")?,
        unit_price: r.try_get("unit_price")?,
        partner_id_on_record: r.try_get("partner_id_on_record")?,
        subscription_id: parsed(r, "subscription_id")?,
    })
}

const LINES: &str = "SELECT * FROM order_lines WHERE order_id = $1 ORDER BY line_number";

pub async fn lines(db: &Db, order: OrderId) -> Result<Vec<OrderLine>, sqlx::Error> {
    let rows = sqlx::query(LINES)
        .bind(order.to_string())
        .fetch_all(&db.read)
        .await?;
    all(&rows, line_from)
}

/// The order's lines read in the writing transaction (their partner of record is what the
/// lines written next record).
pub async fn lines_in(tx: &mut Tx, order: OrderId) -> Result<Vec<OrderLine>, sqlx::Error> {
    let rows = sqlx::query(LINES)
        .bind(order.to_string())
        .fetch_all(tx.conn().await?)
        .await?;
    all(&rows, line_from)
}

#[derive(Debug, Clone)]
pub struct SubscriptionRow {
    pub id: SubscriptionId,
    pub customer: TenantId,
    pub order_id: OrderId,
    pub provider: TenantId,
    pub reseller: Option<TenantId>,
    pub product_id: String,
    pub sku_id: String,
    pub availability_id: String,
    pub friendly_name: String,
    pub quantity: i64,
    pub unit_price: String,
    pub currency: String,
    pub billing_cycle: String,
    pub term: String,
    pub status: SubscriptionStatus,
    pub auto_renew: bool,
    pub created_at: i64,
    pub term_start: i64,
    pub term_end: i64,
    pub cancel_until: i64,
    pub updated_at: i64,
    pub version: i64,
}

pub(super) fn subscription_from(r: &sqlx::any::AnyRow) -> Result<SubscriptionRow, sqlx::Error> {
    Ok(SubscriptionRow {
        id: parsed(r, "id")?,
        customer: parsed(r, "customer_tenant_id")?,
        order_id: parsed(r, "order_id")?,
        provider: parsed(r, "provider_tenant_id")?,
        reseller: parsed_opt(r, "reseller_tenant_id")?,
        product_id: r.try_get("product_id")?,
        sku_id: r.try_get("sku_id")?,
        availability_id: r.try_get("availability_id")?,
        friendly_name: r.try_get("friendly_name")?,
        quantity: r.try_get("quantity")?,
        unit_price: r.try_get("unit_price")?,
        currency: r.try_get("currency")?,
        billing_cycle: r.try_get("billing_cycle")?,
        term: r.try_get("term")?,
        status: parsed(r, "status")?,
        auto_renew: flag(r, "auto_renew")?,
        created_at: r.try_get("created_at")?,
        term_start: r.try_get("term_start")?,
        term_end: r.try_get("term_end")?,
        cancel_until: r.try_get("cancel_until")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
    })
}

pub fn insert_subscription(b: &mut Batch<'_>, s: &SubscriptionRow) {
    b.add("INSERT INTO subscriptions (id, customer_tenant_id, order_id, provider_tenant_id, reseller_tenant_id, product_id, sku_id, availability_id, \
           friendly_name, quantity, unit_price, currency, billing_cycle, term, status, auto_renew, created_at, term_start, term_end, cancel_until, updated_at) \
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)")
        .bind(s.id.to_string()).bind(s.customer.to_string()).bind(s.order_id.to_string()).bind(s.provider.to_string()).bind(s.reseller.map(|r| r.to_string()))
        .bind(s.product_id.clone()).bind(s.sku_id.clone()).bind(s.availability_id.clone()).bind(s.friendly_name.clone()).bind(s.quantity).bind(s.unit_price.clone())
        .bind(s.currency.clone()).bind(s.billing_cycle.clone()).bind(s.term.clone()).bind(s.status.as_str()).bind(s.auto_renew as i64).bind(s.created_at)
        .bind(s.term_start).bind(s.term_end).bind(s.cancel_until).bind(s.updated_at);
}

pub async fn subscription(
    db: &Db,
    customer: TenantId,
    id: SubscriptionId,
) -> Result<Option<SubscriptionRow>, sqlx::Error> {
    let r = sqlx::query("SELECT * FROM subscriptions WHERE customer_tenant_id = $1 AND id = $2")
        .bind(customer.to_string())
        .bind(id.to_string())
        .fetch_optional(&db.read)
        .await?;
    r.as_ref().map(subscription_from).transpose()
}

pub async fn subscription_for_update(
    tx: &mut Tx,
    customer: TenantId,
    id: SubscriptionId,
) -> Result<Option<SubscriptionRow>, sqlx::Error> {
    let sql = format!(
        "SELECT * FROM subscriptions WHERE customer_tenant_id = $1 AND id = $2{}",
        tx.backend.for_update()
    );
    let r = sqlx::query(&sql)
        .bind(customer.to_string())
        .bind(id.to_string())
        .fetch_optional(tx.conn().await?)
        .await?;
    r.as_ref().map(subscription_from).transpose()
}

/// Saves the mutable fields if the version still matches; false when someone changed it.
pub async fn save_subscription(
    tx: &mut Tx,
    s: &SubscriptionRow,
    expected_version: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("UPDATE subscriptions SET quantity = $1, status = $2, auto_renew = $3, term_start = $4, term_end = $5, cancel_until = $6, \
                         updated_at = $7, version = version + 1 WHERE id = $8 AND version = $9")
        .bind(s.quantity).bind(s.status.as_str()).bind(s.auto_renew as i64).bind(s.term_start).bind(s.term_end).bind(s.cancel_until)
        .bind(s.updated_at).bind(s.id.to_string()).bind(expected_version)
        .execute(tx.conn().await?).await?;
    Ok(r.rows_affected() == 1)
}

pub async fn subscriptions_of(
    db: &Db,
    customer: TenantId,
) -> Result<Vec<SubscriptionRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT * FROM subscriptions WHERE customer_tenant_id = $1 ORDER BY created_at, id",
    )
    .bind(customer.to_string())
    .fetch_all(&db.read)
    .await?;
    all(&rows, subscription_from)
}

pub async fn subscriptions_due(db: &Db, now: i64) -> Result<Vec<SubscriptionRow>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM subscriptions WHERE status IN ('active', 'suspended') AND term_end <= $1 ORDER BY term_end LIMIT 500")
        .bind(now).fetch_all(&db.read).await?;
    all(&rows, subscription_from)
}

pub async fn subscriptions_of_provider(
    db: &Db,
    provider: TenantId,
) -> Result<Vec<SubscriptionRow>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM subscriptions WHERE provider_tenant_id = $1 ORDER BY id")
        .bind(provider.to_string())
        .fetch_all(&db.read)
        .await?;
    all(&rows, subscription_from)
}

/// Adds a point of the subscription's history (its quantity, status and price from `now`).
pub fn record_event(b: &mut Batch<'_>, s: &SubscriptionRow, now: i64) {
    b.add("INSERT INTO subscription_events (id, subscription_id, at, quantity, status, unit_price) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(uuid::Uuid::now_v7().to_string()).bind(s.id.to_string()).bind(now).bind(s.quantity).bind(s.status.as_str()).bind(s.unit_price.clone());
}

/// A subscription's history as charge segments, in time order.
pub async fn history(db: &Db, subscription: SubscriptionId) -> Result<Vec<Segment>, sqlx::Error> {
    let rows = sqlx::query("SELECT at, quantity, status, unit_price FROM subscription_events WHERE subscription_id = $1 ORDER BY at, id")
        .bind(subscription.to_string()).fetch_all(&db.read).await?;
    all(&rows, |r| {
        Ok(Segment {
            at: r.try_get("at")?,
            quantity: r.try_get("quantity")?,
            status: parsed(r, "status")?,
            unit_price: parsed(r, "unit_price")?,
        })
    })
}

#[derive(Debug, Clone)]
pub struct InvoiceRow {
    pub id: String,
    pub provider: TenantId,
    pub period_start: i64,
    pub period_end: i64,
    pub currency: String,
    pub total: String,
    pub created_at: i64,
}

pub(super) fn invoice_from(r: &sqlx::any::AnyRow) -> Result<InvoiceRow, sqlx::Error> {
    Ok(InvoiceRow {
        id: r.try_get("id")?,
        provider: parsed(r, "provider_tenant_id")?,
        period_start: r.try_get("period_start")?,
        period_end: r.try_get("period_end")?,
        currency: r.try_get("currency")?,
        total: r.try_get("total")?,
        created_at: r.try_get("created_at")?,
    })
}

#[derive(Debug, Clone)]
pub struct InvoiceLine {
    pub line_number: i64,
    pub customer: TenantId,
    pub customer_name: String,
    pub reseller: Option<TenantId>,
    pub reseller_mpn_id: Option<String>,
    pub subscription_id: String,
    pub product_id: String,
    pub sku_id: String,
    pub quantity: i64,
    pub unit_price: String,
    pub charge_start: i64,
    pub charge_end: i64,
    pub amount: String,
}

/// Inserts an invoice unless one exists for the provider, period and currency; returns it.
pub async fn insert_invoice(
    tx: &mut Tx,
    i: &InvoiceRow,
    lines: &[InvoiceLine],
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("INSERT INTO invoices (id, provider_tenant_id, period_start, period_end, currency, total, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (provider_tenant_id, period_start, currency) DO NOTHING")
        .bind(&i.id).bind(i.provider.to_string()).bind(i.period_start).bind(i.period_end).bind(&i.currency).bind(&i.total).bind(i.created_at)
        .execute(tx.conn().await?).await?;
    if r.rows_affected() == 0 {
        return Ok(false);
    }
    for l in lines {
        sqlx::query("INSERT INTO invoice_lines (invoice_id, line_number, customer_tenant_id, customer_name, reseller_tenant_id, reseller_mpn_id, subscription_id, \
                     product_id, sku_id, quantity, unit_price, charge_start, charge_end, amount) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
            .bind(&i.id).bind(l.line_number).bind(l.customer.to_string()).bind(&l.customer_name).bind(l.reseller.map(|r| r.to_string())).bind(l.reseller_mpn_id.clone())
            .bind(&l.subscription_id).bind(&l.product_id).bind(&l.sku_id).bind(l.quantity).bind(&l.unit_price).bind(l.charge_start).bind(l.charge_end).bind(&l.amount)
            .execute(tx.conn().await?).await?;
    }
    Ok(true)
}

pub async fn invoice(db: &Db, id: &str) -> Result<Option<InvoiceRow>, sqlx::Error> {
    let r = sqlx::query("SELECT * FROM invoices WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.read)
        .await?;
    r.as_ref().map(invoice_from).transpose()
}

pub async fn invoice_lines(db: &Db, invoice: &str) -> Result<Vec<InvoiceLine>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT * FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_number")
            .bind(invoice)
            .fetch_all(&db.read)
            .await?;
    all(&rows, invoice_line_from)
}

pub(super) fn invoice_line_from(r: &sqlx::any::AnyRow) -> Result<InvoiceLine, sqlx::Error> {
    Ok(InvoiceLine {
        line_number: r.try_get("line_number")?,
        customer: parsed(r, "customer_tenant_id")?,
        customer_name: r.try_get("customer_name")?,
        reseller: parsed_opt(r, "reseller_tenant_id")?,
        reseller_mpn_id: r.try_get("reseller_mpn_id")?,
        subscription_id: r.try_get("subscription_id")?,
        product_id: r.try_get("product_id")?,
        sku_id: r.try_get("sku_id")?,
        quantity: r.try_get("quantity")?,
        unit_price: r.try_get("unit_price")?,
        charge_start: r.try_get("charge_start")?,
        charge_end: r.try_get("charge_end")?,
        amount: r.try_get("amount")?,
    })
}

#[derive(Debug, Clone)]
pub struct CartRow {
    pub id: CartId,
    pub customer: TenantId,
    pub owner: TenantId,
    pub status: CartStatus,
    /// `{"providerId", "lines"}` as `app::carts` writes it.
    pub line_items: serde_json::Value,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: i64,
    pub order_id: Option<OrderId>,
    pub version: i64,
}

fn cart_from(r: &sqlx::any::AnyRow) -> Result<CartRow, sqlx::Error> {
    Ok(CartRow {
        id: parsed(r, "id")?,
        customer: parsed(r, "customer_tenant_id")?,
        owner: parsed(r, "owner_tenant_id")?,
        status: word(r, "status", CartStatus::parse)?,
        line_items: json(r, "line_items")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        expires_at: r.try_get("expires_at")?,
        order_id: parsed_opt(r, "order_id")?,
        version: r.try_get("version")?,
    })
}

pub async fn insert_cart(tx: &mut Tx, c: &CartRow) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO carts (id, customer_tenant_id, owner_tenant_id, status, line_items, created_at, updated_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)")
        .bind(c.id.to_string()).bind(c.customer.to_string()).bind(c.owner.to_string()).bind(c.status.as_str()).bind(c.line_items.to_string()).bind(c.created_at).bind(c.expires_at)
        .execute(tx.conn().await?).await?;
    Ok(())
}

pub async fn cart(
    db: &Db,
    customer: TenantId,
    owner: TenantId,
    id: CartId,
) -> Result<Option<CartRow>, sqlx::Error> {
    let r = sqlx::query(
        "SELECT * FROM carts WHERE customer_tenant_id = $1 AND owner_tenant_id = $2 AND id = $3",
    )
    .bind(customer.to_string())
    .bind(owner.to_string())
    .bind(id.to_string())
    .fetch_optional(&db.read)
    .await?;
    r.as_ref().map(cart_from).transpose()
}

/// The cart, locked for the transaction that changes or checks it out.
pub async fn cart_in(
    tx: &mut Tx,
    customer: TenantId,
    owner: TenantId,
    id: CartId,
) -> Result<Option<CartRow>, sqlx::Error> {
    let sql = format!(
        "SELECT * FROM carts WHERE customer_tenant_id = $1 AND owner_tenant_id = $2 AND id = $3{}",
        tx.backend.for_update()
    );
    let r = sqlx::query(&sql)
        .bind(customer.to_string())
        .bind(owner.to_string())
        .bind(id.to_string())
        .fetch_optional(tx.conn().await?)
        .await?;
    r.as_ref().map(cart_from).transpose()
}

/// Replaces the lines of an active cart at `expected_version`.
pub async fn update_cart(
    tx: &mut Tx,
    id: CartId,
    lines: &serde_json::Value,
    now: i64,
    expected_version: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("UPDATE carts SET line_items = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4 AND status = $5")
        .bind(lines.to_string()).bind(now).bind(id.to_string()).bind(expected_version).bind(CartStatus::Active.as_str()).execute(tx.conn().await?).await?;
    Ok(r.rows_affected() == 1)
}

/// Marks an active cart ordered; false if it was submitted already.
pub async fn mark_ordered(
    tx: &mut Tx,
    id: CartId,
    order: OrderId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("UPDATE carts SET status = $1, order_id = $2, updated_at = $3, version = version + 1 WHERE id = $4 AND status = $5")
        .bind(CartStatus::Ordered.as_str()).bind(order.to_string()).bind(now).bind(id.to_string()).bind(CartStatus::Active.as_str()).execute(tx.conn().await?).await?;
    Ok(r.rows_affected() == 1)
}
