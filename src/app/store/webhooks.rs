//! Webhook registrations, the per-organisation delivery queue and its attempt log.

use super::batch::Batch;
use super::decode::{all, json, word};
use super::paged::{Listing, Seek};
use super::partnerships::{bad_column, parsed};
use super::{Db, Tx};
use crate::domain::ids::{DeliveryId, TenantId};
use crate::domain::webhook::{DeliveryStatus, PayloadShape};
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct Registration {
    pub tenant_id: TenantId,
    pub subscriber_id: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret_sealed: Vec<u8>,
    pub previous_sealed: Option<Vec<u8>>,
    pub previous_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
    pub payload_shape: PayloadShape,
}

fn registration_from(r: &sqlx::any::AnyRow) -> Result<Registration, sqlx::Error> {
    Ok(Registration {
        tenant_id: parsed(r, "tenant_id")?,
        subscriber_id: r.try_get("subscriber_id")?,
        url: r.try_get("url")?,
        events: json(r, "events")?,
        secret_sealed: r.try_get("secret_sealed")?,
        previous_sealed: r.try_get("previous_sealed")?,
        previous_until: r.try_get("previous_until")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
        payload_shape: word(r, "payload_shape", PayloadShape::parse)?,
    })
}

pub async fn registration(db: &Db, tenant: TenantId) -> Result<Option<Registration>, sqlx::Error> {
    let row = sqlx::query("SELECT * FROM webhook_registrations WHERE tenant_id = $1")
        .bind(tenant.to_string())
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(registration_from).transpose()
}

pub async fn registration_in(
    tx: &mut Tx,
    tenant: TenantId,
) -> Result<Option<Registration>, sqlx::Error> {
    let sql = format!(
        "SELECT * FROM webhook_registrations WHERE tenant_id = $1{}",
        tx.backend.for_update()
    );
    let row = sqlx::query(&sql)
        .bind(tenant.to_string())
        .fetch_optional(tx.conn().await?)
        .await?;
    row.as_ref().map(registration_from).transpose()
}

/// Inserts, or reports `false` when the organisation already has a registration.
pub async fn insert(tx: &mut Tx, r: &Registration) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO webhook_registrations (tenant_id, subscriber_id, url, events, secret_sealed, \
         created_at, updated_at, payload_shape) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) ON CONFLICT (tenant_id) DO NOTHING",
    )
    .bind(r.tenant_id.to_string())
    .bind(&r.subscriber_id)
    .bind(&r.url)
    .bind(super::decode::to_json(&r.events)?)
    .bind(r.secret_sealed.clone())
    .bind(r.created_at)
    .bind(r.payload_shape.as_str())
    .execute(tx.conn().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Writes URL, events and secrets; the row's version moves on.
pub async fn update(tx: &mut Tx, r: &Registration, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_registrations SET url = $1, events = $2, secret_sealed = $3, \
         previous_sealed = $4, previous_until = $5, updated_at = $6, version = version + 1, \
         payload_shape = $8 WHERE tenant_id = $7",
    )
    .bind(&r.url)
    .bind(super::decode::to_json(&r.events)?)
    .bind(r.secret_sealed.clone())
    .bind(r.previous_sealed.clone())
    .bind(r.previous_until)
    .bind(now)
    .bind(r.tenant_id.to_string())
    .bind(r.payload_shape.as_str())
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, tenant: TenantId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM webhook_registrations WHERE tenant_id = $1")
        .bind(tenant.to_string())
        .execute(tx.conn().await?)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The registrations of every organisation in `tenants` (distinct ids), in one statement.
pub async fn registrations_of_all(
    tx: &mut Tx,
    tenants: &[&str],
) -> Result<Vec<Registration>, sqlx::Error> {
    if tenants.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=tenants.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT * FROM webhook_registrations WHERE tenant_id IN ({})",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for t in tenants {
        q = q.bind(*t);
    }
    q.fetch_all(tx.conn().await?)
        .await?
        .iter()
        .map(registration_from)
        .collect()
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: DeliveryId,
    pub tenant_id: TenantId,
    pub event_id: String,
    pub event_name: String,
    pub payload: String,
    pub correlation_id: Option<String>,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

fn delivery_from(r: &sqlx::any::AnyRow) -> Result<Delivery, sqlx::Error> {
    let status: String = r.try_get("status")?;
    Ok(Delivery {
        id: parsed(r, "id")?,
        tenant_id: parsed(r, "tenant_id")?,
        event_id: r.try_get("event_id")?,
        event_name: r.try_get("event_name")?,
        payload: r.try_get("payload")?,
        correlation_id: r.try_get("correlation_id")?,
        status: DeliveryStatus::parse(&status).ok_or_else(|| bad_column("status", &status))?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        last_status_code: r.try_get("last_status_code")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        delivered_at: r.try_get("delivered_at")?,
    })
}

pub struct NewDelivery<'a> {
    pub tenant_id: &'a str,
    pub event_id: &'a str,
    pub event_name: &'a str,
    pub payload: &'a str,
    pub correlation_id: Option<&'a str>,
}

