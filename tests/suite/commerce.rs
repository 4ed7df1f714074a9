//! The money path by API: catalog, orders, subscriptions, carts, price lists and invoices.

use crate::customers::{customer_via, partner_up};
use crate::support::{assert_error_shape, Partner, TestApp};
use partnerhub::app::store::identity::TenantRow;
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::{json, Value};

pub async fn load_catalog(t: &TestApp) {
    let catalog: partnerhub::app::commerce::CatalogFile =
        serde_json::from_str(partnerhub::cli::demo::CATALOG_JSON).unwrap();
    partnerhub::app::commerce::import_catalog(&t.app, None, &catalog)
        .await
        .unwrap();
}

pub struct Shop {
    pub p: Partner,
    pub a: Partner,
    pub x: TenantRow,
    pub x_token: String,
}

/// Provider P partnered with reseller A; customer X (US) served by both, with license admin.
pub async fn shop(t: &TestApp) -> Shop {
    load_catalog(t).await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    partner_up(t, &p, &a).await;
    let (x, _, x_token) = customer_via(
        t,
        &a,
        Some(&p),
        &["license_administrator", "user_administrator"],
        365,
    )
    .await;
    Shop { p, a, x, x_token }
}

pub async fn order(
    t: &TestApp,
    token: &str,
    customer: &TenantRow,
    body: Value,
    rid: Option<&str>,
) -> (u16, Value) {
    let mut r = t
        .http
        .post(t.url(&format!("/v1/customers/{}/orders", customer.id)))
        .bearer_auth(token)
        .json(&body);
    if let Some(rid) = rid {
        r = r.header("MS-RequestId", rid);
    }
    let r = r.send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

pub fn line(item: &str, qty: i64, mpn: Option<i64>) -> Value {
    json!({"lineItems": [{"lineItemNumber": 0, "catalogItemId": item, "quantity": qty, "partnerIdOnRecord": mpn.map(|m| m.to_string())}]})
}

#[tokio::test]
async fn the_catalog_is_imported_by_the_operator_and_browsed_by_partners() {
    let t = TestApp::spawn().await;
    let (_, op) = t.tenant(TenantKind::Operator, &[Role::OperatorAdmin]).await;
    let op_token = t.token(&op.upn).await;
    let bad = json!({"products": [{"id": "bad id", "title": "", "productType": "gadget", "skus": [{"id": "S", "title": "S", "minimumQuantity": 5, "maximumQuantity": 1,
        "availabilities": [{"id": "A", "country": "USA", "currency": "usd", "billingCycle": "weekly", "term": "P2D", "listPrice": "-1"}]}]}]});
    let (s, b) = t.post("/v1/catalog/import", &op_token, &bad).await;
    assert_eq!(s, 400);
    let fields: Vec<&str> = b["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    for f in [
        "products[0].id",
        "products[0].productType",
        "products[0].skus[0].maximumQuantity",
        "products[0].skus[0].availabilities[0].country",
        "products[0].skus[0].availabilities[0].listPrice",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    let good: Value = serde_json::from_str(partnerhub::cli::demo::CATALOG_JSON).unwrap();
    let p = t.partner(true, false, "US").await;
    assert_eq!(t.post("/v1/catalog/import", &p.token, &good).await.0, 403);
    let (s, _) = t.post("/v1/catalog/import", &op_token, &good).await;
    assert_eq!(s, 201);
    let (_, products) = t
        .get("/v1/products?country=US&targetSegment=commercial", &p.token)
        .await;
    let ids: Vec<&str> = products["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["PH-CLOUD", "PH-SUITE", "PH-ARCHIVE", "PH-SECURE"],
        "ordered by title (the archiving add-on is a product of its own)"
    );
    let (_, skus) = t.get("/v1/products/PH-SUITE/skus", &p.token).await;
    assert_eq!(skus["totalCount"], 3);
    let (_, av) = t
        .get(
            "/v1/products/PH-SUITE/skus/STANDARD/availabilities?country=US",
            &p.token,
        )
        .await;
    assert_eq!(av["items"][0]["catalogItemId"], "PH-SUITE:STANDARD:US-M");
    assert_eq!(av["items"][0]["listPrice"], "12.50");
    assert_eq!(t.get("/v1/products/NOPE/skus", &p.token).await.0, 404);
}

#[tokio::test]
async fn a_provider_orders_for_its_resellers_customer_and_subscriptions_exist_at_once() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (st, o) = order(
        &t,
        &s.p.token,
        &s.x,
        line("PH-SUITE:STANDARD:US-M", 10, Some(s.a.mpn)),
        Some("order-1"),
    )
    .await;
    assert_eq!(st, 201, "{o}");
    assert_eq!(o["lineItems"][0]["partnerIdOnRecord"], s.a.mpn.to_string());
    assert_eq!(o["totalPrice"], "125.00");
    let order_id = o["id"].as_str().unwrap();
    let sub_id = o["lineItems"][0]["subscriptionId"].as_str().unwrap();
    // Visible at once, to both partners, filterable by order and reseller of record.
    let (_, subs) = t
        .get(
            &format!("/v1/customers/{}/subscriptions?order_id={order_id}", s.x.id),
            &s.a.token,
        )
        .await;
    assert_eq!(subs["totalCount"], 1);
    assert_eq!(subs["items"][0]["id"], sub_id);
    assert_eq!(subs["items"][0]["status"], "active");
    let (_, by_mpn) = t
        .get(
            &format!("/v1/customers/{}/subscriptions?mpn_id={}", s.x.id, s.a.mpn),
            &s.p.token,
        )
        .await;
    assert_eq!(by_mpn["totalCount"], 1);
    let (_, orders) = t
        .get(&format!("/v1/customers/{}/orders", s.x.id), &s.a.token)
        .await;
    assert_eq!(orders["totalCount"], 1);
    // Seats follow the subscription.
    let (_, seats) = t
        .get(
            &format!("/v1/customers/{}/subscribedskus", s.x.id),
            &s.a.token,
        )
        .await;
    assert_eq!(seats["items"][0]["activeUnits"], 10);
    // The same request id again: the same order, nothing new.
    let (st, again) = order(
        &t,
        &s.p.token,
        &s.x,
        line("PH-SUITE:STANDARD:US-M", 10, Some(s.a.mpn)),
        Some("order-1"),
    )
    .await;
    assert_eq!((st, again["id"].as_str()), (201, Some(order_id)));
    let (_, orders) = t
        .get(&format!("/v1/customers/{}/orders", s.x.id), &s.a.token)
        .await;
    assert_eq!(orders["totalCount"], 1);
}

#[tokio::test]
async fn bad_orders_get_partner_center_errors_and_write_nothing() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let q = t.partner(true, false, "US").await;
    let b = t.partner(false, true, "US").await;
    partner_up(&t, &q, &b).await;
    let cases: Vec<(Value, u16, u64)> = vec![
        (line("PH-SUITE:NOPE:US-M", 1, Some(s.a.mpn)), 409, 1000),
        (line("PH-SUITE:STANDARD", 1, Some(s.a.mpn)), 400, 3000),
        (line("PH-SUITE:STANDARD:US-M", 0, Some(s.a.mpn)), 409, 2002),
        (
            line("PH-SUITE:STANDARD:US-M", 301, Some(s.a.mpn)),
            409,
            2002,
        ),
        (line("PH-SUITE:STANDARD:KR-M", 1, Some(s.a.mpn)), 409, 2030),
        (line("PH-SUITE:STANDARD:US-M", 1, Some(b.mpn)), 409, 800016),
        (
            line("PH-SUITE:STANDARD:US-M", 1, Some(s.p.mpn)),
            409,
            800016,
        ),
        (line("PH-SUITE:STANDARD:US-M", 1, Some(424242)), 409, 800016),
    ];
    for (body, status, code) in cases {
        let (st, e) = order(&t, &s.p.token, &s.x, body.clone(), None).await;
        assert_eq!(st, status, "{body} -> {e}");
        assert_eq!(assert_error_shape(&e), code, "{body}");
    }
    // A provider without a relationship with the customer sees nothing.
    let (st, _) = order(
        &t,
        &q.token,
        &s.x,
        line("PH-SUITE:STANDARD:US-M", 1, Some(b.mpn)),
        None,
    )
    .await;
    assert_eq!(st, 404);
    use sqlx::Row;
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM orders")
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
        .get(0);
    let m: i64 = sqlx::query("SELECT COUNT(*) FROM subscriptions")
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
        .get(0);
    assert_eq!((n, m), (0, 0));
}

