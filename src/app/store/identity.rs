//! Tenants, users and their roles.

use super::batch::Read;
use super::paged::{Listing, Seek};
use super::{Db, Tx};
use crate::domain::identity::{Role, TenantKind, UserState};
use crate::domain::ids::{TenantId, UserId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub struct TenantRow {
    pub id: TenantId,
    pub domain: String,
    pub display_name: String,
    pub country: String,
    pub kind: TenantKind,
    pub mfa_required: bool,
    /// Admin roles may sign in without two-step verification (an explicit opt-out).
    pub admin_mfa_exempt: bool,
    pub created_at: i64,
    pub version: i64,
}

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub upn: String,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
    pub password_hash: String,
    pub totp_secret: Option<Vec<u8>>,
    pub state: UserState,
    pub language: String,
    /// Where a customer user's licensed services are used (two-letter country), when set.
    pub usage_location: Option<String>,
    pub created_at: i64,
    pub version: i64,
}

pub(crate) use super::decode::{bad_column, parsed as id_col};

fn tenant_kind(row: &sqlx::any::AnyRow, col: &str) -> Result<TenantKind, sqlx::Error> {
    let s: String = row.try_get(col)?;
    match s.as_str() {
        "operator" | "partner" | "customer" => Ok(TenantKind::from_db(&s)),
        _ => Err(bad_column(col, &s)),
    }
}

/// Reads a tenant whose columns carry `prefix` (empty for `SELECT * FROM tenants`).
fn tenant_cols(
    row: &sqlx::any::AnyRow,
    prefix: &str,
    id: TenantId,
) -> Result<TenantRow, sqlx::Error> {
    let c = |name: &str| format!("{prefix}{name}");
    Ok(TenantRow {
        id,
        domain: row.try_get(c("domain").as_str())?,
        display_name: row.try_get(c("display_name").as_str())?,
        country: row.try_get(c("country").as_str())?,
        kind: tenant_kind(row, &c("kind"))?,
        mfa_required: row.try_get::<i64, _>(c("mfa_required").as_str())? != 0,
        admin_mfa_exempt: row.try_get::<i64, _>(c("admin_mfa_exempt").as_str())? != 0,
        created_at: row.try_get(c("created_at").as_str())?,
        version: row.try_get(c("version").as_str())?,
    })
}

pub(crate) fn tenant_prefixed(
    row: &sqlx::any::AnyRow,
    prefix: &str,
    id: TenantId,
) -> Result<TenantRow, sqlx::Error> {
    tenant_cols(row, prefix, id)
}

pub(crate) fn tenant_from(row: &sqlx::any::AnyRow) -> Result<TenantRow, sqlx::Error> {
    tenant_cols(row, "", id_col(row, "id")?)
}

/// The partner status that lets a partner act (the partners table's own word).
const ACTIVE_PARTNER: &str = "active";

pub(super) const USER_COLS: &str =
    "id, tenant_id, upn, display_name, first_name, last_name, password_hash, \
     totp_secret, state, language, usage_location, created_at, version";

fn user_state(row: &sqlx::any::AnyRow) -> Result<UserState, sqlx::Error> {
    let state: String = row.try_get("state")?;
    UserState::parse(&state).ok_or_else(|| bad_column("state", &state))
}

pub(super) fn user_from(row: &sqlx::any::AnyRow) -> Result<UserRow, sqlx::Error> {
    Ok(UserRow {
        id: id_col(row, "id")?,
        tenant_id: id_col(row, "tenant_id")?,
        upn: row.try_get("upn")?,
        display_name: row.try_get("display_name")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        password_hash: row.try_get("password_hash")?,
        totp_secret: row.try_get("totp_secret")?,
        state: user_state(row)?,
        language: row.try_get("language")?,
        usage_location: row.try_get("usage_location")?,
        created_at: row.try_get("created_at")?,
        version: row.try_get("version")?,
    })
}

