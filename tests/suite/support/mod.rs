//! Test support: a real server on a random port with its own database (SQLite file, or a
//! fresh PostgreSQL database when `PARTNERHUB_TEST_DATABASE_URL` names a server), real HTTP
//! clients, a real SMTP server, and a headless browser.

pub mod browser;
pub mod ids;
pub mod paging;
pub mod receiver;
pub mod smtp;

use partnerhub::app::identity::{self, NewTenant, NewUser};
use partnerhub::app::store::identity::{TenantRow, UserRow};
use partnerhub::app::App;
use partnerhub::clock::Clock;
use partnerhub::config::{Config, MailMode};
use partnerhub::domain::identity::{Role, TenantKind};
use partnerhub::server::Running;
use serde_json::Value;
use std::sync::atomic::{AtomicU32, Ordering};

pub const PASSWORD: &str = "Test-Password-1";

/// A database URL for one test: a new SQLite file, or a new PostgreSQL database.
pub async fn fresh_database_url(dir: &tempfile::TempDir) -> String {
    match std::env::var("PARTNERHUB_TEST_DATABASE_URL") {
        Ok(base) if base.starts_with("postgres") => {
            use sqlx::Connection;
            let name = format!("ph_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&base)
                .await
                .expect("connect to the PostgreSQL test server");
            sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("create test database");
            let (prefix, _) = base.rsplit_once('/').expect("URL has a database part");
            format!("{prefix}/{name}")
        }
        _ => format!("sqlite:{}/partnerhub.db", dir.path().display()),
    }
}

pub struct Partner {
    pub tenant: TenantRow,
    pub admin: UserRow,
    pub token: String,
    pub mpn: i64,
}

pub struct TestApp {
    pub running: Option<Running>,
    pub base: String,
    pub app: App,
    pub clock: Clock,
    pub http: reqwest::Client,
    pub _dir: tempfile::TempDir,
}

pub fn test_config(url: &str) -> Config {
    let mut c = Config::defaults();
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.database_url = url.to_string();
    c.mail_mode = MailMode::Capture;
    c.db_connections = 8;
    c
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        // PARTNERHUB_TEST_LOG=warn (for example) shows the servers' logs while debugging.
        if let Ok(filter) = std::env::var("PARTNERHUB_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
        let dir = tempfile::tempdir().unwrap();
        let url = fresh_database_url(&dir).await;
        let mut config = test_config(&url);
        adjust(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        config.public_url = Some(format!("http://{addr}"));
        let clock = Clock::system();
        let app = App::start(config, clock.clone()).await.expect("app starts");
        let running = partnerhub::server::spawn(app.clone(), listener)
            .await
            .unwrap();
        TestApp {
            base: format!("http://{addr}"),
            running: Some(running),
            app,
            clock,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A new tenant with its global administrator (extra roles optional).
    pub async fn tenant(&self, kind: TenantKind, extra_roles: &[Role]) -> (TenantRow, UserRow) {
        self.tenant_in(kind, extra_roles, "US").await
    }

    /// An authorized partner (agreement accepted) in `country`, with its admin agent's token.
    pub async fn partner(&self, provider: bool, reseller: bool, country: &str) -> Partner {
        static MPN: AtomicU32 = AtomicU32::new(6_000_000);
        let (tenant, admin) = self
            .tenant_in(
                TenantKind::Partner,
                &[Role::AccountAdmin, Role::AdminAgent],
                country,
            )
            .await;
        let mpn = MPN.fetch_add(1, Ordering::Relaxed) as i64;
        partnerhub::app::fixtures::make_partner(
            &self.app, &tenant, &admin, provider, reseller, mpn,
        )
        .await
        .unwrap();
        let token = self.token(&admin.upn).await;
        Partner {
            tenant,
            admin,
            token,
            mpn,
        }
    }

    pub async fn tenant_in(
        &self,
        kind: TenantKind,
        extra_roles: &[Role],
        country: &str,
    ) -> (TenantRow, UserRow) {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let domain = format!(
            "t{n}-{}.example",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let (t, u, _) = identity::create_tenant_with_admin(
            &self.app,
            None,
            NewTenant {
                domain: domain.clone(),
                display_name: format!("Org {n}"),
                country: country.into(),
                kind,
            },
            NewUser {
                upn: format!("admin@{domain}"),
                display_name: format!("Admin {n}"),
                roles: extra_roles.to_vec(),
                password: Some(PASSWORD.into()),
                ..Default::default()
            },
        )
        .await
        .expect("tenant created");
        // Test organisations switch off the admin two-step verification default explicitly,
        // so tests can sign in with a password; the tests of that default use `strict_tenant`.
        self.set_mfa_policy(&t, false, true).await;
        (t, u)
    }

    /// Sets an organisation's two-step verification policy, as the system.
    pub async fn set_mfa_policy(&self, tenant: &TenantRow, everyone: bool, admins_exempt: bool) {
        let ctx = partnerhub::app::Ctx::system(tenant.id, tenant.kind, "test-setup");
        identity::set_mfa_policy(&self.app, &ctx, tenant.id, everyone, admins_exempt)
            .await
            .expect("policy set");
    }

    /// Adds a user with roles to a tenant, as the system (test setup only).
    pub async fn user(&self, tenant: &TenantRow, local: &str, roles: &[Role]) -> UserRow {
        let ctx = partnerhub::app::Ctx::system(tenant.id, tenant.kind, "test-setup");
        let (u, _) = identity::create_user(
            &self.app,
            &ctx,
            tenant.id,
            NewUser {
                upn: format!("{local}@{}", tenant.domain),
                display_name: local.to_string(),
                roles: roles.to_vec(),
                password: Some(PASSWORD.into()),
                ..Default::default()
            },
        )
        .await
        .expect("user created");
        u
    }

    /// An access token by the password grant.
    pub async fn token(&self, upn: &str) -> String {
        let r = self.token_response(upn, PASSWORD).await;
        assert_eq!(r.0, 200, "token for {upn}: {}", r.1);
        r.1["access_token"].as_str().unwrap().to_string()
    }

    pub async fn token_response(&self, upn: &str, password: &str) -> (u16, Value) {
        let r = self
            .http
            .post(self.url("/oauth2/token"))
            .form(&[
                ("grant_type", "password"),
                ("username", upn),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// A portal page as HTML: with a session cookie (`name=value`) or signed out, and in a
    /// language the browser asks for (`Accept-Language`) when given.
    pub async fn html(
        &self,
        path: &str,
        cookie: Option<&str>,
        lang: Option<&str>,
    ) -> (u16, String) {
        let mut req = self.http.get(self.url(path));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        if let Some(l) = lang {
            req = req.header("accept-language", l);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// A GET without credentials (discovery, keys, public pages of the API).
    pub async fn get_public(&self, path: &str) -> (u16, Value) {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, token, body).await
    }

    pub async fn put(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, token, body).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, path, token, body).await
    }

    /// A JSON request with a bearer token; the status and the JSON answer (null if none).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> (u16, Value) {
        let r = self
            .http
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// Waits until the outbox has delivered all mail (workers run in the background).
    pub async fn mail_settled(&self) {
        for _ in 0..200 {
            if partnerhub::app::store::outbox::pending_count(&self.app.db, partnerhub::mail::TOPIC)
                .await
                .unwrap()
                == 0
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("mail was not delivered in time");
    }

    /// Stops the server and its workers and starts new ones on the same database and clock,
    /// as after a restart.
    pub async fn restart(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = (*self.app.config).clone();
        config.public_url = Some(format!("http://{addr}"));
        let app = App::start(config, self.clock.clone())
            .await
            .expect("app restarts");
        self.running = Some(
            partnerhub::server::spawn(app.clone(), listener)
                .await
                .unwrap(),
        );
        self.app = app;
        self.base = format!("http://{addr}");
    }

    pub async fn shutdown(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }
}

/// Asserts the partner-center error shape and returns the code.
pub fn assert_error_shape(body: &Value) -> u64 {
    assert!(body["code"].is_u64(), "error has a numeric code: {body}");
    assert!(
        body["description"].as_str().is_some_and(|d| !d.is_empty()),
        "error has a description: {body}"
    );
    assert!(body["data"].is_array(), "error has data: {body}");
    assert_eq!(body["source"], "PartnerHub");
    body["code"].as_u64().unwrap()
}
