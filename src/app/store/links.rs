//! One-time links: personal, expiring, single-use tokens sent by mail. Only hashes are kept.

use super::Tx;
use sqlx::Row;

pub struct Link {
    pub purpose: String,
    pub subject_id: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub async fn insert(
    tx: &mut Tx,
    token_hash: &str,
    purpose: &str,
    subject: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO one_time_links (token_hash, purpose, subject_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(purpose)
    .bind(subject)
    .bind(now)
    .bind(expires_at)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

/// Reads a link and locks it for the rest of the transaction.
pub async fn get_for_update(tx: &mut Tx, token_hash: &str) -> Result<Option<Link>, sqlx::Error> {
    let sql = format!(
        "SELECT purpose, subject_id, expires_at, used_at, revoked_at FROM one_time_links \
         WHERE token_hash = $1{}",
        tx.backend.for_update()
    );
    let row = sqlx::query(&sql)
        .bind(token_hash)
        .fetch_optional(tx.conn().await?)
        .await?;
    row.map(|r| {
        Ok(Link {
            purpose: r.try_get("purpose")?,
            subject_id: r.try_get("subject_id")?,
            expires_at: r.try_get("expires_at")?,
            used_at: r.try_get("used_at")?,
            revoked_at: r.try_get("revoked_at")?,
        })
    })
    .transpose()
}

/// Marks a link used; false if another request used it first.
pub async fn mark_used(tx: &mut Tx, token_hash: &str, now: i64) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE one_time_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(token_hash)
    .execute(tx.conn().await?)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Revokes every unused link of a subject (a new link replaces the old ones).
pub async fn revoke_subject(
    tx: &mut Tx,
    purpose: &str,
    subject: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE one_time_links SET revoked_at = $1 WHERE purpose = $2 AND subject_id = $3 \
         AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(purpose)
    .bind(subject)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}