pub async fn insert_tenant(tx: &mut Tx, t: &TenantRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO tenants (id, domain, display_name, country, kind, mfa_required, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(t.id.to_string())
    .bind(&t.domain)
    .bind(&t.display_name)
    .bind(&t.country)
    .bind(t.kind.as_str())
    .bind(t.mfa_required as i64)
    .bind(t.created_at)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

pub async fn tenant(db: &Db, id: TenantId) -> Result<Option<TenantRow>, sqlx::Error> {
    let row = sqlx::query("SELECT * FROM tenants WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(tenant_from).transpose()
}

pub async fn tenant_by_domain(db: &Db, domain: &str) -> Result<Option<TenantRow>, sqlx::Error> {
    let row = sqlx::query("SELECT * FROM tenants WHERE domain = $1")
        .bind(domain)
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(tenant_from).transpose()
}

/// Adds one role to a user, keeping the others.
pub async fn add_role(tx: &mut Tx, user: UserId, role: Role) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO user_roles (user_id, role) VALUES ($1, $2) ON CONFLICT (user_id, role) DO NOTHING",
    )
    .bind(user.to_string())
    .bind(role.as_str())
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

pub async fn domain_taken(db: &Db, domain: &str) -> Result<bool, sqlx::Error> {
    // A domain added to a customer's directory is taken as much as a primary one.
    let row = sqlx::query(
        "SELECT 1 AS one FROM tenants WHERE domain = $1 \
         UNION ALL SELECT 1 AS one FROM customer_domains WHERE name = $1",
    )
    .bind(domain)
    .fetch_optional(&db.read)
    .await?;
    Ok(row.is_some())
}

pub async fn insert_user(tx: &mut Tx, u: &UserRow, roles: &[Role]) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO users (id, tenant_id, upn, display_name, first_name, last_name, \
         password_hash, totp_secret, state, language, created_at, usage_location) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(u.id.to_string())
    .bind(u.tenant_id.to_string())
    .bind(&u.upn)
    .bind(&u.display_name)
    .bind(&u.first_name)
    .bind(&u.last_name)
    .bind(&u.password_hash)
    .bind(u.totp_secret.clone())
    .bind(u.state.as_str())
    .bind(&u.language)
    .bind(u.created_at)
    .bind(u.usage_location.clone())
    .execute(tx.conn().await?)
    .await?;
    set_roles(tx.conn().await?, u.id, roles).await
}

pub async fn set_roles(
    conn: &mut AnyConnection,
    user: UserId,
    roles: &[Role],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM user_roles WHERE user_id = $1")
        .bind(user.to_string())
        .execute(&mut *conn)
        .await?;
    for r in roles.iter().collect::<BTreeSet<_>>() {
        sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
            .bind(user.to_string())
            .bind(r.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn user_by_upn(db: &Db, upn: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE upn = $1"))
        .bind(upn.to_ascii_lowercase())
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(user_from).transpose()
}

/// The language a user with this sign-in name (any case) reads, if there is such a user.
/// Run for every mail queued: by the unique index on `upn` (`tests/suite/query_plans.rs`).
pub const LANGUAGE_OF_UPN: &str = "SELECT language FROM users WHERE upn = $1";

/// The language of the user signing in as `upn`, read through `e` (a pool, or a
/// transaction's connection). User names are stored lower-cased (`domain::identity::Email`),
/// so the lookup is by the unique index: comparing `lower(upn)` read every user (two million
/// in the large bench world) for each mail queued.
pub async fn language_of_upn<'e, E>(e: E, upn: &str) -> Result<Option<String>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(LANGUAGE_OF_UPN)
        .bind(upn.to_ascii_lowercase())
        .fetch_optional(e)
        .await?;
    row.map(|r| r.try_get("language")).transpose()
}

/// A user's organisation and state, as a read for a trip that writes first
/// (`Batch::fetch`): a use case that writes for a user checks the user in its own trip
/// instead of a trip to the read pool before it. Read its rows with [`user_facts_from`].
pub fn user_facts(id: UserId) -> Read {
    Read::new("SELECT tenant_id, state FROM users WHERE id = $1").text(id.to_string())
}

/// The organisation and state [`user_facts`] returned; `None` when no user has that id.
pub fn user_facts_from(rows: &[AnyRow]) -> Result<Option<(TenantId, UserState)>, sqlx::Error> {
    rows.first()
        .map(|r| Ok((id_col(r, "tenant_id")?, user_state(r)?)))
        .transpose()
}

pub async fn user(db: &Db, id: UserId) -> Result<Option<UserRow>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(user_from).transpose()
}

/// Everything a request's actor is built from, in one query: the user, its tenant, its
/// roles, and (for partners) the partner account and whether it accepted the current
/// agreement. Requests rebuild the actor every time, so this is on every API call's path.
pub struct ActorRows {
    pub user: UserRow,
    pub tenant: TenantRow,
    pub roles: BTreeSet<Role>,
    /// (is_reseller, is_provider, active, accepted the current agreement)
    pub partner: Option<(bool, bool, bool, bool)>,
}

/// What an API request needs of its caller, read on every request: who, in which
/// organisation of which kind, with which roles and partner facts. Less than [`ActorRows`]:
/// no profile, password hash or second factor, which no API request uses, so there are
/// fewer columns to read and copy on the busiest statement.
pub struct CallerRows {
    pub user: UserId,
    pub tenant: TenantId,
    pub upn: String,
    pub state: UserState,
    pub tenant_kind: TenantKind,
    pub roles: BTreeSet<Role>,
    /// (is_reseller, is_provider, active, accepted the current agreement)
    pub partner: Option<(bool, bool, bool, bool)>,
}

/// The actor's rows of user `id` (for a sign-in, a token refresh, the portal's forms).
pub async fn actor_rows(db: &Db, id: UserId) -> Result<Option<ActorRows>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM users u {} WHERE u.id = $1",
        actor_columns(db.backend),
        actor_joins(db.backend, "JOIN"),
    );
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(actor_rows_from).transpose()
}

