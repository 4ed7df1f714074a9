//! `MS-RequestId` records: the first request with an id claims it, and its response is kept
//! so a retry gets the same answer without the work being done twice.

use super::batch::Batch;
use super::{is_unique_violation, Db};
use sqlx::Row;

pub struct Stored {
    pub method: String,
    pub path: String,
    pub body_hash: String,
    /// None while the first request is still being processed.
    pub response: Option<(u16, Vec<u8>, String)>,
    pub created_at: i64,
}

pub enum Claim {
    /// This request owns the id: process it, then [`complete`] or [`release`].
    Mine,
    /// Another request with this id came first.
    Taken(Stored),
}

pub async fn claim(
    db: &Db,
    scope: &str,
    request_id: &str,
    method: &str,
    path: &str,
    body_hash: &str,
    now: i64,
) -> Result<Claim, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (scope, request_id, method, path, body_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(scope)
    .bind(request_id)
    .bind(method)
    .bind(path)
    .bind(body_hash)
    .bind(now)
    .execute(&db.write)
    .await;
    match inserted {
        Ok(_) => Ok(Claim::Mine),
        Err(e) if is_unique_violation(&e) => {
            let stored = get(db, scope, request_id).await?;
            match stored {
                Some(s) => Ok(Claim::Taken(s)),
                // Released between our insert and read: try once more.
                None => Box::pin(claim(db, scope, request_id, method, path, body_hash, now)).await,
            }
        }
        Err(e) => Err(e),
    }
}

pub async fn get(db: &Db, scope: &str, request_id: &str) -> Result<Option<Stored>, sqlx::Error> {
    get_from(&db.write, scope, request_id).await
}

/// [`get`] through the read pool: a look that never waits for the writer.
pub async fn peek(db: &Db, scope: &str, request_id: &str) -> Result<Option<Stored>, sqlx::Error> {
    get_from(&db.read, scope, request_id).await
}

async fn get_from(
    pool: &sqlx::AnyPool,
    scope: &str,
    request_id: &str,
) -> Result<Option<Stored>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT method, path, body_hash, status_code, response_body, content_type, created_at \
         FROM idempotency_keys WHERE scope = $1 AND request_id = $2",
    )
    .bind(scope)
    .bind(request_id)
    .fetch_optional(pool)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let status: Option<i64> = r.try_get("status_code")?;
    // A claim without a stored response yet has NULL body and type.
    let body: Option<Vec<u8>> = r.try_get("response_body")?;
    let content_type: Option<String> = r.try_get("content_type")?;
    Ok(Some(Stored {
        method: r.try_get("method")?,
        path: r.try_get("path")?,
        body_hash: r.try_get("body_hash")?,
        response: status.map(|s| {
            (
                s as u16,
                body.unwrap_or_default(),
                content_type.unwrap_or_default(),
            )
        }),
        created_at: r.try_get("created_at")?,
    }))
}

pub async fn complete(
    db: &Db,
    scope: &str,
    request_id: &str,
    status: u16,
    body: &[u8],
    content_type: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE idempotency_keys SET status_code = $1, response_body = $2, content_type = $3 \
         WHERE scope = $4 AND request_id = $5",
    )
    .bind(status as i64)
    .bind(body.to_vec())
    .bind(content_type)
    .bind(scope)
    .bind(request_id)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// A request id claimed and answered at once, inside the transaction of the use case it
/// guards: the claim commits with the effect, or neither does.
pub struct Answered<'a> {
    pub scope: &'a str,
    pub request_id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub body_hash: &'a str,
    pub created_at: i64,
    pub status: u16,
    pub body: &'a [u8],
    pub content_type: &'a str,
}

/// Adds an [`Answered`] record to `b`. When the id is taken already, the batch fails with
/// a unique violation (the caller tells the cases apart by what holds the id).
pub fn insert_answered(b: &mut Batch<'_>, a: &Answered<'_>) {
    b.add(
        "INSERT INTO idempotency_keys (scope, request_id, method, path, body_hash, created_at, \
         status_code, response_body, content_type) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(a.scope.to_string())
    .bind(a.request_id.to_string())
    .bind(a.method.to_string())
    .bind(a.path.to_string())
    .bind(a.body_hash.to_string())
    .bind(a.created_at)
    .bind(a.status as i64)
    .bind(a.body.to_vec())
    .bind(a.content_type.to_string());
}

/// Frees an id whose request failed without effect, so a retry can run it again.
pub async fn release(db: &Db, scope: &str, request_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE scope = $1 AND request_id = $2 AND status_code IS NULL",
    )
    .bind(scope)
    .bind(request_id)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Housekeeping's delete of old request ids, by their time's index (migration 0025).
pub const PURGE: &str = "DELETE FROM idempotency_keys WHERE created_at < $1";

pub async fn purge_before(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(PURGE)
        .bind(before)
        .execute(&db.write)
        .await?
        .rows_affected())
}
