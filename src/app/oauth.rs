//! OAuth 2.0 token issuance: password (automation), rotating refresh tokens whose reuse
//! revokes the whole family, and client credentials for app registrations. Access tokens are
//! short-lived EdDSA JWTs.

use super::audit::{record, Change};
use super::{App, Ctx};
use crate::app::store::identity::UserRow;
use crate::app::store::tokens::{self, AppRow};
use crate::crypto;
use crate::domain::audit::Operation;
use crate::domain::authz::{Action, Resource};
use crate::domain::identity::Role;
use crate::domain::ids::{AppId, UserId};
use crate::domain::{Error, Result};
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

pub const AUDIENCE: &str = "partnerhub";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// User id or app id.
    pub sub: String,
    /// The tenant the principal belongs to.
    pub tid: String,
    /// "user" or "app".
    pub kind: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

fn sign(app: &App, sub: String, tid: String, kind: &str) -> Result<(String, i64)> {
    let now = app.clock.now().timestamp();
    let ttl = app.config.access_token_ttl_secs.max(30);
    let claims = Claims {
        iss: app.config.public_url(),
        aud: AUDIENCE.into(),
        sub,
        tid,
        kind: kind.into(),
        iat: now,
        exp: now + ttl,
        jti: uuid::Uuid::new_v4().simple().to_string(),
    };
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(app.keys.kid.clone());
    let token = jsonwebtoken::encode(&header, &claims, &app.keys.encoding)
        .map_err(|e| Error::Internal(e.into()))?;
    Ok((token, ttl))
}

/// An access token for a user, signed with the server's key, without a sign-in: for the
/// benchmark runner, which needs thousands of tokens without spending an argon2 hash on each.
/// `ttl_secs` replaces the configured lifetime so a long run does not outlive its tokens.
pub fn mint_user_token(
    app: &App,
    user: UserId,
    tenant: crate::domain::ids::TenantId,
    ttl_secs: i64,
) -> Result<String> {
    let now = app.clock.now().timestamp();
    let claims = Claims {
        iss: app.config.public_url(),
        aud: AUDIENCE.into(),
        sub: user.to_string(),
        tid: tenant.to_string(),
        kind: "user".into(),
        iat: now,
        exp: now + ttl_secs,
        jti: uuid::Uuid::new_v4().simple().to_string(),
    };
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(app.keys.kid.clone());
    jsonwebtoken::encode(&header, &claims, &app.keys.encoding)
        .map_err(|e| Error::Internal(e.into()))
}

/// Checks signature, audience and expiry against the injected clock. A token's signature is
/// checked once and remembered (`token_cache`, keyed by the token's hash): the same bytes
/// verify the same way forever. Expiry is checked on every call, cached or not.
pub fn verify(app: &App, token: &str) -> Result<Claims> {
    if token.len() > 4096 {
        return Err(invalid_token());
    }
    let key = super::token_cache::VerifiedTokens::key(token);
    let claims = match app.verified_tokens.get(&key) {
        Some(c) => c,
        None => {
            let c = verify_signature(app, token)?;
            app.verified_tokens.insert(key, c.clone());
            c
        }
    };
    let now = app.clock.now().timestamp();
    if claims.exp <= now {
        return Err(Error::Unauthenticated(
            "the access token has expired".into(),
        ));
    }
    Ok(claims)
}

fn invalid_token() -> Error {
    Error::Unauthenticated("the access token is not valid".into())
}

/// The claims of a token signed by one of our keys for our audience (expiry not checked).
fn verify_signature(app: &App, token: &str) -> Result<Claims> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| invalid_token())?;
    if header.alg != Algorithm::EdDSA {
        return Err(invalid_token());
    }
    let key = app
        .keys
        .decoding
        .iter()
        .find(|(kid, _)| header.kid.as_deref() == Some(kid.as_str()))
        .map(|(_, k)| k)
        .ok_or_else(invalid_token)?;
    let mut v = Validation::new(Algorithm::EdDSA);
    v.set_audience(&[AUDIENCE]);
    // Expiry is checked by `verify` against the injected clock, not the system time.
    v.validate_exp = false;
    v.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(token, key, &v).map_err(|_| invalid_token())?;
    Ok(data.claims)
}

