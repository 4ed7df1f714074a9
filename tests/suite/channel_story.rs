//! The whole channel story through the API alone, as every role, with fresh organisations: a
//! reseller enrolls and authorizes a provider, a brand-new customer creates its directory and
//! accepts the reseller with delegated access, a second reseller joins the same customer under
//! the same provider, the provider orders naming each, the reseller assigns licenses; plus the
//! refusals that keep the channel rules true (and issue 13's rules on delegated access).

use crate::customers::partner_up;
use crate::enrollment::{application, with_smtp};
use crate::support::smtp::SmtpServer;
use crate::support::{assert_error_shape, Partner, TestApp, PASSWORD};
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::{json, Value};

const WRONG_RESELLER_OF_RECORD: u64 = 800016;
const AGREEMENT_NOT_ACCEPTED: u64 = 1105;
const WRONG_TENANT_KIND: u64 = 1102;
const GLOBAL_ADMIN_NOT_REQUESTABLE: u64 = 1111;
const LINK_NOT_USABLE: u64 = 3004;

/// The token of the first link in a mail, and the API line the mail gives for it.
fn link_and_api(mail: &Value) -> (String, String) {
    let text = mail["text"].as_str().unwrap();
    let i = text.find("token=").expect("a link with a token") + 6;
    let token = text[i..].split_whitespace().next().unwrap().to_string();
    let api = text
        .lines()
        .find(|l| l.contains("POST http"))
        .expect("the mail names the API call")
        .to_string();
    (token, api)
}

