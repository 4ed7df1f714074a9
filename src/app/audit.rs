//! Builds audit records from the acting context.

use super::Ctx;
use crate::store::audit::{self, AuditEntry};
use crate::store::Tx;

/// What changed, for the audit log.
pub struct Change<'a> {
    pub operation: &'a str,
    pub resource_type: &'a str,
    pub resource_id: String,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
    pub customer_id: Option<String>,
}

/// Appends a succeeded change to the organisation's chain. `org` is the organisation whose
/// log shows it (the actor's own, or the system's for unattended changes).
pub async fn record(
    tx: &mut Tx,
    ctx: Option<&Ctx>,
    org: &str,
    change: Change<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let entry = AuditEntry {
        org_tenant_id: org.to_string(),
        actor_user_id: ctx.and_then(|c| c.actor.user_id()).map(|u| u.to_string()),
        actor_app_id: ctx.and_then(|c| c.app_id()),
        actor_upn: ctx.and_then(|c| c.upn.clone()),
        customer_id: change.customer_id,
        operation: change.operation.to_string(),
        resource_type: change.resource_type.to_string(),
        resource_id: Some(change.resource_id),
        old_value: change.old.map(|v| v.to_string()),
        new_value: change.new.map(|v| v.to_string()),
        correlation_id: ctx.and_then(|c| c.correlation_id.clone()),
        outcome: "succeeded".to_string(),
        created_at: now,
    };
    audit::append(tx, &entry).await.map(|_| ())
}
