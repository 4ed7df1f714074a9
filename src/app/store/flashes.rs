//! Portal flash messages: sealed bodies found by the hash of the browser's token, taken once.

use super::Db;
use sqlx::Row;

pub async fn insert(db: &Db, id: &str, sealed: &str, expires_at: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO portal_flashes (id, sealed, expires_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(sealed)
        .bind(expires_at)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Deletes the row and returns its sealed body when it had not expired: a message is read
/// at most once, even by two requests racing for it.
pub async fn take(db: &Db, id: &str, now: i64) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("DELETE FROM portal_flashes WHERE id = $1 RETURNING sealed, expires_at")
        .bind(id)
        .fetch_optional(&db.write)
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let expires_at: i64 = r.try_get("expires_at")?;
    Ok((expires_at > now)
        .then(|| r.try_get("sealed"))
        .transpose()?)
}

pub async fn delete_expired(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM portal_flashes WHERE expires_at <= $1")
            .bind(now)
            .execute(&db.write)
            .await?
            .rows_affected(),
    )
}
