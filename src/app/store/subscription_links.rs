//! What hangs off a subscription beside its own row: the reseller designated for its support,
//! the add-on subscriptions bought on it, and the add-on relation between catalog products.

use super::batch::Batch;
use super::decode::parsed;
use super::{Db, Tx};
use crate::domain::ids::{OrderId, SubscriptionId, TenantId};
use sqlx::Row;

/// The reseller designated for support, when one was chosen.
pub async fn support_contact(
    db: &Db,
    subscription: SubscriptionId,
) -> Result<Option<TenantId>, sqlx::Error> {
    let r = sqlx::query(
        "SELECT reseller_tenant_id FROM subscription_support_contacts WHERE subscription_id = $1",
    )
    .bind(subscription.to_string())
    .fetch_optional(&db.read)
    .await?;
    r.map(|r| parsed(&r, "reseller_tenant_id")).transpose()
}

pub async fn set_support_contact(
    tx: &mut Tx,
    subscription: SubscriptionId,
    reseller: TenantId,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO subscription_support_contacts (subscription_id, reseller_tenant_id, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (subscription_id) DO UPDATE SET reseller_tenant_id = excluded.reseller_tenant_id, updated_at = excluded.updated_at",
    )
    .bind(subscription.to_string())
    .bind(reseller.to_string())
    .bind(now)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

/// Records that `subscription` is an add-on bought on `parent`.
pub fn insert_addon(b: &mut Batch<'_>, subscription: SubscriptionId, parent: SubscriptionId) {
    b.add("INSERT INTO subscription_addons (subscription_id, parent_id) VALUES ($1, $2)")
        .bind(subscription.to_string())
        .bind(parent.to_string());
}

/// The ids of the add-on subscriptions bought on `parent`.
pub async fn addons_of(
    db: &Db,
    parent: SubscriptionId,
) -> Result<Vec<SubscriptionId>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT subscription_id FROM subscription_addons WHERE parent_id = $1 ORDER BY subscription_id",
    )
    .bind(parent.to_string())
    .fetch_all(&db.read)
    .await?;
    rows.iter().map(|r| parsed(r, "subscription_id")).collect()
}

/// Names (or clears) the base product an add-on product is bought on.
pub async fn set_base_product(
    tx: &mut Tx,
    product: &str,
    base: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE products SET base_product_id = $1 WHERE id = $2")
        .bind(base)
        .bind(product)
        .execute(tx.conn().await?)
        .await?;
    Ok(())
}

/// The base product of an add-on product (`None` for a product bought on its own).
pub async fn base_product(db: &Db, product: &str) -> Result<Option<String>, sqlx::Error> {
    let r = sqlx::query("SELECT base_product_id FROM products WHERE id = $1")
        .bind(product)
        .fetch_optional(&db.read)
        .await?;
    Ok(r.map(|r| r.try_get::<Option<String>, _>("base_product_id"))
        .transpose()?
        .flatten())
}

/// The add-on products bought on `base`.
pub async fn addon_products(db: &Db, base: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT id FROM products WHERE base_product_id = $1 ORDER BY id")
        .bind(base)
        .fetch_all(&db.read)
        .await?;
    rows.iter().map(|r| r.try_get("id")).collect()
}

/// Moves a subscription to another availability of its SKU (a billing-cycle change) or to
/// another SKU (an upgrade target keeps its own row); false when its version moved on.
pub async fn move_availability(
    tx: &mut Tx,
    subscription: SubscriptionId,
    availability: &crate::app::store::commerce::Availability,
    now: i64,
    expected_version: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE subscriptions SET availability_id = $1, billing_cycle = $2, term = $3, unit_price = $4, \
         updated_at = $5, version = version + 1 WHERE id = $6 AND version = $7",
    )
    .bind(&availability.id)
    .bind(&availability.billing_cycle)
    .bind(&availability.term)
    .bind(&availability.list_price)
    .bind(now)
    .bind(subscription.to_string())
    .bind(expected_version)
    .execute(tx.conn().await?)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Moves up to `count` license assignments of the customer from one SKU to another; a user
/// who holds both keeps the target only. Returns how many users lost the source license.
pub async fn move_licenses(
    tx: &mut Tx,
    customer: TenantId,
    product: &str,
    from_sku: &str,
    to_sku: &str,
    count: i64,
) -> Result<i64, sqlx::Error> {
    if count <= 0 {
        return Ok(0);
    }
    let rows = sqlx::query(
        "SELECT user_id FROM license_assignments WHERE customer_tenant_id = $1 AND product_id = $2 AND sku_id = $3 \
         ORDER BY assigned_at DESC, user_id LIMIT $4",
    )
    .bind(customer.to_string())
    .bind(product)
    .bind(from_sku)
    .bind(count)
    .fetch_all(tx.conn().await?)
    .await?;
    let users: Vec<String> = rows
        .iter()
        .map(|r| r.try_get("user_id"))
        .collect::<Result<_, _>>()?;
    for u in &users {
        sqlx::query(
            "UPDATE license_assignments SET sku_id = $1 WHERE user_id = $2 AND product_id = $3 AND sku_id = $4 \
             AND NOT EXISTS (SELECT 1 FROM license_assignments o WHERE o.user_id = $2 AND o.product_id = $3 AND o.sku_id = $1)",
        )
        .bind(to_sku)
        .bind(u)
        .bind(product)
        .bind(from_sku)
        .execute(tx.conn().await?)
        .await?;
        sqlx::query("DELETE FROM license_assignments WHERE user_id = $1 AND product_id = $2 AND sku_id = $3")
            .bind(u)
            .bind(product)
            .bind(from_sku)
            .execute(tx.conn().await?)
            .await?;
    }
    Ok(users.len() as i64)
}

/// Sets an order's total after lines were added to it.
pub async fn set_order_total(tx: &mut Tx, order: OrderId, total: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET total = $1 WHERE id = $2")
        .bind(total)
        .bind(order.to_string())
        .execute(tx.conn().await?)
        .await?;
    Ok(())
}

/// How many users of the customer hold a license of the SKU.
pub async fn assigned(
    tx: &mut Tx,
    customer: TenantId,
    product: &str,
    sku: &str,
) -> Result<i64, sqlx::Error> {
    let r = sqlx::query(
        "SELECT COUNT(*) AS n FROM license_assignments WHERE customer_tenant_id = $1 AND product_id = $2 AND sku_id = $3",
    )
    .bind(customer.to_string())
    .bind(product)
    .bind(sku)
    .fetch_one(tx.conn().await?)
    .await?;
    r.try_get("n")
}
