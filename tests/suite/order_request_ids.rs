//! `MS-RequestId` on orders, whose claim commits inside the order's own transaction: a retry
//! never places a second order (one at a time or a hundred at once), answers the first order
//! only while the caller still exists and may still order, and an order that fails midway
//! leaves no claim behind, so its retry places it. Runs on both engines.

use crate::commerce::{line, shop, Shop};
use crate::support::{assert_error_shape, TestApp};
use partnerhub::app::store::Backend;
use partnerhub::domain::identity::Role;
use serde_json::{json, Value};
use sqlx::Row;

const ITEM: &str = "PH-SUITE:BASIC:US-M";

/// Status, whether the answer is marked as a replay, and the body.
async fn send(t: &TestApp, s: &Shop, token: &str, rid: &str, qty: i64) -> (u16, bool, Value) {
    let r = t
        .http
        .post(t.url(&format!("/v1/customers/{}/orders", s.x.id)))
        .bearer_auth(token)
        .header("MS-RequestId", rid)
        .json(&line(ITEM, qty, Some(s.a.mpn)))
        .send()
        .await
        .unwrap();
    let replay = r
        .headers()
        .get("ms-idempotent-replay")
        .is_some_and(|v| v == "true");
    (
        r.status().as_u16(),
        replay,
        r.json().await.unwrap_or(Value::Null),
    )
}

async fn count(t: &TestApp, sql: &str, rid: &str) -> i64 {
    sqlx::query(sql)
        .bind(rid)
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
        .get(0)
}

/// Orders, stored claims and subscriptions made under request id `rid`.
async fn made(t: &TestApp, rid: &str) -> (i64, i64, i64) {
    let orders = count(t, "SELECT COUNT(*) FROM orders WHERE request_id = $1", rid).await;
    let claims = count(
        t,
        "SELECT COUNT(*) FROM idempotency_keys WHERE request_id = $1",
        rid,
    )
    .await;
    let subs = count(
        t,
        "SELECT COUNT(*) FROM subscriptions s JOIN order_lines l ON l.subscription_id = s.id \
         JOIN orders o ON o.id = l.order_id WHERE o.request_id = $1",
        rid,
    )
    .await;
    (orders, claims, subs)
}

#[tokio::test]
async fn a_retried_order_answers_the_first_order_only_while_the_caller_may_still_order() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let seller = t.user(&s.p.tenant, "seller", &[Role::SalesAgent]).await;
    let token = t.token(&seller.upn).await;

    let (st, replay, first) = send(&t, &s, &token, "ord-1", 3).await;
    assert_eq!((st, replay), (201, false), "{first}");
    assert_eq!(
        made(&t, "ord-1").await,
        (1, 1, 1),
        "order and claim together"
    );

    // A retry: the first order, whole, marked as a replay; nothing more is placed.
    let (st, replay, again) = send(&t, &s, &token, "ord-1", 3).await;
    assert_eq!((st, replay), (201, true), "{again}");
    assert_eq!(again, first);
    // The same id with another request is refused.
    let (st, _, err) = send(&t, &s, &token, "ord-1", 4).await;
    assert_eq!(st, 409, "{err}");
    assert_eq!(assert_error_shape(&err), 3002);
    assert_eq!(made(&t, "ord-1").await, (1, 1, 1));

    // The seller loses the right to order: no answer, no order.
    let roles = |r: &'static str| json!({ "roles": [r] });
    let user = format!("/v1/users/{}", seller.id);
    let (st, b) = t.patch(&user, &s.p.token, &roles("helpdesk_agent")).await;
    assert_eq!(st, 200, "{b}");
    let (st, _, b) = send(&t, &s, &token, "ord-1", 3).await;
    assert_eq!(st, 403, "{b}");
    assert!(b.get("id").is_none(), "{b}");
    // Given back, the replay answers again: the refusal came from the role.
    let (st, b) = t.patch(&user, &s.p.token, &roles("sales_agent")).await;
    assert_eq!(st, 200, "{b}");
    let (st, replay, b) = send(&t, &s, &token, "ord-1", 3).await;
    assert_eq!((st, replay, &b), (201, true, &first));

    // The provider ends its relationship with the customer: the replay runs the order's
    // checks again and is refused, though the seller's roles did not change.
    let customer = format!("/v1/customers/{}", s.x.id);
    let end = json!({"relationshipToPartner": "none"});
    let (st, b) = t.patch(&customer, &s.p.token, &end).await;
    assert_eq!(st, 200, "{b}");
    let (st, _, b) = send(&t, &s, &token, "ord-1", 3).await;
    assert!(st == 403 || st == 404, "{st} {b}");
    assert!(b.get("id").is_none(), "{b}");
    // A new order under a new id is refused too: the customer read with the caller (in the
    // same statement, before the id's claim is peeked) shows the relationship ended.
    let (st, _, b) = send(&t, &s, &token, "ord-2", 3).await;
    assert!(st == 403 || st == 404, "{st} {b}");
    assert_eq!(made(&t, "ord-2").await, (0, 0, 0));

    // Removed altogether: signed out.
    let r = t
        .http
        .delete(t.url(&user))
        .bearer_auth(&s.p.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (st, _, b) = send(&t, &s, &token, "ord-1", 3).await;
    assert_eq!(st, 401, "{b}");
    assert_eq!(made(&t, "ord-1").await, (1, 1, 1));
}

