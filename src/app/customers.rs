//! Customer use cases: relationship requests (with or without the provider, with or without
//! granular delegated admin), acceptance by the customer, the customer's view and
//! revocations, customers created for resellers, billing profiles, and grant expiry.

use super::audit::{record, Change};
use super::identity::{self, NewTenant, NewUser};
use super::paging::Position;
use super::{events, App, Ctx};
use crate::app::store::customers::{
    self as repo, CustomerInvitationRow, GrantRow, NewRelationship,
};
use crate::app::store::identity::{self as ids, TenantRow};
use crate::app::store::{partners, partnerships, Tx};
use crate::crypto;
use crate::domain::audit::Operation;
use crate::domain::authz::{can, Action, Resource};
use crate::domain::customer::{
    AccessRequest, CustomerFacts, GrantStatus, RequestState, AUTO_EXTEND_DAYS,
};
use crate::domain::error::Code;
use crate::domain::identity::TenantKind;
use crate::domain::ids::{CustomerInvitationId, GrantId, TenantId};
use crate::domain::partnership::InvitationState;
use crate::domain::webhook::EventName;
use crate::domain::{Error, Result};
use std::collections::BTreeMap;

pub const INVITATION_DAYS: i64 = 30;

/// Loads a customer the caller may see, with the facts authorization needs. A customer the
/// caller has no business with is "not found".
pub async fn visible(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
) -> Result<(TenantRow, CustomerFacts)> {
    let (t, f, _) = visible_with_reseller(app, ctx, customer_id).await?;
    Ok((t, f))
}

/// `visible`, plus the indirect reseller the caller serves the customer through (one query).
pub async fn visible_with_reseller(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
) -> Result<(TenantRow, CustomerFacts, Option<TenantId>)> {
    let id: TenantId = customer_id
        .parse()
        .map_err(|_| Error::NotFound("customer"))?;
    let view = match super::seen::customer(ctx.actor.tenant, id) {
        // Read with the actor at the start of this (read) request.
        Some(seen) => seen.view.clone(),
        None => repo::view(&app.db, ctx.actor.tenant, id, app.clock.now_ms()).await?,
    }
    .filter(|v| v.tenant.kind == TenantKind::Customer)
    .ok_or(Error::NotFound("customer"))?;
    if !can(
        &ctx.actor,
        Action::ReadCustomer,
        Resource::Customer(view.facts),
    )
    .allowed()
    {
        return Err(Error::NotFound("customer"));
    }
    Ok((view.tenant, view.facts, view.via))
}

/// `visible`, then the action itself.
pub async fn authorized(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    action: Action,
) -> Result<(TenantRow, CustomerFacts)> {
    let (t, f) = visible(app, ctx, customer_id).await?;
    ctx.require(action, Resource::Customer(f))?;
    Ok((t, f))
}

async fn name_of(app: &App, t: TenantId) -> Result<String> {
    Ok(ids::tenant(&app.db, t)
        .await?
        .map(|t| t.display_name)
        .unwrap_or_default())
}

async fn contact_of(app: &App, t: TenantId) -> Result<Option<String>> {
    Ok(partners::get(&app.db, t)
        .await?
        .map(|p| p.legal.contact_email)
        .filter(|e| !e.is_empty()))
}

fn access_words(a: &AccessRequest) -> String {
    if a.roles.is_empty() {
        "No administrative access is requested.".into()
    } else {
        let roles: Vec<&str> = a.roles.iter().map(|r| r.as_str()).collect();
        format!(
            "Delegated administration is requested with the roles {} for {} days{}.",
            roles.join(", "),
            a.duration_days,
            if a.auto_extend {
                ", renewed automatically"
            } else {
                ""
            }
        )
    }
}

pub struct Request {
    pub invitation: CustomerInvitationRow,
    pub url: String,
    pub subject: String,
    pub body: String,
}

