//! Referrals between organisations (and partners' own leads).

use super::decode::{parsed, word};
use super::paged::{Listing, Seek};
use super::{Db, Tx};
use crate::domain::ids::{ReferralId, TenantId};
use crate::domain::referral::{Status, Substatus};
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct ReferralRow {
    pub id: ReferralId,
    pub name: String,
    pub created_by_tenant: TenantId,
    pub target_tenant: TenantId,
    pub status: Status,
    pub substatus: Substatus,
    pub deal_value: String,
    pub currency: String,
    pub customer_name: String,
    pub customer_country: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub consent_at: i64,
    pub notes: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<ReferralRow, sqlx::Error> {
    Ok(ReferralRow {
        id: parsed(r, "id")?,
        name: r.try_get("name")?,
        created_by_tenant: parsed(r, "created_by_tenant")?,
        target_tenant: parsed(r, "target_tenant")?,
        status: word(r, "status", Status::parse)?,
        substatus: word(r, "substatus", Substatus::parse)?,
        deal_value: r.try_get("deal_value")?,
        currency: r.try_get("currency")?,
        customer_name: r.try_get("customer_name")?,
        customer_country: r.try_get("customer_country")?,
        contact_name: r.try_get("contact_name")?,
        contact_email: r.try_get("contact_email")?,
        contact_phone: r.try_get("contact_phone")?,
        consent_at: r.try_get("consent_at")?,
        notes: r.try_get("notes")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
    })
}

pub async fn insert(tx: &mut Tx, r: &ReferralRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO referrals (id, name, created_by_tenant, target_tenant, status, substatus, deal_value, \
         currency, customer_name, customer_country, contact_name, contact_email, contact_phone, consent_at, \
         notes, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$16)",
    )
    .bind(r.id.to_string())
    .bind(&r.name)
    .bind(r.created_by_tenant.to_string())
    .bind(r.target_tenant.to_string())
    .bind(r.status.as_str())
    .bind(r.substatus.as_str())
    .bind(&r.deal_value)
    .bind(&r.currency)
    .bind(&r.customer_name)
    .bind(&r.customer_country)
    .bind(&r.contact_name)
    .bind(&r.contact_email)
    .bind(&r.contact_phone)
    .bind(r.consent_at)
    .bind(&r.notes)
    .bind(r.created_at)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

pub async fn get(db: &Db, id: &str) -> Result<Option<ReferralRow>, sqlx::Error> {
    let row = sqlx::query("SELECT * FROM referrals WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn get_in(tx: &mut Tx, id: &str) -> Result<Option<ReferralRow>, sqlx::Error> {
    let sql = format!(
        "SELECT * FROM referrals WHERE id = $1{}",
        tx.backend.for_update()
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(tx.conn().await?)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Saves status and details if the row is still at `version`.
pub async fn update(
    tx: &mut Tx,
    r: &ReferralRow,
    version: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE referrals SET status = $1, substatus = $2, deal_value = $3, currency = $4, notes = $5, \
         updated_at = $6, version = version + 1 WHERE id = $7 AND version = $8",
    )
    .bind(r.status.as_str())
    .bind(r.substatus.as_str())
    .bind(&r.deal_value)
    .bind(&r.currency)
    .bind(&r.notes)
    .bind(now)
    .bind(r.id.to_string())
    .bind(version)
    .execute(tx.conn().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Which referrals of an organisation to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
    All,
}

fn side_of(direction: Direction) -> &'static str {
    match direction {
        Direction::Sent => "created_by_tenant = $1",
        Direction::Received => "target_tenant = $1",
        Direction::All => "(created_by_tenant = $1 OR target_tenant = $1)",
    }
}

/// One page of an organisation's referrals in `direction` (with `status`, when given),
/// newest first (keyset on created time and id), and how many there are in all.
pub async fn page(
    db: &Db,
    tenant: TenantId,
    direction: Direction,
    status: Option<&str>,
    before: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<ReferralRow>, i64), sqlx::Error> {
    let (at, id) = before.unwrap_or((i64::MAX, ""));
    let from = format!(
        "FROM referrals WHERE {} AND ($2 = '' OR status = $2)",
        side_of(direction)
    );
    Listing {
        select: "*",
        from: &from,
        filter: vec![tenant.into(), status.unwrap_or("").into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (created_at, id) < ($3, $4) ORDER BY created_at DESC, id DESC LIMIT $5",
            args: vec![at.into(), id.into(), limit.into()],
            continues: before.is_some(),
        },
        from_row,
    )
    .await
}
