//! Customer relationships, delegated-admin grants, customer invitations, billing profiles.

use super::decode::{
    all, bad_column, flag, flag_opt, json, parsed, parsed_opt, split_words, word_list,
};
use super::{Db, Tx};
use crate::domain::customer::{
    CustomerFacts, CustomerFilter, GrantRole, GrantSet, GrantStatus, RelationshipState,
    RequestState,
};
use crate::domain::ids::{CustomerInvitationId, GrantId, TenantId};
use sqlx::Row;

/// The caller's relationship and live grants on one customer, as of `now`.
pub async fn facts(
    db: &Db,
    partner: TenantId,
    customer: TenantId,
    now: i64,
) -> Result<CustomerFacts, sqlx::Error> {
    // One round trip: the relationship row (if any) and the live grants' roles.
    let rows = sqlx::query(
        "SELECT 'relationship' AS source, '' AS roles FROM customer_relationships \
         WHERE customer_tenant_id = $1 AND partner_tenant_id = $2 AND state = 'active' \
         UNION ALL SELECT 'grant' AS source, roles FROM admin_grants WHERE partner_tenant_id = $2 \
         AND customer_tenant_id = $1 AND status = 'active' AND expires_at > $3",
    )
    .bind(customer.to_string())
    .bind(partner.to_string())
    .bind(now)
    .fetch_all(&db.read)
    .await?;
    let mut relationship = false;
    let mut roles = Vec::new();
    for r in &rows {
        let source: String = r.try_get("source")?;
        match source.as_str() {
            "relationship" => relationship = true,
            "grant" => roles.extend(word_list(r, "roles", GrantRole::parse)?),
            other => return Err(bad_column("source", other)),
        }
    }
    Ok(CustomerFacts {
        customer,
        relationship,
        grants: GrantSet::of(roles),
    })
}

/// A customer as one partner sees it, in one round trip: the tenant, the partner's facts
/// (active relationship, live grant roles) and the reseller it serves the customer through.
/// This is the whole database work of `GET /v1/customers/{id}` after the actor.
#[derive(Debug, Clone)]
pub struct CustomerView {
    pub tenant: super::identity::TenantRow,
    pub facts: CustomerFacts,
    pub via: Option<TenantId>,
}

pub async fn view(
    db: &Db,
    partner: TenantId,
    customer: TenantId,
    now: i64,
) -> Result<Option<CustomerView>, sqlx::Error> {
    let concat = match db.backend {
        super::Backend::Sqlite => "group_concat(g.roles, ',')",
        super::Backend::Postgres => "string_agg(g.roles, ',')",
    };
    let sql = format!(
        "SELECT t.*, \
         {REL_ACTIVE} AS rel_active, cr.indirect_reseller_tenant_id AS via, \
         (SELECT {concat} FROM admin_grants g WHERE g.partner_tenant_id = $2 \
            AND g.customer_tenant_id = t.id AND g.status = 'active' AND g.expires_at > $3) AS grant_roles \
         FROM tenants t LEFT JOIN {relationships} \
            ON cr.customer_tenant_id = t.id AND cr.partner_tenant_id = $2 \
         WHERE t.id = $1",
        relationships = db.backend.indexed_by("customer_relationships cr", "relationships_by_pair"),
    );
    let Some(row) = sqlx::query(&sql)
        .bind(customer.to_string())
        .bind(partner.to_string())
        .bind(now)
        .fetch_optional(&db.read)
        .await?
    else {
        return Ok(None);
    };
    // No live grant aggregates to NULL, which is no roles.
    let roles: Option<String> = row.try_get("grant_roles")?;
    let roles = split_words("grant_roles", &roles.unwrap_or_default(), GrantRole::parse)?;
    Ok(Some(CustomerView {
        tenant: super::identity::tenant_from(&row)?,
        facts: CustomerFacts {
            customer,
            relationship: row.try_get::<i64, _>("rel_active")? > 0,
            grants: GrantSet::of(roles),
        },
        via: parsed_opt(&row, "via")?,
    }))
}

/// The columns of [`view`] (and the customer's billing profile) for a statement that also
/// reads the actor: the customer is `$2`, the time `$3`, the partner is the tenant of the user
/// `u` joined by the caller. Columns are prefixed `c_`; see [`view_prefixed`].
pub(crate) fn view_columns(backend: super::Backend) -> String {
    let concat = match backend {
        super::Backend::Sqlite => "group_concat(g.roles, ',')",
        super::Backend::Postgres => "string_agg(g.roles, ',')",
    };
    format!(
        "c.id AS c_id, c.domain AS c_domain, c.display_name AS c_display_name, c.country AS c_country, \
         c.kind AS c_kind, c.mfa_required AS c_mfa_required, c.admin_mfa_exempt AS c_admin_mfa_exempt, \
         c.created_at AS c_created_at, c.version AS c_version, \
         {REL_ACTIVE} AS c_rel_active, cr.indirect_reseller_tenant_id AS c_via, \
         (SELECT {concat} FROM admin_grants g WHERE g.partner_tenant_id = u.tenant_id \
            AND g.customer_tenant_id = c.id AND g.status = 'active' AND g.expires_at > $3) AS c_grant_roles, \
         cp.billing AS c_billing, cp.version AS c_billing_version"
    )
}

