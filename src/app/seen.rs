//! What a read request learned in the same statement as its actor, kept for the rest of that
//! request. Every request rebuilds its caller from the database; a read that needs one more
//! thing known from its URL alone rides on that statement instead of costing a second round
//! trip:
//! - `GET /v1/customers/{customerId}...`: the customer as the caller's organisation sees it;
//!   the use cases then authorize against those facts instead of reading them again;
//! - `GET /v1/customers` without a filter: the page asked for, with the total. The use case
//!   still decides whether the caller may list customers before it takes the page.
//!
//! Only GET requests do this, and only for their own duration, so nothing written by the
//! request itself or later can be missed.

use crate::app::store::customers::{CustomerListRow, CustomerView};
use crate::domain::ids::TenantId;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// What the caller's statement should read besides the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    Nothing,
    Customer(TenantId),
    /// The partner's customers, unfiltered, after a (lower-cased name, id), `limit` rows.
    CustomerList {
        partner: TenantId,
        after: Option<(String, String)>,
        limit: u32,
    },
}

/// A customer as one organisation saw it at the start of the request.
#[derive(Debug)]
pub struct CustomerSeen {
    pub partner: TenantId,
    pub customer: TenantId,
    /// `None`: no tenant has that id.
    pub view: Option<CustomerView>,
    pub billing: Option<(serde_json::Value, i64)>,
}

/// A page of a partner's customers read at the start of the request, and the request that
/// asked for it.
#[derive(Debug)]
pub struct ListSeen {
    pub partner: TenantId,
    pub after: Option<(String, String)>,
    pub limit: u32,
    pub rows: Vec<CustomerListRow>,
    pub total: i64,
}

#[derive(Default)]
struct Seen {
    customer: Option<Arc<CustomerSeen>>,
    list: Option<ListSeen>,
}

tokio::task_local! {
    static SEEN: Mutex<Seen>;
}

/// Runs one request with room for what it reads with its actor.
pub async fn request_scope<F: Future>(f: F) -> F::Output {
    SEEN.scope(Mutex::new(Seen::default()), f).await
}

fn with<R>(f: impl FnOnce(&mut Seen) -> R) -> Option<R> {
    SEEN.try_with(|s| f(&mut s.lock().unwrap_or_else(|e| e.into_inner())))
        .ok()
}

/// Keeps what the request read (nothing outside a request scope).
pub(crate) fn remember(seen: CustomerSeen) {
    with(|s| s.customer = Some(Arc::new(seen)));
}

/// Keeps the page the request read with its actor (nothing outside a request scope).
pub(crate) fn remember_list(seen: ListSeen) {
    with(|s| s.list = Some(seen));
}

/// The customer as `partner` saw it at the start of this request, when that was read.
pub(crate) fn customer(partner: TenantId, customer: TenantId) -> Option<Arc<CustomerSeen>> {
    with(|s| {
        s.customer
            .as_ref()
            .filter(|c| c.partner == partner && c.customer == customer)
            .cloned()
    })
    .flatten()
}

/// The page of `partner`'s customers after `after`, of `limit` rows, when exactly that was
/// read with the actor; taken, so it serves one read.
pub(crate) fn customer_list(
    partner: TenantId,
    after: Option<(&str, &str)>,
    limit: u32,
) -> Option<(Vec<CustomerListRow>, i64)> {
    with(|s| {
        let asked = s.list.as_ref().is_some_and(|l| {
            l.partner == partner
                && l.limit == limit
                && l.after.as_ref().map(|(k, i)| (k.as_str(), i.as_str())) == after
        });
        if asked {
            s.list.take().map(|l| (l.rows, l.total))
        } else {
            None
        }
    })
    .flatten()
}

/// What to ask for an unfiltered page of `partner`'s customers: the page, unless list pages
/// come from a replica (the caller's statement runs on the primary, and lists belong on the
/// replica then).
pub fn customer_list_ask(
    app: &crate::app::App,
    partner: TenantId,
    after: Option<(String, String)>,
    limit: u32,
) -> Option<Ask> {
    app.db.lists_on_primary().then_some(Ask::CustomerList {
        partner,
        after,
        limit,
    })
}
