//! What a read request learned about a customer in the same statement as its actor, kept for
//! the rest of that request. `GET /v1/customers/{customerId}...` reads the caller (rebuilt
//! from the database, as every request) and the customer as the caller's organisation sees
//! it in one round trip; the use cases of the request then authorize against those facts
//! instead of reading them again. Only GET requests do this, and only for their own
//! duration, so nothing written by the request itself or later can be missed.

use crate::app::store::customers::CustomerView;
use crate::domain::ids::TenantId;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// A customer as one organisation saw it at the start of the request.
#[derive(Debug)]
pub struct CustomerSeen {
    pub partner: TenantId,
    pub customer: TenantId,
    /// `None`: no tenant has that id.
    pub view: Option<CustomerView>,
    pub billing: Option<(serde_json::Value, i64)>,
}

tokio::task_local! {
    static SEEN: Mutex<Option<Arc<CustomerSeen>>>;
}

/// Runs one request with room for what it reads with its actor.
pub async fn request_scope<F: Future>(f: F) -> F::Output {
    SEEN.scope(Mutex::new(None), f).await
}

/// Keeps what the request read (nothing outside a request scope).
pub(crate) fn remember(seen: CustomerSeen) {
    let _ = SEEN.try_with(|s| {
        *s.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(seen));
    });
}

/// The customer as `partner` saw it at the start of this request, when that was read.
pub(crate) fn customer(partner: TenantId, customer: TenantId) -> Option<Arc<CustomerSeen>> {
    SEEN.try_with(|s| {
        s.lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .filter(|c| c.partner == partner && c.customer == customer)
            .cloned()
    })
    .ok()
    .flatten()
}