/// The joins [`view_columns`] needs after the user `u`. A partner has at most one
/// relationship with a customer (unique pair), so joining it reads the pair's index once for
/// both its state and its reseller.
pub(crate) fn view_joins(backend: super::Backend) -> String {
    format!(
        "LEFT JOIN tenants c ON c.id = $2 \
         LEFT JOIN {relationships} ON cr.customer_tenant_id = c.id AND cr.partner_tenant_id = u.tenant_id \
         LEFT JOIN customer_profiles cp ON cp.tenant_id = c.id",
        relationships = backend.indexed_by("customer_relationships cr", "relationships_by_pair"),
    )
}

/// Whether the joined relationship `cr` is active, as a count (0 or 1).
const REL_ACTIVE: &str = "CAST(CASE WHEN cr.state = 'active' THEN 1 ELSE 0 END AS BIGINT)";

/// A customer's billing profile (the JSON document and its version), when it has one.
pub(crate) type BillingDoc = Option<(serde_json::Value, i64)>;

/// A customer's view and billing profile decoded from [`view_columns`]; `None` when no
/// tenant has that id.
pub(crate) fn view_prefixed(
    row: &sqlx::any::AnyRow,
    customer: TenantId,
) -> Result<Option<(CustomerView, BillingDoc)>, sqlx::Error> {
    if row.try_get::<Option<String>, _>("c_id")?.is_none() {
        return Ok(None);
    }
    // No live grant aggregates to NULL, which is no roles.
    let roles: Option<String> = row.try_get("c_grant_roles")?;
    let roles = split_words(
        "c_grant_roles",
        &roles.unwrap_or_default(),
        GrantRole::parse,
    )?;
    let view = CustomerView {
        tenant: super::identity::tenant_prefixed(row, "c_", customer)?,
        facts: CustomerFacts {
            customer,
            relationship: row.try_get::<i64, _>("c_rel_active")? > 0,
            grants: GrantSet::of(roles),
        },
        via: parsed_opt(row, "c_via")?,
    };
    let billing = match row.try_get::<Option<String>, _>("c_billing")? {
        Some(_) => Some((
            json(row, "c_billing")?,
            row.try_get::<i64, _>("c_billing_version")?,
        )),
        None => None,
    };
    Ok(Some((view, billing)))
}

/// A relationship to write. The row keeps copies of the customer's name, domain and
/// country for the lists (migration 0024); they are taken from the customer's own tenant row.
pub struct NewRelationship<'a> {
    pub customer: &'a super::identity::TenantRow,
    pub partner: TenantId,
    pub indirect_reseller: Option<TenantId>,
}

/// Creates the relationship, or makes an ended one active again; false if it was active.
pub async fn upsert_relationship(
    tx: &mut Tx,
    r: &NewRelationship<'_>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let existing = sqlx::query(
        "SELECT state FROM customer_relationships WHERE customer_tenant_id = $1 AND partner_tenant_id = $2",
    )
    .bind(r.customer.id.to_string())
    .bind(r.partner.to_string())
    .fetch_optional(tx.conn().await?)
    .await?;
    let state: Option<RelationshipState> = existing
        .as_ref()
        .map(|row| parsed(row, "state"))
        .transpose()?;
    if state == Some(RelationshipState::Active) {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO customer_relationships (id, customer_tenant_id, partner_tenant_id, indirect_reseller_tenant_id, \
         customer_name_lower, customer_domain, customer_name, customer_country, reseller_name, state, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, (SELECT t.display_name FROM tenants t WHERE t.id = $4), 'active', $9) \
         ON CONFLICT (customer_tenant_id, partner_tenant_id) DO UPDATE SET state = 'active', ended_at = NULL, \
         indirect_reseller_tenant_id = excluded.indirect_reseller_tenant_id, created_at = excluded.created_at, \
         customer_name_lower = excluded.customer_name_lower, customer_domain = excluded.customer_domain, \
         customer_name = excluded.customer_name, customer_country = excluded.customer_country, \
         reseller_name = excluded.reseller_name",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(r.customer.id.to_string())
    .bind(r.partner.to_string())
    .bind(r.indirect_reseller.map(|t| t.to_string()))
    .bind(r.customer.display_name.to_lowercase())
    .bind(&r.customer.domain)
    .bind(&r.customer.display_name)
    .bind(&r.customer.country)
    .bind(now)
    .execute(tx.conn().await?)
    .await?;
    Ok(true)
}

