//! Referrals: partners record their own leads, providers pass leads to their resellers and
//! the operator to any partner; the receiving partner works them to a close.

use super::audit::{record, Change};
use super::{events, App, Ctx};
use crate::app::store::referrals as repo;
pub use crate::app::store::referrals::{Direction, ReferralRow};
use crate::app::store::{partners, partnerships, Tx};
use crate::domain::audit::Operation;
use crate::domain::authz::{can, Action, Resource};
use crate::domain::ids::{ReferralId, TenantId};
use crate::domain::referral::{self as rules, LeadInput, Status, Substatus};
use crate::domain::webhook::EventName;
use crate::domain::{Error, Result};
use std::collections::BTreeMap;

fn resource(r: &ReferralRow, partnered: bool) -> Resource {
    Resource::Referral {
        creator: r.created_by_tenant,
        target: r.target_tenant,
        partnered,
    }
}

pub async fn create(
    app: &App,
    ctx: &Ctx,
    target: Option<TenantId>,
    input: LeadInput<'_>,
) -> Result<ReferralRow> {
    let creator = ctx.actor.tenant;
    let target = target.unwrap_or(creator);
    let partnered = target != creator
        && partnerships::pair(&app.db, creator, target)
            .await?
            .is_some_and(|p| p.is_active());
    ctx.require(
        Action::SendReferral,
        Resource::Referral {
            creator,
            target,
            partnered,
        },
    )?;
    let lead = rules::validate(&input)?;
    let receiver = partners::get(&app.db, target)
        .await?
        .filter(|p| p.is_active())
        .ok_or_else(|| Error::field("targetPartnerId", "not an active partner"))?;
    let now = app.clock.now_ms();
    let row = ReferralRow {
        id: ReferralId::new(),
        name: lead.name,
        created_by_tenant: creator,
        target_tenant: target,
        status: Status::New,
        substatus: Substatus::Pending,
        deal_value: lead.deal_value.to_string(),
        currency: lead.currency,
        customer_name: lead.customer_name,
        customer_country: lead.customer_country.to_string(),
        contact_name: lead.contact_name,
        contact_email: lead.contact_email.as_str().to_string(),
        contact_phone: lead.contact_phone,
        consent_at: now,
        notes: lead.notes,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let mut tx = app.db.begin().await?;
    repo::insert(&mut tx, &row).await?;
    announce(
        &mut tx,
        ctx,
        &row,
        Operation::CreateReferral,
        EventName::ReferralCreated,
        now,
    )
    .await?;
    if target != creator {
        let to = receiver.legal.contact_email;
        if !to.is_empty() {
            let mut vars = mail_vars(app, &row, ctx);
            vars.insert(
                "url",
                format!("{}/portal/referrals/{}", app.config.public_url(), row.id),
            );
            crate::app::mailing::enqueue(
                &mut tx,
                now,
                &to,
                crate::mail::Template::ReferralReceived,
                "en-US",
                &vars,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(row)
}

fn mail_vars(app: &App, r: &ReferralRow, ctx: &Ctx) -> BTreeMap<&'static str, String> {
    let mut vars = BTreeMap::new();
    vars.insert("referral", r.name.clone());
    vars.insert("customer", r.customer_name.clone());
    vars.insert("value", format!("{} {}", r.deal_value, r.currency));
    vars.insert("status", format!("{}/{}", r.status, r.substatus));
    vars.insert(
        "by",
        ctx.upn.clone().unwrap_or_else(|| "Partner Hub".into()),
    );
    vars.insert(
        "url",
        format!("{}/portal/referrals/{}", app.config.public_url(), r.id),
    );
    vars
}

async fn announce(
    tx: &mut Tx,
    ctx: &Ctx,
    r: &ReferralRow,
    operation: Operation,
    event: EventName,
    now: i64,
) -> Result<()> {
    record(
        tx,
        Some(ctx),
        &ctx.actor.tenant.to_string(),
        Change {
            operation,
            resource_type: "referral",
            resource_id: r.id.to_string(),
            old: None,
            new: Some(serde_json::json!({
                "name": r.name, "status": r.status, "substatus": r.substatus,
                "dealValue": r.deal_value, "currency": r.currency,
                "target": r.target_tenant.to_string(),
            })),
            customer_id: None,
        },
        now,
    )
    .await?;
    let mut audience = vec![r.created_by_tenant.to_string()];
    if r.target_tenant != r.created_by_tenant {
        audience.push(r.target_tenant.to_string());
    }
    events::emit(
        tx,
        now,
        event,
        format!("/v1/referrals/{}", r.id),
        &r.name,
        &audience,
    )
    .await?;
    Ok(())
}

/// A referral the caller's organisation sent or received; others answer "not found".
pub async fn get(app: &App, ctx: &Ctx, id: &str) -> Result<ReferralRow> {
    let r = repo::get(&app.db, id)
        .await?
        .ok_or(Error::NotFound("the referral"))?;
    if !can(&ctx.actor, Action::ReadReferral, resource(&r, false)).allowed() {
        return Err(Error::NotFound("the referral"));
    }
    Ok(r)
}

pub async fn list(
    app: &App,
    ctx: &Ctx,
    direction: Direction,
    status: Option<&str>,
    before: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<ReferralRow>, i64)> {
    let t = ctx.actor.tenant;
    ctx.require(
        Action::ReadReferral,
        Resource::Referral {
            creator: t,
            target: t,
            partnered: false,
        },
    )?;
    let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(
            Status::parse(s)
                .ok_or_else(|| Error::field("status", "new, active or closed"))?
                .as_str(),
        ),
        None => None,
    };
    Ok(repo::page(&app.db, t, direction, status, before, limit).await?)
}

pub struct Update {
    pub substatus: Option<String>,
    pub deal_value: Option<String>,
    pub currency: Option<String>,
    pub notes: Option<String>,
}

pub async fn update(
    app: &App,
    ctx: &Ctx,
    id: &str,
    u: Update,
    if_match: Option<i64>,
) -> Result<ReferralRow> {
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let mut r = repo::get_in(&mut tx, id)
        .await?
        .ok_or(Error::NotFound("the referral"))?;
    if !can(&ctx.actor, Action::ReadReferral, resource(&r, false)).allowed() {
        return Err(Error::NotFound("the referral"));
    }
    ctx.require(Action::UpdateReferral, resource(&r, false))?;
    let version = r.version;
    if if_match.is_some_and(|v| v != version) {
        return Err(Error::PreconditionFailed);
    }
    let by_receiver = ctx.actor.tenant == r.target_tenant;
    let current = r.substatus;
    if let Some(s) = u.substatus.as_deref() {
        let next = Substatus::parse(s).ok_or_else(|| {
            Error::field(
                "substatus",
                "pending, received, accepted, won, lost, declined or expired",
            )
        })?;
        if next != current {
            rules::may_move(current, next, by_receiver)?;
            r.substatus = next;
            r.status = next.status();
        }
    }
    if u.deal_value.is_some() || u.currency.is_some() || u.notes.is_some() {
        if !by_receiver && current.status() != Status::New {
            return Err(Error::Forbidden(
                "the receiving partner owns this referral's details now".into(),
            ));
        }
        if current.status() == Status::Closed {
            return Err(Error::conflict("this referral is closed"));
        }
        let lead = rules::validate(&LeadInput {
            name: &r.name,
            deal_value: u.deal_value.as_deref().unwrap_or(&r.deal_value),
            currency: u.currency.as_deref().unwrap_or(&r.currency),
            customer_name: &r.customer_name,
            customer_country: &r.customer_country,
            contact_name: &r.contact_name,
            contact_email: &r.contact_email,
            contact_phone: &r.contact_phone,
            notes: u.notes.as_deref().unwrap_or(&r.notes),
            consent: true,
        })?;
        r.deal_value = lead.deal_value.to_string();
        r.currency = lead.currency;
        r.notes = lead.notes;
    }
    if !repo::update(&mut tx, &r, version, now).await? {
        return Err(Error::PreconditionFailed);
    }
    r.version += 1;
    r.updated_at = now;
    announce(
        &mut tx,
        ctx,
        &r,
        Operation::UpdateReferral,
        EventName::ReferralUpdated,
        now,
    )
    .await?;
    let other = if by_receiver {
        r.created_by_tenant
    } else {
        r.target_tenant
    };
    if other != ctx.actor.tenant {
        if let Some(to) = super::partnerships::contact_of(app, other).await? {
            let vars = mail_vars(app, &r, ctx);
            crate::app::mailing::enqueue(
                &mut tx,
                now,
                &to,
                crate::mail::Template::ReferralUpdated,
                "en-US",
                &vars,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(r)
}

/// Organisations the caller may send referrals to: itself (a partner recording its own
/// lead), its active resellers (a provider), or every active partner (the operator).
pub async fn targets(app: &App, ctx: &Ctx) -> Result<Vec<(TenantId, String)>> {
    let me = ctx.actor.tenant;
    let mut out = Vec::new();
    if ctx.actor.partner.is_some() {
        out.push((me, "—".to_string()));
    }
    // Resellers come from the provider's active partnerships, so they are partnered; the
    // operator's candidates need no partnership.
    let (candidates, partnered) = if ctx.actor.is_operator() {
        (partners::all_active(&app.db, 500).await?, false)
    } else if ctx.actor.partner.as_ref().is_some_and(|p| p.is_provider) {
        (partners::resellers_of(&app.db, me).await?, true)
    } else {
        (Vec::new(), false)
    };
    for (tenant, name) in candidates.into_iter().filter(|(t, _)| *t != me) {
        let res = Resource::Referral {
            creator: me,
            target: tenant,
            partnered,
        };
        if can(&ctx.actor, Action::SendReferral, res).allowed() {
            out.push((tenant, name));
        }
    }
    Ok(out)
}
