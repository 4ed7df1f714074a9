//! Provider directory and provider-reseller partnerships by API.

use crate::support::{assert_error_shape, Partner, TestApp};
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::{json, Value};

async fn invite(t: &TestApp, provider: &Partner, body: Value) -> (u16, Value) {
    t.post("/v1/partnershipinvitations", &provider.token, &body)
        .await
}

fn token_of(invitation: &Value) -> String {
    let url = invitation["url"].as_str().unwrap();
    url.split("token=").nth(1).unwrap().to_string()
}

async fn accept(t: &TestApp, token: &str, link: &str) -> (u16, Value) {
    t.post(
        "/v1/partnershipinvitations/accept",
        token,
        &json!({"token": link, "consent": true}),
    )
    .await
}

#[tokio::test]
async fn the_directory_finds_authorized_providers_by_country_service_and_name() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let q = t.partner(true, false, "KR").await;
    let r = t.partner(false, true, "US").await;
    let r_put = t.http.put(t.url("/v1/providerlisting")).bearer_auth(&p.token)
        .json(&json!({"countries": ["US", "ca"], "services": ["billing", "financing_and_credit"], "description": "Cloud distribution", "contactEmail": "Partners@Example.com", "website": "https://p.example"}))
        .send().await.unwrap();
    assert_eq!(r_put.status(), 200);
    let names = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (s, all) = t.get("/v1/providers", &r.token).await;
    assert_eq!(s, 200);
    assert_eq!(
        all["totalCount"], 2,
        "only the two providers, not the reseller"
    );
    let (_, ca) = t.get("/v1/providers?country=CA", &r.token).await;
    assert_eq!(names(ca), [p.tenant.id.to_string()]);
    let (_, kr) = t.get("/v1/providers?country=kr", &r.token).await;
    assert_eq!(names(kr), [q.tenant.id.to_string()]);
    let (_, financing) = t
        .get("/v1/providers?service=financing_and_credit", &r.token)
        .await;
    assert_eq!(names(financing), [p.tenant.id.to_string()]);
    let name = q.tenant.display_name.to_lowercase();
    let (_, by_name) = t
        .get(&format!("/v1/providers?name={}", &name[..5]), &r.token)
        .await;
    assert!(names(by_name).contains(&q.tenant.id.to_string()));
    let (s, b) = t.get("/v1/providers?service=teleportation", &r.token).await;
    assert_eq!(s, 400);
    assert_error_shape(&b);
    // A customer or a tenant without a partner account cannot search.
    let (_, cust) = t.tenant(TenantKind::Customer, &[]).await;
    assert_eq!(
        t.get("/v1/providers", &t.token(&cust.upn).await).await.0,
        403
    );
    // Resellers cannot edit listings.
    let r_put = t
        .http
        .put(t.url("/v1/providerlisting"))
        .bearer_auth(&r.token)
        .json(&json!({"countries": ["US"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r_put.status(), 403);
    // The public page lists providers without sign-in.
    let html = t
        .http
        .get(t.url("/providers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&p.tenant.display_name) && !html.contains(&r.tenant.display_name));
}

#[tokio::test]
async fn a_provider_invites_a_reseller_who_authorizes_it_and_both_see_each_other() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let r = t.partner(false, true, "US").await;
    let (s, inv) = invite(
        &t,
        &p,
        json!({"email": "owner@reseller.example", "send": true}),
    )
    .await;
    assert_eq!(s, 201, "{inv}");
    assert_eq!(inv["state"], "pending");
    let link = token_of(&inv);
    assert!(link.len() >= 43);
    assert!(inv["draftEmail"]["body"].as_str().unwrap().contains(&link));
    assert!(inv["draftEmail"]["mailto"]
        .as_str()
        .unwrap()
        .starts_with("mailto:owner@reseller.example?subject="));
    // Only the hash is stored.
    use sqlx::Row;
    let stored: String = sqlx::query("SELECT token_hash FROM partnership_invitations")
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
        .get(0);
    assert_ne!(stored, link);
    // The reseller sees who invites and what it will allow.
    let (s, preview) = t
        .post(
            "/v1/partnershipinvitations/preview",
            &r.token,
            &json!({"token": link}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(preview["provider"]["name"], p.tenant.display_name.as_str());
    assert_eq!(preview["permissions"].as_array().unwrap().len(), 2);
    // A sales agent cannot authorize; consent is required.
    let sales = t.user(&r.tenant, "sales", &[Role::SalesAgent]).await;
    let sales_token = t.token(&sales.upn).await;
    assert_eq!(accept(&t, &sales_token, &link).await.0, 403);
    let (s, b) = t
        .post(
            "/v1/partnershipinvitations/accept",
            &r.token,
            &json!({"token": link, "consent": false}),
        )
        .await;
    assert_eq!((s, b["data"][0]["field"].as_str()), (400, Some("consent")));
    let (s, rel) = accept(&t, &r.token, &link).await;
    assert_eq!(s, 201, "{rel}");
    assert_eq!(rel["state"], "Active");
    assert_eq!(rel["relationshipType"], "is_indirect_reseller_of");
    assert_eq!(rel["name"], p.tenant.display_name.as_str());
    // Each side lists the other.
    let (_, mine) = t
        .get(
            "/v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf",
            &p.token,
        )
        .await;
    assert_eq!(mine["totalCount"], 1);
    let item = &mine["items"][0];
    assert_eq!(item["name"], r.tenant.display_name.as_str());
    assert_eq!(item["mpnId"], r.mpn.to_string());
    assert_eq!(item["location"], "US");
    assert_eq!(item["attributes"]["objectType"], "PartnerRelationship");
    let (_, theirs) = t
        .get(
            "/v1/relationships?relationship_type=IsIndirectResellerOf",
            &r.token,
        )
        .await;
    assert_eq!(theirs["items"][0]["name"], p.tenant.display_name.as_str());
    // The link worked once; a second invitation to the named pair says they are partners.
    let (s, b) = accept(&t, &r.token, &link).await;
    assert_eq!(s, 409);
    assert!(b["description"]
        .as_str()
        .unwrap()
        .contains("already accepted"));
    let (s, b) = invite(&t, &p, json!({"resellerMpnId": r.mpn})).await;
    assert_eq!(s, 409);
    assert!(
        b["description"]
            .as_str()
            .unwrap()
            .contains("partners already"),
        "{b}"
    );
    // Mail went to the invitee and to both contacts; audit and event were written.
    t.mail_settled().await;
    let mails = partnerhub::app::store::mailbox::list(&t.app.db, None, 50)
        .await
        .unwrap();
    assert!(mails
        .iter()
        .any(|m| m.to == "owner@reseller.example" && m.text_body.contains(&link)));
    assert!(mails
        .iter()
        .any(|m| m.to == p.admin.upn && m.subject.contains("are now partners")));
    assert!(mails
        .iter()
        .any(|m| m.to == r.admin.upn && m.subject.contains("are now partners")));
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) FROM audit_records WHERE operation = 'create_partner_relationship'",
    )
    .fetch_one(&t.app.db.read)
    .await
    .unwrap()
    .get(0);
    assert_eq!(n, 2, "one record in each organisation's log");
    let events: i64 = sqlx::query("SELECT COUNT(*) FROM outbox WHERE topic = 'event' AND payload LIKE '%partnership-created%'").fetch_one(&t.app.db.read).await.unwrap().get(0);
    assert_eq!(events, 1);
    // Validation of partner-of-record ids.
    let (s, v) = t
        .post(
            "/v1/partners/validateresellers",
            &p.token,
            &json!({"partnerIds": [r.mpn.to_string(), p.mpn.to_string(), "nope", "999999999"]}),
        )
        .await;
    assert_eq!(s, 200);
    let results = v["validationResults"].as_array().unwrap();
    let valid: Vec<bool> = results
        .iter()
        .map(|i| i["isValidPartnerIdOnRecord"].as_bool().unwrap())
        .collect();
    assert_eq!(valid, [true, false, false, false]);
    assert_eq!(results[0]["partnerId"], r.mpn.to_string());
    assert!(results[0]["errorCode"].is_null(), "{v}");
    let codes: Vec<&str> = results[1..]
        .iter()
        .map(|i| i["errorCode"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "NotAnIndirectReseller",
            "InvalidPartnerIdFormat",
            "PartnerNotFound"
        ]
    );
    assert!(results[1]["errorDescription"]
        .as_str()
        .unwrap()
        .contains("reseller"));
}

#[tokio::test]
async fn the_region_rule_names_both_countries() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let kr = t.partner(false, true, "KR").await;
    let (s, b) = invite(&t, &p, json!({"resellerMpnId": kr.mpn})).await;
    assert_eq!(s, 409);
    let d = b["description"].as_str().unwrap();
    assert!(d.contains("US") && d.contains("KR"), "{d}");
    assert_eq!(assert_error_shape(&b), 2201);
    // An open link fails the same way for a reseller in a country the provider does not serve.
    let (_, inv) = invite(&t, &p, json!({})).await;
    let (s, b) = accept(&t, &kr.token, &token_of(&inv)).await;
    assert_eq!(s, 409);
    assert!(b["description"].as_str().unwrap().contains("KR"));
    // Serving Korea makes it work.
    t.http
        .put(t.url("/v1/providerlisting"))
        .bearer_auth(&p.token)
        .json(&json!({"countries": ["US", "KR"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(accept(&t, &kr.token, &token_of(&inv)).await.0, 201);
}

#[tokio::test]
async fn links_that_are_named_expired_revoked_or_tampered_change_nothing() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    let b = t.partner(false, true, "US").await;
    let (_, named) = invite(&t, &p, json!({"resellerMpnId": a.mpn})).await;
    let (s, err) = accept(&t, &b.token, &token_of(&named)).await;
    assert_eq!(s, 403, "{err}");
    let (_, expiring) = invite(&t, &p, json!({"expiresInDays": 1})).await;
    let (_, revoked) = invite(&t, &p, json!({})).await;
    let r = t
        .http
        .delete(t.url(&format!(
            "/v1/partnershipinvitations/{}",
            revoked["id"].as_str().unwrap()
        )))
        .bearer_auth(&p.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (s, err) = accept(&t, &a.token, &token_of(&revoked)).await;
    assert_eq!(s, 409);
    assert!(err["description"].as_str().unwrap().contains("withdrew"));
    let (s, err) = accept(&t, &a.token, &format!("{}A", token_of(&expiring))).await;
    assert_eq!(s, 409);
    assert!(err["description"].as_str().unwrap().contains("not valid"));
    t.clock.advance(chrono::Duration::days(2));
    let a_token = t.token(&a.admin.upn).await;
    let (s, err) = accept(&t, &a_token, &token_of(&expiring)).await;
    assert_eq!(s, 409);
    assert!(err["description"].as_str().unwrap().contains("expired"));
    let p_token = t.token(&p.admin.upn).await;
    let (_, list) = t
        .get(
            "/v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf",
            &p_token,
        )
        .await;
    assert_eq!(list["totalCount"], 0);
    let (_, invs) = t.get("/v1/partnershipinvitations", &p_token).await;
    let states: Vec<&str> = invs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["state"].as_str().unwrap())
        .collect();
    assert!(
        states.contains(&"revoked") && states.contains(&"expired"),
        "{states:?}"
    );
}

#[tokio::test]
async fn fifty_concurrent_acceptances_make_one_partnership() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let r = t.partner(false, true, "US").await;
    let (_, inv) = invite(&t, &p, json!({})).await;
    let link = token_of(&inv);
    let mut handles = Vec::new();
    for _ in 0..50 {
        let http = t.http.clone();
        let url = t.url("/v1/partnershipinvitations/accept");
        let token = r.token.clone();
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
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    use sqlx::Row;
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM partnerships")
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[tokio::test]
async fn either_side_ends_a_partnership_and_the_reseller_can_revoke_admin_access_only() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let r = t.partner(false, true, "US").await;
    let outsider = t.partner(false, true, "US").await;
    let (_, inv) = invite(&t, &p, json!({})).await;
    let (_, rel) = accept(&t, &r.token, &token_of(&inv)).await;
    let id = rel["partnershipId"].as_str().unwrap().to_string();
    // Revoke admin access only.
    let patch = |token: String, body: Value| {
        let t = &t;
        let id = id.clone();
        async move {
            let r = t
                .http
                .patch(t.url(&format!("/v1/relationships/{id}")))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(
        patch(p.token.clone(), json!({"adminAccess": false}))
            .await
            .0,
        403,
        "the provider cannot"
    );
    let (s, b) = patch(r.token.clone(), json!({"adminAccess": false})).await;
    assert_eq!(
        (s, b["adminAccess"].as_bool(), b["state"].as_str()),
        (200, Some(false), Some("Active"))
    );
    // Outsiders cannot see or end it.
    assert_eq!(
        t.get(&format!("/v1/relationships/{id}"), &outsider.token)
            .await
            .0,
        404
    );
    let end = |token: String| {
        let t = &t;
        let id = id.clone();
        async move {
            let r = t
                .http
                .delete(t.url(&format!("/v1/relationships/{id}")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(end(outsider.token.clone()).await.0, 404);
    let (s, b) = end(r.token.clone()).await;
    assert_eq!((s, b["state"].as_str()), (200, Some("Terminated")));
    let (s, _) = end(p.token.clone()).await;
    assert_eq!(s, 409, "already ended");
    let (_, list) = t
        .get(
            "/v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf",
            &p.token,
        )
        .await;
    assert_eq!(list["items"][0]["state"], "Terminated");
    t.mail_settled().await;
    let mails = partnerhub::app::store::mailbox::list(&t.app.db, Some(&p.admin.upn), 50)
        .await
        .unwrap();
    assert!(
        mails.iter().any(|m| m.subject.contains("ended")),
        "the provider is told"
    );
    // They can partner again with a new invitation.
    let (_, again) = invite(&t, &p, json!({"resellerMpnId": r.mpn})).await;
    let (s, rel) = accept(&t, &r.token, &token_of(&again)).await;
    assert_eq!(
        (s, rel["state"].as_str(), rel["adminAccess"].as_bool()),
        (201, Some("Active"), Some(true))
    );
}

#[tokio::test]
async fn inviting_needs_an_authorized_provider_that_accepted_the_agreement() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    sqlx::query("DELETE FROM agreement_acceptances WHERE tenant_id = $1")
        .bind(p.tenant.id.to_string())
        .execute(&t.app.db.write)
        .await
        .unwrap();
    let (s, b) = invite(&t, &p, json!({})).await;
    assert_eq!(s, 403);
    assert_error_shape(&b);
    let r = t.partner(false, true, "US").await;
    assert_eq!(
        invite(&t, &r, json!({})).await.0,
        403,
        "resellers do not invite resellers"
    );
    let (s, b) = t
        .get("/v1/relationships?relationship_type=friends", &r.token)
        .await;
    assert_eq!(s, 400);
    assert_error_shape(&b);
}

#[tokio::test]
async fn an_invitation_id_that_is_no_id_is_not_found_on_the_api_and_in_the_portal() {
    use crate::support::ids::{api_not_found, portal_not_found};
    use reqwest::Method as M;
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let (s, inv) = invite(&t, &p, json!({})).await;
    assert_eq!(s, 201, "{inv}");
    api_not_found(
        &t,
        M::DELETE,
        "/v1/partnershipinvitations/{id}",
        &p.token,
        &Value::Null,
    )
    .await;
    let (cookie, csrf) = crate::portal_http::portal_session(&t, &p.admin.upn).await;
    portal_not_found(
        &t,
        &cookie,
        M::POST,
        "/portal/resellers/invitations/{id}/revoke",
        &[("csrf", &csrf), ("confirm", "yes")],
    )
    .await;
    // None of that touched the real invitation, which still revokes.
    let (_, invs) = t.get("/v1/partnershipinvitations", &p.token).await;
    assert_eq!(invs["items"][0]["state"], "pending", "{invs}");
    let path = format!("/v1/partnershipinvitations/{}", inv["id"].as_str().unwrap());
    let (s, b) = t.send(M::DELETE, &path, &p.token, &Value::Null).await;
    assert_eq!((s, b["state"].as_str()), (200, Some("revoked")), "{b}");
}

#[tokio::test]
async fn a_relationship_id_that_names_nothing_is_not_found_and_real_names_still_work() {
    use crate::support::ids::{api_not_found, portal_not_found};
    use reqwest::Method as M;
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    crate::customers::partner_up(&t, &p, &a).await;
    let (_, list) = t.get("/v1/relationships", &a.token).await;
    let partnership = list["items"][0]["partnershipId"]
        .as_str()
        .unwrap()
        .to_string();
    for (method, path, body) in [
        (M::GET, "/v1/relationships/{id}", Value::Null),
        (M::GET, "/v1/relationships/{id}/customers", Value::Null),
        (
            M::PATCH,
            "/v1/relationships/{id}",
            json!({"adminAccess": false}),
        ),
        (M::DELETE, "/v1/relationships/{id}", Value::Null),
    ] {
        api_not_found(&t, method, path, &a.token, &body).await;
    }
    let (cookie, csrf) = crate::portal_http::portal_session(&t, &a.admin.upn).await;
    portal_not_found(
        &t,
        &cookie,
        M::GET,
        "/portal/partnerships/{id}/customers",
        &[],
    )
    .await;
    for path in [
        "/portal/partnerships/{id}/end",
        "/portal/partnerships/{id}/revoke-admin",
    ] {
        portal_not_found(
            &t,
            &cookie,
            M::POST,
            path,
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    }
    // The partnership is still named by its own id and by the other partner's tenant id.
    for name in [partnership.clone(), p.tenant.id.to_string()] {
        let (s, b) = t.get(&format!("/v1/relationships/{name}"), &a.token).await;
        assert_eq!(
            (s, b["partnershipId"].as_str()),
            (200, Some(partnership.as_str())),
            "{b}"
        );
    }
}
