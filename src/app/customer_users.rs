//! A customer's users and directory roles, administered by the customer or by a partner
//! through a delegated-admin grant. Deleted users stay inactive for 30 days, restorable,
//! then are purged.

use super::audit::{record, Change};
use super::customers::authorized;
use super::identity::{keep_last_global_admin, require_act_on};
use super::{App, Ctx};
use crate::app::store::identity::{self as ids, UserRow};
use crate::app::store::tokens;
use crate::crypto;
use crate::domain::audit::Operation;
use crate::domain::authz::{self, Action, UserOp, Via};
use crate::domain::customer::{CustomerFacts, GrantRole};
use crate::domain::error::Checks;
use crate::domain::identity::{Email, Password, Role, UserState};
use crate::domain::ids::UserId;
use crate::domain::{Error, Result};
use std::collections::BTreeSet;

pub const RETENTION_DAYS: i64 = 30;

/// The customer directory roles partners manage through `/directoryroles`.
pub const DIRECTORY_ROLES: [(GrantRole, Role); 3] = [
    (GrantRole::GlobalAdministrator, Role::GlobalAdministrator),
    (GrantRole::UserAdministrator, Role::UserAdministrator),
    (
        GrantRole::HelpdeskAdministrator,
        Role::HelpdeskAdministrator,
    ),
];

pub fn role_by_id(role_id: &str) -> Result<Role> {
    DIRECTORY_ROLES
        .iter()
        .find(|(g, _)| g.role_id() == role_id)
        .map(|(_, r)| *r)
        .ok_or(Error::NotFound("directory role"))
}

