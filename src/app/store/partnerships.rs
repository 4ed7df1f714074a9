//! Provider listings, partnership invitations and partnerships.

use super::paged::{Listing, Seek};
use super::{Db, Tx};
use crate::domain::ids::{PartnerInvitationId, PartnershipId, TenantId};
use crate::domain::partnership::{InvitationState, PartnershipState};
use sqlx::Row;

pub(crate) use super::decode::{bad_column, parsed};

fn state_col<T>(
    r: &sqlx::any::AnyRow,
    col: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, sqlx::Error> {
    let raw: String = r.try_get(col)?;
    parse(&raw).ok_or_else(|| bad_column(col, &raw))
}

#[derive(Debug, Clone)]
pub struct ListingRow {
    pub tenant_id: TenantId,
    pub countries: Vec<String>,
    pub services: Vec<String>,
    pub description: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub website: String,
    pub updated_at: i64,
    pub version: i64,
}

fn split(s: String) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

fn listing_from(r: &sqlx::any::AnyRow) -> Result<ListingRow, sqlx::Error> {
    Ok(ListingRow {
        tenant_id: parsed(r, "tenant_id")?,
        countries: split(r.try_get("countries")?),
        services: split(r.try_get("services")?),
        description: r.try_get("description")?,
        contact_email: r.try_get("contact_email")?,
        contact_phone: r.try_get("contact_phone")?,
        website: r.try_get("website")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
    })
}

pub async fn listing(db: &Db, tenant: TenantId) -> Result<Option<ListingRow>, sqlx::Error> {
    let r = sqlx::query("SELECT * FROM provider_listings WHERE tenant_id = $1")
        .bind(tenant.to_string())
        .fetch_optional(&db.read)
        .await?;
    r.as_ref().map(listing_from).transpose()
}

/// Writes a listing if it still has `expected_version` (0: there is none yet).
pub async fn save_listing(
    tx: &mut Tx,
    l: &ListingRow,
    expected_version: i64,
) -> Result<bool, sqlx::Error> {
    let countries = l.countries.join(",");
    let services = l.services.join(",");
    let done = if expected_version == 0 {
        sqlx::query(
            "INSERT INTO provider_listings (tenant_id, countries, services, description, contact_email, contact_phone, website, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id) DO NOTHING",
        )
        .bind(l.tenant_id.to_string())
        .bind(countries)
        .bind(services)
        .bind(&l.description)
        .bind(&l.contact_email)
        .bind(&l.contact_phone)
        .bind(&l.website)
        .bind(l.updated_at)
        .execute(tx.conn().await?)
        .await?
    } else {
        sqlx::query(
            "UPDATE provider_listings SET countries = $1, services = $2, description = $3, contact_email = $4, \
             contact_phone = $5, website = $6, updated_at = $7, version = version + 1 WHERE tenant_id = $8 AND version = $9",
        )
        .bind(countries)
        .bind(services)
        .bind(&l.description)
        .bind(&l.contact_email)
        .bind(&l.contact_phone)
        .bind(&l.website)
        .bind(l.updated_at)
        .bind(l.tenant_id.to_string())
        .bind(expected_version)
        .execute(tx.conn().await?)
        .await?
    };
    Ok(done.rows_affected() == 1)
}

/// A provider as the directory shows it.
#[derive(Debug, Clone)]
pub struct DirectoryEntry {
    pub tenant_id: TenantId,
    pub name: String,
    pub country: String,
    pub mpn_id: i64,
    pub listing: Option<ListingRow>,
}

/// Authorized, active providers, by name.
pub async fn directory(db: &Db) -> Result<Vec<DirectoryEntry>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT t.id AS tid, t.display_name, t.country, p.mpn_id, l.* FROM partners p \
         JOIN tenants t ON t.id = p.tenant_id LEFT JOIN provider_listings l ON l.tenant_id = p.tenant_id \
         WHERE p.is_provider = 1 AND p.status = 'active' ORDER BY t.display_name, t.id",
    )
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DirectoryEntry {
                tenant_id: parsed(r, "tid")?,
                name: r.try_get("display_name")?,
                country: r.try_get("country")?,
                mpn_id: r.try_get("mpn_id")?,
                listing: match r.try_get::<Option<String>, _>("countries")? {
                    Some(_) => Some(listing_from(r)?),
                    None => None,
                },
            })
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct InvitationRow {
    pub id: PartnerInvitationId,
    pub provider_tenant_id: TenantId,
    pub reseller_tenant_id: Option<TenantId>,
    pub email: Option<String>,
    pub token_hash: String,
    pub state: InvitationState,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub accepted_by: Option<String>,
}

