//! Periodic work that keeps the database tidy and time-based rules applied: expired sessions
//! and request ids, rate-limit windows, grant expiry and warnings, renewals, purge of deleted
//! customer users, notification digests, audit retention, support service levels.
//!
//! With several nodes on one database only the holder of the housekeeping lease runs a pass,
//! so nothing runs twice; the server's timer loop only asks for the lease and calls [`pass`].

use super::App;
use crate::app::store;

const LEASE: &str = "housekeeping";
/// How long a lease outlives its holder's last pass (a crashed node's jobs resume then).
const LEASE_MS: i64 = 3 * 60_000;

/// Takes or renews the lease for `holder`; false while another node holds it.
pub async fn take_lease(app: &App, holder: &str) -> Result<bool, sqlx::Error> {
    let now = app.clock.now_ms();
    store::ratelimit::take_lease(&app.db, LEASE, holder, now, now + LEASE_MS).await
}

/// Gives the lease up at shutdown so another node takes over at once.
pub async fn release_lease(app: &App, holder: &str) {
    let _ = store::ratelimit::release_lease(&app.db, LEASE, holder).await;
}

/// One pass; each step logs its own failure and the others still run.
pub async fn pass(app: &App) {
    let now = app.clock.now_ms();
    if let Err(e) = store::sessions::delete_expired(&app.db, now).await {
        tracing::warn!(error = %e, "session cleanup failed");
    }
    if let Err(e) = super::flashes::purge_expired(app).await {
        tracing::warn!(error = %e, "flash message cleanup failed");
    }
    if let Err(e) = store::idempotency::purge_before(&app.db, now - crate::clock::DAY_MS).await {
        tracing::warn!(error = %e, "request id cleanup failed");
    }
    if let Err(e) = super::customers::run_grant_expiry(app).await {
        tracing::warn!(error = %e, "grant expiry pass failed");
    }
    if let Err(e) = super::commerce::run_renewals(app).await {
        tracing::warn!(error = %e, "subscription renewal pass failed");
    }
    if let Err(e) = super::customer_users::purge_deleted(app).await {
        tracing::warn!(error = %e, "purge of deleted users failed");
    }
    if let Err(e) = store::ratelimit::purge_windows(&app.db, now - 5 * 60_000).await {
        tracing::warn!(error = %e, "rate-limit window cleanup failed");
    }
    // Under the lease too: two nodes must not both mail a digest or both archive the same
    // audit records.
    if let Err(e) = super::notifications::send_digests(app).await {
        tracing::warn!(error = %e, "notification digests failed");
    }
    if let Err(e) = super::audit::apply_retention(app).await {
        tracing::warn!(error = %e, "audit retention pass failed");
    }
    // Support service levels: warnings before a target is missed, breaches recorded once.
    if let Err(e) = super::support::run_service_levels(app).await {
        tracing::warn!(error = %e, "support service-level pass failed");
    }
}
