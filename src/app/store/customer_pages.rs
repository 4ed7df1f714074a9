//! Keyset pages of the customer lists: a customer's partners, the delegated-admin grants on
//! a customer (with each partner's name joined in), the customers two partners share, and
//! the members of a customer's directory role; each read with the count its `totalCount`
//! shows in the same statement ([`super::paged`]).

use super::customers::{CustomerListRow, GrantRow, PartnerOfCustomer};
use super::decode::{all, flag_opt, parsed, parsed_opt};
use super::identity::{UserRow, USER_COLS};
use super::paged::{Listing, Seek};
use super::Db;
use crate::domain::ids::{GrantId, TenantId};
use sqlx::Row;

/// Where a page of a customer's partners continues: state, name, partner.
pub struct PartnerKey<'a> {
    pub state: &'a str,
    pub name: &'a str,
    pub partner: &'a str,
}

/// A customer's partners, active relationships first (`state` sorts `active` before
/// `ended`), then by name; only the active ones when `active_only`. With how many there are.
pub async fn partners(
    db: &Db,
    customer: TenantId,
    active_only: bool,
    after: Option<PartnerKey<'_>>,
    limit: u32,
) -> Result<(Vec<PartnerOfCustomer>, i64), sqlx::Error> {
    let continues = after.is_some();
    let k = after.unwrap_or(PartnerKey {
        state: "",
        name: "",
        partner: "",
    });
    let only = if active_only {
        " AND r.state = 'active'"
    } else {
        ""
    };
    let from = format!(
        "FROM customer_relationships r JOIN tenants t ON t.id = r.partner_tenant_id \
         LEFT JOIN partners p ON p.tenant_id = r.partner_tenant_id WHERE r.customer_tenant_id = $1{only}"
    );
    Listing {
        select: "r.partner_tenant_id, r.state, r.indirect_reseller_tenant_id, r.created_at, \
                 t.display_name, t.country, p.mpn_id, p.is_provider",
        from: &from,
        filter: vec![customer.into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (r.state, t.display_name, r.partner_tenant_id) > ($2, $3, $4) \
                  ORDER BY r.state, t.display_name, r.partner_tenant_id LIMIT $5",
            args: vec![
                k.state.into(),
                k.name.into(),
                k.partner.into(),
                limit.into(),
            ],
            continues,
        },
        |r| {
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
        },
    )
    .await
}

/// A grant with the name of the partner holding it and its state as of a moment: a live
/// grant past its end shows `expired` before the housekeeping pass records it.
pub struct NamedGrant {
    pub grant: GrantRow,
    pub partner_name: String,
    pub shown_status: String,
}

fn named_grant(r: &sqlx::any::AnyRow) -> Result<NamedGrant, sqlx::Error> {
    Ok(NamedGrant {
        partner_name: r
            .try_get::<Option<String>, _>("partner_name")?
            .unwrap_or_default(),
        shown_status: r.try_get("shown_status")?,
        grant: super::customers::grant_from(r)?,
    })
}

/// A named grant's columns; `$2` is the moment its state is shown as of.
const NAMED_GRANT_COLS: &str = "g.*, t.display_name AS partner_name, \
     CASE WHEN g.status = 'active' AND g.expires_at <= $2 THEN 'expired' ELSE g.status END AS shown_status";

/// Every grant on the customer `$1`.
const GRANTS_ON: &str = "FROM admin_grants g LEFT JOIN tenants t ON t.id = g.partner_tenant_id \
     WHERE g.customer_tenant_id = $1";

