//! What the customer lists and pages show, read through the caller's context: a partner's
//! customers, a customer's partners, the grants on a customer, the customers two partners
//! share (all in keyset pages with their counts), the portal's customer record, and the
//! customer's own partners with their live grants. Each read authorizes with `Ctx::require`
//! or `authz::can` before it touches data.

use super::customers::visible;
use super::licenses::{self, SubscribedSku};
use super::paging::{self, Position};
use super::{App, Ctx};
use crate::app::store::commerce_pages::{self as commerce_pages, SubscriptionFilter};
use crate::app::store::customer_pages::{self as pages, PartnerKey};
use crate::app::store::customers as repo;
use crate::app::store::identity as ids;
use crate::domain::authz::{can, Action, Resource};
use crate::domain::customer::{CustomerFacts, CustomerFilter};
use crate::domain::ids::TenantId;
use crate::domain::Result;
use std::collections::BTreeMap;

pub use crate::app::store::commerce::SubscriptionRow;
pub use crate::app::store::customers::{CustomerListRow, GrantRow, PartnerOfCustomer};
pub use crate::app::store::identity::{TenantRow, UserRow};

/// A partner's place in a list of a customer's partners: state (active first), name, id.
pub fn partner_sort_key(p: &PartnerOfCustomer) -> (String, String) {
    (
        format!("{}\u{1f}{}", p.state, p.name),
        p.partner.to_string(),
    )
}

fn partner_position<'a>(after: Position<'a>) -> Result<Option<PartnerKey<'a>>> {
    after
        .map(|(key, partner)| {
            key.split_once('\u{1f}')
                .map(|(state, name)| PartnerKey {
                    state,
                    name,
                    partner,
                })
                .ok_or_else(paging::bad_position)
        })
        .transpose()
}

/// A customer's place in a list of customers: lower-cased name, then id.
pub fn customer_sort_key(r: &CustomerListRow) -> (String, String) {
    (r.name_lower.clone(), r.id.to_string())
}

/// One page of the caller's customers (name order, optionally filtered) and how many match.
pub async fn page(
    app: &App,
    ctx: &Ctx,
    filter: Option<&CustomerFilter>,
    after: Position<'_>,
    limit: u32,
) -> Result<(Vec<CustomerListRow>, i64)> {
    ctx.require(Action::ReadPartnerships, Resource::Tenant(ctx.actor.tenant))?;
    // Read with the caller when the request asked for exactly this page (`app::seen`).
    if filter.is_none() {
        if let Some(page) = super::seen::customer_list(ctx.actor.tenant, after, limit) {
            return Ok(page);
        }
    }
    // The page and the total in one statement.
    Ok(repo::page_and_total(&app.db, ctx.actor.tenant, filter, after, limit).await?)
}

/// One page of the partners with an active relationship with a customer the caller may
/// see, by name.
pub async fn partners_page(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    after: Position<'_>,
    limit: u32,
) -> Result<(Vec<PartnerOfCustomer>, i64)> {
    let (t, _) = visible(app, ctx, customer_id).await?;
    Ok(pages::partners(&app.db, t.id, true, partner_position(after)?, limit).await?)
}

/// One page of the caller's (a customer's) partners, active relationships first, then ended.
pub async fn own_partners_page(
    app: &App,
    ctx: &Ctx,
    after: Position<'_>,
    limit: u32,
) -> Result<(Vec<PartnerOfCustomer>, i64)> {
    let me = ctx.actor.tenant;
    ctx.require(Action::ManageOwnPartners, Resource::Tenant(me))?;
    Ok(pages::partners(&app.db, me, false, partner_position(after)?, limit).await?)
}

/// A grant as the customer sees it: its partner's name and its state as of now (a grant
/// past its end shows `expired` before the housekeeping pass records it).
pub use crate::app::store::customer_pages::NamedGrant as GrantView;

/// A grant's place in a page: created time, then id (newest first).
pub fn grant_sort_key(g: &GrantView) -> (String, String) {
    (g.grant.created_at.to_string(), g.grant.id.to_string())
}

/// One page of every delegated-admin grant on the caller's (a customer's) tenant, live or
/// ended, newest first.
pub async fn own_grants_page(
    app: &App,
    ctx: &Ctx,
    after: Position<'_>,
    limit: u32,
) -> Result<(Vec<GrantView>, i64)> {
    let me = ctx.actor.tenant;
    ctx.require(Action::ManageOwnPartners, Resource::Tenant(me))?;
    let before = paging::timed(after)?;
    let now = app.clock.now_ms();
    Ok(pages::grants(&app.db, me, now, before, limit).await?)
}