/// Queues one event for one organisation; a repeat of the same event is ignored, which makes
/// the fan-out safe to run again after a crash.
/// Adds a delivery to `b` (none when the organisation has this event's delivery already).
pub fn enqueue(b: &mut Batch<'_>, d: &NewDelivery<'_>, now: i64) {
    b.add(
        "INSERT INTO webhook_deliveries (id, tenant_id, event_id, event_name, payload, correlation_id, \
         next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (tenant_id, event_id) DO NOTHING",
    )
    .bind(DeliveryId::new().to_string())
    .bind(d.tenant_id.to_string())
    .bind(d.event_id.to_string())
    .bind(d.event_name.to_string())
    .bind(d.payload.to_string())
    .bind(d.correlation_id.map(str::to_string))
    .bind(now);
}

/// Claims due deliveries for `lease_ms`; `SKIP LOCKED` on PostgreSQL lets nodes share the work.
pub async fn claim(
    db: &Db,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<Delivery>, sqlx::Error> {
    // A look on the read pool first: a claim is a write, and on SQLite an empty one would
    // still wait for, and hold, the single writer.
    let due = sqlx::query(
        "SELECT 1 AS due FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
         AND locked_until <= $1 LIMIT 1",
    )
    .bind(now)
    .fetch_optional(&db.read)
    .await?;
    if due.is_none() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "UPDATE webhook_deliveries SET locked_until = $1, attempts = attempts + 1 WHERE id IN ( \
           SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $2 \
           AND locked_until <= $2 ORDER BY next_attempt_at, id LIMIT $3{}) RETURNING *",
        db.backend.skip_locked()
    );
    let rows = sqlx::query(&sql)
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit)
        .fetch_all(&db.write)
        .await?;
    rows.iter().map(delivery_from).collect()
}

/// One attempt to post a delivery, and where it leaves the delivery: delivered, retried at
/// `retry_at`, or failed for good when neither.
pub struct Attempt {
    pub delivery: DeliveryId,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub delivered: bool,
    pub retry_at: Option<i64>,
}