pub async fn end_relationship(
    tx: &mut Tx,
    customer: TenantId,
    partner: TenantId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE customer_relationships SET state = 'ended', ended_at = $1 \
         WHERE customer_tenant_id = $2 AND partner_tenant_id = $3 AND state = 'active'",
    )
    .bind(now)
    .bind(customer.to_string())
    .bind(partner.to_string())
    .execute(tx.conn().await?)
    .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone)]
pub struct CustomerListRow {
    pub id: TenantId,
    pub name: String,
    pub name_lower: String,
    pub domain: String,
    pub country: String,
    pub indirect_reseller: Option<TenantId>,
}

/// The filter's condition, its value bound as `$n`.
fn filter_sql(f: Option<&CustomerFilter>, n: usize) -> (String, String) {
    let like = |v: &str| format!("{}%", like_escape(v));
    match f {
        None => (String::new(), String::new()),
        Some(CustomerFilter::CompanyName(v)) => (format!(" AND r.customer_name_lower LIKE ${n}"), like(v)),
        Some(CustomerFilter::Domain(v)) => (format!(" AND r.customer_domain LIKE ${n}"), like(v)),
        Some(CustomerFilter::IndirectReseller(v)) => (format!(" AND r.indirect_reseller_tenant_id LIKE ${n}"), like(v)),
        Some(CustomerFilter::IndirectCloudSolutionProvider(v)) => (
            format!(
                " AND EXISTS (SELECT 1 FROM customer_relationships o WHERE o.customer_tenant_id = r.customer_tenant_id \
                  AND o.state = 'active' AND o.partner_tenant_id LIKE ${n})"
            ),
            like(v),
        ),
    }
}

/// LIKE patterns take the value literally.
fn like_escape(v: &str) -> String {
    v.chars()
        .filter(|c| *c != '%' && *c != '_' && *c != '\\')
        .collect()
}

/// One page of a partner's customers ordered by name (keyset on name, id). The keyset is a
/// row-value comparison: PostgreSQL turns it into an index range, where the equivalent
/// `a > x OR (a = x AND b > y)` made it scan every earlier entry (seconds at page 5,000).
pub async fn page(
    db: &Db,
    partner: TenantId,
    filter: Option<&CustomerFilter>,
    after: Option<(&str, &str)>,
    limit: u32,
) -> Result<Vec<CustomerListRow>, sqlx::Error> {
    let (rows, _) = page_in_one(db, partner, filter, after, limit, Extra::None).await?;
    Ok(rows.into_iter().map(|(r, _)| r).collect())
}

/// [`page`] and how many of the partner's customers match, in one statement.
pub async fn page_and_total(
    db: &Db,
    partner: TenantId,
    filter: Option<&CustomerFilter>,
    after: Option<(&str, &str)>,
    limit: u32,
) -> Result<(Vec<CustomerListRow>, i64), sqlx::Error> {
    let (rows, total) = page_in_one(db, partner, filter, after, limit, Extra::Total).await?;
    Ok((rows.into_iter().map(|(r, _)| r).collect(), total))
}

/// A page of [`page`] with each customer's indirect reseller's name, and how many of the
/// partner's customers match, in one statement (the portal groups its list by reseller).
pub async fn page_with_resellers(
    db: &Db,
    partner: TenantId,
    filter: Option<&CustomerFilter>,
    after: Option<(&str, &str)>,
    limit: u32,
) -> Result<(Vec<(CustomerListRow, Option<String>)>, i64), sqlx::Error> {
    page_in_one(
        db,
        partner,
        filter,
        after,
        limit,
        Extra::ResellerNamesAndTotal,
    )
    .await
}

/// Which of `resellers` (`None`: customers served directly) serve one of the partner's
/// matching customers at or before `at` in name order: the groups of a later page of the
/// portal's list that began on an earlier page. One `EXISTS` per reseller, each stopping at
/// the first customer it finds.
pub async fn resellers_before(
    db: &Db,
    partner: TenantId,
    filter: Option<&CustomerFilter>,
    at: (&str, &str),
    resellers: &[Option<TenantId>],
) -> Result<Vec<Option<TenantId>>, sqlx::Error> {
    if resellers.is_empty() {
        return Ok(Vec::new());
    }
    let (cond, value) = filter_sql(filter, 4);
    let mut next_param = if cond.is_empty() { 4 } else { 5 };
    let probes: Vec<String> = resellers
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let served = match r {
                Some(_) => {
                    next_param += 1;
                    format!("r.indirect_reseller_tenant_id = ${}", next_param - 1)
                }
                None => "r.indirect_reseller_tenant_id IS NULL".to_string(),
            };
            format!(
                "CAST(CASE WHEN EXISTS (SELECT 1 FROM customer_relationships r \
                 WHERE r.partner_tenant_id = $1 AND r.state = 'active' \
                 AND (r.customer_name_lower, r.customer_tenant_id) <= ($2, $3){cond} AND {served}) \
                 THEN 1 ELSE 0 END AS BIGINT) AS c{n}"
            )
        })
        .collect();
    let sql = format!("SELECT {}", probes.join(", "));
    let mut q = sqlx::query(&sql)
        .bind(partner.to_string())
        .bind(at.0)
        .bind(at.1);
    if !cond.is_empty() {
        q = q.bind(value);
    }
    for r in resellers.iter().flatten() {
        q = q.bind(r.to_string());
    }
    let row = q.fetch_one(&db.lists).await?;
    let mut out = Vec::new();
    for (n, r) in resellers.iter().enumerate() {
        let hit: i64 = row.try_get(format!("c{n}").as_str())?;
        if hit == 1 {
            out.push(*r);
        }
    }
    Ok(out)
}

