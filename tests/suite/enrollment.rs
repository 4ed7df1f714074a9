//! Enrollment by API: sign-up, membership, application, verification, review, agreement,
//! profiles, and every refusal on the way.

use crate::support::smtp::SmtpServer;
use crate::support::{assert_error_shape, TestApp, PASSWORD};
use partnerhub::config::MailMode;
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::{json, Value};

pub const MEMBERSHIPS: &str =
    "mpn_id,org_name,country,username,password,profile_id,profile_name,profile_country\n\
    8000001,Trey Research,US,trey,Member-Pass-1,8100001,Trey Research US,US\n\
    8000001,Trey Research,US,trey,Member-Pass-1,8100002,Trey Research Korea,KR\n\
    8000002,Wide World Importers,US,wideworld,Member-Pass-1,8100003,Wide World US,US\n";

pub async fn with_smtp() -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let t = TestApp::spawn_with(|c| {
        c.mail_mode = MailMode::Smtp;
        c.smtp_url = Some(url);
    })
    .await;
    partnerhub::app::memberships::import(&t.app, None, MEMBERSHIPS.as_bytes())
        .await
        .unwrap();
    (t, smtp)
}

pub fn application(contact: &str) -> Value {
    json!({
        "legalName": "Trey Research LLC", "addressLine1": "1 Research Way", "city": "Redmond", "region": "WA",
        "postalCode": "98052", "country": "US",
        "contactFirstName": "Terry", "contactLastName": "Adams", "contactEmail": contact, "contactPhone": "+1 425 555 0100",
        "supportEmail": "support@trey.example", "supportPhone": "+1 425 555 0199", "supportWebsite": "https://trey.example/help"
    })
}

/// Signs up a new tenant by API and returns (token, domain).
async fn sign_up(t: &TestApp, domain: &str) -> String {
    let r = t.http.post(t.url("/v1/tenants")).json(&json!({
        "domain": domain, "displayName": "Trey Research", "country": "US",
        "admin": {"userPrincipalName": format!("admin@{domain}"), "displayName": "Terry Adams", "password": PASSWORD}
    })).send().await.unwrap();
    assert_eq!(r.status(), 201);
    t.token(&format!("admin@{domain}")).await
}