/// A customer read in the same statement as the caller (see [`caller_rows_seeing`]): its view
/// for the actor's organisation and its billing profile, or `None` when no tenant has the id.
pub type CustomerRider = Option<(
    super::customers::CustomerView,
    Option<(serde_json::Value, i64)>,
)>;

/// What the actor statement reads besides the actor, for the request that needs it.
#[derive(Debug, Clone, Copy)]
pub enum Rider<'a> {
    Nothing,
    /// A customer (id, time) as the actor's organisation sees it.
    Customer(TenantId, i64),
    /// A page of the partner's customers (unfiltered, with the total) after a (lower-cased
    /// name, id), of `limit` rows.
    CustomerList {
        partner: TenantId,
        after: Option<(&'a str, &'a str)>,
        limit: u32,
    },
}

/// What a [`Rider`] read.
pub enum RiderRows {
    Nothing,
    Customer(CustomerRider),
    CustomerList(Vec<super::customers::CustomerListRow>, i64),
}

/// An API request's caller and what `rider` asks for besides: one statement, one round trip.
pub async fn caller_rows_seeing(
    db: &Db,
    id: UserId,
    rider: Rider<'_>,
) -> Result<Option<(CallerRows, RiderRows)>, sqlx::Error> {
    let sql = caller_statement(db.backend, rider);
    let mut q = sqlx::query(sql).bind(id.to_string());
    match rider {
        Rider::Nothing => {}
        Rider::Customer(c, now) => q = q.bind(c.to_string()).bind(now),
        Rider::CustomerList { partner, after, .. } => {
            let (k, i) = after.unwrap_or(("", ""));
            q = q.bind(partner.to_string()).bind(k).bind(i);
        }
    }
    let Some(row) = q.fetch_optional(&db.read).await? else {
        return Ok(None);
    };
    let (roles, partner) = roles_and_partner(&row)?;
    let rows = CallerRows {
        user: id_col(&row, "id")?,
        tenant: id_col(&row, "tenant_id")?,
        upn: row.try_get("upn")?,
        state: user_state(&row)?,
        tenant_kind: tenant_kind(&row, "t_kind")?,
        roles,
        partner,
    };
    let seen = match rider {
        Rider::Nothing => RiderRows::Nothing,
        Rider::Customer(c, _) => RiderRows::Customer(super::customers::view_prefixed(&row, c)?),
        Rider::CustomerList { .. } => {
            let (rows, total) = super::customers::unpacked(db.backend, &row)?;
            RiderRows::CustomerList(rows.into_iter().map(|(r, _)| r).collect(), total)
        }
    };
    Ok(Some((rows, seen)))
}