/// What a page statement reads besides the page itself.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Extra {
    None,
    Total,
    ResellerNamesAndTotal,
}

/// One list row as the page statement aggregates it: id, lower-cased name, domain, indirect
/// reseller, name, country, reseller's name.
type PackedRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
);

/// A page of customers, each with its indirect reseller's name when asked for, and the total.
pub(crate) type NamedPage = (Vec<(CustomerListRow, Option<String>)>, i64);

/// A page of customers read as one row: the page's rows aggregated into one JSON array on
/// the database side (and the total beside it), so the driver decodes one row of two
/// columns instead of a hundred rows of six, and the page costs one round trip. Profiled:
/// per-row decoding through the `Any` driver (a row and its column list allocated per row,
/// on SQLite each row a message from the connection's thread) was most of a list's server
/// time; on PostgreSQL, rows instead of the array moved as much work into the server's
/// decoding as they took off the database.
async fn page_in_one(
    db: &Db,
    partner: TenantId,
    filter: Option<&CustomerFilter>,
    after: Option<(&str, &str)>,
    limit: u32,
    extra: Extra,
) -> Result<NamedPage, sqlx::Error> {
    let (cond, value) = filter_sql(filter, 4);
    let (k, i) = after.unwrap_or(("", ""));
    let sql = page_statement(db.backend, filter, limit, extra);
    let mut q = sqlx::query(&sql).bind(partner.to_string()).bind(k).bind(i);
    if !cond.is_empty() {
        q = q.bind(value);
    }
    // A list page: from the list pool (a replica when one is configured).
    let row = q.fetch_one(&db.lists).await?;
    unpacked(db.backend, &row)
}

/// The statement [`page_in_one`] runs: the partner is `$1`, the page starts after the
/// (lower-cased name, id) `($2, $3)`, and a filter's value is `$4`.
pub fn page_statement(
    backend: super::Backend,
    filter: Option<&CustomerFilter>,
    limit: u32,
    extra: Extra,
) -> String {
    format!(
        "SELECT {}",
        page_columns(backend, filter, limit, extra, PageAt::Params(1))
    )
}

/// Where a page's columns find their partner and position.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PageAt {
    /// `$n` is the partner, `$n+1` and `$n+2` the (lower-cased name, id) the page starts
    /// after, `$n+3` a filter's value.
    Params(usize),
    /// The partner is the organisation of the user `u` the statement joins (a portal page
    /// read with its session, whose user is not known before); `$n` and `$n+1` are the
    /// position. No filter.
    UserTenant(usize),
}

impl PageAt {
    /// The partner as SQL, the first position parameter and the filter's parameter.
    fn parts(self) -> (String, usize, usize) {
        match self {
            PageAt::Params(n) => (format!("${n}"), n + 1, n + 3),
            PageAt::UserTenant(n) => ("u.tenant_id".to_string(), n, n + 2),
        }
    }
}

/// How many of the `partner`'s active customers match the filter (`cond`), as a column
/// (zero when `extra` does not ask for it).
fn total_column(
    extra: Extra,
    filter: Option<&CustomerFilter>,
    partner: &str,
    cond: &str,
) -> String {
    match (extra, filter) {
        (Extra::None, _) => "CAST(0 AS BIGINT)".to_string(),
        // Kept by triggers on customer_relationships (migration 0008).
        (_, None) => format!("CAST(COALESCE((SELECT active FROM customer_counts WHERE partner_tenant_id = {partner}), 0) AS BIGINT)"),
        (_, Some(_)) => format!(
            "CAST((SELECT COUNT(*) FROM customer_relationships r WHERE r.partner_tenant_id = {partner} AND r.state = 'active'{cond}) AS BIGINT)"
        ),
    }
}

/// The columns of a page's rows, in the order [`unpacked`] reads them. The reseller's name
/// is kept on the relationship row (migration 0027), so a portal page reads no tenant row.
fn page_row_columns(extra: Extra) -> [&'static str; 7] {
    let reseller_name = if extra == Extra::ResellerNamesAndTotal {
        "r.reseller_name"
    } else {
        "NULL"
    };
    [
        "r.customer_tenant_id",
        "r.customer_name_lower",
        "r.customer_domain",
        "r.indirect_reseller_tenant_id",
        "r.customer_name",
        "r.customer_country",
        reseller_name,
    ]
}