fn invitation_from(r: &sqlx::any::AnyRow) -> Result<InvitationRow, sqlx::Error> {
    Ok(InvitationRow {
        id: parsed(r, "id")?,
        provider_tenant_id: parsed(r, "provider_tenant_id")?,
        reseller_tenant_id: match r.try_get::<Option<String>, _>("reseller_tenant_id")? {
            Some(raw) => Some(
                raw.parse()
                    .map_err(|_| bad_column("reseller_tenant_id", &raw))?,
            ),
            None => None,
        },
        email: r.try_get("email")?,
        token_hash: r.try_get("token_hash")?,
        state: state_col(r, "state", InvitationState::parse)?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        accepted_at: r.try_get("accepted_at")?,
        accepted_by: r.try_get("accepted_by")?,
    })
}

pub async fn insert_invitation(tx: &mut Tx, i: &InvitationRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO partnership_invitations (id, provider_tenant_id, reseller_tenant_id, email, token_hash, state, \
         created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8)",
    )
    .bind(i.id.to_string())
    .bind(i.provider_tenant_id.to_string())
    .bind(i.reseller_tenant_id.map(|t| t.to_string()))
    .bind(i.email.clone())
    .bind(&i.token_hash)
    .bind(&i.created_by)
    .bind(i.created_at)
    .bind(i.expires_at)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

pub async fn invitation_by_token(
    tx: &mut Tx,
    token_hash: &str,
) -> Result<Option<InvitationRow>, sqlx::Error> {
    let sql = format!(
        "SELECT * FROM partnership_invitations WHERE token_hash = $1{}",
        tx.backend.for_update()
    );
    let r = sqlx::query(&sql)
        .bind(token_hash)
        .fetch_optional(tx.conn().await?)
        .await?;
    r.as_ref().map(invitation_from).transpose()
}

pub async fn invitation_by_token_read(
    db: &Db,
    token_hash: &str,
) -> Result<Option<InvitationRow>, sqlx::Error> {
    let r = sqlx::query("SELECT * FROM partnership_invitations WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(&db.read)
        .await?;
    r.as_ref().map(invitation_from).transpose()
}

pub async fn invitation(
    db: &Db,
    id: PartnerInvitationId,
) -> Result<Option<InvitationRow>, sqlx::Error> {
    let r = sqlx::query("SELECT * FROM partnership_invitations WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&db.read)
        .await?;
    r.as_ref().map(invitation_from).transpose()
}

/// One page of a provider's invitations, newest first: keyset on (created_at, id) descending,
/// continuing before `before`; and how many the provider has.
pub async fn invitations_page(
    db: &Db,
    provider: TenantId,
    before: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<InvitationRow>, i64), sqlx::Error> {
    let (t, i) = before.unwrap_or((i64::MAX, ""));
    Listing {
        select: "v.*",
        from: "FROM partnership_invitations v WHERE v.provider_tenant_id = $1",
        filter: vec![provider.into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (v.created_at < $2 OR (v.created_at = $2 AND ($3 = '' OR v.id < $3))) \
                  ORDER BY v.created_at DESC, v.id DESC LIMIT $4",
            args: vec![t.into(), i.into(), limit.into()],
            continues: before.is_some(),
        },
        invitation_from,
    )
    .await
}

/// Moves a pending invitation to `state`; false when it was no longer pending.
pub async fn close_invitation(
    tx: &mut Tx,
    id: PartnerInvitationId,
    state: InvitationState,
    now: i64,
    by: Option<&str>,
    tenant: Option<TenantId>,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE partnership_invitations SET state = $1, accepted_at = $2, accepted_by = $3, accepted_tenant_id = $4 \
         WHERE id = $5 AND state = 'pending'",
    )
    .bind(state.as_str())
    .bind(now)
    .bind(by)
    .bind(tenant.map(|t| t.to_string()))
    .bind(id.to_string())
    .execute(tx.conn().await?)
    .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone)]
pub struct PartnershipRow {
    pub id: PartnershipId,
    pub provider_tenant_id: TenantId,
    pub reseller_tenant_id: TenantId,
    pub state: PartnershipState,
    pub admin_access: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub ended_at: Option<i64>,
}

impl PartnershipRow {
    pub fn is_active(&self) -> bool {
        self.state == PartnershipState::Active
    }
}

fn partnership_from(r: &sqlx::any::AnyRow) -> Result<PartnershipRow, sqlx::Error> {
    Ok(PartnershipRow {
        id: parsed(r, "id")?,
        provider_tenant_id: parsed(r, "provider_tenant_id")?,
        reseller_tenant_id: parsed(r, "reseller_tenant_id")?,
        state: state_col(r, "state", PartnershipState::parse)?,
        admin_access: r.try_get::<i64, _>("admin_access")? != 0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        ended_at: r.try_get("ended_at")?,
    })
}

pub async fn pair(
    db: &Db,
    provider: TenantId,
    reseller: TenantId,
) -> Result<Option<PartnershipRow>, sqlx::Error> {
    let r = sqlx::query(
        "SELECT * FROM partnerships WHERE provider_tenant_id = $1 AND reseller_tenant_id = $2",
    )
    .bind(provider.to_string())
    .bind(reseller.to_string())
    .fetch_optional(&db.read)
    .await?;
    r.as_ref().map(partnership_from).transpose()
}

