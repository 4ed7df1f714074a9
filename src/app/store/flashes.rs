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

/// Returns the sealed body when the row had not expired and this call deleted it: a message
/// is read at most once, even by two requests racing for it.
pub async fn take(db: &Db, id: &str, now: i64) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT sealed, expires_at FROM portal_flashes WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.write)
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let sealed: String = r.try_get("sealed")?;
    let expires_at: i64 = r.try_get("expires_at")?;
    let deleted = sqlx::query("DELETE FROM portal_flashes WHERE id = $1")
        .bind(id)
        .execute(&db.write)
        .await?
        .rows_affected();
    Ok((deleted == 1 && expires_at > now).then_some(sealed))
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