/// Where a page's rows come from, in name order: the partner is `partner`, the page starts
/// after the (lower-cased name, id) in parameters `$key` and `$key+1`, `cond` filters further.
fn page_range(partner: &str, key: usize, cond: &str, limit: u32) -> String {
    let id = key + 1;
    format!(
        "FROM customer_relationships r \
         WHERE r.partner_tenant_id = {partner} AND r.state = 'active' \
         AND (r.customer_name_lower, r.customer_tenant_id) > (${key}, ${id}){cond} \
         ORDER BY r.customer_name_lower, r.customer_tenant_id LIMIT {limit}"
    )
}

/// The page and its total as two columns, `total` and `items` (decoded by [`unpacked`]),
/// for a statement that names the partner, the (lower-cased name, id) the page starts after,
/// and a filter's value as `at` says.
pub(crate) fn page_columns(
    backend: super::Backend,
    filter: Option<&CustomerFilter>,
    limit: u32,
    extra: Extra,
    at: PageAt,
) -> String {
    debug_assert!(
        filter.is_none() || matches!(at, PageAt::Params(_)),
        "a page of the user's organisation takes no filter"
    );
    let (partner, key, value) = at.parts();
    let (cond, _) = filter_sql(filter, value);
    let items = backend.json_text_page(
        &page_row_columns(extra),
        &page_range(&partner, key, &cond, limit),
    );
    format!(
        "{} AS total, {items} AS items",
        total_column(extra, filter, &partner, &cond),
    )
}

/// Decodes the packed page and its total read by [`page_in_one`].
pub(crate) fn unpacked(
    backend: super::Backend,
    row: &sqlx::any::AnyRow,
) -> Result<NamedPage, sqlx::Error> {
    let total: i64 = row.try_get("total")?;
    let packed: Option<String> = row.try_get("items")?;
    let mut packed: Vec<PackedRow> = match packed {
        Some(text) => serde_json::from_str(&text).map_err(|e| bad_column("items", e))?,
        None => Vec::new(),
    };
    if !backend.json_rows_ordered() {
        // Back to the page's (name, id) order.
        packed.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    }
    let rows = packed
        .into_iter()
        .map(
            |(id, name_lower, domain, reseller, name, country, reseller_name)| {
                let row = CustomerListRow {
                    id: id.parse().map_err(|_| bad_column("items", "customer id"))?,
                    name,
                    name_lower,
                    domain,
                    country,
                    indirect_reseller: reseller
                        .map(|r| r.parse().map_err(|_| bad_column("items", "reseller id")))
                        .transpose()?,
                };
                Ok((row, reseller_name))
            },
        )
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((rows, total))
}

pub async fn count(
    db: &Db,
    partner: TenantId,
    filter: Option<&CustomerFilter>,
) -> Result<i64, sqlx::Error> {
    if filter.is_none() {
        // Kept by triggers on customer_relationships (migration 0008): counting half a
        // million index entries on every page would dominate the list's cost.
        let row = sqlx::query("SELECT active FROM customer_counts WHERE partner_tenant_id = $1")
            .bind(partner.to_string())
            .fetch_optional(&db.lists)
            .await?;
        return Ok(row.map(|r| r.try_get("active")).transpose()?.unwrap_or(0));
    }
    let (extra, value) = filter_sql(filter, 2);
    let sql = format!(
        "SELECT COUNT(*) AS n FROM customer_relationships r WHERE r.partner_tenant_id = $1 AND r.state = 'active'{extra}"
    );
    let mut q = sqlx::query(&sql).bind(partner.to_string());
    if !extra.is_empty() {
        q = q.bind(value);
    }
    q.fetch_one(&db.lists).await?.try_get("n")
}

#[derive(Debug, Clone)]
pub struct PartnerOfCustomer {
    pub partner: TenantId,
    pub name: String,
    pub mpn_id: Option<i64>,
    pub country: String,
    pub is_provider: bool,
    pub state: RelationshipState,
    pub indirect_reseller: Option<TenantId>,
    pub since: i64,
}

