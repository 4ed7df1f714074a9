//! Licenses by seat: a customer's seats come from its active subscriptions; assignments to
//! users can never exceed them.

use super::audit::{lock_chains, locked_chains, record_for_each_locked, Change};
use super::customers::authorized;
use super::{App, Ctx};
use crate::app::store::batch::{Batch, Read};
use crate::app::store::identity as ids;
use crate::app::store::{Backend, Tx};
use crate::domain::audit::Operation;
use crate::domain::authz::Action;
use crate::domain::error::Code;
use crate::domain::ids::{TenantId, UserId};
use crate::domain::{Error, Result};
use sqlx::Row;
use std::collections::BTreeMap;

/// Seats of one SKU in one customer's tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribedSku {
    /// `productId:skuId`.
    pub sku_id: String,
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub active_units: i64,
    pub suspended_units: i64,
    pub consumed_units: i64,
}

impl SubscribedSku {
    pub fn available(&self) -> i64 {
        (self.active_units - self.consumed_units).max(0)
    }
}

/// Seats per SKU, read inside `conn` so a check and an assignment see the same state.
pub async fn seats(
    conn: &mut sqlx::AnyConnection,
    customer: TenantId,
) -> Result<Vec<SubscribedSku>> {
    let rows = sqlx::query(SEATS)
        .bind(customer.to_string())
        .fetch_all(&mut *conn)
        .await?;
    seats_from(&rows)
}

/// One statement: the seats bought per SKU of customer `$1` and, beside each, the seats
/// assigned.
pub const SEATS: &str = "SELECT s.product_id, s.sku_id, k.title, \
     CAST(SUM(CASE WHEN s.status = 'active' THEN s.quantity ELSE 0 END) AS BIGINT) AS active, \
     CAST(SUM(CASE WHEN s.status = 'suspended' THEN s.quantity ELSE 0 END) AS BIGINT) AS suspended, \
     CAST((SELECT COUNT(*) FROM license_assignments l WHERE l.customer_tenant_id = $1 \
           AND l.product_id = s.product_id AND l.sku_id = s.sku_id) AS BIGINT) AS used \
     FROM subscriptions s JOIN skus k ON k.product_id = s.product_id AND k.id = s.sku_id \
     WHERE s.customer_tenant_id = $1 AND s.status IN ('active', 'suspended') GROUP BY s.product_id, s.sku_id, k.title";

/// The seats of `customer` as a read for a trip that writes first (`Batch::fetch`).
fn seats_read(customer: TenantId) -> Read {
    Read::new(SEATS).text(customer.to_string())
}

/// The seats [`SEATS`] returned, by SKU.
fn seats_from(rows: &[sqlx::any::AnyRow]) -> Result<Vec<SubscribedSku>> {
    let mut out: Vec<SubscribedSku> = rows
        .iter()
        .map(|r| {
            let (p, s): (String, String) = (r.try_get("product_id")?, r.try_get("sku_id")?);
            Ok(SubscribedSku {
                sku_id: format!("{p}:{s}"),
                consumed_units: r.try_get::<Option<i64>, _>("used")?.unwrap_or(0),
                product_id: p,
                sku: s,
                name: r.try_get("title")?,
                active_units: r.try_get::<Option<i64>, _>("active")?.unwrap_or(0),
                suspended_units: r.try_get::<Option<i64>, _>("suspended")?.unwrap_or(0),
            })
        })
        .collect::<std::result::Result<_, sqlx::Error>>()?;
    out.sort_by(|a, b| a.sku_id.cmp(&b.sku_id));
    Ok(out)
}

/// Holds the customer's seats until `tx` ends: whoever counts seats to decide a change
/// (assigning licences, lowering or moving seats) takes this first, before writing any
/// assignment, so two such changes count one after the other. PostgreSQL locks the
/// customer's tenant row; a count made before another change commits would not see that
/// change's seats. SQLite's single writer already runs them one after the other.
pub(crate) async fn hold_seats(tx: &mut Tx, customer: TenantId) -> Result<()> {
    if tx.backend == Backend::Sqlite {
        return Ok(());
    }
    let sql = format!(
        "SELECT id FROM tenants WHERE id = $1{}",
        tx.backend.for_update()
    );
    sqlx::query(&sql)
        .bind(customer.to_string())
        .fetch_optional(tx.conn().await?)
        .await?;
    Ok(())
}

pub async fn subscribed_skus(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
) -> Result<Vec<SubscribedSku>> {
    let (t, _) = authorized(app, ctx, customer_id, Action::ReadLicenses).await?;
    let mut conn = app.db.read.acquire().await?;
    seats(&mut conn, t.id).await
}

/// `productId:skuId` of each license a user holds.
pub async fn user_licenses(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    user_id: &str,
) -> Result<Vec<String>> {
    let (t, _) = authorized(app, ctx, customer_id, Action::ReadLicenses).await?;
    let user = UserId::named(user_id)?;
    ids::user(&app.db, user)
        .await?
        .filter(|u| u.tenant_id == t.id)
        .ok_or(Error::NotFound("user"))?;
    licenses_of(app, user).await
}

async fn licenses_of(app: &App, user: UserId) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT product_id, sku_id FROM license_assignments WHERE user_id = $1 ORDER BY product_id, sku_id")
        .bind(user.to_string())
        .fetch_all(&app.db.read)
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r.get::<String, _>("product_id"),
                r.get::<String, _>("sku_id")
            )
        })
        .collect())
}

