//! Directory use cases: tenants, users, roles, password sign-in with throttling.

use super::audit::{record, Change};
use super::seen::Ask;
use super::{App, Ctx};
use crate::app::store::identity as repo;
/// The directory rows use cases hand out (read-only views for adapters).
pub use crate::app::store::identity::{TenantRow, UserRow};
pub use crate::app::store::tokens::AppRow;
use crate::app::store::{throttle, tokens};
use crate::crypto;
use crate::domain::audit::Operation;
use crate::domain::authz::{self, Action, Actor, PartnerFacts, Principal, Resource, UserOp, Via};
use crate::domain::error::Checks;
use crate::domain::identity::{Country, Domain, Email, Password, Role, TenantKind, UserState};
use crate::domain::ids::{AppId, TenantId, UserId};
use crate::domain::{Error, Result};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewUser {
    pub upn: String,
    pub display_name: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub roles: Vec<Role>,
    /// None: a temporary password is generated and mailed.
    pub password: Option<String>,
    pub language: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewTenant {
    pub domain: String,
    pub display_name: String,
    pub country: String,
    pub kind: TenantKind,
}

fn language(raw: Option<&str>) -> String {
    match raw {
        Some("ko-KR") | Some("ko") => "ko-KR".into(),
        _ => "en-US".into(),
    }
}

/// A temporary password that meets the policy.
pub fn temporary_password() -> String {
    format!("Ph-{}-9a", crypto::random_token(12))
}

struct ValidUser {
    upn: Email,
    display_name: String,
    password: Option<Password>,
}

/// `domains`: the directory's primary domain first, then the verified domains added to it.
fn validate_user(
    u: &NewUser,
    domains: &[String],
    checks: &mut Checks,
    prefix: &str,
) -> Option<ValidUser> {
    let upn = checks.parse(Email::parse(&format!("{prefix}userPrincipalName"), &u.upn));
    if let Some(upn) = &upn {
        let primary = domains.first().map(String::as_str).unwrap_or_default();
        checks.check(
            domains.iter().any(|d| d == upn.domain()),
            &format!("{prefix}userPrincipalName"),
            &format!("the sign-in name must end with @{primary}"),
        );
    }
    let display = u.display_name.trim().to_string();
    checks.check(
        !display.is_empty() && display.chars().count() <= 256,
        &format!("{prefix}displayName"),
        "a display name of 1 to 256 characters is required",
    );
    checks.check(
        u.first_name.chars().count() <= 64 && u.last_name.chars().count() <= 64,
        &format!("{prefix}firstName"),
        "names have at most 64 characters",
    );
    let password = match &u.password {
        Some(p) => Some(checks.parse(Password::parse(&format!("{prefix}password"), p))?),
        None => None,
    };
    Some(ValidUser {
        upn: upn?,
        display_name: display,
        password,
    })
}

/// Creates a directory tenant and its first global administrator. Used by enrollment,
/// customer acceptance, the CLI and the demo world.
pub async fn create_tenant_with_admin(
    app: &App,
    ctx: Option<&Ctx>,
    t: NewTenant,
    admin: NewUser,
) -> Result<(TenantRow, UserRow, String)> {
    let mut checks = Checks::new();
    let domain = checks.parse(Domain::parse("domain", &t.domain));
    let country = checks.parse(Country::parse("country", &t.country));
    let name = t.display_name.trim().to_string();
    checks.check(
        !name.is_empty() && name.chars().count() <= 256,
        "displayName",
        "an organisation name of 1 to 256 characters is required",
    );
    let valid = domain
        .as_ref()
        .and_then(|d| validate_user(&admin, &[d.as_str().to_string()], &mut checks, "admin."));
    checks.finish()?;
    let (domain, country, valid) = (domain.unwrap(), country.unwrap(), valid.unwrap());
    if repo::domain_taken(&app.db, domain.as_str()).await? {
        return Err(Error::field("domain", "this domain is already taken"));
    }
    let password = valid
        .password
        .map(|p| p.expose().to_string())
        .unwrap_or_else(temporary_password);
    let hash = crypto::hash_password_blocking(password.clone()).await;
    let now = app.clock.now_ms();
    let tenant = TenantRow {
        id: TenantId::new(),
        domain: domain.to_string(),
        display_name: name,
        country: country.to_string(),
        kind: t.kind,
        mfa_required: false,
        admin_mfa_exempt: false,
        created_at: now,
        version: 1,
    };
    let user = UserRow {
        id: UserId::new(),
        tenant_id: tenant.id,
        upn: valid.upn.to_string(),
        display_name: valid.display_name,
        first_name: admin.first_name.trim().to_string(),
        last_name: admin.last_name.trim().to_string(),
        password_hash: hash,
        totp_secret: None,
        state: UserState::Active,
        language: language(admin.language.as_deref()),
        usage_location: None,
        created_at: now,
        version: 1,
    };
    let mut roles = vec![Role::GlobalAdministrator];
    roles.extend(admin.roles.iter().copied());
    let mut tx = app.db.begin().await?;
    match repo::insert_tenant(&mut tx, &tenant).await {
        Err(e) if crate::app::store::is_unique_violation(&e) => {
            return Err(Error::field("domain", "this domain is already taken"))
        }
        r => r?,
    }
    match repo::insert_user(&mut tx, &user, &roles).await {
        Err(e) if crate::app::store::is_unique_violation(&e) => {
            return Err(Error::field(
                "admin.userPrincipalName",
                "this sign-in name is already in use",
            ))
        }
        r => r?,
    }
    record(
        &mut tx,
        ctx,
        &tenant.id.to_string(),
        Change {
            operation: Operation::CreateTenant,
            resource_type: "tenant",
            resource_id: tenant.id.to_string(),
            old: None,
            new: Some(serde_json::json!({ "domain": tenant.domain, "kind": tenant.kind.as_str(), "admin": user.upn })),
            customer_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((tenant, user, password))
}

/// Checks the roles a caller may grant inside a tenant of `kind`.
fn check_grantable(ctx: &Ctx, kind: TenantKind, roles: &[Role]) -> Result<()> {
    for r in roles {
        let fits = match r {
            Role::OperatorAdmin => kind == TenantKind::Operator,
            r if r.is_directory_role() => true,
            _ => kind == TenantKind::Partner,
        };
        if !fits {
            return Err(Error::field(
                "roles",
                format!(
                    "the role {} does not exist in a {} tenant",
                    r.as_str(),
                    kind.as_str()
                ),
            ));
        }
        if !authz::may_grant(&ctx.actor, Via::OwnTenant, *r).allowed() {
            return Err(Error::Forbidden(format!(
                "you may not grant {}: only someone who holds it, or the organisation's global \
                 administrator or account admin, can",
                r.as_str()
            )));
        }
    }
    Ok(())
}

/// Adds a user to a tenant; without a password a temporary one is generated and mailed.
/// Returns the user and the temporary password (shown once to the administrator).
pub async fn create_user(
    app: &App,
    ctx: &Ctx,
    tenant_id: TenantId,
    new: NewUser,
) -> Result<(UserRow, Option<String>)> {
    ctx.require(Action::ManageUsers, Resource::Tenant(tenant_id))?;
    let tenant = repo::tenant(&app.db, tenant_id)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    check_grantable(ctx, tenant.kind, &new.roles)?;
    let mut checks = Checks::new();
    let domains = super::customer_domains::sign_in_domains(app, &tenant).await?;
    let valid = validate_user(&new, &domains, &mut checks, "");
    checks.finish()?;
    let valid = valid.expect("validated");
    let generated = valid.password.is_none();
    let password = valid
        .password
        .map(|p| p.expose().to_string())
        .unwrap_or_else(temporary_password);
    let hash = crypto::hash_password_blocking(password.clone()).await;
    let now = app.clock.now_ms();
    let user = UserRow {
        id: UserId::new(),
        tenant_id,
        upn: valid.upn.to_string(),
        display_name: valid.display_name,
        first_name: new.first_name.trim().to_string(),
        last_name: new.last_name.trim().to_string(),
        password_hash: hash,
        totp_secret: None,
        state: UserState::Active,
        language: language(new.language.as_deref()),
        usage_location: None,
        created_at: now,
        version: 1,
    };
    let mut tx = app.db.begin().await?;
    match repo::insert_user(&mut tx, &user, &new.roles).await {
        Err(e) if crate::app::store::is_unique_violation(&e) => {
            return Err(Error::field(
                "userPrincipalName",
                "this sign-in name is already in use",
            ))
        }
        r => r?,
    }
    record(
        &mut tx,
        Some(ctx),
        &tenant_id.to_string(),
        Change {
            operation: Operation::CreateUser,
            resource_type: "user",
            resource_id: user.id.to_string(),
            old: None,
            new: Some(serde_json::json!({ "upn": user.upn, "roles": new.roles })),
            customer_id: None,
        },
        now,
    )
    .await?;
    if generated {
        let mut vars = BTreeMap::new();
        vars.insert("name", user.display_name.clone());
        vars.insert("org", tenant.display_name.clone());
        vars.insert("upn", user.upn.clone());
        vars.insert("password", password.clone());
        vars.insert("url", format!("{}/portal/signin", app.config.public_url()));
        crate::app::mailing::enqueue(
            &mut tx,
            now,
            &user.upn,
            crate::mail::Template::UserAdded,
            &user.language,
            &vars,
        )
        .await?;
    }
    tx.commit().await?;
    Ok((user, generated.then_some(password)))
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub state: Option<String>,
    pub language: Option<String>,
}

/// The patch applied to a copy of the user, or the field problems it has.
fn patched(current: &UserRow, patch: &UserPatch) -> Result<UserRow> {
    let mut next = current.clone();
    let mut checks = Checks::new();
    if let Some(d) = &patch.display_name {
        let d = d.trim();
        checks.check(
            !d.is_empty() && d.chars().count() <= 256,
            "displayName",
            "a display name of 1 to 256 characters is required",
        );
        next.display_name = d.to_string();
    }
    if let Some(f) = &patch.first_name {
        next.first_name = f.trim().to_string();
    }
    if let Some(l) = &patch.last_name {
        next.last_name = l.trim().to_string();
    }
    if let Some(s) = &patch.state {
        let state = UserState::parse(s);
        checks.check(state.is_some(), "state", "use active or inactive");
        next.state = state.unwrap_or(current.state);
    }
    if let Some(l) = &patch.language {
        checks.check(
            l == "en-US" || l == "ko-KR",
            "language",
            "use en-US or ko-KR",
        );
        next.language = l.clone();
    }
    checks.finish()?;
    Ok(next)
}

/// Whether the patch takes `role` away: removed from the roles, or the user disabled.
fn loses(old: &BTreeSet<Role>, patch: &UserPatch, next: &UserRow, role: Role) -> bool {
    old.contains(&role)
        && (patch.roles.as_ref().is_some_and(|r| !r.contains(&role))
            || next.state == UserState::Inactive)
}

fn roles_change(old: &BTreeSet<Role>, patch: &UserPatch) -> bool {
    patch
        .roles
        .as_ref()
        .is_some_and(|r| r.iter().copied().collect::<BTreeSet<_>>() != *old)
}

/// What the caller may do to this user: change roles, disable, grant the added roles.
fn check_user_change(
    ctx: &Ctx,
    kind: TenantKind,
    current: &UserRow,
    next: &UserRow,
    old_roles: &BTreeSet<Role>,
    patch: &UserPatch,
) -> Result<()> {
    if roles_change(old_roles, patch) {
        require_act_on(
            ctx,
            Via::OwnTenant,
            UserOp::ChangeRoles,
            current.id,
            old_roles,
        )?;
    }
    if next.state == UserState::Inactive && current.state != UserState::Inactive {
        require_act_on(ctx, Via::OwnTenant, UserOp::Disable, current.id, old_roles)?;
    }
    if let Some(roles) = &patch.roles {
        let added: Vec<Role> = roles
            .iter()
            .filter(|r| !old_roles.contains(r))
            .copied()
            .collect();
        check_grantable(ctx, kind, &added)?;
    }
    Ok(())
}

/// Refuses a change that leaves a partner without an admin agent or a tenant without a
/// global administrator.
async fn keep_last_admins(
    tx: &mut crate::app::store::Tx,
    tenant: &TenantRow,
    old_roles: &BTreeSet<Role>,
    patch: &UserPatch,
    next: &UserRow,
) -> Result<()> {
    if loses(old_roles, patch, next, Role::AdminAgent)
        && tenant.kind == TenantKind::Partner
        && count_active_with_role(tx, tenant.id, Role::AdminAgent).await? <= 1
    {
        return Err(Error::conflict("the last admin agent of a partner cannot be removed or demoted: make someone else an admin agent first"));
    }
    let losing_admin = loses(old_roles, patch, next, Role::GlobalAdministrator);
    keep_last_global_admin(tx, tenant.id, losing_admin).await
}

/// Tells the user which roles they hold now.
async fn mail_roles_changed(
    tx: &mut crate::app::store::Tx,
    now: i64,
    user: &UserRow,
    tenant: &TenantRow,
    roles: &[Role],
) -> Result<()> {
    let mut vars = BTreeMap::new();
    vars.insert("name", user.display_name.clone());
    vars.insert("org", tenant.display_name.clone());
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    let listed = if names.is_empty() {
        "-".into()
    } else {
        names.join(", ")
    };
    vars.insert("roles", listed);
    crate::app::mailing::enqueue(
        tx,
        now,
        &user.upn,
        crate::mail::Template::UserRolesChanged,
        &user.language,
        &vars,
    )
    .await?;
    Ok(())
}

/// Changes a user. `expected_version` (from If-Match) must match when given.
pub async fn update_user(
    app: &App,
    ctx: &Ctx,
    user_id: UserId,
    patch: UserPatch,
    expected_version: Option<i64>,
) -> Result<UserRow> {
    let current = own_user(app, ctx, user_id).await?;
    ctx.require(Action::ManageUsers, Resource::Tenant(current.tenant_id))?;
    let tenant = repo::tenant(&app.db, current.tenant_id)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let mut next = patched(&current, &patch)?;
    let old_roles = repo::roles(&app.db, user_id).await?;
    check_user_change(ctx, tenant.kind, &current, &next, &old_roles, &patch)?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let locked = repo::user_in_tx(&mut tx, user_id)
        .await?
        .ok_or(Error::NotFound("user"))?;
    if expected_version.is_some_and(|v| v != locked.version) {
        return Err(Error::PreconditionFailed);
    }
    keep_last_admins(&mut tx, &tenant, &old_roles, &patch, &next).await?;
    if !repo::update_user(&mut tx, &next, locked.version).await? {
        return Err(Error::PreconditionFailed);
    }
    if let Some(roles) = &patch.roles {
        repo::set_roles(tx.conn().await?, user_id, roles).await?;
    }
    if next.state == UserState::Inactive {
        tokens::revoke_user_refresh(&mut tx, user_id, now).await?;
        crate::app::store::sessions::delete_for_user(&mut tx, user_id).await?;
    }
    record(
        &mut tx,
        Some(ctx),
        &current.tenant_id.to_string(),
        Change {
            operation: Operation::UpdateUser,
            resource_type: "user",
            resource_id: user_id.to_string(),
            old: Some(serde_json::json!({ "displayName": current.display_name, "state": current.state, "roles": old_roles })),
            new: Some(serde_json::json!({ "displayName": next.display_name, "state": next.state, "roles": patch.roles })),
            customer_id: None,
        },
        now,
    )
    .await?;
    if let Some(roles) = patch
        .roles
        .as_ref()
        .filter(|_| roles_change(&old_roles, &patch))
    {
        mail_roles_changed(&mut tx, now, &next, &tenant, roles).await?;
    }
    tx.commit().await?;
    next.version = locked.version + 1;
    Ok(next)
}

/// Refuses an operation on another user unless [`authz::may_act_on`] allows it.
pub(crate) fn require_act_on(
    ctx: &Ctx,
    via: Via,
    op: UserOp,
    target: UserId,
    roles: &std::collections::BTreeSet<Role>,
) -> Result<()> {
    if authz::may_act_on(&ctx.actor, via, op, target, roles).allowed() {
        return Ok(());
    }
    if ctx.actor.user_id() == Some(target) {
        return Err(Error::Conflict {
            code: crate::domain::error::Code::CannotActOnSelf,
            message: "you cannot disable or remove yourself".into(),
        });
    }
    Err(Error::Refused(
        crate::domain::refusal::Refusal::TargetOutranksCaller,
    ))
}

/// Refuses to disable, delete or demote the last active global administrator of a tenant.
/// The tenant row is locked first (PostgreSQL), so two concurrent removals of the last two
/// administrators cannot both see the other one still there.
pub(crate) async fn keep_last_global_admin(
    tx: &mut crate::app::store::Tx,
    tenant: TenantId,
    losing: bool,
) -> Result<()> {
    if !losing {
        return Ok(());
    }
    let lock = format!(
        "SELECT id FROM tenants WHERE id = $1{}",
        tx.backend.for_update()
    );
    sqlx::query(&lock)
        .bind(tenant.to_string())
        .fetch_optional(tx.conn().await?)
        .await?;
    if count_active_with_role(tx, tenant, Role::GlobalAdministrator).await? <= 1 {
        return Err(Error::Conflict {
            code: crate::domain::error::Code::LastGlobalAdministrator,
            message: "the last active global administrator of a tenant cannot be removed, \
                      disabled or demoted: make someone else a global administrator first"
                .into(),
        });
    }
    Ok(())
}

async fn count_active_with_role(
    tx: &mut crate::app::store::Tx,
    tenant: TenantId,
    role: Role,
) -> Result<i64> {
    use sqlx::Row;
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM users u JOIN user_roles r ON r.user_id = u.id \
         WHERE u.tenant_id = $1 AND r.role = $2 AND u.state = $3",
    )
    .bind(tenant.to_string())
    .bind(role.as_str())
    .bind(UserState::Active.as_str())
    .fetch_one(tx.conn().await?)
    .await?;
    Ok(row.get("n"))
}

/// Signs in with a password. Failed attempts are counted per account and per client address;
/// past the limit both are locked for a while, and the answer does not say which part was
/// wrong.
pub async fn authenticate(app: &App, upn: &str, password: &str, client: &str) -> Result<UserRow> {
    let upn = upn.trim().to_ascii_lowercase();
    let now = app.clock.now_ms();
    let keys = [format!("acct:{upn}"), format!("addr:{client}")];
    for k in &keys {
        let until = throttle::locked_until(&app.db, k).await?;
        if until > now {
            return Err(Error::Throttled {
                retry_after_secs: ((until - now) / 1000).max(1) as u64,
            });
        }
    }
    let user = if upn.len() <= 320 {
        repo::user_by_upn(&app.db, &upn).await?
    } else {
        None
    };
    let ok = crypto::verify_password_blocking(
        password.to_string(),
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await;
    match user {
        Some(u) if ok && u.state.is_active() => {
            throttle::clear(&app.db, &keys[0]).await?;
            if crypto::needs_rehash(&u.password_hash) {
                let new = crypto::hash_password_blocking(password.to_string()).await;
                repo::rehash_password(&app.db, u.id, &u.password_hash, &new).await?;
            }
            Ok(u)
        }
        _ => {
            let max = app.config.signin_max_failures;
            for k in &keys {
                // The address gets more room than one account: offices share addresses.
                let limit = if k.starts_with("addr:") { max * 4 } else { max };
                throttle::record_failure(&app.db, k, now, 15 * 60_000, limit, 60_000).await?;
            }
            metrics::counter!("partnerhub_signin_failures_total").increment(1);
            Err(Error::Unauthenticated(
                "the sign-in name or password is not correct".into(),
            ))
        }
    }
}

/// Builds the actor for a user from the current database state (roles, tenant, state), so a
/// removed role or a disabled user stops working at once, even with a token still valid.
pub async fn actor_for_user(app: &App, user_id: UserId) -> Result<Option<(Actor, UserRow)>> {
    Ok(repo::actor_rows(&app.db, user_id)
        .await?
        .and_then(visitor)
        .map(|(actor, user, _)| (actor, user)))
}

/// An API request's caller and the name it signs in with, reading in the same statement
/// what `ask` names (a customer as the user's organisation sees it, or a page of its
/// customers), kept for the rest of the request (`app::seen`): such a request costs one
/// round trip for the caller and what it reads together. Built from the database like
/// [`actor_for_user`], from fewer columns: this runs on every API request.
pub async fn actor_for_user_seeing(
    app: &App,
    user_id: UserId,
    ask: &Ask,
) -> Result<Option<(Actor, String)>> {
    let now = app.clock.now_ms();
    let rider = match ask {
        Ask::Nothing => repo::Rider::Nothing,
        Ask::Customer(c) | Ask::CustomerOnce(c) => repo::Rider::Customer(*c, now),
        Ask::CustomerList {
            partner,
            after,
            limit,
        } => repo::Rider::CustomerList {
            partner: *partner,
            after: after.as_ref().map(|(k, i)| (k.as_str(), i.as_str())),
            limit: *limit,
        },
    };
    let Some((rows, seen)) = repo::caller_rows_seeing(&app.db, user_id, rider).await? else {
        return Ok(None);
    };
    match (ask, seen) {
        (Ask::Customer(c) | Ask::CustomerOnce(c), repo::RiderRows::Customer(seen)) => {
            let (view, billing) = match seen {
                Some((v, b)) => (Some(v), b),
                None => (None, None),
            };
            super::seen::remember(super::seen::CustomerSeen {
                partner: rows.tenant,
                customer: *c,
                view,
                billing,
                once: matches!(ask, Ask::CustomerOnce(_)),
            });
        }
        (
            Ask::CustomerList {
                partner,
                after,
                limit,
            },
            repo::RiderRows::CustomerList(page, total),
        ) => super::seen::remember_list(super::seen::ListSeen {
            partner: *partner,
            after: after.clone(),
            limit: *limit,
            rows: page.into_iter().map(|r| (r, None)).collect(),
            named: false,
            total,
        }),
        _ => {}
    }
    if !rows.state.is_active() {
        return Ok(None);
    }
    let actor = Actor {
        principal: Principal::User(rows.user),
        tenant: rows.tenant,
        tenant_kind: rows.tenant_kind,
        partner: partner_facts(rows.tenant_kind, rows.partner),
        roles: rows.roles,
    };
    Ok(Some((actor, rows.upn)))
}

/// A partner organisation's facts as the actor carries them.
fn partner_facts(
    kind: TenantKind,
    partner: Option<(bool, bool, bool, bool)>,
) -> Option<PartnerFacts> {
    match (kind, partner) {
        (TenantKind::Partner, Some((is_reseller, is_provider, active, accepted))) => {
            Some(PartnerFacts {
                is_reseller,
                is_provider,
                agreement_accepted: accepted,
                active,
            })
        }
        _ => None,
    }
}

/// The caller from its statement's rows, and whether two-step set-up is due; `None` for a
/// user who is no longer active.
pub(crate) fn visitor(rows: repo::ActorRows) -> Option<(Actor, UserRow, bool)> {
    if !rows.user.state.is_active() {
        return None;
    }
    let partner = partner_facts(rows.tenant.kind, rows.partner);
    let two_step_due = rows.user.totp_secret.is_none()
        && crate::domain::identity::mfa_required(
            rows.tenant.mfa_required,
            rows.tenant.admin_mfa_exempt,
            &rows.roles,
        );
    Some((
        Actor {
            principal: Principal::User(rows.user.id),
            tenant: rows.tenant.id,
            tenant_kind: rows.tenant.kind,
            roles: rows.roles,
            partner,
        },
        rows.user,
        two_step_due,
    ))
}

pub async fn actor_for_app(app: &App, app_id: AppId) -> Result<Option<Actor>> {
    let Some(reg) = tokens::app(&app.db, app_id).await? else {
        return Ok(None);
    };
    if reg.disabled {
        return Ok(None);
    }
    // The application acts with at most its registrar's current roles: it stops when the
    // registrar is removed or disabled, or no longer holds every role it was given.
    let Some(creator) = reg.created_by else {
        return Ok(None);
    };
    let Some((registrar, _)) = actor_for_user(app, creator).await? else {
        return Ok(None);
    };
    if registrar.tenant != reg.tenant_id {
        return Ok(None);
    }
    if !reg.roles.iter().all(|r| registrar.roles.contains(r)) {
        return Ok(None);
    }
    let roles: std::collections::BTreeSet<Role> = reg.roles.into_iter().collect();
    Ok(Some(Actor {
        principal: Principal::App(app_id),
        tenant: registrar.tenant,
        tenant_kind: registrar.tenant_kind,
        roles,
        partner: registrar.partner,
    }))
}

/// Removes a user from the tenant (soft: inactive, kept for 30 days). The last global
/// administrator and a partner's last admin agent cannot be removed.
pub async fn remove_user(app: &App, ctx: &Ctx, user_id: UserId) -> Result<()> {
    let current = own_user(app, ctx, user_id).await?;
    ctx.require(Action::ManageUsers, Resource::Tenant(current.tenant_id))?;
    if ctx.actor.user_id() == Some(user_id) {
        return Err(Error::conflict("you cannot remove yourself"));
    }
    let tenant = repo::tenant(&app.db, current.tenant_id)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let roles = repo::roles(&app.db, user_id).await?;
    let held: std::collections::BTreeSet<Role> = roles.iter().copied().collect();
    require_act_on(ctx, Via::OwnTenant, UserOp::Delete, user_id, &held)?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    if current.state.is_active() {
        keep_last_global_admin(
            &mut tx,
            tenant.id,
            roles.contains(&Role::GlobalAdministrator),
        )
        .await?;
        if tenant.kind == TenantKind::Partner
            && roles.contains(&Role::AdminAgent)
            && count_active_with_role(&mut tx, tenant.id, Role::AdminAgent).await? <= 1
        {
            return Err(Error::conflict("the last admin agent of a partner cannot be removed: make someone else an admin agent first"));
        }
    }
    repo::soft_delete_user(&mut tx, user_id, now).await?;
    tokens::revoke_user_refresh(&mut tx, user_id, now).await?;
    crate::app::store::sessions::delete_for_user(&mut tx, user_id).await?;
    record(
        &mut tx,
        Some(ctx),
        &tenant.id.to_string(),
        Change {
            operation: Operation::DeleteUser,
            resource_type: "user",
            resource_id: user_id.to_string(),
            old: Some(serde_json::json!({ "upn": current.upn, "roles": roles })),
            new: None,
            customer_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the user must set up two-step verification before signing in to anything: the
/// organisation requires it of everyone, or the user holds an admin role and the
/// organisation has not exempted admins.
pub async fn mfa_setup_needed(app: &App, user: &UserRow) -> Result<bool> {
    if user.totp_secret.is_some() {
        return Ok(false);
    }
    let Some(tenant) = repo::tenant(&app.db, user.tenant_id).await? else {
        return Ok(false);
    };
    let roles = repo::roles(&app.db, user.id).await?;
    Ok(crate::domain::identity::mfa_required(
        tenant.mfa_required,
        tenant.admin_mfa_exempt,
        &roles,
    ))
}

/// Changes the organisation's two-step verification policy (its user administrators, or the
/// platform itself for set-up).
pub async fn set_mfa_policy(
    app: &App,
    ctx: &Ctx,
    tenant: TenantId,
    everyone: bool,
    admins_exempt: bool,
) -> Result<()> {
    ctx.require(Action::ManageUsers, Resource::Tenant(tenant))?;
    let mut tx = app.db.begin().await?;
    repo::set_mfa_policy(&mut tx, tenant, everyone, admins_exempt).await?;
    record(
        &mut tx,
        Some(ctx),
        &tenant.to_string(),
        Change {
            operation: Operation::SetMfaPolicy,
            resource_type: "tenant",
            resource_id: tenant.to_string(),
            old: None,
            new: Some(serde_json::json!({"everyone": everyone, "adminsExempt": admins_exempt})),
            customer_id: None,
        },
        app.clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// --- Reads: what the API and the portal may show of the directory ---------------------------

/// A user with the roles they hold.
#[derive(Debug, Clone)]
pub struct UserView {
    pub user: UserRow,
    pub roles: Vec<Role>,
}

/// A user of the caller's own tenant; any other user is "not found" (nothing is revealed).
async fn own_user(app: &App, ctx: &Ctx, id: UserId) -> Result<UserRow> {
    repo::user(&app.db, id)
        .await?
        .filter(|u| u.tenant_id == ctx.actor.tenant)
        .ok_or(Error::NotFound("user"))
}

/// The caller's own tenant.
pub async fn own_tenant(app: &App, ctx: &Ctx) -> Result<TenantRow> {
    ctx.require(Action::ReadTenant, Resource::Tenant(ctx.actor.tenant))?;
    repo::tenant(&app.db, ctx.actor.tenant)
        .await?
        .ok_or(Error::NotFound("tenant"))
}

/// The caller: its tenant and, for a person, its user row.
pub async fn me(app: &App, ctx: &Ctx) -> Result<(TenantRow, Option<UserRow>)> {
    let tenant = own_tenant(app, ctx).await?;
    let user = match ctx.actor.user_id() {
        Some(id) => repo::user(&app.db, id).await?,
        None => None,
    };
    Ok((tenant, user))
}

/// One keyset page of the caller's users ordered by sign-in name (after `(upn, id)`), their
/// roles read in one more query, and how many users the tenant has.
pub async fn users_page(
    app: &App,
    ctx: &Ctx,
    after: Option<(&str, &str)>,
    limit: u32,
) -> Result<(Vec<UserView>, i64)> {
    let tenant = ctx.actor.tenant;
    ctx.require(Action::ReadUsers, Resource::Tenant(tenant))?;
    let (rows, total) = repo::users_page(&app.db, tenant, after, limit).await?;
    let ids: Vec<UserId> = rows.iter().map(|u| u.id).collect();
    let mut roles = repo::roles_of(&app.db, &ids).await?;
    let views = rows
        .into_iter()
        .map(|user| UserView {
            roles: roles
                .remove(&user.id)
                .unwrap_or_default()
                .into_iter()
                .collect(),
            user,
        })
        .collect();
    Ok((views, total))
}

/// One user of the caller's tenant with its roles.
pub async fn user_view(app: &App, ctx: &Ctx, id: UserId) -> Result<UserView> {
    let user = own_user(app, ctx, id).await?;
    ctx.require(Action::ReadUsers, Resource::Tenant(user.tenant_id))?;
    let roles = repo::roles(&app.db, id).await?.into_iter().collect();
    Ok(UserView { user, roles })
}

/// Whether a domain is free for a new tenant. Anyone may ask (enrollment checks while typing).
pub async fn domain_available(app: &App, domain: &Domain) -> Result<bool> {
    Ok(!repo::domain_taken(&app.db, domain.as_str()).await?)
}

/// One keyset page of the applications registered for the caller's tenant (registration
/// order, after `(created_at, id)`) and how many there are.
pub async fn applications_page(
    app: &App,
    ctx: &Ctx,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<AppRow>, i64)> {
    let tenant = ctx.actor.tenant;
    ctx.require(Action::ManageApps, Resource::Tenant(tenant))?;
    Ok(tokens::apps_page(&app.db, tenant, after, limit).await?)
}