/// The partners of a customer (active relationships first, then ended).
pub async fn partners_of(
    db: &Db,
    customer: TenantId,
) -> Result<Vec<PartnerOfCustomer>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT r.partner_tenant_id, r.state, r.indirect_reseller_tenant_id, r.created_at, t.display_name, t.country, \
         p.mpn_id, p.is_provider FROM customer_relationships r JOIN tenants t ON t.id = r.partner_tenant_id \
         LEFT JOIN partners p ON p.tenant_id = r.partner_tenant_id WHERE r.customer_tenant_id = $1 \
         ORDER BY r.state, t.display_name",
    )
    .bind(customer.to_string())
    .fetch_all(&db.read)
    .await?;
    all(&rows, |r| {
        Ok(PartnerOfCustomer {
            partner: parsed(r, "partner_tenant_id")?,
            name: r.try_get("display_name")?,
            mpn_id: r.try_get("mpn_id")?,
            country: r.try_get("country")?,
            is_provider: flag_opt(r, "is_provider")?,
            state: parsed(r, "state")?,
            indirect_reseller: parsed_opt(r, "indirect_reseller_tenant_id")?,
            since: r.try_get("created_at")?,
        })
    })
}

#[derive(Debug, Clone)]
pub struct GrantRow {
    pub id: GrantId,
    pub customer: TenantId,
    pub partner: TenantId,
    pub roles: Vec<GrantRole>,
    pub status: GrantStatus,
    pub duration_days: i64,
    pub auto_extend: bool,
    pub created_at: i64,
    pub expires_at: i64,
    pub warned_at: Option<i64>,
}

pub(super) fn grant_from(r: &sqlx::any::AnyRow) -> Result<GrantRow, sqlx::Error> {
    Ok(GrantRow {
        id: parsed(r, "id")?,
        customer: parsed(r, "customer_tenant_id")?,
        partner: parsed(r, "partner_tenant_id")?,
        roles: word_list(r, "roles", GrantRole::parse)?,
        status: parsed(r, "status")?,
        duration_days: r.try_get("duration_days")?,
        auto_extend: flag(r, "auto_extend")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        warned_at: r.try_get("warned_at")?,
    })
}

pub async fn insert_grant(tx: &mut Tx, g: &GrantRow) -> Result<(), sqlx::Error> {
    let roles: Vec<&str> = g.roles.iter().map(|r| r.as_str()).collect();
    sqlx::query(
        "INSERT INTO admin_grants (id, customer_tenant_id, partner_tenant_id, roles, status, duration_days, auto_extend, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $8)",
    )
    .bind(g.id.to_string())
    .bind(g.customer.to_string())
    .bind(g.partner.to_string())
    .bind(roles.join(","))
    .bind(g.duration_days)
    .bind(g.auto_extend as i64)
    .bind(g.created_at)
    .bind(g.expires_at)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

pub async fn grant(db: &Db, id: GrantId) -> Result<Option<GrantRow>, sqlx::Error> {
    let r = sqlx::query("SELECT * FROM admin_grants WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&db.read)
        .await?;
    r.as_ref().map(grant_from).transpose()
}

/// Ends a live grant with `status` (revoked, expired); false if it was not live.
pub async fn end_grant(
    tx: &mut Tx,
    id: GrantId,
    status: GrantStatus,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE admin_grants SET status = $1, ended_at = $2 WHERE id = $3 AND status = 'active'",
    )
    .bind(status.as_str())
    .bind(now)
    .bind(id.to_string())
    .execute(tx.conn().await?)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Live grants of one partner on one customer.
pub async fn live_grants(
    tx: &mut Tx,
    partner: TenantId,
    customer: TenantId,
) -> Result<Vec<GrantRow>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM admin_grants WHERE partner_tenant_id = $1 AND customer_tenant_id = $2 AND status = 'active'")
        .bind(partner.to_string())
        .bind(customer.to_string())
        .fetch_all(tx.conn().await?)
        .await?;
    all(&rows, grant_from)
}

/// Live grants whose end is due by `until` (for warnings and expiry).
pub async fn grants_due(db: &Db, until: i64) -> Result<Vec<GrantRow>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM admin_grants WHERE status = 'active' AND expires_at <= $1 ORDER BY expires_at LIMIT 500")
        .bind(until)
        .fetch_all(&db.read)
        .await?;
    all(&rows, grant_from)
}

pub async fn mark_warned(tx: &mut Tx, id: GrantId, now: i64) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("UPDATE admin_grants SET warned_at = $1 WHERE id = $2 AND warned_at IS NULL AND status = 'active'")
        .bind(now)
        .bind(id.to_string())
        .execute(tx.conn().await?)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn extend_grant(
    tx: &mut Tx,
    id: GrantId,
    old_expiry: i64,
    new_expiry: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE admin_grants SET expires_at = $1, warned_at = NULL WHERE id = $2 AND status = 'active' AND expires_at = $3",
    )
    .bind(new_expiry)
    .bind(id.to_string())
    .bind(old_expiry)
    .execute(tx.conn().await?)
    .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone)]
pub struct CustomerInvitationRow {
    pub id: CustomerInvitationId,
    pub reseller: TenantId,
    pub provider: Option<TenantId>,
    pub token_hash: String,
    pub state: RequestState,
    pub roles: Vec<GrantRole>,
    pub duration_days: i64,
    pub auto_extend: bool,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub customer: Option<TenantId>,
}

