//! Sign-in hardening, idempotency under concurrent fire, and secrets at rest and in logs.

use crate::customers::{link_token, partner_up};
use crate::support::{TestApp, PASSWORD};
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::{json, Value};
use sqlx::Row;

async fn grant(t: &TestApp, upn: &str, mfa_code: Option<&str>) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "password".to_string()),
        ("username", upn.to_string()),
        ("password", PASSWORD.to_string()),
    ];
    if let Some(c) = mfa_code {
        form.push(("mfa_code", c.to_string()));
    }
    let r = t
        .http
        .post(t.url("/oauth2/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn code_now(t: &TestApp, secret: &[u8]) -> String {
    partnerhub::crypto::totp(secret)
        .unwrap()
        .generate(t.clock.now().timestamp() as u64)
}

async fn portal_sign_in(t: &TestApp, upn: &str) -> (String, String) {
    let r = t.http.get(t.url("/portal/signin")).send().await.unwrap();
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.split(';').next().map(str::to_string))
        .unwrap();
    let html = r.text().await.unwrap();
    let i = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[i..].split('"').next().unwrap().to_string();
    let r = t
        .http
        .post(t.url("/portal/signin"))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("upn", upn),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let signed_in = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.split(';').next().map(str::to_string))
        .expect("a new session at sign-in");
    (signed_in, location)
}

