//! What the portal's home page shows a signed-in person about its own organisation.

use super::{App, Ctx};
use crate::app::store::enrollments::EnrollmentRow;
use crate::app::store::identity::TenantRow;
use crate::domain::authz::{Action, Resource};
use crate::domain::enrollment::Status;
use crate::domain::{Error, Result};

pub struct Overview {
    pub tenant: TenantRow,
    /// Enrollment applications not yet authorized (banners with a link to continue).
    pub open_applications: Vec<EnrollmentRow>,
    pub own_ids: Option<super::partnerships::PartnerIds>,
}

/// The caller's organisation, its unfinished applications and its partner-network ids.
pub async fn overview(app: &App, ctx: &Ctx) -> Result<Overview> {
    ctx.require(Action::ReadTenant, Resource::Tenant(ctx.actor.tenant))?;
    let tenant = crate::app::store::identity::tenant(&app.db, ctx.actor.tenant)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let open_applications = crate::app::store::enrollments::of_tenant(&app.db, ctx.actor.tenant)
        .await?
        .into_iter()
        .filter(|e| e.status != Status::Authorized)
        .collect();
    let own_ids = super::partnerships::own_ids(app, ctx).await?;
    Ok(Overview {
        tenant,
        open_applications,
        own_ids,
    })
}
