//! The figures of the home page, per role: what a partner, an operator or a customer should
//! do next and the numbers that matter to it. Reads only; each part authorizes through
//! `Ctx::require` (or asks `authz::can` whether to show a step the caller could not take).

use super::{App, Ctx};
use crate::app::store::dashboard::{self as repo, SeatsOf, Side};
use crate::domain::authz::{can, Action, Resource};
use crate::domain::customer::{CustomerFacts, GrantSet};
use crate::domain::figures::{self, AgeBucket, Month};
use crate::domain::identity::TenantKind;
use crate::domain::Result;

pub use crate::app::store::dashboard::{ProductSeats, Sales, ServingPartner, Waiting};

/// How many months the charts cover.
pub const MONTHS: usize = 12;
/// Grants ending within this many days are "expiring".
pub const GRANT_HORIZON_DAYS: i64 = 30;
/// Products shown in the seat-use chart.
const PRODUCTS_SHOWN: u32 = 12;

/// Something waiting on the caller, most pressing first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    AcceptAgreement,
    SetUpTwoStep,
    /// A provider invited this reseller by name (the link is in the invitation mail).
    InvitationReceived {
        provider: String,
        expires_at: i64,
    },
    /// Partnership invitations this provider sent that no reseller has answered.
    InvitationsSent(i64),
    /// Relationship requests this reseller sent that no customer has accepted.
    CustomersAwaiting(i64),
    /// Delegated-admin grants ending within [`GRANT_HORIZON_DAYS`].
    GrantsExpiring(i64),
    /// Service requests assigned to the organisation and not closed.
    OpenRequests(i64),
    /// Applications waiting for the operator's decision.
    ApplicationsToReview(i64),
}

/// A series over [`MONTHS`] months, oldest first.
#[derive(Debug, Clone)]
pub struct Monthly {
    pub months: Vec<Month>,
    pub values: Vec<i64>,
}

pub struct PartnerFigures {
    pub next: Vec<NextStep>,
    pub customers: i64,
    pub sales: Sales,
    /// Active customers at each month's end.
    pub customers_by_month: Monthly,
    /// Active seats at each month's end.
    pub seats_by_month: Monthly,
    pub orders_by_month: Monthly,
    pub seat_use: Vec<ProductSeats>,
}

pub struct OperatorFigures {
    pub next: Vec<NextStep>,
    pub queue: i64,
    /// Applications under review per age bucket, youngest first, every bucket present.
    pub ages: Vec<(AgeBucket, i64)>,
    pub oldest: Option<Waiting>,
    pub authorized_this_month: i64,
    pub rejected_this_month: i64,
}

pub struct CustomerFigures {
    pub next: Vec<NextStep>,
    pub sales: Sales,
    pub seat_use: Vec<ProductSeats>,
    pub partners: Vec<ServingPartner>,
}

pub enum Figures {
    Partner(PartnerFigures),
    Operator(OperatorFigures),
    Customer(CustomerFigures),
    /// An organisation with nothing to count yet (a partner still enrolling).
    Nothing(Vec<NextStep>),
}

/// The caller's dashboard figures, chosen by what its organisation is.
pub async fn for_caller(app: &App, ctx: &Ctx) -> Result<Figures> {
    ctx.require(Action::ReadTenant, Resource::Tenant(ctx.actor.tenant))?;
    let mut next = Vec::new();
    if needs_two_step(app, ctx).await? {
        next.push(NextStep::SetUpTwoStep);
    }
    if ctx.actor.is_operator() {
        return Ok(Figures::Operator(operator(app, ctx, next).await?));
    }
    match ctx.actor.tenant_kind {
        TenantKind::Partner if ctx.actor.partner.is_some() => {
            Ok(Figures::Partner(partner(app, ctx, next).await?))
        }
        TenantKind::Customer => Ok(Figures::Customer(customer(app, ctx, next).await?)),
        _ => Ok(Figures::Nothing(next)),
    }
}

/// A signed-in person without two-step verification (applications have no second step).
async fn needs_two_step(app: &App, ctx: &Ctx) -> Result<bool> {
    let Some(user) = ctx.actor.user_id() else {
        return Ok(false);
    };
    Ok(crate::app::store::identity::user(&app.db, user)
        .await?
        .is_some_and(|u| u.totp_secret.is_none()))
}

fn side_of(ctx: &Ctx) -> Side {
    let p = ctx.actor.partner.clone().unwrap_or_default();
    match (p.is_reseller, p.is_provider) {
        (true, true) => Side::Both,
        (false, true) => Side::Provider,
        _ => Side::Reseller,
    }
}

fn monthly(months: &[Month], values: Vec<i64>) -> Monthly {
    Monthly {
        months: months.to_vec(),
        values,
    }
}

