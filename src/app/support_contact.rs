//! The reseller designated for a subscription's support (`.../supportcontact`): one of the
//! customer's resellers under the subscription's provider, by default its reseller of record.

use super::audit::{record, Change};
use super::customers::authorized;
use super::{events, App, Ctx};
use crate::app::store::commerce::{self as repo, SubscriptionRow};
use crate::app::store::{identity as ids, partners, subscription_links as links};
use crate::domain::audit::Operation;
use crate::domain::authz::Action;
use crate::domain::ids::{SubscriptionId, TenantId};
use crate::domain::webhook::EventName;
use crate::domain::{Error, Result};

/// Who supports a subscription's customer.
#[derive(Debug, Clone)]
pub struct SupportContact {
    pub tenant_id: TenantId,
    pub mpn_id: Option<i64>,
    pub name: String,
}

async fn contact_of(app: &App, reseller: TenantId) -> Result<SupportContact> {
    let name = ids::tenant(&app.db, reseller)
        .await?
        .map(|t| t.display_name)
        .unwrap_or_default();
    let mpn_id = partners::get(&app.db, reseller).await?.map(|p| p.mpn_id);
    Ok(SupportContact {
        tenant_id: reseller,
        mpn_id,
        name,
    })
}

async fn subscription(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    sub: SubscriptionId,
    action: Action,
) -> Result<SubscriptionRow> {
    let (t, _) = authorized(app, ctx, customer_id, action).await?;
    repo::subscription(&app.db, t.id, sub)
        .await?
        .ok_or(Error::NotFound("subscription"))
}

/// The designated reseller: the one chosen, or else the reseller of record.
pub async fn get(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    sub: SubscriptionId,
) -> Result<SupportContact> {
    let s = subscription(app, ctx, customer_id, sub, Action::ReadCustomer).await?;
    let chosen = links::support_contact(&app.db, s.id).await?;
    let reseller = chosen
        .or(s.reseller)
        .ok_or(Error::NotFound("support contact"))?;
    contact_of(app, reseller).await
}

/// Designates `named` (tenant id or partner-network id): it must be an active indirect
/// reseller partnered with the subscription's provider and serving the customer.
pub async fn put(
    app: &App,
    ctx: &Ctx,
    customer_id: &str,
    sub: SubscriptionId,
    named: &str,
) -> Result<SupportContact> {
    let s = subscription(app, ctx, customer_id, sub, Action::OrderForCustomer).await?;
    if named.trim().is_empty() {
        return Err(Error::field(
            "supportTenantId",
            "name the reseller by its tenant id (or supportMpnId)",
        ));
    }
    let before = links::support_contact(&app.db, s.id).await?.or(s.reseller);
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    // Read in the writing transaction, so a partnership ended meanwhile is seen.
    let reseller =
        super::commerce::record_facts(app, &mut tx, s.provider, s.customer, named).await?;
    links::set_support_contact(&mut tx, s.id, reseller, now).await?;
    let mut orgs = vec![s.customer, s.provider, reseller, ctx.actor.tenant];
    orgs.extend(s.reseller);
    orgs.sort();
    orgs.dedup();
    for org in &orgs {
        record(
            &mut tx,
            Some(ctx),
            &org.to_string(),
            Change {
                operation: Operation::UpdateSupportContact,
                resource_type: "subscription",
                resource_id: s.id.to_string(),
                old: Some(serde_json::json!({ "supportTenantId": before.map(|t| t.to_string()) })),
                new: Some(serde_json::json!({ "supportTenantId": reseller.to_string() })),
                customer_id: Some(s.customer.to_string()),
            },
            now,
        )
        .await?;
    }
    let audience: Vec<String> = orgs
        .iter()
        .filter(|o| **o != s.customer)
        .map(|o| o.to_string())
        .collect();
    events::emit(
        &mut tx,
        now,
        EventName::SubscriptionUpdated,
        format!("/v1/customers/{}/subscriptions/{}", s.customer, s.id),
        &s.friendly_name,
        &audience,
    )
    .await?;
    tx.commit().await?;
    contact_of(app, reseller).await
}
