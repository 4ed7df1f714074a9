//! Portal sessions. The cookie holds a random token; only its hash is stored.

use super::identity::id_col;
use super::Db;
use crate::domain::ids::UserId;
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_id: Option<UserId>,
    pub csrf_token: String,
    pub language: String,
    pub mfa_pending: bool,
    pub expires_at: i64,
    /// When the session was last used (for the idle timeout).
    pub last_seen_at: i64,
}

pub async fn insert(db: &Db, s: &SessionRow, now: i64) -> Result<(), sqlx::Error> {
    write(db, s, now, "").await
}

pub async fn get(db: &Db, token_hash: &str, now: i64) -> Result<Option<SessionRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT token_hash, user_id, csrf_token, language, mfa_pending, expires_at, last_seen_at \
         FROM sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&db.read)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let user_id = match r.try_get::<Option<String>, _>("user_id")? {
        Some(_) => Some(id_col(&r, "user_id")?),
        None => None,
    };
    Ok(Some(SessionRow {
        token_hash: r.try_get("token_hash")?,
        user_id,
        csrf_token: r.try_get("csrf_token")?,
        language: r.try_get("language")?,
        mfa_pending: r.try_get::<i64, _>("mfa_pending")? != 0,
        expires_at: r.try_get("expires_at")?,
        last_seen_at: r.try_get("last_seen_at")?,
    }))
}

pub async fn delete(db: &Db, token_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&db.write)
        .await?;
    Ok(())
}

pub async fn set_language(db: &Db, token_hash: &str, lang: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET language = $1 WHERE token_hash = $2")
        .bind(lang)
        .bind(token_hash)
        .execute(&db.write)
        .await?;
    // The signed-in person's choice is also their preference for mail.
    sqlx::query(
        "UPDATE users SET language = $1 WHERE id = (SELECT user_id FROM sessions WHERE token_hash = $2)",
    )
    .bind(lang)
    .bind(token_hash)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Housekeeping's delete of expired sessions, by their expiry's index (migration 0025).
pub const PURGE: &str = "DELETE FROM sessions WHERE expires_at <= $1";

pub async fn delete_expired(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(PURGE)
        .bind(now)
        .execute(&db.write)
        .await?
        .rows_affected())
}

/// Ends every portal session of a user (password changed or reset, account disabled).
pub async fn delete_for_user(tx: &mut super::Tx, user: UserId) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.to_string())
        .execute(tx.conn().await?)
        .await?
        .rows_affected())
}

/// Records that the session was used now.
pub async fn touch(db: &Db, token_hash: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
        .bind(now)
        .bind(token_hash)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Stores an anonymous session the first time it posts; a second post finds it there.
pub async fn insert_if_absent(db: &Db, s: &SessionRow, now: i64) -> Result<(), sqlx::Error> {
    write(db, s, now, " ON CONFLICT (token_hash) DO NOTHING").await
}

async fn write(db: &Db, s: &SessionRow, now: i64, on_conflict: &str) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, language, mfa_pending, created_at, expires_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $6){on_conflict}"
    );
    sqlx::query(&sql)
        .bind(&s.token_hash)
        .bind(s.user_id.map(|u| u.to_string()))
        .bind(&s.csrf_token)
        .bind(&s.language)
        .bind(s.mfa_pending as i64)
        .bind(now)
        .bind(s.expires_at)
        .execute(&db.write)
        .await?;
    Ok(())
}