/// Logs the attempts of a batch and moves each delivery on, in one transaction (one wait for
/// the writer per batch instead of one per delivery).
pub async fn finish_attempts(db: &Db, attempts: &[Attempt], now: i64) -> Result<(), sqlx::Error> {
    if attempts.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    let values: Vec<String> = (0..attempts.len())
        .map(|i| {
            let b = i * 5;
            format!(
                "(${}, ${}, $1, ${}, ${}, ${})",
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO webhook_attempts (id, delivery_id, attempted_at, status_code, error, duration_ms) VALUES {}",
        values.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(now);
    for a in attempts {
        q = q
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(a.delivery.to_string())
            .bind(a.status_code)
            .bind(a.error.clone())
            .bind(a.duration_ms);
    }
    q.execute(tx.conn().await?).await?;
    for a in attempts {
        let (status, next, delivered_at) = match (a.delivered, a.retry_at) {
            (true, _) => (DeliveryStatus::Delivered, now, Some(now)),
            (false, Some(at)) => (DeliveryStatus::Pending, at, None),
            (false, None) => (DeliveryStatus::Failed, now, None),
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, delivered_at = $3, \
             last_status_code = $4, last_error = $5, locked_until = 0 WHERE id = $6",
        )
        .bind(status.as_str())
        .bind(next)
        .bind(delivered_at)
        .bind(a.status_code)
        .bind(a.error.clone())
        .bind(a.delivery.to_string())
        .execute(tx.conn().await?)
        .await?;
    }
    tx.commit().await
}

/// Puts a delivery back in the queue at once (a partner asked to redeliver).
pub async fn requeue(
    db: &Db,
    tenant: TenantId,
    id: DeliveryId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, locked_until = 0 \
         WHERE id = $2 AND tenant_id = $3 AND status <> 'pending'",
    )
    .bind(now)
    .bind(id.to_string())
    .bind(tenant.to_string())
    .execute(&db.write)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One page of an organisation's deliveries with `status` (all when `None`), newest first,
/// keyset on (created_at, id), and how many such deliveries there are.
///
/// The page and its total come from one statement, so from one snapshot: read apart, a
/// delivery the worker marked delivered between the two reads was counted but not listed.
pub async fn page(
    db: &Db,
    tenant: TenantId,
    status: Option<DeliveryStatus>,
    before: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<Delivery>, i64), sqlx::Error> {
    let (at, id) = before.unwrap_or((i64::MAX, ""));
    Listing {
        select: "d.*",
        from: "FROM webhook_deliveries d WHERE d.tenant_id = $1 AND ($2 = '' OR d.status = $2)",
        filter: vec![
            tenant.into(),
            status.map(DeliveryStatus::as_str).unwrap_or("").into(),
        ],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (d.created_at, d.id) < ($3, $4) ORDER BY d.created_at DESC, d.id DESC LIMIT $5",
            args: vec![at.into(), id.into(), limit.into()],
            continues: before.is_some(),
        },
        delivery_from,
    )
    .await
}

pub async fn get(db: &Db, tenant: TenantId, id: &str) -> Result<Option<Delivery>, sqlx::Error> {
    let row = sqlx::query("SELECT * FROM webhook_deliveries WHERE id = $1 AND tenant_id = $2")
        .bind(id)
        .bind(tenant.to_string())
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(delivery_from).transpose()
}

pub async fn by_correlation(
    db: &Db,
    tenant: TenantId,
    correlation_id: &str,
) -> Result<Option<Delivery>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT * FROM webhook_deliveries WHERE correlation_id = $1 AND tenant_id = $2",
    )
    .bind(correlation_id)
    .bind(tenant.to_string())
    .fetch_optional(&db.read)
    .await?;
    row.as_ref().map(delivery_from).transpose()
}

#[derive(Debug, Clone)]
pub struct AttemptRow {
    pub attempted_at: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

pub async fn attempts(db: &Db, delivery: DeliveryId) -> Result<Vec<AttemptRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT * FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempted_at, id",
    )
    .bind(delivery.to_string())
    .fetch_all(&db.read)
    .await?;
    all(&rows, |r| {
        Ok(AttemptRow {
            attempted_at: r.try_get("attempted_at")?,
            status_code: r.try_get("status_code")?,
            error: r.try_get("error")?,
            duration_ms: r.try_get("duration_ms")?,
        })
    })
}

/// A delivery with its attempt log, read log first: an attempt and the delivery's new status
/// commit together, so a log read before the row never shows an attempt the row has not
/// caught up with (reads through separate statements see separate snapshots on PostgreSQL).
pub async fn with_attempts(
    db: &Db,
    tenant: TenantId,
    id: DeliveryId,
) -> Result<Option<(Delivery, Vec<AttemptRow>)>, sqlx::Error> {
    let log = attempts(db, id).await?;
    Ok(get(db, tenant, &id.to_string()).await?.map(|d| (d, log)))
}