fn invitation_from(r: &sqlx::any::AnyRow) -> Result<CustomerInvitationRow, sqlx::Error> {
    Ok(CustomerInvitationRow {
        id: parsed(r, "id")?,
        reseller: parsed(r, "reseller_tenant_id")?,
        provider: parsed_opt(r, "provider_tenant_id")?,
        token_hash: r.try_get("token_hash")?,
        state: parsed(r, "state")?,
        roles: word_list(r, "roles", GrantRole::parse)?,
        duration_days: r.try_get("duration_days")?,
        auto_extend: flag(r, "auto_extend")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        customer: parsed_opt(r, "customer_tenant_id")?,
    })
}

pub async fn insert_invitation(tx: &mut Tx, i: &CustomerInvitationRow) -> Result<(), sqlx::Error> {
    let roles: Vec<&str> = i.roles.iter().map(|r| r.as_str()).collect();
    sqlx::query(
        "INSERT INTO customer_invitations (id, reseller_tenant_id, provider_tenant_id, token_hash, roles, duration_days, \
         auto_extend, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(i.id.to_string())
    .bind(i.reseller.to_string())
    .bind(i.provider.map(|p| p.to_string()))
    .bind(&i.token_hash)
    .bind(roles.join(","))
    .bind(i.duration_days)
    .bind(i.auto_extend as i64)
    .bind(&i.created_by)
    .bind(i.created_at)
    .bind(i.expires_at)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

pub async fn invitation_by_token(
    tx: &mut Tx,
    hash: &str,
) -> Result<Option<CustomerInvitationRow>, sqlx::Error> {
    let sql = format!(
        "SELECT * FROM customer_invitations WHERE token_hash = $1{}",
        tx.backend.for_update()
    );
    let r = sqlx::query(&sql)
        .bind(hash)
        .fetch_optional(tx.conn().await?)
        .await?;
    r.as_ref().map(invitation_from).transpose()
}

pub async fn invitation_by_token_read(
    db: &Db,
    hash: &str,
) -> Result<Option<CustomerInvitationRow>, sqlx::Error> {
    let r = sqlx::query("SELECT * FROM customer_invitations WHERE token_hash = $1")
        .bind(hash)
        .fetch_optional(&db.read)
        .await?;
    r.as_ref().map(invitation_from).transpose()
}

pub async fn close_invitation(
    tx: &mut Tx,
    id: CustomerInvitationId,
    state: RequestState,
    now: i64,
    by: &str,
    customer: Option<TenantId>,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE customer_invitations SET state = $1, closed_at = $2, closed_by = $3, customer_tenant_id = $4 \
         WHERE id = $5 AND state = 'pending'",
    )
    .bind(state.as_str())
    .bind(now)
    .bind(by)
    .bind(customer.map(|c| c.to_string()))
    .bind(id.to_string())
    .execute(tx.conn().await?)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn billing(
    db: &Db,
    customer: TenantId,
) -> Result<Option<(serde_json::Value, i64)>, sqlx::Error> {
    let r = sqlx::query("SELECT billing, version FROM customer_profiles WHERE tenant_id = $1")
        .bind(customer.to_string())
        .fetch_optional(&db.read)
        .await?;
    r.map(|r| Ok((json(&r, "billing")?, r.try_get("version")?)))
        .transpose()
}

/// Writes the billing profile if it still has `expected_version` (0: none yet).
pub async fn save_billing(
    tx: &mut Tx,
    customer: TenantId,
    billing: &serde_json::Value,
    expected_version: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = if expected_version == 0 {
        sqlx::query("INSERT INTO customer_profiles (tenant_id, billing, updated_at) VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO NOTHING")
            .bind(customer.to_string())
            .bind(billing.to_string())
            .bind(now)
            .execute(tx.conn().await?)
            .await?
    } else {
        sqlx::query("UPDATE customer_profiles SET billing = $1, updated_at = $2, version = version + 1 WHERE tenant_id = $3 AND version = $4")
            .bind(billing.to_string())
            .bind(now)
            .bind(customer.to_string())
            .bind(expected_version)
            .execute(tx.conn().await?)
            .await?
    };
    Ok(r.rows_affected() == 1)
}

/// The resellers that may be of record when `provider` orders for `customer`: active
/// resellers with an active relationship with the customer and an active partnership with
/// the provider (the channel rule of `domain::channel`). `conn` is the writing transaction's
/// when an order is placed, so the answer holds for what it writes.
pub async fn qualified_resellers(
    conn: &mut sqlx::AnyConnection,
    provider: TenantId,
    customer: TenantId,
) -> Result<Vec<TenantId>, sqlx::Error> {
    qualified(conn, QUALIFIED_RESELLERS, provider, customer).await
}

/// [`qualified_resellers`] read in `tx` (as its first statement, with the `BEGIN`, when
/// nothing was sent before).
pub async fn qualified_resellers_in(
    tx: &mut super::Tx,
    provider: TenantId,
    customer: TenantId,
) -> Result<Vec<TenantId>, sqlx::Error> {
    let sql = tx.opening(QUALIFIED_RESELLERS);
    qualified(tx.conn().await?, &sql, provider, customer).await
}

/// The resellers serving customer `$1` that partner with provider `$2`, oldest first.
const QUALIFIED_RESELLERS: &str = "SELECT r.partner_tenant_id FROM customer_relationships r \
     JOIN partnerships s ON s.reseller_tenant_id = r.partner_tenant_id AND s.provider_tenant_id = $2 AND s.state = 'active' \
     JOIN partners p ON p.tenant_id = r.partner_tenant_id AND p.is_reseller = 1 AND p.status = 'active' \
     WHERE r.customer_tenant_id = $1 AND r.state = 'active' ORDER BY r.created_at, r.partner_tenant_id";

/// Runs `sql` ([`QUALIFIED_RESELLERS`], perhaps behind a `BEGIN`) and decodes its ids.
async fn qualified(
    conn: &mut sqlx::AnyConnection,
    sql: &str,
    provider: TenantId,
    customer: TenantId,
) -> Result<Vec<TenantId>, sqlx::Error> {
    let rows = sqlx::query(sql)
        .bind(customer.to_string())
        .bind(provider.to_string())
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            let v: String = r.try_get("partner_tenant_id")?;
            v.parse()
                .map_err(|_| sqlx::Error::Decode(format!("partner_tenant_id: {v:?}").into()))
        })
        .collect()
}