/// An order's lines are priced from one read of the catalog: each line gets its own item's
/// price, title and seat limits (the same item on two lines, items of two products), and a
/// line naming no catalog item refuses the whole order, wherever it stands.
#[tokio::test]
async fn every_line_of_an_order_is_priced_from_its_own_catalog_item() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let mpn = s.a.mpn.to_string();
    let lines = |items: &[(&str, i64)]| {
        let lines: Vec<Value> = items
            .iter()
            .enumerate()
            .map(|(i, (item, qty))| json!({"lineItemNumber": i, "catalogItemId": item, "quantity": qty, "partnerIdOnRecord": mpn}))
            .collect();
        json!({ "lineItems": lines })
    };
    // 400 seats exceed the suite's limit of 300 but not the security product's 1,000.
    let items = [
        ("PH-SUITE:BASIC:US-M", 2),
        ("PH-SUITE:PREMIUM:US-M", 1),
        ("PH-SECURE:DEFENDER:US-M", 400),
        ("PH-SUITE:BASIC:US-M", 3),
    ];
    let (st, o) = order(&t, &s.p.token, &s.x, lines(&items), None).await;
    assert_eq!(st, 201, "{o}");
    let got: Vec<(String, String, i64)> = o["lineItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["offerId"].as_str().unwrap().to_string(),
                l["unitPrice"].as_str().unwrap().to_string(),
                l["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, String, i64)> = [
        ("PH-SUITE:BASIC:US-M", "6.00", 2),
        ("PH-SUITE:PREMIUM:US-M", "22.00", 1),
        ("PH-SECURE:DEFENDER:US-M", "3.00", 400),
        ("PH-SUITE:BASIC:US-M", "6.00", 3),
    ]
    .iter()
    .map(|(i, p, q)| (i.to_string(), p.to_string(), *q))
    .collect();
    assert_eq!(got, want);
    assert_eq!(o["totalPrice"], "1252.00");
    let names: Vec<&str> = o["lineItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["friendlyName"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], names[3], "one item, one title");
    assert!(names[0] != names[1] && names[1] != names[2], "{names:?}");

    use sqlx::Row;
    let count = |table: &'static str| {
        let db = t.app.db.read.clone();
        async move {
            sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&db)
                .await
                .unwrap()
                .get::<i64, _>(0)
        }
    };
    let before = (count("orders").await, count("subscriptions").await);
    assert_eq!(before, (1, 4));
    // An unknown item on the third line, or the suite's limit on the last, refuses it all.
    for (bad, code, named) in [
        (
            [
                ("PH-SUITE:BASIC:US-M", 1),
                ("PH-SUITE:PREMIUM:US-M", 1),
                ("PH-SUITE:GOLD:US-M", 1),
                ("PH-SECURE:DEFENDER:US-M", 1),
            ],
            1000,
            Some("PH-SUITE:GOLD:US-M"),
        ),
        (
            [
                ("PH-SUITE:BASIC:US-M", 1),
                ("PH-SECURE:DEFENDER:US-M", 400),
                ("PH-SUITE:PREMIUM:US-M", 1),
                ("PH-SUITE:BASIC:US-M", 400),
            ],
            2002,
            None,
        ),
    ] {
        let (st, e) = order(&t, &s.p.token, &s.x, lines(&bad), None).await;
        assert_eq!(st, 409, "{e}");
        assert_eq!(assert_error_shape(&e), code, "{e}");
        if let Some(item) = named {
            assert!(e["description"].as_str().unwrap().contains(item), "{e}");
        }
    }
    assert_eq!(
        (count("orders").await, count("subscriptions").await),
        before
    );
}