#[tokio::test]
async fn admin_agents_must_set_up_two_step_verification_unless_their_organisation_exempts_them() {
    let t = TestApp::spawn().await;
    let (org, _) = t.tenant(TenantKind::Partner, &[]).await;
    // Back to the default every real organisation has.
    t.set_mfa_policy(&org, false, false).await;
    let agent = t.user(&org, "agent", &[Role::AdminAgent]).await;
    let sales = t.user(&org, "sales", &[Role::SalesAgent]).await;

    // The API refuses the admin agent a token and says what to do.
    let (s, e) = grant(&t, &agent.upn, None).await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["error_description"].as_str().is_some_and(|d| d
            .contains("two-step verification is required")
            && d.contains("/portal/mfa")),
        "{e}"
    );
    assert_eq!(
        grant(&t, &sales.upn, None).await.0,
        200,
        "sales agents are not admins"
    );

    // The portal signs the agent in straight to the set-up page, and nowhere else.
    let (cookie, location) = portal_sign_in(&t, &agent.upn).await;
    assert_eq!(location, "/portal/mfa");
    for page in ["/portal", "/portal/users", "/portal/customers"] {
        let r = t
            .http
            .get(t.url(page))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(
            (
                r.status().as_u16(),
                r.headers().get("location").map(|l| l.to_str().unwrap())
            ),
            (303, Some("/portal/mfa")),
            "{page}"
        );
    }
    let r = t
        .http
        .get(t.url("/portal/mfa"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Once TOTP is on, the agent signs in with a code, and only with one.
    let secret = partnerhub::crypto::random_bytes(20);
    let (actor, user) = partnerhub::app::identity::actor_for_user(&t.app, agent.id)
        .await
        .unwrap()
        .unwrap();
    let ctx = partnerhub::app::Ctx {
        actor,
        upn: Some(user.upn.clone()),
        correlation_id: None,
    };
    partnerhub::app::mfa::enable(
        &t.app,
        &ctx,
        &secret,
        &code_now(&t, &secret),
        partnerhub::app::mfa::Proof::Nothing,
        partnerhub::app::mfa::FirstCodes::Skip,
    )
    .await
    .unwrap();
    // The confirming code is spent; sign-in uses the next one.
    t.clock.advance(chrono::Duration::seconds(30));
    let (s, e) = grant(&t, &agent.upn, None).await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("mfa_code"),
        "{e}"
    );
    let (s, tok) = grant(&t, &agent.upn, Some(&code_now(&t, &secret))).await;
    assert_eq!(s, 200, "{tok}");

    // An organisation may require it of everyone.
    t.set_mfa_policy(&org, true, false).await;
    let (s, e) = grant(&t, &sales.upn, None).await;
    assert_eq!(s, 400, "{e}");
    // And a refresh token issued before the rule does not get around it.
    t.set_mfa_policy(&org, false, false).await;
    let (_, pair) = grant(&t, &sales.upn, None).await;
    t.set_mfa_policy(&org, true, false).await;
    let r = t
        .http
        .post(t.url("/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", pair["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn a_hundred_concurrent_acceptances_with_one_request_id_make_one_partnership() {
    let t = TestApp::spawn_with(|c| c.rate_limit_per_minute = 100_000).await;
    let p = t.partner(true, false, "US").await;
    let r = t.partner(false, true, "US").await;
    let (s, inv) = t
        .post("/v1/partnershipinvitations", &p.token, &json!({}))
        .await;
    assert_eq!(s, 201);
    let link = link_token(inv["url"].as_str().unwrap());
    let mut handles = Vec::new();
    for _ in 0..100 {
        let (http, url, token, link) = (
            t.http.clone(),
            t.url("/v1/partnershipinvitations/accept"),
            r.token.clone(),
            link.clone(),
        );
        handles.push(tokio::spawn(async move {
            let resp = http
                .post(url)
                .bearer_auth(token)
                .header("MS-RequestId", "accept-once")
                .json(&json!({"token": link, "consent": true}))
                .send()
                .await
                .unwrap();
            let s = resp.status().as_u16();
            (s, resp.json::<Value>().await.unwrap())
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for h in handles {
        let (s, body) = h.await.unwrap();
        assert_eq!(s, 201, "{body}");
        ids.insert(body["id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 1, "every caller sees the one partnership");
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM partnerships")
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    let audits: i64 = sqlx::query(
        "SELECT COUNT(*) FROM audit_records WHERE operation = 'create_partner_relationship' \
         AND org_tenant_id = $1",
    )
    .bind(r.tenant.id.to_string())
    .fetch_one(&t.app.db.read)
    .await
    .unwrap()
    .get(0);
    assert_eq!(audits, 1, "one acceptance in the reseller's audit log");
}

#[tokio::test]
async fn stored_responses_keep_one_time_secrets_encrypted() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let send = || {
        t.http
            .post(t.url("/v1/applications"))
            .bearer_auth(&p.token)
            .header("MS-RequestId", "new-app-1")
            .json(&json!({"displayName": "Billing sync"}))
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let secret = first["clientSecret"].as_str().unwrap().to_string();
    let again = send().await.unwrap();
    assert_eq!(again.headers()["ms-idempotent-replay"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        again["clientSecret"],
        secret.as_str(),
        "the retry gets its answer"
    );
    let stored: Vec<u8> =
        sqlx::query("SELECT response_body FROM idempotency_keys WHERE request_id = 'new-app-1'")
            .fetch_one(&t.app.db.read)
            .await
            .unwrap()
            .get(0);
    assert!(!stored.is_empty());
    assert!(
        !stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the client secret is not readable in the database"
    );
    assert!(!String::from_utf8_lossy(&stored).contains("clientSecret"));
    // Only the secret's hash is kept for the application itself.
    let hashes: Vec<String> = sqlx::query("SELECT secret_hash FROM app_registrations")
        .fetch_all(&t.app.db.read)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(hashes.iter().all(|h| !h.contains(&secret)));
    assert!(hashes.contains(&partnerhub::crypto::token_hash(&secret)));
}

/// Runs the real binary with every log line on, drives the flows that handle secrets, and
/// looks for each secret of the run in what the server printed.
#[tokio::test]
async fn no_secret_of_a_run_reaches_the_logs() {
    let mut t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    partner_up(&t, &p, &a).await;
    let url = t.app.config.database_url.clone();
    t.running.take().unwrap().shutdown().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_partnerhub"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--database-url", &url, "--public-url", &base])
        .env("PARTNERHUB_LOG", "trace")
        .env("PARTNERHUB_COOKIE_SECURE", "false")
        .stdout(log.reopen().unwrap())
        .stderr(log.reopen().unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for _ in 0..400 {
        if http.get(format!("{base}/readyz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let mut secrets: Vec<(String, String)> = vec![("test password".into(), PASSWORD.into())];
    let token = |form: Vec<(&'static str, String)>| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let r = http
                .post(format!("{base}/oauth2/token"))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let post = |tok: String, path: &'static str, body: Value| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let r = http
                .post(format!("{base}{path}"))
                .bearer_auth(tok)
                .header("MS-RequestId", uuid::Uuid::new_v4().to_string())
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{path}: {}", r.status());
            r.json::<Value>().await.unwrap()
        }
    };
    let pair = token(vec![
        ("grant_type", "password".into()),
        ("username", p.admin.upn.clone()),
        ("password", PASSWORD.into()),
    ])
    .await;
    let access = pair["access_token"].as_str().unwrap().to_string();
    secrets.push(("access token".into(), access.clone()));
    secrets.push((
        "refresh token".into(),
        pair["refresh_token"].as_str().unwrap().into(),
    ));
    let pair2 = token(vec![
        ("grant_type", "refresh_token".into()),
        (
            "refresh_token",
            pair["refresh_token"].as_str().unwrap().into(),
        ),
    ])
    .await;
    secrets.push((
        "rotated refresh token".into(),
        pair2["refresh_token"].as_str().unwrap().into(),
    ));
    let reg = post(
        access.clone(),
        "/v1/applications",
        json!({"displayName": "Log check"}),
    )
    .await;
    let client_secret = reg["clientSecret"].as_str().unwrap().to_string();
    secrets.push(("client secret".into(), client_secret.clone()));
    let app_tok = token(vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", reg["id"].as_str().unwrap().into()),
        ("client_secret", client_secret),
    ])
    .await;
    secrets.push((
        "app token".into(),
        app_tok["access_token"].as_str().unwrap().into(),
    ));
    let inv = post(access.clone(), "/v1/partnershipinvitations", json!({})).await;
    secrets.push((
        "partnership link".into(),
        link_token(inv["url"].as_str().unwrap()),
    ));
    let new_password = "Another-Password-9";
    post(
        access.clone(),
        "/v1/users",
        json!({"userPrincipalName": format!("new@{}", p.tenant.domain), "displayName": "New",
               "password": new_password}),
    )
    .await;
    secrets.push(("new user's password".into(), new_password.into()));
    let mfa = post(access.clone(), "/v1/me/mfa/setup", json!({})).await;
    secrets.push(("TOTP secret".into(), mfa["secret"].as_str().unwrap().into()));
    let created = post(
        access.clone(),
        "/v1/customers",
        json!({
            "companyProfile": {"domain": "logcheck.example", "companyName": "Log Check"},
            "billingProfile": {"firstName": "Lo", "lastName": "G", "email": "lo@logcheck.example",
                "defaultAddress": {"country": "US", "city": "Austin"}},
            "associatedPartnerId": a.tenant.id.to_string()}),
    )
    .await;
    secrets.push((
        "customer's first password".into(),
        created["userCredentials"]["password"]
            .as_str()
            .unwrap()
            .into(),
    ));
    let a_pair = token(vec![
        ("grant_type", "password".into()),
        ("username", a.admin.upn.clone()),
        ("password", PASSWORD.into()),
    ])
    .await;
    let req = post(
        a_pair["access_token"].as_str().unwrap().into(),
        "/v1/customers/relationshiprequests",
        json!({}),
    )
    .await;
    secrets.push((
        "customer link".into(),
        link_token(req["url"].as_str().unwrap()),
    ));
    // A portal sign-in: the password in a form and the session cookie it sets.
    let r = http
        .get(format!("{base}/portal/signin"))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let html = r.text().await.unwrap();
    let i = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[i..].split('"').next().unwrap().to_string();
    secrets.push((
        "anonymous session".into(),
        cookie.split('=').nth(1).unwrap().into(),
    ));
    let r = http
        .post(format!("{base}/portal/signin"))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("upn", a.admin.upn.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let session = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    secrets.push((
        "signed-in session".into(),
        session.split('=').nth(1).unwrap().into(),
    ));
    secrets.push(("CSRF token".into(), csrf));
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let printed = std::fs::read_to_string(log.path()).unwrap();
    assert!(
        printed.lines().count() > 50 && printed.contains("/oauth2/token"),
        "the server logged the run ({} lines)",
        printed.lines().count()
    );
    let leaked: Vec<&str> = secrets
        .iter()
        .filter(|(_, s)| printed.contains(s.as_str()))
        .map(|(what, _)| what.as_str())
        .collect();
    assert!(leaked.is_empty(), "secrets in the logs: {leaked:?}");
    println!(
        "log check: {} secrets, {} log lines, none found",
        secrets.len(),
        printed.lines().count()
    );
}

#[tokio::test]
async fn spraying_passwords_over_many_accounts_from_one_address_is_locked() {
    let t = TestApp::spawn_with(|c| c.signin_max_failures = 2).await;
    let (_, admin) = t.tenant(TenantKind::Partner, &[]).await;
    // One failure per account stays under the per-account limit; the address gets four
    // times the account limit, then it is locked for every account.
    for i in 0..8 {
        let (s, body) = t
            .token_response(&format!("user{i}@spray.example"), "Guess-Password-1")
            .await;
        assert_eq!(
            (s, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "try {i}"
        );
    }
    let (s, _) = t.token_response(&admin.upn, PASSWORD).await;
    assert_eq!(s, 429, "the address is locked, even for a right password");
    t.clock.advance(chrono::Duration::minutes(20));
    assert_eq!(t.token_response(&admin.upn, PASSWORD).await.0, 200);
}

#[tokio::test]
async fn only_administrators_and_helpdesk_read_the_activity_log() {
    let t = TestApp::spawn().await;
    let (org, admin) = t.tenant(TenantKind::Customer, &[]).await;
    let plain = t.user(&org, "plain", &[]).await;
    let helpdesk = t.user(&org, "desk", &[Role::HelpdeskAdministrator]).await;
    for (upn, want) in [(&plain.upn, 403), (&helpdesk.upn, 200), (&admin.upn, 200)] {
        let token = t.token(upn).await;
        assert_eq!(
            t.get("/v1/auditrecords", &token).await.0,
            want,
            "API, {upn}"
        );
        let (cookie, _) = portal_sign_in(&t, upn).await;
        let r = t
            .http
            .get(t.url("/portal/audit"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), want, "portal, {upn}");
        let home = t
            .http
            .get(t.url("/portal"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            home.contains("href=\"/portal/audit\""),
            want == 200,
            "menu, {upn}"
        );
    }
}
