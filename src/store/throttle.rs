//! Failed sign-in counters, kept in the database so every node sees the same count.

use super::Db;
use sqlx::Row;

/// Returns the time (ms) until which the key is locked, or 0.
pub async fn locked_until(db: &Db, key: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT locked_until FROM signin_throttle WHERE throttle_key = $1")
        .bind(key)
        .fetch_optional(&db.read)
        .await?;
    Ok(row.map(|r| r.get("locked_until")).unwrap_or(0))
}

/// Counts one failure in a sliding window; after `max` failures the key is locked for
/// `lock_ms`, doubling with each further failure up to an hour.
pub async fn record_failure(
    db: &Db,
    key: &str,
    now: i64,
    window_ms: i64,
    max: i64,
    lock_ms: i64,
) -> Result<i64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let row =
        sqlx::query("SELECT failures, window_start FROM signin_throttle WHERE throttle_key = $1")
            .bind(key)
            .fetch_optional(tx.conn())
            .await?;
    let (failures, start) = match row {
        Some(r) if now - r.get::<i64, _>("window_start") < window_ms => (
            r.get::<i64, _>("failures") + 1,
            r.get::<i64, _>("window_start"),
        ),
        _ => (1, now),
    };
    let locked = if failures >= max {
        let factor = 1i64 << (failures - max).min(6);
        now + (lock_ms * factor).min(3_600_000)
    } else {
        0
    };
    sqlx::query(
        "INSERT INTO signin_throttle (throttle_key, failures, window_start, locked_until) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (throttle_key) DO UPDATE SET \
         failures = excluded.failures, window_start = excluded.window_start, \
         locked_until = excluded.locked_until",
    )
    .bind(key)
    .bind(failures)
    .bind(start)
    .bind(locked)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(locked)
}

pub async fn clear(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM signin_throttle WHERE throttle_key = $1")
        .bind(key)
        .execute(&db.write)
        .await?;
    Ok(())
}
