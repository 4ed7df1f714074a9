//! Sign-in for integrators over HTTP: OpenID Connect discovery, the authorization-code flow
//! with PKCE through the portal's consent page, id tokens checked with the published RS256
//! key, and the refusals (wrong verifier, reused code, unregistered redirect, denied and
//! revoked consent).

use crate::portal_http::portal_session;
use crate::support::TestApp;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::{json, Value};
use sha2::Digest;

const REDIRECT: &str = "https://app.example.test/callback";

struct Client {
    id: String,
    secret: String,
}

/// A provider registers an application with one redirect address; a reseller's user will
/// sign in to it.
async fn setup(t: &TestApp) -> (Client, String) {
    let p = t.partner(true, false, "US").await;
    let (s, a) = t
        .post(
            "/v1/applications",
            &p.token,
            &json!({"displayName": "Ledger Sync"}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let id = a["id"].as_str().unwrap().to_string();
    let (s, r) = t
        .put(
            &format!("/v1/applications/{id}/redirecturis"),
            &p.token,
            &json!({"redirectUris": [REDIRECT]}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["redirectUris"], json!([REDIRECT]));
    let (_, user) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    (
        Client {
            id,
            secret: a["clientSecret"].as_str().unwrap().to_string(),
        },
        user.upn,
    )
}

fn pkce() -> (String, String) {
    let verifier = partnerhub::crypto::random_token(40);
    let challenge = B64.encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn authorize_query(client: &str, redirect: &str, challenge: &str, scope: &str) -> String {
    serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", client),
        ("redirect_uri", redirect),
        ("scope", scope),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ])
    .unwrap()
}

fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    let u = url::Url::parse(location).unwrap();
    u.query_pairs().into_owned().collect()
}

/// Shows the consent page for a signed-in user and answers it; returns the Location the
/// browser is sent to.
async fn consent(t: &TestApp, cookie: &str, csrf: &str, query: &str, decision: &str) -> String {
    let r = t
        .http
        .get(t.url(&format!("/portal/oauth2/authorize?{query}")))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("form-action 'self' https://app.example.test"),
        "{csp}"
    );
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Ledger Sync"),
        "the page names the application"
    );
    assert!(
        html.contains("data-scope=\"openid\""),
        "the page lists the scopes"
    );
    assert!(html.contains("consent-until"), "the page says for how long");
    let mut form: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    form.push(("csrf".into(), csrf.into()));
    form.push(("decision".into(), decision.into()));
    let r = t
        .http
        .post(t.url("/portal/oauth2/authorize"))
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    r.headers()["location"].to_str().unwrap().to_string()
}

