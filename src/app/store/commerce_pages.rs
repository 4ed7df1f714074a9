//! Keyset pages of the commerce lists (catalog, offers, price lists, orders with their lines,
//! subscriptions, invoices and their lines), each read with the count its `totalCount` shows
//! in the same statement ([`super::paged`]).
//! Pages seek past the last item's sort key, so page N costs what page 1 costs, and what a
//! list shows beside each item (an order's lines, a subscription's reseller id) is read in
//! the same query or in one more query per page, never one per item.

use super::commerce::{
    availability_from, invoice_from, invoice_line_from, order_from, product_from, sku_from,
    subscription_from, Availability, InvoiceLine, InvoiceRow, OrderLine, OrderRow, Product, Sku,
    SubscriptionRow,
};
use super::decode::{flag, parsed};
use super::paged::{Arg, Listing, Seek};
use super::Db;
use crate::domain::commerce::{PriceKind, ProviderPrice};
use crate::domain::ids::{OrderId, SubscriptionId, TenantId};
use sqlx::Row;

/// `$1, $2, ...` for an `IN` list starting at parameter `from`.
fn marks(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Products offered in a country (and segment, when not empty), by title then id, and how
/// many there are.
pub async fn products(
    db: &Db,
    country: &str,
    segment: &str,
    after: Option<(&str, &str)>,
    limit: u32,
) -> Result<(Vec<Product>, i64), sqlx::Error> {
    let (title, id) = after.unwrap_or(("", ""));
    Listing {
        select: "p.*",
        from: "FROM products p WHERE EXISTS (SELECT 1 FROM availabilities a WHERE a.product_id = p.id \
               AND a.country = $1 AND ($2 = '' OR a.segment = $2))",
        filter: vec![country.into(), segment.into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (p.title, p.id) > ($3, $4) ORDER BY p.title, p.id LIMIT $5",
            args: vec![title.into(), id.into(), limit.into()],
            continues: after.is_some(),
        },
        product_from,
    )
    .await
}

/// A product's SKUs by id, and how many it has.
pub async fn skus(
    db: &Db,
    product: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<(Vec<Sku>, i64), sqlx::Error> {
    Listing {
        select: "k.*",
        from: "FROM skus k WHERE k.product_id = $1",
        filter: vec![product.into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND k.id > $2 ORDER BY k.id LIMIT $3",
            args: vec![after.unwrap_or("").into(), limit.into()],
            continues: after.is_some(),
        },
        sku_from,
    )
    .await
}

/// An SKU's availabilities (in one country, when not empty) by id, and how many there are.
pub async fn availabilities(
    db: &Db,
    product: &str,
    sku: &str,
    country: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<(Vec<Availability>, i64), sqlx::Error> {
    Listing {
        select: "v.*",
        from: "FROM availabilities v WHERE v.product_id = $1 AND v.sku_id = $2 \
               AND ($3 = '' OR v.country = $3)",
        filter: vec![product.into(), sku.into(), country.into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND v.id > $4 ORDER BY v.id LIMIT $5",
            args: vec![after.unwrap_or("").into(), limit.into()],
            continues: after.is_some(),
        },
        availability_from,
    )
    .await
}

/// One catalog item with its product and SKU, and the product's place in the add-on relation.
pub struct OfferRow {
    pub product: Product,
    pub sku: Sku,
    pub availability: Availability,
    pub is_add_on: bool,
    pub has_add_ons: bool,
}

/// Where an offer page continues: after this product title and catalog item.
pub struct OfferKey<'a> {
    pub title: &'a str,
    pub product: &'a str,
    pub sku: &'a str,
    pub availability: &'a str,
}

/// The offers of a country, by product title then catalog item id: one joined read per page
/// (product, SKU, availability and the add-on flags together), with how many there are.
pub async fn offers(
    db: &Db,
    country: &str,
    after: Option<OfferKey<'_>>,
    limit: u32,
) -> Result<(Vec<OfferRow>, i64), sqlx::Error> {
    let continues = after.is_some();
    let k = after.unwrap_or(OfferKey {
        title: "",
        product: "",
        sku: "",
        availability: "",
    });
    Listing {
        select: "p.title AS p_title, p.description AS p_description, p.product_type AS p_type, \
         CAST(CASE WHEN p.base_product_id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS p_is_add_on, \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM products x WHERE x.base_product_id = p.id) THEN 1 ELSE 0 END AS BIGINT) AS p_has_add_ons, \
         s.title AS s_title, s.description AS s_description, s.min_quantity, s.max_quantity, s.is_trial, s.unit_type, \
         a.product_id, a.sku_id, a.id, a.country, a.currency, a.segment, a.billing_cycle, a.term, a.list_price",
        from: "FROM availabilities a JOIN skus s ON s.product_id = a.product_id AND s.id = a.sku_id \
         JOIN products p ON p.id = a.product_id WHERE a.country = $1",
        filter: vec![country.into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (p.title, a.product_id, a.sku_id, a.id) > ($2, $3, $4, $5) \
                  ORDER BY p.title, a.product_id, a.sku_id, a.id LIMIT $6",
            args: vec![
                k.title.into(),
                k.product.into(),
                k.sku.into(),
                k.availability.into(),
                limit.into(),
            ],
            continues,
        },
        offer_from,
    )
    .await
}

fn offer_from(r: &sqlx::any::AnyRow) -> Result<OfferRow, sqlx::Error> {
    let availability = availability_from(r)?;
    Ok(OfferRow {
        product: Product {
            id: availability.product_id.clone(),
            title: r.try_get("p_title")?,
            description: r.try_get("p_description")?,
            product_type: r.try_get("p_type")?,
        },
        sku: Sku {
            product_id: availability.product_id.clone(),
            id: availability.sku_id.clone(),
            title: r.try_get("s_title")?,
            description: r.try_get("s_description")?,
            minimum_quantity: r.try_get("min_quantity")?,
            maximum_quantity: r.try_get("max_quantity")?,
            is_trial: flag(r, "is_trial")?,
            unit_type: r.try_get("unit_type")?,
        },
        is_add_on: flag(r, "p_is_add_on")?,
        has_add_ons: flag(r, "p_has_add_ons")?,
        availability,
    })
}

/// One line of a provider's price list to its resellers.
pub struct ProviderPriceRow {
    pub product_id: String,
    pub sku_id: String,
    pub country: String,
    pub kind: PriceKind,
    pub value: String,
}

/// A provider's price list by product, SKU and country, and how many lines it has.
pub async fn provider_prices(
    db: &Db,
    provider: TenantId,
    after: Option<(&str, &str, &str)>,
    limit: u32,
) -> Result<(Vec<ProviderPriceRow>, i64), sqlx::Error> {
    let (p, s, c) = after.unwrap_or(("", "", ""));
    Listing {
        select: "pp.product_id, pp.sku_id, pp.country, pp.kind, pp.value",
        from: "FROM provider_prices pp WHERE pp.provider_tenant_id = $1",
        filter: vec![provider.into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (pp.product_id, pp.sku_id, pp.country) > ($2, $3, $4) \
                  ORDER BY pp.product_id, pp.sku_id, pp.country LIMIT $5",
            args: vec![p.into(), s.into(), c.into(), limit.into()],
            continues: after.is_some(),
        },
        |r| {
            Ok(ProviderPriceRow {
                product_id: r.try_get("product_id")?,
                sku_id: r.try_get("sku_id")?,
                country: r.try_get("country")?,
                kind: parsed(r, "kind")?,
                value: r.try_get("value")?,
            })
        },
    )
    .await
}

/// A customer's orders, newest first (keyset on created time and id, before `before`), and
/// how many the customer has.
pub async fn orders(
    db: &Db,
    customer: TenantId,
    before: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<OrderRow>, i64), sqlx::Error> {
    let (at, id) = before.unwrap_or((i64::MAX, ""));
    Listing {
        select: "o.*",
        from: "FROM orders o WHERE o.customer_tenant_id = $1",
        filter: vec![customer.into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (o.created_at, o.id) < ($2, $3) ORDER BY o.created_at DESC, o.id DESC LIMIT $4",
            args: vec![at.into(), id.into(), limit.into()],
            continues: before.is_some(),
        },
        order_from,
    )
    .await
}

/// An order line with the name of the subscription it made.
pub struct NamedLine {
    pub order_id: OrderId,
    pub line: OrderLine,
    /// The subscription's friendly name (empty when the subscription belongs to another order).
    pub friendly_name: String,
}

/// The lines of several orders in one read, by order then line number.
pub async fn lines_of(db: &Db, orders: &[OrderId]) -> Result<Vec<NamedLine>, sqlx::Error> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT l.order_id, l.line_number, l.catalog_item_id, l.quantity, l.unit_price, l.partner_id_on_record, \
         l.subscription_id, s.friendly_name FROM order_lines l LEFT JOIN subscriptions s \
         ON s.id = l.subscription_id AND s.order_id = l.order_id \
         WHERE l.order_id IN ({}) ORDER BY l.order_id, l.line_number",
        marks(1, orders.len())
    );
    let mut q = sqlx::query(&sql);
    for o in orders {
        q = q.bind(o.to_string());
    }
    q.fetch_all(&db.read)
        .await?
        .iter()
        .map(|r| {
            Ok(NamedLine {
                order_id: parsed(r, "order_id")?,
                friendly_name: r
                    .try_get::<Option<String>, _>("friendly_name")?
                    .unwrap_or_default(),
                line: OrderLine {
                    line_number: r.try_get("line_number")?,
                    catalog_item_id: r.try_get("catalog_item_id")?,
                    quantity: r.try_get("quantity")?,
                    unit_price: r.try_get("unit_price")?,
                    partner_id_on_record: r.try_get("partner_id_on_record")?,
                    subscription_id: parsed(r, "subscription_id")?,
                },
            })
        })
        .collect()
}

