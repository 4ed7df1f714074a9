//! REST conventions every endpoint follows: collections and paging, errors, idempotency,
//! correlation, ETags, rate limits, body limits, the OpenAPI document, tenant isolation.

use crate::support::paging::pages;
use crate::support::{assert_error_shape, TestApp};
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::{json, Value};

async fn admin_token(t: &TestApp) -> (partnerhub::app::store::identity::TenantRow, String) {
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let token = t.token(&admin.upn).await;
    (tenant, token)
}

#[tokio::test]
async fn collections_page_with_continuation_tokens_over_every_item() {
    let t = TestApp::spawn().await;
    let (tenant, token) = admin_token(&t).await;
    for i in 0..11 {
        t.user(&tenant, &format!("u{i:02}"), &[]).await;
    }
    let mut seen = Vec::new();
    let all = pages(&t, &token, "/v1/users?size=5", 5).await;
    assert_eq!(all.len(), 3);
    for body in &all {
        assert_eq!(body["totalCount"], 12);
        assert_eq!(body["attributes"]["objectType"], "Collection");
        assert_eq!(body["links"]["self"]["method"], "GET");
        for item in body["items"].as_array().unwrap() {
            assert_eq!(item["attributes"]["objectType"], "User");
            seen.push(item["userPrincipalName"].as_str().unwrap().to_string());
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "each user once, in order");
    assert_eq!(seen.len(), 12);
}

#[tokio::test]
async fn a_tampered_or_foreign_continuation_token_is_a_clear_400() {
    let t = TestApp::spawn().await;
    let (tenant, token) = admin_token(&t).await;
    for i in 0..3 {
        t.user(&tenant, &format!("p{i}"), &[]).await;
    }
    let body: Value = t
        .http
        .get(t.url("/v1/users?size=1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tok = body["continuationToken"].as_str().unwrap().to_string();
    let mut tampered = tok.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let r = t
        .http
        .get(t.url("/v1/users?size=1"))
        .bearer_auth(&token)
        .header("MS-ContinuationToken", String::from_utf8(tampered).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let b: Value = r.json().await.unwrap();
    assert_error_shape(&b);
    assert_eq!(b["data"][0]["field"], "MS-ContinuationToken");
    // Another tenant's token for its own list does not work on this list.
    let (_, other_token) = admin_token(&t).await;
    let r = t
        .http
        .get(t.url("/v1/users?size=1"))
        .bearer_auth(&other_token)
        .header("MS-ContinuationToken", tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn a_retried_post_with_the_same_request_id_is_done_once() {
    let t = TestApp::spawn().await;
    let (_, token) = admin_token(&t).await;
    let body = json!({"userPrincipalName": "x", "displayName": "X"});
    let domain = {
        let (_, me) = t.get("/v1/me", &token).await;
        me["tenantDomain"].as_str().unwrap().to_string()
    };
    let body =
        json!({"userPrincipalName": format!("once@{domain}"), "displayName": body["displayName"]});
    let send = |b: Value| {
        let t = &t;
        let token = token.clone();
        async move {
            let r = t
                .http
                .post(t.url("/v1/users"))
                .bearer_auth(&token)
                .header("MS-RequestId", "req-123")
                .header("MS-CorrelationId", "corr-9")
                .json(&b)
                .send()
                .await
                .unwrap();
            let replay = r.headers().get("ms-idempotent-replay").is_some();
            assert_eq!(r.headers()["ms-correlationid"], "corr-9");
            (
                r.status().as_u16(),
                replay,
                r.json::<Value>().await.unwrap(),
            )
        }
    };
    let (s1, replay1, first) = send(body.clone()).await;
    assert_eq!((s1, replay1), (201, false), "{first}");
    let (s2, replay2, second) = send(body.clone()).await;
    assert_eq!((s2, replay2), (201, true));
    assert_eq!(first["id"], second["id"]);
    // Same id, different body: refused, nothing created.
    let (s3, _, err) =
        send(json!({"userPrincipalName": format!("other@{domain}"), "displayName": "Other"})).await;
    assert_eq!(s3, 409);
    assert_eq!(assert_error_shape(&err), 3002);
    let (_, list) = t.get("/v1/users", &token).await;
    assert_eq!(list["totalCount"], 2, "the admin and the one user");
}

#[tokio::test]
async fn concurrent_duplicates_of_one_request_id_have_one_effect() {
    let t = TestApp::spawn().await;
    let (_, token) = admin_token(&t).await;
    let (_, me) = t.get("/v1/me", &token).await;
    let upn = format!("burst@{}", me["tenantDomain"].as_str().unwrap());
    let mut handles = Vec::new();
    for _ in 0..20 {
        let http = t.http.clone();
        let url = t.url("/v1/users");
        let token = token.clone();
        let upn = upn.clone();
        handles.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .header("MS-RequestId", "burst-1")
                .json(&json!({"userPrincipalName": upn, "displayName": "Burst"}))
                .send()
                .await
                .unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap()["id"].clone())
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for h in handles {
        let (s, id) = h.await.unwrap();
        assert_eq!(s, 201);
        ids.insert(id.to_string());
    }
    assert_eq!(ids.len(), 1, "every response names the same user");
    let (_, list) = t.get("/v1/users", &token).await;
    assert_eq!(list["totalCount"], 2);
}

#[tokio::test]
async fn etags_protect_updates_from_lost_writes() {
    let t = TestApp::spawn().await;
    let (tenant, token) = admin_token(&t).await;
    let u = t.user(&tenant, "etag", &[]).await;
    let path = format!("/v1/users/{}", u.id);
    let r = t
        .http
        .get(t.url(&path))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let patch = |tag: String, name: &'static str| {
        let t = &t;
        let token = token.clone();
        let path = path.clone();
        async move {
            let r = t
                .http
                .patch(t.url(&path))
                .bearer_auth(token)
                .header("If-Match", tag)
                .json(&json!({"displayName": name}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, body) = patch(etag.clone(), "First").await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["displayName"], "First");
    assert_ne!(body["attributes"]["etag"], etag);
    // A second writer holding the old ETag is stopped.
    let (s, body) = patch(etag, "Second").await;
    assert_eq!(s, 412);
    assert_eq!(assert_error_shape(&body), 2055);
    let (_, now) = t.get(&path, &token).await;
    assert_eq!(now["displayName"], "First");
}

#[tokio::test]
async fn bad_bodies_get_clear_errors_and_change_nothing() {
    let t = TestApp::spawn_with(|c| c.max_body_bytes = 4096).await;
    let (tenant, token) = admin_token(&t).await;
    let post_raw = |body: String, ctype: &'static str| {
        let t = &t;
        let token = token.clone();
        async move {
            let r = t
                .http
                .post(t.url("/v1/users"))
                .bearer_auth(token)
                .header("content-type", ctype)
                .body(body)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (s, b) = post_raw("{not json".into(), "application/json").await;
    assert_eq!(s, 400);
    assert!(b["description"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
    let (s, b) = post_raw(
        json!({"userPrincipalName": 5, "displayName": "x"}).to_string(),
        "application/json",
    )
    .await;
    assert_eq!(s, 400);
    assert_error_shape(&b);
    // A known member given twice in different cases is refused (never silently dropped).
    let (s, b) = post_raw(
        json!({"userPrincipalName": "a@b.example", "UserPrincipalName": "c@b.example", "displayName": "x"})
            .to_string(),
        "application/json",
    )
    .await;
    assert_eq!(s, 400, "an ambiguous member is refused");
    assert!(b["description"]
        .as_str()
        .unwrap()
        .contains("userPrincipalName"));
    let (s, b) = post_raw("x".repeat(10_000), "application/json").await;
    assert_eq!(s, 413);
    assert_error_shape(&b);
    let (s, _) = post_raw("{}".into(), "text/plain").await;
    assert_eq!(s, 415);
    // Field-level validation names each field.
    let (s, b) = t
        .post(
            "/v1/users",
            &token,
            &json!({"userPrincipalName": "bad", "displayName": ""}),
        )
        .await;
    assert_eq!(s, 400);
    let fields: Vec<&str> = b["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"userPrincipalName") && fields.contains(&"displayName"),
        "{b}"
    );
    let (_, list) = t.get("/v1/users", &token).await;
    assert_eq!(list["totalCount"], 1, "nothing was written");
    // Unknown members are ignored, as the public service ignores them, and grant nothing.
    let (s, b) = post_raw(
        json!({"userPrincipalName": format!("a@{}", tenant.domain), "displayName": "x", "isAdmin": true})
            .to_string(),
        "application/json",
    )
    .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        b["roles"],
        json!([]),
        "an unknown member grants no role: {b}"
    );
}

#[tokio::test]
async fn each_tenant_is_rate_limited_on_its_own() {
    let t = TestApp::spawn_with(|c| c.rate_limit_per_minute = 5).await;
    let (_, token) = admin_token(&t).await;
    let (_, other) = admin_token(&t).await;
    for _ in 0..5 {
        assert_eq!(t.get("/v1/me", &token).await.0, 200);
    }
    let r = t
        .http
        .get(t.url("/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(
        r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_error_shape(&r.json().await.unwrap());
    assert_eq!(
        t.get("/v1/me", &other).await.0,
        200,
        "another tenant is not affected"
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_shape() {
    let t = TestApp::spawn().await;
    let r = t.http.get(t.url("/v1/nothing-here")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_error_shape(&r.json().await.unwrap());
}

#[tokio::test]
async fn users_of_another_tenant_do_not_exist_for_the_caller() {
    let t = TestApp::spawn().await;
    let (_, token_a) = admin_token(&t).await;
    let (tenant_b, _) = admin_token(&t).await;
    let victim = t.user(&tenant_b, "victim", &[]).await;
    let path = format!("/v1/users/{}", victim.id);
    let (s, b) = t.get(&path, &token_a).await;
    assert_eq!(s, 404);
    assert_error_shape(&b);
    let r = t
        .http
        .patch(t.url(&path))
        .bearer_auth(&token_a)
        .json(&json!({"displayName": "pwned"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let unchanged = partnerhub::app::store::identity::user(&t.app.db, victim.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unchanged.display_name, "victim");
    // An id that is no id is the same not-found as a foreign or unknown one.
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PATCH,
        reqwest::Method::DELETE,
    ] {
        let body = json!({"displayName": "pwned"});
        crate::support::ids::api_not_found(&t, method, "/v1/users/{id}", &token_a, &body).await;
    }
    // Creating a user in another tenant's domain is refused.
    let (s, b) = t
        .post(
            "/v1/users",
            &token_a,
            &json!({"userPrincipalName": format!("x@{}", tenant_b.domain), "displayName": "x"}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(b["data"][0]["field"], "userPrincipalName");
}

#[tokio::test]
async fn roles_limit_who_manages_users() {
    let t = TestApp::spawn().await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let sales = t.user(&tenant, "sales", &[Role::SalesAgent]).await;
    let help = t.user(&tenant, "help", &[Role::HelpdeskAgent]).await;
    let sales_token = t.token(&sales.upn).await;
    let help_token = t.token(&help.upn).await;
    assert_eq!(t.get("/v1/users", &sales_token).await.0, 403);
    assert_eq!(t.get("/v1/users", &help_token).await.0, 200);
    let body = json!({"userPrincipalName": format!("n@{}", tenant.domain), "displayName": "N"});
    assert_eq!(t.post("/v1/users", &help_token, &body).await.0, 403);
    // An admin agent cannot hand out global administrator.
    let agent = t.user(&tenant, "agent", &[Role::AdminAgent]).await;
    let agent_token = t.token(&agent.upn).await;
    let (s, _) = t.post("/v1/users", &agent_token, &json!({"userPrincipalName": format!("g@{}", tenant.domain), "displayName": "G", "roles": ["global_administrator"]})).await;
    assert_eq!(s, 403);
    // Operator roles do not exist in a partner tenant.
    let admin_token = t.token(&admin.upn).await;
    let (s, b) = t.post("/v1/users", &admin_token, &json!({"userPrincipalName": format!("o@{}", tenant.domain), "displayName": "O", "roles": ["operator_admin"]})).await;
    assert_eq!(s, 400, "{b}");
}

#[tokio::test]
async fn the_last_global_administrator_cannot_be_demoted() {
    let t = TestApp::spawn().await;
    let (_, admin) = t.tenant(TenantKind::Partner, &[]).await;
    let token = t.token(&admin.upn).await;
    let r = t
        .http
        .patch(t.url(&format!("/v1/users/{}", admin.id)))
        .bearer_auth(&token)
        .json(&json!({"roles": ["sales_agent"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert_error_shape(&r.json().await.unwrap());
    let roles = partnerhub::app::store::identity::roles(&t.app.db, admin.id)
        .await
        .unwrap();
    assert!(roles.contains(&Role::GlobalAdministrator));
}

#[tokio::test]
async fn domain_availability_is_checked_without_signing_in() {
    let t = TestApp::spawn().await;
    let (tenant, _) = t.tenant(TenantKind::Partner, &[]).await;
    let get = |d: String| {
        let t = &t;
        async move {
            let r = t
                .http
                .get(t.url(&format!("/v1/tenants/domainavailability?domain={d}")))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, b) = get(tenant.domain.to_uppercase()).await;
    assert_eq!((s, b["available"].as_bool()), (200, Some(false)));
    let (s, b) = get("free-name.example".into()).await;
    assert_eq!((s, b["available"].as_bool()), (200, Some(true)));
    let (s, b) = get("not a domain".into()).await;
    assert_eq!(s, 400);
    assert_error_shape(&b);
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let t = TestApp::spawn().await;
    let doc: Value = t
        .http
        .get(t.url("/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    let operations: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    // Every handler annotated with #[utoipa::path] is registered in the documented router...
    let mut annotated = 0;
    let mut plain_routes = Vec::new();
    for entry in walk(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))) {
        let src = std::fs::read_to_string(&entry).unwrap();
        annotated += src.matches("#[utoipa::path(").count();
        // ...and no API route is added around the documented router.
        for line in src.lines().filter(|l| {
            l.contains(".route(\"/v1")
                || l.contains(".route(\"/oauth2")
                || l.contains(".route(\"/webhooks")
        }) {
            if !line.contains("/v1/openapi.json") {
                plain_routes.push(format!("{}: {}", entry.display(), line.trim()));
            }
        }
    }
    assert_eq!(
        operations, annotated,
        "each annotated handler appears once in the document"
    );
    assert!(
        plain_routes.is_empty(),
        "undocumented API routes: {plain_routes:?}"
    );
    for p in [
        "/v1/users",
        "/v1/users/{userId}",
        "/v1/me",
        "/oauth2/token",
        "/.well-known/jwks.json",
        "/healthz",
    ] {
        assert!(paths.contains_key(p), "{p} is documented");
    }
    // Every documented GET without path parameters answers (no 404, no 5xx).
    let (_, admin) = t.tenant(TenantKind::Partner, &[]).await;
    let token = t.token(&admin.upn).await;
    for (p, ops) in paths {
        if p.contains('{') || !ops.as_object().unwrap().contains_key("get") {
            continue;
        }
        let r = t
            .http
            .get(t.url(p))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert!(status < 500, "{p}: {status}");
        // A 404 may say the caller has no such resource, never that the route is missing.
        if status == 404 {
            let body: Value = r.json().await.unwrap();
            let description = body["description"].as_str().unwrap_or("");
            assert!(
                !description.starts_with("no resource at"),
                "{p} is not routed"
            );
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let t = TestApp::spawn().await;
    assert_eq!(
        t.http
            .get(t.url("/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    assert_eq!(
        t.http.get(t.url("/readyz")).send().await.unwrap().status(),
        200
    );
    let _ = t.http.get(t.url("/v1/me")).send().await.unwrap();
    // A partner made through the use cases: write transactions.
    let _partner = t.partner(true, false, "US").await;
    let m = t
        .http
        .get(t.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("partnerhub_http_requests_total"), "{m}");
    // How long write transactions waited for a write connection and held it, with buckets
    // fine enough for sub-millisecond holds.
    for h in [
        "partnerhub_db_write_wait_seconds",
        "partnerhub_db_write_held_seconds",
    ] {
        assert!(
            m.contains(&format!("{h}_bucket{{le=\"0.00025\"}}")),
            "{h}: {m}"
        );
        assert!(m.contains(&format!("{h}_count")), "{h}: {m}");
    }
    let r = t.http.get(t.url("/healthz")).send().await.unwrap();
    assert!(r.headers().contains_key("x-request-id"));
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert!(!r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("unsafe-inline"));
}

#[tokio::test]
async fn shutdown_lets_the_server_finish_and_stop() {
    let t = TestApp::spawn().await;
    let base = t.base.clone();
    let http = t.http.clone();
    assert_eq!(
        http.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    tokio::time::timeout(std::time::Duration::from_secs(10), t.shutdown())
        .await
        .expect("shutdown completes");
    assert!(
        http.get(format!("{base}/healthz")).send().await.is_err(),
        "no longer accepting"
    );
}

#[tokio::test]
async fn the_suite_runs_on_the_backend_it_was_asked_for() {
    let t = TestApp::spawn().await;
    let wanted = match std::env::var("PARTNERHUB_TEST_DATABASE_URL") {
        Ok(u) if u.starts_with("postgres") => partnerhub::app::store::Backend::Postgres,
        _ => partnerhub::app::store::Backend::Sqlite,
    };
    assert_eq!(t.app.db.backend, wanted);
    if wanted == partnerhub::app::store::Backend::Sqlite {
        use sqlx::Row;
        let mode: String = sqlx::query("PRAGMA journal_mode")
            .fetch_one(&t.app.db.read)
            .await
            .unwrap()
            .get(0);
        assert_eq!(mode, "wal");
    }
}