async fn trade(
    t: &TestApp,
    c: &Client,
    code: &str,
    redirect: &str,
    verifier: &str,
) -> (u16, Value) {
    let r = t
        .http
        .post(t.url("/oauth2/token"))
        .basic_auth(&c.id, Some(&c.secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn refresh(t: &TestApp, token: &str) -> u16 {
    t.http
        .post(t.url("/oauth2/token"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Runs the flow up to the code: (code, verifier, cookie, csrf).
async fn code_for(t: &TestApp, c: &Client, upn: &str) -> (String, String, String, String) {
    let (cookie, csrf) = portal_session(t, upn).await;
    let (verifier, challenge) = pkce();
    let q = authorize_query(&c.id, REDIRECT, &challenge, "openid profile offline_access");
    let to = consent(t, &cookie, &csrf, &q, "approve").await;
    assert!(to.starts_with(REDIRECT), "{to}");
    let q = query_of(&to);
    assert_eq!(q["state"], "st-123");
    (q["code"].clone(), verifier, cookie, csrf)
}

#[tokio::test]
async fn discovery_validates_and_publishes_the_audience_and_the_rs256_key() {
    let t = TestApp::spawn().await;
    let (_, d) = t.get_public("/.well-known/openid-configuration").await;
    assert_eq!(d["issuer"], t.base);
    assert_eq!(
        d["authorization_endpoint"],
        t.url("/portal/oauth2/authorize")
    );
    assert_eq!(d["token_endpoint"], t.url("/oauth2/token"));
    assert_eq!(d["response_types_supported"], json!(["code"]));
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    assert!(d["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("RS256")));
    assert!(d["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("authorization_code")));
    assert!(d["scopes_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("openid")));
    assert_eq!(d["subject_types_supported"], json!(["public"]));
    assert_eq!(d["access_token_audience"], "partnerhub");
    let (_, jwks) = t.get_public("/.well-known/jwks.json").await;
    let algs: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap())
        .collect();
    assert!(
        algs.contains(&"EdDSA") && algs.contains(&"RS256"),
        "{algs:?}"
    );
}

#[tokio::test]
async fn the_code_flow_signs_a_user_in_with_a_verified_id_token_and_a_working_access_token() {
    let t = TestApp::spawn().await;
    let (c, upn) = setup(&t).await;
    // A visitor who is not signed in is sent to sign in first, and comes back here.
    let (_, challenge) = pkce();
    let q = authorize_query(&c.id, REDIRECT, &challenge, "openid");
    let r = t
        .http
        .get(t.url(&format!("/portal/oauth2/authorize?{q}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/portal/signin?next=%2Fportal%2Foauth2%2Fauthorize"));

    let (code, verifier, cookie, _) = code_for(&t, &c, &upn).await;
    let (s, tok) = trade(&t, &c, &code, REDIRECT, &verifier).await;
    assert_eq!(s, 200, "{tok}");
    assert!(
        tok["refresh_token"].is_string(),
        "offline_access gives a refresh token"
    );

    // The id token verifies with the RS256 key of the JWKS.
    let (_, jwks) = t.get_public("/.well-known/jwks.json").await;
    let id_token = tok["id_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"].as_str() == header.kid.as_deref())
        .unwrap();
    assert_eq!(jwk["kty"], "RSA");
    let key = jsonwebtoken::DecodingKey::from_rsa_components(
        jwk["n"].as_str().unwrap(),
        jwk["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[&c.id]);
    v.set_issuer(&[&t.base]);
    let claims = jsonwebtoken::decode::<Value>(id_token, &key, &v)
        .unwrap()
        .claims;
    assert_eq!(claims["nonce"], "n-456");
    assert_eq!(claims["preferred_username"], upn.as_str());
    assert!(claims["auth_time"].as_i64().unwrap() <= claims["iat"].as_i64().unwrap());
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());

    // The access token acts as the user; the refresh token works while consent stands.
    let (s, me) = t.get("/v1/me", tok["access_token"].as_str().unwrap()).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["user"]["userPrincipalName"], upn.as_str());
    assert_eq!(
        refresh(&t, tok["refresh_token"].as_str().unwrap()).await,
        200
    );

    // A second authorization with the consent standing skips the page.
    let (_, challenge) = pkce();
    let q = authorize_query(&c.id, REDIRECT, &challenge, "openid profile");
    let r = t
        .http
        .get(t.url(&format!("/portal/oauth2/authorize?{q}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(query_of(r.headers()["location"].to_str().unwrap()).contains_key("code"));
}

#[tokio::test]
async fn a_wrong_verifier_a_reused_code_and_another_redirect_are_refused() {
    let t = TestApp::spawn().await;
    let (c, upn) = setup(&t).await;
    let (code, verifier, _, _) = code_for(&t, &c, &upn).await;
    let (s, e) = trade(&t, &c, &code, REDIRECT, &pkce().0).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "wrong verifier"
    );
    let (s, e) = trade(&t, &c, &code, "https://app.example.test/other", &verifier).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "other redirect_uri"
    );
    let wrong = Client {
        id: c.id.clone(),
        secret: "nope".into(),
    };
    let (s, e) = trade(&t, &wrong, &code, REDIRECT, &verifier).await;
    assert_eq!((s, e["error"].as_str()), (401, Some("invalid_client")));

    // The right trade works once; a second use fails and revokes what the first issued.
    let (s, tok) = trade(&t, &c, &code, REDIRECT, &verifier).await;
    assert_eq!(s, 200, "{tok}");
    let (s, e) = trade(&t, &c, &code, REDIRECT, &verifier).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "reuse"
    );
    assert_eq!(
        refresh(&t, tok["refresh_token"].as_str().unwrap()).await,
        400,
        "tokens from a reused code are revoked"
    );

    // An unregistered redirect address is shown to the user, never redirected to.
    let (cookie, _) = portal_session(&t, &upn).await;
    let q = authorize_query(&c.id, "https://evil.example.test/cb", &pkce().1, "openid");
    let r = t
        .http
        .get(t.url(&format!("/portal/oauth2/authorize?{q}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    // PKCE is required, S256 only.
    let q = authorize_query(&c.id, REDIRECT, &pkce().1, "openid").replace("S256", "plain");
    let r = t
        .http
        .get(t.url(&format!("/portal/oauth2/authorize?{q}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        query_of(r.headers()["location"].to_str().unwrap())["error"],
        "invalid_request"
    );
}

#[tokio::test]
async fn denied_consent_answers_access_denied_and_a_forged_form_changes_nothing() {
    let t = TestApp::spawn().await;
    let (c, upn) = setup(&t).await;
    let (cookie, csrf) = portal_session(&t, &upn).await;
    let q = authorize_query(&c.id, REDIRECT, &pkce().1, "openid");
    let to = consent(&t, &cookie, &csrf, &q, "deny").await;
    let back = query_of(&to);
    assert_eq!(back["error"], "access_denied");
    assert_eq!(back["state"], "st-123");
    assert!(!back.contains_key("code"));
    // Without the CSRF token the approval is refused.
    let mut form: Vec<(String, String)> = serde_urlencoded::from_str(&q).unwrap();
    form.push(("csrf".into(), "forged".into()));
    form.push(("decision".into(), "approve".into()));
    let r = t
        .http
        .post(t.url("/portal/oauth2/authorize"))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let token = t.token(&upn).await;
    let (_, list) = t.get("/v1/consents", &token).await;
    assert_eq!(list["totalCount"], 0, "{list}");
}

#[tokio::test]
async fn a_revoked_consent_stops_refresh_in_the_api_and_the_portal() {
    let t = TestApp::spawn().await;
    let (c, upn) = setup(&t).await;
    let (code, verifier, cookie, csrf) = code_for(&t, &c, &upn).await;
    let (_, tok) = trade(&t, &c, &code, REDIRECT, &verifier).await;
    let rt = tok["refresh_token"].as_str().unwrap();
    let token = t.token(&upn).await;
    let (s, list) = t.get("/v1/consents", &token).await;
    assert_eq!(s, 200);
    assert_eq!(list["items"][0]["applicationName"], "Ledger Sync");
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    // Listed in the portal too; revoked there.
    let html = t
        .http
        .get(t.url("/portal/consents"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&id));
    let r = t
        .http
        .post(t.url(&format!("/portal/consents/{id}/revoke")))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(refresh(&t, rt).await, 400);
    let (_, list) = t.get("/v1/consents", &token).await;
    assert_eq!(list["totalCount"], 0);

    // Through the API: a second consent, revoked with DELETE.
    let (code, verifier, _, _) = code_for(&t, &c, &upn).await;
    let (_, tok) = trade(&t, &c, &code, REDIRECT, &verifier).await;
    let (_, list) = t.get("/v1/consents", &token).await;
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    let (s, _) = t
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/consents/{id}"),
            &token,
            &Value::Null,
        )
        .await;
    assert_eq!(s, 204);
    assert_eq!(
        refresh(&t, tok["refresh_token"].as_str().unwrap()).await,
        400
    );
    // Someone else's consent is not found.
    let (s, _) = t
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/consents/{id}"),
            &token,
            &Value::Null,
        )
        .await;
    assert_eq!(s, 404);
}
