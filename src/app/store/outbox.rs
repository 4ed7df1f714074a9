//! The transactional outbox: messages are written in the same transaction as the change
//! that causes them, and workers on any node claim and deliver them.

use super::batch::Batch;
use super::decode::{all, parsed};
use super::Db;
use crate::domain::ids::OutboxId;
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct Message {
    pub id: OutboxId,
    pub topic: String,
    pub payload: String,
    pub attempts: i64,
    pub created_at: i64,
}

/// Adds a message to `b`, to be written with the rest of the caller's transaction.
pub fn enqueue_into(
    b: &mut Batch<'_>,
    topic: &str,
    payload: &serde_json::Value,
    now: i64,
) -> OutboxId {
    let id = OutboxId::new();
    b.add("INSERT INTO outbox (id, topic, payload, created_at, available_at) VALUES ($1, $2, $3, $4, $4)")
        .bind(id.to_string())
        .bind(topic.to_string())
        .bind(payload.to_string())
        .bind(now);
    id
}

/// Claims up to `limit` due messages of a topic for `lease_ms`. On PostgreSQL, `SKIP LOCKED`
/// lets several nodes claim disjoint batches; on SQLite the single writer does the same.
pub async fn claim(
    db: &Db,
    topic: &str,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<Message>, sqlx::Error> {
    // A look on the read pool first: a claim is a write, and on SQLite an empty one would
    // still wait for, and hold, the single writer.
    let due = sqlx::query(
        "SELECT 1 AS due FROM outbox WHERE topic = $1 AND done_at IS NULL AND available_at <= $2 \
         AND locked_until <= $2 LIMIT 1",
    )
    .bind(topic)
    .bind(now)
    .fetch_optional(&db.read)
    .await?;
    if due.is_none() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "UPDATE outbox SET locked_until = $1, attempts = attempts + 1 WHERE id IN ( \
           SELECT id FROM outbox WHERE topic = $2 AND done_at IS NULL AND available_at <= $3 \
           AND locked_until <= $3 ORDER BY available_at, id LIMIT $4{}) \
         RETURNING id, topic, payload, attempts, created_at",
        db.backend.skip_locked()
    );
    let rows = sqlx::query(&sql)
        .bind(now + lease_ms)
        .bind(topic)
        .bind(now)
        .bind(limit)
        .fetch_all(&db.write)
        .await?;
    let mut out: Vec<Message> = all(&rows, |r| {
        Ok(Message {
            id: parsed(r, "id")?,
            topic: r.try_get("topic")?,
            payload: r.try_get("payload")?,
            attempts: r.try_get("attempts")?,
            created_at: r.try_get("created_at")?,
        })
    })?;
    out.sort_by_key(|m| m.id);
    Ok(out)
}

pub async fn mark_done(db: &Db, id: OutboxId, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE outbox SET done_at = $1, last_error = NULL WHERE id = $2")
        .bind(now)
        .bind(id.to_string())
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Adds to `b` the completion of every message in `ids` (one statement).
pub fn mark_all_done(b: &mut Batch<'_>, ids: &[OutboxId], now: i64) {
    if ids.is_empty() {
        return;
    }
    let marks: Vec<String> = (2..ids.len() + 2).map(|i| format!("${i}")).collect();
    b.add(&format!(
        "UPDATE outbox SET done_at = $1, last_error = NULL WHERE id IN ({})",
        marks.join(", ")
    ))
    .bind(now);
    for id in ids {
        b.bind(id.to_string());
    }
}

/// Schedules another attempt after `retry_at`, keeping the error for operators.
pub async fn mark_failed(
    db: &Db,
    id: OutboxId,
    error: &str,
    retry_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE outbox SET last_error = $1, available_at = $2, locked_until = 0 WHERE id = $3",
    )
    .bind(error)
    .bind(retry_at)
    .bind(id.to_string())
    .execute(&db.write)
    .await?;
    Ok(())
}

/// How many messages of `topic` wait for delivery (the tests wait for an empty outbox).
#[cfg(feature = "test-door")]
pub async fn pending_count(db: &Db, topic: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE topic = $1 AND done_at IS NULL")
        .bind(topic)
        .fetch_one(&db.read)
        .await?;
    row.try_get("n")
}
