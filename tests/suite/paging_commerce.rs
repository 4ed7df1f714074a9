//! Every collection of the commerce and customer side walked a few items a page through its
//! `next` links and `MS-ContinuationToken`: the catalog (products, SKUs, availabilities,
//! offers, add-ons, upgrades), price lists, orders and their provisioning, subscriptions
//! (with their filters) and their add-ons, seats, invoices with their lines and statements,
//! a customer's partners and grants, its users' licenses, a directory role's members and
//! the customers two partners share. Each item comes exactly once, in the list's order, and
//! `totalCount` is right on every page.

use crate::commerce::{line, load_catalog, order};
use crate::customers::{customer_via, link_token, partner_up};
use crate::support::paging::{pages, pages_match_whole, whole};
use crate::support::{Partner, TestApp};
use partnerhub::app::store::identity::TenantRow;
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::{json, Value};

/// Provider P partnered with resellers A, B and C; customer X served by A and P, with user
/// and license administration.
struct Channel {
    p: Partner,
    resellers: Vec<Partner>,
    x: TenantRow,
    x_token: String,
}

async fn channel(t: &TestApp) -> Channel {
    load_catalog(t).await;
    let p = t.partner(true, false, "US").await;
    let mut resellers = Vec::new();
    for _ in 0..3 {
        let r = t.partner(false, true, "US").await;
        partner_up(t, &p, &r).await;
        resellers.push(r);
    }
    let (x, _, x_token) = customer_via(
        t,
        &resellers[0],
        Some(&p),
        &["license_administrator", "user_administrator"],
        365,
    )
    .await;
    Channel {
        p,
        resellers,
        x,
        x_token,
    }
}

