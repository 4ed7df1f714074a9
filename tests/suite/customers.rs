//! Customers by API: relationship requests, acceptance, delegated admin, the customer
//! record, users, roles, licenses, and who may touch what.

use crate::support::{assert_error_shape, Partner, TestApp, PASSWORD};
use partnerhub::app::store::identity::{TenantRow, UserRow};
use partnerhub::domain::identity::TenantKind;
use serde_json::{json, Value};

pub struct World {
    pub p: Partner,
    pub q: Partner,
    pub a: Partner,
    pub b: Partner,
    pub x: (TenantRow, UserRow, String),
    pub y: (TenantRow, UserRow, String),
}

/// Provider P partnered with reseller A; provider Q and reseller B unrelated. Customer X
/// accepted A and P with `roles`; customer Y accepted B alone.
pub async fn world(t: &TestApp, roles: &[&str]) -> World {
    let p = t.partner(true, false, "US").await;
    let q = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    let b = t.partner(false, true, "US").await;
    partner_up(t, &p, &a).await;
    let x = customer_via(t, &a, Some(&p), roles, 30).await;
    let y = customer_via(t, &b, None, roles, 30).await;
    World { p, q, a, b, x, y }
}

/// The same world with grants that outlast a month.
pub async fn long_world(t: &TestApp, roles: &[&str]) -> World {
    let p = t.partner(true, false, "US").await;
    let q = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    let b = t.partner(false, true, "US").await;
    partner_up(t, &p, &a).await;
    let x = customer_via(t, &a, Some(&p), roles, 365).await;
    let y = customer_via(t, &b, None, roles, 365).await;
    World { p, q, a, b, x, y }
}

pub async fn partner_up(t: &TestApp, p: &Partner, r: &Partner) {
    let (s, inv) = t
        .post("/v1/partnershipinvitations", &p.token, &json!({}))
        .await;
    assert_eq!(s, 201, "{inv}");
    let link = inv["url"]
        .as_str()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_string();
    let (s, rel) = t
        .post(
            "/v1/partnershipinvitations/accept",
            &r.token,
            &json!({"token": link, "consent": true}),
        )
        .await;
    assert_eq!(s, 201, "{rel}");
}

pub fn link_token(url: &str) -> String {
    url.split("token=").nth(1).unwrap().to_string()
}

