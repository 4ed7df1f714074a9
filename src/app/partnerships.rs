//! Provider directory and provider-reseller partnerships: listing, invitation by personal
//! link, authorization by the reseller, lists, termination, and admin access.

use super::audit::{record, Change};
use super::{events, App, Ctx};
use crate::app::store::identity as ids;
use crate::app::store::partners::{self, PartnerRow};
use crate::app::store::partnerships::{self as repo, ListingRow};
pub use crate::app::store::partnerships::{
    Counterpart, DirectoryEntry, InvitationRow, PartnershipRow,
};
use crate::app::store::Tx;
use crate::crypto;
use crate::domain::audit::Operation;
use crate::domain::authz::{Action, Resource};
use crate::domain::error::{Checks, Code};
use crate::domain::identity::{Country, Email};
use crate::domain::ids::{PartnerInvitationId, PartnershipId};
use crate::domain::partnership::{region_allows, InvitationState, Service};
use crate::domain::webhook::EventName;
use crate::domain::{Error, Result};
use std::collections::BTreeMap;

pub const DEFAULT_INVITATION_DAYS: i64 = 30;

/// The countries a provider serves: its listing's, or its own country when it has none.
pub fn served(entry: &DirectoryEntry) -> Vec<String> {
    match &entry.listing {
        Some(l) if !l.countries.is_empty() => l.countries.clone(),
        _ => vec![entry.country.clone()],
    }
}

#[derive(Debug, Clone, Default)]
pub struct DirectoryFilter {
    pub country: Option<String>,
    pub service: Option<String>,
    pub name: Option<String>,
}

/// Searches authorized providers by country served, service offered and name.
pub async fn search(app: &App, f: &DirectoryFilter) -> Result<Vec<DirectoryEntry>> {
    let country = f
        .country
        .as_deref()
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty());
    let service = match f
        .service
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => {
            Some(Service::parse(s).ok_or_else(|| Error::field("service", "not a known service"))?)
        }
        None => None,
    };
    let name = f
        .name
        .as_deref()
        .map(|n| n.trim().to_lowercase())
        .filter(|n| !n.is_empty());
    Ok(repo::directory(&app.db)
        .await?
        .into_iter()
        .filter(|e| country.as_ref().is_none_or(|c| served(e).contains(c)))
        .filter(|e| {
            service.is_none_or(|s| {
                e.listing
                    .as_ref()
                    .is_some_and(|l| l.services.iter().any(|x| x == s.as_str()))
            })
        })
        .filter(|e| {
            name.as_ref()
                .is_none_or(|n| e.name.to_lowercase().contains(n.as_str()))
        })
        .collect())
}