async fn audit(
    app: &App,
    tx: &mut crate::app::store::Tx,
    ctx: &Ctx,
    customer: &str,
    op: Operation,
    user: &UserRow,
    new: serde_json::Value,
) -> Result<()> {
    let now = app.clock.now_ms();
    // The customer's log and the acting partner's log both show it.
    let mut orgs = vec![customer.to_string()];
    if ctx.actor.tenant.to_string() != customer {
        orgs.push(ctx.actor.tenant.to_string());
    }
    for org in orgs {
        record(
            tx,
            Some(ctx),
            &org,
            Change {
                operation: op,
                resource_type: "customer_user",
                resource_id: user.id.to_string(),
                old: None,
                new: Some(new.clone()),
                customer_id: Some(customer.to_string()),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

pub async fn list(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    after: Option<(&str, &str)>,
    limit: u32,
) -> Result<(Vec<UserRow>, i64)> {
    let (t, _) = authorized(app, ctx, customer_id, Action::ReadCustomerUsers).await?;
    Ok(ids::users_page(&app.db, t.id, after, limit).await?)
}

pub async fn get(app: &App, ctx: &Ctx, customer_id: &str, user_id: &str) -> Result<UserRow> {
    let (t, _) = authorized(app, ctx, customer_id, Action::ReadCustomerUsers).await?;
    let id = UserId::named(user_id)?;
    ids::user(&app.db, id)
        .await?
        .filter(|u| u.tenant_id == t.id)
        .ok_or(Error::NotFound("user"))
}

/// The directory roles a customer's user holds.
pub async fn roles_of(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    user_id: &str,
) -> Result<Vec<(GrantRole, Role)>> {
    let user = get(app, ctx, customer_id, user_id).await?;
    let held = ids::roles(&app.db, user.id).await?;
    Ok(DIRECTORY_ROLES
        .into_iter()
        .filter(|(_, r)| held.contains(r))
        .collect())
}

pub struct NewCustomerUser {
    pub upn: String,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
    pub password: Option<String>,
    /// Two-letter country where the user's services are used.
    pub usage_location: Option<String>,
}

pub async fn create(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    n: NewCustomerUser,
) -> Result<(UserRow, String)> {
    let (t, _) = authorized(app, ctx, customer_id, Action::ManageCustomerUsers).await?;
    let domains = super::customer_domains::sign_in_domains(app, &t).await?;
    let mut checks = Checks::new();
    let upn = checks.parse(Email::parse("userPrincipalName", &n.upn));
    if let Some(u) = &upn {
        checks.check(
            domains.iter().any(|d| d == u.domain()),
            "userPrincipalName",
            &format!(
                "the sign-in name must end with @{} or a verified domain of the directory",
                t.domain
            ),
        );
    }
    checks.check(
        !n.display_name.trim().is_empty(),
        "displayName",
        "a display name is required",
    );
    let usage_location = usage_location(&mut checks, n.usage_location.as_deref());
    let password = match &n.password {
        Some(p) => checks
            .parse(Password::parse("passwordProfile.password", p))
            .map(|p| p.expose().to_string()),
        None => Some(super::identity::temporary_password()),
    };
    checks.finish()?;
    let password = password.expect("validated");
    let now = app.clock.now_ms();
    let user = UserRow {
        id: UserId::new(),
        tenant_id: t.id,
        upn: upn.expect("validated").to_string(),
        display_name: n.display_name.trim().into(),
        first_name: n.first_name.trim().into(),
        last_name: n.last_name.trim().into(),
        password_hash: crypto::hash_password_blocking(password.clone()).await,
        totp_secret: None,
        state: UserState::Active,
        language: "en-US".into(),
        usage_location: usage_location.flatten(),
        created_at: now,
        version: 1,
    };
    let mut tx = app.db.begin().await?;
    match ids::insert_user(&mut tx, &user, &[]).await {
        Err(e) if crate::app::store::is_unique_violation(&e) => {
            return Err(Error::field(
                "userPrincipalName",
                "this sign-in name is already in use",
            ))
        }
        r => r?,
    }
    audit(
        app,
        &mut tx,
        ctx,
        &t.id.to_string(),
        Operation::CreateCustomerUser,
        &user,
        serde_json::json!({ "upn": user.upn }),
    )
    .await?;
    tx.commit().await?;
    Ok((user, password))
}

#[derive(Debug, Default)]
pub struct Patch {
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `active` restores a deleted user within the retention period.
    pub state: Option<String>,
    pub new_password: Option<String>,
    /// A two-letter country; empty clears it.
    pub usage_location: Option<String>,
}

pub async fn update(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    user_id: &str,
    p: Patch,
) -> Result<UserRow> {
    let only_password = p.display_name.is_none()
        && p.first_name.is_none()
        && p.last_name.is_none()
        && p.state.is_none()
        && p.usage_location.is_none();
    let action = if only_password {
        Action::ResetCustomerPassword
    } else {
        Action::ManageCustomerUsers
    };
    let (t, f) = authorized(app, ctx, customer_id, action).await?;
    let id = UserId::named(user_id)?;
    // The new password is hashed before the transaction: Argon2 takes tens of milliseconds,
    // and the writer (on SQLite the single one, with other transactions grouped behind it)
    // must not wait for it. A refusal is still reported where it was, after the checks below.
    let new_hash = match p.new_password.as_deref() {
        Some(pw) => Some(match Password::parse("passwordProfile.password", pw) {
            Ok(pw) => Ok(crypto::hash_password_blocking(pw.expose().to_string()).await),
            Err(f) => Err(Error::Validation(vec![f])),
        }),
        None => None,
    };
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let mut u = ids::user_in_tx(&mut tx, id)
        .await?
        .filter(|u| u.tenant_id == t.id)
        .ok_or(Error::NotFound("user"))?;
    let held = held_roles(&mut tx, id).await?;
    if p.new_password.is_some() {
        require_act_on(ctx, via(ctx, &f), UserOp::ResetPassword, id, &held)?;
    }
    let disabling = p.state.as_deref() == Some("inactive") && u.state != UserState::Inactive;
    if disabling {
        require_act_on(ctx, via(ctx, &f), UserOp::Disable, id, &held)?;
    }
    keep_last_global_admin(
        &mut tx,
        t.id,
        disabling && held.contains(&Role::GlobalAdministrator),
    )
    .await?;
    let version = u.version;
    if let Some(d) = p.display_name {
        if d.trim().is_empty() {
            return Err(Error::field("displayName", "a display name is required"));
        }
        u.display_name = d.trim().into();
    }
    if let Some(f) = p.first_name {
        u.first_name = f.trim().into();
    }
    if let Some(l) = p.last_name {
        u.last_name = l.trim().into();
    }
    if let Some(raw) = p.usage_location.as_deref() {
        let mut checks = Checks::new();
        let parsed = usage_location(&mut checks, Some(raw));
        checks.finish()?;
        u.usage_location = parsed.flatten();
    }
    let mut restored = false;
    if let Some(s) = p.state {
        let s =
            UserState::parse(&s).ok_or_else(|| Error::field("state", "use active or inactive"))?;
        restored = s == UserState::Active && u.state == UserState::Inactive;
        u.state = s;
    }
    if let Some(hash) = new_hash {
        u.password_hash = hash?;
        end_sign_ins(&mut tx, u.id, now).await?;
    }
    if disabling {
        end_sign_ins(&mut tx, u.id, now).await?;
    }
    if !ids::update_user(&mut tx, &u, version).await? {
        return Err(Error::PreconditionFailed);
    }
    if restored {
        sqlx::query("UPDATE users SET deleted_at = NULL WHERE id = $1")
            .bind(u.id.to_string())
            .execute(tx.conn().await?)
            .await?;
    }
    let op = if only_password {
        Operation::ResetCustomerUserPassword
    } else {
        Operation::UpdateCustomerUser
    };
    audit(app, &mut tx, ctx, &t.id.to_string(), op, &u, serde_json::json!({ "state": u.state, "displayName": u.display_name, "restored": restored })).await?;
    tx.commit().await?;
    u.version += 1;
    Ok(u)
}

pub async fn delete(app: &App, ctx: &Ctx, customer_id: &str, user_id: &str) -> Result<()> {
    let (t, f) = authorized(app, ctx, customer_id, Action::ManageCustomerUsers).await?;
    let id = UserId::named(user_id)?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let u = ids::user_in_tx(&mut tx, id)
        .await?
        .filter(|u| u.tenant_id == t.id)
        .ok_or(Error::NotFound("user"))?;
    let held = held_roles(&mut tx, id).await?;
    require_act_on(ctx, via(ctx, &f), UserOp::Delete, id, &held)?;
    keep_last_global_admin(
        &mut tx,
        t.id,
        u.state == UserState::Active && held.contains(&Role::GlobalAdministrator),
    )
    .await?;
    ids::soft_delete_user(&mut tx, id, now).await?;
    end_sign_ins(&mut tx, id, now).await?;
    sqlx::query("DELETE FROM license_assignments WHERE user_id = $1")
        .bind(id.to_string())
        .execute(tx.conn().await?)
        .await?;
    audit(
        app,
        &mut tx,
        ctx,
        &t.id.to_string(),
        Operation::DeleteCustomerUser,
        &u,
        serde_json::json!({ "upn": u.upn }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A usage location as stored: `None` when not given or empty, else a two-letter country
/// (upper case); a malformed one is a field error in `checks`.
fn usage_location(checks: &mut Checks, raw: Option<&str>) -> Option<Option<String>> {
    match raw.map(str::trim) {
        None | Some("") => Some(None),
        Some(c) => checks
            .parse(crate::domain::identity::Country::parse("usageLocation", c))
            .map(|c| Some(c.as_str().to_string())),
    }
}

/// Through what the caller reaches the customer's directory: as the customer itself, or as
/// a partner through its grants.
fn via(ctx: &Ctx, f: &CustomerFacts) -> Via {
    if ctx.actor.tenant == f.customer {
        Via::OwnTenant
    } else {
        Via::Grant(f.grants)
    }
}

async fn held_roles(tx: &mut crate::app::store::Tx, user: UserId) -> Result<BTreeSet<Role>> {
    let rows = sqlx::query("SELECT role FROM user_roles WHERE user_id = $1")
        .bind(user.to_string())
        .fetch_all(tx.conn().await?)
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| Role::parse(&sqlx::Row::get::<String, _>(r, "role")))
        .collect())
}

/// A new password or a disabled account ends every sign-in the user had: refresh tokens
/// and portal sessions.
async fn end_sign_ins(tx: &mut crate::app::store::Tx, user: UserId, now: i64) -> Result<()> {
    tokens::revoke_user_refresh(tx, user, now).await?;
    crate::app::store::sessions::delete_for_user(tx, user).await?;
    Ok(())
}

/// Purges users deleted more than the retention period ago.
pub async fn purge_deleted(app: &App) -> Result<u64> {
    let before = app.clock.now_ms() - RETENTION_DAYS * crate::clock::DAY_MS;
    let mut tx = app.db.begin().await?;
    let victims: Vec<String> = sqlx::query("SELECT u.id FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.kind = 'customer' AND u.deleted_at IS NOT NULL AND u.deleted_at < $1")
        .bind(before)
        .fetch_all(tx.conn().await?)
        .await?
        .iter()
        .map(|r| sqlx::Row::get::<String, _>(r, "id"))
        .collect();
    for id in &victims {
        for sql in [
            "DELETE FROM license_assignments WHERE user_id = $1",
            "DELETE FROM user_roles WHERE user_id = $1",
            "DELETE FROM refresh_tokens WHERE user_id = $1",
            "DELETE FROM sessions WHERE user_id = $1",
            "DELETE FROM users WHERE id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(tx.conn().await?).await?;
        }
    }
    tx.commit().await?;
    Ok(victims.len() as u64)
}

pub async fn set_member(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    role_id: &str,
    user_id: &str,
    member: bool,
) -> Result<UserRow> {
    let (t, f) = authorized(app, ctx, customer_id, Action::ManageCustomerRoles).await?;
    let role = role_by_id(role_id)?;
    let id = UserId::named(user_id)?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let u = ids::user_in_tx(&mut tx, id)
        .await?
        .filter(|u| u.tenant_id == t.id)
        .ok_or(Error::NotFound("user"))?;
    let held = held_roles(&mut tx, id).await?;
    require_act_on(ctx, via(ctx, &f), UserOp::ChangeRoles, id, &held)?;
    if member && !authz::may_grant(&ctx.actor, via(ctx, &f), role).allowed() {
        return Err(Error::Refused(
            crate::domain::refusal::Refusal::RoleNotGrantable,
        ));
    }
    if member {
        sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2) ON CONFLICT (user_id, role) DO NOTHING")
            .bind(id.to_string()).bind(role.as_str()).execute(tx.conn().await?).await?;
    } else {
        keep_last_global_admin(&mut tx, t.id, role == Role::GlobalAdministrator).await?;
        sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = $2")
            .bind(id.to_string())
            .bind(role.as_str())
            .execute(tx.conn().await?)
            .await?;
    }
    audit(
        app,
        &mut tx,
        ctx,
        &t.id.to_string(),
        if member {
            Operation::AddDirectoryRoleMember
        } else {
            Operation::RemoveDirectoryRoleMember
        },
        &u,
        serde_json::json!({ "role": role.as_str() }),
    )
    .await?;
    let _ = now;
    tx.commit().await?;
    Ok(u)
}