#[tokio::test]
async fn a_hundred_concurrent_requests_with_one_request_id_place_one_order() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let mut handles = Vec::new();
    for _ in 0..100 {
        let http = t.http.clone();
        let url = t.url(&format!("/v1/customers/{}/orders", s.x.id));
        let token = s.p.token.clone();
        let body = line("PH-SUITE:BASIC:US-M", 3, Some(s.a.mpn));
        handles.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .header("MS-RequestId", "storm-1")
                .json(&body)
                .send()
                .await
                .unwrap();
            let st = r.status().as_u16();
            (
                st,
                r.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .map(str::to_string),
            )
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for h in handles {
        let (st, id) = h.await.unwrap();
        assert_eq!(st, 201);
        ids.insert(id.unwrap());
    }
    assert_eq!(ids.len(), 1);
    use sqlx::Row;
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM subscriptions")
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_reseller_orders_through_its_provider_who_is_billed() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let mut body = line("PH-SECURE:DEFENDER:US-M", 5, None);
    let (st, e) = order(&t, &s.a.token, &s.x, body.clone(), None).await;
    assert_eq!(
        (st, e["data"][0]["field"].as_str()),
        (400, Some("providerId"))
    );
    body["providerId"] = json!(s.p.tenant.id.to_string());
    let (st, o) = order(&t, &s.a.token, &s.x, body, None).await;
    assert_eq!(st, 201, "{o}");
    assert_eq!(o["billingProviderId"], s.p.tenant.id.to_string());
    assert_eq!(o["resellerId"], s.a.tenant.id.to_string());
}