fn first_subscription(o: &Value) -> String {
    o["lineItems"][0]["subscriptionId"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn orders_subscriptions_and_what_hangs_off_them_page_to_the_end() {
    let t = TestApp::spawn().await;
    let c = channel(&t).await;
    let a = &c.resellers[0];
    let x = c.x.id;
    let items = [
        "PH-SUITE:BASIC:US-M",
        "PH-SUITE:STANDARD:US-M",
        "PH-SUITE:PREMIUM:US-M",
        "PH-SECURE:DEFENDER:US-M",
        "PH-SUITE:BASIC:US-Y",
    ];
    let mut first_order = Value::Null;
    for item in items {
        let (s, o) = order(&t, &c.p.token, &c.x, line(item, 3, Some(a.mpn)), None).await;
        assert_eq!(s, 201, "{o}");
        if first_order.is_null() {
            first_order = o;
        }
    }
    // One order of three lines: its provisioning status lists three lines.
    let three = json!({"lineItems": [
        {"lineItemNumber": 0, "catalogItemId": "PH-SUITE:BASIC:US-M", "quantity": 1, "partnerIdOnRecord": a.mpn.to_string()},
        {"lineItemNumber": 1, "catalogItemId": "PH-SUITE:STANDARD:US-M", "quantity": 1, "partnerIdOnRecord": a.mpn.to_string()},
        {"lineItemNumber": 2, "catalogItemId": "PH-SECURE:DEFENDER:US-M", "quantity": 1, "partnerIdOnRecord": a.mpn.to_string()}
    ]});
    let (s, big) = order(&t, &c.p.token, &c.x, three, None).await;
    assert_eq!(s, 201, "{big}");
    let big_id = big["id"].as_str().unwrap().to_string();

    // Orders, newest first, each with its lines; a reseller of record reads them too.
    let orders = format!("/v1/customers/{x}/orders");
    let walked = pages_match_whole(&t, &c.p.token, &orders, 2, "id", 6).await;
    assert_eq!(walked[0], big_id, "newest first");
    let (_, all) = t.get(&format!("{orders}?size=500"), &a.token).await;
    let lines: Vec<usize> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["lineItems"].as_array().unwrap().len())
        .collect();
    assert_eq!(
        lines,
        [3, 1, 1, 1, 1, 1],
        "every order carries its own lines"
    );
    assert_eq!(
        all["items"][5]["lineItems"][0]["friendlyName"],
        first_order["lineItems"][0]["friendlyName"]
    );
    let provisioning = format!("{orders}/{big_id}/provisioningstatus");
    let walked = pages_match_whole(&t, &c.p.token, &provisioning, 2, "lineItemNumber", 3).await;
    assert_eq!(walked, ["0", "1", "2"]);

    // Subscriptions, oldest first, whole and filtered; the filter stays in the `next` link.
    let subs = format!("/v1/customers/{x}/subscriptions");
    let walked = pages_match_whole(&t, &a.token, &subs, 2, "id", 8).await;
    assert_eq!(walked[0], first_subscription(&first_order));
    let by_reseller = format!("{subs}?mpn_id={}", a.mpn);
    pages_match_whole(&t, &a.token, &by_reseller, 3, "id", 8).await;
    let (_, p1) = t.get(&format!("{by_reseller}&size=3"), &a.token).await;
    let next = p1["links"]["next"]["uri"].as_str().unwrap();
    assert!(next.contains(&format!("mpn_id={}", a.mpn)), "{next}");
    let by_order = format!("{subs}?order_id={big_id}");
    pages_match_whole(&t, &a.token, &by_order, 2, "id", 3).await;
    let nobody = format!("{subs}?mpn_id={}", c.resellers[1].mpn);
    assert!(whole(&t, &a.token, &nobody, "id").await.is_empty());

    // Seats, one row per SKU held: BASIC, STANDARD, PREMIUM, DEFENDER.
    let seats = format!("/v1/customers/{x}/subscribedskus");
    pages_match_whole(&t, &c.p.token, &seats, 3, "/productSku/id", 4).await;

    // The upgrades of a BASIC subscription: STANDARD and PREMIUM (same cycle and term).
    let basic = first_subscription(&first_order);
    let upgrades = format!("{subs}/{basic}/upgrades");
    pages_match_whole(&t, &c.p.token, &upgrades, 1, "/targetOffer/id", 2).await;

    // Add-ons bought on one subscription through order PATCHes.
    let first_id = first_order["id"].as_str().unwrap();
    let order_path = format!("{orders}/{first_id}");
    for _ in 0..3 {
        let (_, mut current) = t.get(&order_path, &c.p.token).await;
        let lines = current["lineItems"].as_array_mut().unwrap();
        let number = lines.len();
        lines.push(
            json!({"LineItemNumber": number, "OfferId": "PH-ARCHIVE:ARCHIVE:US-M",
            "Quantity": 1, "ParentSubscriptionId": basic}),
        );
        let (s, o) = t.patch(&order_path, &c.p.token, &current).await;
        assert_eq!(s, 200, "{o}");
    }
    let addons = format!("{subs}/{basic}/addons");
    pages_match_whole(&t, &a.token, &addons, 2, "id", 3).await;
}

#[tokio::test]
async fn the_catalog_offers_and_price_lists_page_to_the_end() {
    let t = TestApp::spawn().await;
    let c = channel(&t).await;
    let p = &c.p.token;
    // Products of the US by title, a product's SKUs and an SKU's availabilities by id.
    let walked = pages_match_whole(&t, p, "/v1/products?country=US", 2, "id", 4).await;
    assert_eq!(walked, ["PH-CLOUD", "PH-SUITE", "PH-ARCHIVE", "PH-SECURE"]);
    let walked = pages_match_whole(&t, p, "/v1/products/PH-SUITE/skus", 2, "id", 3).await;
    assert_eq!(walked, ["BASIC", "PREMIUM", "STANDARD"]);
    let path = "/v1/products/PH-SUITE/skus/BASIC/availabilities?country=US";
    let walked = pages_match_whole(&t, p, path, 1, "catalogItemId", 2).await;
    assert_eq!(walked, ["PH-SUITE:BASIC:US-M", "PH-SUITE:BASIC:US-Y"]);
    let every = "/v1/products/PH-SUITE/skus/BASIC/availabilities";
    pages_match_whole(&t, p, every, 2, "catalogItemId", 3).await;

    // Offers of a country, for a partner and for a customer of that country: the same list.
    let us: usize = 9;
    let walked = pages_match_whole(&t, p, "/v1/offers?country=US", 5, "id", us).await;
    let mine = format!("/v1/customers/{}/offers", c.x.id);
    assert_eq!(
        pages_match_whole(&t, p, &mine, 5, "id", us).await,
        walked,
        "the customer's offers are its country's"
    );
    pages_match_whole(&t, p, "/v1/offers?country=KR", 4, "id", 6).await;
    let addons = "/v1/offers/PH-SUITE:BASIC:US-M/addons";
    pages_match_whole(&t, p, addons, 1, "id", 1).await;

    // The provider's price list, by product, SKU and country.
    let mut prices = Vec::new();
    for (product, sku) in [
        ("PH-SUITE", "BASIC"),
        ("PH-SUITE", "STANDARD"),
        ("PH-SUITE", "PREMIUM"),
        ("PH-ARCHIVE", "ARCHIVE"),
        ("PH-SECURE", "DEFENDER"),
    ] {
        for country in ["US", "KR"] {
            prices.push(json!({"productId": product, "skuId": sku, "country": country, "kind": "markup", "value": "10"}));
        }
    }
    let r = t
        .http
        .put(t.url("/v1/pricelists/provider"))
        .bearer_auth(p)
        .json(&prices)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let key = |v: &Value| {
        format!(
            "{}:{}:{}",
            v["productId"].as_str().unwrap(),
            v["skuId"].as_str().unwrap(),
            v["country"].as_str().unwrap()
        )
    };
    let all = whole(&t, p, "/v1/pricelists/provider", "productId").await;
    assert_eq!(all.len(), 10);
    let mut seen = Vec::new();
    for page in pages(&t, p, "/v1/pricelists/provider?size=3", 3).await {
        assert_eq!(page["totalCount"], 10, "{page}");
        seen.extend(page["items"].as_array().unwrap().iter().map(key));
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        seen, sorted,
        "each price once, in product, SKU, country order"
    );
    assert_eq!(seen.len(), 10);
}

#[tokio::test]
async fn invoices_their_lines_and_statements_page_to_the_end() {
    let t = TestApp::spawn().await;
    let c = channel(&t).await;
    let (_, op) = t.tenant(TenantKind::Operator, &[Role::OperatorAdmin]).await;
    // Three customers, one through each reseller, each with an annual subscription.
    let mut customers = vec![c.x.clone()];
    for r in &c.resellers[1..] {
        let (y, _, _) = customer_via(&t, r, Some(&c.p), &[], 365).await;
        customers.push(y);
    }
    for (i, (cust, r)) in customers.iter().zip(&c.resellers).enumerate() {
        for item in ["PH-SUITE:BASIC:US-Y", "PH-SUITE:STANDARD:US-Y"] {
            let (s, o) = order(
                &t,
                &c.p.token,
                cust,
                line(item, 2 + i as i64, Some(r.mpn)),
                None,
            )
            .await;
            assert_eq!(s, 201, "{o}");
        }
    }
    // Three months invoiced, one invoice each.
    for _ in 0..3 {
        let (start, end) = partnerhub::domain::commerce::month_of(t.clock.now_ms());
        t.clock.advance(chrono::Duration::milliseconds(
            end - t.clock.now_ms() + 1000,
        ));
        let month = chrono::DateTime::from_timestamp_millis(start)
            .unwrap()
            .format("%Y-%m")
            .to_string();
        let op_token = t.token(&op.upn).await;
        let (s, v) = t
            .post(
                "/v1/invoices/generate",
                &op_token,
                &json!({"period": month}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let p = t.token(&c.p.admin.upn).await;
    let walked = pages_match_whole(&t, &p, "/v1/invoices", 2, "id", 3).await;
    let (_, all) = t.get("/v1/invoices", &p).await;
    let starts: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["billingPeriodStartDate"].as_str().unwrap())
        .collect();
    let mut newest_first = starts.clone();
    newest_first.sort();
    newest_first.reverse();
    assert_eq!(starts, newest_first, "newest period first");
    // The last full month's invoice: six subscriptions, one line each.
    let inv = &walked[0];
    let lines = format!("/v1/invoices/{inv}/lineitems");
    let numbers = pages_match_whole(&t, &p, &lines, 4, "lineNumber", 6).await;
    let mut sorted: Vec<i64> = numbers.iter().map(|n| n.parse().unwrap()).collect();
    sorted.sort();
    assert_eq!(
        numbers,
        sorted.iter().map(|n| n.to_string()).collect::<Vec<_>>()
    );
    // One statement per reseller.
    let statements = format!("/v1/invoices/{inv}/statements");
    let walked = pages_match_whole(&t, &p, &statements, 1, "resellerMpnId", 3).await;
    let mut mpns: Vec<String> = c.resellers.iter().map(|r| r.mpn.to_string()).collect();
    mpns.sort();
    let mut got = walked.clone();
    got.sort();
    assert_eq!(got, mpns);
}

#[tokio::test]
async fn partners_grants_members_licenses_and_shared_customers_page_to_the_end() {
    let t = TestApp::spawn().await;
    let c = channel(&t).await;
    let x = &c.x;
    // X also accepts B and C (with the provider), each with user administration.
    for r in &c.resellers[1..] {
        let (s, req) = t
            .post(
                "/v1/customers/relationshiprequests",
                &r.token,
                &json!({"indirectCloudSolutionProviderId": c.p.tenant.id.to_string(),
                    "roles": ["user_administrator"], "durationDays": 100}),
            )
            .await;
        assert_eq!(s, 201, "{req}");
        let (s, b) = t
            .post(
                "/v1/customerinvitations/accept",
                &c.x_token,
                &json!({"token": link_token(req["url"].as_str().unwrap()), "consent": true}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    // The customer's partners: A, B, C and the provider, by name.
    let names = pages_match_whole(&t, &c.x_token, "/v1/customer/partners", 3, "name", 4).await;
    let seen_by_a = format!("/v1/customers/{}/relationships", x.id);
    assert_eq!(
        pages_match_whole(&t, &c.resellers[0].token, &seen_by_a, 3, "name", 4).await,
        names
    );
    // A ended relationship stays in the customer's list, after the active ones.
    let c_id = c.resellers[2].tenant.id;
    let r = t
        .http
        .delete(t.url(&format!("/v1/customer/partners/{c_id}")))
        .bearer_auth(&c.x_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let ids = pages_match_whole(&t, &c.x_token, "/v1/customer/partners", 3, "id", 4).await;
    assert_eq!(ids[3], c_id.to_string(), "ended last");
    pages_match_whole(&t, &c.resellers[0].token, &seen_by_a, 2, "name", 3).await;
    // Grants, newest first: every grant ever given, live or ended.
    let all = whole(&t, &c.x_token, "/v1/customer/grants", "id").await;
    assert!(all.len() >= 5, "{all:?}");
    pages_match_whole(&t, &c.x_token, "/v1/customer/grants", 2, "id", all.len()).await;

    // Five more users, all user administrators; each gets three licenses.
    for (n, item) in [
        "PH-SUITE:BASIC:US-M",
        "PH-SUITE:STANDARD:US-M",
        "PH-SECURE:DEFENDER:US-M",
    ]
    .iter()
    .enumerate()
    {
        let (s, o) = order(
            &t,
            &c.p.token,
            x,
            line(item, 10, Some(c.resellers[0].mpn)),
            None,
        )
        .await;
        assert_eq!(s, 201, "{n}: {o}");
    }
    let users = format!("/v1/customers/{}/users", x.id);
    let role = "fe930be7-5e62-47db-91af-98c3a49a38b1";
    let members = format!("/v1/customers/{}/directoryroles/{role}/usermembers", x.id);
    let mut last = String::new();
    for i in 0..5 {
        let (s, u) = t
            .post(
                &users,
                &c.x_token,
                &json!({"userPrincipalName": format!("user{i}@{}", x.domain), "displayName": format!("User {i}")}),
            )
            .await;
        assert_eq!(s, 201, "{u}");
        last = u["id"].as_str().unwrap().to_string();
        let (s, m) = t.post(&members, &c.x_token, &json!({"id": last})).await;
        assert_eq!(s, 201, "{m}");
    }
    let walked = pages_match_whole(&t, &c.x_token, &members, 2, "userPrincipalName", 5).await;
    let mut sorted = walked.clone();
    sorted.sort();
    assert_eq!(walked, sorted, "by sign-in name");
    let (s, v) = t
        .post(
            &format!("{users}/{last}/licenseupdates"),
            &c.p.token,
            &json!({"licensesToAssign": [{"skuId": "PH-SUITE:BASIC"}, {"skuId": "PH-SUITE:STANDARD"}, {"skuId": "PH-SECURE:DEFENDER"}]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let licenses = format!("{users}/{last}/licenses");
    pages_match_whole(&t, &c.p.token, &licenses, 2, "/productSku/id", 3).await;

    // Customers the provider and reseller A share: X and four more.
    for _ in 0..4 {
        customer_via(&t, &c.resellers[0], Some(&c.p), &[], 30).await;
    }
    let (_, rels) = t
        .get(
            "/v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf",
            &c.p.token,
        )
        .await;
    let a_id = c.resellers[0].tenant.id.to_string();
    let rel = rels["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == a_id.as_str())
        .expect("the partnership with A")["partnershipId"]
        .as_str()
        .unwrap()
        .to_string();
    let shared = format!("/v1/relationships/{rel}/customers");
    pages_match_whole(&t, &c.p.token, &shared, 2, "id", 5).await;
}