/// The customer ends one grant (`customers::revoke_grant`) and sees it with its partner.
pub async fn revoke_grant(
    app: &App,
    ctx: &Ctx,
    grant_id: crate::domain::ids::GrantId,
) -> Result<GrantView> {
    let grant = super::customers::revoke_grant(app, ctx, grant_id).await?;
    pages::grant(&app.db, grant.customer, app.clock.now_ms(), grant.id)
        .await?
        .ok_or(crate::domain::Error::NotFound("grant"))
}

/// One page of the customers both partners of a partnership the caller may read serve.
pub async fn shared_page(
    app: &App,
    ctx: &Ctx,
    relationship_id: &str,
    after: Position<'_>,
    limit: u32,
) -> Result<(Vec<CustomerListRow>, i64)> {
    let p = super::partnerships::get(app, ctx, relationship_id).await?;
    let (provider, reseller) = (p.provider_tenant_id, p.reseller_tenant_id);
    Ok(pages::shared(&app.db, provider, reseller, after, limit).await?)
}

/// One page of the users of a customer holding one directory role, by sign-in name.
pub async fn role_members_page(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    role_id: &str,
    after: Position<'_>,
    limit: u32,
) -> Result<(Vec<UserRow>, i64)> {
    let (t, _) =
        super::customers::authorized(app, ctx, customer_id, Action::ReadCustomerUsers).await?;
    let role = super::customer_users::role_by_id(role_id)?;
    Ok(pages::role_members(&app.db, t.id, role.as_str(), after, limit).await?)
}

/// How many rows of each list the customer record shows.
const RECORD_ROWS: u32 = 200;

/// The portal's customer record: the company, its active partners, its services, its seats
/// (when the caller may read licenses) and its users (when the caller may read them).
pub struct CustomerRecord {
    pub tenant: TenantRow,
    pub facts: CustomerFacts,
    pub partners: Vec<PartnerOfCustomer>,
    pub services: Vec<SubscriptionRow>,
    pub seats: Vec<SubscribedSku>,
    /// `None`: the caller may not read the customer's directory.
    pub users: Option<Vec<UserRow>>,
}

pub async fn record(app: &App, ctx: &Ctx, customer_id: &str) -> Result<CustomerRecord> {
    let (tenant, facts) = visible(app, ctx, customer_id).await?;
    let partners = pages::partners(&app.db, tenant.id, true, None, RECORD_ROWS)
        .await?
        .0;
    let services = services(app, tenant.id, RECORD_ROWS).await?;
    let allowed = |action| can(&ctx.actor, action, Resource::Customer(facts)).allowed();
    let seats = if allowed(Action::ReadLicenses) {
        licenses::subscribed_skus(app, ctx, customer_id).await?
    } else {
        Vec::new()
    };
    let users = if allowed(Action::ReadCustomerUsers) {
        Some(
            ids::users_page(&app.db, tenant.id, None, RECORD_ROWS)
                .await?
                .0,
        )
    } else {
        None
    };
    Ok(CustomerRecord {
        tenant,
        facts,
        partners,
        services,
        seats,
        users,
    })
}

/// The first `limit` subscriptions of a customer, oldest first (a page's worth, for the
/// portal's services table).
pub(crate) async fn services(
    app: &App,
    customer: TenantId,
    limit: u32,
) -> Result<Vec<SubscriptionRow>> {
    Ok(commerce_pages::subscriptions(
        &app.db,
        customer,
        &SubscriptionFilter::default(),
        None,
        limit,
    )
    .await?
    .0
    .into_iter()
    .map(|s| s.subscription)
    .collect())
}

/// One of the customer's partners with the grants it holds now.
pub struct PartnerWithGrants {
    pub partner: PartnerOfCustomer,
    pub live_grants: Vec<GrantRow>,
}

/// How many partners the customer's partners page shows.
const OWN_PARTNER_ROWS: u32 = 200;

/// The customer's partners page: its active partners, each with its live grants (two
/// reads in all).
pub async fn own_partners(app: &App, ctx: &Ctx) -> Result<Vec<PartnerWithGrants>> {
    let me = ctx.actor.tenant;
    ctx.require(Action::ManageOwnPartners, Resource::Tenant(me))?;
    let partners = pages::partners(&app.db, me, true, None, OWN_PARTNER_ROWS)
        .await?
        .0;
    let mut live: BTreeMap<TenantId, Vec<GrantRow>> = BTreeMap::new();
    for g in pages::live_grants(&app.db, me, app.clock.now_ms()).await? {
        live.entry(g.partner).or_default().push(g);
    }
    Ok(partners
        .into_iter()
        .map(|p| PartnerWithGrants {
            live_grants: live.remove(&p.partner).unwrap_or_default(),
            partner: p,
        })
        .collect())
}
