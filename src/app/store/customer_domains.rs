//! Domains added to a customer's directory beside its primary one (`customer_domains`).

use super::{Db, Tx};
use crate::domain::customer_domain::{
    AuthenticationType, Capability, DomainStatus, NewDomain, VerificationMethod,
};
use crate::domain::identity::Domain;
use crate::domain::ids::TenantId;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A stored domain of a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRow {
    pub tenant_id: TenantId,
    pub domain: NewDomain,
    pub added_by: TenantId,
    pub created_at: i64,
}

fn bad(column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("customer_domains.{column}: unexpected value {value:?}").into())
}

fn word<T>(r: &AnyRow, column: &str, parse: fn(&str) -> Option<T>) -> Result<T, sqlx::Error> {
    let raw: String = r.try_get(column)?;
    parse(&raw).ok_or_else(|| bad(column, &raw))
}

fn id(r: &AnyRow, column: &str) -> Result<TenantId, sqlx::Error> {
    let raw: String = r.try_get(column)?;
    raw.parse().map_err(|_| bad(column, &raw))
}

fn decode(r: &AnyRow) -> Result<DomainRow, sqlx::Error> {
    let name: String = r.try_get("name")?;
    Ok(DomainRow {
        tenant_id: id(r, "tenant_id")?,
        domain: NewDomain {
            name: Domain::parse("name", &name).map_err(|_| bad("name", &name))?,
            capability: word(r, "capability", Capability::parse)?,
            authentication_type: word(r, "authentication_type", AuthenticationType::parse)?,
            status: word(r, "status", DomainStatus::parse)?,
            verification_method: word(r, "verification_method", VerificationMethod::parse)?,
        },
        added_by: id(r, "added_by_tenant_id")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Adds the domain unless some directory has the name already (as an added domain or as its
/// primary one, checked in the same statement); whether it was added.
pub async fn insert(tx: &mut Tx, row: &DomainRow) -> Result<bool, sqlx::Error> {
    let d = &row.domain;
    let done = sqlx::query(
        "INSERT INTO customer_domains (name, tenant_id, capability, authentication_type, status, \
         verification_method, added_by_tenant_id, created_at) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE NOT EXISTS (SELECT 1 FROM tenants WHERE domain = $1) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(d.name.as_str())
    .bind(row.tenant_id.to_string())
    .bind(d.capability.as_str())
    .bind(d.authentication_type.as_str())
    .bind(d.status.as_str())
    .bind(d.verification_method.as_str())
    .bind(row.added_by.to_string())
    .bind(row.created_at)
    .execute(tx.conn().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The domains added to a customer's directory, by name.
pub async fn of_tenant(db: &Db, tenant: TenantId) -> Result<Vec<DomainRow>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM customer_domains WHERE tenant_id = $1 ORDER BY name")
        .bind(tenant.to_string())
        .fetch_all(&db.read)
        .await?;
    rows.iter().map(decode).collect()
}

/// The partners with an active relationship to the customer.
pub async fn active_partners(db: &Db, customer: TenantId) -> Result<Vec<TenantId>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT partner_tenant_id FROM customer_relationships \
         WHERE customer_tenant_id = $1 AND state = 'active' ORDER BY partner_tenant_id",
    )
    .bind(customer.to_string())
    .fetch_all(&db.read)
    .await?;
    rows.iter().map(|r| id(r, "partner_tenant_id")).collect()
}
