//! The partner's own profiles: legal business (with contact), support details, organisation.

use super::audit::{record, Change};
use super::{App, Ctx};
use crate::app::store::identity as ids;
use crate::app::store::partners::{self, PartnerRow};
use crate::domain::audit::Operation;
use crate::domain::authz::{Action, Resource};
use crate::domain::enrollment::{self as rules, Application};
use crate::domain::error::Checks;
use crate::domain::{Error, Result};

/// Which part of the partner profile a change touches.
pub enum Part {
    /// Legal name, address, registration number (kept when left empty) and primary contact.
    Legal(Box<Application>),
    /// Support e-mail, phone and website.
    Support {
        email: String,
        phone: String,
        website: String,
    },
}

pub async fn update(
    app: &App,
    ctx: &Ctx,
    part: Part,
    expected_version: Option<i64>,
) -> Result<PartnerRow> {
    ctx.require(
        Action::EditPartnerProfile,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    let tenant = ids::tenant(&app.db, ctx.actor.tenant)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let mut p = partners::get_in(&mut tx, ctx.actor.tenant)
        .await?
        .ok_or(Error::NotFound("partner profile"))?;
    if expected_version.is_some_and(|v| v != p.version) {
        return Err(Error::PreconditionFailed);
    }
    let old = serde_json::to_value(&p.legal).ok();
    match part {
        Part::Legal(a) => {
            // The registration number is not in the public contract's legal profile, so a
            // client written for it never sends one: its absence keeps the stored number.
            let registration_number = if a.registration_number.trim().is_empty() {
                p.legal.registration_number.clone()
            } else {
                a.registration_number.clone()
            };
            let merged = Application {
                support_email: p.legal.support_email.clone(),
                support_phone: p.legal.support_phone.clone(),
                support_website: p.legal.support_website.clone(),
                registration_number,
                ..*a
            };
            rules::validate(&merged, &tenant.country)?;
            p.legal = merged;
        }
        Part::Support {
            email,
            phone,
            website,
        } => {
            let mut next = p.legal.clone();
            next.support_email = email;
            next.support_phone = phone;
            next.support_website = website;
            let mut checks = Checks::new();
            rules::validate_support(&next, &mut checks);
            checks.finish()?;
            p.legal = next;
        }
    }
    if !partners::save(&mut tx, &p).await? {
        return Err(Error::PreconditionFailed);
    }
    record(
        &mut tx,
        Some(ctx),
        &ctx.actor.tenant.to_string(),
        Change {
            operation: Operation::UpdatePartnerProfile,
            resource_type: "partner_profile",
            resource_id: ctx.actor.tenant.to_string(),
            old,
            new: serde_json::to_value(&p.legal).ok(),
            customer_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    p.version += 1;
    Ok(p)
}

/// Renames the organisation (the organization profile's company name).
pub async fn rename(
    app: &App,
    ctx: &Ctx,
    name: &str,
    expected_version: Option<i64>,
) -> Result<i64> {
    ctx.require(
        Action::EditPartnerProfile,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 256 {
        return Err(Error::field(
            "companyName",
            "a name of 1 to 256 characters is required",
        ));
    }
    let tenant = ids::tenant(&app.db, ctx.actor.tenant)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let expected = expected_version.unwrap_or(tenant.version);
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    if !ids::rename_tenant(&mut tx, tenant.id, name, expected).await? {
        return Err(Error::PreconditionFailed);
    }
    record(
        &mut tx,
        Some(ctx),
        &tenant.id.to_string(),
        Change {
            operation: Operation::UpdateOrganizationProfile,
            resource_type: "organization_profile",
            resource_id: tenant.id.to_string(),
            old: Some(serde_json::json!({ "companyName": tenant.display_name })),
            new: Some(serde_json::json!({ "companyName": name })),
            customer_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(expected + 1)
}

// --- Reads ----------------------------------------------------------------------------------

/// The legal business profile, its vetting status and version: from the partner account, or
/// from the newest application while there is no account yet.
pub async fn legal_source(
    app: &App,
    ctx: &Ctx,
) -> Result<(Application, crate::domain::enrollment::Status, i64)> {
    ctx.require(
        Action::ReadPartnerProfile,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    if let Some(p) = partners::get(&app.db, ctx.actor.tenant).await? {
        return Ok((
            p.legal,
            crate::domain::enrollment::Status::Authorized,
            p.version,
        ));
    }
    let newest = crate::app::store::enrollments::of_tenant(&app.db, ctx.actor.tenant)
        .await?
        .into_iter()
        .max_by_key(|e| e.updated_at)
        .ok_or(Error::NotFound("legal business profile"))?;
    Ok((newest.application, newest.status, newest.version))
}

/// The organisation: its tenant, its contact e-mail (empty before any application) and the
/// caller's language.
pub async fn organization(app: &App, ctx: &Ctx) -> Result<(ids::TenantRow, String, String)> {
    ctx.require(
        Action::ReadPartnerProfile,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    let t = ids::tenant(&app.db, ctx.actor.tenant)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let email = legal_source(app, ctx)
        .await
        .map(|(a, _, _)| a.contact_email)
        .unwrap_or_default();
    let lang = match ctx.actor.user_id() {
        Some(u) => ids::user(&app.db, u).await?.map(|u| u.language),
        None => None,
    };
    Ok((t, email, lang.unwrap_or_else(|| "en-US".into())))
}

/// The caller's partner account, or another partner's by partner-network id, with its tenant.
pub async fn mpn(
    app: &App,
    ctx: &Ctx,
    mpn_id: Option<i64>,
) -> Result<(PartnerRow, ids::TenantRow)> {
    ctx.require(Action::ReadTenant, Resource::Tenant(ctx.actor.tenant))?;
    let p = match mpn_id {
        Some(id) => partners::by_any_mpn(&app.db, id).await?,
        None => partners::get(&app.db, ctx.actor.tenant).await?,
    }
    .ok_or(Error::NotFound("partner with this partner-network id"))?;
    let t = ids::tenant(&app.db, p.tenant_id)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    Ok((p, t))
}
