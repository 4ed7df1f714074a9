//! Portal sessions. The cookie holds a random token; only its hash is stored.

use super::customers::NamedPage;
use super::identity::{self, id_col, ActorRows};
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

/// The page of the signed-in user's customer list a portal page asks for with its session:
/// `limit` rows after a (lower-cased name, id), with the resellers' names and the total.
#[derive(Debug, Clone, Copy)]
pub struct ListRider<'a> {
    pub after: Option<(&'a str, &'a str)>,
    pub limit: u32,
}

/// A live session, its user as the caller when it is signed in past its second step (the
/// rows every API request rebuilds its caller from), and the page `list` asks for (of that
/// user's organisation), read by one statement: the portal runs it on every page.
pub async fn get_with_actor(
    db: &Db,
    token_hash: &str,
    now: i64,
    list: Option<ListRider<'_>>,
) -> Result<Option<(SessionRow, Option<ActorRows>, Option<NamedPage>)>, sqlx::Error> {
    let sql = with_actor_statement(db.backend, list.map(|l| l.limit));
    let mut q = sqlx::query(sql).bind(token_hash).bind(now);
    if let Some(l) = list {
        let (k, i) = l.after.unwrap_or(("", ""));
        q = q.bind(k).bind(i);
    }
    let Some(row) = q.fetch_optional(&db.read).await? else {
        return Ok(None);
    };
    let session = session_from(&row)?;
    let actor = match row.try_get::<Option<String>, _>("id")? {
        Some(_) => Some(identity::actor_rows_from(&row)?),
        None => None,
    };
    let page = match (list, &actor) {
        (Some(_), Some(_)) => Some(super::customers::unpacked(db.backend, &row)?),
        _ => None,
    };
    Ok(Some((session, actor, page)))
}

/// The statement [`get_with_actor`] runs: the session's token hash `$1`, the time `$2`, and
/// with a page of `list_limit` rows, the position it starts after `($3, $4)`.
pub fn with_actor_statement(backend: super::Backend, list_limit: Option<u32>) -> &'static str {
    let shape = match list_limit {
        None => ("session", 0),
        Some(limit) => ("session and customer list", limit),
    };
    super::statements::once((backend, shape.0, shape.1), || {
        let page = match list_limit {
            None => String::new(),
            Some(limit) => format!(
                ", {}",
                super::customers::page_columns(
                    backend,
                    None,
                    limit,
                    super::customers::Extra::ResellerNamesAndTotal,
                    super::customers::PageAt::UserTenant(3),
                )
            ),
        };
        format!(
            "SELECT {SESSION_COLS}, {}{page} FROM sessions s \
             LEFT JOIN users u ON u.id = s.user_id AND s.mfa_pending = 0 {} \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
            identity::actor_columns(backend),
            identity::actor_joins(backend, "LEFT JOIN"),
        )
    })
}

/// A session's columns, named apart from the user's (both have a language).
const SESSION_COLS: &str = "s.token_hash AS s_token_hash, s.user_id AS s_user_id, \
    s.csrf_token AS s_csrf_token, s.language AS s_language, s.mfa_pending AS s_mfa_pending, \
    s.expires_at AS s_expires_at, s.last_seen_at AS s_last_seen_at";

fn session_from(r: &sqlx::any::AnyRow) -> Result<SessionRow, sqlx::Error> {
    let user_id = match r.try_get::<Option<String>, _>("s_user_id")? {
        Some(_) => Some(id_col(r, "s_user_id")?),
        None => None,
    };
    Ok(SessionRow {
        token_hash: r.try_get("s_token_hash")?,
        user_id,
        csrf_token: r.try_get("s_csrf_token")?,
        language: r.try_get("s_language")?,
        mfa_pending: r.try_get::<i64, _>("s_mfa_pending")? != 0,
        expires_at: r.try_get("s_expires_at")?,
        last_seen_at: r.try_get("s_last_seen_at")?,
    })
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