async fn patch_sub(
    t: &TestApp,
    token: &str,
    customer: &TenantRow,
    sub: &str,
    etag: &str,
    body: Value,
) -> (u16, Value) {
    let r = t
        .http
        .patch(t.url(&format!(
            "/v1/customers/{}/subscriptions/{sub}",
            customer.id
        )))
        .bearer_auth(token)
        .header("If-Match", etag)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn subscriptions_change_with_etags_windows_and_seat_rules() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (_, o) = order(
        &t,
        &s.p.token,
        &s.x,
        line("PH-SUITE:STANDARD:US-M", 5, Some(s.a.mpn)),
        None,
    )
    .await;
    let sub = o["lineItems"][0]["subscriptionId"]
        .as_str()
        .unwrap()
        .to_string();
    let get = || async {
        let r = t
            .http
            .get(t.url(&format!("/v1/customers/{}/subscriptions/{sub}", s.x.id)))
            .bearer_auth(&s.a.token)
            .send()
            .await
            .unwrap();
        (
            r.headers()["etag"].to_str().unwrap().to_string(),
            r.json::<Value>().await.unwrap(),
        )
    };
    let (etag, full) = get().await;
    // Two writers with the same ETag: one wins.
    let mut changed = full.clone();
    changed["quantity"] = json!(8);
    let (a, b) = tokio::join!(
        patch_sub(&t, &s.a.token, &s.x, &sub, &etag, changed.clone()),
        patch_sub(&t, &s.p.token, &s.x, &sub, &etag, json!({"quantity": 9}))
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 412]);
    // Seats cannot drop below what is assigned.
    let users: Vec<_> = futures::future::join_all(
        (0..4).map(|i| t.user(&s.x, Box::leak(format!("seat{i}").into_boxed_str()), &[])),
    )
    .await;
    for u in &users {
        let (st, _) = t
            .post(
                &format!("/v1/customers/{}/users/{}/licenseupdates", s.x.id, u.id),
                &s.a.token,
                &json!({"licensesToAssign": [{"skuId": "PH-SUITE:STANDARD"}]}),
            )
            .await;
        assert_eq!(st, 201);
    }
    let (etag, _) = get().await;
    let (st, e) = patch_sub(&t, &s.a.token, &s.x, &sub, &etag, json!({"quantity": 3})).await;
    assert_eq!((st, assert_error_shape(&e)), (409, 800090));
    let (_, now) = get().await;
    assert_ne!(now["quantity"], 3, "nothing changed");
    // Out of range.
    let (etag, _) = get().await;
    assert_eq!(
        patch_sub(&t, &s.a.token, &s.x, &sub, &etag, json!({"quantity": 0}))
            .await
            .0,
        409
    );
    // Suspend and reactivate.
    let (etag, _) = get().await;
    let (st, b) = patch_sub(
        &t,
        &s.a.token,
        &s.x,
        &sub,
        &etag,
        json!({"status": "suspended"}),
    )
    .await;
    assert_eq!((st, b["status"].as_str()), (200, Some("suspended")));
    let (etag, _) = get().await;
    assert_eq!(
        patch_sub(
            &t,
            &s.a.token,
            &s.x,
            &sub,
            &etag,
            json!({"status": "active"})
        )
        .await
        .0,
        200
    );
    // Cancellation closes 7 days after purchase.
    t.clock.advance(chrono::Duration::days(8));
    let a_token = t.token(&s.a.admin.upn).await;
    let r = t
        .http
        .get(t.url(&format!("/v1/customers/{}/subscriptions/{sub}", s.x.id)))
        .bearer_auth(&a_token)
        .send()
        .await
        .unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let (st, e) = patch_sub(
        &t,
        &a_token,
        &s.x,
        &sub,
        &etag,
        json!({"status": "deleted"}),
    )
    .await;
    assert_eq!((st, assert_error_shape(&e)), (409, 800069));
}

