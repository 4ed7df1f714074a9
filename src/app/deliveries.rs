//! Webhook deliveries as the delivery worker sees them: claim what is due, read each
//! organisation's registration once per batch, and record every attempt.

use super::App;
use crate::app::store::webhooks as repo;
use crate::domain::ids::{DeliveryId, TenantId};

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

/// Records one attempt: delivered, or failed with the time of the next one (none: given up).
pub async fn record_attempt(
    app: &App,
    id: DeliveryId,
    attempt: &Attempt<'_>,
    delivered: bool,
    retry_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    repo::finish_attempt(
        &app.db,
        id,
        attempt,
        delivered,
        retry_at,
        app.clock.now_ms(),
    )
    .await
}
