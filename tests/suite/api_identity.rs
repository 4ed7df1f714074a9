//! OAuth grants, tokens and the caller's identity.

use crate::support::{assert_error_shape, TestApp, PASSWORD};
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::json;

#[tokio::test]
async fn password_grant_gives_a_token_that_identifies_the_user() {
    let t = TestApp::spawn().await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let token = t.token(&admin.upn).await;
    let (s, me) = t.get("/v1/me", &token).await;
    assert_eq!(s, 200);
    assert_eq!(me["user"]["userPrincipalName"], admin.upn);
    assert_eq!(me["tenantId"], tenant.id.to_string());
    assert_eq!(me["tenantKind"], "partner");
    let roles: Vec<&str> = me["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(roles, ["global_administrator", "admin_agent"]);
    assert_eq!(me["attributes"]["objectType"], "Me");
}

#[tokio::test]
async fn wrong_password_is_invalid_grant_and_repeated_failures_are_throttled() {
    let t = TestApp::spawn_with(|c| c.signin_max_failures = 3).await;
    let (_, admin) = t.tenant(TenantKind::Partner, &[]).await;
    for _ in 0..3 {
        let (s, body) = t.token_response(&admin.upn, "Wrong-Password-9").await;
        assert_eq!(s, 400);
        assert_eq!(body["error"], "invalid_grant");
    }
    // Locked now: even the right password is refused until the lock ends.
    let r = t
        .http
        .post(t.url("/oauth2/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", admin.upn.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    // Unknown users get the same answer as wrong passwords.
    let (s, body) = t
        .token_response("nobody@nowhere.example", "Wrong-Password-9")
        .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
    // After the lock expires the right password works again.
    t.clock.advance(chrono::Duration::minutes(20));
    assert_eq!(t.token_response(&admin.upn, PASSWORD).await.0, 200);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let t = TestApp::spawn().await;
    let (_, admin) = t.tenant(TenantKind::Partner, &[]).await;
    let (_, first) = t.token_response(&admin.upn, PASSWORD).await;
    let r1 = first["refresh_token"].as_str().unwrap().to_string();
    let refresh = |rt: String| {
        let t = &t;
        async move {
            let r = t
                .http
                .post(t.url("/oauth2/token"))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", rt.as_str()),
                ])
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (s, second) = refresh(r1.clone()).await;
    assert_eq!(s, 200);
    let r2 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    // Replaying the used token revokes the family: r2 stops working too.
    let (s, body) = refresh(r1).await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
    let (s, _) = refresh(r2).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn client_credentials_act_for_the_tenant_with_the_apps_roles() {
    let t = TestApp::spawn().await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let token = t.token(&admin.upn).await;
    let (s, created) = t
        .post(
            "/v1/applications",
            &token,
            &json!({"displayName": "Billing sync", "roles": ["admin_agent"]}),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    let client_id = created["id"].as_str().unwrap();
    let secret = created["clientSecret"].as_str().unwrap();
    assert!(secret.len() >= 43, "at least 256 bits of secret");
    let r = t
        .http
        .post(t.url("/oauth2/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body.get("refresh_token").is_none(),
        "apps get no refresh token"
    );
    let app_token = body["access_token"].as_str().unwrap();
    let (s, me) = t.get("/v1/me", app_token).await;
    assert_eq!(s, 200);
    assert_eq!(me["applicationId"], client_id);
    assert_eq!(me["tenantId"], tenant.id.to_string());
    assert_eq!(t.get("/v1/users", app_token).await.0, 200);
    // An application cannot register more applications.
    let (s, body) = t
        .post("/v1/applications", app_token, &json!({"displayName": "x"}))
        .await;
    assert_eq!(s, 403);
    assert_error_shape(&body);
    // The listing never shows secrets again.
    let (_, list) = t.get("/v1/applications", &token).await;
    assert_eq!(list["totalCount"], 1);
    assert!(list["items"][0].get("clientSecret").is_none());
    // A wrong secret is refused.
    let r = t
        .http
        .post(t.url("/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn the_password_grant_can_be_switched_off() {
    let t = TestApp::spawn_with(|c| c.disable_password_grant = true).await;
    let (_, admin) = t.tenant(TenantKind::Partner, &[]).await;
    let (s, body) = t.token_response(&admin.upn, PASSWORD).await;
    assert_eq!(
        (s, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    let (_, doc) = {
        let r = t
            .http
            .get(t.url("/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<serde_json::Value>().await.unwrap())
    };
    assert!(!doc["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("password")));
}

#[tokio::test]
async fn expired_forged_and_malformed_tokens_are_refused() {
    let t = TestApp::spawn().await;
    let (_, admin) = t.tenant(TenantKind::Partner, &[]).await;
    let token = t.token(&admin.upn).await;
    for bad in ["", "not-a-jwt", "a.b.c", &token[..token.len() - 4]] {
        let (s, body) = t.get("/v1/me", bad).await;
        assert_eq!(s, 401, "token {bad:?}");
        assert_error_shape(&body);
    }
    // A token signed by another server's key.
    let other = TestApp::spawn().await;
    let (_, other_admin) = other.tenant(TenantKind::Partner, &[]).await;
    let foreign = other.token(&other_admin.upn).await;
    assert_eq!(t.get("/v1/me", &foreign).await.0, 401);
    // No token at all.
    let r = t.http.get(t.url("/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    // Expiry follows the clock.
    t.clock.advance(chrono::Duration::minutes(16));
    let (s, body) = t.get("/v1/me", &token).await;
    assert_eq!(s, 401);
    assert!(body["description"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn a_disabled_user_loses_access_at_once() {
    let t = TestApp::spawn().await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let sales = t.user(&tenant, "sales", &[Role::SalesAgent]).await;
    let admin_token = t.token(&admin.upn).await;
    let sales_token = t.token(&sales.upn).await;
    assert_eq!(t.get("/v1/me", &sales_token).await.0, 200);
    let r = t
        .http
        .patch(t.url(&format!("/v1/users/{}", sales.id)))
        .bearer_auth(&admin_token)
        .json(&json!({"state": "inactive"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(t.get("/v1/me", &sales_token).await.0, 401);
    assert_eq!(t.token_response(&sales.upn, PASSWORD).await.0, 400);
}

#[tokio::test]
async fn jwks_and_discovery_describe_the_signing_key() {
    let t = TestApp::spawn().await;
    let (_, jwks) = t.get_public("/.well-known/jwks.json").await;
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    let (_, admin) = t.tenant(TenantKind::Partner, &[]).await;
    let token = t.token(&admin.upn).await;
    // The token's key id is the published one.
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());
    let (_, doc) = t.get_public("/.well-known/openid-configuration").await;
    assert_eq!(doc["issuer"], t.base);
    assert_eq!(doc["token_endpoint"], format!("{}/oauth2/token", t.base));
    assert_eq!(doc["jwks_uri"], format!("{}/.well-known/jwks.json", t.base));
}

#[tokio::test]
async fn the_token_endpoint_refuses_bad_requests_clearly() {
    let t = TestApp::spawn().await;
    let r = t
        .http
        .post(t.url("/oauth2/token"))
        .json(&json!({"grant_type": "password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let b: serde_json::Value = r.json().await.unwrap();
    assert_eq!(b["error"], "invalid_request");
    let r = t
        .http
        .post(t.url("/oauth2/token"))
        .form(&[("grant_type", "implicit")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let b: serde_json::Value = r.json().await.unwrap();
    assert_eq!(b["error"], "unsupported_grant_type");
    let r = t
        .http
        .post(t.url("/oauth2/token"))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    let b: serde_json::Value = r.json().await.unwrap();
    assert_eq!(b["error"], "invalid_request");
}

fn code_now(t: &TestApp, secret_b32: &str) -> String {
    let secret = partnerhub::crypto::base32_decode(secret_b32).unwrap();
    partnerhub::crypto::totp(&secret)
        .unwrap()
        .generate(t.clock.now().timestamp() as u64)
}

#[tokio::test]
async fn users_turn_on_totp_and_then_need_it_to_sign_in() {
    let t = TestApp::spawn().await;
    let (_, admin) = t.tenant(TenantKind::Partner, &[]).await;
    let token = t.token(&admin.upn).await;
    let (s, setup) = t.post("/v1/me/mfa/setup", &token, &json!({})).await;
    assert_eq!(s, 200);
    let secret = setup["secret"].as_str().unwrap().to_string();
    assert!(setup["otpauthUri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/"));
    let (s, b) = t
        .post(
            "/v1/me/mfa/confirm",
            &token,
            &json!({"secret": secret, "code": "000000"}),
        )
        .await;
    assert_eq!((s, b["data"][0]["field"].as_str()), (400, Some("code")));
    let r = t
        .http
        .post(t.url("/v1/me/mfa/confirm"))
        .bearer_auth(&token)
        .json(&json!({"secret": secret, "code": code_now(&t, &secret)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    // A code works once: the next sign-in waits for the next one.
    t.clock.advance(chrono::Duration::seconds(30));
    // The password alone no longer signs in; with the current code it does.
    let (s, b) = t.token_response(&admin.upn, PASSWORD).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")));
    let r = t
        .http
        .post(t.url("/oauth2/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", admin.upn.as_str()),
            ("password", PASSWORD),
            ("mfa_code", code_now(&t, &secret).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    t.clock.advance(chrono::Duration::seconds(30));
    // The portal asks for the code after the password.
    let r = t.http.get(t.url("/portal/signin")).send().await.unwrap();
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__Host-partnerhub="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let html = r.text().await.unwrap();
    let i = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[i..].split('"').next().unwrap().to_string();
    let r = t
        .http
        .post(t.url("/portal/signin"))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("upn", admin.upn.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/portal/signin/mfa"));
    let pending = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__Host-partnerhub="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    // Half signed-in is not signed in.
    let r = t
        .http
        .get(t.url("/portal"))
        .header("cookie", &pending)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = t
        .http
        .get(t.url("/portal/signin/mfa"))
        .header("cookie", &pending)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let i = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[i..].split('"').next().unwrap().to_string();
    let r = t
        .http
        .post(t.url("/portal/signin/mfa"))
        .header("cookie", &pending)
        .form(&[
            ("csrf", csrf.as_str()),
            ("code", code_now(&t, &secret).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let signed = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__Host-partnerhub="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        t.http
            .get(t.url("/portal"))
            .header("cookie", &signed)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn partners_rename_their_organisation_with_an_etag() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let r = t
        .http
        .get(t.url("/v1/profiles/organization"))
        .bearer_auth(&p.token)
        .send()
        .await
        .unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let put = |tag: String| {
        let t = &t;
        let tok = p.token.clone();
        async move {
            t.http
                .put(t.url("/v1/profiles/organization"))
                .bearer_auth(tok)
                .header("If-Match", tag)
                .json(&json!({"companyName": "Renamed Distribution"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(put(etag.clone()).await, 200);
    assert_eq!(put(etag).await, 412);
    let (_, org) = t.get("/v1/profiles/organization", &p.token).await;
    assert_eq!(org["companyName"], "Renamed Distribution");
}
