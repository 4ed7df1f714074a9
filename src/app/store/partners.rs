//! Partner accounts (created when an enrollment is authorized) and the partner agreement.

use super::decode::{json, parsed};
use super::{Db, Tx};
use crate::domain::enrollment::{Application, Program};
use crate::domain::ids::{TenantId, UserId};
use crate::domain::partnership::PartnerStatus;
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct PartnerRow {
    pub tenant_id: TenantId,
    /// The location partner-network id: the one used as partner of record.
    pub mpn_id: i64,
    /// The organisation's partner-network id.
    pub org_mpn_id: i64,
    pub is_reseller: bool,
    pub is_provider: bool,
    pub status: PartnerStatus,
    pub legal: Application,
    pub created_at: i64,
    pub version: i64,
}

impl PartnerRow {
    /// Whether the partner account is in good standing (not suspended or closed).
    pub fn is_active(&self) -> bool {
        self.status == PartnerStatus::Active
    }
    pub fn has(&self, p: Program) -> bool {
        match p {
            Program::IndirectReseller => self.is_reseller,
            Program::IndirectProvider => self.is_provider,
        }
    }
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<PartnerRow, sqlx::Error> {
    Ok(PartnerRow {
        tenant_id: parsed(r, "tenant_id")?,
        mpn_id: r.try_get("mpn_id")?,
        org_mpn_id: r.try_get("org_mpn_id")?,
        is_reseller: r.try_get::<i64, _>("is_reseller")? != 0,
        is_provider: r.try_get::<i64, _>("is_provider")? != 0,
        status: parsed(r, "status")?,
        // A corrupt legal record is an error, not an empty one.
        legal: json(r, "legal")?,
        created_at: r.try_get("created_at")?,
        version: r.try_get("version")?,
    })
}

pub async fn get(db: &Db, tenant: TenantId) -> Result<Option<PartnerRow>, sqlx::Error> {
    let row = sqlx::query("SELECT * FROM partners WHERE tenant_id = $1")
        .bind(tenant.to_string())
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn get_in(tx: &mut Tx, tenant: TenantId) -> Result<Option<PartnerRow>, sqlx::Error> {
    let sql = format!(
        "SELECT * FROM partners WHERE tenant_id = $1{}",
        tx.backend.for_update()
    );
    let row = sqlx::query(&sql)
        .bind(tenant.to_string())
        .fetch_optional(tx.conn().await?)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_mpn(db: &Db, mpn_id: i64) -> Result<Option<PartnerRow>, sqlx::Error> {
    let row = sqlx::query("SELECT * FROM partners WHERE mpn_id = $1")
        .bind(mpn_id)
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn insert(tx: &mut Tx, p: &PartnerRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO partners (tenant_id, mpn_id, org_mpn_id, is_reseller, is_provider, status, legal, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(p.tenant_id.to_string())
    .bind(p.mpn_id)
    .bind(p.org_mpn_id)
    .bind(p.is_reseller as i64)
    .bind(p.is_provider as i64)
    .bind(p.status.as_str())
    .bind(super::decode::to_json(&p.legal)?)
    .bind(p.created_at)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

/// Saves programs, status and profile; false when the row changed since it was read.
pub async fn save(tx: &mut Tx, p: &PartnerRow) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE partners SET is_reseller = $1, is_provider = $2, status = $3, legal = $4, \
         version = version + 1 WHERE tenant_id = $5 AND version = $6",
    )
    .bind(p.is_reseller as i64)
    .bind(p.is_provider as i64)
    .bind(p.status.as_str())
    .bind(super::decode::to_json(&p.legal)?)
    .bind(p.tenant_id.to_string())
    .bind(p.version)
    .execute(tx.conn().await?)
    .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone)]
pub struct Agreement {
    pub version: String,
    pub title: String,
    pub body: String,
}

pub async fn current_agreement(db: &Db) -> Result<Agreement, sqlx::Error> {
    let r = sqlx::query("SELECT * FROM partner_agreements ORDER BY published_at DESC LIMIT 1")
        .fetch_one(&db.read)
        .await?;
    Ok(Agreement {
        version: r.try_get("version")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
    })
}

#[derive(Debug, Clone)]
pub struct Acceptance {
    pub version: String,
    pub user_id: UserId,
    pub user_upn: String,
    pub accepted_at: i64,
}

pub async fn acceptance(
    db: &Db,
    tenant: TenantId,
    version: &str,
) -> Result<Option<Acceptance>, sqlx::Error> {
    let r =
        sqlx::query("SELECT * FROM agreement_acceptances WHERE tenant_id = $1 AND version = $2")
            .bind(tenant.to_string())
            .bind(version)
            .fetch_optional(&db.read)
            .await?;
    r.map(|r| {
        Ok(Acceptance {
            version: r.try_get("version")?,
            user_id: parsed(&r, "user_id")?,
            user_upn: r.try_get("user_upn")?,
            accepted_at: r.try_get("accepted_at")?,
        })
    })
    .transpose()
}

pub async fn accept(
    tx: &mut Tx,
    tenant: TenantId,
    version: &str,
    user: UserId,
    upn: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "INSERT INTO agreement_acceptances (tenant_id, version, user_id, user_upn, accepted_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, version) DO NOTHING",
    )
    .bind(tenant.to_string())
    .bind(version)
    .bind(user.to_string())
    .bind(upn)
    .bind(now)
    .execute(tx.conn().await?)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Active partner organisations with their names, by name (for pickers; bounded).
pub async fn all_active(db: &Db, limit: i64) -> Result<Vec<(TenantId, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT p.tenant_id, t.display_name FROM partners p JOIN tenants t ON t.id = p.tenant_id \
         WHERE p.status = 'active' ORDER BY t.display_name, p.tenant_id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| Ok((parsed(r, "tenant_id")?, r.try_get("display_name")?)))
        .collect()
}

/// A provider's active resellers with their names.
pub async fn resellers_of(
    db: &Db,
    provider: TenantId,
) -> Result<Vec<(TenantId, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT s.reseller_tenant_id AS tenant_id, t.display_name FROM partnerships s \
         JOIN tenants t ON t.id = s.reseller_tenant_id WHERE s.provider_tenant_id = $1 AND s.state = 'active' \
         ORDER BY t.display_name, s.reseller_tenant_id",
    )
    .bind(provider.to_string())
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| Ok((parsed(r, "tenant_id")?, r.try_get("display_name")?)))
        .collect()
}

/// A partner by either of its partner-network ids (location or organisation); `None` when
/// the organisation id is shared by several locations.
pub async fn by_any_mpn(db: &Db, id: i64) -> Result<Option<PartnerRow>, sqlx::Error> {
    if let Some(p) = by_mpn(db, id).await? {
        return Ok(Some(p));
    }
    let rows = sqlx::query("SELECT * FROM partners WHERE org_mpn_id = $1 LIMIT 2")
        .bind(id)
        .fetch_all(&db.read)
        .await?;
    match rows.as_slice() {
        [one] => from_row(one).map(Some),
        _ => Ok(None),
    }
}
