//! The home page per role over HTTP: a partner's customers, seats and orders by month, seat
//! use per product, next steps that come and go with the state; the operator's review
//! queue by age; a customer's own seats and partners. Figures are read from the charts'
//! data tables, so what a screen reader gets is what is checked.

use crate::commerce::{line, load_catalog, order};
use crate::customers::{customer_via, link_token, partner_up};
use crate::portal_http::portal_session;
use crate::support::{Partner, TestApp};
use partnerhub::clock::DAY_MS;
use partnerhub::domain::figures::Month;
use partnerhub::domain::identity::TenantKind;
use serde_json::json;

const SUITE: &str = "PH-SUITE:STANDARD:US-M";

/// The portal home page as `upn` sees it (a fresh session, so the clock may have moved).
async fn home(t: &TestApp, upn: &str) -> String {
    let (cookie, _) = portal_session(t, upn).await;
    let r = t
        .http
        .get(t.url("/portal"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// The text of the headline figure `id`.
fn figure(html: &str, id: &str) -> String {
    let marker = format!("id=\"figure-{id}\">");
    let i = html
        .find(&marker)
        .unwrap_or_else(|| panic!("figure {id} in {html}"))
        + marker.len();
    html[i..].split('<').next().unwrap().to_string()
}

/// The rows of a chart's data table: the row's key and its cells' values.
fn chart_rows(html: &str, chart: &str) -> Vec<(String, Vec<i64>)> {
    let marker = format!("id=\"chart-{chart}-data\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("chart {chart} in {html}"));
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    table
        .split("<tr data-key=\"")
        .skip(1)
        .map(|row| {
            let key = row.split('"').next().unwrap().to_string();
            let values = row
                .split("<td data-value=\"")
                .skip(1)
                .map(|c| c.split('"').next().unwrap().parse().unwrap())
                .collect();
            (key, values)
        })
        .collect()
}

/// The value a monthly chart shows for `month` (its only column).
fn in_month(rows: &[(String, Vec<i64>)], month: Month) -> i64 {
    rows.iter()
        .find(|(k, _)| *k == month.key())
        .unwrap_or_else(|| panic!("{} in {rows:?}", month.key()))
        .1[0]
}

/// The next steps shown, by their `data-step` code.
fn steps(html: &str) -> Vec<String> {
    html.split("data-step=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

/// A reseller's order of `qty` seats of the suite for `customer`, billed to `provider`.
async fn buy(
    t: &TestApp,
    reseller: &Partner,
    provider: &Partner,
    customer: &partnerhub::app::store::identity::TenantRow,
    qty: i64,
) {
    let token = t.token(&reseller.admin.upn).await;
    let mut body = line(SUITE, qty, None);
    body["providerId"] = json!(provider.tenant.id.to_string());
    let (s, o) = order(t, &token, customer, body, None).await;
    assert_eq!(s, 201, "{o}");
}

/// Moves the clock to the second day of next month.
fn to_next_month(t: &TestApp) {
    let now = t.clock.now_ms();
    let target = Month::of(now).next().start_ms() + DAY_MS;
    t.clock
        .advance(chrono::Duration::milliseconds(target - now));
}

#[tokio::test]
async fn a_partner_sees_its_own_customers_seats_and_orders_by_month_and_no_one_elses() {
    let t = TestApp::spawn().await;
    load_catalog(&t).await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    let b = t.partner(false, true, "US").await;
    partner_up(&t, &p, &a).await;
    partner_up(&t, &p, &b).await;
    let roles = ["license_administrator", "user_administrator"];
    let mut xs = Vec::new();
    for _ in 0..3 {
        xs.push(customer_via(&t, &a, Some(&p), &roles, 365).await);
    }
    // B's customer and order: never counted for A, counted for the provider they share.
    let y = customer_via(&t, &b, Some(&p), &roles, 365).await;
    let first = Month::of(t.clock.now_ms());
    buy(&t, &a, &p, &xs[0].0, 10).await;
    buy(&t, &a, &p, &xs[1].0, 5).await;
    buy(&t, &b, &p, &y.0, 7).await;
    // Two of X1's users get a license of the suite.
    let a_token = t.token(&a.admin.upn).await;
    for n in ["u1", "u2"] {
        let u = t.user(&xs[0].0, n, &[]).await;
        let (s, r) = t
            .post(
                &format!("/v1/customers/{}/users/{}/licenseupdates", xs[0].0.id, u.id),
                &a_token,
                &json!({"licensesToAssign": [{"skuId": "PH-SUITE:STANDARD"}]}),
            )
            .await;
        assert_eq!(s, 201, "{r}");
    }
    to_next_month(&t);
    let second = first.next();
    buy(&t, &a, &p, &xs[2].0, 4).await;

    let html = home(&t, &a.admin.upn).await;
    assert_eq!(figure(&html, "customers"), "3");
    assert_eq!(figure(&html, "subscriptions"), "3");
    assert_eq!(figure(&html, "seats"), "19");
    let orders = chart_rows(&html, "orders");
    assert_eq!(orders.len(), 12, "twelve months: {orders:?}");
    assert_eq!(
        orders.last().unwrap().0,
        second.key(),
        "the current month is last"
    );
    assert_eq!(in_month(&orders, first), 2);
    assert_eq!(in_month(&orders, second), 1);
    assert_eq!(orders.iter().map(|r| r.1[0]).sum::<i64>(), 3, "{orders:?}");
    let customers = chart_rows(&html, "customers");
    assert_eq!(in_month(&customers, first.prev()), 0);
    assert_eq!(in_month(&customers, first), 3);
    assert_eq!(in_month(&customers, second), 3);
    let seats = chart_rows(&html, "seats");
    assert_eq!(in_month(&seats, first.prev()), 0);
    assert_eq!(in_month(&seats, first), 15);
    assert_eq!(in_month(&seats, second), 19);
    let seat_use = chart_rows(&html, "seat-use");
    assert_eq!(seat_use, vec![("PH-SUITE".to_string(), vec![2, 19])]);
    // The SVG marks carry the same figures.
    assert!(html.contains("<rect class=\"track\"") && html.contains("data-value=\"19\""));
    assert!(!html.contains("style="), "no inline style");

    // The provider counts both resellers' business; B's own page counts only B's.
    let html = home(&t, &p.admin.upn).await;
    assert_eq!(figure(&html, "customers"), "4");
    assert_eq!(figure(&html, "seats"), "26");
    assert_eq!(in_month(&chart_rows(&html, "orders"), first), 3);
    let html = home(&t, &b.admin.upn).await;
    assert_eq!(figure(&html, "customers"), "1");
    assert_eq!(figure(&html, "seats"), "7");
    assert_eq!(
        chart_rows(&html, "seat-use"),
        vec![("PH-SUITE".to_string(), vec![0, 7])]
    );

    // The customer sees its own seats and who serves it; the other customers' seats never.
    let html = home(&t, &xs[0].1.upn).await;
    assert_eq!(figure(&html, "subscriptions"), "1");
    assert_eq!(figure(&html, "seats"), "10");
    assert_eq!(figure(&html, "assigned"), "2");
    assert_eq!(
        chart_rows(&html, "seat-use"),
        vec![("PH-SUITE".to_string(), vec![2, 10])]
    );
    assert_eq!(html.matches("class=\"serving-partner\"").count(), 2);
    let serves = |who: &Partner| html.contains(&format!("data-partner=\"{}\"", who.tenant.id));
    assert!(serves(&a) && serves(&p) && !serves(&b));
    t.shutdown().await;
}

#[tokio::test]
async fn next_steps_come_with_waiting_work_and_go_when_it_is_done() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let r = t.partner(false, true, "US").await;
    let before = home(&t, &r.admin.upn).await;
    assert_eq!(
        steps(&before),
        vec!["two-step"],
        "only two-step verification waits"
    );

    // The provider names the reseller in an invitation: both see it waiting.
    let (s, inv) = t
        .post(
            "/v1/partnershipinvitations",
            &p.token,
            &json!({"resellerMpnId": r.mpn}),
        )
        .await;
    assert_eq!(s, 201, "{inv}");
    let html = home(&t, &r.admin.upn).await;
    assert!(
        steps(&html).contains(&"invitation-received".to_string()),
        "{html}"
    );
    assert!(html.contains(&format!("{} invited you", p.tenant.display_name)));
    let html = home(&t, &p.admin.upn).await;
    assert!(steps(&html).contains(&"invitations-sent".to_string()));
    assert!(html.contains("wait for an answer: 1."), "{html}");

    // A request to a customer waits until the customer accepts; access ending within 30 days
    // is flagged.
    let (s, req) = t
        .post(
            "/v1/customers/relationshiprequests",
            &r.token,
            &json!({"roles": ["user_administrator"], "durationDays": 20}),
        )
        .await;
    assert_eq!(s, 201, "{req}");
    let html = home(&t, &r.admin.upn).await;
    assert!(steps(&html).contains(&"customers-awaiting".to_string()));
    assert!(!steps(&html).contains(&"grants-expiring".to_string()));

    // Answered: the reseller accepts the invitation and the customer the request.
    let (s, b) = t
        .post(
            "/v1/partnershipinvitations/accept",
            &r.token,
            &json!({"token": link_token(inv["url"].as_str().unwrap()), "consent": true}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (_, admin) = t.tenant(TenantKind::Customer, &[]).await;
    let c_token = t.token(&admin.upn).await;
    let (s, b) = t
        .post(
            "/v1/customerinvitations/accept",
            &c_token,
            &json!({"token": link_token(req["url"].as_str().unwrap()), "consent": true}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let html = home(&t, &r.admin.upn).await;
    assert_eq!(steps(&html), vec!["two-step", "grants-expiring"], "{html}");
    assert!(html.contains("in the next 30 days: 1 customers"), "{html}");
    let html = home(&t, &p.admin.upn).await;
    assert!(!steps(&html).contains(&"invitations-sent".to_string()));
    t.shutdown().await;
}

/// An application of a new organisation brought to review (membership, profile, submit,
/// verified address); returns its id.
async fn under_review(t: &TestApp, membership: &str, profile: i64) -> String {
    let domain = format!(
        "app-{}.example",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let r = t.http.post(t.url("/v1/tenants")).json(&json!({
        "domain": domain, "displayName": format!("Applicant {membership}"), "country": "US",
        "admin": {"userPrincipalName": format!("admin@{domain}"), "displayName": "Applicant", "password": crate::support::PASSWORD}
    })).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let token = t.token(&format!("admin@{domain}")).await;
    let (_, e) = t
        .post(
            "/v1/enrollments",
            &token,
            &json!({"program": "indirect_reseller"}),
        )
        .await;
    let id = e["id"].as_str().unwrap().to_string();
    let path = format!("/v1/enrollments/{id}/membership");
    let (s, _) = t
        .post(
            &path,
            &token,
            &json!({"username": membership, "password": "Member-Pass-1"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = t.put(&path, &token, &json!({"profileId": profile})).await;
    assert_eq!(s, 200);
    let contact = format!("ops@{domain}");
    let (s, e) = t
        .post(
            &format!("/v1/enrollments/{id}/submit"),
            &token,
            &json!({"application": crate::enrollment::application(&contact)}),
        )
        .await;
    assert_eq!(s, 200, "{e}");
    // The mailed link's token is not readable here: a link of the same purpose stands in.
    let link = partnerhub::crypto::random_token(32);
    let mut tx = t.app.db.begin().await.unwrap();
    partnerhub::app::store::links::insert(
        &mut tx,
        &partnerhub::crypto::token_hash(&link),
        partnerhub::app::enrollment::VERIFY_PURPOSE,
        &id,
        0,
        i64::MAX / 2,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(partnerhub::app::enrollment::verify_email(&t.app, &link)
        .await
        .unwrap()
        .is_ok());
    id
}

#[tokio::test]
async fn the_operator_sees_the_queue_by_age_the_oldest_and_this_months_decisions() {
    let t = TestApp::spawn().await;
    partnerhub::app::memberships::import(&t.app, None, crate::enrollment::MEMBERSHIPS.as_bytes())
        .await
        .unwrap();
    let (_, op) = t
        .tenant(
            TenantKind::Operator,
            &[partnerhub::domain::identity::Role::OperatorAdmin],
        )
        .await;
    let empty = home(&t, &op.upn).await;
    assert_eq!(figure(&empty, "queue"), "0");
    assert!(empty.contains("id=\"oldest-empty\""));
    assert!(!steps(&empty).contains(&"review".to_string()));

    let old = under_review(&t, "trey", 8100001).await;
    t.clock.advance(chrono::Duration::days(4));
    let young = under_review(&t, "wideworld", 8100003).await;
    let html = home(&t, &op.upn).await;
    assert_eq!(figure(&html, "queue"), "2");
    let ages = chart_rows(&html, "queue-age");
    let keys: Vec<&str> = ages.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["under_1d", "1d_3d", "3d_7d", "7d_14d", "over_14d"]);
    let counts: Vec<i64> = ages.iter().map(|(_, v)| v[0]).collect();
    assert_eq!(counts, [1, 0, 1, 0, 0]);
    assert!(html.contains(&format!("href=\"/portal/operator/enrollments/{old}\"")));
    assert!(html.contains("has waited 4 days"), "{html}");
    assert!(steps(&html).contains(&"review".to_string()));

    // A decision leaves the queue and counts for this month.
    let op_token = t.token(&op.upn).await;
    let (s, b) = t
        .post(
            &format!("/v1/enrollments/{young}/approve"),
            &op_token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let html = home(&t, &op.upn).await;
    assert_eq!(figure(&html, "queue"), "1");
    assert_eq!(figure(&html, "authorized"), "1");
    assert_eq!(figure(&html, "rejected"), "0");
    t.shutdown().await;
}

#[tokio::test]
async fn the_dashboard_speaks_korean_with_korean_months() {
    let t = TestApp::spawn().await;
    let a = t.partner(false, true, "KR").await;
    let (cookie, csrf) = portal_session(&t, &a.admin.upn).await;
    crate::portal_http::set_language(&t, &cookie, &csrf, "ko-KR").await;
    let html = t
        .http
        .get(t.url("/portal"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let now = Month::of(t.clock.now_ms());
    assert!(html.contains("다음에 할 일"), "{html}");
    assert!(
        html.contains(&format!("{}년 {}월", now.year, now.month)),
        "{html}"
    );
    assert!(html.contains("최근 12개월 고객 수"));
    assert!(!html.contains("dashboard."), "no key on screen");
    t.shutdown().await;
}