async fn issue_for_user(
    app: &App,
    user: &UserRow,
    family: Option<String>,
) -> Result<TokenResponse> {
    ensure_mfa_set_up(app, user).await?;
    let pair = new_pair(app, user, family)?;
    let mut tx = app.db.begin().await?;
    tokens::insert_refresh(&mut tx, &pair.1, &pair.2, user.id, pair.3, pair.4).await?;
    tx.commit().await?;
    Ok(pair.0)
}

async fn ensure_mfa_set_up(app: &App, user: &UserRow) -> Result<()> {
    if super::identity::mfa_setup_needed(app, user).await? {
        return Err(Error::Forbidden(format!(
            "two-step verification is required for this account: set it up in the portal at \
             {}/portal/mfa, then sign in again with mfa_code",
            app.config.public_url()
        )));
    }
    Ok(())
}

/// A signed access token and a new refresh token: (response, refresh hash, family, now,
/// expiry). The caller stores the refresh token in its own transaction.
fn new_pair(
    app: &App,
    user: &UserRow,
    family: Option<String>,
) -> Result<(TokenResponse, String, String, i64, i64)> {
    let (access, ttl) = sign(app, user.id.to_string(), user.tenant_id.to_string(), "user")?;
    let refresh = crypto::random_token(32);
    let now = app.clock.now_ms();
    let expires = now + app.config.refresh_token_ttl_days * crate::clock::DAY_MS;
    let family = family.unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    Ok((
        TokenResponse {
            access_token: access,
            token_type: "Bearer".into(),
            expires_in: ttl,
            refresh_token: Some(refresh.clone()),
        },
        crypto::token_hash(&refresh),
        family,
        now,
        expires,
    ))
}

pub async fn password_grant(
    app: &App,
    username: &str,
    password: &str,
    mfa_code: Option<&str>,
    client: &str,
) -> Result<TokenResponse> {
    if app.config.disable_password_grant {
        return Err(Error::Forbidden(
            "the password grant is turned off on this server".into(),
        ));
    }
    let user = super::identity::authenticate(app, username, password, client).await?;
    if user.totp_secret.is_some() {
        let Some(code) = mfa_code.filter(|c| !c.trim().is_empty()) else {
            return Err(Error::Unauthenticated(
                "a valid mfa_code is required for this user".into(),
            ));
        };
        super::mfa::verify(app, &user, code).await?;
    }
    issue_for_user(app, &user, None).await
}

/// Exchanges a refresh token for a new pair. A token used twice means it leaked: the whole
/// family is revoked and both holders must sign in again.
///
/// The old token is spent and the new one stored in one transaction that holds the old
/// token's row: a concurrent second use waits, then sees the token spent and revokes the
/// family, new token included. (Before, the new token was stored after the commit and could
/// land after the revocation, leaving the winner a live family.)
pub async fn refresh_grant(app: &App, refresh: &str) -> Result<TokenResponse> {
    let invalid = || Error::Unauthenticated("the refresh token is not valid".into());
    let hash = crypto::token_hash(refresh.trim());
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let Some(rt) = tokens::refresh_for_update(&mut tx, &hash).await? else {
        return Err(invalid());
    };
    if rt.revoked_at.is_some() || rt.expires_at <= now {
        return Err(invalid());
    }
    if rt.used_at.is_some() || !tokens::spend_refresh(&mut tx, &hash, now).await? {
        tokens::revoke_family(&mut tx, &rt.family_id, now).await?;
        tx.commit().await?;
        tracing::warn!(family = %rt.family_id, "refresh token reuse; family revoked");
        return Err(invalid());
    }
    // The user must still exist, be active and meet the two-step rule.
    let Some((_, user)) = super::identity::actor_for_user(app, rt.user_id).await? else {
        return Err(invalid());
    };
    ensure_mfa_set_up(app, &user).await?;
    let (resp, new_hash, family, at, expires) = new_pair(app, &user, Some(rt.family_id))?;
    tokens::insert_refresh(&mut tx, &new_hash, &family, user.id, at, expires).await?;
    tx.commit().await?;
    Ok(resp)
}

