//! Failed sign-in counters, kept in the database so every node sees the same count.

use super::Db;
use sqlx::Row;

/// Returns the time (ms) until which the key is locked, or 0.
pub async fn locked_until(db: &Db, key: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT locked_until FROM signin_throttle WHERE throttle_key = $1")
        .bind(key)
        .fetch_optional(&db.read)
        .await?;
    Ok(match row {
        Some(r) => r.try_get("locked_until")?,
        None => 0,
    })
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
    // One statement counts the failure, so concurrent failures on PostgreSQL (several
    // connections, several nodes) each add one instead of overwriting each other's count.
    let row = sqlx::query(
        "INSERT INTO signin_throttle (throttle_key, failures, window_start, locked_until) \
         VALUES ($1, 1, $2, 0) ON CONFLICT (throttle_key) DO UPDATE SET \
         failures = CASE WHEN $2 - signin_throttle.window_start < $3 \
             THEN signin_throttle.failures + 1 ELSE 1 END, \
         window_start = CASE WHEN $2 - signin_throttle.window_start < $3 \
             THEN signin_throttle.window_start ELSE $2 END \
         RETURNING failures",
    )
    .bind(key)
    .bind(now)
    .bind(window_ms)
    .fetch_one(tx.conn().await?)
    .await?;
    let failures: i64 = row.try_get("failures")?;
    let locked = if failures >= max {
        let factor = 1i64 << (failures - max).min(6);
        now + (lock_ms * factor).min(3_600_000)
    } else {
        0
    };
    if locked > 0 {
        sqlx::query(
            "UPDATE signin_throttle SET locked_until = $1 \
             WHERE throttle_key = $2 AND locked_until < $1",
        )
        .bind(locked)
        .bind(key)
        .execute(tx.conn().await?)
        .await?;
    }
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
