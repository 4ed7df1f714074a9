//! Three `partnerhub serve` processes on one PostgreSQL database behind nginx behave as one
//! product: tokens, refresh tokens and portal sessions work on any node, the per-tenant rate
//! limit holds across nodes, and every outbox mail reaches the SMTP server and every webhook
//! event the test's receiver exactly once.
//!
//! Needs PostgreSQL (`PARTNERHUB_TEST_DATABASE_URL`, as `scripts/with-postgres.sh` sets) and
//! the Debian `nginx` package. Without a PostgreSQL URL the test says so and does nothing
//! else: SQLite is one process by design.

use crate::support::smtp::SmtpServer;
use crate::support::{fresh_database_url, PASSWORD};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Requests per tenant and minute on every node; the operator part stays below it.
const RATE_LIMIT: usize = 40;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn partnerhub(args: &[&str], db: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_partnerhub"))
        .args(args)
        .env("PARTNERHUB_DATABASE_URL", db)
        .env("PARTNERHUB_LOG", "warn")
        .output()
        .expect("run partnerhub");
    assert!(
        out.status.success(),
        "partnerhub {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn nginx_binary() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("nginx is installed (Debian package `nginx`; .ci/run installs it)")
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Children stopped when the test ends, pass or fail: SIGTERM first, so nginx's master stops
/// its workers (a killed master leaves them running), then SIGKILL for what is left.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for c in &self.0 {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
        }
        for c in &mut self.0 {
            for _ in 0..100 {
                if matches!(c.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

struct Cluster {
    db: String,
    nodes: Vec<String>,
    lb: String,
    http: reqwest::Client,
    _processes: Processes,
    _dir: tempfile::TempDir,
}

async fn wait_ready(http: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} did not become ready");
}

fn write_nginx_config(dir: &Path, lb_port: u16, node_ports: &[u16]) -> PathBuf {
    let servers: String = node_ports
        .iter()
        .map(|p| format!("        server 127.0.0.1:{p};\n"))
        .collect();
    let d = dir.display();
    let user = if running_as_root() {
        "user root;\n"
    } else {
        ""
    };
    let conf = format!(
        "{user}worker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/nginx-error.log warn;\n\
         events {{ worker_connections 512; }}\n\
         http {{\n    access_log off;\n\
             client_body_temp_path {d}/body;\n    proxy_temp_path {d}/proxy;\n    fastcgi_temp_path {d}/fastcgi;\n\
             uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;\n\
             upstream partnerhub {{\n{servers}    }}\n\
             server {{\n        listen 127.0.0.1:{lb_port};\n        location / {{\n\
                 proxy_pass http://partnerhub;\n            proxy_http_version 1.1;\n\
                 proxy_set_header Connection \"\";\n            proxy_set_header Host $http_host;\n\
                 proxy_set_header X-Forwarded-For $remote_addr;\n        }}\n    }}\n}}\n"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    path
}

impl Cluster {
    /// Migrates a fresh database, creates the operator, starts `n` nodes and nginx.
    async fn start(n: usize, smtp: &SmtpServer, operator: &str) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let db = fresh_database_url(&dir).await;
        partnerhub(&["migrate"], &db);
        partnerhub(
            &[
                "admin",
                "create-operator",
                "--email",
                operator,
                "--password",
                PASSWORD,
            ],
            &db,
        );
        // The operator organisation opts its administrators out of two-step verification (an
        // organisation's own setting), so the test signs in with a password on every node.
        exempt_admins_of(&db, operator).await;
        let lb_port = free_port();
        let lb = format!("http://127.0.0.1:{lb_port}");
        let ports: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let mut children = Vec::new();
        for port in &ports {
            let child = Command::new(env!("CARGO_BIN_EXE_partnerhub"))
                .arg("serve")
                .env("PARTNERHUB_DATABASE_URL", &db)
                .env("PARTNERHUB_LISTEN", format!("127.0.0.1:{port}"))
                .env("PARTNERHUB_PUBLIC_URL", &lb)
                .env("PARTNERHUB_MAIL_MODE", "smtp")
                .env("PARTNERHUB_SMTP_URL", smtp.url())
                .env("PARTNERHUB_RATE_LIMIT_PER_MINUTE", RATE_LIMIT.to_string())
                .env("PARTNERHUB_WEBHOOK_ALLOW", "127.0.0.1")
                .env("PARTNERHUB_WEBHOOK_TEST_PER_MINUTE", "1000")
                .env("PARTNERHUB_DB_CONNECTIONS", "4")
                .env("PARTNERHUB_LOG", "warn")
                .stdout(Stdio::null())
                .spawn()
                .expect("start partnerhub serve");
            children.push(child);
        }
        let conf = write_nginx_config(dir.path(), lb_port, &ports);
        let nginx = Command::new(nginx_binary())
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(dir.path())
            .stdout(Stdio::null())
            .spawn()
            .expect("start nginx");
        children.push(nginx);
        let processes = Processes(children);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let nodes: Vec<String> = ports
            .iter()
            .map(|p| format!("http://127.0.0.1:{p}"))
            .collect();
        for node in &nodes {
            wait_ready(&http, node).await;
        }
        wait_ready(&http, &lb).await;
        Cluster {
            db,
            nodes,
            lb,
            http,
            _processes: processes,
            _dir: dir,
        }
    }

    async fn token(&self, base: &str, upn: &str) -> (String, String) {
        let r = self
            .http
            .post(format!("{base}/oauth2/token"))
            .form(&[
                ("grant_type", "password"),
                ("username", upn),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "sign-in of {upn} on {base}");
        let v: Value = r.json().await.unwrap();
        (
            v["access_token"].as_str().unwrap().to_string(),
            v["refresh_token"].as_str().unwrap().to_string(),
        )
    }

    async fn me(&self, base: &str, token: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{base}/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn pending(&self, topic: &str) -> i64 {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.db).await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE topic = $1 AND done_at IS NULL")
            .bind(topic)
            .fetch_one(&mut conn)
            .await
            .unwrap()
    }

    async fn pending_mail(&self) -> i64 {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.db).await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE topic = 'mail' AND done_at IS NULL")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    }

    async fn delivered_mail(&self) -> i64 {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.db).await.unwrap();
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE topic = 'mail' AND done_at IS NOT NULL",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap()
    }
}

/// The library, on the cluster's database, without workers of its own.
async fn library(db: &str) -> partnerhub::app::App {
    let mut config = crate::support::test_config(db);
    config.workers = false;
    partnerhub::app::App::start(config, partnerhub::clock::Clock::system())
        .await
        .unwrap()
}

async fn exempt_admins_of(db: &str, upn: &str) {
    use partnerhub::domain::identity::TenantKind;
    let app = library(db).await;
    let user = partnerhub::app::store::identity::user_by_upn(&app.db, upn)
        .await
        .unwrap()
        .expect("the user exists");
    let ctx = partnerhub::app::Ctx::system(user.tenant_id, TenantKind::Operator, "test");
    partnerhub::app::identity::set_mfa_policy(&app, &ctx, user.tenant_id, false, true)
        .await
        .unwrap();
}

/// An authorized partner, made through the library against the cluster's database (no
/// workers of its own); returns its admin's sign-in name.
async fn make_partner(db: &str) -> String {
    use partnerhub::app::identity::{self, NewTenant, NewUser};
    use partnerhub::domain::identity::{Role, TenantKind};
    let app = library(db).await;
    let domain = format!(
        "wh-{}.example",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let (tenant, admin, _) = identity::create_tenant_with_admin(
        &app,
        None,
        NewTenant {
            domain: domain.clone(),
            display_name: "Webhook Partner".into(),
            country: "US".into(),
            kind: TenantKind::Partner,
        },
        NewUser {
            upn: format!("admin@{domain}"),
            display_name: "Admin".into(),
            roles: vec![Role::AccountAdmin, Role::AdminAgent],
            password: Some(PASSWORD.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let ctx = partnerhub::app::Ctx::system(tenant.id, TenantKind::Partner, "test");
    identity::set_mfa_policy(&app, &ctx, tenant.id, false, true)
        .await
        .unwrap();
    partnerhub::app::fixtures::make_partner(&app, &tenant, &admin, false, true, 7_777_001)
        .await
        .unwrap();
    admin.upn
}

fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            let kv = c.split(';').next()?;
            let (k, v) = kv.split_once('=')?;
            (k == "__Host-partnerhub").then(|| v.to_string())
        })
}

fn csrf_of(html: &str) -> String {
    let i = html
        .find("name=\"csrf\" value=\"")
        .expect("page has a CSRF field")
        + 19;
    html[i..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn three_nodes_behind_nginx_share_tokens_sessions_rate_limits_and_deliver_mail_once() {
    match std::env::var("PARTNERHUB_TEST_DATABASE_URL") {
        Ok(u) if u.starts_with("postgres") => {}
        _ => {
            eprintln!(
                "SKIPPED three_nodes_behind_nginx: set PARTNERHUB_TEST_DATABASE_URL to a PostgreSQL \
                 server (scripts/with-postgres.sh does) to run the multi-node test"
            );
            return;
        }
    }
    let smtp = SmtpServer::start();
    let domain = format!(
        "op-{}.example",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let operator = format!("ops@{domain}");
    let c = Cluster::start(3, &smtp, &operator).await;

    // Tokens: signed on one node, accepted by every other; refresh on another node.
    let (token, refresh) = c.token(&c.nodes[0], &operator).await;
    for node in &c.nodes {
        let (status, me) = c.me(node, &token).await;
        assert_eq!(status, 200, "token from node 0 on {node}");
        assert_eq!(me["user"]["userPrincipalName"], operator.as_str(), "{me}");
    }
    let r = c
        .http
        .post(format!("{}/oauth2/token", c.nodes[2]))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "refresh token from node 0 on node 2");
    let refreshed: Value = r.json().await.unwrap();
    let (status, _) = c
        .me(&c.nodes[1], refreshed["access_token"].as_str().unwrap())
        .await;
    assert_eq!(status, 200);
    // The old refresh token was rotated away on node 2: node 1 refuses it too.
    let r = c
        .http
        .post(format!("{}/oauth2/token", c.nodes[1]))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        400,
        "a used refresh token is refused on any node"
    );

    // Portal session: started on node 0, signed in on node 1, used on node 2.
    let r = c
        .http
        .get(format!("{}/portal/signin", c.nodes[0]))
        .send()
        .await
        .unwrap();
    let anon = session_cookie(&r).expect("a session cookie");
    let csrf = csrf_of(&r.text().await.unwrap());
    let r = c
        .http
        .post(format!("{}/portal/signin", c.nodes[1]))
        .header("cookie", format!("__Host-partnerhub={anon}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("upn", operator.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "node 1 accepts node 0's CSRF token");
    let signed = session_cookie(&r).expect("a session after sign-in");
    let r = c
        .http
        .get(format!("{}/portal", c.nodes[2]))
        .header("cookie", format!("__Host-partnerhub={signed}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "node 2 knows the session");

    // Mail: users added through the load balancer (spread over the nodes) get their generated
    // password by mail; every node runs
    // the mail worker, each message must arrive once.
    let recipients: Vec<String> = (0..24).map(|i| format!("user{i}@{domain}")).collect();
    for upn in &recipients {
        let r = c
            .http
            .post(format!("{}/v1/users", c.lb))
            .bearer_auth(&token)
            .json(&json!({"userPrincipalName": upn, "displayName": upn}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    for _ in 0..400 {
        if c.pending_mail().await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(c.pending_mail().await, 0, "every mail was sent");
    // Give a duplicate delivery, if any, time to show up.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut received: BTreeMap<String, usize> = BTreeMap::new();
    for m in smtp.messages() {
        for to in m["to"].as_array().into_iter().flatten() {
            *received
                .entry(to.as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    for upn in &recipients {
        assert_eq!(received.get(upn), Some(&1), "{upn} got its mail once");
    }
    let total: usize = received.values().sum();
    assert_eq!(
        total as i64,
        c.delivered_mail().await,
        "the SMTP server got one message per delivered outbox row: {received:?}"
    );

    // Webhooks: a partner's events, raised on any node (test events written as deliveries,
    // referrals fanned out from the event outbox), reach the receiver once each.
    let partner = make_partner(&c.db).await;
    let (ptoken, _) = c.token(&c.lb, &partner).await;
    let rx = crate::support::receiver::Receiver::start().await;
    let r = c
        .http
        .post(format!("{}/webhooks/v1/registration", c.lb))
        .bearer_auth(&ptoken)
        .json(&json!({"webhookUrl": rx.url, "webhookEvents": ["test-created", "referral-created"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    const EACH: usize = 12;
    for i in 0..EACH {
        let r = c
            .http
            .post(format!(
                "{}/webhooks/v1/registration/validationEvents",
                c.lb
            ))
            .bearer_auth(&ptoken)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let r = c
            .http
            .post(format!("{}/v1/referrals", c.lb))
            .bearer_auth(&ptoken)
            .json(&json!({"name": format!("Lead {i}"), "dealValue": "10", "currency": "USD", "consent": true,
                "customerProfile": {"name": "Lead Co", "country": "US", "contact": {"name": "Lee", "email": "lee@lead.example"}}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    let got = rx.wait_for(2 * EACH).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let got_now = rx.received();
    assert_eq!(got_now.len(), got.len(), "no late duplicates");
    let ids: std::collections::BTreeSet<String> =
        got_now.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(
        ids.len(),
        2 * EACH,
        "each event once: {} requests",
        got_now.len()
    );
    let names: Vec<String> = got_now
        .iter()
        .map(|r| r.json()["eventName"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names.iter().filter(|n| *n == "referral-created").count(),
        EACH
    );
    assert_eq!(c.pending("event").await, 0, "every event was fanned out");

    // Rate limit: one tenant's budget is shared by the nodes. Through nginx the requests
    // take turns on the three nodes; per-node counting would admit all of them.
    let customer = format!(
        "rl-{}.example",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let r = c
        .http
        .post(format!("{}/v1/tenants", c.lb))
        .json(&json!({"domain": customer, "displayName": "Rate Limited", "country": "US",
            "admin": {"userPrincipalName": format!("admin@{customer}"), "displayName": "Admin", "password": PASSWORD}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let (limited, _) = c.token(&c.lb, &format!("admin@{customer}")).await;
    // Stay inside one one-minute window.
    let second = chrono::Utc::now().timestamp() % 60;
    if second > 40 {
        tokio::time::sleep(Duration::from_secs((61 - second) as u64)).await;
    }
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    for _ in 0..RATE_LIMIT * 2 + 5 {
        let (status, _) = c.me(&c.lb, &limited).await;
        *statuses.entry(status).or_default() += 1;
    }
    assert_eq!(
        statuses.get(&200),
        Some(&RATE_LIMIT),
        "exactly the limit is admitted across nodes: {statuses:?}"
    );
    assert_eq!(statuses.get(&429), Some(&(RATE_LIMIT + 5)), "{statuses:?}");
}
