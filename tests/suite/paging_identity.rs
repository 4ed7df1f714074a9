//! Every identity and enrollment collection pages by keyset: small pages followed through
//! their `next` links (continuation in the `MS-ContinuationToken` header) give every item
//! exactly once, in order, with the right total.

use crate::support::paging::pages;
use crate::support::{TestApp, PASSWORD};
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::{json, Value};

/// Follows `next` links from `first` (pages of two) to the end; returns the items and each
/// page's total.
async fn walk(t: &TestApp, first: &str, token: &str) -> (Vec<Value>, Vec<i64>) {
    let (mut items, mut totals) = (Vec::new(), Vec::new());
    for page in pages(t, token, first, 2).await {
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        totals.push(page["totalCount"].as_i64().unwrap());
    }
    (items, totals)
}

fn field(items: &[Value], name: &str) -> Vec<String> {
    items
        .iter()
        .map(|i| i[name].as_str().unwrap().to_string())
        .collect()
}

fn once_each(ids: &[String]) {
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "an item appeared twice: {ids:?}");
}

#[tokio::test]
async fn users_page_by_sign_in_name_to_the_end() {
    let t = TestApp::spawn().await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    for local in ["erin", "bob", "dave", "carol", "frank"] {
        t.user(&tenant, local, &[Role::SalesAgent]).await;
    }
    let token = t.token(&admin.upn).await;
    let (items, totals) = walk(&t, "/v1/users?size=2", &token).await;
    let upns = field(&items, "userPrincipalName");
    once_each(&upns);
    let mut sorted = upns.clone();
    sorted.sort();
    assert_eq!(upns, sorted, "ordered by sign-in name");
    assert_eq!(upns.len(), 6);
    assert!(totals.iter().all(|n| *n == 6), "{totals:?}");
    assert!(totals.len() >= 3, "more than one page");
    // Roles come with every user of the page (read for the page at once).
    let sales = items
        .iter()
        .filter(|u| u["roles"] == json!(["sales_agent"]));
    assert_eq!(sales.count(), 5);
}

#[tokio::test]
async fn applications_page_in_registration_order_to_the_end() {
    let t = TestApp::spawn().await;
    let (_, admin) = t.tenant(TenantKind::Partner, &[]).await;
    let token = t.token(&admin.upn).await;
    let mut registered = Vec::new();
    for n in 0..5 {
        let (s, body) = t
            .post(
                "/v1/applications",
                &token,
                &json!({"displayName": format!("app {n}")}),
            )
            .await;
        assert_eq!(s, 201, "{body}");
        registered.push(body["id"].as_str().unwrap().to_string());
    }
    let (items, totals) = walk(&t, "/v1/applications?size=2", &token).await;
    let ids = field(&items, "id");
    once_each(&ids);
    let names = field(&items, "displayName");
    assert_eq!(names, ["app 0", "app 1", "app 2", "app 3", "app 4"]);
    assert_eq!(ids.len(), registered.len());
    assert_eq!(totals, [5, 5, 5]);
    assert!(items.iter().all(|a| a.get("clientSecret").is_none()));
}

async fn applicant(t: &TestApp, domain: &str, program: &str) -> String {
    let r = t.http.post(t.url("/v1/tenants")).json(&json!({
        "domain": domain, "displayName": format!("Org {domain}"), "country": "US",
        "admin": {"userPrincipalName": format!("admin@{domain}"), "displayName": "Admin", "password": PASSWORD}
    })).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let token = t.token(&format!("admin@{domain}")).await;
    let (s, body) = t
        .post("/v1/enrollments", &token, &json!({ "program": program }))
        .await;
    assert!(s == 200 || s == 201, "{s} {body}");
    token
}

#[tokio::test]
async fn the_review_queue_and_an_applicants_own_list_page_to_the_end() {
    let t = TestApp::spawn().await;
    let mut first = String::new();
    for n in 0..5 {
        let token = applicant(&t, &format!("paging{n}.example"), "indirect_reseller").await;
        if n == 0 {
            first = token;
        }
    }
    let (s, _) = t
        .post(
            "/v1/enrollments",
            &first,
            &json!({ "program": "indirect_provider" }),
        )
        .await;
    assert!(s == 200 || s == 201);
    let (_, op) = t.tenant(TenantKind::Operator, &[Role::OperatorAdmin]).await;
    let op = t.token(&op.upn).await;
    // The operator's queue: all six applications, oldest change first.
    let (items, totals) = walk(&t, "/v1/enrollments?size=2", &op).await;
    let ids = field(&items, "id");
    once_each(&ids);
    assert_eq!(ids.len(), 6);
    assert_eq!(totals, [6, 6, 6]);
    // Filtered by status, the continuation keeps the filter.
    let (drafts, totals) = walk(&t, "/v1/enrollments?status=draft&size=2", &op).await;
    assert_eq!(field(&drafts, "id"), ids);
    assert_eq!(totals, [6, 6, 6]);
    // An applicant pages through its own two applications only.
    let (own, totals) = walk(&t, "/v1/enrollments?size=1", &first).await;
    let own_ids = field(&own, "id");
    once_each(&own_ids);
    assert_eq!(own_ids.len(), 2);
    assert_eq!(totals, [2, 2]);
    assert!(own_ids.iter().all(|i| ids.contains(i)));
}
