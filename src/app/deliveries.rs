//! Webhook deliveries as the delivery worker sees them: claim what is due, read each
//! organisation's registration once per batch, and record every attempt.

use super::App;
use crate::app::store::webhooks as repo;
use crate::domain::ids::TenantId;

pub use crate::app::store::webhooks::{Attempt, Delivery, Registration};

/// Leases up to `max` due deliveries to this node for `lease_ms`.
pub async fn claim_due(app: &App, lease_ms: i64, max: i64) -> Result<Vec<Delivery>, sqlx::Error> {
    repo::claim(&app.db, app.clock.now_ms(), lease_ms, max).await
}

/// The organisation's registration, if it still has one.
pub async fn registration(
    app: &App,
    tenant: TenantId,
) -> Result<Option<Registration>, sqlx::Error> {
    repo::registration(&app.db, tenant).await
}

/// Records the attempts of a batch, each delivered or failed with the time of its next try
/// (none: given up), in one transaction.
pub async fn record_attempts(app: &App, attempts: &[Attempt]) -> Result<(), sqlx::Error> {
    repo::finish_attempts(&app.db, attempts, app.clock.now_ms()).await
}
