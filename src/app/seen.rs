//! What a request learned in the same statement as its actor, kept for the rest of that
//! request. Every request rebuilds its caller from the database; a request that needs one
//! more thing known from its URL alone reads it in that statement instead of costing a second
//! round trip:
//! - `/v1/customers/{customerId}...`: the customer as the caller's organisation sees it; the
//!   use cases then authorize against those facts instead of reading them again. A read
//!   request may use them as often as it likes. A write request uses them once, for the
//!   check it makes before it writes: they are taken then, so whatever the request reads
//!   after its own writes is read again;
//! - `GET /v1/customers` without a filter: the page asked for, with the total. The use case
//!   still decides whether the caller may list customers before it takes the page;
//! - the portal's customer list without a search: the page (with its resellers' names), read
//!   with the session and its user, likewise taken only after the use case's check.
//!
//! Nothing outlives its request, so nothing written later can be missed.

use crate::app::store::customers::{CustomerListRow, CustomerView, NamedPage};
use crate::domain::ids::TenantId;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// What the caller's statement should read besides the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    Nothing,
    /// The customer a read request is about.
    Customer(TenantId),
    /// The customer a write request is about: its view serves the first use only.
    CustomerOnce(TenantId),
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
    /// Taken by its first use (a write request's check before it writes).
    pub once: bool,
}

/// A page of a partner's customers read at the start of the request, and the request that
/// asked for it.
#[derive(Debug)]
pub struct ListSeen {
    pub partner: TenantId,
    pub after: Option<(String, String)>,
    pub limit: u32,
    /// The rows, each with its reseller's name when `named`.
    pub rows: Vec<(CustomerListRow, Option<String>)>,
    /// Whether the names were read (the portal's page shows them; the API's does not).
    pub named: bool,
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

/// Drops what the request read with its actor: for a request about to wait (for a twin with
/// the same request id), whose checks must then read their facts afresh.
pub(crate) fn forget() {
    with(|s| *s = Seen::default());
}

/// Keeps the page the request read with its actor (nothing outside a request scope).
pub(crate) fn remember_list(seen: ListSeen) {
    with(|s| s.list = Some(seen));
}

/// The customer as `partner` saw it at the start of this request, when that was read (and,
/// in a write request, not used yet).
pub(crate) fn customer(partner: TenantId, customer: TenantId) -> Option<Arc<CustomerSeen>> {
    with(|s| {
        let c = s
            .customer
            .as_ref()
            .filter(|c| c.partner == partner && c.customer == customer)?;
        if c.once {
            s.customer.take()
        } else {
            Some(c.clone())
        }
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
    let l = take_list(partner, after, limit, false)?;
    Some((l.rows.into_iter().map(|(r, _)| r).collect(), l.total))
}

/// [`customer_list`] with the resellers' names, when they were read too.
pub(crate) fn customer_list_named(
    partner: TenantId,
    after: Option<(&str, &str)>,
    limit: u32,
) -> Option<NamedPage> {
    take_list(partner, after, limit, true).map(|l| (l.rows, l.total))
}

fn take_list(
    partner: TenantId,
    after: Option<(&str, &str)>,
    limit: u32,
    names: bool,
) -> Option<ListSeen> {
    with(|s| {
        let asked = s.list.as_ref().is_some_and(|l| {
            l.partner == partner
                && l.limit == limit
                && (l.named || !names)
                && l.after.as_ref().map(|(k, i)| (k.as_str(), i.as_str())) == after
        });
        if asked {
            s.list.take()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(once: bool) -> CustomerSeen {
        CustomerSeen {
            partner: TenantId(uuid::Uuid::from_u128(1)),
            customer: TenantId(uuid::Uuid::from_u128(2)),
            view: None,
            billing: None,
            once,
        }
    }

    #[tokio::test]
    async fn a_read_request_uses_what_it_saw_throughout_and_a_write_request_once() {
        let (p, c) = (seen(false).partner, seen(false).customer);
        let uses = |once: bool| {
            request_scope(async move {
                remember(seen(once));
                let other = TenantId(uuid::Uuid::from_u128(3));
                assert!(customer(p, other).is_none(), "another customer");
                assert!(customer(other, c).is_none(), "another partner");
                (0..3).filter(|_| customer(p, c).is_some()).count()
            })
        };
        assert_eq!(uses(false).await, 3);
        assert_eq!(uses(true).await, 1);
        // Outside a request nothing is kept.
        remember(seen(false));
        assert!(customer(p, c).is_none());
    }

    #[tokio::test]
    async fn what_was_forgotten_is_read_again() {
        let (p, c) = (seen(false).partner, seen(false).customer);
        request_scope(async move {
            remember(seen(false));
            remember_list(ListSeen {
                partner: p,
                after: None,
                limit: 10,
                rows: Vec::new(),
                named: false,
                total: 0,
            });
            forget();
            assert!(customer(p, c).is_none(), "the customer is gone");
            assert!(customer_list(p, None, 10).is_none(), "the page is gone");
        })
        .await;
    }

    #[tokio::test]
    async fn a_page_serves_only_the_page_asked_for_once_and_names_only_when_read() {
        let p = TenantId(uuid::Uuid::from_u128(1));
        let page = |named: bool| ListSeen {
            partner: p,
            after: Some(("b".into(), "2".into())),
            limit: 101,
            rows: Vec::new(),
            named,
            total: 7,
        };
        let other = TenantId(uuid::Uuid::from_u128(3));
        request_scope(async move {
            remember_list(page(false));
            assert!(
                customer_list(other, Some(("b", "2")), 101).is_none(),
                "partner"
            );
            assert!(
                customer_list(p, Some(("b", "3")), 101).is_none(),
                "position"
            );
            assert!(customer_list(p, None, 101).is_none(), "first page");
            assert!(customer_list(p, Some(("b", "2")), 100).is_none(), "size");
            assert!(
                customer_list_named(p, Some(("b", "2")), 101).is_none(),
                "a page read without names never stands in for one with them"
            );
            assert_eq!(
                customer_list(p, Some(("b", "2")), 101).map(|l| l.1),
                Some(7)
            );
            assert!(customer_list(p, Some(("b", "2")), 101).is_none(), "taken");
            remember_list(page(true));
            assert_eq!(
                customer_list_named(p, Some(("b", "2")), 101).map(|l| l.1),
                Some(7)
            );
        })
        .await;
    }
}
