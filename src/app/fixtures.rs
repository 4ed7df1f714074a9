//! Fixture builders: the shortcuts the demo world, the bench generator and the test suite
//! take where a real partner would go through enrollment and review, or a real customer
//! through an invitation. They write the same rows the use cases would, as the platform
//! itself, and are never reachable from the API or the portal.

use super::{App, Ctx};
use crate::app::store;
use crate::domain::customer::GrantRole;
use crate::domain::identity::Role;
use crate::domain::ids::TenantId;

pub use crate::app::store::identity::{TenantRow, UserRow};

/// Makes a tenant an authorized partner that accepted the agreement, as an approved
/// enrollment would (demo world and test setup; real partners enroll). Providers get a
/// listing serving their own country.
pub async fn make_partner(
    app: &App,
    tenant: &TenantRow,
    admin: &UserRow,
    provider: bool,
    reseller: bool,
    mpn: i64,
) -> anyhow::Result<()> {
    use crate::domain::enrollment::Application;
    let now = app.clock.now_ms();
    let legal = Application {
        legal_name: tenant.display_name.clone(),
        address_line1: "1 Demo Way".into(),
        city: "Seattle".into(),
        postal_code: "98101".into(),
        country: tenant.country.clone(),
        registration_number: "DEMO-0001".into(),
        contact_first_name: admin.display_name.clone(),
        contact_last_name: "Contact".into(),
        contact_email: admin.upn.clone(),
        contact_phone: "+1 206 555 0100".into(),
        support_email: format!("support@{}", tenant.domain),
        support_phone: "+1 206 555 0199".into(),
        support_website: format!("https://{}/support", tenant.domain),
        ..Default::default()
    };
    let mut tx = app.db.begin().await?;
    store::partners::insert(
        &mut tx,
        &store::partners::PartnerRow {
            tenant_id: tenant.id,
            mpn_id: mpn,
            org_mpn_id: mpn,
            is_reseller: reseller,
            is_provider: provider,
            status: crate::domain::partnership::PartnerStatus::Active,
            legal,
            created_at: now,
            version: 1,
        },
    )
    .await?;
    let agreement = store::partners::current_agreement(&app.db).await?;
    store::partners::accept(
        &mut tx,
        tenant.id,
        &agreement.version,
        admin.id,
        &admin.upn,
        now,
    )
    .await?;
    store::identity::add_role(&mut tx, admin.id, Role::AdminAgent).await?;
    if provider {
        store::partnerships::save_listing(
            &mut tx,
            &store::partnerships::ListingRow {
                tenant_id: tenant.id,
                countries: vec![tenant.country.clone()],
                services: vec![
                    "billing".into(),
                    "customer_support".into(),
                    "technical_assistance".into(),
                ],
                description: format!(
                    "{} distributes cloud services to resellers in {}.",
                    tenant.display_name, tenant.country
                ),
                contact_email: format!("partners@{}", tenant.domain),
                contact_phone: "+1 206 555 0150".into(),
                website: format!("https://{}", tenant.domain),
                updated_at: now,
                version: 1,
            },
            0,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The id of the tenant that owns `domain`.
pub async fn tenant_id(app: &App, domain: &str) -> anyhow::Result<TenantId> {
    Ok(store::identity::tenant_by_domain(&app.db, domain)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no tenant owns {domain}"))?
        .id)
}

/// A user by sign-in name, with its tenant.
pub async fn user_and_tenant(app: &App, upn: &str) -> anyhow::Result<(UserRow, TenantRow)> {
    let user = store::identity::user_by_upn(&app.db, upn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user {upn}"))?;
    let tenant = store::identity::tenant(&app.db, user.tenant_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no tenant for {upn}"))?;
    Ok((user, tenant))
}

/// The context of `upn` acting as if signed in (its current roles, read as a request would).
pub async fn ctx_of(app: &App, upn: &str) -> anyhow::Result<Ctx> {
    let (u, _) = user_and_tenant(app, upn).await?;
    let (actor, user) = super::identity::actor_for_user(app, u.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user {upn} is not active"))?;
    Ok(Ctx {
        actor,
        upn: Some(user.upn),
        correlation_id: None,
    })
}

/// The partner-network id of a partner tenant.
pub async fn partner_mpn(app: &App, tenant: TenantId) -> anyhow::Result<Option<i64>> {
    Ok(store::partners::get(&app.db, tenant)
        .await?
        .map(|p| p.mpn_id))
}

/// An active provider-reseller partnership, as an accepted invitation leaves it.
pub async fn partnership(app: &App, provider: TenantId, reseller: TenantId) -> anyhow::Result<()> {
    let mut tx = app.db.begin().await?;
    store::partnerships::activate(
        &mut tx,
        crate::domain::ids::PartnershipId::new(),
        provider,
        reseller,
        app.clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A customer served by a reseller and, through it, by its provider, each with a year-long
/// user- and license-administrator grant, as an accepted customer invitation leaves it.
pub async fn customer_of(
    app: &App,
    customer: TenantId,
    reseller: TenantId,
    provider: TenantId,
) -> anyhow::Result<()> {
    let t = store::identity::tenant(&app.db, customer)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no customer tenant {customer}"))?;
    let mut tx = app.db.begin().await?;
    let now = app.clock.now_ms();
    for (partner, via) in [(reseller, None), (provider, Some(reseller))] {
        store::customers::upsert_relationship(
            &mut tx,
            &store::customers::NewRelationship {
                customer: &t,
                partner,
                indirect_reseller: via,
            },
            now,
        )
        .await?;
        store::customers::insert_grant(
            &mut tx,
            &store::customers::GrantRow {
                id: crate::domain::ids::GrantId::new(),
                customer,
                partner,
                roles: vec![
                    GrantRole::UserAdministrator,
                    GrantRole::LicenseAdministrator,
                ],
                status: crate::domain::customer::GrantStatus::Active,
                duration_days: 365,
                auto_extend: true,
                created_at: now,
                expires_at: now + 365 * crate::clock::DAY_MS,
                warned_at: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