/// A personal link asking a customer for a reseller relationship with the caller (a
/// reseller), and with one of its providers at once when `provider` is given.
pub async fn request(
    app: &App,
    ctx: &Ctx,
    provider: Option<TenantId>,
    access: AccessRequest,
    send_to: Option<&str>,
) -> Result<Request> {
    ctx.require(Action::InviteCustomers, Resource::Tenant(ctx.actor.tenant))?;
    access.validate()?;
    access.check_requester(
        ctx.actor.has(crate::domain::identity::Role::AccountAdmin)
            || ctx.actor.has(crate::domain::identity::Role::AdminAgent),
    )?;
    if let Some(p) = provider {
        let active = partnerships::pair(&app.db, p, ctx.actor.tenant)
            .await?
            .is_some_and(|s| s.is_active());
        if !active {
            return Err(Error::field(
                "indirectCloudSolutionProviderId",
                "this provider is not one of your active indirect providers",
            ));
        }
    }
    let to = match send_to.map(str::trim).filter(|s| !s.is_empty()) {
        Some(e) => Some(
            crate::domain::identity::Email::parse("email", e)
                .map_err(|f| Error::Validation(vec![f]))?
                .to_string(),
        ),
        None => None,
    };
    let now = app.clock.now_ms();
    let token = crypto::random_token(32);
    let inv = CustomerInvitationRow {
        id: CustomerInvitationId::new(),
        reseller: ctx.actor.tenant,
        provider,
        token_hash: crypto::token_hash(&token),
        state: RequestState::Pending,
        roles: access.roles.iter().copied().collect(),
        duration_days: access.duration_days,
        auto_extend: access.auto_extend,
        created_by: ctx.upn.clone().unwrap_or_default(),
        created_at: now,
        expires_at: now + INVITATION_DAYS * crate::clock::DAY_MS,
        customer: None,
    };
    let url = format!(
        "{}/portal/customer/accept?token={token}",
        app.config.public_url()
    );
    let mut vars = BTreeMap::new();
    vars.insert("reseller", name_of(app, ctx.actor.tenant).await?);
    vars.insert(
        "provider_part",
        match provider {
            Some(p) => format!(" together with its provider {}", name_of(app, p).await?),
            None => String::new(),
        },
    );
    vars.insert("access", access_words(&access));
    vars.insert("url", url.clone());
    vars.insert("days", INVITATION_DAYS.to_string());
    vars.insert(
        "api",
        crate::mail::templates::api_call(
            &app.config.public_url(),
            "/v1/customerinvitations/accept",
            &token,
            ", \"consent\": true",
        ),
    );
    let draft =
        crate::mail::templates::render(crate::mail::Template::CustomerInvitation, "en-US", &vars);
    let mut tx = app.db.begin().await?;
    repo::insert_invitation(&mut tx, &inv).await?;
    if let Some(to) = &to {
        crate::app::mailing::enqueue(
            &mut tx,
            now,
            to,
            crate::mail::Template::CustomerInvitation,
            "en-US",
            &vars,
        )
        .await?;
    }
    record(&mut tx, Some(ctx), &ctx.actor.tenant.to_string(), Change {
        operation: Operation::CreateCustomerRelationshipRequest,
        resource_type: "customer_invitation",
        resource_id: inv.id.to_string(),
        old: None,
        new: Some(serde_json::json!({ "provider": provider.map(|p| p.to_string()), "access": access, "sentTo": to })),
        customer_id: None,
    }, now).await?;
    tx.commit().await?;
    Ok(Request {
        invitation: inv,
        url,
        subject: draft.subject,
        body: draft.text,
    })
}

pub struct Preview {
    pub invitation: CustomerInvitationRow,
    pub reseller: String,
    pub provider: Option<String>,
    pub state: InvitationState,
    /// When the delegated access would end if accepted now (`None` when none is asked for).
    pub access_until: Option<i64>,
    /// Whether the access would renew itself (never for the global administrator role).
    pub renews: bool,
}

fn link_error(state: Option<InvitationState>) -> Error {
    let message = match state {
        None => "this invitation link is not valid: check that it was copied whole",
        Some(InvitationState::Accepted) => "this invitation was already answered",
        Some(InvitationState::Revoked) => "this invitation was withdrawn or declined",
        Some(InvitationState::Expired) => {
            "this invitation has expired: ask the reseller for a new one"
        }
        Some(InvitationState::Pending) => "this invitation cannot be used",
    };
    Error::Conflict {
        code: Code::LinkNotUsable,
        message: message.into(),
    }
}

pub async fn preview(app: &App, token: &str) -> Result<Preview> {
    let inv = repo::invitation_by_token_read(&app.db, &crypto::token_hash(token.trim()))
        .await?
        .ok_or_else(|| link_error(None))?;
    let now = app.clock.now_ms();
    let state = inv.state.seen_at(inv.expires_at, now);
    Ok(Preview {
        access_until: (!inv.roles.is_empty())
            .then(|| now + inv.duration_days * crate::clock::DAY_MS),
        renews: renews(&inv),
        reseller: name_of(app, inv.reseller).await?,
        provider: match inv.provider {
            Some(p) => Some(name_of(app, p).await?),
            None => None,
        },
        state,
        invitation: inv,
    })
}

