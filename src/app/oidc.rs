//! Sign-in for integrators: the OpenID Connect authorization-code flow with PKCE (S256 only).
//! A partner's registered application sends a user to the portal's consent page; the user's
//! consent is stored (revocable); the single-use, short-lived code is bound to the
//! application, the exact registered redirect address and the PKCE challenge; the token
//! endpoint trades it for an access token, a refresh token (`offline_access`) and an RS256 id
//! token. Id tokens are RS256 because OpenID Connect requires that every provider offer it;
//! access tokens stay EdDSA.

use super::audit::{record, Change};
use super::{oauth, App, Ctx};
use crate::app::store::identity::UserRow;
use crate::app::store::oidc::{self as repo, CodeRow, ConsentRow};
use crate::app::store::tokens::{self, AppRow};
use crate::crypto;
use crate::domain::audit::Operation;
use crate::domain::ids::{AppId, UserId};
use crate::domain::{Error, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};

/// Codes live one minute: the client trades them at once.
const CODE_TTL_MS: i64 = 60_000;

/// The scopes an application may ask for, with what each lets it do (shown on the consent page).
pub const SCOPES: &[(&str, &str)] = &[
    ("openid", "oidc.scope.openid"),
    ("profile", "oidc.scope.profile"),
    ("email", "oidc.scope.email"),
    ("offline_access", "oidc.scope.offline_access"),
];

/// The RS256 key that signs id tokens, made on first use and kept in the database.
pub struct RsaKey {
    pub kid: String,
    encoding: EncodingKey,
    pub decoding: DecodingKey,
    pub jwk: serde_json::Value,
}

/// The RS256 key, loaded or generated once per process (generation takes a moment, so it
/// happens when the first id token or key set is asked for, not at every start).
pub async fn rsa_key(app: &App) -> Result<&RsaKey> {
    app.keys
        .rsa
        .get_or_try_init(|| async {
            let mut stored = repo::rsa_keys(&app.db).await?;
            if stored.is_empty() {
                let der = tokio::task::spawn_blocking(generate_rsa)
                    .await
                    .map_err(|e| Error::Internal(e.into()))??;
                let key = repo::RsaKeyRow {
                    kid: uuid::Uuid::now_v7().simple().to_string(),
                    private_der: der,
                };
                let mut tx = app.db.begin().await?;
                repo::insert_rsa_key_if_none(&mut tx, &key, app.clock.now_ms()).await?;
                tx.commit().await?;
                stored = repo::rsa_keys(&app.db).await?;
            }
            let k = stored.first().ok_or(Error::NotFound("signing key"))?;
            rsa_from(k).map_err(Error::Internal)
        })
        .await
}

fn generate_rsa() -> Result<Vec<u8>> {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
        .map_err(|e| Error::Internal(e.into()))?;
    Ok(key
        .to_pkcs1_der()
        .map_err(|e| Error::Internal(anyhow::anyhow!("{e}")))?
        .as_bytes()
        .to_vec())
}

fn rsa_from(row: &repo::RsaKeyRow) -> anyhow::Result<RsaKey> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    let key = rsa::RsaPrivateKey::from_pkcs1_der(&row.private_der)
        .map_err(|e| anyhow::anyhow!("stored RSA key: {e}"))?;
    let n = B64.encode(key.n().to_bytes_be());
    let e = B64.encode(key.e().to_bytes_be());
    Ok(RsaKey {
        kid: row.kid.clone(),
        encoding: EncodingKey::from_rsa_der(&row.private_der),
        decoding: DecodingKey::from_rsa_components(&n, &e)?,
        jwk: serde_json::json!({
            "kty": "RSA", "n": n, "e": e, "kid": row.kid, "alg": "RS256", "use": "sig"
        }),
    })
}

/// What an application asks for, checked: the page shows it and the form carries it back.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AuthorizeRequest {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
}

/// A checked request.
pub struct Authorization {
    pub client: AppRow,
    /// The organisation that registered the application.
    pub organisation: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
}