/// Which of a customer's subscriptions a list shows.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionFilter {
    /// Only the subscriptions an order made.
    pub order_id: Option<OrderId>,
    /// Only those whose reseller of record has this partner-network id.
    pub mpn_id: Option<i64>,
}

impl SubscriptionFilter {
    /// The filter's conditions, numbered from `$first`, and their values in that order.
    fn sql(&self, first: usize) -> (String, Vec<Arg>) {
        let mut out = String::new();
        let mut args = Vec::new();
        if let Some(o) = self.order_id {
            out.push_str(&format!(" AND s.order_id = ${}", first + args.len()));
            args.push(o.to_string().into());
        }
        if let Some(m) = self.mpn_id {
            out.push_str(&format!(" AND p.mpn_id = ${}", first + args.len()));
            args.push(m.into());
        }
        (out, args)
    }
}

/// A subscription with its reseller of record's partner-network id.
pub struct SubscriptionWithReseller {
    pub subscription: SubscriptionRow,
    pub reseller_mpn_id: Option<i64>,
}

const SUBSCRIPTION_COLS: &str = "s.*, p.mpn_id AS reseller_mpn_id";

const SUBSCRIPTION_JOIN: &str =
    "FROM subscriptions s LEFT JOIN partners p ON p.tenant_id = s.reseller_tenant_id";

