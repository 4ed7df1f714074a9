//! The holes of the red-team pass (issue 13), each shown closed: the second factor (guess
//! limit, replay, secret replacement, recovery codes), refresh and idempotency races,
//! applications bound to their registrar, sessions after a password change and when idle,
//! anonymous page views, and return addresses.

use crate::support::{Partner, TestApp, PASSWORD};
use partnerhub::app::mfa;
use partnerhub::app::store::identity::UserRow;
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::{json, Value};
use sqlx::Row;

fn code_at(t: &TestApp, secret: &[u8]) -> String {
    partnerhub::crypto::totp(secret)
        .unwrap()
        .generate(t.clock.now().timestamp() as u64)
}

fn next_step(t: &TestApp) {
    t.clock.advance(chrono::Duration::seconds(30));
}

async fn ctx_of(t: &TestApp, user: &UserRow) -> partnerhub::app::Ctx {
    let (actor, u) = partnerhub::app::identity::actor_for_user(&t.app, user.id)
        .await
        .unwrap()
        .unwrap();
    partnerhub::app::Ctx {
        actor,
        upn: Some(u.upn),
        correlation_id: None,
    }
}

/// Turns TOTP on for `user` and moves to the next time step (the confirming code is spent).
async fn with_totp(t: &TestApp, user: &UserRow) -> Vec<u8> {
    let secret = partnerhub::crypto::random_bytes(20);
    let ctx = ctx_of(t, user).await;
    mfa::enable(
        &t.app,
        &ctx,
        &secret,
        &code_at(t, &secret),
        mfa::Proof::Nothing,
        mfa::FirstCodes::Skip,
    )
    .await
    .unwrap();
    next_step(t);
    secret
}

async fn grant(t: &TestApp, upn: &str, code: Option<&str>) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "password".to_string()),
        ("username", upn.to_string()),
        ("password", PASSWORD.to_string()),
    ];
    if let Some(c) = code {
        form.push(("mfa_code", c.to_string()));
    }
    let r = t
        .http
        .post(t.url("/oauth2/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn first_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.split(';').next().map(str::to_string))
}

fn csrf_of(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    html[i..].split('"').next().unwrap().to_string()
}

/// A portal page's answer: (status, location, body).
async fn page(t: &TestApp, cookie: &str, path: &str) -> (u16, String, String) {
    let r = t
        .http
        .get(t.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    let loc = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (s, loc, r.text().await.unwrap())
}

/// Signs in to the portal with the password: (cookie, where it was sent next).
async fn portal_password(t: &TestApp, upn: &str) -> (String, String) {
    let r = t.http.get(t.url("/portal/signin")).send().await.unwrap();
    let cookie = first_cookie(&r).unwrap();
    let csrf = csrf_of(&r.text().await.unwrap());
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
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    (first_cookie(&r).expect("a new session"), loc)
}

/// Sends one code on a pending portal session: (status, new cookie when signed in).
async fn portal_code(t: &TestApp, pending: &str, code: &str) -> (u16, Option<String>) {
    let (_, _, html) = page(t, pending, "/portal/signin/mfa").await;
    let csrf = csrf_of(&html);
    let r = t
        .http
        .post(t.url("/portal/signin/mfa"))
        .header("cookie", pending)
        .form(&[("csrf", csrf.as_str()), ("code", code), ("next", "/portal")])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), first_cookie(&r))
}

async fn totp_secret_in_db(t: &TestApp, user: &UserRow) -> Option<Vec<u8>> {
    partnerhub::app::store::identity::user(&t.app.db, user.id)
        .await
        .unwrap()
        .unwrap()
        .totp_secret
}

