//! Users' notification choices and the items waiting for their daily digest.

use super::batch::Batch;
use super::decode::{all, flag, json};
use super::{Db, Tx};
use sqlx::Row;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub events: Vec<String>,
    pub digest: bool,
}

fn settings_from(r: &sqlx::any::AnyRow) -> Result<Settings, sqlx::Error> {
    Ok(Settings {
        events: json(r, "events")?,
        digest: flag(r, "digest")?,
    })
}

pub async fn get(db: &Db, user: &str) -> Result<Settings, sqlx::Error> {
    let row = sqlx::query("SELECT events, digest FROM notification_settings WHERE user_id = $1")
        .bind(user)
        .fetch_optional(&db.read)
        .await?;
    // No row yet: the user chose nothing, which is the default.
    Ok(row
        .as_ref()
        .map(settings_from)
        .transpose()?
        .unwrap_or_default())
}

pub async fn put(tx: &mut Tx, user: &str, s: &Settings, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notification_settings (user_id, events, digest, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET events = excluded.events, digest = excluded.digest, \
         updated_at = excluded.updated_at",
    )
    .bind(user)
    .bind(super::decode::to_json(&s.events)?)
    .bind(s.digest as i64)
    .bind(now)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

/// A user of the organisation who wants mail about some events.
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub user_id: String,
    pub upn: String,
    pub display_name: String,
    pub language: String,
    pub settings: Settings,
}

/// The active users of each organisation in `tenants` who chose notifications, with their
/// organisation, in one read in `tx`.
pub async fn subscribers_of_all(
    tx: &mut Tx,
    tenants: &[&str],
) -> Result<Vec<(String, Subscriber)>, sqlx::Error> {
    if tenants.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=tenants.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT u.tenant_id, u.id, u.upn, u.display_name, u.language, n.events, n.digest \
         FROM notification_settings n JOIN users u ON u.id = n.user_id \
         WHERE u.tenant_id IN ({}) AND u.deleted_at IS NULL AND u.state = 'active' ORDER BY u.id",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for t in tenants {
        q = q.bind(*t);
    }
    let rows = q.fetch_all(tx.conn().await?).await?;
    all(&rows, |r| {
        Ok((
            r.try_get("tenant_id")?,
            Subscriber {
                user_id: r.try_get("id")?,
                upn: r.try_get("upn")?,
                display_name: r.try_get("display_name")?,
                language: r.try_get("language")?,
                settings: settings_from(r)?,
            },
        ))
    })
}

pub struct DigestItem<'a> {
    pub user_id: &'a str,
    pub event_id: &'a str,
    pub event_name: &'a str,
    pub resource: &'a str,
    pub occurred_at: i64,
}

/// Adds an item to the user's next digest (once per event) to `b`.
pub fn add_digest_item(b: &mut Batch<'_>, i: &DigestItem<'_>) {
    b.add(
        "INSERT INTO notification_digest_items (id, user_id, event_id, event_name, resource, occurred_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, event_id) DO NOTHING",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(i.user_id.to_string())
    .bind(i.event_id.to_string())
    .bind(i.event_name.to_string())
    .bind(i.resource.to_string())
    .bind(i.occurred_at);
}

/// Users whose digest is due: items waiting and the last digest a day old or more.
pub async fn due_digests(db: &Db, now: i64) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT DISTINCT n.user_id FROM notification_settings n JOIN notification_digest_items i \
         ON i.user_id = n.user_id WHERE n.digest = 1 AND n.last_digest_at <= $1",
    )
    .bind(now - crate::clock::DAY_MS)
    .fetch_all(&db.read)
    .await?;
    rows.iter().map(|r| r.try_get("user_id")).collect()
}

/// Takes a user's waiting items (oldest first) and marks the digest sent, if still due (so
/// two nodes never send the same digest).
pub async fn take_digest(
    tx: &mut Tx,
    user: &str,
    now: i64,
) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    let claimed = sqlx::query(
        "UPDATE notification_settings SET last_digest_at = $1 WHERE user_id = $2 AND last_digest_at <= $3",
    )
    .bind(now)
    .bind(user)
    .bind(now - crate::clock::DAY_MS)
    .execute(tx.conn().await?)
    .await?;
    if claimed.rows_affected() == 0 {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "SELECT event_name, resource, occurred_at FROM notification_digest_items WHERE user_id = $1 \
         ORDER BY occurred_at, id",
    )
    .bind(user)
    .fetch_all(tx.conn().await?)
    .await?;
    sqlx::query("DELETE FROM notification_digest_items WHERE user_id = $1")
        .bind(user)
        .execute(tx.conn().await?)
        .await?;
    all(&rows, |r| {
        Ok((
            r.try_get("event_name")?,
            r.try_get("resource")?,
            r.try_get("occurred_at")?,
        ))
    })
}