fn with_reseller(r: &sqlx::any::AnyRow) -> Result<SubscriptionWithReseller, sqlx::Error> {
    Ok(SubscriptionWithReseller {
        reseller_mpn_id: r.try_get("reseller_mpn_id")?,
        subscription: subscription_from(r)?,
    })
}

/// A customer's subscriptions, oldest first (keyset on created time and id), with their
/// resellers' partner-network ids joined in, and how many match the filter.
pub async fn subscriptions(
    db: &Db,
    customer: TenantId,
    filter: &SubscriptionFilter,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<SubscriptionWithReseller>, i64), sqlx::Error> {
    let (at, id) = after.unwrap_or((i64::MIN, ""));
    let (cond, mut args) = filter.sql(2);
    args.insert(0, customer.into());
    let n = args.len();
    let from = format!("{SUBSCRIPTION_JOIN} WHERE s.customer_tenant_id = $1{cond}");
    let seek = format!(
        "AND (s.created_at, s.id) > (${}, ${}) ORDER BY s.created_at, s.id LIMIT ${}",
        n + 1,
        n + 2,
        n + 3
    );
    Listing {
        select: SUBSCRIPTION_COLS,
        from: &from,
        filter: args,
    }
    .page(
        &db.read,
        Seek {
            sql: &seek,
            args: vec![at.into(), id.into(), limit.into()],
            continues: after.is_some(),
        },
        with_reseller,
    )
    .await
}