/// Whether the access a request asks for renews itself once granted: Global Administrator is
/// never renewed automatically, whatever an older request said.
fn renews(inv: &CustomerInvitationRow) -> bool {
    inv.auto_extend
        && !inv
            .roles
            .contains(&crate::domain::customer::GrantRole::GlobalAdministrator)
}

/// The partners a request still grants something to at acceptance: the reseller must still be
/// an active indirect reseller (else the link is not usable), and a provider named in the
/// request only while its partnership with the reseller is active (else it gets nothing).
async fn partners_still_valid(app: &App, inv: &CustomerInvitationRow) -> Result<Vec<TenantId>> {
    let reseller_ok = partners::get(&app.db, inv.reseller)
        .await?
        .is_some_and(|p| p.is_reseller && p.is_active());
    if !reseller_ok {
        return Err(Error::Conflict {
            code: Code::LinkNotUsable,
            message: "this request can no longer be accepted: the reseller that sent it is no longer an active indirect reseller".into(),
        });
    }
    let mut out = vec![inv.reseller];
    if let Some(p) = inv.provider {
        if partnerships::pair(&app.db, p, inv.reseller)
            .await?
            .is_some_and(|s| s.is_active())
        {
            out.push(p);
        }
    }
    Ok(out)
}

/// The customer's global administrator accepts: relationships (and grants) are created at
/// once; a link is answered once, by one tenant. Delegated access needs `consent` (recorded
/// with its time and user), and every precondition is checked again now, not at request time.
pub async fn accept(app: &App, ctx: &Ctx, token: &str, consent: bool) -> Result<Vec<TenantId>> {
    ctx.require(
        Action::ManageOwnPartners,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    let customer = ids::tenant(&app.db, ctx.actor.tenant)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let inv = repo::invitation_by_token(&mut tx, &crypto::token_hash(token.trim()))
        .await?
        .ok_or_else(|| link_error(None))?;
    let state = inv.state.seen_at(inv.expires_at, now);
    if state != InvitationState::Pending {
        return Err(link_error(Some(state)));
    }
    if !inv.roles.is_empty() && !consent {
        return Err(Error::field(
            "consent",
            "confirm that you consent to the delegated access this request asks for",
        ));
    }
    let partners_added = partners_still_valid(app, &inv).await?;
    if !repo::close_invitation(
        &mut tx,
        inv.id,
        RequestState::Accepted,
        now,
        ctx.upn.as_deref().unwrap_or(""),
        Some(customer.id),
    )
    .await?
    {
        return Err(link_error(Some(InvitationState::Accepted)));
    }
    let requested = AccessRequest {
        roles: inv.roles.iter().copied().collect(),
        duration_days: inv.duration_days,
        auto_extend: inv.auto_extend,
    };
    repo::record_consent(
        &mut tx,
        inv.id,
        now,
        ctx.upn.as_deref().unwrap_or(""),
        &access_words(&requested),
    )
    .await?;
    let auto_extend = renews(&inv);
    let reseller_name = name_of(app, inv.reseller).await?;
    let accepted = Accepted {
        customer: &customer,
        inv: &inv,
        access: access_words(&requested),
        auto_extend,
        reseller_name,
        now,
    };
    for partner in &partners_added {
        add_partner(app, ctx, &mut tx, &accepted, *partner).await?;
    }
    tx.commit().await?;
    Ok(partners_added)
}

/// What one acceptance gives every partner it adds.
struct Accepted<'a> {
    customer: &'a TenantRow,
    inv: &'a CustomerInvitationRow,
    /// The consent's words: the access asked for.
    access: String,
    auto_extend: bool,
    reseller_name: String,
    now: i64,
}

