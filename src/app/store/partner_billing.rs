//! The partner organisation's own billing profile (`/v1/profiles/billing`), kept as the
//! contract's members in one JSON column with a row version for ETags.

use super::decode::json;
use super::{Db, Tx};
use crate::domain::ids::TenantId;
use sqlx::Row;

/// The stored profile and its version, if the partner saved one.
pub async fn get(
    db: &Db,
    tenant: TenantId,
) -> Result<Option<(serde_json::Value, i64)>, sqlx::Error> {
    let r =
        sqlx::query("SELECT profile, version FROM partner_billing_profiles WHERE tenant_id = $1")
            .bind(tenant.to_string())
            .fetch_optional(&db.read)
            .await?;
    r.map(|r| Ok((json(&r, "profile")?, r.try_get("version")?)))
        .transpose()
}

/// Writes the profile if it still has `expected_version` (0: none yet); false otherwise.
pub async fn save(
    tx: &mut Tx,
    tenant: TenantId,
    profile: &serde_json::Value,
    expected_version: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = if expected_version == 0 {
        sqlx::query("INSERT INTO partner_billing_profiles (tenant_id, profile, updated_at) VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO NOTHING")
            .bind(tenant.to_string())
            .bind(profile.to_string())
            .bind(now)
            .execute(tx.conn().await?)
            .await?
    } else {
        sqlx::query("UPDATE partner_billing_profiles SET profile = $1, updated_at = $2, version = version + 1 WHERE tenant_id = $3 AND version = $4")
            .bind(profile.to_string())
            .bind(now)
            .bind(tenant.to_string())
            .bind(expected_version)
            .execute(tx.conn().await?)
            .await?
    };
    Ok(r.rows_affected() == 1)
}

/// The currency the catalog bills a country in, if it offers anything there.
pub async fn currency_of(db: &Db, country: &str) -> Result<Option<String>, sqlx::Error> {
    let r = sqlx::query(
        "SELECT currency FROM availabilities WHERE country = $1 ORDER BY currency LIMIT 1",
    )
    .bind(country)
    .fetch_optional(&db.read)
    .await?;
    r.map(|r| r.try_get("currency")).transpose()
}