pub async fn client_credentials(app: &App, client_id: &str, secret: &str) -> Result<TokenResponse> {
    let invalid = || Error::Unauthenticated("the client id or secret is not correct".into());
    let id: AppId = client_id.trim().parse().map_err(|_| invalid())?;
    let reg = tokens::app(&app.db, id).await?.ok_or_else(invalid)?;
    if reg.disabled || !crypto::same_secret(&crypto::token_hash(secret.trim()), &reg.secret_hash) {
        return Err(invalid());
    }
    // An application whose registrar left or lost every role it had no longer signs in.
    if super::identity::actor_for_app(app, id).await?.is_none() {
        return Err(invalid());
    }
    let (access, ttl) = sign(app, reg.id.to_string(), reg.tenant_id.to_string(), "app")?;
    Ok(TokenResponse {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: ttl,
        refresh_token: None,
    })
}

/// Registers an application for the caller's tenant; the secret is returned once.
pub async fn register_app(
    app: &App,
    ctx: &Ctx,
    display_name: &str,
    roles: Vec<Role>,
) -> Result<(AppRow, String)> {
    ctx.require(Action::ManageApps, Resource::Tenant(ctx.actor.tenant))?;
    let name = display_name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(Error::field(
            "displayName",
            "a name of 1 to 120 characters is required",
        ));
    }
    // An application carries at most the roles of the person who registers it.
    for r in &roles {
        if r.is_directory_role() || *r == Role::OperatorAdmin || !ctx.actor.has(*r) {
            return Err(Error::field(
                "roles",
                format!(
                    "an application cannot be given {}: it may hold only partner roles you hold",
                    r.as_str()
                ),
            ));
        }
    }
    let secret = crypto::random_token(32);
    let now = app.clock.now_ms();
    let reg = AppRow {
        id: AppId::new(),
        tenant_id: ctx.actor.tenant,
        display_name: name.to_string(),
        secret_hash: crypto::token_hash(&secret),
        roles,
        created_at: now,
        disabled: false,
        created_by: ctx.actor.user_id(),
    };
    let creator: UserId = ctx.actor.user_id().expect("ManageApps requires a user");
    let mut tx = app.db.begin().await?;
    tokens::insert_app(&mut tx, &reg, creator).await?;
    record(
        &mut tx,
        Some(ctx),
        &ctx.actor.tenant.to_string(),
        Change {
            operation: Operation::RegisterApplication,
            resource_type: "application",
            resource_id: reg.id.to_string(),
            old: None,
            new: Some(serde_json::json!({ "displayName": reg.display_name, "roles": reg.roles })),
            customer_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((reg, secret))
}

/// The applications of the caller's organisation.
pub async fn list_apps(app: &App, ctx: &Ctx) -> Result<Vec<AppRow>> {
    ctx.require(Action::ManageApps, Resource::Tenant(ctx.actor.tenant))?;
    Ok(tokens::apps_of(&app.db, ctx.actor.tenant).await?)
}

/// One application of the caller's organisation; another organisation's is "not found".
pub async fn get_app(app: &App, ctx: &Ctx, id: AppId) -> Result<AppRow> {
    ctx.require(Action::ManageApps, Resource::Tenant(ctx.actor.tenant))?;
    tokens::app(&app.db, id)
        .await?
        .filter(|a| a.tenant_id == ctx.actor.tenant)
        .ok_or(Error::NotFound("application"))
}

/// What an administrator does to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppChange {
    Enable,
    Disable,
    Delete,
}