/// What the channel rule needs about `reseller` as reseller of record of an order billed to
/// `provider` for `customer`, in one read inside the writing transaction (as its first
/// statement, with the `BEGIN`, when nothing was sent before).
pub async fn record_facts(
    tx: &mut super::Tx,
    provider: TenantId,
    customer: TenantId,
    reseller: TenantId,
) -> Result<crate::domain::channel::RecordFacts, sqlx::Error> {
    let rows = super::batch::Batch::new()
        .fetch(tx, &[record_facts_read(provider, customer, reseller)])
        .await?;
    record_facts_from(
        rows.first().map(Vec::as_slice).unwrap_or_default(),
        reseller,
    )
}

/// [`record_facts`] as a read, for a trip that reads more (`Batch::fetch`); its rows go to
/// [`record_facts_from`].
pub fn record_facts_read(
    provider: TenantId,
    customer: TenantId,
    reseller: TenantId,
) -> super::batch::Read {
    super::batch::Read::new(
        "SELECT CAST(p.is_reseller AS BIGINT) AS is_reseller, \
         CAST(CASE WHEN p.status = 'active' THEN 1 ELSE 0 END AS BIGINT) AS active, \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM partnerships s WHERE s.provider_tenant_id = $1 AND s.reseller_tenant_id = p.tenant_id AND s.state = 'active') THEN 1 ELSE 0 END AS BIGINT) AS partnered, \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM customer_relationships c WHERE c.customer_tenant_id = $2 AND c.partner_tenant_id = p.tenant_id AND c.state = 'active') THEN 1 ELSE 0 END AS BIGINT) AS serves \
         FROM partners p WHERE p.tenant_id = $3",
    )
    .text(provider.to_string())
    .text(customer.to_string())
    .text(reseller.to_string())
}

/// The facts [`record_facts_read`] returned about `reseller` (all false without its row).
pub fn record_facts_from(
    rows: &[sqlx::any::AnyRow],
    reseller: TenantId,
) -> Result<crate::domain::channel::RecordFacts, sqlx::Error> {
    let r = rows.first();
    let flag = |col: &str| -> Result<bool, sqlx::Error> {
        Ok(match r {
            Some(r) => r.try_get::<i64, _>(col)? != 0,
            None => false,
        })
    };
    Ok(crate::domain::channel::RecordFacts {
        reseller,
        is_reseller: flag("is_reseller")?,
        partner_active: flag("active")?,
        partnered_with_provider: flag("partnered")?,
        serves_customer: flag("serves")?,
    })
}

pub async fn invitation(
    db: &Db,
    id: CustomerInvitationId,
) -> Result<Option<CustomerInvitationRow>, sqlx::Error> {
    let r = sqlx::query("SELECT * FROM customer_invitations WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&db.read)
        .await?;
    r.as_ref().map(invitation_from).transpose()
}

/// Records the customer's consent to the access a request asked for (at acceptance).
pub async fn record_consent(
    tx: &mut Tx,
    id: CustomerInvitationId,
    at: i64,
    by: &str,
    access: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE customer_invitations SET consent_at = $1, consent_by = $2, consent_access = $3 WHERE id = $4",
    )
    .bind(at)
    .bind(by)
    .bind(access)
    .bind(id.to_string())
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}