/// Every license assignment of a customer, by user (`productId:skuId`, sorted). For callers
/// that already authorized reading the customer's licenses.
pub(crate) async fn assignments_by_user(
    app: &App,
    customer: TenantId,
) -> Result<BTreeMap<UserId, Vec<String>>> {
    let rows = sqlx::query("SELECT user_id, product_id, sku_id FROM license_assignments WHERE customer_tenant_id = $1 ORDER BY product_id, sku_id")
        .bind(customer.to_string())
        .fetch_all(&app.db.read)
        .await?;
    let mut out: BTreeMap<UserId, Vec<String>> = BTreeMap::new();
    for r in &rows {
        let user: String = r.try_get("user_id")?;
        let Ok(user) = user.parse() else {
            return Err(Error::Internal(anyhow::anyhow!(
                "bad user id {user} in license_assignments"
            )));
        };
        let (p, k): (String, String) = (r.try_get("product_id")?, r.try_get("sku_id")?);
        out.entry(user).or_default().push(format!("{p}:{k}"));
    }
    Ok(out)
}

fn split_sku(s: &str) -> Result<(String, String)> {
    s.split_once(':')
        .map(|(p, k)| (p.to_string(), k.to_string()))
        .filter(|(p, k)| !p.is_empty() && !k.is_empty())
        .ok_or_else(|| Error::field("skuId", format!("{s} is not a productId:skuId")))
}

/// Assigns and removes licenses in one step: all of it, or nothing when a seat is missing.
pub async fn update(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    user_id: &str,
    assign: &[String],
    remove: &[String],
) -> Result<()> {
    let (t, _) = authorized(app, ctx, customer_id, Action::AssignLicenses).await?;
    let user = UserId::named(user_id)?;
    let assign = distinct(assign.iter().map(|s| split_sku(s)).collect::<Result<_>>()?);
    // A SKU both removed and assigned ends assigned: it is simply not removed.
    let remove: Vec<(String, String)> =
        distinct(remove.iter().map(|s| split_sku(s)).collect::<Result<_>>()?)
            .into_iter()
            .filter(|r| !assign.contains(r))
            .collect();
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    hold_seats(&mut tx, t.id).await?;
    // The assignments, the user's check, the chains' locks and the count: one trip on
    // SQLite (with the transaction's `BEGIN`). An assignment is written only for a user of
    // this customer; whatever else the trip wrote is rolled back when the user is refused.
    let mut writes = Batch::new();
    for (p, k) in &remove {
        writes
            .add("DELETE FROM license_assignments WHERE user_id = $1 AND product_id = $2 AND sku_id = $3")
            .bind(user.to_string())
            .bind(p.clone())
            .bind(k.clone());
    }
    for (p, k) in &assign {
        writes
            .add(
                "INSERT INTO license_assignments (user_id, customer_tenant_id, product_id, sku_id, assigned_at) \
                 SELECT $1, $2, $3, $4, $5 FROM users WHERE id = $1 AND tenant_id = $2 \
                 ON CONFLICT (user_id, product_id, sku_id) DO NOTHING",
            )
            .bind(user.to_string())
            .bind(t.id.to_string())
            .bind(p.clone())
            .bind(k.clone())
            .bind(now);
    }
    // The audit chains are locked with the writes, and the seats counted after them,
    // inside the transaction: over-assignment rolls everything back.
    let mut orgs = vec![t.id.to_string()];
    if ctx.actor.tenant != t.id {
        orgs.push(ctx.actor.tenant.to_string());
    }
    let read = writes
        .fetch(
            &mut tx,
            &[ids::user_facts(user), lock_chains(&orgs), seats_read(t.id)],
        )
        .await?;
    let (who, heads, seats) = match read.as_slice() {
        [who, heads, seats] => (ids::user_facts_from(who)?, heads, seats),
        _ => return Err(Error::Internal(anyhow::anyhow!("a trip lost a read"))),
    };
    let (_, state) = who
        .filter(|(tenant, _)| *tenant == t.id)
        .ok_or(Error::NotFound("user"))?;
    if !state.is_active() {
        return Err(Error::conflict(
            "licenses can be assigned only to active users",
        ));
    }
    let (heads, seats) = (locked_chains(heads)?, seats_from(seats)?);
    let mut records = Batch::new();
    record_for_each_locked(
        &mut records,
        Some(ctx),
        &orgs,
        Change {
            operation: Operation::UpdateCustomerUserLicenses,
            resource_type: "license",
            resource_id: user.to_string(),
            old: None,
            new: Some(
                serde_json::json!({ "assigned": assign.iter().map(|(p, k)| format!("{p}:{k}")).collect::<Vec<_>>(), "removed": remove.iter().map(|(p, k)| format!("{p}:{k}")).collect::<Vec<_>>() }),
            ),
            customer_id: Some(t.id.to_string()),
        },
        now,
        heads,
    )?;
    for (p, k) in &assign {
        let sku = format!("{p}:{k}");
        match seats.iter().find(|s| s.sku_id == sku) {
            None => {
                return Err(Error::Conflict {
                    code: Code::NotEnoughSeats,
                    message: format!("the customer has no subscription for {sku}"),
                })
            }
            Some(s) if s.consumed_units > s.active_units => {
                return Err(Error::Conflict {
                    code: Code::NotEnoughSeats,
                    message: format!(
                        "not enough available seats for {sku}: {} purchased, {} would be assigned",
                        s.active_units, s.consumed_units
                    ),
                })
            }
            Some(_) => {}
        }
    }
    // The audit records and the commit: one trip on SQLite.
    records.commit(tx).await?;
    Ok(())
}

/// `items` without repeats, in their first order.
fn distinct(items: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(items.len());
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}
