//! A collection's page and its `totalCount` describe one moment: while rows are being added,
//! every response lists exactly as many items as it counts (the page size is larger than the
//! collection ever gets), and a later response never lists fewer than an earlier one. Read
//! by two statements, a row committed between them was counted but not listed (the delivery
//! log's PostgreSQL flake); these tests add rows while several readers fetch the first page
//! over and over, on collections read by very different queries.

use crate::commerce::{line, load_catalog, order};
use crate::customers::{customer_via, partner_up};
use crate::support::receiver::Receiver;
use crate::support::TestApp;
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::json;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

/// Readers of each list run side by side, so more reads fall between two writes.
const READERS: usize = 2;

/// A bound on one reader's reads, so a writer that hangs cannot keep the readers going.
const MAX_READS: usize = 100_000;

/// A server whose rate limit lets the readers read as fast as they can, and which may post
/// test events to a local receiver.
async fn spawn() -> TestApp {
    TestApp::spawn_with(|c| {
        c.rate_limit_per_minute = 1_000_000;
        c.webhook_test_per_minute = 1_000_000;
        c.webhook_allow = vec!["127.0.0.1".into()];
        c.webhook_timeout_secs = 10;
    })
    .await
}

/// Reads the first page of `path` until `stop` is set, and once more after; checks that each
/// response counts what it lists and lists no fewer than the one before. Returns the last
/// response's item count and how many responses were read.
async fn read_until(t: &TestApp, token: &str, path: &str, stop: &AtomicBool) -> (usize, usize) {
    let (mut last, mut reads) = (0, 0);
    loop {
        let done = stop.load(Ordering::SeqCst);
        let (s, page) = t.get(path, token).await;
        assert_eq!(s, 200, "{path}: {page}");
        let listed = page["items"].as_array().expect("items").len();
        let counted = page["totalCount"].as_i64().expect("totalCount");
        assert_eq!(
            listed as i64, counted,
            "{path}: one response lists {listed} items but counts {counted}"
        );
        assert!(
            listed >= last,
            "{path}: {listed} items listed after {last} were (rows are only added)"
        );
        assert!(
            page["links"].get("next").is_none(),
            "{path}: the page size holds the whole list: {page}"
        );
        last = listed;
        reads += 1;
        assert!(reads < MAX_READS, "{path}: the writer did not finish");
        if done {
            return (last, reads);
        }
    }
}

/// Runs `writer` while `READERS` readers read each of `paths`; returns, per path, the item
/// count each reader ended on (each reader's last read follows the last write).
async fn read_while_written(
    t: &TestApp,
    token: &str,
    paths: &[&str],
    writer: impl Future<Output = ()>,
) -> Vec<Vec<usize>> {
    let stop = AtomicBool::new(false);
    let readers = paths.iter().flat_map(|p| {
        let stop = &stop;
        (0..READERS).map(move |_| read_until(t, token, p, stop))
    });
    let write = async {
        writer.await;
        stop.store(true, Ordering::SeqCst);
    };
    let ((), ends) = tokio::join!(write, futures::future::join_all(readers));
    paths
        .iter()
        .zip(ends.chunks(READERS))
        .map(|(path, ends)| {
            assert!(ends.iter().all(|(_, reads)| *reads > 1), "{path}: {ends:?}");
            ends.iter().map(|(last, _)| *last).collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn users_and_the_activity_log_count_what_they_list_while_users_are_added() {
    let t = spawn().await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AccountAdmin]).await;
    let token = t.token(&admin.upn).await;
    let (_, before) = t.get("/v1/auditrecords?size=200", &token).await;
    let records_before = before["totalCount"].as_i64().unwrap() as usize;
    const ADDED: usize = 20;
    let writer = async {
        for n in 0..ADDED {
            t.user(&tenant, &format!("added{n}"), &[Role::SalesAgent])
                .await;
        }
    };
    let ends = read_while_written(
        &t,
        &token,
        &["/v1/users?size=200", "/v1/auditrecords?size=200"],
        writer,
    )
    .await;
    assert_eq!(
        ends[0],
        [ADDED + 1; READERS],
        "every user is listed at the end"
    );
    assert!(
        ends[1].iter().all(|n| *n >= records_before + ADDED),
        "each added user left an audit record: {ends:?}, {records_before} before"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_and_subscriptions_count_what_they_list_while_orders_are_placed() {
    let t = spawn().await;
    load_catalog(&t).await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    partner_up(&t, &p, &a).await;
    let (x, _, _) = customer_via(&t, &a, Some(&p), &[], 365).await;
    const PLACED: usize = 15;
    let writer = async {
        for _ in 0..PLACED {
            let (s, o) = order(
                &t,
                &p.token,
                &x,
                line("PH-SUITE:BASIC:US-M", 1, Some(a.mpn)),
                None,
            )
            .await;
            assert_eq!(s, 201, "{o}");
        }
    };
    let orders = format!("/v1/customers/{}/orders?size=100", x.id);
    let subscriptions = format!("/v1/customers/{}/subscriptions?size=100", x.id);
    let ends = read_while_written(&t, &p.token, &[&orders, &subscriptions], writer).await;
    assert_eq!(
        ends, [[PLACED; READERS]; 2],
        "one order, one subscription each"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_delivery_log_counts_what_it_lists_while_events_are_sent_and_delivered() {
    let t = spawn().await;
    let rx = Receiver::start().await;
    let p = t.partner(true, false, "US").await;
    crate::webhooks::register(&t, &p.token, &rx.url, &["test-created"]).await;
    const SENT: usize = 20;
    let writer = async {
        for _ in 0..SENT {
            let (s, v) = t
                .post(
                    "/webhooks/v1/registration/validationEvents",
                    &p.token,
                    &json!({}),
                )
                .await;
            assert_eq!(s, 200, "{v}");
        }
    };
    // The whole log grows with each event; the delivered part grows as the worker delivers
    // (the receiver accepts everything, so nothing leaves it).
    let ends = read_while_written(
        &t,
        &p.token,
        &[
            "/webhooks/v1/registration/deliveries?size=100",
            "/webhooks/v1/registration/deliveries?status=delivered&size=100",
        ],
        writer,
    )
    .await;
    assert_eq!(
        ends[0], [SENT; READERS],
        "every event has its delivery in the log"
    );
    // The worker may still be delivering after the last event was sent.
    assert!(ends[1].iter().all(|n| *n <= SENT), "{ends:?}");
}
