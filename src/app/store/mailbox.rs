//! Mail kept by the built-in capture instead of being sent (the embedded default).

use super::batch::Batch;
use super::decode::all;
use super::Db;
use sqlx::Row;

#[derive(Debug, Clone, serde::Serialize)]
pub struct CapturedMail {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: i64,
}

/// Adds a captured message to `b` (once per outbox message).
pub fn insert(b: &mut Batch<'_>, outbox_id: &str, m: &CapturedMail) {
    b.add(
        "INSERT INTO captured_mail (id, outbox_id, to_addr, subject, text_body, html_body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (outbox_id) DO NOTHING",
    )
    .bind(m.id.clone())
    .bind(outbox_id.to_string())
    .bind(m.to.clone())
    .bind(m.subject.clone())
    .bind(m.text_body.clone())
    .bind(m.html_body.clone())
    .bind(m.created_at);
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<CapturedMail, sqlx::Error> {
    Ok(CapturedMail {
        id: r.try_get("id")?,
        to: r.try_get("to_addr")?,
        subject: r.try_get("subject")?,
        text_body: r.try_get("text_body")?,
        html_body: r.try_get("html_body")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Newest first; optionally only mail to one address.
pub async fn list(db: &Db, to: Option<&str>, limit: i64) -> Result<Vec<CapturedMail>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT * FROM captured_mail WHERE ($1 = '' OR to_addr = $1) \
         ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(to.unwrap_or("").to_ascii_lowercase())
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    all(&rows, from_row)
}

/// [`list`] continued before `before` (the last mail shown: its time and id), newest first.
pub async fn page(
    db: &Db,
    to: Option<&str>,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<CapturedMail>, sqlx::Error> {
    let (at, id) = before.unwrap_or((i64::MAX, ""));
    let rows = sqlx::query(
        "SELECT * FROM captured_mail WHERE ($1 = '' OR to_addr = $1) \
         AND (created_at < $2 OR (created_at = $2 AND ($3 = '' OR id < $3))) \
         ORDER BY created_at DESC, id DESC LIMIT $4",
    )
    .bind(to.unwrap_or("").to_ascii_lowercase())
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    all(&rows, from_row)
}

/// How many captured mails [`list`] would list without a limit.
pub async fn count(db: &Db, to: Option<&str>) -> Result<i64, sqlx::Error> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM captured_mail WHERE ($1 = '' OR to_addr = $1)")
            .bind(to.unwrap_or("").to_ascii_lowercase())
            .fetch_one(&db.read)
            .await?;
    row.try_get("n")
}

pub async fn get(db: &Db, id: &str) -> Result<Option<CapturedMail>, sqlx::Error> {
    let row = sqlx::query("SELECT * FROM captured_mail WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(from_row).transpose()
}
