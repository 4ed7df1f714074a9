//! Signing keys, refresh-token families and application registrations.

use super::decode::{all, parsed_opt};
use super::identity::id_col;
use super::paged::{Listing, Seek};
use super::{Db, Tx};
use crate::domain::identity::Role;
use crate::domain::ids::{AppId, TenantId, UserId};
use sqlx::Row;

pub struct SigningKey {
    pub kid: String,
    pub private_der: Vec<u8>,
    pub public_raw: Vec<u8>,
}

pub async fn signing_keys(db: &Db) -> Result<Vec<SigningKey>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT kid, private_der, public_raw FROM signing_keys ORDER BY created_at DESC",
    )
    .fetch_all(&db.read)
    .await?;
    all(&rows, |r| {
        Ok(SigningKey {
            kid: r.try_get("kid")?,
            private_der: r.try_get("private_der")?,
            public_raw: r.try_get("public_raw")?,
        })
    })
}

/// Stores a key unless one exists already; returns whether this one was stored. Several
/// nodes starting together agree on whichever key landed first.
pub async fn insert_signing_key_if_none(
    tx: &mut Tx,
    key: &SigningKey,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let exists = sqlx::query("SELECT 1 AS one FROM signing_keys LIMIT 1")
        .fetch_optional(tx.conn().await?)
        .await?;
    if exists.is_some() {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO signing_keys (kid, private_der, public_raw, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&key.kid)
    .bind(key.private_der.clone())
    .bind(key.public_raw.clone())
    .bind(now)
    .execute(tx.conn().await?)
    .await?;
    Ok(true)
}

/// A refresh token found by its hash.
pub struct RefreshToken {
    pub family_id: String,
    pub user_id: UserId,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub async fn insert_refresh(
    tx: &mut Tx,
    hash: &str,
    family: &str,
    user: UserId,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash)
    .bind(family)
    .bind(user.to_string())
    .bind(now)
    .bind(expires_at)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

pub async fn refresh_for_update(
    tx: &mut Tx,
    hash: &str,
) -> Result<Option<RefreshToken>, sqlx::Error> {
    let sql = format!(
        "SELECT family_id, user_id, expires_at, used_at, revoked_at \
         FROM refresh_tokens WHERE token_hash = $1{}",
        tx.backend.for_update()
    );
    let row = sqlx::query(&sql)
        .bind(hash)
        .fetch_optional(tx.conn().await?)
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    Ok(Some(RefreshToken {
        family_id: r.try_get("family_id")?,
        user_id: id_col(&r, "user_id")?,
        expires_at: r.try_get("expires_at")?,
        used_at: r.try_get("used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    }))
}

/// Marks a refresh token used if nobody did before: false means it was already spent.
pub async fn spend_refresh(tx: &mut Tx, hash: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(hash)
    .execute(tx.conn().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn revoke_family(tx: &mut Tx, family: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(family)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

pub async fn revoke_user_refresh(tx: &mut Tx, user: UserId, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(user.to_string())
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct AppRow {
    pub id: AppId,
    pub tenant_id: TenantId,
    pub display_name: String,
    pub secret_hash: String,
    pub roles: Vec<Role>,
    pub created_at: i64,
    pub disabled: bool,
    /// The user who registered it: the application never holds more than they do.
    pub created_by: Option<UserId>,
}

fn app_from(r: &sqlx::any::AnyRow) -> Result<AppRow, sqlx::Error> {
    let roles: String = r.try_get("roles")?;
    Ok(AppRow {
        id: id_col(r, "id")?,
        tenant_id: id_col(r, "tenant_id")?,
        display_name: r.try_get("display_name")?,
        secret_hash: r.try_get("secret_hash")?,
        roles: super::decode::split_words("roles", &roles, Role::parse)?,
        created_at: r.try_get("created_at")?,
        disabled: r.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
        created_by: parsed_opt(r, "created_by")?,
    })
}

pub async fn insert_app(tx: &mut Tx, a: &AppRow, created_by: UserId) -> Result<(), sqlx::Error> {
    let roles: Vec<&str> = a.roles.iter().map(|r| r.as_str()).collect();
    sqlx::query(
        "INSERT INTO app_registrations (id, tenant_id, display_name, secret_hash, roles, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(a.id.to_string())
    .bind(a.tenant_id.to_string())
    .bind(&a.display_name)
    .bind(&a.secret_hash)
    .bind(roles.join(","))
    .bind(created_by.to_string())
    .bind(a.created_at)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

pub async fn app(db: &Db, id: AppId) -> Result<Option<AppRow>, sqlx::Error> {
    let row = sqlx::query("SELECT * FROM app_registrations WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(app_from).transpose()
}

pub async fn apps_of(db: &Db, tenant: TenantId) -> Result<Vec<AppRow>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT * FROM app_registrations WHERE tenant_id = $1 ORDER BY created_at")
            .bind(tenant.to_string())
            .fetch_all(&db.read)
            .await?;
    rows.iter().map(app_from).collect()
}

/// Turns an application on or off; false when it is not the tenant's.
pub async fn set_app_disabled(
    tx: &mut Tx,
    tenant: TenantId,
    id: AppId,
    disabled_at: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE app_registrations SET disabled_at = $1 WHERE id = $2 AND tenant_id = $3",
    )
    .bind(disabled_at)
    .bind(id.to_string())
    .bind(tenant.to_string())
    .execute(tx.conn().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the secret's hash: the old secret stops working at once.
pub async fn set_app_secret(
    tx: &mut Tx,
    tenant: TenantId,
    id: AppId,
    secret_hash: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE app_registrations SET secret_hash = $1 WHERE id = $2 AND tenant_id = $3",
    )
    .bind(secret_hash)
    .bind(id.to_string())
    .bind(tenant.to_string())
    .execute(tx.conn().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete_app(tx: &mut Tx, tenant: TenantId, id: AppId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM app_registrations WHERE id = $1 AND tenant_id = $2")
        .bind(id.to_string())
        .bind(tenant.to_string())
        .execute(tx.conn().await?)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A keyset page of a tenant's applications in registration order, after `(created_at, id)`,
/// and how many the tenant has.
pub async fn apps_page(
    db: &Db,
    tenant: TenantId,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<AppRow>, i64), sqlx::Error> {
    let (at, id) = after.unwrap_or((i64::MIN, ""));
    Listing {
        select: "a.*",
        from: "FROM app_registrations a WHERE a.tenant_id = $1",
        filter: vec![tenant.into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (a.created_at, a.id) > ($2, $3) ORDER BY a.created_at, a.id LIMIT $4",
            args: vec![at.into(), id.into(), limit.into()],
            continues: after.is_some(),
        },
        app_from,
    )
    .await
}