pub async fn entry(app: &App, tenant: crate::domain::ids::TenantId) -> Result<DirectoryEntry> {
    repo::directory(&app.db)
        .await?
        .into_iter()
        .find(|e| e.tenant_id == tenant)
        .ok_or(Error::NotFound("provider"))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListingInput {
    pub countries: Vec<String>,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub website: String,
}

pub async fn save_listing(
    app: &App,
    ctx: &Ctx,
    input: ListingInput,
    expected_version: Option<i64>,
) -> Result<ListingRow> {
    ctx.require(Action::ManageListing, Resource::Tenant(ctx.actor.tenant))?;
    let mut checks = Checks::new();
    let mut countries = Vec::new();
    for c in &input.countries {
        if let Some(c) = checks.parse(Country::parse("countries", c)) {
            if !countries.contains(&c.to_string()) {
                countries.push(c.to_string());
            }
        }
    }
    checks.check(
        !countries.is_empty(),
        "countries",
        "list at least one country you serve",
    );
    let mut services = Vec::new();
    for s in &input.services {
        match Service::parse(s.trim()) {
            Some(s) if !services.contains(&s.as_str().to_string()) => {
                services.push(s.as_str().to_string())
            }
            Some(_) => {}
            None => {
                checks.check(false, "services", &format!("{s} is not a known service"));
            }
        }
    }
    checks.check(
        input.description.chars().count() <= 2000,
        "description",
        "at most 2000 characters",
    );
    if !input.contact_email.trim().is_empty() {
        if let Err(e) = Email::parse("contactEmail", &input.contact_email) {
            checks.push(e);
        }
    }
    checks.check(
        input.website.trim().is_empty()
            || input.website.trim().starts_with("https://")
            || input.website.trim().starts_with("http://"),
        "website",
        "enter a web address starting with https://",
    );
    checks.finish()?;
    let now = app.clock.now_ms();
    let current = repo::listing(&app.db, ctx.actor.tenant).await?;
    let current_version = current.as_ref().map(|l| l.version).unwrap_or(0);
    if expected_version.is_some_and(|v| v != current_version) {
        return Err(Error::PreconditionFailed);
    }
    let listing = ListingRow {
        tenant_id: ctx.actor.tenant,
        countries,
        services,
        description: input.description.trim().to_string(),
        contact_email: input.contact_email.trim().to_ascii_lowercase(),
        contact_phone: input.contact_phone.trim().to_string(),
        website: input.website.trim().to_string(),
        updated_at: now,
        version: current_version + 1,
    };
    let mut tx = app.db.begin().await?;
    if !repo::save_listing(&mut tx, &listing, current_version).await? {
        return Err(Error::PreconditionFailed);
    }
    record(
        &mut tx,
        Some(ctx),
        &ctx.actor.tenant.to_string(),
        Change {
            operation: Operation::UpdateProviderListing,
            resource_type: "provider_listing",
            resource_id: ctx.actor.tenant.to_string(),
            old: None,
            new: Some(
                serde_json::json!({ "countries": listing.countries, "services": listing.services }),
            ),
            customer_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(listing)
}

#[derive(Debug, Clone, Default)]
pub struct InviteInput {
    /// Name the reseller (by partner-network id) so no one else can accept.
    pub reseller_mpn_id: Option<i64>,
    /// Where to send the invitation when Partner Hub sends it.
    pub email: Option<String>,
    pub send: bool,
    pub days: Option<i64>,
}

pub struct Invitation {
    pub row: InvitationRow,
    pub url: String,
    pub subject: String,
    pub body: String,
}

async fn partner_name(app: &App, tenant: crate::domain::ids::TenantId) -> Result<String> {
    Ok(ids::tenant(&app.db, tenant)
        .await?
        .map(|t| t.display_name)
        .unwrap_or_default())
}

async fn named_reseller(app: &App, mpn: i64) -> Result<PartnerRow> {
    partners::by_mpn(&app.db, mpn)
        .await?
        .filter(|p| p.is_reseller && p.is_active())
        .ok_or_else(|| {
            Error::field(
                "resellerMpnId",
                format!("{mpn} is not an authorized indirect reseller"),
            )
        })
}

/// "Request a partnership": a personal link (256-bit token, stored hashed) and a draft mail.
pub async fn invite(app: &App, ctx: &Ctx, input: InviteInput) -> Result<Invitation> {
    ctx.require(Action::InviteResellers, Resource::Tenant(ctx.actor.tenant))?;
    let provider = entry(app, ctx.actor.tenant).await?;
    let days = input.days.unwrap_or(DEFAULT_INVITATION_DAYS);
    if !(1..=crate::domain::channel::MAX_LINK_DAYS).contains(&days) {
        return Err(Error::field(
            "expiresInDays",
            format!("choose 1 to {} days", crate::domain::channel::MAX_LINK_DAYS),
        ));
    }
    let email = match input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) => Some(
            Email::parse("email", e)
                .map_err(|f| Error::Validation(vec![f]))?
                .to_string(),
        ),
        None => None,
    };
    if input.send && email.is_none() {
        return Err(Error::field(
            "email",
            "give the address Partner Hub should send the invitation to",
        ));
    }
    let reseller = match input.reseller_mpn_id {
        Some(mpn) => {
            let r = named_reseller(app, mpn).await?;
            let tenant = ids::tenant(&app.db, r.tenant_id)
                .await?
                .ok_or(Error::NotFound("tenant"))?;
            region_allows(&served(&provider), &provider.name, &tenant.country)?;
            if repo::pair(&app.db, ctx.actor.tenant, r.tenant_id)
                .await?
                .is_some_and(|p| p.is_active())
            {
                return Err(Error::Conflict {
                    code: Code::AlreadyPartnered,
                    message: format!(
                        "{} and {} are partners already",
                        provider.name, tenant.display_name
                    ),
                });
            }
            Some(r.tenant_id)
        }
        None => None,
    };
    let now = app.clock.now_ms();
    let token = crypto::random_token(32);
    let row = InvitationRow {
        id: PartnerInvitationId::new(),
        provider_tenant_id: ctx.actor.tenant,
        reseller_tenant_id: reseller,
        email: email.clone(),
        token_hash: crypto::token_hash(&token),
        state: InvitationState::Pending,
        created_by: ctx.upn.clone().unwrap_or_default(),
        created_at: now,
        expires_at: now + days * crate::clock::DAY_MS,
        accepted_at: None,
        accepted_by: None,
    };
    let url = format!(
        "{}/portal/partnership/accept?token={token}",
        app.config.public_url()
    );
    let mut vars = BTreeMap::new();
    vars.insert("provider", provider.name.clone());
    vars.insert("url", url.clone());
    vars.insert("days", days.to_string());
    vars.insert(
        "api",
        crate::mail::templates::api_call(
            &app.config.public_url(),
            "/v1/partnershipinvitations/accept",
            &token,
            ", \"consent\": true",
        ),
    );
    let draft = crate::mail::templates::render(
        crate::mail::Template::PartnershipInvitation,
        "en-US",
        &vars,
    );
    let mut tx = app.db.begin().await?;
    repo::insert_invitation(&mut tx, &row).await?;
    if input.send {
        let to = email.as_deref().expect("checked above");
        crate::app::mailing::enqueue(
            &mut tx,
            now,
            to,
            crate::mail::Template::PartnershipInvitation,
            "en-US",
            &vars,
        )
        .await?;
    }
    record(&mut tx, Some(ctx), &ctx.actor.tenant.to_string(), Change {
        operation: Operation::CreatePartnershipInvitation,
        resource_type: "partnership_invitation",
        resource_id: row.id.to_string(),
        old: None,
        new: Some(serde_json::json!({ "reseller": reseller.map(|r| r.to_string()), "email": email, "sent": input.send, "expiresInDays": days })),
        customer_id: None,
    }, now).await?;
    tx.commit().await?;
    Ok(Invitation {
        row,
        url,
        subject: draft.subject,
        body: draft.text,
    })
}

pub async fn revoke_invitation(
    app: &App,
    ctx: &Ctx,
    id: PartnerInvitationId,
) -> Result<InvitationRow> {
    let inv = repo::invitation(&app.db, id)
        .await?
        .ok_or(Error::NotFound("invitation"))?;
    if inv.provider_tenant_id != ctx.actor.tenant {
        return Err(Error::NotFound("invitation"));
    }
    ctx.require(Action::InviteResellers, Resource::Tenant(ctx.actor.tenant))?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    if !repo::close_invitation(
        &mut tx,
        id,
        InvitationState::Revoked,
        now,
        ctx.upn.as_deref(),
        None,
    )
    .await?
    {
        return Err(Error::conflict("only a pending invitation can be revoked"));
    }
    record(
        &mut tx,
        Some(ctx),
        &ctx.actor.tenant.to_string(),
        Change {
            operation: Operation::RevokePartnershipInvitation,
            resource_type: "partnership_invitation",
            resource_id: id.to_string(),
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
        .ok_or(Error::NotFound("invitation"))
}

/// What a reseller sees before authorizing: who invites, and what it may do.
pub struct Preview {
    pub invitation: InvitationRow,
    pub provider: DirectoryEntry,
    pub state: InvitationState,
}

fn link_problem(state: InvitationState) -> Error {
    let message = match state {
        InvitationState::Accepted => "this invitation was already accepted",
        InvitationState::Revoked => "the provider withdrew this invitation",
        InvitationState::Expired => "this invitation has expired: ask the provider for a new one",
        InvitationState::Pending => "this invitation cannot be used",
    };
    Error::Conflict {
        code: Code::LinkNotUsable,
        message: message.into(),
    }
}

fn unknown_link() -> Error {
    Error::Conflict {
        code: Code::LinkNotUsable,
        message: "this invitation link is not valid: check that it was copied whole".into(),
    }
}

pub async fn preview(app: &App, token: &str) -> Result<Preview> {
    let inv = repo::invitation_by_token_read(&app.db, &crypto::token_hash(token.trim()))
        .await?
        .ok_or_else(unknown_link)?;
    let provider = entry(app, inv.provider_tenant_id).await?;
    let state = inv.state.seen_at(inv.expires_at, app.clock.now_ms());
    Ok(Preview {
        invitation: inv,
        provider,
        state,
    })
}

/// The partner's primary contact, where its organisation mail goes.
pub(crate) async fn contact_of(
    app: &App,
    tenant: crate::domain::ids::TenantId,
) -> Result<Option<String>> {
    Ok(partners::get(&app.db, tenant)
        .await?
        .map(|p| p.legal.contact_email)
        .filter(|e| !e.is_empty()))
}

/// The reseller authorizes the provider: the partnership becomes active at once, once.
pub async fn accept(app: &App, ctx: &Ctx, token: &str, consent: bool) -> Result<PartnershipRow> {
    if !consent {
        return Err(Error::field(
            "consent",
            "tick the box to confirm what the provider will be allowed to do",
        ));
    }
    ctx.require(
        Action::AuthorizeProvider,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    let hash = crypto::token_hash(token.trim());
    let now = app.clock.now_ms();
    let reseller_tenant = ids::tenant(&app.db, ctx.actor.tenant)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let mut tx = app.db.begin().await?;
    let inv = repo::invitation_by_token(&mut tx, &hash)
        .await?
        .ok_or_else(unknown_link)?;
    let state = inv.state.seen_at(inv.expires_at, now);
    if state != InvitationState::Pending {
        return Err(link_problem(state));
    }
    if inv
        .reseller_tenant_id
        .is_some_and(|r| r != ctx.actor.tenant)
    {
        return Err(Error::Forbidden(
            "this invitation is meant for another reseller".into(),
        ));
    }
    if inv.provider_tenant_id == ctx.actor.tenant {
        return Err(Error::conflict(
            "an organisation cannot partner with itself",
        ));
    }
    let provider = entry(app, inv.provider_tenant_id).await?;
    region_allows(&served(&provider), &provider.name, &reseller_tenant.country)?;
    if repo::pair_in(&mut tx, inv.provider_tenant_id, ctx.actor.tenant)
        .await?
        .is_some_and(|p| p.is_active())
    {
        return Err(Error::Conflict {
            code: Code::AlreadyPartnered,
            message: format!(
                "{} and {} are partners already",
                provider.name, reseller_tenant.display_name
            ),
        });
    }
    if !repo::close_invitation(
        &mut tx,
        inv.id,
        InvitationState::Accepted,
        now,
        ctx.upn.as_deref(),
        Some(ctx.actor.tenant),
    )
    .await?
    {
        return Err(link_problem(InvitationState::Accepted));
    }
    let id = repo::activate(
        &mut tx,
        PartnershipId::new(),
        inv.provider_tenant_id,
        ctx.actor.tenant,
        now,
    )
    .await?;
    announce(
        app,
        &mut tx,
        ctx,
        Announcement {
            partnership_id: id,
            provider: &provider.name,
            provider_tenant: inv.provider_tenant_id,
            reseller: &reseller_tenant.display_name,
            reseller_tenant: ctx.actor.tenant,
            operation: Operation::CreatePartnerRelationship,
            event: EventName::PartnershipCreated,
            template: crate::mail::Template::PartnershipCreated,
            by: &reseller_tenant.display_name,
            notify_self: true,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    repo::get(&app.db, id)
        .await?
        .ok_or(Error::NotFound("partnership"))
}

struct Announcement<'a> {
    partnership_id: PartnershipId,
    provider: &'a str,
    provider_tenant: crate::domain::ids::TenantId,
    reseller: &'a str,
    reseller_tenant: crate::domain::ids::TenantId,
    operation: Operation,
    event: EventName,
    template: crate::mail::Template,
    by: &'a str,
    /// Mail the acting side too, not only the other one.
    notify_self: bool,
}

/// Audit records on both sides, the event, and mail to the other side (or both).
async fn announce(app: &App, tx: &mut Tx, ctx: &Ctx, a: Announcement<'_>, now: i64) -> Result<()> {
    for org in [a.provider_tenant, a.reseller_tenant] {
        record(tx, Some(ctx), &org.to_string(), Change {
            operation: a.operation,
            resource_type: "partner_relationship",
            resource_id: a.partnership_id.to_string(),
            old: None,
            new: Some(serde_json::json!({ "provider": a.provider, "reseller": a.reseller, "event": a.event.as_str() })),
            customer_id: None,
        }, now).await?;
    }
    events::emit(
        tx,
        now,
        a.event,
        format!("/v1/relationships/{}", a.partnership_id),
        &format!("{} - {}", a.provider, a.reseller),
        &[a.provider_tenant.to_string(), a.reseller_tenant.to_string()],
    )
    .await?;
    let mut vars = BTreeMap::new();
    vars.insert("provider", a.provider.to_string());
    vars.insert("reseller", a.reseller.to_string());
    vars.insert("by", a.by.to_string());
    for (org, path) in [
        (a.provider_tenant, "/portal/resellers"),
        (a.reseller_tenant, "/portal/providers"),
    ] {
        if org == ctx.actor.tenant && !a.notify_self {
            continue;
        }
        if let Some(to) = contact_of(app, org).await? {
            vars.insert("url", format!("{}{path}", app.config.public_url()));
            crate::app::mailing::enqueue(tx, now, &to, a.template, "en-US", &vars).await?;
        }
    }
    Ok(())
}

/// A partnership of the caller named by its id, or by the other partner's tenant id or
/// partner-network id (the `id` of `/v1/relationships` items).
async fn load_partnership(app: &App, ctx: &Ctx, id: &str) -> Result<PartnershipRow> {
    let by_id = match id.trim().parse::<PartnershipId>() {
        Ok(pid) => repo::get(&app.db, pid).await?,
        // Not a partnership id: perhaps the other partner's tenant or partner-network id.
        Err(_) => None,
    };
    let p = match by_id {
        Some(p) => p,
        None => {
            let other = find_partner(app, id)
                .await?
                .ok_or(Error::NotFound("relationship"))?;
            let me = ctx.actor.tenant;
            match repo::pair(&app.db, me, other.tenant_id).await? {
                Some(p) => p,
                None => repo::pair(&app.db, other.tenant_id, me)
                    .await?
                    .ok_or(Error::NotFound("relationship"))?,
            }
        }
    };
    let res = Resource::Partnership {
        provider: p.provider_tenant_id,
        reseller: p.reseller_tenant_id,
    };
    if !crate::domain::authz::can(&ctx.actor, Action::ReadPartnerships, res).allowed() {
        return Err(Error::NotFound("relationship"));
    }
    Ok(p)
}

pub async fn get(app: &App, ctx: &Ctx, id: &str) -> Result<PartnershipRow> {
    load_partnership(app, ctx, id).await
}

/// Ends a partnership from either side. Customers and their relationships stay.
pub async fn end(app: &App, ctx: &Ctx, id: &str) -> Result<PartnershipRow> {
    let p = load_partnership(app, ctx, id).await?;
    // Named by the other partner's id too: from here on, the partnership's own id.
    let id = p.id;
    ctx.require(
        Action::EndPartnership,
        Resource::Partnership {
            provider: p.provider_tenant_id,
            reseller: p.reseller_tenant_id,
        },
    )?;
    let now = app.clock.now_ms();
    let provider = partner_name(app, p.provider_tenant_id).await?;
    let reseller = partner_name(app, p.reseller_tenant_id).await?;
    let by = partner_name(app, ctx.actor.tenant).await?;
    let mut tx = app.db.begin().await?;
    if !repo::end(&mut tx, id, now, ctx.upn.as_deref().unwrap_or("")).await? {
        return Err(Error::conflict("this partnership has already ended"));
    }
    announce(
        app,
        &mut tx,
        ctx,
        Announcement {
            partnership_id: id,
            provider: &provider,
            provider_tenant: p.provider_tenant_id,
            reseller: &reseller,
            reseller_tenant: p.reseller_tenant_id,
            operation: Operation::RemovePartnerRelationship,
            event: EventName::PartnershipTerminated,
            template: crate::mail::Template::PartnershipEnded,
            by: &by,
            notify_self: false,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    repo::get(&app.db, id)
        .await?
        .ok_or(Error::NotFound("relationship"))
}

/// The reseller takes back the provider's admin access and keeps the partnership.
pub async fn revoke_admin(app: &App, ctx: &Ctx, id: &str) -> Result<PartnershipRow> {
    let p = load_partnership(app, ctx, id).await?;
    // Named by the other partner's id too: from here on, the partnership's own id.
    let id = p.id;
    ctx.require(
        Action::RevokeProviderAdmin,
        Resource::Partnership {
            provider: p.provider_tenant_id,
            reseller: p.reseller_tenant_id,
        },
    )?;
    let now = app.clock.now_ms();
    let provider = partner_name(app, p.provider_tenant_id).await?;
    let reseller = partner_name(app, p.reseller_tenant_id).await?;
    let mut tx = app.db.begin().await?;
    if !repo::revoke_admin(&mut tx, id, now).await? {
        return Err(Error::conflict(
            "the provider has no admin access to revoke",
        ));
    }
    announce(
        app,
        &mut tx,
        ctx,
        Announcement {
            partnership_id: id,
            provider: &provider,
            provider_tenant: p.provider_tenant_id,
            reseller: &reseller,
            reseller_tenant: p.reseller_tenant_id,
            operation: Operation::RemoveIndirectProviderAdminAccess,
            event: EventName::PartnershipUpdated,
            template: crate::mail::Template::ProviderAdminRevoked,
            by: &reseller,
            notify_self: false,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    repo::get(&app.db, id)
        .await?
        .ok_or(Error::NotFound("relationship"))
}

/// Checks partner-network ids before they are used as partner of record: each must be an
/// authorized reseller, and partnered with the caller when the caller is a provider.
pub async fn validate_resellers(
    app: &App,
    ctx: &Ctx,
    ids: &[String],
) -> Result<Vec<(String, ResellerVerdict)>> {
    ctx.require(Action::ReadPartnerships, Resource::Tenant(ctx.actor.tenant))?;
    if ids.is_empty() || ids.len() > 100 {
        return Err(Error::field("partnerIds", "send 1 to 100 partner ids"));
    }
    let is_provider = ctx.actor.partner.as_ref().is_some_and(|p| p.is_provider);
    let mut out = Vec::new();
    for id in ids {
        let verdict = match id.trim().parse::<i64>() {
            Err(_) => ResellerVerdict::Malformed,
            Ok(mpn) => match partners::by_mpn(&app.db, mpn).await? {
                None => ResellerVerdict::Unknown,
                Some(p) if !p.is_reseller => ResellerVerdict::NotAReseller,
                Some(p) if !p.is_active() => ResellerVerdict::Inactive,
                Some(p)
                    if is_provider
                        && repo::pair(&app.db, ctx.actor.tenant, p.tenant_id)
                            .await?
                            .is_none_or(|s| !s.is_active()) =>
                {
                    ResellerVerdict::NotPartnered
                }
                Some(_) => ResellerVerdict::Valid,
            },
        };
        out.push((id.clone(), verdict));
    }
    Ok(out)
}

/// The indirect provider a request names in `field` (tenant id or partner-network id); none
/// when the field is empty, a field error when it names no provider.
pub async fn provider_named(
    app: &App,
    named: Option<&str>,
    field: &str,
) -> Result<Option<crate::domain::ids::TenantId>> {
    let Some(named) = named.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    find_partner(app, named)
        .await?
        .filter(|p| p.is_provider)
        .map(|p| Some(p.tenant_id))
        .ok_or_else(|| {
            Error::field(
                field,
                "not the tenant id or partner-network id of an indirect provider",
            )
        })
}

/// A partner named by its tenant id or either of its partner-network ids: every place that
/// names a partner accepts all three.
pub async fn find_partner(
    app: &App,
    named: &str,
) -> Result<Option<crate::app::store::partners::PartnerRow>> {
    let named = named.trim();
    if let Ok(t) = named.parse::<crate::domain::ids::TenantId>() {
        return Ok(crate::app::store::partners::get(&app.db, t).await?);
    }
    match named.parse::<i64>() {
        Ok(id) => Ok(crate::app::store::partners::by_any_mpn(&app.db, id).await?),
        Err(_) => Ok(None),
    }
}

/// A partner's own ids, as it shows them to others: tenant id and partner-network ids.
#[derive(Debug, Clone)]
pub struct PartnerIds {
    pub tenant_id: crate::domain::ids::TenantId,
    /// The location id: the one named as partner of record.
    pub mpn_id: i64,
    /// The organisation's id (the membership).
    pub org_mpn_id: i64,
}

/// The caller's own ids, when its organisation has a partner account.
pub async fn own_ids(app: &App, ctx: &Ctx) -> Result<Option<PartnerIds>> {
    Ok(crate::app::store::partners::get(&app.db, ctx.actor.tenant)
        .await?
        .map(|p| PartnerIds {
            tenant_id: p.tenant_id,
            mpn_id: p.mpn_id,
            org_mpn_id: p.org_mpn_id,
        }))
}

/// Whether a partner-network id may be named as reseller of record, and if not why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResellerVerdict {
    Valid,
    Malformed,
    Unknown,
    NotAReseller,
    Inactive,
    NotPartnered,
}

impl ResellerVerdict {
    /// A stable code for the failure (none when valid).
    pub fn code(self) -> Option<&'static str> {
        match self {
            Self::Valid => None,
            Self::Malformed => Some("InvalidPartnerIdFormat"),
            Self::Unknown => Some("PartnerNotFound"),
            Self::NotAReseller => Some("NotAnIndirectReseller"),
            Self::Inactive => Some("ResellerNotActive"),
            Self::NotPartnered => Some("ResellerNotPartnered"),
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Valid => "authorized indirect reseller",
            Self::Malformed => "not a partner-network id",
            Self::Unknown => "no partner has this id",
            Self::NotAReseller => "this partner is not an indirect reseller",
            Self::Inactive => "this reseller's program status is not active",
            Self::NotPartnered => "this reseller is not partnered with you",
        }
    }
}

// ---- Reads for the adapters: each authorizes, then returns what the page or response shows.

/// One page of the caller's partnerships from one side (`as_provider`), keyset on
/// (lower-cased name, id), and how many there are in all.
pub async fn relationships_page(
    app: &App,
    ctx: &Ctx,
    as_provider: bool,
    after: Option<(&str, &str)>,
    limit: u32,
) -> Result<(Vec<Counterpart>, i64)> {
    ctx.require(Action::ReadPartnerships, Resource::Tenant(ctx.actor.tenant))?;
    Ok(repo::page(&app.db, ctx.actor.tenant, as_provider, after, limit).await?)
}

/// One page of the provider's invitations (newest first, keyset on created time and id) and
/// how many there are.
pub async fn invitations_page(
    app: &App,
    ctx: &Ctx,
    before: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<InvitationRow>, i64)> {
    ctx.require(Action::ReadPartnerships, Resource::Tenant(ctx.actor.tenant))?;
    Ok(repo::invitations_page(&app.db, ctx.actor.tenant, before, limit).await?)
}

/// A partnership the caller may read, with the other side's name, country and
/// partner-network id.
pub async fn counterpart(app: &App, ctx: &Ctx, p: PartnershipRow) -> Result<Counterpart> {
    let me = ctx.actor.tenant;
    if me != p.provider_tenant_id && me != p.reseller_tenant_id {
        ctx.require(
            Action::ReadPartnerships,
            Resource::Partnership {
                provider: p.provider_tenant_id,
                reseller: p.reseller_tenant_id,
            },
        )?;
    }
    let other = if p.provider_tenant_id == me {
        p.reseller_tenant_id
    } else {
        p.provider_tenant_id
    };
    let t = ids::tenant(&app.db, other)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let mpn_id = partners::get(&app.db, other)
        .await?
        .map(|x| x.mpn_id)
        .unwrap_or_default();
    Ok(Counterpart {
        partnership: p,
        other_tenant: other,
        name: t.display_name,
        mpn_id,
        country: t.country,
    })
}

/// The display name of the caller's own organisation (portal headings).
pub async fn own_name(app: &App, ctx: &Ctx) -> Result<String> {
    Ok(ids::tenant(&app.db, ctx.actor.tenant)
        .await?
        .map(|t| t.display_name)
        .unwrap_or_default())
}

/// The directory search for a signed-in caller (the public portal page uses `search`).
pub async fn search_as(app: &App, ctx: &Ctx, f: &DirectoryFilter) -> Result<Vec<DirectoryEntry>> {
    ctx.require(Action::SearchProviders, Resource::Platform)?;
    search(app, f).await
}

/// One provider's directory entry, for a caller who may search the directory.
pub async fn provider(
    app: &App,
    ctx: &Ctx,
    tenant: crate::domain::ids::TenantId,
) -> Result<DirectoryEntry> {
    ctx.require(Action::SearchProviders, Resource::Platform)?;
    entry(app, tenant).await
}

/// The caller's own listing, as the directory shows it (providers that manage one).
pub async fn own_listing(app: &App, ctx: &Ctx) -> Result<DirectoryEntry> {
    ctx.require(Action::ManageListing, Resource::Tenant(ctx.actor.tenant))?;
    entry(app, ctx.actor.tenant).await
}

/// What an invitation link offers, for a partner who may read partnerships.
pub async fn preview_as(app: &App, ctx: &Ctx, token: &str) -> Result<Preview> {
    ctx.require(Action::ReadPartnerships, Resource::Tenant(ctx.actor.tenant))?;
    preview(app, token).await
}