/// A partner's next steps, figures and charts.
pub async fn partner(app: &App, ctx: &Ctx, mut next: Vec<NextStep>) -> Result<PartnerFigures> {
    let own = ctx.actor.tenant;
    ctx.require(Action::ReadPartnerships, Resource::Tenant(own))?;
    let now = app.clock.now_ms();
    let facts = ctx.actor.partner.clone().unwrap_or_default();
    if !facts.agreement_accepted
        && can(&ctx.actor, Action::AcceptAgreement, Resource::Tenant(own)).allowed()
    {
        next.insert(0, NextStep::AcceptAgreement);
    }
    let link_days = crate::domain::channel::MAX_LINK_DAYS.max(super::customers::INVITATION_DAYS);
    let waiting = repo::partner_waiting(
        &app.db,
        own,
        now,
        now + GRANT_HORIZON_DAYS * crate::clock::DAY_MS,
        link_days * crate::clock::DAY_MS,
    )
    .await?;
    next.extend(partner_steps(
        ctx,
        facts.is_reseller,
        facts.is_provider,
        waiting,
    ));

    let side = side_of(ctx);
    let months = figures::last_months(now, MONTHS);
    let bounds = figures::starts(&months);
    let customers = crate::app::store::customers::count(&app.db, own, None).await?;
    let sales = repo::sales(&app.db, SeatsOf::Partner(own, side)).await?;
    let (started, ended) = repo::relationship_changes(&app.db, own, &bounds).await?;
    let net: Vec<i64> = figures::spread(MONTHS, &started)
        .iter()
        .zip(figures::spread(MONTHS, &ended))
        .map(|(s, e)| s - e)
        .collect();
    let seat_net = figures::spread(
        MONTHS,
        &repo::seat_changes(&app.db, own, side, &bounds).await?,
    );
    let orders = repo::orders_per_month(&app.db, own, side, &bounds).await?;
    Ok(PartnerFigures {
        next,
        customers,
        sales,
        customers_by_month: monthly(&months, figures::walk_back(customers, &net)),
        seats_by_month: monthly(&months, figures::walk_back(sales.seats, &seat_net)),
        orders_by_month: monthly(&months, figures::spread(MONTHS, &orders)),
        seat_use: repo::seat_use(&app.db, SeatsOf::Partner(own, side), PRODUCTS_SHOWN).await?,
    })
}

/// The steps a partner's waiting work turns into; each only for the side it concerns and
/// only where the caller may see the page it leads to.
fn partner_steps(
    ctx: &Ctx,
    reseller: bool,
    provider: bool,
    w: repo::PartnerWaiting,
) -> Vec<NextStep> {
    let own = Resource::Tenant(ctx.actor.tenant);
    let mut out = Vec::new();
    if reseller {
        out.extend(
            w.invitations_received
                .into_iter()
                .map(|i| NextStep::InvitationReceived {
                    provider: i.provider,
                    expires_at: i.expires_at,
                }),
        );
        if w.customers_awaiting > 0 {
            out.push(NextStep::CustomersAwaiting(w.customers_awaiting));
        }
    }
    if provider && w.invitations_sent > 0 {
        out.push(NextStep::InvitationsSent(w.invitations_sent));
    }
    if w.grants_expiring > 0 {
        out.push(NextStep::GrantsExpiring(w.grants_expiring));
    }
    if w.open_requests > 0 && can(&ctx.actor, Action::ReadServiceRequests, own).allowed() {
        out.push(NextStep::OpenRequests(w.open_requests));
    }
    out
}

/// The operator's review queue: its size, how long applications have waited, the oldest,
/// and this month's decisions.
pub async fn operator(app: &App, ctx: &Ctx, mut next: Vec<NextStep>) -> Result<OperatorFigures> {
    ctx.require(Action::ReviewEnrollments, Resource::Platform)?;
    let now = app.clock.now_ms();
    let month_start = Month::of(now).start_ms();
    let q = repo::review_queue(&app.db, &AgeBucket::bounds(now), month_start).await?;
    let mut ages: Vec<(AgeBucket, i64)> = AgeBucket::ALL.iter().map(|b| (*b, 0)).collect();
    for (bound, n) in &q.ages {
        let bucket = AgeBucket::from_bound(*bound);
        if let Some(slot) = ages.iter_mut().find(|(b, _)| *b == bucket) {
            slot.1 += n;
        }
    }
    let queue = ages.iter().map(|(_, n)| n).sum();
    if queue > 0 {
        next.push(NextStep::ApplicationsToReview(queue));
    }
    Ok(OperatorFigures {
        next,
        queue,
        ages,
        oldest: q.oldest,
        authorized_this_month: q.authorized,
        rejected_this_month: q.rejected,
    })
}

/// A customer's own subscriptions, seats in use and the partners serving it.
pub async fn customer(app: &App, ctx: &Ctx, next: Vec<NextStep>) -> Result<CustomerFigures> {
    let own = ctx.actor.tenant;
    let facts = CustomerFacts {
        customer: own,
        relationship: false,
        grants: GrantSet::of([]),
    };
    ctx.require(Action::ReadLicenses, Resource::Customer(facts))?;
    ctx.require(Action::ReadCustomer, Resource::Customer(facts))?;
    Ok(CustomerFigures {
        next,
        sales: repo::sales(&app.db, SeatsOf::Customer(own)).await?,
        seat_use: repo::seat_use(&app.db, SeatsOf::Customer(own), PRODUCTS_SHOWN).await?,
        partners: repo::serving(&app.db, own).await?,
    })
}
