//! Shared rate-limit windows and leases for jobs that must run on one node at a time.

use super::Db;
use sqlx::Row;

/// Adds `slice` to the key's window and returns how many of them fit under `limit`.
pub async fn lease(
    db: &Db,
    key: &str,
    window_start: i64,
    slice: u32,
    limit: u32,
) -> Result<u32, sqlx::Error> {
    let total: i64 = sqlx::query(
        "INSERT INTO rate_limit_windows (limit_key, window_start, used) VALUES ($1, $2, $3) \
         ON CONFLICT (limit_key, window_start) DO UPDATE SET used = rate_limit_windows.used + excluded.used \
         RETURNING used",
    )
    .bind(key)
    .bind(window_start)
    .bind(slice as i64)
    .fetch_one(&db.write)
    .await?
    .try_get("used")?;
    let before = total - slice as i64;
    Ok((limit as i64 - before).clamp(0, slice as i64) as u32)
}

/// Housekeeping's delete of ended windows, by their start's index (migration 0025).
pub const PURGE: &str = "DELETE FROM rate_limit_windows WHERE window_start < $1";

/// Forgets windows that ended before `before_ms`.
pub async fn purge_windows(db: &Db, before_ms: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(PURGE)
        .bind(before_ms)
        .execute(&db.write)
        .await?
        .rows_affected())
}

/// Takes or renews the lease on `job` for `holder` until `until_ms`; false when another
/// holder's lease is still running.
pub async fn take_lease(
    db: &Db,
    job: &str,
    holder: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "INSERT INTO job_leases (job, holder, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
         WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= $4",
    )
    .bind(job)
    .bind(holder)
    .bind(until_ms)
    .bind(now_ms)
    .execute(&db.write)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Gives the lease back early (on shutdown) so another node can take it at once.
pub async fn release_lease(db: &Db, job: &str, holder: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM job_leases WHERE job = $1 AND holder = $2")
        .bind(job)
        .bind(holder)
        .execute(&db.write)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_holder_at_a_time_until_the_lease_expires_or_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite:{}/lease.db", dir.path().display()), 2)
            .await
            .unwrap();
        db.migrate().await.unwrap();
        assert!(take_lease(&db, "job", "a", 0, 1_000).await.unwrap());
        assert!(!take_lease(&db, "job", "b", 500, 1_500).await.unwrap());
        assert!(
            take_lease(&db, "job", "a", 900, 2_000).await.unwrap(),
            "renewal"
        );
        assert!(!take_lease(&db, "job", "b", 1_500, 2_500).await.unwrap());
        assert!(
            take_lease(&db, "job", "b", 2_000, 3_000).await.unwrap(),
            "expired"
        );
        assert!(!take_lease(&db, "job", "a", 2_100, 3_100).await.unwrap());
        release_lease(&db, "job", "b").await.unwrap();
        assert!(
            take_lease(&db, "job", "a", 2_200, 3_200).await.unwrap(),
            "released"
        );
        assert!(take_lease(&db, "other", "b", 2_200, 3_200).await.unwrap());
    }
}
