//! OpenID Connect storage: the RS256 signing key, applications' redirect addresses, consents,
//! single-use authorization codes and the refresh-token families each consent issued.

use super::decode::{all, parsed};
use super::{Db, Tx};
use crate::domain::ids::{AppId, UserId};
use sqlx::Row;

pub struct RsaKeyRow {
    pub kid: String,
    /// PKCS#1 DER of the private key.
    pub private_der: Vec<u8>,
}

pub async fn rsa_keys(db: &Db) -> Result<Vec<RsaKeyRow>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT kid, private_der FROM rsa_signing_keys ORDER BY created_at DESC")
            .fetch_all(&db.read)
            .await?;
    all(&rows, |r| {
        Ok(RsaKeyRow {
            kid: r.try_get("kid")?,
            private_der: r.try_get("private_der")?,
        })
    })
}

/// Stores a key unless one exists; nodes starting together agree on the first one stored.
pub async fn insert_rsa_key_if_none(
    tx: &mut Tx,
    key: &RsaKeyRow,
    now: i64,
) -> Result<(), sqlx::Error> {
    let exists = sqlx::query("SELECT 1 AS one FROM rsa_signing_keys LIMIT 1")
        .fetch_optional(tx.conn().await?)
        .await?;
    if exists.is_none() {
        sqlx::query(
            "INSERT INTO rsa_signing_keys (kid, private_der, created_at) VALUES ($1, $2, $3)",
        )
        .bind(&key.kid)
        .bind(key.private_der.clone())
        .bind(now)
        .execute(tx.conn().await?)
        .await?;
    }
    Ok(())
}

pub async fn redirect_uris(db: &Db, app: AppId) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT uri FROM app_redirect_uris WHERE app_id = $1 ORDER BY uri")
        .bind(app.to_string())
        .fetch_all(&db.read)
        .await?;
    rows.iter().map(|r| r.try_get("uri")).collect()
}

pub async fn set_redirect_uris(
    tx: &mut Tx,
    app: AppId,
    uris: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM app_redirect_uris WHERE app_id = $1")
        .bind(app.to_string())
        .execute(tx.conn().await?)
        .await?;
    for u in uris {
        sqlx::query(
            "INSERT INTO app_redirect_uris (app_id, uri) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(app.to_string())
        .bind(u)
        .execute(tx.conn().await?)
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct ConsentRow {
    pub id: String,
    pub user_id: UserId,
    pub app_id: AppId,
    /// Space-separated, as OAuth writes scopes.
    pub scopes: String,
    pub granted_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

fn consent_from(r: &sqlx::any::AnyRow) -> Result<ConsentRow, sqlx::Error> {
    Ok(ConsentRow {
        id: r.try_get("id")?,
        user_id: parsed(r, "user_id")?,
        app_id: parsed(r, "app_id")?,
        scopes: r.try_get("scopes")?,
        granted_at: r.try_get("granted_at")?,
        expires_at: r.try_get("expires_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

pub async fn insert_consent(tx: &mut Tx, c: &ConsentRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO oauth_consents (id, user_id, app_id, scopes, granted_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&c.id)
    .bind(c.user_id.to_string())
    .bind(c.app_id.to_string())
    .bind(&c.scopes)
    .bind(c.granted_at)
    .bind(c.expires_at)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

/// The user's consents still in force, newest first.
pub async fn consents_of(db: &Db, user: UserId, now: i64) -> Result<Vec<ConsentRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT * FROM oauth_consents WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
         ORDER BY granted_at DESC",
    )
    .bind(user.to_string())
    .bind(now)
    .fetch_all(&db.read)
    .await?;
    all(&rows, consent_from)
}

pub async fn consent(db: &Db, id: &str) -> Result<Option<ConsentRow>, sqlx::Error> {
    let row = sqlx::query("SELECT * FROM oauth_consents WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(consent_from).transpose()
}

/// Revokes a consent of the user and every refresh-token family it issued; false when it is
/// not theirs or already revoked.
pub async fn revoke_consent(
    tx: &mut Tx,
    user: UserId,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE oauth_consents SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(user.to_string())
    .execute(tx.conn().await?)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND family_id IN \
         (SELECT family_id FROM consent_token_families WHERE consent_id = $2)",
    )
    .bind(now)
    .bind(id)
    .execute(tx.conn().await?)
    .await?;
    Ok(true)
}

pub struct CodeRow {
    pub code_hash: String,
    pub consent_id: String,
    pub app_id: AppId,
    pub user_id: UserId,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scopes: String,
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub family_id: Option<String>,
}

pub async fn insert_code(tx: &mut Tx, c: &CodeRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO authorization_codes (code_hash, consent_id, app_id, user_id, redirect_uri, \
         code_challenge, scopes, nonce, auth_time, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&c.code_hash)
    .bind(&c.consent_id)
    .bind(c.app_id.to_string())
    .bind(c.user_id.to_string())
    .bind(&c.redirect_uri)
    .bind(&c.code_challenge)
    .bind(&c.scopes)
    .bind(c.nonce.clone())
    .bind(c.auth_time)
    .bind(c.expires_at)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

pub async fn code_for_update(tx: &mut Tx, hash: &str) -> Result<Option<CodeRow>, sqlx::Error> {
    let sql = format!(
        "SELECT * FROM authorization_codes WHERE code_hash = $1{}",
        tx.backend.for_update()
    );
    let row = sqlx::query(&sql)
        .bind(hash)
        .fetch_optional(tx.conn().await?)
        .await?;
    row.map(|r| {
        Ok(CodeRow {
            code_hash: r.try_get("code_hash")?,
            consent_id: r.try_get("consent_id")?,
            app_id: parsed(&r, "app_id")?,
            user_id: parsed(&r, "user_id")?,
            redirect_uri: r.try_get("redirect_uri")?,
            code_challenge: r.try_get("code_challenge")?,
            scopes: r.try_get("scopes")?,
            nonce: r.try_get("nonce")?,
            auth_time: r.try_get("auth_time")?,
            expires_at: r.try_get("expires_at")?,
            used_at: r.try_get("used_at")?,
            family_id: r.try_get("family_id")?,
        })
    })
    .transpose()
}

/// Spends a code: false when someone spent it first.
pub async fn spend_code(
    tx: &mut Tx,
    hash: &str,
    family: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE authorization_codes SET used_at = $1, family_id = $2 WHERE code_hash = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(family)
    .bind(hash)
    .execute(tx.conn().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn link_family(tx: &mut Tx, family: &str, consent: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO consent_token_families (family_id, consent_id) VALUES ($1, $2)")
        .bind(family)
        .bind(consent)
        .execute(tx.conn().await?)
        .await?;
    Ok(())
}

/// The consent a refresh token's family came from, if any: (revoked_at, expires_at).
pub async fn consent_of_refresh(
    db: &Db,
    token_hash: &str,
) -> Result<Option<(Option<i64>, i64)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT c.revoked_at, c.expires_at FROM refresh_tokens t \
         JOIN consent_token_families f ON f.family_id = t.family_id \
         JOIN oauth_consents c ON c.id = f.consent_id WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&db.read)
    .await?;
    row.map(|r| Ok((r.try_get("revoked_at")?, r.try_get("expires_at")?)))
        .transpose()
}

/// When the session's user signed in (the session row was written at sign-in).
pub async fn session_started(db: &Db, token_hash: &str) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query("SELECT created_at FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(&db.read)
        .await?;
    row.map(|r| r.try_get("created_at")).transpose()
}