/// The statement [`caller_rows_seeing`] runs on every API request: the user `$1`, then the
/// rider's parameters from `$2` on (a customer and a time, or a partner and where its page
/// starts).
pub fn caller_statement(backend: super::Backend, rider: Rider<'_>) -> &'static str {
    let shape = match rider {
        Rider::Nothing => ("caller", 0),
        Rider::Customer(..) => ("caller and customer", 0),
        Rider::CustomerList { limit, .. } => ("caller and customer list", limit),
    };
    super::statements::once((backend, shape.0, shape.1), || {
        build_caller_statement(backend, rider)
    })
}

fn build_caller_statement(backend: super::Backend, rider: Rider<'_>) -> String {
    let (rider_cols, rider_joins) = match rider {
        Rider::Nothing => (String::new(), String::new()),
        Rider::Customer(..) => (
            format!(", {}", super::customers::view_columns(backend)),
            super::customers::view_joins(backend),
        ),
        Rider::CustomerList { limit, .. } => (
            format!(
                ", {}",
                super::customers::page_columns(
                    backend,
                    None,
                    limit,
                    super::customers::Extra::Total,
                    super::customers::PageAt::Params(2)
                )
            ),
            String::new(),
        ),
    };
    format!(
        "SELECT u.id, u.tenant_id, u.upn, u.state, t.kind AS t_kind, {}{rider_cols} \
         FROM users u {} {rider_joins} WHERE u.id = $1",
        facts_columns(backend),
        actor_joins(backend, "JOIN"),
    )
}

/// What the caller's statement reads of a user: the user, its organisation and partner
/// facts, whether the organisation accepted the newest agreement, the user's roles.
pub(super) fn actor_columns(backend: super::Backend) -> String {
    format!(
        "u.id, u.tenant_id, u.upn, u.display_name, u.first_name, u.last_name, u.password_hash, \
         u.totp_secret, u.state, u.language, u.usage_location, u.created_at, u.version, \
         t.domain AS t_domain, t.display_name AS t_display_name, t.country AS t_country, t.kind AS t_kind, \
         t.mfa_required AS t_mfa_required, t.admin_mfa_exempt AS t_admin_mfa_exempt, t.created_at AS t_created_at, t.version AS t_version, \
         {}",
        facts_columns(backend)
    )
}

/// The partner facts, the agreement and the roles of user `u` in organisation `t`.
fn facts_columns(backend: super::Backend) -> String {
    let concat = match backend {
        super::Backend::Sqlite => "group_concat(role, ',')",
        super::Backend::Postgres => "string_agg(role, ',')",
    };
    format!(
        "p.is_reseller AS p_reseller, p.is_provider AS p_provider, p.status AS p_status, \
         (SELECT COUNT(*) FROM agreement_acceptances a WHERE a.tenant_id = t.id AND a.version = \
            (SELECT version FROM partner_agreements ORDER BY published_at DESC LIMIT 1)) AS accepted, \
         (SELECT {concat} FROM user_roles r WHERE r.user_id = u.id) AS roles"
    )
}

/// The user `u`'s organisation `t` and partner facts `p`, the organisation joined with
/// `join` (`LEFT JOIN` where the user itself may be missing).
pub(super) fn actor_joins(backend: super::Backend, join: &str) -> String {
    format!(
        "{join} tenants t ON t.id = u.tenant_id LEFT JOIN {partners} ON p.tenant_id = t.id",
        partners = backend.indexed_by("partners p", "partners_facts"),
    )
}

/// The caller's rows from a row read with [`actor_columns`].
pub(super) fn actor_rows_from(row: &sqlx::any::AnyRow) -> Result<ActorRows, sqlx::Error> {
    let user = user_from(row)?;
    let tenant = tenant_cols(row, "t_", user.tenant_id)?;
    let (roles, partner) = roles_and_partner(row)?;
    Ok(ActorRows {
        user,
        tenant,
        roles,
        partner,
    })
}

/// The roles and partner facts read with [`facts_columns`].
#[allow(clippy::type_complexity)]
fn roles_and_partner(
    row: &sqlx::any::AnyRow,
) -> Result<(BTreeSet<Role>, Option<(bool, bool, bool, bool)>), sqlx::Error> {
    // A user without roles aggregates to NULL.
    let roles: Option<String> = row.try_get("roles")?;
    let roles = super::decode::split_words("roles", &roles.unwrap_or_default(), Role::parse)?
        .into_iter()
        .collect();
    let partner = match row.try_get::<Option<String>, _>("p_status")? {
        Some(status) => Some((
            row.try_get::<i64, _>("p_reseller")? != 0,
            row.try_get::<i64, _>("p_provider")? != 0,
            status == ACTIVE_PARTNER,
            row.try_get::<i64, _>("accepted")? > 0,
        )),
        None => None,
    };
    Ok((roles, partner))
}

pub async fn user_in_tx(tx: &mut Tx, id: UserId) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {USER_COLS} FROM users WHERE id = $1{}",
        tx.backend.for_update()
    );
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(tx.conn().await?)
        .await?;
    row.as_ref().map(user_from).transpose()
}

