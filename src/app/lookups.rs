//! Lookups an integrator makes before acting: whether a domain is taken, and whether a
//! reseller has signed the current partner agreement.

use super::{App, Ctx};
use crate::app::store::{identity, partners};
use crate::domain::authz::{Action, Resource};
use crate::domain::identity::Domain;
use crate::domain::ids::TenantId;
use crate::domain::{Error, Result};

/// Whether a directory tenant already uses `domain` (no sign-in: domains are public).
pub async fn domain_exists(app: &App, domain: &str) -> Result<bool> {
    let domain = Domain::parse("domain", domain).map_err(|f| Error::Validation(vec![f]))?;
    Ok(identity::domain_taken(&app.db, domain.as_str()).await?)
}

/// Whether the reseller named (by partner-network id or tenant id, exactly one) has accepted
/// the current partner agreement.
pub async fn agreement_signed(
    app: &App,
    ctx: &Ctx,
    mpn_id: Option<&str>,
    tenant_id: Option<&str>,
) -> Result<bool> {
    ctx.require(Action::ReadPartnerships, Resource::Tenant(ctx.actor.tenant))?;
    let partner = match (mpn_id, tenant_id) {
        (Some(_), Some(_)) => {
            return Err(Error::field("mpnId", "give mpnId or tenantId, not both"))
        }
        (None, None) => return Err(Error::field("mpnId", "give mpnId or tenantId")),
        (Some(raw), None) => {
            let mpn: i64 = raw
                .trim()
                .parse()
                .map_err(|_| Error::field("mpnId", "a partner-network id is a number"))?;
            partners::by_mpn(&app.db, mpn).await?
        }
        (None, Some(raw)) => {
            let tenant: TenantId = raw
                .trim()
                .parse()
                .map_err(|_| Error::field("tenantId", "not a tenant id"))?;
            partners::get(&app.db, tenant).await?
        }
    };
    let partner = partner
        .filter(|p| p.is_reseller)
        .ok_or(Error::NotFound("indirect reseller"))?;
    let current = partners::current_agreement(&app.db).await?;
    Ok(
        partners::acceptance(&app.db, partner.tenant_id, &current.version)
            .await?
            .is_some(),
    )
}