#[tokio::test]
async fn totp_guesses_are_capped_per_account_across_portal_and_api_before_the_code_is_read() {
    let t = TestApp::spawn().await;
    let (_, user) = t.tenant(TenantKind::Customer, &[]).await;
    let secret = with_totp(&t, &user).await;
    let wrong = |i: usize| format!("{:06}", (i * 7919) % 1_000_000);
    let right = code_at(&t, &secret);
    let mut statuses = Vec::new();
    // 45 wrong codes on one pending portal session, 25 on the token endpoint: 70 in all.
    let (pending, loc) = portal_password(&t, &user.upn).await;
    assert!(loc.starts_with("/portal/signin/mfa"), "{loc}");
    for i in 0..45 {
        let code = wrong(i);
        if code == right {
            continue;
        }
        statuses.push(portal_code(&t, &pending, &code).await.0);
    }
    for i in 45..70 {
        let code = wrong(i);
        if code == right {
            continue;
        }
        statuses.push(grant(&t, &user.upn, Some(&code)).await.0);
    }
    let refused_as_wrong = statuses.iter().filter(|s| **s == 401 || **s == 400).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        (refused_as_wrong, throttled),
        (50, statuses.len() - 50),
        "{statuses:?}"
    );
    // Past the limit even the right code is refused, on both doors.
    assert_eq!(portal_code(&t, &pending, &right).await.0, 429);
    assert_eq!(grant(&t, &user.upn, Some(&right)).await.0, 429);
    // A correct password does not reset the second-factor count.
    let (pending, _) = portal_password(&t, &user.upn).await;
    assert_eq!(portal_code(&t, &pending, &right).await.0, 429);
    // The password throttle was neither used nor reset by the wrong codes.
    let rows: i64 = sqlx::query("SELECT COUNT(*) FROM signin_throttle WHERE throttle_key = $1")
        .bind(format!("acct:{}", user.upn))
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 0, "wrong codes are not password failures");
    // A day later the allowance is back.
    t.clock.advance(chrono::Duration::hours(24));
    let (s, tok) = grant(&t, &user.upn, Some(&code_at(&t, &secret))).await;
    assert_eq!(s, 200, "{tok}");
}

#[tokio::test]
async fn a_totp_code_signs_in_once_on_the_api_and_the_portal() {
    let t = TestApp::spawn().await;
    let (_, user) = t.tenant(TenantKind::Customer, &[]).await;
    let secret = with_totp(&t, &user).await;
    let code = code_at(&t, &secret);
    assert_eq!(grant(&t, &user.upn, Some(&code)).await.0, 200);
    let (s, e) = grant(&t, &user.upn, Some(&code)).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "{e}"
    );
    let (pending, _) = portal_password(&t, &user.upn).await;
    // A session waiting for its second step is nobody yet: signed-in pages send it to sign in.
    let (s, loc, _) = page(&t, &pending, "/portal").await;
    assert_eq!((s, loc.starts_with("/portal/signin")), (303, true), "{loc}");
    assert_eq!(portal_code(&t, &pending, &code).await.0, 401, "replay");
    next_step(&t);
    let code = code_at(&t, &secret);
    let (s, signed_in) = portal_code(&t, &pending, &code).await;
    assert_eq!(s, 303);
    assert_eq!(page(&t, &signed_in.unwrap(), "/portal").await.0, 200);
    assert_eq!(grant(&t, &user.upn, Some(&code)).await.0, 400, "replay");
}