async fn send(
    t: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = t.http.request(method, t.url(path)).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn token_in(text: &str) -> String {
    let i = text
        .find("token=")
        .expect("the mail has a link with a token")
        + 6;
    text[i..].split_whitespace().next().unwrap().to_string()
}

async fn operator(t: &TestApp) -> String {
    let (_, op) = t.tenant(TenantKind::Operator, &[Role::OperatorAdmin]).await;
    t.token(&op.upn).await
}

/// Starts (or returns) the caller's enrollment application in `program`.
async fn start(t: &TestApp, token: &str, program: &str) -> (u16, Value) {
    t.post("/v1/enrollments", token, &json!({ "program": program }))
        .await
}

#[tokio::test]
async fn a_reseller_enrolls_by_api_from_sign_up_to_authorization() {
    let (t, smtp) = with_smtp().await;
    let token = sign_up(&t, "trey.example").await;
    use reqwest::Method as M;

    let (s, e) = start(&t, &token, "indirect_reseller").await;
    assert_eq!(s, 201, "{e}");
    let id = e["id"].as_str().unwrap().to_string();
    assert_eq!(
        (e["status"].as_str(), e["vettingStatus"].as_str()),
        (Some("draft"), Some("none"))
    );
    // Starting again returns the same application.
    let (s, again) = start(&t, &token, "indirect_reseller").await;
    assert_eq!((s, again["id"].as_str()), (200, Some(id.as_str())));

    // Membership sign-in: wrong password, then right.
    let path = format!("/v1/enrollments/{id}/membership");
    let (s, err) = t
        .post(
            &path,
            &token,
            &json!({"username": "trey", "password": "nope-nope"}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(err["data"][0]["field"], "membershipUsername");
    let (s, linked) = t
        .post(
            &path,
            &token,
            &json!({"username": "Trey", "password": "Member-Pass-1"}),
        )
        .await;
    assert_eq!(s, 200, "{linked}");
    assert_eq!(linked["mpnId"], 8000001);
    let eligible: Vec<(i64, bool)> = linked["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["profileId"].as_i64().unwrap(),
                p["eligible"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(eligible, [(8100001, true), (8100002, false)]);
    // A profile in another country is refused, naming both countries.
    let (s, err) = send(
        &t,
        M::PUT,
        &path,
        &token,
        Some(json!({"profileId": 8100002})),
    )
    .await;
    assert_eq!(s, 400);
    let msg = err["data"][0]["message"].as_str().unwrap();
    assert!(msg.contains("KR") && msg.contains("US"), "{msg}");
    // Cancel and sign in with another membership, then back to the right one.
    let (s, e) = send(&t, M::DELETE, &path, &token, None).await;
    assert_eq!((s, e["mpnId"].clone()), (200, Value::Null));
    t.post(
        &path,
        &token,
        &json!({"username": "trey", "password": "Member-Pass-1"}),
    )
    .await;
    let (s, e) = send(
        &t,
        M::PUT,
        &path,
        &token,
        Some(json!({"profileId": 8100001})),
    )
    .await;
    assert_eq!((s, e["profileId"].as_i64()), (200, Some(8100001)));

    // A webmail contact is refused with a field error and nothing moves.
    let submit = format!("/v1/enrollments/{id}/submit");
    let (s, err) = t
        .post(
            &submit,
            &token,
            &json!({"application": application("terry@gmail.com")}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(err["data"][0]["field"], "contactEmail");
    let (_, e) = t.get(&format!("/v1/enrollments/{id}"), &token).await;
    assert_eq!(e["status"], "draft");

    let (s, e) = t
        .post(
            &submit,
            &token,
            &json!({"application": application("terry@trey.example")}),
        )
        .await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(
        (e["status"].as_str(), e["vettingSubStatus"].as_str()),
        (Some("awaiting_email_verification"), Some("email_ownership"))
    );
    let mail = smtp.wait_for("terry@trey.example").await;
    assert!(mail["subject"]
        .as_str()
        .unwrap()
        .contains("Confirm your e-mail"));
    let link_token = token_in(mail["text"].as_str().unwrap());
    assert!(link_token.len() >= 43, "at least 256 bits");

    // Tampered, then real, then reused.
    let verify = |tok: String| {
        let t = &t;
        async move {
            let r = t
                .http
                .post(t.url("/v1/enrollments/verification"))
                .json(&json!({"token": tok}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, err) = verify(format!("{link_token}x")).await;
    assert_eq!(s, 409);
    assert!(err["description"].as_str().unwrap().contains("not valid"));
    let (s, e) = verify(link_token.clone()).await;
    assert_eq!((s, e["status"].as_str()), (200, Some("under_review")));
    let (s, err) = verify(link_token).await;
    assert_eq!(s, 409);
    assert!(err["description"]
        .as_str()
        .unwrap()
        .contains("used already"));

    // The operator asks for more information; the applicant resubmits; then approval.
    let op = operator(&t).await;
    let (s, queue) = t.get("/v1/enrollments?status=under_review", &op).await;
    assert_eq!((s, queue["totalCount"].as_i64()), (200, Some(1)));
    let (s, e) = t
        .post(
            &format!("/v1/enrollments/{id}/requestinfo"),
            &op,
            &json!({"note": "Please add your suite number."}),
        )
        .await;
    assert_eq!((s, e["status"].as_str()), (200, Some("more_info_needed")));
    let mail = smtp
        .wait_for_subject("terry@trey.example", "needs more information")
        .await;
    assert!(mail["text"]
        .as_str()
        .unwrap()
        .contains("Please add your suite number."));
    let mut fixed = application("terry@trey.example");
    fixed["addressLine2"] = json!("Suite 100");
    let (s, e) = t
        .post(&submit, &token, &json!({"application": fixed}))
        .await;
    assert_eq!(
        (s, e["status"].as_str()),
        (200, Some("under_review")),
        "the verified contact is not asked again"
    );
    let (s, e) = t
        .post(&format!("/v1/enrollments/{id}/approve"), &op, &json!({}))
        .await;
    assert_eq!(
        (s, e["status"].as_str(), e["vettingStatus"].as_str()),
        (200, Some("authorized"), Some("authorized"))
    );
    let approved = smtp
        .wait_for_subject("terry@trey.example", "is authorized")
        .await;
    // The approval mail warns that the first sign-in asks for two-step verification.
    assert!(
        approved["text"]
            .as_str()
            .is_some_and(|b| b.contains("two-step verification")),
        "{approved}"
    );

    // The applicant is now an admin agent of a partner that must accept the agreement.
    let (_, me) = t.get("/v1/me", &token).await;
    assert!(me["roles"]
        .as_array()
        .unwrap()
        .contains(&json!("admin_agent")));
    let (s, legal) = t.get("/v1/profiles/legalbusiness", &token).await;
    assert_eq!(
        (
            s,
            legal["vettingStatus"].as_str(),
            legal["vettingSubStatus"].as_str()
        ),
        (200, Some("authorized"), Some("decision"))
    );
    assert_eq!(legal["address"]["addressLine2"], "Suite 100");
    let (_, mpn) = t.get("/v1/profiles/mpn", &token).await;
    assert_eq!(mpn["mpnId"], "8100001");
    let (_, agreement) = t.get("/v1/agreements/current", &token).await;
    assert_eq!(agreement["accepted"], false);
    let (s, err) = t
        .post(
            "/v1/agreements/current/acceptance",
            &token,
            &json!({"version": "1999-01"}),
        )
        .await;
    assert_eq!(s, 400, "{err}");
    let (s, accepted) = t
        .post(
            "/v1/agreements/current/acceptance",
            &token,
            &json!({"version": agreement["version"]}),
        )
        .await;
    assert_eq!((s, accepted["accepted"].as_bool()), (200, Some(true)));
    assert_eq!(accepted["acceptedBy"], "admin@trey.example");
}

#[tokio::test]
async fn profiles_honour_etags_and_validation() {
    let (t, _smtp) = with_smtp().await;
    let (token, _) = authorized_partner(&t, "wideworld", 8100003, "wwi.example").await;
    let r = t
        .http
        .get(t.url("/v1/profiles/support"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let put = |tag: String, email: &'static str| {
        let t = &t;
        let token = token.clone();
        async move {
            let r = t.http.put(t.url("/v1/profiles/support")).bearer_auth(token).header("If-Match", tag)
            .json(&json!({"email": email, "telephone": "+1 206 555 0100", "website": "https://wwi.example"})).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, b) = put(etag.clone(), "not-an-email").await;
    assert_eq!(s, 400);
    assert_eq!(b["data"][0]["field"], "supportEmail");
    let (s, b) = put(etag.clone(), "care@wwi.example").await;
    assert_eq!((s, b["email"].as_str()), (200, Some("care@wwi.example")));
    let (s, b) = put(etag, "late@wwi.example").await;
    assert_eq!(s, 412);
    assert_error_shape(&b);
    let (_, org) = t.get("/v1/profiles/organization", &token).await;
    assert_eq!(org["domain"], "wwi.example");
    assert_eq!(org["profileType"], "organization_profile");
}

/// Runs a whole enrollment for a new tenant by API and returns (admin token, enrollment id).
pub async fn authorized_partner(
    t: &TestApp,
    membership: &str,
    profile: i64,
    domain: &str,
) -> (String, String) {
    let token = sign_up(t, domain).await;
    let (_, e) = start(t, &token, "indirect_provider").await;
    let id = e["id"].as_str().unwrap().to_string();
    t.post(
        &format!("/v1/enrollments/{id}/membership"),
        &token,
        &json!({"username": membership, "password": "Member-Pass-1"}),
    )
    .await;
    send(
        t,
        reqwest::Method::PUT,
        &format!("/v1/enrollments/{id}/membership"),
        &token,
        Some(json!({"profileId": profile})),
    )
    .await;
    let (s, e) = t
        .post(
            &format!("/v1/enrollments/{id}/submit"),
            &token,
            &json!({"application": application(&format!("ops@{domain}"))}),
        )
        .await;
    assert_eq!(s, 200, "{e}");
    let link = {
        let hash_row = partnerhub::app::store::enrollments::get(&t.app.db, id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hash_row.status.as_str(), "awaiting_email_verification");
        // Use the operator path for the rest: verify through the mailed token is covered above.
        let token = partnerhub::crypto::random_token(32);
        let mut tx = t.app.db.begin().await.unwrap();
        partnerhub::app::store::links::insert(
            &mut tx,
            &partnerhub::crypto::token_hash(&token),
            partnerhub::app::enrollment::VERIFY_PURPOSE,
            &id,
            0,
            i64::MAX / 2,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        token
    };
    assert!(partnerhub::app::enrollment::verify_email(&t.app, &link)
        .await
        .unwrap()
        .is_ok());
    let op = operator(t).await;
    let (s, _) = t
        .post(&format!("/v1/enrollments/{id}/approve"), &op, &json!({}))
        .await;
    assert_eq!(s, 200);
    (token, id)
}

#[tokio::test]
async fn an_expired_link_changes_nothing_and_says_so() {
    let (t, smtp) = with_smtp().await;
    let token = sign_up(&t, "late.example").await;
    let (_, e) = start(&t, &token, "indirect_reseller").await;
    let id = e["id"].as_str().unwrap();
    t.post(
        &format!("/v1/enrollments/{id}/membership"),
        &token,
        &json!({"username": "wideworld", "password": "Member-Pass-1"}),
    )
    .await;
    send(
        &t,
        reqwest::Method::PUT,
        &format!("/v1/enrollments/{id}/membership"),
        &token,
        Some(json!({"profileId": 8100003})),
    )
    .await;
    let (s, _) = t
        .post(
            &format!("/v1/enrollments/{id}/submit"),
            &token,
            &json!({"application": application("ops@late.example")}),
        )
        .await;
    assert_eq!(s, 200);
    let mail = smtp.wait_for("ops@late.example").await;
    let link = token_in(mail["text"].as_str().unwrap());
    t.clock.advance(chrono::Duration::days(8));
    let r = t
        .http
        .post(t.url("/v1/enrollments/verification"))
        .json(&json!({"token": link}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let b: Value = r.json().await.unwrap();
    assert!(b["description"].as_str().unwrap().contains("expired"));
    // (The access token expired with the clock too: sign in again.)
    let token = t.token("admin@late.example").await;
    let (_, e) = t.get(&format!("/v1/enrollments/{id}"), &token).await;
    assert_eq!(e["status"], "awaiting_email_verification");
}

#[tokio::test]
async fn only_global_administrators_apply_and_only_operators_decide() {
    let (t, _smtp) = with_smtp().await;
    let token = sign_up(&t, "mixed.example").await;
    let (_, e) = start(&t, &token, "indirect_reseller").await;
    let id = e["id"].as_str().unwrap().to_string();
    // A non-administrator of the same tenant.
    let tenant = partnerhub::app::store::identity::user_by_upn(&t.app.db, "admin@mixed.example")
        .await
        .unwrap()
        .unwrap();
    let tenant = partnerhub::app::store::identity::tenant(&t.app.db, tenant.tenant_id)
        .await
        .unwrap()
        .unwrap();
    let clerk = t.user(&tenant, "clerk", &[]).await;
    let clerk_token = t.token(&clerk.upn).await;
    let (s, b) = start(&t, &clerk_token, "indirect_provider").await;
    assert_eq!(s, 403);
    assert_error_shape(&b);
    // Another applicant cannot see or touch this application.
    let other = sign_up(&t, "other.example").await;
    assert_eq!(t.get(&format!("/v1/enrollments/{id}"), &other).await.0, 404);
    assert_eq!(
        t.post(&format!("/v1/enrollments/{id}/submit"), &other, &json!({}))
            .await
            .0,
        404
    );
    // The applicant cannot approve itself; a draft cannot be approved at all.
    assert_eq!(
        t.post(&format!("/v1/enrollments/{id}/approve"), &token, &json!({}))
            .await
            .0,
        403
    );
    let op = operator(&t).await;
    let (s, b) = t
        .post(&format!("/v1/enrollments/{id}/approve"), &op, &json!({}))
        .await;
    assert_eq!(s, 409, "{b}");
    // A customer directory cannot enroll.
    let (_, customer) = t.tenant(TenantKind::Customer, &[]).await;
    let ctoken = t.token(&customer.upn).await;
    assert_eq!(
        t.post(
            "/v1/enrollments",
            &ctoken,
            &json!({"program": "indirect_reseller"})
        )
        .await
        .0,
        403
    );
    // Unknown programs are a clear 400.
    let (s, b) = t
        .post("/v1/enrollments", &token, &json!({"program": "platinum"}))
        .await;
    assert_eq!(s, 400);
    assert_error_shape(&b);
}

#[tokio::test]
async fn a_rejection_carries_its_reason_to_the_contact() {
    let (t, smtp) = with_smtp().await;
    let token = sign_up(&t, "nope.example").await;
    let (_, e) = start(&t, &token, "indirect_reseller").await;
    let id = e["id"].as_str().unwrap().to_string();
    t.post(
        &format!("/v1/enrollments/{id}/membership"),
        &token,
        &json!({"username": "wideworld", "password": "Member-Pass-1"}),
    )
    .await;
    send(
        &t,
        reqwest::Method::PUT,
        &format!("/v1/enrollments/{id}/membership"),
        &token,
        Some(json!({"profileId": 8100003})),
    )
    .await;
    t.post(
        &format!("/v1/enrollments/{id}/submit"),
        &token,
        &json!({"application": application("ceo@nope.example")}),
    )
    .await;
    let mail = smtp.wait_for("ceo@nope.example").await;
    let link = token_in(mail["text"].as_str().unwrap());
    t.http
        .post(t.url("/v1/enrollments/verification"))
        .json(&json!({"token": link}))
        .send()
        .await
        .unwrap();
    let op = operator(&t).await;
    let (s, b) = t
        .post(
            &format!("/v1/enrollments/{id}/reject"),
            &op,
            &json!({"note": "  "}),
        )
        .await;
    assert_eq!((s, b["data"][0]["field"].as_str()), (400, Some("reason")));
    let (s, e) = t
        .post(
            &format!("/v1/enrollments/{id}/reject"),
            &op,
            &json!({"note": "The registration could not be confirmed."}),
        )
        .await;
    assert_eq!((s, e["vettingStatus"].as_str()), (200, Some("rejected")));
    let mail = smtp
        .wait_for_subject("ceo@nope.example", "was not approved")
        .await;
    assert!(mail["text"]
        .as_str()
        .unwrap()
        .contains("The registration could not be confirmed."));
    // The rejected applicant gets no partner account and cannot accept the agreement.
    assert_eq!(
        t.post(
            "/v1/agreements/current/acceptance",
            &token,
            &json!({"version": "2026-01"})
        )
        .await
        .0,
        403
    );
}

#[tokio::test]
async fn a_provider_adding_the_reseller_program_gives_only_support_details() {
    let (t, _smtp) = with_smtp().await;
    let (token, _) = authorized_partner(&t, "wideworld", 8100003, "dual.example").await;
    let (s, e) = start(&t, &token, "indirect_reseller").await;
    assert_eq!(s, 201);
    assert_eq!(e["supportOnly"], true);
    let id = e["id"].as_str().unwrap();
    let mut only_support = serde_json::Map::new();
    for k in ["supportEmail", "supportPhone", "supportWebsite"] {
        only_support.insert(k.into(), application("x@dual.example")[k].clone());
    }
    let (s, e) = t
        .post(
            &format!("/v1/enrollments/{id}/submit"),
            &token,
            &json!({"application": only_support}),
        )
        .await;
    assert_eq!(
        (s, e["status"].as_str()),
        (200, Some("under_review")),
        "{e}"
    );
    let op = operator(&t).await;
    t.post(&format!("/v1/enrollments/{id}/approve"), &op, &json!({}))
        .await;
    let p = partnerhub::app::store::partners::by_mpn(&t.app.db, 8100003)
        .await
        .unwrap()
        .unwrap();
    assert!(p.is_provider && p.is_reseller);
    // Enrolling again in a program it has is refused.
    let (s, b) = start(&t, &token, "indirect_provider").await;
    assert_eq!(s, 409);
    assert!(b["description"]
        .as_str()
        .unwrap()
        .contains("already enrolled"));
}

#[tokio::test]
async fn the_last_admin_agent_stays_and_removed_users_lose_access() {
    let (t, _smtp) = with_smtp().await;
    let (token, _) = authorized_partner(&t, "trey", 8100001, "keep.example").await;
    let (_, me) = t.get("/v1/me", &token).await;
    let admin_id = me["user"]["id"].as_str().unwrap().to_string();
    let tenant = partnerhub::app::store::identity::tenant(
        &t.app.db,
        me["tenantId"].as_str().unwrap().parse().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let sales = t.user(&tenant, "sales", &[Role::SalesAgent]).await;
    // Demoting the only admin agent is refused (also via another global admin).
    let second = t
        .user(&tenant, "second", &[Role::GlobalAdministrator])
        .await;
    let second_token = t.token(&second.upn).await;
    let r = t
        .http
        .patch(t.url(&format!("/v1/users/{admin_id}")))
        .bearer_auth(&second_token)
        .json(&json!({"roles": ["global_administrator"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let b: Value = r.json().await.unwrap();
    assert!(b["description"]
        .as_str()
        .unwrap()
        .contains("last admin agent"));
    let r = t
        .http
        .delete(t.url(&format!("/v1/users/{admin_id}")))
        .bearer_auth(&second_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    // Removing someone else works, and they can no longer sign in.
    let r = t
        .http
        .delete(t.url(&format!("/v1/users/{}", sales.id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(t.token_response(&sales.upn, PASSWORD).await.0, 400);
    let (_, u) = t.get(&format!("/v1/users/{}", sales.id), &token).await;
    assert_eq!(u["state"], "inactive");
}

#[tokio::test]
async fn an_application_id_that_is_no_id_is_not_found_on_the_api_and_in_the_portal() {
    use crate::support::ids::{api_not_found, portal_not_found};
    use reqwest::Method as M;
    let t = TestApp::spawn().await;
    let token = sign_up(&t, "lumen.example").await;
    let (s, e) = start(&t, &token, "indirect_reseller").await;
    assert_eq!(s, 201, "{e}");
    let id = e["id"].as_str().unwrap();
    assert_eq!(t.get(&format!("/v1/enrollments/{id}"), &token).await.0, 200);
    for (method, path, body) in [
        (M::GET, "/v1/enrollments/{id}", Value::Null),
        (
            M::PUT,
            "/v1/enrollments/{id}/application",
            application("terry@lumen.example"),
        ),
        (M::POST, "/v1/enrollments/{id}/submit", json!({})),
        (M::DELETE, "/v1/enrollments/{id}/membership", Value::Null),
    ] {
        api_not_found(&t, method, path, &token, &body).await;
    }
    let (_, op) = t.tenant(TenantKind::Operator, &[Role::OperatorAdmin]).await;
    let op_token = t.token(&op.upn).await;
    api_not_found(
        &t,
        M::POST,
        "/v1/enrollments/{id}/approve",
        &op_token,
        &json!({}),
    )
    .await;

    let (cookie, csrf) = crate::portal_http::portal_session(&t, "admin@lumen.example").await;
    let own = format!("/portal/enrollment/{id}");
    assert_eq!(t.html(&own, Some(&cookie), None).await.0, 200);
    portal_not_found(&t, &cookie, M::GET, "/portal/enrollment/{id}", &[]).await;
    portal_not_found(
        &t,
        &cookie,
        M::POST,
        "/portal/enrollment/{id}/application",
        &[("csrf", &csrf), ("action", "save")],
    )
    .await;
    let (cookie, csrf) = crate::portal_http::portal_session(&t, &op.upn).await;
    let review = format!("/portal/operator/enrollments/{id}");
    assert_eq!(t.html(&review, Some(&cookie), None).await.0, 200);
    portal_not_found(
        &t,
        &cookie,
        M::GET,
        "/portal/operator/enrollments/{id}",
        &[],
    )
    .await;
    portal_not_found(
        &t,
        &cookie,
        M::POST,
        "/portal/operator/enrollments/{id}/decide",
        &[("csrf", &csrf), ("decision", "approve")],
    )
    .await;
}