/// The grants on a customer, live or ended, newest first (keyset on created time and id),
/// with the partners' names and their states as of `now` in the same read, and how many
/// there are.
pub async fn grants(
    db: &Db,
    customer: TenantId,
    now: i64,
    before: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<NamedGrant>, i64), sqlx::Error> {
    let (at, id) = before.unwrap_or((i64::MAX, ""));
    Listing {
        select: NAMED_GRANT_COLS,
        from: GRANTS_ON,
        filter: vec![customer.into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (g.created_at, g.id) < ($3, $4) ORDER BY g.created_at DESC, g.id DESC LIMIT $5",
            args: vec![now.into(), at.into(), id.into(), limit.into()],
            continues: before.is_some(),
        },
        named_grant,
    )
    .await
}

/// One grant on a customer, named, as of `now`.
pub async fn grant(
    db: &Db,
    customer: TenantId,
    now: i64,
    id: GrantId,
) -> Result<Option<NamedGrant>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {NAMED_GRANT_COLS} {GRANTS_ON} AND g.id = $3"
    ))
    .bind(customer.to_string())
    .bind(now)
    .bind(id.to_string())
    .fetch_optional(&db.read)
    .await?
    .as_ref()
    .map(named_grant)
    .transpose()
}

/// The grants live at `now` on a customer, newest first.
pub async fn live_grants(
    db: &Db,
    customer: TenantId,
    now: i64,
) -> Result<Vec<GrantRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT * FROM admin_grants WHERE customer_tenant_id = $1 AND status = 'active' \
         AND expires_at > $2 ORDER BY created_at DESC, id DESC",
    )
    .bind(customer.to_string())
    .bind(now)
    .fetch_all(&db.read)
    .await?;
    all(&rows, super::customers::grant_from)
}

/// Customers both partners of a partnership serve, by name (keyset on name and id), and
/// how many there are.
pub async fn shared(
    db: &Db,
    provider: TenantId,
    reseller: TenantId,
    after: Option<(&str, &str)>,
    limit: u32,
) -> Result<(Vec<CustomerListRow>, i64), sqlx::Error> {
    let (name, id) = after.unwrap_or(("", ""));
    Listing {
        // Name and country come from the relationship rows (migration 0024).
        select: "r.customer_tenant_id, r.customer_name_lower, r.customer_domain, \
                 r.indirect_reseller_tenant_id, r.customer_name, r.customer_country",
        from: "FROM customer_relationships r JOIN customer_relationships s \
               ON s.customer_tenant_id = r.customer_tenant_id \
               WHERE r.partner_tenant_id = $1 AND r.state = 'active' \
               AND s.partner_tenant_id = $2 AND s.state = 'active'",
        filter: vec![provider.into(), reseller.into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (r.customer_name_lower, r.customer_tenant_id) > ($3, $4) \
                  ORDER BY r.customer_name_lower, r.customer_tenant_id LIMIT $5",
            args: vec![name.into(), id.into(), limit.into()],
            continues: after.is_some(),
        },
        |r| {
            Ok(CustomerListRow {
                id: parsed(r, "customer_tenant_id")?,
                name: r.try_get("customer_name")?,
                name_lower: r.try_get("customer_name_lower")?,
                domain: r.try_get("customer_domain")?,
                country: r.try_get("customer_country")?,
                indirect_reseller: parsed_opt(r, "indirect_reseller_tenant_id")?,
            })
        },
    )
    .await
}

/// The users of a tenant holding `role`, by sign-in name (keyset on name and id), and how
/// many there are.
pub async fn role_members(
    db: &Db,
    tenant: TenantId,
    role: &str,
    after: Option<(&str, &str)>,
    limit: u32,
) -> Result<(Vec<UserRow>, i64), sqlx::Error> {
    let (upn, id) = after.unwrap_or(("", ""));
    Listing {
        select: USER_COLS,
        from: "FROM users WHERE tenant_id = $1 \
               AND id IN (SELECT user_id FROM user_roles WHERE role = $2)",
        filter: vec![tenant.into(), role.into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (upn, id) > ($3, $4) ORDER BY upn, id LIMIT $5",
            args: vec![upn.into(), id.into(), limit.into()],
            continues: after.is_some(),
        },
        super::identity::user_from,
    )
    .await
}
