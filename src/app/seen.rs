//! What a read request learned about a customer in the same statement as its actor, kept for
//! the rest of that request. `GET /v1/customers/{customerId}...` reads the caller (rebuilt
//! from the database, as every request) and the customer as the caller's organisation sees
//! it in one round trip; the use cases of the request then authorize against those facts
//! instead of reading them again. Only GET requests do this, and only for their own
//! duration, so nothing written by the request itself or later can be missed.

use crate::app::store::customers::{CustomerListRow, CustomerView};
use crate::domain::customer::CustomerFilter;
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

/// What a read request asks to have read with its actor.
pub enum Ask {
    Nothing,
    /// `GET /v1/customers/{customerId}...`: that customer.
    Customer(TenantId),
    /// `GET /v1/customers`: a page of the caller's customer list.
    CustomerPage(PageWanted),
}

/// A page of the customer list as the request asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageWanted {
    /// The organisation whose list it is: the one the caller's token names. The page is
    /// used only if that is the organisation the caller turns out to act for.
    pub partner: TenantId,
    pub filter: Option<CustomerFilter>,
    /// The last row of the previous page: sort key and id.
    pub after: Option<(String, String)>,
    pub limit: u32,
}

/// A page of an organisation's customer list read with the actor.
struct PageSeen {
    partner: TenantId,
    wanted: PageWanted,
    rows: Vec<CustomerListRow>,
    total: i64,
}

tokio::task_local! {
    static SEEN: Mutex<Option<Arc<CustomerSeen>>>;
    static PAGE_SEEN: Mutex<Option<PageSeen>>;
}

/// Runs one request with room for what it reads with its actor.
pub async fn request_scope<F: Future>(f: F) -> F::Output {
    SEEN.scope(Mutex::new(None), PAGE_SEEN.scope(Mutex::new(None), f))
        .await
}

/// Keeps the customer-list page the request read with its actor (nothing outside a scope).
pub(crate) fn remember_page(wanted: PageWanted, rows: Vec<CustomerListRow>, total: i64) {
    let _ = PAGE_SEEN.try_with(|s| {
        *s.lock().unwrap_or_else(|e| e.into_inner()) = Some(PageSeen {
            partner: wanted.partner,
            wanted,
            rows,
            total,
        });
    });
}

/// The page `partner`'s list read with the actor, when it is exactly the page now wanted
/// (same filter, position and size); taken, so it serves one read.
pub(crate) fn customer_page(
    partner: TenantId,
    filter: Option<&CustomerFilter>,
    after: Option<(&str, &str)>,
    limit: u32,
) -> Option<(Vec<CustomerListRow>, i64)> {
    PAGE_SEEN
        .try_with(|s| {
            let mut slot = s.lock().unwrap_or_else(|e| e.into_inner());
            let same = slot.as_ref().is_some_and(|p| {
                p.partner == partner
                    && p.wanted.filter.as_ref() == filter
                    && p.wanted
                        .after
                        .as_ref()
                        .map(|(k, i)| (k.as_str(), i.as_str()))
                        == after
                    && p.wanted.limit == limit
            });
            if same {
                slot.take().map(|p| (p.rows, p.total))
            } else {
                None
            }
        })
        .ok()
        .flatten()
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