/// Some subscriptions of a customer by id (one read), with their resellers' ids, by id.
pub async fn subscriptions_by_id(
    db: &Db,
    customer: TenantId,
    ids: &[SubscriptionId],
) -> Result<Vec<SubscriptionWithReseller>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {SUBSCRIPTION_COLS} {SUBSCRIPTION_JOIN} WHERE s.customer_tenant_id = $1 \
         AND s.id IN ({}) ORDER BY s.id",
        marks(2, ids.len())
    );
    let mut q = sqlx::query(&sql).bind(customer.to_string());
    for i in ids {
        q = q.bind(i.to_string());
    }
    q.fetch_all(&db.read)
        .await?
        .iter()
        .map(with_reseller)
        .collect()
}

/// A provider's invoices, newest period first, then by currency, and how many it has.
pub async fn invoices(
    db: &Db,
    provider: TenantId,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<InvoiceRow>, i64), sqlx::Error> {
    let (start, currency) = after.unwrap_or((i64::MAX, ""));
    Listing {
        select: "i.*",
        from: "FROM invoices i WHERE i.provider_tenant_id = $1",
        filter: vec![provider.into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (i.period_start < $2 OR (i.period_start = $2 AND i.currency > $3)) \
                  ORDER BY i.period_start DESC, i.currency LIMIT $4",
            args: vec![start.into(), currency.into(), limit.into()],
            continues: after.is_some(),
        },
        invoice_from,
    )
    .await
}

/// An invoice's lines by line number, after `after`, and how many it has.
pub async fn invoice_lines(
    db: &Db,
    invoice: &str,
    after: Option<i64>,
    limit: u32,
) -> Result<(Vec<InvoiceLine>, i64), sqlx::Error> {
    Listing {
        select: "l.*",
        from: "FROM invoice_lines l WHERE l.invoice_id = $1",
        filter: vec![invoice.into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND l.line_number > $2 ORDER BY l.line_number LIMIT $3",
            args: vec![after.unwrap_or(i64::MIN).into(), limit.into()],
            continues: after.is_some(),
        },
        invoice_line_from,
    )
    .await
}

/// The countries of several tenants in one read.
pub async fn countries(
    db: &Db,
    tenants: &[TenantId],
) -> Result<std::collections::BTreeMap<TenantId, String>, sqlx::Error> {
    if tenants.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT id, country FROM tenants WHERE id IN ({})",
        marks(1, tenants.len())
    );
    let mut q = sqlx::query(&sql);
    for t in tenants {
        q = q.bind(t.to_string());
    }
    q.fetch_all(&db.read)
        .await?
        .iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let id = id
                .parse()
                .map_err(|_| super::identity::bad_column("tenants.id", &id))?;
            Ok((id, r.try_get("country")?))
        })
        .collect()
}

/// Every provider price of one provider, keyed by (product, SKU, country): a statement
/// prices all its lines from one read.
pub async fn provider_price_map(
    db: &Db,
    provider: TenantId,
) -> Result<std::collections::BTreeMap<(String, String, String), ProviderPrice>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT product_id, sku_id, country, kind, value FROM provider_prices WHERE provider_tenant_id = $1",
    )
    .bind(provider.to_string())
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                (
                    r.try_get("product_id")?,
                    r.try_get("sku_id")?,
                    r.try_get("country")?,
                ),
                super::commerce::provider_price_from(r)?,
            ))
        })
        .collect()
}
