//! Verified domains of a customer's directory (`POST /v1/customers/{id}/verifieddomain`): an
//! admin agent of a partner holding a user-administration grant, or the customer's own global
//! administrator, adds one; the customer's users may then take sign-in names in it.

use super::audit::{record, Change};
use super::customers::authorized;
use super::{events, App, Ctx};
use crate::app::store::customer_domains as repo;
use crate::app::store::identity::TenantRow;
use crate::domain::audit::Operation;
use crate::domain::authz::Action;
use crate::domain::customer_domain::{self, DomainRequest};
use crate::domain::error::Code;
use crate::domain::ids::TenantId;
use crate::domain::webhook::EventName;
use crate::domain::{Error, Result};

pub use crate::app::store::customer_domains::DomainRow;
pub use crate::domain::customer_domain::{
    AuthenticationType, Capability, DomainStatus, NewDomain, VerificationMethod,
};

/// Adds a domain to the customer's directory; answers it with the directory's primary domain.
/// A name some directory has already (as an added domain or as its primary domain) is a
/// conflict, whoever holds it.
pub async fn add(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    request: &DomainRequest,
) -> Result<(DomainRow, String)> {
    let (customer, _) = authorized(app, ctx, customer_id, Action::AddCustomerDomain).await?;
    let domain = customer_domain::validate(request)?;
    let now = app.clock.now_ms();
    let row = DomainRow {
        tenant_id: customer.id,
        domain,
        added_by: ctx.actor.tenant,
        created_at: now,
    };
    let audience = partners_serving(app, customer.id, ctx.actor.tenant).await?;
    let name = row.domain.name.as_str().to_string();
    let mut tx = app.db.begin().await?;
    if !repo::insert(&mut tx, &row).await? {
        return Err(Error::Conflict {
            code: Code::Conflict,
            message: format!("the domain {name} already belongs to a directory"),
        });
    }
    let mut orgs = vec![customer.id, ctx.actor.tenant];
    orgs.dedup();
    for org in &orgs {
        record(
            &mut tx,
            Some(ctx),
            &org.to_string(),
            Change {
                operation: Operation::AddCustomerDomain,
                resource_type: "customer",
                resource_id: customer.id.to_string(),
                old: None,
                new: Some(serde_json::json!({
                    "domain": name,
                    "capability": row.domain.capability.as_str(),
                    "status": row.domain.status.as_str(),
                    "verificationMethod": row.domain.verification_method.as_str(),
                })),
                customer_id: Some(customer.id.to_string()),
            },
            now,
        )
        .await?;
    }
    events::emit(
        &mut tx,
        now,
        EventName::CustomerDomainAdded,
        format!("/v1/customers/{}", customer.id),
        &name,
        &audience,
    )
    .await?;
    tx.commit().await?;
    Ok((row, customer.domain))
}

/// The partners with an active relationship to the customer, and the actor's organisation
/// when it is a partner acting through a grant alone: who hears of the change.
async fn partners_serving(app: &App, customer: TenantId, actor: TenantId) -> Result<Vec<String>> {
    let mut audience: Vec<String> = repo::active_partners(&app.db, customer)
        .await?
        .into_iter()
        .map(|p| p.to_string())
        .collect();
    if actor != customer && !audience.contains(&actor.to_string()) {
        audience.push(actor.to_string());
    }
    Ok(audience)
}

/// The domains a directory's users may take sign-in names in: its primary domain and the
/// verified domains added to it.
pub async fn sign_in_domains(app: &App, tenant: &TenantRow) -> Result<Vec<String>> {
    let mut out = vec![tenant.domain.clone()];
    out.extend(
        repo::of_tenant(&app.db, tenant.id)
            .await?
            .into_iter()
            .filter(|d| d.domain.status == DomainStatus::Verified)
            .map(|d| d.domain.name.as_str().to_string()),
    );
    Ok(out)
}