/// A new customer tenant that accepts `reseller` (and `provider`) with `roles` for `days`.
pub async fn customer_via(
    t: &TestApp,
    reseller: &Partner,
    provider: Option<&Partner>,
    roles: &[&str],
    days: i64,
) -> (TenantRow, UserRow, String) {
    let (s, req) = t
        .post(
            "/v1/customers/relationshiprequests",
            &reseller.token,
            &json!({
                "indirectCloudSolutionProviderId": provider.map(|p| p.tenant.id.to_string()),
                "roles": roles, "durationDays": days
            }),
        )
        .await;
    assert_eq!(s, 201, "{req}");
    let (tenant, admin) = t.tenant(TenantKind::Customer, &[]).await;
    let token = t.token(&admin.upn).await;
    let (s, b) = t
        .post(
            "/v1/customerinvitations/accept",
            &token,
            &json!({"token": link_token(req["url"].as_str().unwrap()), "consent": true}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    (tenant, admin, token)
}

/// The company names of a customer collection's items, in order.
fn company_names(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["companyProfile"]["companyName"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// The caller's customers whose company name starts with `prefix`.
fn company_filter(prefix: &str) -> String {
    let filter =
        format!(r#"{{"Field":"CompanyName","Value":"{prefix}","Operator":"starts_with"}}"#);
    format!(
        "/v1/customers?filter={}",
        partnerhub::portal::session::url_escape(&filter)
    )
}

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_customer_accepts_a_reseller_and_its_provider_with_one_link() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    partner_up(&t, &p, &a).await;
    let (s, req) = t.get(&format!("/v1/customers/relationshiprequests?indirectCloudSolutionProviderId={}&roles=user_administrator,helpdesk_administrator&durationDays=60", p.tenant.id), &a.token).await;
    assert_eq!(s, 200, "{req}");
    assert_eq!(req["attributes"]["objectType"], "RelationshipRequest");
    let link = link_token(req["url"].as_str().unwrap());
    let (cust, admin) = t.tenant(TenantKind::Customer, &[]).await;
    let token = t.token(&admin.upn).await;
    let (s, preview) = t
        .post(
            "/v1/customerinvitations/preview",
            &token,
            &json!({"token": link}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(preview["reseller"], a.tenant.display_name.as_str());
    assert_eq!(preview["provider"], p.tenant.display_name.as_str());
    assert_eq!(
        preview["roles"],
        json!(["user_administrator", "helpdesk_administrator"])
    );
    assert_eq!(preview["durationDays"], 60);
    // A partner cannot accept a customer's request.
    assert_eq!(
        t.post(
            "/v1/customerinvitations/accept",
            &a.token,
            &json!({"token": link, "consent": true})
        )
        .await
        .0,
        403
    );
    let (s, partners) = t
        .post(
            "/v1/customerinvitations/accept",
            &token,
            &json!({"token": link, "consent": true}),
        )
        .await;
    assert_eq!(s, 200, "{partners}");
    assert_eq!(partners["totalCount"], 2);
    // Both partners see the customer at once; the provider sees it under the reseller.
    let (_, mine) = t.get("/v1/customers", &a.token).await;
    assert_eq!(ids(&mine), [cust.id.to_string()]);
    let (_, theirs) = t.get("/v1/customers", &p.token).await;
    assert_eq!(
        theirs["items"][0]["associatedPartnerId"],
        a.tenant.id.to_string()
    );
    let (_, rels) = t
        .get(
            &format!("/v1/customers/{}/relationships", cust.id),
            &p.token,
        )
        .await;
    assert_eq!(rels["totalCount"], 2);
    let (_, one) = t.get(&format!("/v1/customers/{}", cust.id), &a.token).await;
    assert_eq!(
        (
            one["relationshipToPartner"].as_str(),
            one["allowDelegatedAccess"].as_bool()
        ),
        (Some("reseller"), Some(true))
    );
    // The link cannot be used again, by this or another tenant.
    let (_, other) = t.tenant(TenantKind::Customer, &[]).await;
    let other_token = t.token(&other.upn).await;
    let (s, b) = t
        .post(
            "/v1/customerinvitations/accept",
            &other_token,
            &json!({"token": link, "consent": true}),
        )
        .await;
    assert_eq!(s, 409);
    assert_error_shape(&b);
    // The customer sees its partners and grants; the shared-customers view has it.
    let (_, grants) = t.get("/v1/customer/grants", &token).await;
    assert_eq!(grants["totalCount"], 2);
    let (_, rel) = t
        .get(
            "/v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf",
            &p.token,
        )
        .await;
    let (_, shared) = t
        .get(
            &format!(
                "/v1/relationships/{}/customers",
                rel["items"][0]["partnershipId"].as_str().unwrap()
            ),
            &a.token,
        )
        .await;
    assert_eq!(ids(&shared), [cust.id.to_string()]);
    use sqlx::Row;
    let events: i64 = sqlx::query("SELECT COUNT(*) FROM outbox WHERE topic = 'event' AND payload LIKE '%accepted-by-customer%'").fetch_one(&t.app.db.read).await.unwrap().get(0);
    assert_eq!(events, 2);
}

#[tokio::test]
async fn requests_are_validated_and_only_for_own_providers() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    let post = |body: Value| {
        let t = &t;
        let tok = a.token.clone();
        async move {
            t.post("/v1/customers/relationshiprequests", &tok, &body)
                .await
        }
    };
    let (s, b) = post(json!({"indirectCloudSolutionProviderId": p.tenant.id.to_string()})).await;
    assert_eq!(
        (s, b["data"][0]["field"].as_str()),
        (400, Some("indirectCloudSolutionProviderId")),
        "not partnered yet"
    );
    let (s, b) = post(json!({"roles": ["user_administrator"], "durationDays": 731})).await;
    assert_eq!(
        (s, b["data"][0]["field"].as_str()),
        (400, Some("durationDays"))
    );
    let (s, b) = post(json!({"roles": ["root"], "durationDays": 10})).await;
    assert_eq!((s, b["data"][0]["field"].as_str()), (400, Some("roles")));
    let (s, _) = post(json!({"roles": [], "email": "ceo@customer.example"})).await;
    assert_eq!(s, 201);
    t.mail_settled().await;
    let mail = partnerhub::app::store::mailbox::list(&t.app.db, Some("ceo@customer.example"), 5)
        .await
        .unwrap();
    assert!(mail[0]
        .text_body
        .contains("No administrative access is requested."));
    // Providers do not send reseller requests.
    assert_eq!(
        t.post("/v1/customers/relationshiprequests", &p.token, &json!({}))
            .await
            .0,
        403
    );
}

/// A route and its expected status for (partners with access, without, the customer itself).
type Route = (reqwest::Method, String, Option<Value>, (u16, u16, u16));

/// (caller, expected status) for one request, per actor of the world.
async fn check(
    t: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
    expected: &[(&str, &str, u16)],
) -> usize {
    let mut checked = 0;
    for (name, token, want) in expected {
        let mut r = t.http.request(method.clone(), t.url(path));
        if !token.is_empty() {
            r = r.bearer_auth(token);
        }
        if let Some(b) = &body {
            r = r.json(b);
        }
        let got = r.send().await.unwrap().status().as_u16();
        assert_eq!(got, *want, "{name} {method} {path}");
        checked += 1;
    }
    checked
}

#[tokio::test]
async fn every_customer_route_is_closed_to_partners_without_a_relationship() {
    let t = TestApp::spawn().await;
    let w = world(&t, &["user_administrator", "license_administrator"]).await;
    let x = w.x.0.id;
    let (_, xuser) = t
        .post(
            &format!("/v1/customers/{x}/users"),
            &w.a.token,
            &json!({"userPrincipalName": format!("ann@{}", w.x.0.domain), "displayName": "Ann"}),
        )
        .await;
    let uid = xuser["id"].as_str().unwrap().to_string();
    // Readable table: A (reseller with grant), P (its provider, same grant), B (other
    // reseller), Q (other provider), X's admin, Y's admin, anonymous.
    let actors = |ok: u16, no: u16, own: u16| -> Vec<(&str, String, u16)> {
        vec![
            ("reseller A", w.a.token.clone(), ok),
            ("provider P", w.p.token.clone(), ok),
            ("reseller B", w.b.token.clone(), no),
            ("provider Q", w.q.token.clone(), no),
            ("customer X", w.x.2.clone(), own),
            ("customer Y", w.y.2.clone(), no),
            ("anonymous", String::new(), 401),
        ]
    };
    let routes: Vec<Route> = vec![
        (
            reqwest::Method::GET,
            format!("/v1/customers/{x}"),
            None,
            (200, 404, 200),
        ),
        (
            reqwest::Method::GET,
            format!("/v1/customers/{x}/relationships"),
            None,
            (200, 404, 200),
        ),
        (
            reqwest::Method::GET,
            format!("/v1/customers/{x}/profiles/company"),
            None,
            (200, 404, 200),
        ),
        (
            reqwest::Method::GET,
            format!("/v1/customers/{x}/profiles/billing"),
            None,
            (200, 404, 200),
        ),
        (
            reqwest::Method::GET,
            format!("/v1/customers/{x}/users"),
            None,
            (200, 404, 200),
        ),
        (
            reqwest::Method::GET,
            format!("/v1/customers/{x}/users/{uid}"),
            None,
            (200, 404, 200),
        ),
        (
            reqwest::Method::GET,
            format!("/v1/customers/{x}/directoryroles"),
            None,
            (200, 404, 200),
        ),
        (
            reqwest::Method::GET,
            format!("/v1/customers/{x}/subscribedskus"),
            None,
            (200, 404, 200),
        ),
        (
            reqwest::Method::GET,
            format!("/v1/customers/{x}/users/{uid}/licenses"),
            None,
            (200, 404, 200),
        ),
        (
            reqwest::Method::PATCH,
            format!("/v1/customers/{x}/users/{uid}"),
            Some(json!({"displayName": "Ann B"})),
            (200, 404, 200),
        ),
    ];
    let mut n = 0;
    for (m, path, body, (ok, no, own)) in routes {
        let list = actors(ok, no, own);
        let expected: Vec<(&str, &str, u16)> = list
            .iter()
            .map(|(a, tok, s)| (*a, tok.as_str(), *s))
            .collect();
        n += check(&t, m, &path, body, &expected).await;
    }
    // Grants with user administrator do not reach directory roles (global admin only).
    let role = "62e90394-69f5-4237-9190-012177145e10";
    n += check(
        &t,
        reqwest::Method::POST,
        &format!("/v1/customers/{x}/directoryroles/{role}/usermembers"),
        Some(json!({"id": uid})),
        &[
            ("reseller A", &w.a.token, 403),
            ("reseller B", &w.b.token, 404),
            ("customer X", &w.x.2, 201),
        ],
    )
    .await;
    // Ending a relationship: only the partner that has it.
    n += check(
        &t,
        reqwest::Method::PATCH,
        &format!("/v1/customers/{x}"),
        Some(json!({"relationshipToPartner": "none"})),
        &[
            ("reseller B", &w.b.token, 404),
            ("provider Q", &w.q.token, 404),
            ("customer Y", &w.y.2, 404),
        ],
    )
    .await;
    println!("customer authorization matrix: {n} checks");
    // Lists never show another partner's customers.
    let (_, b_list) = t.get("/v1/customers", &w.b.token).await;
    assert_eq!(ids(&b_list), [w.y.0.id.to_string()]);
    let (_, q_list) = t.get("/v1/customers", &w.q.token).await;
    assert_eq!(q_list["totalCount"], 0);
}

#[tokio::test]
async fn customer_lists_filter_and_page_with_continuation_tokens() {
    let t = TestApp::spawn().await;
    let a = t.partner(false, true, "US").await;
    for _ in 0..7 {
        customer_via(&t, &a, None, &[], 0).await;
    }
    let (_, all) = t.get("/v1/customers?size=3", &a.token).await;
    assert_eq!(all["totalCount"], 7);
    assert_eq!(all["items"].as_array().unwrap().len(), 3);
    let mut seen = ids(&all);
    let mut next = all["links"]["next"]["headers"][0]["value"]
        .as_str()
        .map(str::to_string);
    while let Some(tok) = next {
        let body: Value = t
            .http
            .get(t.url("/v1/customers?size=3"))
            .bearer_auth(&a.token)
            .header("MS-ContinuationToken", tok)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen.extend(ids(&body));
        next = body["links"]["next"]["headers"][0]["value"]
            .as_str()
            .map(str::to_string);
    }
    assert_eq!(seen.len(), 7);
    let names = company_names(&t.get("/v1/customers", &a.token).await.1);
    let first = &names[0];
    let prefix = first[..first.len() - 1].to_lowercase();
    let (s, filtered) = t.get(&company_filter(&prefix), &a.token).await;
    assert_eq!(s, 200);
    assert!(filtered["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["companyProfile"]["companyName"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .starts_with(&prefix)));
    assert!(filtered["totalCount"].as_i64().unwrap() >= 1);
    let (s, b) = t
        .get(
            "/v1/customers?filter=%7B%22Field%22%3A%22Password%22%2C%22Value%22%3A%22x%22%7D",
            &a.token,
        )
        .await;
    assert_eq!(s, 400);
    assert_error_shape(&b);
}

/// A password reset with a password the policy refuses is a 400 naming the field and changes
/// nothing: the old password still signs in and the user's sign-ins are not ended. A reset of
/// a user that is not there is a 404 whatever the password (the new password is hashed before
/// the transaction, but refused only after the user is found).
#[tokio::test]
async fn a_refused_password_reset_names_the_field_and_keeps_the_old_password() {
    let t = TestApp::spawn().await;
    let w = world(&t, &["helpdesk_administrator"]).await;
    let x = &w.x.0;
    let bob = t.user(x, "bob", &[]).await;
    let users = format!("/v1/customers/{}/users", x.id);
    let (_, before) = t.token_response(&bob.upn, PASSWORD).await;
    let (s, b) = t
        .patch(
            &format!("{users}/{}", bob.id),
            &w.a.token,
            &json!({"passwordProfile": {"password": "short"}}),
        )
        .await;
    assert_eq!(
        (s, b["data"][0]["field"].as_str()),
        (400, Some("passwordProfile.password"))
    );
    assert_error_shape(&b);
    assert_eq!(t.token_response(&bob.upn, PASSWORD).await.0, 200);
    let refresh = before["refresh_token"].as_str().expect("a refresh token");
    let r = t
        .http
        .post(t.url("/oauth2/token"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "a refused reset ends no sign-in");
    let nobody = uuid::Uuid::now_v7();
    for password in ["short", "Brand-New-Pass-1"] {
        let (s, b) = t
            .patch(
                &format!("{users}/{nobody}"),
                &w.a.token,
                &json!({"passwordProfile": {"password": password}}),
            )
            .await;
        assert_eq!(s, 404, "{password}: {b}");
        assert_error_shape(&b);
    }
}

#[tokio::test]
async fn grants_decide_what_partners_may_do_in_the_customer_directory() {
    let t = TestApp::spawn().await;
    let w = world(&t, &["helpdesk_administrator"]).await;
    let x = &w.x.0;
    let bob = t.user(x, "bob", &[]).await;
    let users = format!("/v1/customers/{}/users", x.id);
    // Helpdesk: reset a password yes, create users or assign licenses no.
    let r = t
        .http
        .patch(t.url(&format!("{users}/{}", bob.id)))
        .bearer_auth(&w.a.token)
        .json(&json!({"passwordProfile": {"password": "Brand-New-Pass-1"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(t.token_response(&bob.upn, "Brand-New-Pass-1").await.0, 200);
    let (s, b) = t
        .post(
            &users,
            &w.a.token,
            &json!({"userPrincipalName": format!("eve@{}", x.domain), "displayName": "Eve"}),
        )
        .await;
    assert_eq!(s, 403);
    assert_error_shape(&b);
    let (s, _) = t
        .post(
            &format!("{users}/{}/licenseupdates", bob.id),
            &w.a.token,
            &json!({"licensesToAssign": [{"skuId": "p:s"}]}),
        )
        .await;
    assert_eq!(s, 403, "a helpdesk grant does not assign licenses");
    // The customer revokes the provider's grant: it stops at once.
    assert_eq!(t.get(&users, &w.p.token).await.0, 200);
    let (_, grants) = t.get("/v1/customer/grants", &w.x.2).await;
    let pg = grants["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["partnerId"] == w.p.tenant.id.to_string())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A grant id that is no id is the same 404 as an unknown one, on the API and the portal.
    crate::support::ids::api_not_found(
        &t,
        reqwest::Method::DELETE,
        "/v1/customer/grants/{id}",
        &w.x.2,
        &Value::Null,
    )
    .await;
    let (cookie, csrf) = crate::portal_http::portal_session(&t, &w.x.1.upn).await;
    crate::support::ids::portal_not_found(
        &t,
        &cookie,
        reqwest::Method::POST,
        "/portal/customer/grants/{id}/revoke",
        &[("csrf", &csrf), ("confirm", "yes")],
    )
    .await;
    let r = t
        .http
        .delete(t.url(&format!("/v1/customer/grants/{pg}")))
        .bearer_auth(&w.x.2)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        t.get(&users, &w.p.token).await.0,
        403,
        "the relationship stays, the directory closes"
    );
    assert_eq!(
        t.get(&format!("/v1/customers/{}", x.id), &w.p.token)
            .await
            .0,
        200
    );
    // Grants expire on their date, for tokens already issued too.
    t.clock.advance(chrono::Duration::days(24));
    let (warned, _, _) = partnerhub::app::customers::run_grant_expiry(&t.app)
        .await
        .unwrap();
    assert!(warned >= 1, "a week ahead, partners are warned");
    t.clock.advance(chrono::Duration::days(7));
    let a_token = t.token(&w.a.admin.upn).await;
    assert_eq!(
        t.get(&users, &a_token).await.0,
        403,
        "expired by date even before the worker runs"
    );
    let (_, _, expired) = partnerhub::app::customers::run_grant_expiry(&t.app)
        .await
        .unwrap();
    assert!(expired >= 1);
    t.mail_settled().await;
    let mails = partnerhub::app::store::mailbox::list(&t.app.db, Some(&w.a.admin.upn), 50)
        .await
        .unwrap();
    assert!(
        mails.iter().any(|m| m.subject.contains("ends on")),
        "warning mail"
    );
    assert!(
        mails.iter().any(|m| m.subject.contains("has ended")),
        "expiry mail"
    );
}

#[tokio::test]
async fn auto_extending_grants_renew_instead_of_ending() {
    let t = TestApp::spawn().await;
    let a = t.partner(false, true, "US").await;
    let (s, req) = t
        .post(
            "/v1/customers/relationshiprequests",
            &a.token,
            &json!({"roles": ["user_administrator"], "durationDays": 5, "autoExtend": true}),
        )
        .await;
    assert_eq!(s, 201);
    let (cust, admin) = t.tenant(TenantKind::Customer, &[]).await;
    let ctoken = t.token(&admin.upn).await;
    t.post(
        "/v1/customerinvitations/accept",
        &ctoken,
        &json!({"token": link_token(req["url"].as_str().unwrap()), "consent": true}),
    )
    .await;
    t.clock.advance(chrono::Duration::days(6));
    let (_, extended, expired) = partnerhub::app::customers::run_grant_expiry(&t.app)
        .await
        .unwrap();
    assert_eq!((extended, expired), (1, 0));
    let a_token = t.token(&a.admin.upn).await;
    assert_eq!(
        t.get(&format!("/v1/customers/{}/users", cust.id), &a_token)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn customer_users_are_deleted_softly_restored_and_purged_after_thirty_days() {
    let t = TestApp::spawn().await;
    let w = long_world(&t, &["global_administrator"]).await;
    let x = &w.x.0;
    let base = format!("/v1/customers/{}/users", x.id);
    let (s, u) = t
        .post(
            &base,
            &w.a.token,
            &json!({"userPrincipalName": format!("kim@{}", x.domain), "displayName": "Kim"}),
        )
        .await;
    assert_eq!(s, 201, "{u}");
    let temp = u["passwordProfile"]["password"]
        .as_str()
        .unwrap()
        .to_string();
    let uid = u["id"].as_str().unwrap().to_string();
    assert_eq!(
        t.token_response(&format!("kim@{}", x.domain), &temp)
            .await
            .0,
        200
    );
    let r = t
        .http
        .delete(t.url(&format!("{base}/{uid}")))
        .bearer_auth(&w.a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (_, kim) = t.get(&format!("{base}/{uid}"), &w.a.token).await;
    assert_eq!(kim["state"], "inactive");
    assert_eq!(
        t.token_response(&format!("kim@{}", x.domain), &temp)
            .await
            .0,
        400
    );
    let r = t
        .http
        .patch(t.url(&format!("{base}/{uid}")))
        .bearer_auth(&w.a.token)
        .json(&json!({"state": "active"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        t.token_response(&format!("kim@{}", x.domain), &temp)
            .await
            .0,
        200,
        "restored"
    );
    t.http
        .delete(t.url(&format!("{base}/{uid}")))
        .bearer_auth(&w.a.token)
        .send()
        .await
        .unwrap();
    t.clock.advance(chrono::Duration::days(31));
    assert_eq!(
        partnerhub::app::customer_users::purge_deleted(&t.app)
            .await
            .unwrap(),
        1
    );
    let a_token = t.token(&w.a.admin.upn).await;
    assert_eq!(t.get(&format!("{base}/{uid}"), &a_token).await.0, 404);
    // Directory roles: add and remove members; the customer's last global admin stays.
    let ga = "62e90394-69f5-4237-9190-012177145e10";
    let members = format!("/v1/customers/{}/directoryroles/{ga}/usermembers", x.id);
    let (_, list) = t.get(&members, &a_token).await;
    assert_eq!(list["totalCount"], 1);
    // A partner never touches the customer's global administrator, even with a full grant.
    let r = t
        .http
        .delete(t.url(&format!("{members}/{}", w.x.1.id)))
        .bearer_auth(&a_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The customer itself cannot remove its last one either.
    let x_token = t.token(&w.x.1.upn).await;
    let r = t
        .http
        .delete(t.url(&format!("{members}/{}", w.x.1.id)))
        .bearer_auth(&x_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(t.get(&members, &a_token).await.1["totalCount"], 1);
}

/// Seeds a product, a SKU and an active subscription of `seats` for a customer.
pub async fn seed_seats(
    t: &TestApp,
    customer: &TenantRow,
    provider: &Partner,
    seats: i64,
) -> String {
    let now = t.clock.now_ms();
    let mut tx = t.app.db.begin().await.unwrap();
    for sql in [
        "INSERT INTO products (id, title, product_type, created_at) VALUES ('SEED', 'Seed Suite', 'license', 0) ON CONFLICT (id) DO NOTHING",
        "INSERT INTO skus (product_id, id, title, min_quantity, max_quantity) VALUES ('SEED', '0001', 'Seed Suite Standard', 1, 300) ON CONFLICT (product_id, id) DO NOTHING",
    ] {
        sqlx::query(sql).execute(tx.conn().await.unwrap()).await.unwrap();
    }
    let order = uuid::Uuid::new_v4().to_string();
    sqlx::query("INSERT INTO orders (id, customer_tenant_id, placed_by_tenant_id, provider_tenant_id, status, currency, total, created_at) VALUES ($1, $2, $3, $3, 'completed', 'USD', '0', $4)")
        .bind(&order).bind(customer.id.to_string()).bind(provider.tenant.id.to_string()).bind(now).execute(tx.conn().await.unwrap()).await.unwrap();
    sqlx::query("INSERT INTO subscriptions (id, customer_tenant_id, order_id, provider_tenant_id, product_id, sku_id, availability_id, friendly_name, quantity, unit_price, currency, billing_cycle, term, status, created_at, term_start, term_end, cancel_until, updated_at) \
                 VALUES ($1, $2, $3, $4, 'SEED', '0001', 'A', 'Seed', $5, '10', 'USD', 'monthly', 'P1M', 'active', $6, $6, $6, $6, $6)")
        .bind(uuid::Uuid::new_v4().to_string()).bind(customer.id.to_string()).bind(&order).bind(provider.tenant.id.to_string()).bind(seats).bind(now)
        .execute(tx.conn().await.unwrap()).await.unwrap();
    tx.commit().await.unwrap();
    "SEED:0001".into()
}

#[tokio::test]
async fn licenses_follow_seats_and_over_assignment_changes_nothing() {
    let t = TestApp::spawn().await;
    let w = world(&t, &["license_administrator"]).await;
    let x = &w.x.0;
    let sku = seed_seats(&t, x, &w.p, 2).await;
    let mut users = Vec::new();
    for n in ["u1", "u2", "u3"] {
        users.push(t.user(x, n, &[]).await);
    }
    let assign = |uid: String| {
        let t = &t;
        let tok = w.a.token.clone();
        let sku = sku.clone();
        let x = x.id;
        async move {
            t.post(
                &format!("/v1/customers/{x}/users/{uid}/licenseupdates"),
                &tok,
                &json!({"licensesToAssign": [{"skuId": sku}]}),
            )
            .await
        }
    };
    assert_eq!(assign(users[0].id.to_string()).await.0, 201);
    assert_eq!(assign(users[1].id.to_string()).await.0, 201);
    let (s, b) = assign(users[2].id.to_string()).await;
    assert_eq!(s, 409);
    assert_eq!(assert_error_shape(&b), 800067);
    let (_, skus) = t
        .get(
            &format!("/v1/customers/{}/subscribedskus", x.id),
            &w.a.token,
        )
        .await;
    let s0 = &skus["items"][0];
    assert_eq!(
        (
            s0["activeUnits"].as_i64(),
            s0["consumedUnits"].as_i64(),
            s0["availableUnits"].as_i64()
        ),
        (Some(2), Some(2), Some(0))
    );
    let (_, lic) = t
        .get(
            &format!("/v1/customers/{}/users/{}/licenses", x.id, users[2].id),
            &w.a.token,
        )
        .await;
    assert_eq!(lic["totalCount"], 0, "nothing was assigned");
    // Removing one frees a seat.
    let (s, _) = t
        .post(
            &format!(
                "/v1/customers/{}/users/{}/licenseupdates",
                x.id, users[0].id
            ),
            &w.a.token,
            &json!({"licensesToRemove": [sku]}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(assign(users[2].id.to_string()).await.0, 201);
}

#[tokio::test]
async fn concurrent_licence_updates_never_assign_more_seats_than_were_bought() {
    let t = TestApp::spawn().await;
    let w = world(&t, &["license_administrator"]).await;
    let x = &w.x.0;
    let sku = seed_seats(&t, x, &w.p, 2).await;
    let mut users = Vec::new();
    for n in 0..8 {
        users.push(t.user(x, &format!("rush{n}"), &[]).await);
    }
    // Eight users of one customer at once, for two seats: each update counts the seats
    // after its own write, and must see every update committed before it.
    let body = json!({"licensesToAssign": [{"skuId": sku}]});
    let answers = futures::future::join_all(users.iter().map(|u| {
        let path = format!("/v1/customers/{}/users/{}/licenseupdates", x.id, u.id);
        let (t, token, body) = (&t, &w.a.token, &body);
        async move { t.post(&path, token, body).await }
    }))
    .await;
    let mut statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 201, 409, 409, 409, 409, 409, 409]);
    let (_, skus) = t
        .get(
            &format!("/v1/customers/{}/subscribedskus", x.id),
            &w.a.token,
        )
        .await;
    assert_eq!(skus["items"][0]["consumedUnits"], 2);
    let mut holders = 0;
    for u in &users {
        let (_, lic) = t
            .get(
                &format!("/v1/customers/{}/users/{}/licenses", x.id, u.id),
                &w.a.token,
            )
            .await;
        holders += lic["totalCount"].as_i64().unwrap();
    }
    assert_eq!(holders, 2, "the refused updates changed nothing");
}

#[tokio::test]
async fn seats_lowered_while_a_licence_is_assigned_never_end_below_the_assignments() {
    let t = TestApp::spawn().await;
    let w = world(&t, &["license_administrator"]).await;
    let x = &w.x.0;
    let sku = seed_seats(&t, x, &w.p, 2).await;
    let (_, subs) = t
        .get(&format!("/v1/customers/{}/subscriptions", x.id), &w.p.token)
        .await;
    let sub = format!(
        "/v1/customers/{}/subscriptions/{}",
        x.id,
        subs["items"][0]["id"].as_str().unwrap()
    );
    let (first, second) = (
        t.user(x, "first", &[]).await,
        t.user(x, "second", &[]).await,
    );
    let update = |u: &UserRow| format!("/v1/customers/{}/users/{}/licenseupdates", x.id, u.id);
    let assign = json!({"licensesToAssign": [{"skuId": sku}]});
    assert_eq!(t.post(&update(&first), &w.a.token, &assign).await.0, 201);
    for round in 0..8 {
        // Two seats, one of them assigned; then at once: one seat fewer, one licence more.
        let (one, second_update) = (json!({"quantity": 1}), update(&second));
        let (lowered, assigned) = tokio::join!(
            t.patch(&sub, &w.p.token, &one),
            t.post(&second_update, &w.a.token, &assign)
        );
        let (_, skus) = t
            .get(
                &format!("/v1/customers/{}/subscribedskus", x.id),
                &w.a.token,
            )
            .await;
        let (active, consumed) = (
            skus["items"][0]["activeUnits"].as_i64().unwrap(),
            skus["items"][0]["consumedUnits"].as_i64().unwrap(),
        );
        assert!(
            consumed <= active,
            "round {round}: {consumed} assigned of {active} seats ({} and {})",
            lowered.0,
            assigned.0
        );
        assert_eq!(
            [lowered.0, assigned.0]
                .iter()
                .filter(|s| [200, 201].contains(s))
                .count(),
            1,
            "round {round}: exactly one of the two fits ({lowered:?}, {assigned:?})"
        );
        // Back to two seats and one assignment.
        let remove = json!({"licensesToRemove": [sku]});
        assert_eq!(t.post(&update(&second), &w.a.token, &remove).await.0, 201);
        assert_eq!(
            t.patch(&sub, &w.p.token, &json!({"quantity": 2})).await.0,
            200
        );
    }
}

#[tokio::test]
async fn a_licence_both_removed_and_assigned_in_one_update_ends_assigned() {
    let t = TestApp::spawn().await;
    let w = world(&t, &["license_administrator"]).await;
    let x = &w.x.0;
    let sku = seed_seats(&t, x, &w.p, 1).await;
    let u = t.user(x, "both", &[]).await;
    let path = format!("/v1/customers/{}/users/{}/licenseupdates", x.id, u.id);
    let held = format!("/v1/customers/{}/users/{}/licenses", x.id, u.id);
    let licences = || async { t.get(&held, &w.a.token).await.1["totalCount"].clone() };
    // Twice each, and both ways round: one seat suffices, and the licence stays.
    let both = json!({"licensesToAssign": [{"skuId": sku}, {"skuId": sku}], "licensesToRemove": [sku, sku]});
    assert_eq!(t.post(&path, &w.a.token, &both).await.0, 201);
    assert_eq!(licences().await, 1);
    assert_eq!(t.post(&path, &w.a.token, &both).await.0, 201);
    assert_eq!(licences().await, 1);
    let remove = json!({"licensesToRemove": [sku, sku]});
    assert_eq!(t.post(&path, &w.a.token, &remove).await.0, 201);
    assert_eq!(licences().await, 0);
}

/// The user of a licence update is checked in the update's own trip: a user of another
/// customer, a user nobody has and an inactive user are refused, and nothing the refused
/// update asked for (an assignment, a removal) is left behind.
#[tokio::test]
async fn a_licence_update_for_a_user_it_may_not_change_changes_nothing() {
    let t = TestApp::spawn().await;
    let w = world(&t, &["license_administrator"]).await;
    let x = &w.x.0;
    let sku = seed_seats(&t, x, &w.p, 5).await;
    let (x2, _, _) = customer_via(&t, &w.a, Some(&w.p), &["license_administrator"], 30).await;
    let sku2 = seed_seats(&t, &x2, &w.p, 5).await;
    let path = |c: &TenantRow, u: &str| format!("/v1/customers/{}/users/{u}/licenseupdates", c.id);
    let held = |c: &TenantRow, u: &str| format!("/v1/customers/{}/users/{u}/licenses", c.id);
    let count = |c: TenantRow, u: String| {
        let t = &t;
        let tok = w.a.token.clone();
        async move { t.get(&held(&c, &u), &tok).await.1["totalCount"].clone() }
    };
    let both = |s: &str| json!({"licensesToAssign": [{"skuId": s}], "licensesToRemove": [s]});

    // A user of the reseller's other customer, holding that customer's licence.
    let other = t.user(&x2, "other", &[]).await;
    let oid = other.id.to_string();
    let give = json!({"licensesToAssign": [{"skuId": sku2}]});
    assert_eq!(t.post(&path(&x2, &oid), &w.a.token, &give).await.0, 201);
    for body in [both(&sku2), both(&sku)] {
        let (s, b) = t.post(&path(x, &oid), &w.a.token, &body).await;
        assert_eq!(s, 404, "{b}");
        assert_error_shape(&b);
    }
    assert_eq!(count(x2.clone(), oid.clone()).await, 1, "its licence stays");
    assert_eq!(
        t.get(&held(x, &oid), &w.a.token).await.0,
        404,
        "not x's user"
    );

    // Nobody has this id.
    let nobody = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        t.post(&path(x, &nobody), &w.a.token, &both(&sku)).await.0,
        404
    );

    // An inactive user of the customer keeps what it holds, and gets nothing more.
    let idle = t.user(x, "idle", &[]).await;
    let iid = idle.id.to_string();
    let one = json!({"licensesToAssign": [{"skuId": sku}]});
    assert_eq!(t.post(&path(x, &iid), &w.a.token, &one).await.0, 201);
    sqlx::query("UPDATE users SET state = 'inactive' WHERE id = $1")
        .bind(&iid)
        .execute(&t.app.db.write)
        .await
        .unwrap();
    let (s, b) = t
        .post(
            &path(x, &iid),
            &w.a.token,
            &json!({"licensesToRemove": [sku]}),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(
        count(x.clone(), iid.clone()).await,
        1,
        "the removal was undone"
    );

    // Nothing refused took a seat: all five are still free but the inactive user's one.
    let (_, skus) = t
        .get(
            &format!("/v1/customers/{}/subscribedskus", x.id),
            &w.a.token,
        )
        .await;
    assert_eq!(skus["items"][0]["consumedUnits"].as_i64(), Some(1));
}

#[tokio::test]
async fn a_provider_creates_a_customer_for_its_reseller_and_credentials_show_once() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    let b = t.partner(false, true, "US").await;
    partner_up(&t, &p, &a).await;
    let body = |reseller: String| {
        json!({
            "companyProfile": {"domain": "newco.example", "companyName": "NewCo"},
            "billingProfile": {"firstName": "Nia", "lastName": "Co", "email": "nia@newco.example", "defaultAddress": {"country": "US", "city": "Austin"}},
            "associatedPartnerId": reseller
        })
    };
    let (s, err) = t
        .post("/v1/customers", &p.token, &body(b.mpn.to_string()))
        .await;
    assert_eq!(
        (s, err["data"][0]["field"].as_str()),
        (400, Some("associatedPartnerId")),
        "not partnered"
    );
    assert_eq!(
        t.post("/v1/customers", &a.token, &body(a.mpn.to_string()))
            .await
            .0,
        403,
        "resellers do not"
    );
    let (s, c) = t
        .post("/v1/customers", &p.token, &body(a.tenant.id.to_string()))
        .await;
    assert_eq!(s, 201, "{c}");
    let user = c["userCredentials"]["userName"].as_str().unwrap();
    let pw = c["userCredentials"]["password"].as_str().unwrap();
    assert_eq!(t.token_response(user, pw).await.0, 200);
    let id = c["id"].as_str().unwrap();
    let (_, again) = t.get(&format!("/v1/customers/{id}"), &p.token).await;
    assert!(again.get("userCredentials").is_none());
    let (_, a_list) = t.get("/v1/customers", &a.token).await;
    assert_eq!(ids(&a_list), [id.to_string()]);
    // Billing profile with ETag.
    let r = t
        .http
        .get(t.url(&format!("/v1/customers/{id}/profiles/billing")))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    let tag = r.headers()["etag"].to_str().unwrap().to_string();
    let b1: Value = r.json().await.unwrap();
    assert_eq!(b1["email"], "nia@newco.example");
    let put = |tag: String| {
        let t = &t;
        let tok = a.token.clone();
        let id = id.to_string();
        async move {
            t.http.put(t.url(&format!("/v1/customers/{id}/profiles/billing"))).bearer_auth(tok).header("If-Match", tag)
            .json(&json!({"firstName": "Nia", "lastName": "Co", "email": "billing@newco.example"})).send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(put(tag.clone()).await, 200);
    assert_eq!(put(tag).await, 412);
    // The reseller ends its relationship; the customer leaves its list.
    let r = t
        .http
        .patch(t.url(&format!("/v1/customers/{id}")))
        .bearer_auth(&a.token)
        .json(&json!({"relationshipToPartner": "none"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, a_list) = t.get("/v1/customers", &a.token).await;
    assert_eq!(a_list["totalCount"], 0);
    assert_eq!(t.get(&format!("/v1/customers/{id}"), &a.token).await.0, 404);
    let _ = PASSWORD;
}

#[tokio::test]
async fn concurrent_acceptance_of_one_link_creates_one_relationship() {
    let t = TestApp::spawn().await;
    let a = t.partner(false, true, "US").await;
    let (_, req) = t
        .post("/v1/customers/relationshiprequests", &a.token, &json!({}))
        .await;
    let link = link_token(req["url"].as_str().unwrap());
    let mut tokens = Vec::new();
    for _ in 0..5 {
        let (_, admin) = t.tenant(TenantKind::Customer, &[]).await;
        tokens.push(t.token(&admin.upn).await);
    }
    let mut handles = Vec::new();
    for i in 0..40 {
        let http = t.http.clone();
        let url = t.url("/v1/customerinvitations/accept");
        let token = tokens[i % tokens.len()].clone();
        let link = link.clone();
        handles.push(tokio::spawn(async move {
            http.post(url)
                .bearer_auth(token)
                .json(&json!({"token": link, "consent": true}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut ok = 0;
    for h in handles {
        let s = h.await.unwrap();
        assert!(s == 200 || s == 409, "{s}");
        ok += (s == 200) as usize;
    }
    assert_eq!(ok, 1);
    let (_, list) = t.get("/v1/customers", &a.token).await;
    assert_eq!(list["totalCount"], 1);
}

#[tokio::test]
async fn a_relationship_request_id_that_is_no_id_is_not_found() {
    use crate::support::ids::api_not_found;
    use reqwest::Method as M;
    let t = TestApp::spawn().await;
    let a = t.partner(false, true, "US").await;
    let (s, req) = t
        .post(
            "/v1/customers/relationshiprequests",
            &a.token,
            &json!({"roles": []}),
        )
        .await;
    assert_eq!(s, 201, "{req}");
    api_not_found(
        &t,
        M::DELETE,
        "/v1/customers/relationshiprequests/{id}",
        &a.token,
        &Value::Null,
    )
    .await;
    // The real request was left alone: it withdraws once.
    let path = format!(
        "/v1/customers/relationshiprequests/{}",
        req["id"].as_str().unwrap()
    );
    assert_eq!(
        t.send(M::DELETE, &path, &a.token, &Value::Null).await.0,
        204
    );
    assert_eq!(
        t.send(M::DELETE, &path, &a.token, &Value::Null).await.0,
        409
    );
}

/// A provider's portal list heads the customers a reseller serves with the reseller's name,
/// read from a copy kept on the relationship rows: a rename of the reseller through the API
/// moves every group to the new name at once, and a customer won after the rename carries it
/// too. The copies match the tenants' names on every row.
#[tokio::test]
async fn a_renamed_reseller_heads_its_customers_in_its_providers_portal_list_by_its_new_name() {
    use sqlx::Row;
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    let b = t.partner(false, true, "US").await;
    partner_up(&t, &p, &a).await;
    partner_up(&t, &p, &b).await;
    customer_via(&t, &a, Some(&p), &[], 0).await;
    customer_via(&t, &b, Some(&p), &[], 0).await;
    let heading = |name: &str| format!("<h2 class=\"customer-group\">{name}</h2>");
    let (cookie, _) = crate::portal_http::portal_session(&t, &p.admin.upn).await;
    let (s, html) = t.html("/portal/customers", Some(&cookie), None).await;
    assert_eq!(s, 200, "{html}");
    for r in [&a, &b] {
        assert!(html.contains(&heading(&r.tenant.display_name)), "{html}");
    }

    let r = t
        .http
        .get(t.url("/v1/profiles/organization"))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let renamed = t
        .http
        .put(t.url("/v1/profiles/organization"))
        .bearer_auth(&a.token)
        .header("If-Match", etag)
        .json(&json!({"companyName": "Zephyr Renamed Resale"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status().as_u16(), 200);
    customer_via(&t, &a, Some(&p), &[], 0).await;

    let (s, html) = t.html("/portal/customers", Some(&cookie), None).await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(
        html.matches(&heading("Zephyr Renamed Resale")).count(),
        1,
        "both of the renamed reseller's customers under one heading: {html}"
    );
    assert!(
        !html.contains(&a.tenant.display_name),
        "the old name is gone: {html}"
    );
    assert!(html.contains(&heading(&b.tenant.display_name)), "{html}");
    let at = html.find(&heading("Zephyr Renamed Resale")).unwrap();
    let group = html[at + 1..]
        .split("<h2 class=\"customer-group\">")
        .next()
        .unwrap();
    assert_eq!(
        group.matches("<tr class=\"customer\">").count(),
        2,
        "the renamed reseller's group holds both its customers: {html}"
    );

    let stale: i64 = sqlx::query(
        "SELECT COUNT(*) FROM customer_relationships r JOIN tenants t ON t.id = r.indirect_reseller_tenant_id \
         WHERE r.reseller_name IS NULL OR r.reseller_name <> t.display_name",
    )
    .fetch_one(&t.app.db.read)
    .await
    .unwrap()
    .get(0);
    assert_eq!(
        stale, 0,
        "every relationship keeps its reseller's current name"
    );
    let direct: i64 = sqlx::query(
        "SELECT COUNT(*) FROM customer_relationships WHERE indirect_reseller_tenant_id IS NULL AND reseller_name IS NOT NULL",
    )
    .fetch_one(&t.app.db.read)
    .await
    .unwrap()
    .get(0);
    assert_eq!(direct, 0, "a direct relationship names no reseller");
}

/// A list page comes from the database packed into one value (on each engine in its own
/// form): names with quotes, backslashes, control characters and non-Latin letters come back
/// exactly, in the API's list, the provider's list with reseller names, and the portal.
#[tokio::test]
async fn names_with_any_characters_come_back_exactly_through_the_list_pages() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    partner_up(&t, &p, &a).await;
    let c = customer_via(&t, &a, Some(&p), &[], 0).await.0;
    let customer_name = "Quote \"q\" back\\slash\ttab\u{1} 한국 🚀";
    let reseller_name = "Résellér \"R\" \\ 🚀\n";
    let mut tx = t.app.db.begin().await.unwrap();
    for (id, name, version) in [
        (c.id, customer_name, c.version),
        (a.tenant.id, reseller_name, a.tenant.version),
    ] {
        assert!(
            partnerhub::app::store::identity::rename_tenant(&mut tx, id, name, version)
                .await
                .unwrap()
        );
    }
    tx.commit().await.unwrap();

    for token in [&a.token, &p.token] {
        let (s, list) = t.get("/v1/customers", token).await;
        assert_eq!(s, 200, "{list}");
        assert_eq!(list["items"][0]["id"], c.id.to_string(), "{list}");
        assert_eq!(
            list["items"][0]["companyProfile"]["companyName"], customer_name,
            "{list}"
        );
    }
    let (page, total) = partnerhub::app::store::customers::page_with_resellers(
        &t.app.db,
        p.tenant.id,
        None,
        None,
        100,
    )
    .await
    .unwrap();
    assert_eq!(total, 1);
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].0.name, customer_name);
    assert_eq!(page[0].0.name_lower, customer_name.to_lowercase());
    assert_eq!(page[0].0.indirect_reseller, Some(a.tenant.id));
    assert_eq!(page[0].1.as_deref(), Some(reseller_name));
    let (page, _) = partnerhub::app::store::customers::page_with_resellers(
        &t.app.db,
        a.tenant.id,
        None,
        None,
        100,
    )
    .await
    .unwrap();
    assert_eq!(
        page[0].0.indirect_reseller, None,
        "the reseller serves it directly"
    );
    assert_eq!(page[0].1, None);

    let (cookie, _) = crate::portal_http::portal_session(&t, &p.admin.upn).await;
    let (s, html) = t.html("/portal/customers", Some(&cookie), None).await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("Quote &quot;q&quot; back\\slash\ttab\u{1} 한국 🚀"),
        "{html}"
    );
    assert!(html.contains("Résellér &quot;R&quot; \\ 🚀\n"), "{html}");
}

/// The lists show, sort and search customers by the copies of their name and country kept on
/// the relationship rows; a rename updates those copies with the tenant.
#[tokio::test]
async fn a_renamed_customer_is_listed_sorted_and_found_by_its_new_name() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    partner_up(&t, &p, &a).await;
    let mut made = Vec::new();
    for _ in 0..3 {
        made.push(customer_via(&t, &a, Some(&p), &[], 0).await.0);
    }
    let shared = format!("/v1/relationships/{}/customers", a.tenant.id);
    let (_, before) = t.get("/v1/customers", &a.token).await;
    let mut expected: Vec<String> = made.iter().map(|c| c.display_name.clone()).collect();
    expected.sort_by_key(|n| n.to_lowercase());
    assert_eq!(company_names(&before), expected, "listed by name: {before}");
    for item in before["items"].as_array().unwrap() {
        assert_eq!(item["companyProfile"]["country"], "US", "{item}");
    }

    // The customer listed last takes a name that sorts first.
    let last = made
        .iter()
        .find(|c| Some(&c.display_name) == expected.last())
        .unwrap();
    let mut tx = t.app.db.begin().await.unwrap();
    assert!(partnerhub::app::store::identity::rename_tenant(
        &mut tx,
        last.id,
        "Aardvark Renamed Ltd",
        last.version
    )
    .await
    .unwrap());
    tx.commit().await.unwrap();

    // Both of its partners' lists, and the customers the two share, list it first.
    for (path, token) in [
        ("/v1/customers", &a.token),
        ("/v1/customers", &p.token),
        (shared.as_str(), &p.token),
    ] {
        let (s, after) = t.get(path, token).await;
        assert_eq!(s, 200, "{path}: {after}");
        let listed = company_names(&after);
        assert_eq!(listed.len(), 3, "{path}: {after}");
        assert_eq!(listed[0], "Aardvark Renamed Ltd", "{path}: {after}");
        assert_eq!(after["items"][0]["id"], last.id.to_string(), "{path}");
    }
    let (s, found) = t.get(&company_filter("aardvark ren"), &a.token).await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["totalCount"], 1, "{found}");
    assert_eq!(found["items"][0]["id"], last.id.to_string());
    // The old name no longer finds it.
    let (_, gone) = t
        .get(&company_filter(&last.display_name.to_lowercase()), &a.token)
        .await;
    assert!(
        gone["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"] != last.id.to_string()),
        "{gone}"
    );
    // The portal's customer list shows the new name first.
    let (cookie, _) = crate::portal_http::portal_session(&t, &a.admin.upn).await;
    let (s, html) = t.html("/portal/customers", Some(&cookie), None).await;
    assert_eq!(s, 200, "{html}");
    let new_at = html
        .find("Aardvark Renamed Ltd")
        .expect("the new name is shown");
    for other in expected.iter().take(2) {
        assert!(
            new_at < html.find(other.as_str()).unwrap(),
            "{other} after the renamed one"
        );
    }
    assert!(
        !html.contains(last.display_name.as_str()),
        "the old name is gone"
    );
}