/// Follows the API line of a mail: `POST <url> <json body>`, with a bearer token if given.
async fn follow_api(t: &TestApp, line: &str, bearer: Option<&str>) -> (u16, Value) {
    let from = line.find("POST ").unwrap() + 5;
    let (url, body) = line[from..].split_once(' ').unwrap();
    assert!(url.starts_with(&t.base), "{url} is on this server");
    let body: Value = serde_json::from_str(body).expect("the API line carries a JSON body");
    let mut r = t.http.post(url).json(&body);
    if let Some(b) = bearer {
        r = r.bearer_auth(b);
    }
    let r = r.send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn code_at(secret: &[u8], unix: i64) -> String {
    partnerhub::crypto::totp(secret)
        .unwrap()
        .generate(unix as u64)
}

/// A new organisation by `POST /v1/tenants`; returns its tenant id and a token.
async fn new_tenant(t: &TestApp, domain: &str, name: &str, kind: &str) -> (String, String) {
    let r = t
        .http
        .post(t.url("/v1/tenants"))
        .json(&json!({
            "domain": domain, "displayName": name, "country": "US", "kind": kind,
            "admin": {"userPrincipalName": format!("admin@{domain}"), "displayName": "Admin", "password": PASSWORD}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["kind"], kind);
    let id = b["tenantId"].as_str().unwrap().to_string();
    (id, t.token(&format!("admin@{domain}")).await)
}

/// Steps 1-6: sign-up, enrollment with a membership, verification from the mailed link
/// (through the API line it names), operator approval, two-step setup, agreement.
/// Returns (tenant id, token of the admin agent after signing in with a second factor).
async fn enroll_reseller(t: &TestApp, smtp: &SmtpServer) -> (String, String) {
    let (tenant, token) = new_tenant(t, "trey.example", "Trey Research", "partner").await;
    let (s, e) = t
        .post(
            "/v1/enrollments",
            &token,
            &json!({"program": "indirect_reseller"}),
        )
        .await;
    assert_eq!(s, 201, "{e}");
    let id = e["id"].as_str().unwrap().to_string();
    let membership = format!("/v1/enrollments/{id}/membership");
    let (s, m) = t
        .post(
            &membership,
            &token,
            &json!({"username": "trey", "password": "Member-Pass-1"}),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    let (s, _) = t
        .put(&membership, &token, &json!({"profileId": 8100001}))
        .await;
    assert_eq!(s, 200);
    let (s, e) = t
        .post(
            &format!("/v1/enrollments/{id}/submit"),
            &token,
            &json!({"application": application("terry@trey.example")}),
        )
        .await;
    assert_eq!(s, 200, "{e}");
    let (link, api) = link_and_api(&smtp.wait_for("terry@trey.example").await);
    assert!(api.contains(&link) && api.contains("/v1/enrollments/verification"));
    let (s, e) = follow_api(t, &api, None).await;
    assert_eq!(
        (s, e["status"].as_str()),
        (200, Some("under_review")),
        "{e}"
    );
    let (_, op) = t.tenant(TenantKind::Operator, &[Role::OperatorAdmin]).await;
    let op = t.token(&op.upn).await;
    let (s, e) = t
        .post(&format!("/v1/enrollments/{id}/approve"), &op, &json!({}))
        .await;
    assert_eq!((s, e["status"].as_str()), (200, Some("authorized")), "{e}");
    // An admin agent now: a new token needs a second factor, set up through the API.
    let (s, _) = t.token_response("admin@trey.example", PASSWORD).await;
    assert_eq!(s, 400, "an admin agent needs two-step verification");
    let (s, setup) = t.post("/v1/me/mfa/setup", &token, &json!({})).await;
    assert_eq!(s, 200, "{setup}");
    let b32 = setup["secret"].as_str().unwrap();
    let secret = partnerhub::crypto::base32_decode(b32).unwrap();
    let now = t.clock.now().timestamp();
    let (s, b) = t
        .post(
            "/v1/me/mfa/confirm",
            &token,
            &json!({"secret": b32, "code": code_at(&secret, now)}),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    let r = t
        .http
        .post(t.url("/oauth2/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "admin@trey.example"),
            ("password", PASSWORD),
            ("mfa_code", &code_at(&secret, now + 30)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    // Before the agreement, a refusal says which precondition failed.
    let (s, b) = t
        .post("/v1/customers/relationshiprequests", &token, &json!({}))
        .await;
    assert_eq!(s, 403, "{b}");
    assert_eq!(assert_error_shape(&b), AGREEMENT_NOT_ACCEPTED);
    assert!(b["description"].as_str().unwrap().contains("agreement"));
    let (_, agreement) = t.get("/v1/agreements/current", &token).await;
    let (s, a) = t
        .post(
            "/v1/agreements/current/acceptance",
            &token,
            &json!({"version": agreement["version"]}),
        )
        .await;
    assert_eq!((s, a["accepted"].as_bool()), (200, Some(true)));
    (tenant, token)
}

/// Step 7-8: the provider invites by mail; the reseller authorizes it through the API line.
async fn provider_authorized(t: &TestApp, smtp: &SmtpServer, p: &Partner, reseller_token: &str) {
    let (s, inv) = t
        .post(
            "/v1/partnershipinvitations",
            &p.token,
            &json!({"resellerMpnId": 8100001, "email": "terry@trey.example", "send": true}),
        )
        .await;
    assert_eq!(s, 201, "{inv}");
    let mail = smtp
        .wait_for_subject("terry@trey.example", "invites you to partner")
        .await;
    let (link, api) = link_and_api(&mail);
    assert!(api.contains(&link) && api.contains("/v1/partnershipinvitations/accept"));
    let (s, rel) = follow_api(t, &api, Some(reseller_token)).await;
    assert_eq!(s, 201, "{rel}");
    assert_eq!(
        rel["id"],
        p.tenant.id.to_string(),
        "the provider's tenant id"
    );
    // The link works once.
    let (s, b) = follow_api(t, &api, Some(reseller_token)).await;
    assert_eq!(s, 409, "{b}");
}

fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().cloned().unwrap_or_default()
}

fn order(item: &str, qty: i64, reseller: Option<&str>) -> Value {
    json!({"lineItems": [{"lineItemNumber": 0, "catalogItemId": item, "quantity": qty, "partnerIdOnRecord": reseller}]})
}

/// Steps 9-10: both relationship lists carry the partner's tenant id as `id` (the partnership
/// id apart), and the reseller's own ids are in `/v1/profiles/mpn`.
async fn both_lists(t: &TestApp, p: &Partner, trey: &str, trey_token: &str) {
    let (s, theirs) = t.get("/v1/relationships", &p.token).await;
    assert_eq!(s, 200, "{theirs}");
    let mine = items(&theirs);
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["id"], trey);
    assert_eq!(mine[0]["mpnId"], "8100001");
    assert!(mine[0]["partnershipId"].as_str().is_some_and(|s| s != trey));
    let (_, ours) = t
        .get(
            "/v1/relationships?relationship_type=IsIndirectResellerOf",
            trey_token,
        )
        .await;
    assert_eq!(items(&ours)[0]["id"], p.tenant.id.to_string());
    // The item's id names the relationship too.
    let (s, one) = t.get(&format!("/v1/relationships/{trey}"), &p.token).await;
    assert_eq!((s, one["state"].as_str()), (200, Some("Active")), "{one}");
    let (_, me) = t.get("/v1/profiles/mpn", trey_token).await;
    assert_eq!(
        (
            me["mpnId"].as_str(),
            me["orgMpnId"].as_str(),
            me["tenantId"].as_str()
        ),
        (Some("8100001"), Some("8000001"), Some(trey))
    );
}

/// Steps 11-12: a relationship request with delegated roles, mailed; a brand-new customer
/// creates its directory through the API and accepts with explicit consent.
async fn new_customer_accepts(
    t: &TestApp,
    smtp: &SmtpServer,
    p: &Partner,
    trey_token: &str,
) -> (String, String) {
    let (s, req) = t
        .post(
            "/v1/customers/relationshiprequests",
            trey_token,
            &json!({"indirectCloudSolutionProviderId": p.tenant.id.to_string(),
                    "roles": ["user_administrator", "license_administrator"], "durationDays": 60,
                    "email": "it@fourthcoffee.example"}),
        )
        .await;
    assert_eq!(s, 201, "{req}");
    let (link, api) = link_and_api(&smtp.wait_for("it@fourthcoffee.example").await);
    assert!(api.contains(&link) && api.contains("/v1/customerinvitations/accept"));
    assert_eq!(req["token"], link.as_str());
    let (cust, ctoken) = new_tenant(t, "fourthcoffee.example", "Fourth Coffee", "customer").await;
    let (s, preview) = t
        .post(
            "/v1/customerinvitations/preview",
            &ctoken,
            &json!({"token": link}),
        )
        .await;
    assert_eq!((s, preview["durationDays"].as_i64()), (200, Some(60)));
    let (s, b) = t
        .post(
            "/v1/customerinvitations/accept",
            &ctoken,
            &json!({"token": link}),
        )
        .await;
    assert_eq!(s, 400, "delegated access needs explicit consent: {b}");
    assert_eq!(b["data"][0]["field"], "consent");
    // A partner cannot answer a customer's request, and the refusal says why.
    let (s, b) = follow_api(t, &api, Some(trey_token)).await;
    assert_eq!((s, assert_error_shape(&b)), (403, WRONG_TENANT_KIND), "{b}");
    assert!(b["description"].as_str().unwrap().contains("customer"));
    let (s, partners) = follow_api(t, &api, Some(&ctoken)).await;
    assert_eq!(
        (s, partners["totalCount"].as_i64()),
        (200, Some(2)),
        "{partners}"
    );
    // The consent is on record with its time and user.
    let (_, log) = t.get("/v1/auditrecords", &ctoken).await;
    assert!(
        log.to_string().contains("admin@fourthcoffee.example")
            && log.to_string().contains("consent"),
        "{log}"
    );
    // A reused link is refused, saying why.
    let (s, b) = follow_api(t, &api, Some(&ctoken)).await;
    assert_eq!((s, assert_error_shape(&b)), (409, LINK_NOT_USABLE));
    (cust, ctoken)
}

#[tokio::test]
async fn the_channel_story_runs_end_to_end_through_the_api() {
    let (t, smtp) = with_smtp().await;
    crate::commerce::load_catalog(&t).await;
    let (trey, trey_token) = enroll_reseller(&t, &smtp).await;
    let p = t.partner(true, false, "US").await;
    provider_authorized(&t, &smtp, &p, &trey_token).await;
    both_lists(&t, &p, &trey, &trey_token).await;
    let (cust, ctoken) = new_customer_accepts(&t, &smtp, &p, &trey_token).await;

    // A second reseller under the same provider serves the same customer.
    let second = t.partner(false, true, "US").await;
    partner_up(&t, &p, &second).await;
    let (s, req) = t
        .post(
            "/v1/customers/relationshiprequests",
            &second.token,
            &json!({"indirectCloudSolutionProviderId": p.mpn.to_string()}),
        )
        .await;
    assert_eq!(s, 201, "{req}");
    let (s, _) = t
        .post(
            "/v1/customerinvitations/accept",
            &ctoken,
            &json!({"token": req["token"]}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, mine) = t.get("/v1/customer/partners", &ctoken).await;
    assert_eq!(mine["totalCount"], 3, "{mine}");

    // Orders: with two resellers the provider must name one; each order names its own.
    let orders = format!("/v1/customers/{cust}/orders");
    let (s, b) = t
        .post(&orders, &p.token, &order("PH-SUITE:BASIC:US-M", 5, None))
        .await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["data"][0]["field"], "partnerIdOnRecord");
    let (s, o1) = t
        .post(
            &orders,
            &p.token,
            &order("PH-SUITE:BASIC:US-M", 5, Some(&trey)),
        )
        .await;
    assert_eq!(
        (s, o1["resellerId"].as_str()),
        (201, Some(trey.as_str())),
        "{o1}"
    );
    let second_mpn = second.mpn.to_string();
    let (s, o2) = t
        .post(
            &orders,
            &p.token,
            &order("PH-SUITE:BASIC:US-M", 2, Some(&second_mpn)),
        )
        .await;
    assert_eq!(s, 201, "{o2}");
    assert_eq!(o2["resellerId"], second.tenant.id.to_string());
    assert_eq!(o2["lineItems"][0]["partnerIdOnRecord"], second_mpn.as_str());

    // Refused: a reseller partnered with the provider but with no relationship to the customer.
    let stranger = t.partner(false, true, "US").await;
    partner_up(&t, &p, &stranger).await;
    let (s, b) = t
        .post(
            &orders,
            &p.token,
            &order("PH-SUITE:BASIC:US-M", 1, Some(&stranger.mpn.to_string())),
        )
        .await;
    assert_eq!(
        (s, assert_error_shape(&b)),
        (409, WRONG_RESELLER_OF_RECORD),
        "{b}"
    );
    assert!(b["description"].as_str().unwrap().contains("relationship"));
    // And that foreign reseller cannot read the customer.
    assert_eq!(
        t.get(&format!("/v1/customers/{cust}"), &stranger.token)
            .await
            .0,
        404
    );

    // The reseller administers licenses through its delegated grant.
    let (s, u) = t
        .post(
            &format!("/v1/customers/{cust}/users"),
            &trey_token,
            &json!({"userPrincipalName": "ann@fourthcoffee.example", "displayName": "Ann"}),
        )
        .await;
    assert_eq!(s, 201, "{u}");
    let (s, b) = t
        .post(
            &format!(
                "/v1/customers/{cust}/users/{}/licenseupdates",
                u["id"].as_str().unwrap()
            ),
            &trey_token,
            &json!({"licensesToAssign": [{"skuId": "PH-SUITE:BASIC"}]}),
        )
        .await;
    assert_eq!(s, 201, "{b}");

    // Lists on every side.
    for who in [&p.token, &trey_token, &second.token] {
        let (_, list) = t.get("/v1/customers", who).await;
        assert!(
            items(&list).iter().any(|c| c["id"] == cust.as_str()),
            "{list}"
        );
    }
    let (_, subs) = t
        .get(&format!("/v1/customers/{cust}/subscriptions"), &p.token)
        .await;
    let mut of_record: Vec<String> = items(&subs)
        .iter()
        .map(|s| s["partnerId"].as_str().unwrap_or_default().to_string())
        .collect();
    of_record.sort();
    let mut expected = vec!["8100001".to_string(), second_mpn.clone()];
    expected.sort();
    assert_eq!(of_record, expected, "each subscription names its reseller");
    let (_, skus) = t
        .get(&format!("/v1/customers/{cust}/subscribedskus"), &ctoken)
        .await;
    assert!(skus.to_string().contains("PH-SUITE"), "{skus}");
    t.shutdown().await;
}

/// Ending a partnership or a customer relationship leaves subscriptions billing and
/// visible, and stops new orders through that pair.
#[tokio::test]
async fn ending_a_partnership_or_relationship_keeps_subscriptions_and_stops_new_orders() {
    let t = TestApp::spawn().await;
    crate::commerce::load_catalog(&t).await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    let b = t.partner(false, true, "US").await;
    partner_up(&t, &p, &a).await;
    partner_up(&t, &p, &b).await;
    let (cust, _, ctoken) = crate::customers::customer_via(&t, &a, Some(&p), &[], 0).await;
    let (s, req) = t
        .post(
            "/v1/customers/relationshiprequests",
            &b.token,
            &json!({"indirectCloudSolutionProviderId": p.tenant.id.to_string()}),
        )
        .await;
    assert_eq!(s, 201);
    t.post(
        "/v1/customerinvitations/accept",
        &ctoken,
        &json!({"token": req["token"]}),
    )
    .await;
    let orders = format!("/v1/customers/{}/orders", cust.id);
    let a_id = a.tenant.id.to_string();
    let b_id = b.tenant.id.to_string();
    for r in [&a_id, &b_id] {
        let (s, o) = t
            .post(&orders, &p.token, &order("PH-SUITE:BASIC:US-M", 3, Some(r)))
            .await;
        assert_eq!(s, 201, "{o}");
    }
    // The provider ends its partnership with B (naming B by its tenant id).
    let (s, ended) = t
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/relationships/{b_id}"),
            &p.token,
            &json!({}),
        )
        .await;
    assert_eq!((s, ended["state"].as_str()), (200, Some("Terminated")));
    let (s, e) = t
        .post(
            &orders,
            &p.token,
            &order("PH-SUITE:BASIC:US-M", 1, Some(&b_id)),
        )
        .await;
    assert_eq!((s, assert_error_shape(&e)), (409, WRONG_RESELLER_OF_RECORD));
    // With B gone, A is the only reseller of record left and need not be named.
    let (s, o) = t
        .post(&orders, &p.token, &order("PH-SUITE:BASIC:US-M", 1, None))
        .await;
    assert_eq!((s, o["resellerId"].as_str()), (201, Some(a_id.as_str())));
    // The customer ends A (naming it by its partner-network id): no reseller of record is
    // left for this provider.
    let (s, _) = t
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/customer/partners/{}", a.mpn),
            &ctoken,
            &json!({}),
        )
        .await;
    assert!(s == 200 || s == 204, "{s}");
    let (s, e) = t
        .post(
            &orders,
            &p.token,
            &order("PH-SUITE:BASIC:US-M", 1, Some(&a_id)),
        )
        .await;
    assert_eq!((s, assert_error_shape(&e)), (409, WRONG_RESELLER_OF_RECORD));
    // Every subscription still bills and is visible, naming its reseller.
    let (_, subs) = t
        .get(
            &format!("/v1/customers/{}/subscriptions", cust.id),
            &p.token,
        )
        .await;
    let subs = items(&subs);
    assert_eq!(subs.len(), 3);
    assert!(subs.iter().all(|s| s["status"] == "active"), "{subs:?}");
    t.shutdown().await;
}

/// Issue 13, item 4: delegated access stays least-privilege and current.
#[tokio::test]
async fn delegated_access_requests_are_least_privilege_and_rechecked_at_acceptance() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    partner_up(&t, &p, &a).await;
    let requests = "/v1/customers/relationshiprequests";
    // A sales agent cannot ask for Global Administrator; an admin agent can, but never
    // auto-extended.
    let sales = t.user(&a.tenant, "sales", &[Role::SalesAgent]).await;
    let sales = t.token(&sales.upn).await;
    let ga = json!({"roles": ["global_administrator"], "durationDays": 30});
    let (s, b) = t.post(requests, &sales, &ga).await;
    assert_eq!(
        (s, assert_error_shape(&b)),
        (403, GLOBAL_ADMIN_NOT_REQUESTABLE)
    );
    let (s, _) = t
        .post(
            requests,
            &sales,
            &json!({"roles": ["user_administrator"], "durationDays": 30}),
        )
        .await;
    assert_eq!(s, 201, "other roles stay open to sales agents");
    let (s, b) = t
        .post(
            requests,
            &a.token,
            &json!({"roles": ["global_administrator"], "durationDays": 30, "autoExtend": true}),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["data"][0]["field"], "autoExtend");

    // A request naming the provider grants it nothing once the partnership ended.
    let (s, req) = t
        .post(
            requests,
            &a.token,
            &json!({"indirectCloudSolutionProviderId": p.tenant.id.to_string(),
                    "roles": ["user_administrator"], "durationDays": 30}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = t
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/relationships/{}", p.tenant.id),
            &a.token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let (cust, admin) = t.tenant(TenantKind::Customer, &[]).await;
    let ctoken = t.token(&admin.upn).await;
    let (s, partners) = t
        .post(
            "/v1/customerinvitations/accept",
            &ctoken,
            &json!({"token": req["token"], "consent": true}),
        )
        .await;
    assert_eq!(
        (s, partners["totalCount"].as_i64()),
        (200, Some(1)),
        "{partners}"
    );
    let (_, grants) = t.get("/v1/customer/grants", &ctoken).await;
    assert_eq!(grants["totalCount"], 1, "only the reseller: {grants}");
    assert_eq!(
        t.get(&format!("/v1/customers/{}", cust.id), &p.token)
            .await
            .0,
        404,
        "the ended provider sees nothing"
    );

    // Links can be withdrawn, and expire (30 days here, 90 at most).
    let (_, req) = t.post(requests, &a.token, &json!({})).await;
    let (s, _) = t
        .send(
            reqwest::Method::DELETE,
            &format!("{requests}/{}", req["id"].as_str().unwrap()),
            &a.token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 204);
    let (_, other) = t.tenant(TenantKind::Customer, &[]).await;
    // A fresh token each time: the clock moves past access-token lifetimes below.
    let accept = |token: Value| {
        let t = &t;
        let upn = other.upn.clone();
        async move {
            let bearer = t.token(&upn).await;
            t.post(
                "/v1/customerinvitations/accept",
                &bearer,
                &json!({"token": token}),
            )
            .await
        }
    };
    let (s, b) = accept(req["token"].clone()).await;
    assert_eq!((s, assert_error_shape(&b)), (409, LINK_NOT_USABLE));
    let (_, req) = t.post(requests, &a.token, &json!({})).await;
    let expires = chrono::DateTime::parse_from_rfc3339(req["expiresAt"].as_str().unwrap()).unwrap();
    assert!(expires.timestamp_millis() - t.clock.now_ms() <= 90 * 86_400_000);
    t.clock.advance(chrono::Duration::days(31));
    let (s, b) = accept(req["token"].clone()).await;
    assert_eq!((s, assert_error_shape(&b)), (409, LINK_NOT_USABLE));
    assert!(b["description"].as_str().unwrap().contains("expired"));
    let p_token = t.token(&p.admin.upn).await;
    let (s, b) = t
        .post(
            "/v1/partnershipinvitations",
            &p_token,
            &json!({"expiresInDays": 91}),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    t.shutdown().await;
}

/// A provider creates a customer for a reseller, naming it by the `id` its relationship list
/// gives; the customer's global administrator later claims the directory with the password
/// given once, sees its partners, and grants delegated access by accepting a request.
#[tokio::test]
async fn a_customer_created_by_a_provider_is_claimed_by_its_global_administrator() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    partner_up(&t, &p, &a).await;
    let (_, rels) = t.get("/v1/relationships", &p.token).await;
    let reseller_id = items(&rels)[0]["id"].as_str().unwrap().to_string();
    assert_eq!(reseller_id, a.tenant.id.to_string());
    let body = |domain: &str, partner: &str| {
        json!({"companyProfile": {"domain": domain, "companyName": "Alpine Ski House", "country": "US"},
               "associatedPartnerId": partner})
    };
    let (s, c) = t
        .post(
            "/v1/customers",
            &p.token,
            &body("alpine.example", &reseller_id),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["associatedPartnerId"], reseller_id.as_str());
    // The reseller's partner-network id names it just as well.
    let (s, c2) = t
        .post(
            "/v1/customers",
            &p.token,
            &body("alpine2.example", &a.mpn.to_string()),
        )
        .await;
    assert_eq!(
        (s, c2["associatedPartnerId"].as_str()),
        (201, Some(reseller_id.as_str()))
    );
    // The global administrator claims the directory with the credentials given once.
    let upn = c["userCredentials"]["userName"].as_str().unwrap();
    let password = c["userCredentials"]["password"].as_str().unwrap();
    let (s, tok) = t.token_response(upn, password).await;
    assert_eq!(s, 200, "{tok}");
    let ctoken = tok["access_token"].as_str().unwrap().to_string();
    let (_, partners) = t.get("/v1/customer/partners", &ctoken).await;
    assert_eq!(partners["totalCount"], 2, "{partners}");
    let (_, grants) = t.get("/v1/customer/grants", &ctoken).await;
    assert_eq!(
        grants["totalCount"], 0,
        "no delegated access without consent"
    );
    // As an existing customer it accepts a request for delegated access, with consent.
    let (_, req) = t
        .post(
            "/v1/customers/relationshiprequests",
            &a.token,
            &json!({"roles": ["helpdesk_administrator"], "durationDays": 10}),
        )
        .await;
    let (s, _) = t
        .post(
            "/v1/customerinvitations/accept",
            &ctoken,
            &json!({"token": req["token"], "consent": true}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, grants) = t.get("/v1/customer/grants", &ctoken).await;
    assert_eq!(grants["totalCount"], 1, "{grants}");
    t.shutdown().await;
}