#[tokio::test]
async fn replacing_a_totp_secret_needs_a_code_of_the_current_one_on_api_and_portal() {
    let t = TestApp::spawn().await;
    let (_, user) = t.tenant(TenantKind::Customer, &[]).await;
    // A token taken before two-step verification was on: what a thief might hold.
    let token = t.token(&user.upn).await;
    let old = with_totp(&t, &user).await;
    let (s, setup) = t.post("/v1/me/mfa/setup", &token, &json!({})).await;
    assert_eq!(s, 200);
    let new_b32 = setup["secret"].as_str().unwrap().to_string();
    let new = partnerhub::crypto::base32_decode(&new_b32).unwrap();
    let (s, b) = t
        .post(
            "/v1/me/mfa/confirm",
            &token,
            &json!({"secret": new_b32, "code": code_at(&t, &new)}),
        )
        .await;
    assert_eq!(
        (s, b["data"][0]["field"].as_str()),
        (400, Some("currentCode")),
        "{b}"
    );
    let (s, b) = t
        .post(
            "/v1/me/mfa/confirm",
            &token,
            &json!({"secret": new_b32, "code": code_at(&t, &new), "currentCode": "000001"}),
        )
        .await;
    assert_eq!(
        (s, b["data"][0]["field"].as_str()),
        (400, Some("currentCode")),
        "{b}"
    );
    assert_eq!(totp_secret_in_db(&t, &user).await, Some(old.clone()));
    let r = t
        .http
        .post(t.url("/v1/me/mfa/confirm"))
        .bearer_auth(&token)
        .json(&json!({"secret": new_b32, "code": code_at(&t, &new), "currentCode": code_at(&t, &old)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(totp_secret_in_db(&t, &user).await, Some(new.clone()));
    next_step(&t);
    assert_eq!(grant(&t, &user.upn, Some(&code_at(&t, &old))).await.0, 400);
    assert_eq!(grant(&t, &user.upn, Some(&code_at(&t, &new))).await.0, 200);

    // The portal: a signed-in session alone does not move the second factor.
    next_step(&t);
    let (pending, _) = portal_password(&t, &user.upn).await;
    let (s, cookie) = portal_code(&t, &pending, &code_at(&t, &new)).await;
    assert_eq!(s, 303);
    let cookie = cookie.unwrap();
    let (_, _, html) = page(&t, &cookie, "/portal/mfa").await;
    assert!(html.contains("id=\"mfa-on\""));
    let third = partnerhub::crypto::random_bytes(20);
    let third_b32 = partnerhub::crypto::base32(&third);
    let csrf = csrf_of(&html);
    let post = |current: String| {
        let form = vec![
            ("csrf", csrf.clone()),
            ("secret", third_b32.clone()),
            ("code", code_at(&t, &third)),
            ("current_code", current),
        ];
        t.http
            .post(t.url("/portal/mfa"))
            .header("cookie", &cookie)
            .form(&form)
            .send()
    };
    assert_eq!(post(String::new()).await.unwrap().status(), 400);
    assert_eq!(totp_secret_in_db(&t, &user).await, Some(new.clone()));
    next_step(&t);
    assert_eq!(post(code_at(&t, &new)).await.unwrap().status(), 303);
    assert_eq!(totp_secret_in_db(&t, &user).await, Some(third));
}

#[tokio::test]
async fn recovery_codes_are_shown_once_stored_hashed_and_work_once() {
    let t = TestApp::spawn().await;
    let (_, user) = t.tenant(TenantKind::Customer, &[]).await;
    let token = t.token(&user.upn).await;
    let secret = with_totp(&t, &user).await;
    let (s, b) = t
        .post(
            "/v1/me/mfa/recoverycodes",
            &token,
            &json!({"code": "123456"}),
        )
        .await;
    assert_eq!(s, 400, "a wrong code gets no recovery codes: {b}");
    let (s, b) = t
        .post(
            "/v1/me/mfa/recoverycodes",
            &token,
            &json!({"code": code_at(&t, &secret)}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let codes: Vec<String> = b["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    let stored: Vec<String> =
        sqlx::query("SELECT code_hash FROM recovery_codes WHERE user_id = $1")
            .bind(user.id.to_string())
            .fetch_all(&t.app.db.read)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("code_hash"))
            .collect();
    assert_eq!(stored.len(), 10);
    for c in &codes {
        assert!(
            !stored
                .iter()
                .any(|h| h.contains(c.as_str()) || h.contains(&c.replace('-', ""))),
            "stored in clear"
        );
    }
    assert_eq!(grant(&t, &user.upn, Some(&codes[0])).await.0, 200);
    assert_eq!(grant(&t, &user.upn, Some(&codes[0])).await.0, 400, "used");
    let (pending, _) = portal_password(&t, &user.upn).await;
    assert_eq!(portal_code(&t, &pending, &codes[0]).await.0, 401, "used");
    assert_eq!(portal_code(&t, &pending, &codes[1]).await.0, 303);
}

#[tokio::test]
async fn fifty_concurrent_refreshes_of_one_token_leave_no_live_family() {
    let t = TestApp::spawn().await;
    let (_, user) = t.tenant(TenantKind::Customer, &[]).await;
    let (s, pair) = t.token_response(&user.upn, PASSWORD).await;
    assert_eq!(s, 200);
    let refresh = pair["refresh_token"].as_str().unwrap().to_string();
    let mut handles = Vec::new();
    for _ in 0..50 {
        let (http, url, refresh) = (t.http.clone(), t.url("/oauth2/token"), refresh.clone());
        handles.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }));
    }
    let mut issued = Vec::new();
    for h in handles {
        let (s, b) = h.await.unwrap();
        assert!(s == 200 || s == 400, "{s} {b}");
        if s == 200 {
            issued.push(b["refresh_token"].as_str().unwrap().to_string());
        }
    }
    assert!(issued.len() <= 1, "{} winners", issued.len());
    let live: i64 = sqlx::query(
        "SELECT COUNT(*) FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL AND used_at IS NULL",
    )
    .bind(user.id.to_string())
    .fetch_one(&t.app.db.read)
    .await
    .unwrap()
    .get(0);
    assert_eq!(live, 0, "the reuse revoked the winner's new token too");
    for token in issued {
        let r = t
            .http
            .post(t.url("/oauth2/token"))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", &token)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
    }
}

#[tokio::test]
async fn request_ids_hold_for_any_case_of_the_bearer_scheme_and_replays_recheck_the_caller() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let agent = t.user(&p.tenant, "agent", &[Role::AdminAgent]).await;
    let token = t.token(&agent.upn).await;
    let post = |scheme: &'static str, rid: &'static str| {
        let (http, url, token) = (t.http.clone(), t.url("/v1/applications"), token.clone());
        async move {
            let r = http
                .post(url)
                .header("authorization", format!("{scheme} {token}"))
                .header("MS-RequestId", rid)
                .json(&json!({"displayName": "Sync"}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let mut ids = std::collections::BTreeSet::new();
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let (s, b) = post(scheme, "one-app").await;
        assert!(s == 201, "{scheme}: {s} {b}");
        ids.insert(b["id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 1, "one application whatever the scheme's case");
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM app_registrations WHERE tenant_id = $1")
        .bind(p.tenant.id.to_string())
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    // The caller loses the role: the stored answer (with its client secret) is not replayed.
    let (s, b) = t
        .patch(
            &format!("/v1/users/{}", agent.id),
            &p.token,
            &json!({"roles": ["sales_agent"]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = post("bearer", "one-app").await;
    assert_eq!(s, 403, "{b}");
    assert!(b.get("clientSecret").is_none());
    // Removed altogether: signed out.
    let r = t
        .http
        .delete(t.url(&format!("/v1/users/{}", agent.id)))
        .bearer_auth(&p.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (s, b) = post("Bearer", "one-app").await;
    assert_eq!(s, 401, "{b}");
}

#[tokio::test]
async fn concurrent_wrong_passwords_are_each_counted() {
    let t = TestApp::spawn_with(|c| c.signin_max_failures = 1000).await;
    let (_, user) = t.tenant(TenantKind::Customer, &[]).await;
    let mut handles = Vec::new();
    for i in 0..24 {
        let (http, url, upn) = (t.http.clone(), t.url("/oauth2/token"), user.upn.clone());
        handles.push(tokio::spawn(async move {
            http.post(url)
                .form(&[
                    ("grant_type", "password"),
                    ("username", upn.as_str()),
                    ("password", &format!("Wrong-Password-{i}")),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap(), 400);
    }
    let failures: i64 = sqlx::query("SELECT failures FROM signin_throttle WHERE throttle_key = $1")
        .bind(format!("acct:{}", user.upn))
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
        .get(0);
    assert_eq!(failures, 24);
}

#[tokio::test]
async fn a_password_reset_ends_the_users_portal_sessions_and_refresh_tokens() {
    let t = TestApp::spawn().await;
    let (c, _) = t.tenant(TenantKind::Customer, &[]).await;
    let admin_token = t.token(&format!("admin@{}", c.domain)).await;
    let user = t.user(&c, "kim", &[]).await;
    let (cookie, _) = portal_password(&t, &user.upn).await;
    assert_eq!(page(&t, &cookie, "/portal").await.0, 200);
    let (_, pair) = t.token_response(&user.upn, PASSWORD).await;
    let (s, b) = t
        .patch(
            &format!("/v1/customers/{}/users/{}", c.id, user.id),
            &admin_token,
            &json!({"passwordProfile": {"password": "Another-Password-9", "forceChangePassword": false}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, loc, _) = page(&t, &cookie, "/portal").await;
    assert_eq!((s, loc.starts_with("/portal/signin")), (303, true), "{loc}");
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
async fn administrators_sessions_end_after_thirty_idle_minutes() {
    let t = TestApp::spawn().await;
    let (c, admin) = t.tenant(TenantKind::Customer, &[]).await;
    let plain = t.user(&c, "plain", &[]).await;
    let (admin_cookie, _) = portal_password(&t, &admin.upn).await;
    let (plain_cookie, _) = portal_password(&t, &plain.upn).await;
    t.clock.advance(chrono::Duration::minutes(20));
    assert_eq!(
        page(&t, &admin_cookie, "/portal").await.0,
        200,
        "still active"
    );
    t.clock.advance(chrono::Duration::minutes(29));
    assert_eq!(
        page(&t, &admin_cookie, "/portal").await.0,
        200,
        "used 29 minutes ago"
    );
    t.clock.advance(chrono::Duration::minutes(31));
    let (s, loc, _) = page(&t, &admin_cookie, "/portal").await;
    assert_eq!((s, loc.starts_with("/portal/signin")), (303, true), "{loc}");
    assert_eq!(
        page(&t, &plain_cookie, "/portal").await.0,
        200,
        "members keep the session lifetime by default"
    );
}

/// The session statement rebuilds its user on every page: a user made inactive behind the
/// product's back (its sessions left in place) opens nothing with them.
#[tokio::test]
async fn a_session_of_a_user_no_longer_active_opens_no_page() {
    let t = TestApp::spawn().await;
    let (c, admin) = t.tenant(TenantKind::Customer, &[]).await;
    let plain = t.user(&c, "plain", &[]).await;
    let (cookie, _) = portal_password(&t, &plain.upn).await;
    let (admin_cookie, _) = portal_password(&t, &admin.upn).await;
    assert_eq!(page(&t, &cookie, "/portal").await.0, 200);
    sqlx::query("UPDATE users SET state = 'inactive' WHERE id = $1")
        .bind(plain.id.to_string())
        .execute(&t.app.db.write)
        .await
        .unwrap();
    let (s, loc, _) = page(&t, &cookie, "/portal").await;
    assert_eq!((s, loc.starts_with("/portal/signin")), (303, true), "{loc}");
    assert_eq!(
        page(&t, &admin_cookie, "/portal").await.0,
        200,
        "the organisation's other sessions are untouched"
    );
}

#[tokio::test]
async fn anonymous_page_views_write_no_session_and_sign_in_still_works() {
    let t = TestApp::spawn().await;
    let (_, user) = t.tenant(TenantKind::Customer, &[]).await;
    let count = || async {
        sqlx::query("SELECT COUNT(*) FROM sessions")
            .fetch_one(&t.app.db.read)
            .await
            .unwrap()
            .get::<i64, _>(0)
    };
    let before = count().await;
    let r = t.http.get(t.url("/portal/signin")).send().await.unwrap();
    let cookie = first_cookie(&r).unwrap();
    let csrf = csrf_of(&r.text().await.unwrap());
    for _ in 0..20 {
        assert_eq!(
            t.http
                .get(t.url("/portal/signin"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(page(&t, &cookie, "/portal/signin").await.0, 200);
    }
    assert_eq!(count().await, before, "page views wrote sessions");
    // The same visitor signs in with the token its page carried; a forged one fails.
    let post = |csrf: &str| {
        let form = vec![
            ("csrf", csrf.to_string()),
            ("upn", user.upn.clone()),
            ("password", PASSWORD.to_string()),
        ];
        t.http
            .post(t.url("/portal/signin"))
            .header("cookie", &cookie)
            .form(&form)
            .send()
    };
    assert_eq!(post("forged").await.unwrap().status(), 403);
    assert_eq!(post(&csrf).await.unwrap().status(), 303);
}

#[tokio::test]
async fn return_addresses_with_control_characters_never_fail_the_server() {
    let t = TestApp::spawn().await;
    let (_, user) = t.tenant(TenantKind::Customer, &[]).await;
    for (next, decoded) in [
        (
            "/portal%0d%0aSet-Cookie:%20x=1",
            "/portal\r\nSet-Cookie: x=1",
        ),
        ("/portal%00", "/portal\0"),
        ("/portal%09x", "/portal\tx"),
        ("/portal/%7f", "/portal/\u{7f}"),
        ("/portal/%e2%80%a8", "/portal/\u{2028}"),
    ] {
        let r = t
            .http
            .get(t.url(&format!("/portal/signin?next={next}")))
            .send()
            .await
            .unwrap();
        assert!(r.status().as_u16() < 500, "{next}: {}", r.status());
        let cookie = first_cookie(&r).unwrap();
        let csrf = csrf_of(&r.text().await.unwrap());
        let r = t
            .http
            .post(t.url("/portal/signin"))
            .header("cookie", &cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("upn", user.upn.as_str()),
                ("password", PASSWORD),
                ("next", decoded),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{next}");
        assert_eq!(r.headers()["location"], "/portal", "{next}");
    }
}

async fn client_token(t: &TestApp, id: &str, secret: &str) -> (u16, Value) {
    let r = t
        .http
        .post(t.url("/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn register(t: &TestApp, token: &str, roles: Value) -> (u16, Value) {
    t.post(
        "/v1/applications",
        token,
        &json!({"displayName": "Automation", "roles": roles}),
    )
    .await
}

#[tokio::test]
async fn applications_hold_at_most_their_registrars_roles_and_stop_with_the_registrar() {
    let t = TestApp::spawn().await;
    let p: Partner = t.partner(true, false, "US").await;
    let other = t.partner(false, true, "US").await;
    let agent = t.user(&p.tenant, "agent", &[Role::AdminAgent]).await;
    let agent_token = t.token(&agent.upn).await;
    let (s, b) = register(&t, &agent_token, json!(["account_admin"])).await;
    assert_eq!(
        (s, b["data"][0]["field"].as_str()),
        (400, Some("roles")),
        "{b}"
    );
    let (s, reg) = register(&t, &agent_token, json!(["admin_agent"])).await;
    assert_eq!(s, 201, "{reg}");
    let (id, secret) = (
        reg["id"].as_str().unwrap().to_string(),
        reg["clientSecret"].as_str().unwrap().to_string(),
    );
    let (_, foreign) = register(&t, &other.token, json!([])).await;
    let (s, tok) = client_token(&t, &id, &secret).await;
    assert_eq!(s, 200, "{tok}");
    let app_token = tok["access_token"].as_str().unwrap().to_string();
    assert_eq!(t.get("/v1/users", &app_token).await.0, 200);
    // Listed, with no other organisation's application among them.
    let (_, list) = t.get("/v1/applications", &p.token).await;
    let listed: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&id.as_str()), "{list}");
    assert!(!listed.contains(&foreign["id"].as_str().unwrap()), "{list}");
    assert_eq!(
        t.get(
            &format!("/v1/applications/{}", foreign["id"].as_str().unwrap()),
            &p.token
        )
        .await
        .0,
        404
    );
    // The registrar loses the role: the application stops; it gets it back: it works again.
    let (s, _) = t
        .patch(
            &format!("/v1/users/{}", agent.id),
            &p.token,
            &json!({"roles": ["sales_agent"]}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(t.get("/v1/users", &app_token).await.0, 401);
    assert_eq!(client_token(&t, &id, &secret).await.0, 400);
    let (s, _) = t
        .patch(
            &format!("/v1/users/{}", agent.id),
            &p.token,
            &json!({"roles": ["admin_agent"]}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(t.get("/v1/users", &app_token).await.0, 200);
    // Turned off and on.
    let (s, b) = t
        .patch(
            &format!("/v1/applications/{id}"),
            &p.token,
            &json!({"enabled": false}),
        )
        .await;
    assert_eq!((s, b["enabled"].as_bool()), (200, Some(false)), "{b}");
    assert_eq!(t.get("/v1/users", &app_token).await.0, 401);
    assert_eq!(client_token(&t, &id, &secret).await.0, 400);
    let (s, _) = t
        .patch(
            &format!("/v1/applications/{id}"),
            &p.token,
            &json!({"enabled": true}),
        )
        .await;
    assert_eq!(s, 200);
    // A new secret: the old one stops.
    let (s, rotated) = t
        .post(
            &format!("/v1/applications/{id}/secret"),
            &p.token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 201, "{rotated}");
    let new_secret = rotated["clientSecret"].as_str().unwrap();
    assert_eq!(client_token(&t, &id, &secret).await.0, 400);
    assert_eq!(client_token(&t, &id, new_secret).await.0, 200);
    // The registrar is removed: the application stops.
    let r = t
        .http
        .delete(t.url(&format!("/v1/users/{}", agent.id)))
        .bearer_auth(&p.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(client_token(&t, &id, new_secret).await.0, 400);
    // Deleted: gone from the list.
    let r = t
        .http
        .delete(t.url(&format!("/v1/applications/{id}")))
        .bearer_auth(&p.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (_, list) = t.get("/v1/applications", &p.token).await;
    assert!(!list.to_string().contains(&id));
}

#[tokio::test]
async fn nobody_grants_a_role_they_may_not_grant_themselves_included() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let ua = t.user(&p.tenant, "users", &[Role::UserAdministrator]).await;
    let ua_token = t.token(&ua.upn).await;
    let plain = t.user(&p.tenant, "plain", &[]).await;
    for (target, roles) in [
        (&ua, json!(["user_administrator", "admin_agent"])),
        (&ua, json!(["user_administrator", "account_admin"])),
        (&ua, json!(["user_administrator", "global_administrator"])),
        (&plain, json!(["admin_agent"])),
        (&plain, json!(["billing_admin"])),
    ] {
        let (s, b) = t
            .patch(
                &format!("/v1/users/{}", target.id),
                &ua_token,
                &json!({"roles": roles}),
            )
            .await;
        assert_eq!(s, 403, "{roles}: {b}");
    }
    let roles = partnerhub::app::store::identity::roles(&t.app.db, ua.id)
        .await
        .unwrap();
    assert_eq!(
        roles.into_iter().collect::<Vec<_>>(),
        vec![Role::UserAdministrator]
    );
    // A member role is theirs to give.
    let (s, b) = t
        .patch(
            &format!("/v1/users/{}", plain.id),
            &ua_token,
            &json!({"roles": ["sales_agent"]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let roles = partnerhub::app::store::identity::roles(&t.app.db, plain.id)
        .await
        .unwrap();
    assert_eq!(
        roles.into_iter().collect::<Vec<_>>(),
        vec![Role::SalesAgent]
    );
}

#[tokio::test]
async fn two_global_administrators_removing_each_other_at_once_leave_one() {
    let t = TestApp::spawn_with(|c| c.rate_limit_per_minute = 100_000).await;
    let (c, first) = t.tenant(TenantKind::Customer, &[]).await;
    let second = t.user(&c, "second", &[Role::GlobalAdministrator]).await;
    let (t1, t2) = (t.token(&first.upn).await, t.token(&second.upn).await);
    let del = |token: String, victim: &UserRow| {
        let url = t.url(&format!("/v1/customers/{}/users/{}", c.id, victim.id));
        let http = t.http.clone();
        tokio::spawn(async move {
            http.delete(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    let (a, b) = (del(t1, &second), del(t2, &first));
    let mut statuses = [a.await.unwrap(), b.await.unwrap()];
    statuses.sort();
    assert!(
        statuses == [204, 401] || statuses == [204, 409],
        "{statuses:?}"
    );
    let active: i64 = sqlx::query(
        "SELECT COUNT(*) FROM users u JOIN user_roles r ON r.user_id = u.id \
         WHERE u.tenant_id = $1 AND r.role = 'global_administrator' AND u.state = 'active'",
    )
    .bind(c.id.to_string())
    .fetch_one(&t.app.db.read)
    .await
    .unwrap()
    .get(0);
    assert_eq!(active, 1);
}

#[tokio::test]
async fn the_portal_lists_turns_off_rotates_and_deletes_applications() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let other = t.partner(false, true, "US").await;
    let (_, reg) = register(&t, &p.token, json!(["admin_agent"])).await;
    let (_, foreign) = register(&t, &other.token, json!([])).await;
    let (id, secret) = (
        reg["id"].as_str().unwrap().to_string(),
        reg["clientSecret"].as_str().unwrap().to_string(),
    );
    let (cookie, _) = portal_password(&t, &p.admin.upn).await;
    let (s, _, html) = page(&t, &cookie, "/portal/applications").await;
    assert_eq!(s, 200);
    assert!(html.contains(&id));
    assert!(!html.contains(foreign["id"].as_str().unwrap()));
    let csrf = csrf_of(&html);
    let change = |app: String, what: &'static str| {
        let form = vec![
            ("csrf", csrf.clone()),
            ("change", what.to_string()),
            ("confirm", "yes".to_string()),
        ];
        t.http
            .post(t.url(&format!("/portal/applications/{app}")))
            .header("cookie", &cookie)
            .form(&form)
            .send()
    };
    assert_eq!(change(id.clone(), "disable").await.unwrap().status(), 303);
    assert_eq!(client_token(&t, &id, &secret).await.0, 400, "off");
    assert_eq!(change(id.clone(), "enable").await.unwrap().status(), 303);
    assert_eq!(client_token(&t, &id, &secret).await.0, 200, "on");
    let r = change(id.clone(), "rotate").await.unwrap();
    let (status, html) = crate::portal_http::follow(&t, &cookie, r).await;
    assert_eq!(status, 200);
    let i = html
        .find("id=\"app-secret\"")
        .expect("the new secret shown");
    let new_secret = html[i..]
        .split("<code>")
        .nth(1)
        .unwrap()
        .split("</code>")
        .next()
        .unwrap()
        .to_string();
    assert_eq!(client_token(&t, &id, &secret).await.0, 400, "old secret");
    assert_eq!(
        client_token(&t, &id, &new_secret).await.0,
        200,
        "new secret"
    );
    let foreign_id = foreign["id"].as_str().unwrap().to_string();
    assert_eq!(change(foreign_id, "delete").await.unwrap().status(), 404);
    assert_eq!(change(id.clone(), "delete").await.unwrap().status(), 303);
    let (_, _, html) = page(&t, &cookie, "/portal/applications").await;
    assert!(!html.contains(&id));
    // A member without the right sees no such page.
    let sales = t.user(&p.tenant, "sales", &[Role::SalesAgent]).await;
    let (cookie, _) = portal_password(&t, &sales.upn).await;
    assert_eq!(page(&t, &cookie, "/portal/applications").await.0, 403);
}

#[tokio::test]
async fn a_first_portal_set_up_shows_recovery_codes_once_and_a_reload_makes_none() {
    let t = TestApp::spawn().await;
    let (_, user) = t.tenant(TenantKind::Customer, &[]).await;
    let (cookie, _) = portal_password(&t, &user.upn).await;
    let (_, _, html) = page(&t, &cookie, "/portal/mfa").await;
    assert!(html.contains("id=\"mfa-why\""), "the page explains first");
    let csrf = csrf_of(&html);
    let secret = partnerhub::crypto::random_bytes(20);
    let form = vec![
        ("csrf", csrf),
        ("secret", partnerhub::crypto::base32(&secret)),
        ("code", code_at(&t, &secret)),
        ("current_code", String::new()),
    ];
    let send = || {
        t.http
            .post(t.url("/portal/mfa"))
            .header("cookie", &cookie)
            .form(&form)
            .send()
    };
    // Post/redirect/get: the codes travel with the redirect's flash and show on the next page.
    let r = send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"].to_str().unwrap(), "/portal/mfa");
    let flash = first_cookie(&r).expect("a flash cookie");
    let with_flash = format!("{cookie}; {flash}");
    let (s, _, html) = page(&t, &with_flash, "/portal/mfa").await;
    assert_eq!(s, 200);
    let codes: Vec<String> = html
        .split("class=\"recovery-code\">")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10, "{html}");
    assert_eq!(totp_secret_in_db(&t, &user).await, Some(secret.clone()));
    // Shown once: reloading the page shows them no more.
    let (_, _, again) = page(&t, &with_flash, "/portal/mfa").await;
    assert!(!again.contains("class=\"recovery-code\""));

    // Sending the form again re-sends a spent code: refused, and no second set is made.
    let r = send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(!r.text().await.unwrap().contains("recovery-code\""));

    // A shown code stands in for the authenticator once.
    next_step(&t);
    assert_eq!(grant(&t, &user.upn, Some(&codes[0])).await.0, 200);
    assert_eq!(grant(&t, &user.upn, Some(&codes[0])).await.0, 400);
    assert_eq!(grant(&t, &user.upn, Some(&codes[1])).await.0, 200);
}

#[tokio::test]
async fn a_hash_of_older_parameters_signs_in_and_is_replaced_by_one_at_the_current_cost() {
    let t = TestApp::spawn().await;
    let (_, user) = t.tenant(TenantKind::Customer, &[]).await;
    // PASSWORD hashed by another implementation (Python's argon2-cffi) with OWASP's
    // 19 MiB, 2-pass configuration, the product's parameters before the 12 MiB and 7 MiB ones.
    let older = "$argon2id$v=19$m=19456,t=2,p=1$0upPrZdb4PTeLZWcGx06Tg$\
                 x1iEEevajbN9J0DnPUhVVO3Pwu7/+9MLNKHDgdng1DI";
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(older)
        .bind(user.id.to_string())
        .execute(&t.app.db.write)
        .await
        .unwrap();
    let stored = || async {
        partnerhub::app::store::identity::user(&t.app.db, user.id)
            .await
            .unwrap()
            .unwrap()
    };
    let version = stored().await.version;
    assert_eq!(t.token_response(&user.upn, PASSWORD).await.0, 200);
    let now = stored().await;
    assert_ne!(now.password_hash, older);
    assert!(now
        .password_hash
        .starts_with("$argon2id$v=19$m=7168,t=5,p=1$"));
    assert!(!partnerhub::crypto::needs_rehash(&now.password_hash));
    // Not an edit: the version (and so every ETag) stays; the password still works, a
    // wrong one still does not.
    assert_eq!(now.version, version);
    assert_eq!(t.token_response(&user.upn, PASSWORD).await.0, 200);
    assert_eq!(t.token_response(&user.upn, "Wrong-Password-1").await.0, 400);
}