pub async fn pair_in(
    tx: &mut Tx,
    provider: TenantId,
    reseller: TenantId,
) -> Result<Option<PartnershipRow>, sqlx::Error> {
    let sql = format!(
        "SELECT * FROM partnerships WHERE provider_tenant_id = $1 AND reseller_tenant_id = $2{}",
        tx.backend.for_update()
    );
    let r = sqlx::query(&sql)
        .bind(provider.to_string())
        .bind(reseller.to_string())
        .fetch_optional(tx.conn().await?)
        .await?;
    r.as_ref().map(partnership_from).transpose()
}

pub async fn get(db: &Db, id: PartnershipId) -> Result<Option<PartnershipRow>, sqlx::Error> {
    let r = sqlx::query("SELECT * FROM partnerships WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&db.read)
        .await?;
    r.as_ref().map(partnership_from).transpose()
}

/// Makes the pair's partnership active (new, or again after it ended).
pub async fn activate(
    tx: &mut Tx,
    id: PartnershipId,
    provider: TenantId,
    reseller: TenantId,
    now: i64,
) -> Result<PartnershipId, sqlx::Error> {
    sqlx::query(
        "INSERT INTO partnerships (id, provider_tenant_id, reseller_tenant_id, state, admin_access, created_at, updated_at) \
         VALUES ($1, $2, $3, 'active', 1, $4, $4) ON CONFLICT (provider_tenant_id, reseller_tenant_id) DO UPDATE \
         SET state = 'active', admin_access = 1, updated_at = excluded.updated_at, ended_at = NULL, ended_by = NULL",
    )
    .bind(id.to_string())
    .bind(provider.to_string())
    .bind(reseller.to_string())
    .bind(now)
    .execute(tx.conn().await?)
    .await?;
    let r = sqlx::query(
        "SELECT id FROM partnerships WHERE provider_tenant_id = $1 AND reseller_tenant_id = $2",
    )
    .bind(provider.to_string())
    .bind(reseller.to_string())
    .fetch_one(tx.conn().await?)
    .await?;
    parsed(&r, "id")
}

pub async fn end(tx: &mut Tx, id: PartnershipId, now: i64, by: &str) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE partnerships SET state = 'terminated', admin_access = 0, ended_at = $1, ended_by = $2, updated_at = $1 \
         WHERE id = $3 AND state = 'active'",
    )
    .bind(now)
    .bind(by)
    .bind(id.to_string())
    .execute(tx.conn().await?)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn revoke_admin(tx: &mut Tx, id: PartnershipId, now: i64) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE partnerships SET admin_access = 0, updated_at = $1 WHERE id = $2 AND state = 'active' AND admin_access = 1",
    )
    .bind(now)
    .bind(id.to_string())
    .execute(tx.conn().await?)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A partnership with the other side's name, partner-network id and country.
#[derive(Debug, Clone)]
pub struct Counterpart {
    pub partnership: PartnershipRow,
    pub other_tenant: TenantId,
    pub name: String,
    pub mpn_id: i64,
    pub country: String,
}

/// One page of the caller's partnerships. `as_provider` picks the side; keyset on name, id.
/// With how many partnerships the caller has on that side.
pub async fn page(
    db: &Db,
    tenant: TenantId,
    as_provider: bool,
    after: Option<(&str, &str)>,
    limit: u32,
) -> Result<(Vec<Counterpart>, i64), sqlx::Error> {
    let (mine, other) = if as_provider {
        ("provider_tenant_id", "reseller_tenant_id")
    } else {
        ("reseller_tenant_id", "provider_tenant_id")
    };
    let (k, i) = after.unwrap_or(("", ""));
    let from = format!(
        "FROM partnerships s JOIN tenants t ON t.id = s.{other} \
         LEFT JOIN partners p ON p.tenant_id = s.{other} WHERE s.{mine} = $1"
    );
    Listing {
        select:
            "s.*, t.display_name AS other_name, t.country AS other_country, p.mpn_id AS other_mpn",
        from: &from,
        filter: vec![tenant.into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (LOWER(t.display_name) > $2 OR (LOWER(t.display_name) = $2 AND s.id > $3)) \
                  ORDER BY LOWER(t.display_name), s.id LIMIT $4",
            args: vec![k.into(), i.into(), limit.into()],
            continues: after.is_some(),
        },
        |r| {
            Ok(Counterpart {
                partnership: partnership_from(r)?,
                other_tenant: parsed(r, other)?,
                name: r.try_get("other_name")?,
                mpn_id: r
                    .try_get::<Option<i64>, _>("other_mpn")?
                    .unwrap_or_default(),
                country: r.try_get("other_country")?,
            })
        },
    )
    .await
}