/// One partner of an accepted request: its relationship (and grant), events, audit records
/// in both logs and the mail to it.
async fn add_partner(
    app: &App,
    ctx: &Ctx,
    tx: &mut Tx,
    a: &Accepted<'_>,
    partner: TenantId,
) -> Result<()> {
    let (customer, inv, now) = (a.customer, a.inv, a.now);
    let via = (partner != inv.reseller).then_some(inv.reseller);
    let relationship = NewRelationship {
        customer,
        partner,
        indirect_reseller: via,
    };
    repo::upsert_relationship(tx, &relationship, now).await?;
    let event = if via.is_some() {
        EventName::IndirectResellerRelationshipAcceptedByCustomer
    } else {
        EventName::ResellerRelationshipAcceptedByCustomer
    };
    let uri = format!("/v1/customers/{}", customer.id);
    events::emit(
        tx,
        now,
        event,
        uri,
        &customer.display_name,
        &[partner.to_string()],
    )
    .await?;
    let access = if inv.roles.is_empty() {
        String::new()
    } else {
        grant_access(tx, a, partner).await?;
        format!(
            " Delegated administration was granted for {} days.",
            inv.duration_days
        )
    };
    for org in [customer.id, partner] {
        record(tx, Some(ctx), &org.to_string(), Change {
            operation: Operation::AcceptPartnerCustomerRelationship,
            resource_type: "partner_customer_relationship",
            resource_id: format!("{}:{}", partner, customer.id),
            old: None,
            new: Some(serde_json::json!({ "partner": partner.to_string(), "indirectReseller": via.map(|v| v.to_string()), "roles": inv.roles, "consent": { "at": now, "by": ctx.upn, "access": a.access } })),
            customer_id: Some(customer.id.to_string()),
        }, now).await?;
    }
    if let Some(to) = contact_of(app, partner).await? {
        let shown = match via {
            Some(_) => format!(
                "{} (through {})",
                name_of(app, partner).await?,
                a.reseller_name
            ),
            None => a.reseller_name.clone(),
        };
        let mut vars = BTreeMap::new();
        vars.insert("customer", customer.display_name.clone());
        vars.insert("partner", shown);
        vars.insert("access", access);
        vars.insert(
            "url",
            format!("{}/portal/customers", app.config.public_url()),
        );
        crate::app::mailing::enqueue(
            tx,
            now,
            &to,
            crate::mail::Template::CustomerAccepted,
            "en-US",
            &vars,
        )
        .await?;
    }
    Ok(())
}

/// The delegated access an accepted request asked for, granted to one partner.
async fn grant_access(tx: &mut Tx, a: &Accepted<'_>, partner: TenantId) -> Result<()> {
    let (customer, inv, now) = (a.customer, a.inv, a.now);
    let grant = GrantRow {
        id: GrantId::new(),
        customer: customer.id,
        partner,
        roles: inv.roles.clone(),
        status: GrantStatus::Active,
        duration_days: inv.duration_days,
        auto_extend: a.auto_extend,
        created_at: now,
        expires_at: now + inv.duration_days * crate::clock::DAY_MS,
        warned_at: None,
    };
    repo::insert_grant(tx, &grant).await?;
    events::emit(
        tx,
        now,
        EventName::GranularAdminRelationshipApproved,
        format!("/v1/customers/{}/grants/{}", customer.id, grant.id),
        &customer.display_name,
        &[partner.to_string()],
    )
    .await?;
    Ok(())
}