/// Why a request is refused: before the redirect address is known to be the application's,
/// the refusal is shown to the user; after, it goes back to the application.
#[derive(Debug)]
pub enum AuthorizeError {
    Show(String),
    Redirect {
        uri: String,
        error: &'static str,
        description: String,
        state: Option<String>,
    },
}

impl AuthorizeError {
    /// The address the browser is sent to, for `Redirect`.
    pub fn location(&self) -> Option<String> {
        match self {
            AuthorizeError::Show(_) => None,
            AuthorizeError::Redirect {
                uri,
                error,
                description,
                state,
            } => Some(with_query(
                uri,
                &[
                    ("error", Some(error)),
                    ("error_description", Some(description)),
                    ("state", state.as_deref()),
                ],
            )),
        }
    }
}

fn with_query(uri: &str, pairs: &[(&str, Option<&str>)]) -> String {
    let q = serde_urlencoded::to_string(
        pairs
            .iter()
            .filter_map(|(k, v)| v.map(|v| (*k, v)))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{q}")
}

pub async fn check(
    app: &App,
    req: &AuthorizeRequest,
) -> std::result::Result<Authorization, AuthorizeError> {
    let show = |m: &str| AuthorizeError::Show(m.to_string());
    let id: AppId = req
        .client_id
        .as_deref()
        .and_then(|c| c.trim().parse().ok())
        .ok_or_else(|| show("the application is not known"))?;
    let client = tokens::app(&app.db, id)
        .await
        .map_err(|_| show("the application could not be read"))?
        .filter(|a| !a.disabled)
        .ok_or_else(|| show("the application is not known or is turned off"))?;
    let registered = repo::redirect_uris(&app.db, id)
        .await
        .map_err(|_| show("the application could not be read"))?;
    let redirect_uri = req
        .redirect_uri
        .clone()
        .filter(|u| registered.contains(u))
        .ok_or_else(|| show("the redirect_uri is not one the application registered"))?;
    let refuse = |error, description: &str| AuthorizeError::Redirect {
        uri: redirect_uri.clone(),
        error,
        description: description.to_string(),
        state: req.state.clone(),
    };
    if req.response_type.as_deref() != Some("code") {
        return Err(refuse(
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    let challenge = req.code_challenge.clone().unwrap_or_default();
    if req.code_challenge_method.as_deref() != Some("S256")
        || challenge.len() != 43
        || B64.decode(&challenge).is_err()
    {
        return Err(refuse(
            "invalid_request",
            "PKCE is required: code_challenge (43 characters) with code_challenge_method=S256",
        ));
    }
    let scopes: Vec<String> = req
        .scope
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if !scopes.iter().any(|s| s == "openid") {
        return Err(refuse("invalid_scope", "the openid scope is required"));
    }
    if let Some(s) = scopes.iter().find(|s| !SCOPES.iter().any(|(k, _)| k == s)) {
        return Err(refuse(
            "invalid_scope",
            &format!("the scope {s:?} is not offered"),
        ));
    }
    if req.state.as_deref().is_some_and(|s| s.len() > 1024)
        || req.nonce.as_deref().is_some_and(|n| n.len() > 1024)
    {
        return Err(refuse(
            "invalid_request",
            "state and nonce are limited to 1024 characters",
        ));
    }
    let organisation = crate::app::store::identity::tenant(&app.db, client.tenant_id)
        .await
        .ok()
        .flatten()
        .map(|t| t.display_name)
        .unwrap_or_default();
    let mut unique = Vec::new();
    for s in scopes {
        if !unique.contains(&s) {
            unique.push(s);
        }
    }
    Ok(Authorization {
        client,
        organisation,
        redirect_uri,
        scopes: unique,
        state: req.state.clone(),
        nonce: req.nonce.clone(),
        code_challenge: challenge,
    })
}

/// How long a consent given now lasts: as long as a refresh token.
pub fn consent_expiry(app: &App) -> i64 {
    app.clock.now_ms() + app.config.refresh_token_ttl_days * crate::clock::DAY_MS
}

/// The user's consent in force for this application that covers every scope asked, if any.
pub async fn standing_consent(
    app: &App,
    user: UserId,
    a: &Authorization,
) -> Result<Option<ConsentRow>> {
    let now = app.clock.now_ms();
    Ok(repo::consents_of(&app.db, user, now)
        .await?
        .into_iter()
        .find(|c| {
            c.app_id == a.client.id && a.scopes.iter().all(|s| c.scopes.split(' ').any(|x| x == s))
        }))
}

/// The user approved (or had approved): stores the consent if new and answers the address
/// that carries the code back to the application.
pub async fn approve(
    app: &App,
    ctx: &Ctx,
    user: &UserRow,
    session_hash: &str,
    a: &Authorization,
) -> Result<String> {
    let now = app.clock.now_ms();
    let standing = standing_consent(app, user.id, a).await?;
    let auth_time = repo::session_started(&app.db, session_hash)
        .await?
        .unwrap_or(now)
        / 1000;
    let mut tx = app.db.begin().await?;
    let consent_id = match standing {
        Some(c) => c.id,
        None => {
            let c = ConsentRow {
                id: uuid::Uuid::now_v7().to_string(),
                user_id: user.id,
                app_id: a.client.id,
                scopes: a.scopes.join(" "),
                granted_at: now,
                expires_at: consent_expiry(app),
                revoked_at: None,
            };
            repo::insert_consent(&mut tx, &c).await?;
            audit_consent(&mut tx, ctx, &c, Operation::GrantConsent, now).await?;
            c.id
        }
    };
    let code = crypto::random_token(32);
    repo::insert_code(
        &mut tx,
        &CodeRow {
            code_hash: crypto::token_hash(&code),
            consent_id,
            app_id: a.client.id,
            user_id: user.id,
            redirect_uri: a.redirect_uri.clone(),
            code_challenge: a.code_challenge.clone(),
            scopes: a.scopes.join(" "),
            nonce: a.nonce.clone(),
            auth_time,
            expires_at: now + CODE_TTL_MS,
            used_at: None,
            family_id: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(with_query(
        &a.redirect_uri,
        &[("code", Some(&code)), ("state", a.state.as_deref())],
    ))
}

/// The user said no: the application hears `access_denied`.
pub fn deny(a: &Authorization) -> String {
    AuthorizeError::Redirect {
        uri: a.redirect_uri.clone(),
        error: "access_denied",
        description: "the user did not give consent".into(),
        state: a.state.clone(),
    }
    .location()
    .unwrap_or_default()
}

/// Why a code was not traded.
#[derive(Debug)]
pub enum GrantError {
    InvalidClient(String),
    InvalidGrant(String),
    Other(Error),
}

impl From<Error> for GrantError {
    fn from(e: Error) -> Self {
        GrantError::Other(e)
    }
}

impl From<sqlx::Error> for GrantError {
    fn from(e: sqlx::Error) -> Self {
        GrantError::Other(e.into())
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CodeTokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub id_token: String,
    pub scope: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub azp: String,
    pub tid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Checks the application's secret (every registered application is a confidential client).
pub async fn authenticate_client(
    app: &App,
    client_id: &str,
    secret: &str,
) -> std::result::Result<AppRow, GrantError> {
    let invalid = || GrantError::InvalidClient("the client id or secret is not correct".into());
    let id: AppId = client_id.trim().parse().map_err(|_| invalid())?;
    let reg = tokens::app(&app.db, id).await?.ok_or_else(invalid)?;
    if reg.disabled || !crypto::same_secret(&crypto::token_hash(secret.trim()), &reg.secret_hash) {
        return Err(invalid());
    }
    Ok(reg)
}

/// Trades a code for tokens. A code used twice means it leaked: the refresh tokens issued
/// from its first use are revoked.
pub async fn exchange_code(
    app: &App,
    client: &AppRow,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> std::result::Result<CodeTokenResponse, GrantError> {
    let invalid = |m: &str| GrantError::InvalidGrant(m.to_string());
    let key = rsa_key(app).await?;
    let hash = crypto::token_hash(code.trim());
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let Some(c) = repo::code_for_update(&mut tx, &hash).await? else {
        return Err(invalid("the authorization code is not valid"));
    };
    if c.used_at.is_some() {
        if let Some(f) = &c.family_id {
            tokens::revoke_family(&mut tx, f, now).await?;
        }
        tx.commit().await?;
        tracing::warn!(app = %c.app_id, "authorization code reuse; its tokens revoked");
        return Err(invalid("the authorization code was already used"));
    }
    if c.expires_at <= now {
        return Err(invalid("the authorization code has expired"));
    }
    if c.app_id != client.id {
        return Err(invalid(
            "the authorization code was issued to another application",
        ));
    }
    if c.redirect_uri != redirect_uri {
        return Err(invalid(
            "redirect_uri differs from the one the code was issued for",
        ));
    }
    let computed = B64.encode(crypto_sha256(verifier.as_bytes()));
    if !(43..=128).contains(&verifier.len()) || !crypto::same_secret(&computed, &c.code_challenge) {
        return Err(invalid(
            "the code_verifier does not match the code_challenge",
        ));
    }
    let consent = repo::consent(&app.db, &c.consent_id).await?;
    if !consent.is_some_and(|k| k.revoked_at.is_none() && k.expires_at > now) {
        return Err(invalid("the consent behind this code was revoked"));
    }
    let Some((_, user)) = super::identity::actor_for_user(app, c.user_id).await? else {
        return Err(invalid("the user can no longer sign in"));
    };
    let family = uuid::Uuid::now_v7().to_string();
    if !repo::spend_code(&mut tx, &hash, &family, now).await? {
        return Err(invalid("the authorization code was already used"));
    }
    let ttl = app.config.access_token_ttl_secs.max(30);
    let access = oauth::mint_user_token(app, user.id, user.tenant_id, ttl)?;
    let scopes: Vec<&str> = c.scopes.split(' ').collect();
    let refresh = if scopes.contains(&"offline_access") {
        let r = crypto::random_token(32);
        let expires = now + app.config.refresh_token_ttl_days * crate::clock::DAY_MS;
        tokens::insert_refresh(
            &mut tx,
            &crypto::token_hash(&r),
            &family,
            user.id,
            now,
            expires,
        )
        .await?;
        repo::link_family(&mut tx, &family, &c.consent_id).await?;
        Some(r)
    } else {
        None
    };
    let iat = now / 1000;
    let profile = scopes.contains(&"profile");
    let claims = IdClaims {
        iss: app.config.public_url(),
        sub: user.id.to_string(),
        aud: client.id.to_string(),
        exp: iat + ttl,
        iat,
        auth_time: c.auth_time,
        nonce: c.nonce.clone(),
        azp: client.id.to_string(),
        tid: user.tenant_id.to_string(),
        name: profile.then(|| user.display_name.clone()),
        preferred_username: profile.then(|| user.upn.clone()),
        email: scopes.contains(&"email").then(|| user.upn.clone()),
    };
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    let id_token = jsonwebtoken::encode(&header, &claims, &key.encoding)
        .map_err(|e| GrantError::Other(Error::Internal(e.into())))?;
    tx.commit().await?;
    Ok(CodeTokenResponse {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: ttl,
        refresh_token: refresh,
        id_token,
        scope: c.scopes,
    })
}

fn crypto_sha256(data: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(data).to_vec()
}

/// A refresh token whose consent was revoked or ran out is refused (tokens from other grants
/// have no consent and pass).
pub async fn refresh_allowed(app: &App, refresh: &str) -> Result<bool> {
    let hash = crypto::token_hash(refresh.trim());
    Ok(match repo::consent_of_refresh(&app.db, &hash).await? {
        Some((revoked, expires)) => revoked.is_none() && expires > app.clock.now_ms(),
        None => true,
    })
}

/// The signed-in user's consents in force.
pub async fn my_consents(app: &App, ctx: &Ctx) -> Result<Vec<(ConsentRow, String)>> {
    let user = ctx
        .actor
        .user_id()
        .ok_or_else(|| Error::Forbidden("consents belong to users".into()))?;
    let mut out = Vec::new();
    for c in repo::consents_of(&app.db, user, app.clock.now_ms()).await? {
        let name = tokens::app(&app.db, c.app_id)
            .await?
            .map(|a| a.display_name)
            .unwrap_or_default();
        out.push((c, name));
    }
    Ok(out)
}

/// Revokes one of the user's consents: the refresh tokens it issued stop at once.
pub async fn revoke(app: &App, ctx: &Ctx, id: &str) -> Result<()> {
    let user = ctx
        .actor
        .user_id()
        .ok_or_else(|| Error::Forbidden("consents belong to users".into()))?;
    let c = repo::consent(&app.db, id)
        .await?
        .filter(|c| c.user_id == user && c.revoked_at.is_none())
        .ok_or(Error::NotFound("consent"))?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    if !repo::revoke_consent(&mut tx, user, id, now).await? {
        return Err(Error::NotFound("consent"));
    }
    audit_consent(&mut tx, ctx, &c, Operation::RevokeConsent, now).await?;
    tx.commit().await?;
    Ok(())
}

async fn audit_consent(
    tx: &mut crate::app::store::Tx,
    ctx: &Ctx,
    c: &ConsentRow,
    operation: Operation,
    now: i64,
) -> Result<()> {
    record(
        tx,
        Some(ctx),
        &ctx.actor.tenant.to_string(),
        Change {
            operation,
            resource_type: "consent",
            resource_id: c.id.clone(),
            old: None,
            new: Some(
                serde_json::json!({ "applicationId": c.app_id.to_string(), "scopes": c.scopes }),
            ),
            customer_id: None,
        },
        now,
    )
    .await?;
    Ok(())
}

/// The redirect addresses an application registered.
pub async fn redirect_uris(app: &App, ctx: &Ctx, id: AppId) -> Result<Vec<String>> {
    oauth::get_app(app, ctx, id).await?;
    Ok(repo::redirect_uris(&app.db, id).await?)
}

/// Replaces an application's redirect addresses: absolute `https` addresses, or `http` to the
/// local machine (native apps), without fragments; at most ten.
pub async fn set_redirect_uris(
    app: &App,
    ctx: &Ctx,
    id: AppId,
    uris: Vec<String>,
) -> Result<Vec<String>> {
    let reg = oauth::get_app(app, ctx, id).await?;
    if uris.len() > 10 {
        return Err(Error::field(
            "redirectUris",
            "at most 10 redirect addresses",
        ));
    }
    for u in &uris {
        let ok = url::Url::parse(u).ok().is_some_and(|p| {
            let local = matches!(p.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            p.fragment().is_none()
                && u.len() <= 2000
                && (p.scheme() == "https" || (p.scheme() == "http" && local))
        });
        if !ok {
            return Err(Error::field(
                "redirectUris",
                format!(
                    "{u:?} is not an https address (http only to localhost) without a fragment"
                ),
            ));
        }
    }
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    repo::set_redirect_uris(&mut tx, id, &uris).await?;
    record(
        &mut tx,
        Some(ctx),
        &ctx.actor.tenant.to_string(),
        Change {
            operation: Operation::SetApplicationRedirectUris,
            resource_type: "application",
            resource_id: reg.id.to_string(),
            old: None,
            new: Some(serde_json::json!({ "redirectUris": uris })),
            customer_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(repo::redirect_uris(&app.db, id).await?)
}
