//! The partner-network registry: membership records and their organisation profiles.

use super::{Db, Tx};
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct Membership {
    pub mpn_id: i64,
    pub org_name: String,
    pub country: String,
    pub username: String,
    pub password_hash: String,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub profile_id: i64,
    pub mpn_id: i64,
    pub name: String,
    pub country: String,
}

/// Inserts or replaces a membership and its profiles.
pub async fn upsert(
    tx: &mut Tx,
    m: &Membership,
    profiles: &[Profile],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO membership_records (mpn_id, org_name, country, username, password_hash, imported_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (mpn_id) DO UPDATE SET org_name = excluded.org_name, \
         country = excluded.country, username = excluded.username, password_hash = excluded.password_hash, \
         imported_at = excluded.imported_at",
    )
    .bind(m.mpn_id)
    .bind(&m.org_name)
    .bind(&m.country)
    .bind(&m.username)
    .bind(&m.password_hash)
    .bind(now)
    .execute(tx.conn().await?)
    .await?;
    for p in profiles {
        sqlx::query(
            "INSERT INTO membership_profiles (profile_id, mpn_id, name, country) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (profile_id) DO UPDATE SET mpn_id = excluded.mpn_id, name = excluded.name, \
             country = excluded.country",
        )
        .bind(p.profile_id)
        .bind(p.mpn_id)
        .bind(&p.name)
        .bind(&p.country)
        .execute(tx.conn().await?)
        .await?;
    }
    Ok(())
}

pub async fn by_username(db: &Db, username: &str) -> Result<Option<Membership>, sqlx::Error> {
    let row = sqlx::query("SELECT * FROM membership_records WHERE username = $1")
        .bind(username.trim().to_ascii_lowercase())
        .fetch_optional(&db.read)
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    Ok(Some(Membership {
        mpn_id: r.try_get("mpn_id")?,
        org_name: r.try_get("org_name")?,
        country: r.try_get("country")?,
        username: r.try_get("username")?,
        password_hash: r.try_get("password_hash")?,
    }))
}

pub async fn profiles(db: &Db, mpn_id: i64) -> Result<Vec<Profile>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT * FROM membership_profiles WHERE mpn_id = $1 ORDER BY profile_id")
            .bind(mpn_id)
            .fetch_all(&db.read)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(Profile {
                profile_id: r.try_get("profile_id")?,
                mpn_id: r.try_get("mpn_id")?,
                name: r.try_get("name")?,
                country: r.try_get("country")?,
            })
        })
        .collect()
}

/// How many memberships the registry holds (the tests check an import).
#[cfg(feature = "test-door")]
pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM membership_records")
        .fetch_one(&db.read)
        .await?;
    row.try_get("n")
}