pub async fn roles(db: &Db, user: UserId) -> Result<BTreeSet<Role>, sqlx::Error> {
    let rows = sqlx::query("SELECT role FROM user_roles WHERE user_id = $1")
        .bind(user.to_string())
        .fetch_all(&db.read)
        .await?;
    let mut out = BTreeSet::new();
    for r in &rows {
        let role: String = r.try_get("role")?;
        out.insert(Role::parse(&role).ok_or_else(|| bad_column("role", &role))?);
    }
    Ok(out)
}

/// One page of a tenant's users ordered by UPN, after `after` (keyset), and how many users
/// the tenant has.
pub async fn users_page(
    db: &Db,
    tenant: TenantId,
    after: Option<(&str, &str)>,
    limit: u32,
) -> Result<(Vec<UserRow>, i64), sqlx::Error> {
    let (upn, id) = after.unwrap_or(("", ""));
    Listing {
        select: USER_COLS,
        from: "FROM users WHERE tenant_id = $1",
        filter: vec![tenant.into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (upn, id) > ($2, $3) ORDER BY upn, id LIMIT $4",
            args: vec![upn.into(), id.into(), limit.into()],
            continues: after.is_some(),
        },
        user_from,
    )
    .await
}

/// Updates the editable fields if the row still has `expected_version`; false when it moved.
pub async fn update_user(
    tx: &mut Tx,
    u: &UserRow,
    expected_version: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET display_name = $1, first_name = $2, last_name = $3, state = $4, \
         language = $5, password_hash = $6, totp_secret = $7, usage_location = $8, \
         version = version + 1 WHERE id = $9 AND version = $10",
    )
    .bind(&u.display_name)
    .bind(&u.first_name)
    .bind(&u.last_name)
    .bind(u.state.as_str())
    .bind(&u.language)
    .bind(&u.password_hash)
    .bind(u.totp_secret.clone())
    .bind(u.usage_location.clone())
    .bind(u.id.to_string())
    .bind(expected_version)
    .execute(tx.conn().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces a password hash with one of the same password at the current cost, only if the
/// stored hash is still `old` (a password changed meanwhile wins). Not a user-visible change:
/// the version, sessions and tokens stay as they are.
pub async fn rehash_password(db: &Db, id: UserId, old: &str, new: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
        .bind(new)
        .bind(id.to_string())
        .bind(old)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Soft-deletes a user: inactive from now, purged after the retention period.
pub async fn soft_delete_user(tx: &mut Tx, id: UserId, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET state = 'inactive', deleted_at = $1, version = version + 1 WHERE id = $2",
    )
    .bind(now)
    .bind(id.to_string())
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

/// Renames a tenant if it still has `expected_version`; false when it changed meanwhile.
pub async fn rename_tenant(
    tx: &mut Tx,
    id: TenantId,
    name: &str,
    expected_version: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("UPDATE tenants SET display_name = $1, version = version + 1 WHERE id = $2 AND version = $3")
        .bind(name)
        .bind(id.to_string())
        .bind(expected_version)
        .execute(tx.conn().await?)
        .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    // The relationship rows keep the name a customer list shows, sorts and searches by.
    sqlx::query(
        "UPDATE customer_relationships SET customer_name = $1, customer_name_lower = $2 WHERE customer_tenant_id = $3",
    )
    .bind(name)
    .bind(name.to_lowercase())
    .bind(id.to_string())
    .execute(tx.conn().await?)
    .await?;
    // They also keep a reseller's name, under which its provider's portal list groups the
    // customers it serves.
    sqlx::query(
        "UPDATE customer_relationships SET reseller_name = $1 WHERE indirect_reseller_tenant_id = $2",
    )
    .bind(name)
    .bind(id.to_string())
    .execute(tx.conn().await?)
    .await?;
    Ok(true)
}

/// Sets the organisation's two-step verification policy.
pub async fn set_mfa_policy(
    tx: &mut Tx,
    tenant: TenantId,
    everyone: bool,
    admins_exempt: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tenants SET mfa_required = $1, admin_mfa_exempt = $2 WHERE id = $3")
        .bind(everyone as i64)
        .bind(admins_exempt as i64)
        .bind(tenant.to_string())
        .execute(tx.conn().await?)
        .await?;
    Ok(())
}

/// The roles of several users in one query (a page of users, never one query per user).
pub async fn roles_of(
    db: &Db,
    users: &[UserId],
) -> Result<std::collections::BTreeMap<UserId, BTreeSet<Role>>, sqlx::Error> {
    let mut out: std::collections::BTreeMap<UserId, BTreeSet<Role>> =
        users.iter().map(|u| (*u, BTreeSet::new())).collect();
    if users.is_empty() {
        return Ok(out);
    }
    let marks: Vec<String> = (1..=users.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT user_id, role FROM user_roles WHERE user_id IN ({})",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for u in users {
        q = q.bind(u.to_string());
    }
    for r in q.fetch_all(&db.read).await? {
        let user: UserId = id_col(&r, "user_id")?;
        let role: String = r.try_get("role")?;
        let role = Role::parse(&role).ok_or_else(|| bad_column("role", &role))?;
        out.entry(user).or_default().insert(role);
    }
    Ok(out)
}

/// Display names of several tenants in one query (a page that names each row's tenant).
pub async fn tenant_names(
    db: &Db,
    tenants: &[TenantId],
) -> Result<std::collections::BTreeMap<TenantId, String>, sqlx::Error> {
    let mut out = std::collections::BTreeMap::new();
    if tenants.is_empty() {
        return Ok(out);
    }
    let marks: Vec<String> = (1..=tenants.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT id, display_name FROM tenants WHERE id IN ({})",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for t in tenants {
        q = q.bind(t.to_string());
    }
    for r in q.fetch_all(&db.read).await? {
        out.insert(id_col(&r, "id")?, r.try_get("display_name")?);
    }
    Ok(out)
}