/// The customer's global administrator declines: nothing is granted, the link stops working,
/// the decision is in the customer's and the partners' activity logs, and each partner the
/// request named (the reseller, and its provider if any) is told by mail.
pub async fn decline(app: &App, ctx: &Ctx, token: &str) -> Result<()> {
    ctx.require(
        Action::ManageOwnPartners,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    let customer = ids::tenant(&app.db, ctx.actor.tenant)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let inv = repo::invitation_by_token(&mut tx, &crypto::token_hash(token.trim()))
        .await?
        .ok_or_else(|| link_error(None))?;
    let state = inv.state.seen_at(inv.expires_at, now);
    if state != InvitationState::Pending {
        return Err(link_error(Some(state)));
    }
    if !repo::close_invitation(
        &mut tx,
        inv.id,
        RequestState::Declined,
        now,
        ctx.upn.as_deref().unwrap_or(""),
        Some(ctx.actor.tenant),
    )
    .await?
    {
        return Err(link_error(Some(InvitationState::Accepted)));
    }
    let told: Vec<TenantId> = std::iter::once(inv.reseller).chain(inv.provider).collect();
    for org in std::iter::once(customer.id).chain(told.iter().copied()) {
        record(
            &mut tx,
            Some(ctx),
            &org.to_string(),
            Change {
                operation: Operation::DeclinePartnerCustomerRelationship,
                resource_type: "customer_invitation",
                resource_id: inv.id.to_string(),
                old: None,
                new: Some(serde_json::json!({ "by": ctx.upn, "roles": inv.roles })),
                customer_id: Some(customer.id.to_string()),
            },
            now,
        )
        .await?;
    }
    let reseller_name = name_of(app, inv.reseller).await?;
    for partner in told {
        tell_declined(
            app,
            &mut tx,
            &customer,
            partner,
            &reseller_name,
            inv.reseller,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The mail that tells one partner named in a request that the customer declined it.
async fn tell_declined(
    app: &App,
    tx: &mut Tx,
    customer: &TenantRow,
    partner: TenantId,
    reseller_name: &str,
    reseller: TenantId,
    now: i64,
) -> Result<()> {
    let Some(to) = contact_of(app, partner).await? else {
        return Ok(());
    };
    let shown = if partner == reseller {
        reseller_name.to_string()
    } else {
        format!("{} ({reseller_name})", name_of(app, partner).await?)
    };
    let mut vars = BTreeMap::new();
    vars.insert("customer", customer.display_name.clone());
    vars.insert("partner", shown);
    vars.insert(
        "url",
        format!("{}/portal/customers", app.config.public_url()),
    );
    crate::app::mailing::enqueue(
        tx,
        now,
        &to,
        crate::mail::Template::CustomerDeclined,
        "en-US",
        &vars,
    )
    .await?;
    Ok(())
}

/// Ends one partner's relationship with a customer and the grants that came with it.
async fn end_for(
    app: &App,
    tx: &mut Tx,
    ctx: &Ctx,
    customer: &TenantRow,
    partner: TenantId,
    by: &str,
    now: i64,
) -> Result<bool> {
    let ended = repo::end_relationship(tx, customer.id, partner, now).await?;
    let grants = repo::live_grants(tx, partner, customer.id).await?;
    for g in &grants {
        repo::end_grant(tx, g.id, GrantStatus::Revoked, now).await?;
        events::emit(
            tx,
            now,
            EventName::GranularAdminRelationshipTerminated,
            format!("/v1/customers/{}/grants/{}", customer.id, g.id),
            &customer.display_name,
            &[partner.to_string()],
        )
        .await?;
    }
    if !ended && grants.is_empty() {
        return Ok(false);
    }
    for org in [customer.id, partner] {
        record(
            tx,
            Some(ctx),
            &org.to_string(),
            Change {
                operation: Operation::RemovePartnerCustomerRelationship,
                resource_type: "partner_customer_relationship",
                resource_id: format!("{}:{}", partner, customer.id),
                old: None,
                new: Some(serde_json::json!({ "by": by, "grantsEnded": grants.len() })),
                customer_id: Some(customer.id.to_string()),
            },
            now,
        )
        .await?;
    }
    if let Some(to) = contact_of(app, partner).await? {
        let mut vars = BTreeMap::new();
        vars.insert("partner", name_of(app, partner).await?);
        vars.insert("customer", customer.display_name.clone());
        vars.insert("by", by.to_string());
        vars.insert(
            "url",
            format!("{}/portal/customers", app.config.public_url()),
        );
        crate::app::mailing::enqueue(
            tx,
            now,
            &to,
            crate::mail::Template::CustomerRelationshipEnded,
            "en-US",
            &vars,
        )
        .await?;
    }
    Ok(true)
}

/// The name of a partner serving the caller's organisation (the customer), which the
/// customer types to confirm removing that partner.
pub async fn own_partner_name(app: &App, ctx: &Ctx, partner: TenantId) -> Result<String> {
    ctx.require(
        Action::ManageOwnPartners,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    repo::partners_of(&app.db, ctx.actor.tenant)
        .await?
        .into_iter()
        .find(|p| p.partner == partner)
        .map(|p| p.name)
        .ok_or(Error::NotFound("partner relationship"))
}

/// The customer revokes everything a partner has: relationship and grants.
pub async fn revoke_partner(app: &App, ctx: &Ctx, partner: TenantId) -> Result<()> {
    ctx.require(
        Action::ManageOwnPartners,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    let customer = ids::tenant(&app.db, ctx.actor.tenant)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    if !end_for(
        app,
        &mut tx,
        ctx,
        &customer,
        partner,
        "revoked by the customer",
        now,
    )
    .await?
    {
        return Err(Error::NotFound("partner relationship"));
    }
    tx.commit().await?;
    Ok(())
}

/// The customer ends one grant and keeps the relationship.
pub async fn revoke_grant(app: &App, ctx: &Ctx, grant_id: GrantId) -> Result<GrantRow> {
    ctx.require(
        Action::ManageOwnPartners,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    let g = repo::grant(&app.db, grant_id)
        .await?
        .filter(|g| g.customer == ctx.actor.tenant)
        .ok_or(Error::NotFound("grant"))?;
    let customer = ids::tenant(&app.db, ctx.actor.tenant)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    if !repo::end_grant(&mut tx, grant_id, GrantStatus::Revoked, now).await? {
        return Err(Error::conflict("this grant has already ended"));
    }
    events::emit(
        &mut tx,
        now,
        EventName::GranularAdminRelationshipTerminated,
        format!("/v1/customers/{}/grants/{}", customer.id, g.id),
        &customer.display_name,
        &[g.partner.to_string()],
    )
    .await?;
    for org in [customer.id, g.partner] {
        record(
            &mut tx,
            Some(ctx),
            &org.to_string(),
            Change {
                operation: Operation::GranularAdminRelationshipTerminated,
                resource_type: "granular_admin_relationship",
                resource_id: g.id.to_string(),
                old: None,
                new: None,
                customer_id: Some(customer.id.to_string()),
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    repo::grant(&app.db, grant_id)
        .await?
        .ok_or(Error::NotFound("grant"))
}

/// The partner ends its own relationship (`relationshipToPartner: none`).
pub async fn end_from_partner(app: &App, ctx: &Ctx, customer_id: &str) -> Result<()> {
    let (customer, _) = authorized(app, ctx, customer_id, Action::EndCustomerRelationship).await?;
    let now = app.clock.now_ms();
    let by = format!("ended by {}", name_of(app, ctx.actor.tenant).await?);
    let mut tx = app.db.begin().await?;
    end_for(app, &mut tx, ctx, &customer, ctx.actor.tenant, &by, now).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    pub domain: String,
    pub company_name: String,
    pub country: String,
    pub billing: serde_json::Value,
    /// The reseller the customer is created for (tenant id or partner-network id).
    pub associated_partner_id: String,
}

/// A provider creates a customer tenant for a partnered reseller; the admin password is
/// returned once.
pub async fn create_for_reseller(
    app: &App,
    ctx: &Ctx,
    c: NewCustomer,
) -> Result<(
    TenantRow,
    crate::app::store::identity::UserRow,
    String,
    TenantId,
)> {
    ctx.require(
        Action::CreateCustomerForReseller,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    let reseller = super::partnerships::find_partner(app, &c.associated_partner_id)
        .await?
        .filter(|p| p.is_reseller && p.is_active())
        .ok_or_else(|| {
            Error::field(
                "associatedPartnerId",
                "name an active indirect reseller you partner with",
            )
        })?;
    if partnerships::pair(&app.db, ctx.actor.tenant, reseller.tenant_id)
        .await?
        .is_none_or(|p| !p.is_active())
    {
        return Err(Error::field(
            "associatedPartnerId",
            "this reseller is not partnered with you",
        ));
    }
    let domain = c.domain.trim().to_ascii_lowercase();
    let (tenant, admin, password) = identity::create_tenant_with_admin(
        app,
        Some(ctx),
        NewTenant {
            domain: domain.clone(),
            display_name: c.company_name.clone(),
            country: c.country.clone(),
            kind: TenantKind::Customer,
        },
        NewUser {
            upn: format!("admin@{domain}"),
            display_name: "Administrator".into(),
            ..Default::default()
        },
    )
    .await?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    for (partner, via) in [
        (reseller.tenant_id, None),
        (ctx.actor.tenant, Some(reseller.tenant_id)),
    ] {
        repo::upsert_relationship(
            &mut tx,
            &NewRelationship {
                customer: &tenant,
                partner,
                indirect_reseller: via,
            },
            now,
        )
        .await?;
        record(&mut tx, Some(ctx), &partner.to_string(), Change {
            operation: Operation::AddCustomer,
            resource_type: "customer",
            resource_id: tenant.id.to_string(),
            old: None,
            new: Some(serde_json::json!({ "companyName": tenant.display_name, "domain": tenant.domain, "associatedPartnerId": reseller.tenant_id.to_string() })),
            customer_id: Some(tenant.id.to_string()),
        }, now).await?;
    }
    if !c.billing.is_null() {
        repo::save_billing(&mut tx, tenant.id, &c.billing, 0, now).await?;
    }
    events::emit(
        &mut tx,
        now,
        EventName::CustomerCreated,
        format!("/v1/customers/{}", tenant.id),
        &tenant.display_name,
        &[ctx.actor.tenant.to_string(), reseller.tenant_id.to_string()],
    )
    .await?;
    tx.commit().await?;
    Ok((tenant, admin, password, reseller.tenant_id))
}

/// Reads the billing profile (empty until set).
pub async fn billing(app: &App, ctx: &Ctx, customer_id: &str) -> Result<(serde_json::Value, i64)> {
    let (t, _) = visible(app, ctx, customer_id).await?;
    let billing = match super::seen::customer(ctx.actor.tenant, t.id) {
        Some(seen) => seen.billing.clone(),
        None => repo::billing(&app.db, t.id).await?,
    };
    Ok(billing.unwrap_or((serde_json::json!({}), 0)))
}

pub async fn update_billing(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    billing: serde_json::Value,
    expected: Option<i64>,
) -> Result<(serde_json::Value, i64)> {
    let (t, _) = authorized(app, ctx, customer_id, Action::UpdateCustomerBilling).await?;
    let current = repo::billing(&app.db, t.id)
        .await?
        .map(|(_, v)| v)
        .unwrap_or(0);
    if expected.is_some_and(|e| e != current) {
        return Err(Error::PreconditionFailed);
    }
    if let Some(email) = billing.get("email").and_then(|e| e.as_str()) {
        crate::domain::identity::Email::parse("email", email)
            .map_err(|f| Error::Validation(vec![f]))?;
    }
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    if !repo::save_billing(&mut tx, t.id, &billing, current, now).await? {
        return Err(Error::PreconditionFailed);
    }
    record(
        &mut tx,
        Some(ctx),
        &ctx.actor.tenant.to_string(),
        Change {
            operation: Operation::UpdateCustomerBillingProfile,
            resource_type: "customer_billing_profile",
            resource_id: t.id.to_string(),
            old: None,
            new: Some(billing.clone()),
            customer_id: Some(t.id.to_string()),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((billing, current + 1))
}

/// Warns a week ahead, extends auto-extending grants, and ends grants at their date.
/// Returns (warned, extended, expired).
pub async fn run_grant_expiry(app: &App) -> Result<(usize, usize, usize)> {
    let now = app.clock.now_ms();
    let (mut warned, mut extended, mut expired) = (0, 0, 0);
    for g in repo::grants_due(&app.db, now + 7 * crate::clock::DAY_MS).await? {
        let customer = name_of(app, g.customer).await?;
        let partner = name_of(app, g.partner).await?;
        let roles: Vec<&str> = g.roles.iter().map(|r| r.as_str()).collect();
        let mut vars = BTreeMap::new();
        vars.insert("customer", customer.clone());
        vars.insert("partner", partner);
        vars.insert("roles", roles.join(", "));
        vars.insert(
            "date",
            crate::clock::from_ms(g.expires_at)
                .format("%Y-%m-%d")
                .to_string(),
        );
        let mut tx = app.db.begin().await?;
        let audience = [g.partner.to_string(), g.customer.to_string()];
        let uri = format!("/v1/customers/{}/grants/{}", g.customer, g.id);
        if g.expires_at <= now {
            if g.auto_extend
                && !g
                    .roles
                    .contains(&crate::domain::customer::GrantRole::GlobalAdministrator)
            {
                let next = g.expires_at + AUTO_EXTEND_DAYS * crate::clock::DAY_MS;
                if repo::extend_grant(&mut tx, g.id, g.expires_at, next).await? {
                    extended += 1;
                    events::emit(
                        &mut tx,
                        now,
                        EventName::GranularAdminRelationshipExtended,
                        uri,
                        &customer,
                        &audience,
                    )
                    .await?;
                }
            } else if repo::end_grant(&mut tx, g.id, GrantStatus::Expired, now).await? {
                expired += 1;
                events::emit(
                    &mut tx,
                    now,
                    EventName::GranularAdminRelationshipExpired,
                    uri,
                    &customer,
                    &audience,
                )
                .await?;
                if let Some(to) = contact_of(app, g.partner).await? {
                    crate::app::mailing::enqueue(
                        &mut tx,
                        now,
                        &to,
                        crate::mail::Template::GrantExpired,
                        "en-US",
                        &vars,
                    )
                    .await?;
                }
                record(
                    &mut tx,
                    None,
                    &g.partner.to_string(),
                    Change {
                        operation: Operation::GranularAdminRelationshipExpired,
                        resource_type: "granular_admin_relationship",
                        resource_id: g.id.to_string(),
                        old: None,
                        new: None,
                        customer_id: Some(g.customer.to_string()),
                    },
                    now,
                )
                .await?;
            }
        } else if g.warned_at.is_none()
            && !g.auto_extend
            && repo::mark_warned(&mut tx, g.id, now).await?
        {
            warned += 1;
            events::emit(
                &mut tx,
                now,
                EventName::GranularAdminRelationshipExpiring,
                uri,
                &customer,
                &audience,
            )
            .await?;
            if let Some(to) = contact_of(app, g.partner).await? {
                crate::app::mailing::enqueue(
                    &mut tx,
                    now,
                    &to,
                    crate::mail::Template::GrantExpiring,
                    "en-US",
                    &vars,
                )
                .await?;
            }
        }
        tx.commit().await?;
    }
    Ok((warned, extended, expired))
}

/// The reseller withdraws a relationship request it sent; its link stops working at once.
pub async fn revoke_request(
    app: &App,
    ctx: &Ctx,
    id: CustomerInvitationId,
) -> Result<CustomerInvitationRow> {
    ctx.require(Action::InviteCustomers, Resource::Tenant(ctx.actor.tenant))?;
    let inv = repo::invitation(&app.db, id)
        .await?
        .filter(|i| i.reseller == ctx.actor.tenant)
        .ok_or(Error::NotFound("relationship request"))?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    if !repo::close_invitation(
        &mut tx,
        inv.id,
        RequestState::Revoked,
        now,
        ctx.upn.as_deref().unwrap_or(""),
        None,
    )
    .await?
    {
        return Err(Error::conflict(
            "this request was already answered or withdrawn",
        ));
    }
    record(
        &mut tx,
        Some(ctx),
        &ctx.actor.tenant.to_string(),
        Change {
            operation: Operation::RevokeCustomerRelationshipRequest,
            resource_type: "customer_invitation",
            resource_id: inv.id.to_string(),
            old: None,
            new: None,
            customer_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    repo::invitation(&app.db, id)
        .await?
        .ok_or(Error::NotFound("relationship request"))
}

/// A partner's customers served through one reseller (`None`: served directly).
pub struct CustomerGroup {
    pub reseller: Option<TenantId>,
    /// The reseller's display name; `None` for the direct group.
    pub reseller_name: Option<String>,
    /// The group has customers on an earlier page of the list.
    pub continued: bool,
    pub rows: Vec<repo::CustomerListRow>,
}

/// One page of the portal's customer list before it is grouped: the rows in name order,
/// each with its reseller's name, how many customers match, and the resellers whose group
/// began on an earlier page.
pub struct GroupedPage {
    pub rows: Vec<(repo::CustomerListRow, Option<String>)>,
    pub total: i64,
    continued: Vec<Option<TenantId>>,
}

impl GroupedPage {
    /// The page's rows (cut to the page by the caller) in one group per reseller, groups in
    /// the order their first customer comes, customers in name order.
    pub fn groups(self) -> Vec<CustomerGroup> {
        let mut groups: Vec<CustomerGroup> = Vec::new();
        for (r, reseller_name) in self.rows {
            match groups
                .iter_mut()
                .find(|g| g.reseller == r.indirect_reseller)
            {
                Some(g) => g.rows.push(r),
                None => groups.push(CustomerGroup {
                    reseller: r.indirect_reseller,
                    reseller_name: r
                        .indirect_reseller
                        .map(|_| reseller_name.unwrap_or_default()),
                    continued: self.continued.contains(&r.indirect_reseller),
                    rows: vec![r],
                }),
            }
        }
        groups
    }
}

/// The portal's customer list: a page of the caller's customers whose name starts with
/// `search`, in name order after `after` (the last customer of the previous page), with
/// their resellers' names (a provider's list is grouped by the reseller it serves them
/// through) and how many match.
pub async fn grouped(
    app: &App,
    ctx: &Ctx,
    search: Option<&str>,
    after: Position<'_>,
    limit: u32,
) -> Result<GroupedPage> {
    ctx.require(Action::ReadPartnerships, Resource::Tenant(ctx.actor.tenant))?;
    let filter = search
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| crate::domain::customer::CustomerFilter::CompanyName(s.to_lowercase()));
    let partner = ctx.actor.tenant;
    // The rows, their resellers' names and the total: read with the session when the page
    // asked for exactly this (`app::seen`), else in one statement.
    let seen = filter
        .is_none()
        .then(|| super::seen::customer_list_named(partner, after, limit))
        .flatten();
    let (rows, total) = match seen {
        Some(page) => page,
        None => repo::page_with_resellers(&app.db, partner, filter.as_ref(), after, limit).await?,
    };
    let continued = match after {
        None => Vec::new(),
        Some(at) => {
            let mut resellers: Vec<Option<TenantId>> = Vec::new();
            for (r, _) in &rows {
                if !resellers.contains(&r.indirect_reseller) {
                    resellers.push(r.indirect_reseller);
                }
            }
            repo::resellers_before(&app.db, partner, filter.as_ref(), at, &resellers).await?
        }
    };
    Ok(GroupedPage {
        rows,
        total,
        continued,
    })
}

/// The providers a reseller may name on a customer request: its active indirect providers
/// (tenant id and name). Empty for a caller who may not invite customers.
pub async fn request_providers(app: &App, ctx: &Ctx) -> Result<Vec<(TenantId, String)>> {
    if !can(
        &ctx.actor,
        Action::InviteCustomers,
        Resource::Tenant(ctx.actor.tenant),
    )
    .allowed()
    {
        return Ok(Vec::new());
    }
    Ok(
        partnerships::page(&app.db, ctx.actor.tenant, false, None, 500)
            .await?
            .0
            .into_iter()
            .filter(|c| c.partnership.is_active())
            .map(|c| (c.other_tenant, c.name))
            .collect(),
    )
}