#[tokio::test]
async fn a_hundred_concurrent_duplicates_place_one_order_and_ninety_nine_replays() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let mut handles = Vec::new();
    for _ in 0..100 {
        let (http, token) = (t.http.clone(), s.p.token.clone());
        let url = t.url(&format!("/v1/customers/{}/orders", s.x.id));
        let body = line(ITEM, 2, Some(s.a.mpn));
        handles.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .header("MS-RequestId", "twins")
                .json(&body)
                .send()
                .await
                .unwrap();
            let replay = r.headers().get("ms-idempotent-replay").is_some();
            (
                r.status().as_u16(),
                replay,
                r.json::<Value>().await.unwrap(),
            )
        }));
    }
    let mut bodies = std::collections::BTreeSet::new();
    let mut replays = 0;
    for h in handles {
        let (st, replay, b) = h.await.unwrap();
        assert_eq!(st, 201, "{b}");
        replays += usize::from(replay);
        bodies.insert(b.to_string());
    }
    assert_eq!(bodies.len(), 1, "every answer is the same order");
    assert_eq!(
        replays, 99,
        "one placed it, the others were told it was a replay"
    );
    assert_eq!(made(&t, "twins").await, (1, 1, 1));
    let order: Value = serde_json::from_str(bodies.first().unwrap()).unwrap();
    let audits = count(
        &t,
        "SELECT COUNT(*) FROM audit_records WHERE operation = 'create_order' AND resource_id = $1",
        order["id"].as_str().unwrap(),
    )
    .await;
    let orgs = 3; // customer, provider and reseller of record: one record each
    assert_eq!(audits, orgs);
}

/// Makes every insert into the outbox fail (an order writes its event and mail there after
/// its order row, lines, subscriptions and audit records), or lifts that again.
async fn outbox_fails(t: &TestApp, on: bool) {
    let db = &t.app.db.write;
    let sqlite = matches!(t.app.db.backend, Backend::Sqlite);
    let statements: &[&str] = match (sqlite, on) {
        (true, true) => &["CREATE TRIGGER test_outbox_fails BEFORE INSERT ON outbox \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END"],
        (true, false) => &["DROP TRIGGER test_outbox_fails"],
        (false, true) => &[
            "CREATE FUNCTION test_outbox_fails() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER test_outbox_fails BEFORE INSERT ON outbox \
             FOR EACH ROW EXECUTE FUNCTION test_outbox_fails()",
        ],
        (false, false) => &[
            "DROP TRIGGER test_outbox_fails ON outbox",
            "DROP FUNCTION test_outbox_fails()",
        ],
    };
    for sql in statements {
        sqlx::query(sql).execute(db).await.unwrap();
    }
}

#[tokio::test]
async fn an_order_failing_midway_leaves_no_claim_and_its_retry_places_it_once() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    outbox_fails(&t, true).await;
    let (st, _, b) = send(&t, &s, &s.p.token, "midway", 5).await;
    assert_eq!(st, 500, "{b}");
    assert_eq!(
        made(&t, "midway").await,
        (0, 0, 0),
        "the order, its subscription and the claim rolled back together"
    );
    outbox_fails(&t, false).await;
    let (st, replay, first) = send(&t, &s, &s.p.token, "midway", 5).await;
    assert_eq!(
        (st, replay),
        (201, false),
        "the retry places the order: {first}"
    );
    let (st, replay, again) = send(&t, &s, &s.p.token, "midway", 5).await;
    assert_eq!((st, replay, &again), (201, true, &first));
    assert_eq!(made(&t, "midway").await, (1, 1, 1));
}
