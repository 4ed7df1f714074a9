//! The customer administration area of the portal: one read that gathers what its pages show
//! (users with their directory roles and licenses, seats, subscriptions, orders, and what the
//! caller may do there), and the few steps that compose existing use cases (a reset to a
//! generated password, a user's roles or licenses set to a chosen set). Every change goes
//! through the same use case the API calls, so both doors decide alike.

use super::customer_users::{self, Patch, DIRECTORY_ROLES};
use super::customers::visible;
use super::licenses::{self, SubscribedSku};
use super::paging::{timed, Position};
use super::{App, Ctx};
/// How many of the newest orders the administration page lists.
const RECENT_ORDERS: u32 = 50;

/// Rows the administration pages show.
pub use crate::app::store::commerce::{OrderRow, SubscriptionRow};
use crate::app::store::commerce_pages::{self, SubscriptionFilter};
use crate::app::store::identity as ids;
pub use crate::app::store::identity::UserRow as AdministeredUser;
pub use crate::app::store::identity::{TenantRow, UserRow};
use crate::app::store::links;
use crate::crypto;
use crate::domain::authz::{self, can, Action, Resource, Via};
use crate::domain::customer::{CustomerFacts, GrantRole};
use crate::domain::ids::UserId;
use crate::domain::{Error, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What the caller may do on this customer, each decided by `authz::can`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Abilities {
    pub read_users: bool,
    pub manage_users: bool,
    pub reset_passwords: bool,
    pub manage_roles: bool,
    pub read_licenses: bool,
    pub assign_licenses: bool,
    pub manage_subscriptions: bool,
}

impl Abilities {
    pub fn of(ctx: &Ctx, f: CustomerFacts) -> Abilities {
        let may = |a| can(&ctx.actor, a, Resource::Customer(f)).allowed();
        Abilities {
            read_users: may(Action::ReadCustomerUsers),
            manage_users: may(Action::ManageCustomerUsers),
            reset_passwords: may(Action::ResetCustomerPassword),
            manage_roles: may(Action::ManageCustomerRoles),
            read_licenses: may(Action::ReadLicenses),
            assign_licenses: may(Action::AssignLicenses),
            manage_subscriptions: may(Action::OrderForCustomer),
        }
    }

    /// The area opens for whoever may administer the directory or the subscriptions.
    pub fn any(self) -> bool {
        self.read_users || self.manage_subscriptions
    }
}

/// One user of the customer as the user list shows it.
#[derive(Debug, Clone)]
pub struct UserLine {
    pub user: UserRow,
    pub roles: Vec<GrantRole>,
    /// `productId:skuId` of each license the user holds.
    pub licenses: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Overview {
    pub customer: TenantRow,
    pub may: Abilities,
    pub users: Vec<UserLine>,
    pub total_users: i64,
    /// The last user of this page (sign-in name, id) when another page follows.
    pub next: Option<(String, String)>,
    pub seats: Vec<SubscribedSku>,
    /// A page of subscriptions, oldest first (keyset on created time and id).
    pub subscriptions: Vec<SubscriptionRow>,
    /// The last subscription of this page (created time in milliseconds, id) when another
    /// page follows.
    pub subscriptions_next: Option<(String, String)>,
    pub orders: Vec<OrderRow>,
}

/// Where the two paged lists of the administration page start: `None` for a first page.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pages<'a> {
    pub users: Position<'a>,
    pub subscriptions: Position<'a>,
}

/// Loads the customer, refusing callers who may administer nothing on it.
async fn area(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
) -> Result<(TenantRow, CustomerFacts, Abilities)> {
    let (t, f) = visible(app, ctx, customer_id).await?;
    let may = Abilities::of(ctx, f);
    if !may.any() {
        ctx.require(Action::ReadCustomerUsers, Resource::Customer(f))?;
    }
    Ok((t, f, may))
}

/// The directory roles a user holds, among those partners manage.
async fn directory_roles(app: &App, user: UserId) -> Result<Vec<GrantRole>> {
    let held = ids::roles(&app.db, user).await?;
    Ok(DIRECTORY_ROLES
        .into_iter()
        .filter(|(_, r)| held.contains(r))
        .map(|(g, _)| g)
        .collect())
}

/// The administration page of one customer: a page of users (keyset by sign-in name), seats,
/// a page of subscriptions (keyset by created time) and the newest orders, as far as the
/// caller may read them.
pub async fn overview(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    pages: Pages<'_>,
    limit: u32,
) -> Result<Overview> {
    let (t, _, may) = area(app, ctx, customer_id).await?;
    let (mut users, mut total_users, mut next) = (Vec::new(), 0, None);
    if may.read_users {
        let (mut rows, total) =
            customer_users::list(app, ctx, customer_id, pages.users, limit + 1).await?;
        if rows.len() > limit as usize {
            rows.truncate(limit as usize);
            next = rows.last().map(|u| (u.upn.clone(), u.id.to_string()));
        }
        let assigned = if may.read_licenses {
            licenses::assignments_by_user(app, t.id).await?
        } else {
            BTreeMap::new()
        };
        for u in rows {
            users.push(UserLine {
                roles: directory_roles(app, u.id).await?,
                licenses: assigned.get(&u.id).cloned().unwrap_or_default(),
                user: u,
            });
        }
        total_users = total;
    }
    let seats = if may.read_licenses {
        licenses::subscribed_skus(app, ctx, customer_id).await?
    } else {
        Vec::new()
    };
    let (subscriptions, subscriptions_next) =
        subscriptions_page(app, t.id, pages.subscriptions, limit).await?;
    Ok(Overview {
        subscriptions,
        subscriptions_next,
        // The newest orders; the full history pages through the orders API and page.
        orders: commerce_pages::orders(&app.db, t.id, None, RECENT_ORDERS)
            .await?
            .0,
        customer: t,
        may,
        users,
        total_users,
        next,
        seats,
    })
}

/// One page of a customer's subscriptions, oldest first, and where the next page starts.
async fn subscriptions_page(
    app: &App,
    customer: crate::domain::ids::TenantId,
    after: Position<'_>,
    limit: u32,
) -> Result<(Vec<SubscriptionRow>, Option<(String, String)>)> {
    let filter = SubscriptionFilter::default();
    let (rows, _) =
        commerce_pages::subscriptions(&app.db, customer, &filter, timed(after)?, limit + 1).await?;
    let mut page: Vec<SubscriptionRow> = rows.into_iter().map(|r| r.subscription).collect();
    let mut next = None;
    if page.len() > limit as usize {
        page.truncate(limit as usize);
        next = page
            .last()
            .map(|s| (s.created_at.to_string(), s.id.to_string()));
    }
    Ok((page, next))
}

#[derive(Debug, Clone)]
pub struct UserDetail {
    pub customer: TenantRow,
    pub may: Abilities,
    pub user: UserRow,
    pub roles: Vec<GrantRole>,
    /// The directory roles the caller may hand out (through its grant, or as the customer).
    pub grantable: Vec<GrantRole>,
    pub licenses: Vec<String>,
    pub seats: Vec<SubscribedSku>,
}

/// One user of the customer with what the caller may change on it.
pub async fn user_detail(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    user_id: &str,
) -> Result<UserDetail> {
    let (t, f, may) = area(app, ctx, customer_id).await?;
    let user = customer_users::get(app, ctx, customer_id, user_id).await?;
    let via = if ctx.actor.tenant == f.customer {
        Via::OwnTenant
    } else {
        Via::Grant(f.grants)
    };
    let grantable = DIRECTORY_ROLES
        .into_iter()
        .filter(|(_, r)| may.manage_roles && authz::may_grant(&ctx.actor, via, *r).allowed())
        .map(|(g, _)| g)
        .collect();
    let (licenses, seats) = if may.read_licenses {
        (
            licenses::user_licenses(app, ctx, customer_id, user_id).await?,
            licenses::subscribed_skus(app, ctx, customer_id).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(UserDetail {
        roles: directory_roles(app, user.id).await?,
        customer: t,
        may,
        user,
        grantable,
        licenses,
        seats,
    })
}

/// Resets a user's password to a generated one, returned once to show to the caller.
pub async fn reset_password(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    user_id: &str,
) -> Result<(UserRow, String)> {
    let password = super::identity::temporary_password();
    let patch = Patch {
        new_password: Some(password.clone()),
        ..Default::default()
    };
    let user = customer_users::update(app, ctx, customer_id, user_id, patch).await?;
    Ok((user, password))
}

/// Gives the user exactly the directory roles in `wanted`: additions first, so promoting a
/// new global administrator before demoting the old one never trips the last-one rule.
pub async fn set_roles(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    user_id: &str,
    wanted: &BTreeSet<GrantRole>,
) -> Result<usize> {
    let held: BTreeSet<GrantRole> = customer_users::roles_of(app, ctx, customer_id, user_id)
        .await?
        .into_iter()
        .map(|(g, _)| g)
        .collect();
    let mut changes: Vec<(GrantRole, bool)> =
        wanted.difference(&held).map(|g| (*g, true)).collect();
    changes.extend(held.difference(wanted).map(|g| (*g, false)));
    for (g, member) in &changes {
        customer_users::set_member(app, ctx, customer_id, g.role_id(), user_id, *member).await?;
    }
    Ok(changes.len())
}

/// Gives the user exactly the licenses in `wanted` (`productId:skuId`), in one step that
/// either fits the seats or changes nothing.
pub async fn set_licenses(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    user_id: &str,
    wanted: &BTreeSet<String>,
) -> Result<()> {
    let held: BTreeSet<String> = licenses::user_licenses(app, ctx, customer_id, user_id)
        .await?
        .into_iter()
        .collect();
    let assign: Vec<String> = wanted.difference(&held).cloned().collect();
    let remove: Vec<String> = held.difference(wanted).cloned().collect();
    licenses::update(app, ctx, customer_id, user_id, &assign, &remove).await
}

/// A generated password waiting to be shown once. It travels sealed (AES-GCM with the data
/// key, bound to the session that asked for it) in a short-lived cookie, never in an address,
/// a log or the database; a one-time link row (only the hash of its nonce) makes the reveal
/// single-use even if the sealed value is sent again.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Reveal {
    pub customer: String,
    pub user: String,
    pub upn: String,
    pub password: String,
    pub expires_at: i64,
    nonce: String,
}

/// How long a generated password waits to be shown.
pub const REVEAL_SECS: i64 = 300;

const REVEAL_PURPOSE: &str = "password_reveal";

fn reveal_context(session: &str) -> String {
    format!("password-reveal:{session}")
}

/// Seals a generated password for the session `session` (its token hash) and records the
/// reveal as unused.
pub async fn seal_reveal(
    app: &App,
    session: &str,
    customer: &str,
    user: &UserRow,
    password: String,
) -> Result<String> {
    let now = app.clock.now_ms();
    let r = Reveal {
        customer: customer.to_string(),
        user: user.id.to_string(),
        upn: user.upn.clone(),
        password,
        expires_at: now + REVEAL_SECS * 1000,
        nonce: crypto::random_token(24),
    };
    let mut tx = app.db.begin().await?;
    links::insert(
        &mut tx,
        &crypto::token_hash(&r.nonce),
        REVEAL_PURPOSE,
        &r.user,
        now,
        r.expires_at,
    )
    .await?;
    tx.commit().await?;
    let plain = serde_json::to_vec(&r).map_err(|e| Error::Internal(e.into()))?;
    Ok(B64.encode(app.vault.seal(&reveal_context(session), &plain)))
}

/// The reveal sealed for this session, the first time it is asked for and before it
/// expires; `None` otherwise.
pub async fn open_reveal(app: &App, session: &str, sealed: &str) -> Result<Option<Reveal>> {
    let Some(r) = B64
        .decode(sealed.trim())
        .ok()
        .and_then(|b| app.vault.open(&reveal_context(session), &b))
        .and_then(|plain| serde_json::from_slice::<Reveal>(&plain).ok())
    else {
        return Ok(None);
    };
    let now = app.clock.now_ms();
    if r.expires_at < now {
        return Ok(None);
    }
    let mut tx = app.db.begin().await?;
    let first = links::mark_used(&mut tx, &crypto::token_hash(&r.nonce), now).await?;
    tx.commit().await?;
    Ok(first.then_some(r))
}