/// Turns an application on or off, or deletes it; its tokens stop working at the next
/// request because the actor is rebuilt every time.
pub async fn change_app(app: &App, ctx: &Ctx, id: AppId, change: AppChange) -> Result<()> {
    let reg = get_app(app, ctx, id).await?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let tenant = ctx.actor.tenant;
    let done = match change {
        AppChange::Enable => tokens::set_app_disabled(&mut tx, tenant, id, None).await?,
        AppChange::Disable => tokens::set_app_disabled(&mut tx, tenant, id, Some(now)).await?,
        AppChange::Delete => tokens::delete_app(&mut tx, tenant, id).await?,
    };
    if !done {
        return Err(Error::NotFound("application"));
    }
    let operation = match change {
        AppChange::Enable => Operation::EnableApplication,
        AppChange::Disable => Operation::DisableApplication,
        AppChange::Delete => Operation::DeleteApplication,
    };
    audit_app(&mut tx, ctx, &reg, operation, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Gives an application a new secret (returned once); the old one stops working at once.
pub async fn rotate_app_secret(app: &App, ctx: &Ctx, id: AppId) -> Result<(AppRow, String)> {
    let mut reg = get_app(app, ctx, id).await?;
    let secret = crypto::random_token(32);
    reg.secret_hash = crypto::token_hash(&secret);
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    if !tokens::set_app_secret(&mut tx, ctx.actor.tenant, id, &reg.secret_hash).await? {
        return Err(Error::NotFound("application"));
    }
    audit_app(&mut tx, ctx, &reg, Operation::RotateApplicationSecret, now).await?;
    tx.commit().await?;
    Ok((reg, secret))
}

async fn audit_app(
    tx: &mut crate::app::store::Tx,
    ctx: &Ctx,
    reg: &AppRow,
    operation: Operation,
    now: i64,
) -> Result<()> {
    record(
        tx,
        Some(ctx),
        &ctx.actor.tenant.to_string(),
        Change {
            operation,
            resource_type: "application",
            resource_id: reg.id.to_string(),
            old: None,
            new: Some(serde_json::json!({ "displayName": reg.display_name })),
            customer_id: None,
        },
        now,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::config::Config;
    use crate::domain::ids::TenantId;

    async fn app(dir: &tempfile::TempDir) -> App {
        let mut config = Config::defaults();
        config.database_url = format!("sqlite:{}", dir.path().join("t.db").display());
        App::start(config, Clock::system()).await.unwrap()
    }

    fn token(app: &App, ttl: i64) -> String {
        let user = UserId(uuid::Uuid::now_v7());
        let tenant = TenantId(uuid::Uuid::now_v7());
        mint_user_token(app, user, tenant, ttl).unwrap()
    }

    /// Replaces one character of the token's part `part` (0 header, 1 claims, 2 signature).
    fn tampered(token: &str, part: usize) -> String {
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        let p = &mut parts[part];
        let i = p.len() / 2;
        let c = if &p[i..i + 1] == "A" { "B" } else { "A" };
        p.replace_range(i..i + 1, c);
        parts.join(".")
    }

    #[tokio::test]
    async fn a_tampered_token_is_refused_although_the_original_is_cached() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(&dir).await;
        let good = token(&app, 600);
        let claims = verify(&app, &good).unwrap();
        assert_eq!(
            app.verified_tokens.len(),
            1,
            "the verified token is remembered"
        );
        assert_eq!(verify(&app, &good).unwrap().sub, claims.sub);
        for part in [1, 2] {
            let bad = tampered(&good, part);
            assert_ne!(bad, good);
            assert!(
                matches!(verify(&app, &bad), Err(Error::Unauthenticated(_))),
                "part {part} changed"
            );
        }
        assert_eq!(
            app.verified_tokens.len(),
            1,
            "refused tokens are not remembered"
        );
    }

    #[tokio::test]
    async fn an_expired_token_is_refused_although_its_signature_is_cached() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(&dir).await;
        let t = token(&app, 60);
        verify(&app, &t).unwrap();
        verify(&app, &t).unwrap();
        assert_eq!(app.verified_tokens.len(), 1);
        app.clock.advance(chrono::Duration::seconds(61));
        match verify(&app, &t) {
            Err(Error::Unauthenticated(m)) => assert!(m.contains("expired"), "{m}"),
            other => panic!("an expired token was accepted: {other:?}"),
        }
    }
}