#[tokio::test]
async fn cancellation_inside_the_window_and_renewal_at_term_end() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (_, o1) = order(
        &t,
        &s.p.token,
        &s.x,
        line("PH-SUITE:BASIC:US-M", 2, Some(s.a.mpn)),
        None,
    )
    .await;
    let (_, o2) = order(
        &t,
        &s.p.token,
        &s.x,
        line("PH-SECURE:DEFENDER:US-M", 2, Some(s.a.mpn)),
        None,
    )
    .await;
    let (_, o3) = order(
        &t,
        &s.p.token,
        &s.x,
        line("PH-SUITE:PREMIUM:US-M", 2, Some(s.a.mpn)),
        None,
    )
    .await;
    let id = |o: &Value| {
        o["lineItems"][0]["subscriptionId"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (st, b) = patch_sub(
        &t,
        &s.p.token,
        &s.x,
        &id(&o1),
        "*",
        json!({"status": "deleted"}),
    )
    .await;
    assert_eq!((st, b["status"].as_str()), (200, Some("deleted")));
    assert_eq!(
        patch_sub(
            &t,
            &s.p.token,
            &s.x,
            &id(&o2),
            "*",
            json!({"autoRenewEnabled": false})
        )
        .await
        .0,
        200
    );
    t.clock.advance(chrono::Duration::days(31));
    let (renewed, expired) = partnerhub::app::commerce::run_renewals(&t.app)
        .await
        .unwrap();
    assert_eq!((renewed, expired), (1, 1));
    let token = t.token(&s.p.admin.upn).await;
    let (_, subs) = t
        .get(&format!("/v1/customers/{}/subscriptions", s.x.id), &token)
        .await;
    let status = |sid: String| {
        subs["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == sid.as_str())
            .unwrap()["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(status(id(&o1)), "deleted");
    assert_eq!(status(id(&o2)), "expired");
    assert_eq!(status(id(&o3)), "active");
}

#[tokio::test]
async fn carts_check_out_once() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let base = format!("/v1/customers/{}/carts", s.x.id);
    let (st, cart) = t.post(&base, &s.p.token, &json!({"lineItems": [{"catalogItemId": "PH-SUITE:BASIC:US-M", "quantity": 2, "participants": [{"key": "transaction_reseller", "value": s.a.mpn.to_string()}]}]})).await;
    assert_eq!(st, 201, "{cart}");
    let cid = cart["id"].as_str().unwrap();
    let r = t.http.put(t.url(&format!("{base}/{cid}"))).bearer_auth(&s.p.token)
        .json(&json!({"lineItems": [{"catalogItemId": "PH-SUITE:BASIC:US-M", "quantity": 4, "participants": [{"key": "transaction_reseller", "value": s.a.mpn.to_string()}]}]})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // A cart id that is no id is the same 404 as an unknown one, on every cart route.
    let body = json!({"lineItems": [{"catalogItemId": "PH-SUITE:BASIC:US-M", "quantity": 1}]});
    for (method, rest, body) in [
        (reqwest::Method::GET, "{id}", Value::Null),
        (reqwest::Method::PUT, "{id}", body),
        (reqwest::Method::POST, "{id}/checkout", json!({})),
    ] {
        let path = format!("{base}/{rest}");
        crate::support::ids::api_not_found(&t, method, &path, &s.p.token, &body).await;
    }
    let (st, result) = t
        .post(&format!("{base}/{cid}/checkout"), &s.p.token, &json!({}))
        .await;
    assert_eq!(st, 201, "{result}");
    assert_eq!(result["orders"][0]["lineItems"][0]["quantity"], 4);
    // Checkout is idempotent: again, the same order answers and nothing more is ordered.
    let (st, again) = t
        .post(&format!("{base}/{cid}/checkout"), &s.p.token, &json!({}))
        .await;
    assert_eq!(st, 201, "{again}");
    assert_eq!(again["orders"][0]["id"], result["orders"][0]["id"]);
    let (_, orders) = t
        .get(&format!("/v1/customers/{}/orders", s.x.id), &s.p.token)
        .await;
    let placed = orders["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["id"] == result["orders"][0]["id"])
        .count();
    assert_eq!(placed, 1);
    let (_, c) = t.get(&format!("{base}/{cid}"), &s.p.token).await;
    assert_eq!(c["status"], "Ordered");
    // An ordered cart no longer changes.
    let r = t
        .http
        .put(t.url(&format!("{base}/{cid}")))
        .bearer_auth(&s.p.token)
        .json(&json!({"lineItems": [{"catalogItemId": "PH-SUITE:BASIC:US-M", "quantity": 1}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let e: Value = r.json().await.unwrap();
    assert_eq!(assert_error_shape(&e), 800065);
    // Each cart change is in the owner's audit log, once, with the order it made.
    let ops: Vec<String> = sqlx::query("SELECT operation FROM audit_records WHERE org_tenant_id = $1 AND resource_id IN ($2, $3) ORDER BY seq")
        .bind(s.p.tenant.id.to_string()).bind(cid).bind(result["orders"][0]["id"].as_str().unwrap())
        .fetch_all(&t.app.db.read).await.unwrap().iter().map(|r| sqlx::Row::get(r, 0)).collect();
    assert_eq!(
        ops,
        [
            "create_cart",
            "update_cart",
            "create_order",
            "checkout_cart"
        ]
    );
    // ... and raised an event for the owner with it.
    let events: Vec<String> =
        sqlx::query("SELECT payload FROM outbox WHERE topic = 'event' ORDER BY created_at, id")
            .fetch_all(&t.app.db.read)
            .await
            .unwrap()
            .iter()
            .map(|r| sqlx::Row::get::<String, _>(r, 0))
            .filter_map(|p| {
                let v: Value = serde_json::from_str(&p).ok()?;
                v["resourceUri"]
                    .as_str()?
                    .ends_with(cid)
                    .then(|| v["eventName"].as_str().unwrap().to_string())
            })
            .collect();
    assert_eq!(events, ["cart-created", "cart-updated", "cart-updated"]);
}

#[tokio::test]
async fn invoices_charge_each_provider_per_month_with_proration_and_statements() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (_, op) = t.tenant(TenantKind::Operator, &[Role::OperatorAdmin]).await;
    let r = t.http.put(t.url("/v1/pricelists/provider")).bearer_auth(&s.p.token)
        .json(&json!([{"productId": "PH-SUITE", "skuId": "STANDARD", "country": "US", "kind": "markup", "value": "10"}])).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let (_, o) = order(
        &t,
        &s.p.token,
        &s.x,
        line("PH-SUITE:STANDARD:US-M", 10, Some(s.a.mpn)),
        None,
    )
    .await;
    let sub = o["lineItems"][0]["subscriptionId"]
        .as_str()
        .unwrap()
        .to_string();
    let (period_start, period_end) = partnerhub::domain::commerce::month_of(t.clock.now_ms());
    let month = chrono::DateTime::from_timestamp_millis(period_start)
        .unwrap()
        .format("%Y-%m")
        .to_string();
    // Not before the month ends.
    let op_token = t.token(&op.upn).await;
    assert_eq!(
        t.post(
            "/v1/invoices/generate",
            &op_token,
            &json!({"period": month})
        )
        .await
        .0,
        400
    );
    // Midway, the quantity doubles.
    let now = t.clock.now_ms();
    let half = (period_end - now) / 2;
    t.clock.advance(chrono::Duration::milliseconds(half));
    let p_token = t.token(&s.p.admin.upn).await;
    assert_eq!(
        patch_sub(&t, &p_token, &s.x, &sub, "*", json!({"quantity": 20}))
            .await
            .0,
        200
    );
    t.clock.advance(chrono::Duration::milliseconds(
        period_end - t.clock.now_ms() + 1000,
    ));
    let op_token = t.token(&op.upn).await;
    let (st, run) = t
        .post(
            "/v1/invoices/generate",
            &op_token,
            &json!({"period": month}),
        )
        .await;
    assert_eq!(st, 201, "{run}");
    let p_token = t.token(&s.p.admin.upn).await;
    let (_, invs) = t.get("/v1/invoices", &p_token).await;
    assert_eq!(invs["totalCount"], 1);
    let inv = invs["items"][0]["id"].as_str().unwrap().to_string();
    let (_, lines) = t
        .get(&format!("/v1/invoices/{inv}/lineitems"), &p_token)
        .await;
    assert_eq!(lines["totalCount"], 2, "one span at 10 seats, one at 20");
    let sum: rust_decimal::Decimal = lines["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["amount"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(
        sum.to_string(),
        invs["items"][0]["totalCharges"].as_str().unwrap()
    );
    // Expected from the periods: 12.50 per seat-month, prorated by time.
    let expected = |from: i64, to: i64, q: i64| {
        (rust_decimal::Decimal::from(q)
            * rust_decimal::Decimal::new(1250, 2)
            * rust_decimal::Decimal::from(to - from)
            / rust_decimal::Decimal::from(period_end - period_start))
        .round_dp(2)
    };
    let l0 = &lines["items"][0];
    assert_eq!(l0["resellerMpnId"], s.a.mpn.to_string());
    assert_eq!(l0["customerName"], s.x.display_name.as_str());
    assert!(sum > rust_decimal::Decimal::ZERO);
    let spans: rust_decimal::Decimal = lines["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let a = chrono::DateTime::parse_from_rfc3339(l["chargeStartDate"].as_str().unwrap())
                .unwrap()
                .timestamp_millis();
            let b = chrono::DateTime::parse_from_rfc3339(l["chargeEndDate"].as_str().unwrap())
                .unwrap()
                .timestamp_millis();
            expected(a, b, l["quantity"].as_i64().unwrap())
        })
        .sum();
    assert_eq!(sum, spans);
    // CSV export and the statement to the reseller at the provider's price (+10 %).
    let csv = t
        .http
        .get(t.url(&format!("/v1/invoices/{inv}/csv")))
        .bearer_auth(&p_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 3);
    assert!(csv.starts_with("line,customer_id"));
    let (_, st) = t
        .get(&format!("/v1/invoices/{inv}/statements"), &p_token)
        .await;
    let statement: rust_decimal::Decimal =
        st["items"][0]["total"].as_str().unwrap().parse().unwrap();
    assert!(
        statement > sum,
        "the reseller pays the provider's markup: {statement} vs {sum}"
    );
    // Other partners cannot read the invoice; a second run does not duplicate it.
    assert_eq!(
        t.get(
            &format!("/v1/invoices/{inv}"),
            &t.token(&s.a.admin.upn).await
        )
        .await
        .0,
        404
    );
    t.post(
        "/v1/invoices/generate",
        &op_token,
        &json!({"period": month}),
    )
    .await;
    let (_, invs) = t.get("/v1/invoices", &p_token).await;
    assert_eq!(invs["totalCount"], 1);
    let _ = s.x_token;
}

#[tokio::test]
async fn an_order_or_subscription_id_that_is_no_id_is_not_found_on_the_api_and_in_the_portal() {
    use crate::support::ids::{api_not_found, portal_not_found};
    use reqwest::Method as M;
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (st, o) = order(
        &t,
        &s.p.token,
        &s.x,
        line("PH-SUITE:BASIC:US-M", 3, Some(s.a.mpn)),
        None,
    )
    .await;
    assert_eq!(st, 201, "{o}");
    let sub = o["lineItems"][0]["subscriptionId"].as_str().unwrap();
    let base = format!("/v1/customers/{}", s.x.id);
    // The real ones answer.
    let real = format!("{base}/orders/{}", o["id"].as_str().unwrap());
    assert_eq!(t.get(&real, &s.p.token).await.0, 200);
    assert_eq!(
        t.get(&format!("{base}/subscriptions/{sub}"), &s.p.token)
            .await
            .0,
        200
    );
    let none = Value::Null;
    let cases = [
        (M::GET, "orders/{id}", none.clone()),
        (M::PATCH, "orders/{id}", json!({"billingCycle": "monthly"})),
        (M::GET, "orders/{id}/provisioningstatus", none.clone()),
        (M::GET, "subscriptions/{id}", none.clone()),
        (M::PATCH, "subscriptions/{id}", json!({"quantity": 4})),
        (M::GET, "subscriptions/{id}/addons", none.clone()),
        (M::GET, "subscriptions/{id}/upgrades", none.clone()),
        (
            M::GET,
            "subscriptions/{id}/provisioningstatus",
            none.clone(),
        ),
        (
            M::POST,
            "subscriptions/{id}/upgrades",
            json!({"targetOffer": {"id": "PH-SUITE:STANDARD:US-M"}, "upgradeType": "upgrade_only"}),
        ),
        (M::GET, "subscriptions/{id}/supportcontact", none.clone()),
        (
            M::PUT,
            "subscriptions/{id}/supportcontact",
            json!({"supportTenantId": s.a.tenant.id.to_string()}),
        ),
    ];
    for (method, rest, body) in cases {
        api_not_found(&t, method, &format!("{base}/{rest}"), &s.p.token, &body).await;
    }
    // A malformed order filter on the list matches nothing rather than failing.
    let (st, list) = t
        .get(
            &format!("{base}/subscriptions?order_id=not-an-id"),
            &s.p.token,
        )
        .await;
    assert_eq!((st, list["totalCount"].as_i64()), (200, Some(0)), "{list}");

    let (cookie, csrf) = crate::portal_http::portal_session(&t, &s.p.admin.upn).await;
    let form = [("csrf", csrf.as_str()), ("quantity", "4"), ("version", "1")];
    for path in [
        format!("/portal/customers/{}/subscriptions/{{id}}", s.x.id),
        format!("/portal/customers/{}/admin/subscriptions/{{id}}", s.x.id),
    ] {
        portal_not_found(&t, &cookie, M::POST, &path, &form).await;
    }
    // Nothing above changed the real subscription.
    let (_, after) = t
        .get(&format!("{base}/subscriptions/{sub}"), &s.p.token)
        .await;
    assert_eq!(after["quantity"], 3, "{after}");
}
