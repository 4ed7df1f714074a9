//! `bench generate`: a large world in the real schema, fast.
//!
//! The operator and the providers are made through the app layer (real use cases, audit
//! records included). Resellers and customers are written in bulk: multi-row inserts in large
//! transactions, with the invariants the use cases keep (every customer has an active
//! relationship with its reseller and, through it, with the reseller's provider; both hold a
//! live delegated-admin grant; the provider and the reseller are partnered; orders, lines,
//! subscriptions and their first history events agree; seats cover assigned licenses).
//! Bulk rows have no audit records and no outbox messages, so every audit chain stays valid.

use super::{Sizes, PASSWORD, SUBSCRIPTIONS_PER_CUSTOMER};
use crate::app::identity::{self, NewTenant, NewUser};
use crate::app::App;
use crate::domain::identity::{Role, TenantKind};
use crate::store::Backend;
use sqlx::Row;
use std::fmt::Write as _;
use std::time::Instant;

/// Rows per INSERT statement.
const ROWS_PER_STATEMENT: usize = 500;
/// Customers per transaction.
const CUSTOMERS_PER_TX: usize = 25_000;

/// The three subscriptions every customer has: (product, sku, availability, quantity).
pub const ITEMS: [(&str, &str, &str, i64); SUBSCRIPTIONS_PER_CUSTOMER] = [
    ("PH-SUITE", "BASIC", "US-M", 10),
    ("PH-SUITE", "STANDARD", "US-Y", 5),
    ("PH-SECURE", "DEFENDER", "US-M", 20),
];

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Report {
    pub providers: usize,
    pub resellers: usize,
    pub customers: usize,
    pub users: usize,
    pub subscriptions: usize,
    pub licenses: usize,
    pub seconds: f64,
    pub database_bytes: i64,
}

/// SQL text literal. Generated values never hold quotes, but quote anyway.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Accumulates rows for one table and writes them as multi-row INSERTs.
struct Bulk {
    head: &'static str,
    buf: String,
    rows: usize,
}

impl Bulk {
    fn new(head: &'static str) -> Bulk {
        Bulk {
            head,
            buf: String::with_capacity(64 * 1024),
            rows: 0,
        }
    }

    fn push(&mut self, row: std::fmt::Arguments<'_>) {
        if self.rows > 0 {
            self.buf.push(',');
        }
        self.buf.push('(');
        self.buf
            .write_fmt(row)
            .expect("writing to a String does not fail");
        self.buf.push(')');
        self.rows += 1;
    }

    async fn flush(&mut self, conn: &mut sqlx::AnyConnection) -> anyhow::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let sql = format!("{} VALUES {}", self.head, self.buf);
        sqlx::raw_sql(&sql).execute(&mut *conn).await?;
        self.buf.clear();
        self.rows = 0;
        Ok(())
    }
}

/// The tables written in bulk, in foreign-key order.
struct Tables {
    tenants: Bulk,
    users: Bulk,
    roles: Bulk,
    partners: Bulk,
    acceptances: Bulk,
    partnerships: Bulk,
    relationships: Bulk,
    grants: Bulk,
    orders: Bulk,
    lines: Bulk,
    subscriptions: Bulk,
    events: Bulk,
    licenses: Bulk,
}

impl Tables {
    fn new() -> Tables {
        Tables {
            tenants: Bulk::new("INSERT INTO tenants (id, domain, display_name, country, kind, mfa_required, admin_mfa_exempt, created_at)"),
            users: Bulk::new("INSERT INTO users (id, tenant_id, upn, display_name, first_name, last_name, password_hash, state, language, created_at)"),
            roles: Bulk::new("INSERT INTO user_roles (user_id, role)"),
            partners: Bulk::new("INSERT INTO partners (tenant_id, mpn_id, org_mpn_id, is_reseller, is_provider, status, legal, created_at)"),
            acceptances: Bulk::new("INSERT INTO agreement_acceptances (tenant_id, version, user_id, user_upn, accepted_at)"),
            partnerships: Bulk::new("INSERT INTO partnerships (id, provider_tenant_id, reseller_tenant_id, state, admin_access, created_at, updated_at)"),
            relationships: Bulk::new("INSERT INTO customer_relationships (id, customer_tenant_id, partner_tenant_id, indirect_reseller_tenant_id, customer_name_lower, customer_domain, state, created_at)"),
            grants: Bulk::new("INSERT INTO admin_grants (id, customer_tenant_id, partner_tenant_id, roles, status, duration_days, auto_extend, created_at, expires_at)"),
            orders: Bulk::new("INSERT INTO orders (id, customer_tenant_id, placed_by_tenant_id, provider_tenant_id, reseller_tenant_id, request_id, status, currency, total, created_at)"),
            lines: Bulk::new("INSERT INTO order_lines (order_id, line_number, catalog_item_id, quantity, unit_price, partner_id_on_record, subscription_id)"),
            subscriptions: Bulk::new("INSERT INTO subscriptions (id, customer_tenant_id, order_id, provider_tenant_id, reseller_tenant_id, product_id, sku_id, availability_id, friendly_name, quantity, unit_price, currency, billing_cycle, term, status, auto_renew, created_at, term_start, term_end, cancel_until, updated_at)"),
            events: Bulk::new("INSERT INTO subscription_events (id, subscription_id, at, quantity, status, unit_price)"),
            licenses: Bulk::new("INSERT INTO license_assignments (user_id, customer_tenant_id, product_id, sku_id, assigned_at)"),
        }
    }

    /// Writes everything once one table has a statement's worth of rows. All tables are
    /// written together, parents first, so foreign keys always find their rows.
    async fn maybe_flush(&mut self, conn: &mut sqlx::AnyConnection) -> anyhow::Result<()> {
        if self.users.rows >= ROWS_PER_STATEMENT || self.subscriptions.rows >= ROWS_PER_STATEMENT {
            self.flush(conn).await?;
        }
        Ok(())
    }

    /// Writes what is buffered, parents before children.
    async fn flush(&mut self, conn: &mut sqlx::AnyConnection) -> anyhow::Result<()> {
        for b in [
            &mut self.tenants,
            &mut self.users,
            &mut self.roles,
            &mut self.partners,
            &mut self.acceptances,
            &mut self.partnerships,
            &mut self.relationships,
            &mut self.grants,
            &mut self.orders,
            &mut self.lines,
            &mut self.subscriptions,
            &mut self.events,
            &mut self.licenses,
        ] {
            b.flush(conn).await?;
        }
        Ok(())
    }
}

fn id() -> String {
    uuid::Uuid::now_v7().to_string()
}

struct Org {
    id: String,
    mpn: i64,
}

/// Creates one partner through the use cases (provider or operator side of the world).
async fn real_partner(
    app: &App,
    domain: &str,
    name: &str,
    mpn: i64,
) -> anyhow::Result<crate::domain::ids::TenantId> {
    let (tenant, admin, _) = identity::create_tenant_with_admin(
        app,
        None,
        NewTenant {
            domain: domain.into(),
            display_name: name.into(),
            country: "US".into(),
            kind: TenantKind::Partner,
        },
        NewUser {
            upn: format!("admin@{domain}"),
            display_name: format!("{name} admin"),
            roles: vec![Role::AccountAdmin, Role::AdminAgent],
            password: Some(PASSWORD.into()),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{domain}: {e}"))?;
    let ctx = crate::app::Ctx::system(tenant.id, TenantKind::Partner, "bench-generator");
    identity::create_user(
        app,
        &ctx,
        tenant.id,
        NewUser {
            upn: format!("sales@{domain}"),
            display_name: format!("{name} sales"),
            roles: vec![Role::SalesAgent],
            password: Some(PASSWORD.into()),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("sales@{domain}: {e}"))?;
    crate::cli::demo::make_partner(app, &tenant, &admin, true, false, mpn).await?;
    // The load runner signs its agents in with passwords: the bench organisations opt their
    // admins out of two-step verification, as an organisation may.
    identity::set_mfa_policy(app, &ctx, tenant.id, false, true)
        .await
        .map_err(|e| anyhow::anyhow!("{domain} MFA policy: {e}"))?;
    Ok(tenant.id)
}

/// Database size in bytes (SQLite file plus its write-ahead log, or the PostgreSQL database).
pub async fn database_bytes(app: &App) -> anyhow::Result<i64> {
    Ok(match app.db.backend {
        Backend::Sqlite => {
            let row = sqlx::query(
                "SELECT CAST(page_count * page_size AS BIGINT) AS n FROM pragma_page_count(), pragma_page_size()",
            )
            .fetch_one(&app.db.read)
            .await?;
            row.get::<i64, _>("n")
        }
        Backend::Postgres => {
            let row =
                sqlx::query("SELECT CAST(pg_database_size(current_database()) AS BIGINT) AS n")
                    .fetch_one(&app.db.read)
                    .await?;
            row.get::<i64, _>("n")
        }
    })
}

pub async fn generate(app: &App, scale: f64) -> anyhow::Result<Report> {
    anyhow::ensure!(
        scale > 0.0 && scale <= 10.0,
        "--scale must be above 0 and at most 10"
    );
    anyhow::ensure!(
        !crate::store::identity::domain_taken(&app.db, &super::operator_domain()).await?,
        "this database already holds a bench world: generate into an empty database"
    );
    let started = Instant::now();
    let sizes = Sizes::of(scale);
    let now = app.clock.now_ms();

    // The operator, the catalog and the providers: through the use cases.
    crate::cli::create_operator(
        app,
        &format!("admin@{}", super::operator_domain()),
        PASSWORD,
    )
    .await?;
    let catalog: crate::app::commerce::CatalogFile =
        serde_json::from_str(crate::cli::demo::CATALOG_JSON).expect("the demo catalog parses");
    crate::app::commerce::import_catalog(app, None, &catalog)
        .await
        .map_err(|e| anyhow::anyhow!("catalog: {e}"))?;
    let mut providers = Vec::with_capacity(sizes.providers);
    for i in 0..sizes.providers {
        let mpn = 7_000_000 + i as i64;
        let t = real_partner(
            app,
            &super::provider_domain(i),
            &format!("Bench Provider {i:03}"),
            mpn,
        )
        .await?;
        providers.push(Org {
            id: t.to_string(),
            mpn,
        });
    }

    // Prices and titles of the ordered items, from the catalog just imported.
    let mut items = Vec::new();
    for (p, s, a, qty) in ITEMS {
        let av = crate::store::commerce::availability(&app.db, p, s, a)
            .await?
            .ok_or_else(|| anyhow::anyhow!("catalog item {p}:{s}:{a} missing"))?;
        let sku = crate::store::commerce::sku(&app.db, p, s)
            .await?
            .ok_or_else(|| anyhow::anyhow!("sku {p}:{s} missing"))?;
        let days: i64 = if av.term == "P1Y" { 365 } else { 30 };
        items.push((p, s, a, qty, av, sku.title, days));
    }
    let total: rust_decimal::Decimal = items
        .iter()
        .map(|(_, _, _, qty, av, ..)| {
            av.list_price
                .parse::<rust_decimal::Decimal>()
                .unwrap_or_default()
                * rust_decimal::Decimal::from(*qty)
        })
        .sum();
    let total = total.round_dp(2).to_string();
    let agreement = crate::store::partners::current_agreement(&app.db).await?;
    let hash = crate::crypto::hash_password_blocking(PASSWORD.into()).await;
    let hash = q(&hash);
    let grant_roles = q("user_administrator,license_administrator");
    let year = 365 * crate::clock::DAY_MS;

    let mut conn = app.db.write.acquire().await?;
    if app.db.backend == Backend::Sqlite {
        // The world is rebuilt from scratch if the machine stops mid-way; skip fsyncs.
        sqlx::raw_sql("PRAGMA synchronous=OFF")
            .execute(&mut *conn)
            .await?;
    }
    let mut t = Tables::new();
    let mut users = 0usize;

    // Resellers: tenant, admin and sales users, partner account, agreement, partnerships.
    sqlx::raw_sql("BEGIN").execute(&mut *conn).await?;
    let mut resellers = Vec::with_capacity(sizes.resellers);
    for i in 0..sizes.resellers {
        let tid = id();
        let domain = super::reseller_domain(i);
        let name = format!("Bench Reseller {i:05}");
        let mpn = 8_000_000 + i as i64;
        t.tenants.push(format_args!(
            "{},{},{},'US','partner',0,1,{now}",
            q(&tid),
            q(&domain),
            q(&name)
        ));
        let admin = id();
        let admin_upn = format!("admin@{domain}");
        for (uid, upn, label, roles) in [
            (
                admin.clone(),
                admin_upn.clone(),
                "admin",
                &[
                    Role::GlobalAdministrator,
                    Role::AccountAdmin,
                    Role::AdminAgent,
                ][..],
            ),
            (
                id(),
                format!("sales@{domain}"),
                "sales",
                &[Role::SalesAgent][..],
            ),
        ] {
            t.users.push(format_args!(
                "{},{},{},{},'',{},{hash},'active','en-US',{now}",
                q(&uid),
                q(&tid),
                q(&upn),
                q(&format!("{name} {label}")),
                q(label)
            ));
            users += 1;
            for r in roles {
                t.roles.push(format_args!("{},{}", q(&uid), q(r.as_str())));
            }
        }
        let legal = crate::domain::enrollment::Application {
            legal_name: name.clone(),
            address_line1: "1 Bench Street".into(),
            city: "Seattle".into(),
            postal_code: "98101".into(),
            country: "US".into(),
            registration_number: format!("BENCH-{i:05}"),
            contact_first_name: "Bench".into(),
            contact_last_name: "Admin".into(),
            contact_email: admin_upn.clone(),
            contact_phone: "+1 206 555 0100".into(),
            support_email: format!("support@{domain}"),
            support_phone: "+1 206 555 0199".into(),
            support_website: format!("https://{domain}/support"),
            ..Default::default()
        };
        t.partners.push(format_args!(
            "{},{mpn},{mpn},1,0,'active',{},{now}",
            q(&tid),
            q(&serde_json::to_string(&legal)?)
        ));
        t.acceptances.push(format_args!(
            "{},{},{},{},{now}",
            q(&tid),
            q(&agreement.version),
            q(&admin),
            q(&admin_upn)
        ));
        for p in std::iter::once(sizes.primary_provider(i)).chain(sizes.second_provider(i)) {
            t.partnerships.push(format_args!(
                "{},{},{},'active',1,{now},{now}",
                q(&id()),
                q(&providers[p].id),
                q(&tid)
            ));
        }
        resellers.push(Org { id: tid, mpn });
        t.maybe_flush(&mut conn).await?;
    }
    t.flush(&mut conn).await?;
    sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;

    // Customers: tenant, admin and staff users, relationships and grants with the reseller
    // and its provider, one order of three lines, subscriptions, history, licenses.
    let mut subscriptions = 0usize;
    let mut licenses = 0usize;
    sqlx::raw_sql("BEGIN").execute(&mut *conn).await?;
    for c in 0..sizes.customers {
        let r_index = sizes.reseller_of(c);
        let reseller = &resellers[r_index];
        let provider = &providers[sizes.primary_provider(r_index)];
        let (rid, pid) = (q(&reseller.id), q(&provider.id));
        let tid = id();
        let tq = q(&tid);
        let domain = super::customer_domain(c);
        let name = format!("Bench Customer {c:07}");
        t.tenants.push(format_args!(
            "{tq},{},{},'US','customer',0,0,{now}",
            q(&domain),
            q(&name)
        ));
        let admin = q(&id());
        let staff = q(&id());
        for (uid, label) in [(&admin, "admin"), (&staff, "staff")] {
            t.users.push(format_args!(
                "{uid},{tq},{},{},'',{},{hash},'active','en-US',{now}",
                q(&format!("{label}@{domain}")),
                q(&format!("{name} {label}")),
                q(label)
            ));
        }
        users += 2;
        t.roles.push(format_args!(
            "{admin},{}",
            q(Role::GlobalAdministrator.as_str())
        ));
        let (lower, dq) = (q(&name.to_lowercase()), q(&domain));
        for (partner, via) in [(&rid, "NULL".to_string()), (&pid, rid.clone())] {
            t.relationships.push(format_args!(
                "{},{tq},{partner},{via},{lower},{dq},'active',{now}",
                q(&id())
            ));
            t.grants.push(format_args!(
                "{},{tq},{partner},{grant_roles},'active',365,1,{now},{}",
                q(&id()),
                now + year
            ));
        }
        let order = q(&id());
        t.orders.push(format_args!(
            "{order},{tq},{pid},{pid},{rid},NULL,'completed','USD',{},{now}",
            q(&total)
        ));
        for (n, (p, s, a, qty, av, title, days)) in items.iter().enumerate() {
            let sub = q(&id());
            let price = q(&av.list_price);
            t.lines.push(format_args!(
                "{order},{n},{},{qty},{price},{},{sub}",
                q(&format!("{p}:{s}:{a}")),
                q(&reseller.mpn.to_string())
            ));
            t.subscriptions
                .push(format_args!(
                        "{sub},{tq},{order},{pid},{rid},{},{},{},{},{qty},{price},{},{},{},'active',1,{now},{now},{},{},{now}",
                        q(p),
                        q(s),
                        q(a),
                        q(title),
                        q(&av.currency),
                        q(&av.billing_cycle),
                        q(&av.term),
                        now + days * crate::clock::DAY_MS,
                        now + 7 * crate::clock::DAY_MS
                    ),
                );
            t.events.push(format_args!(
                "{},{sub},{now},{qty},'active',{price}",
                q(&id())
            ));
            subscriptions += 1;
        }
        // The admin holds a Standard seat, the staff user a Basic one.
        for (uid, (p, s, ..)) in [(&admin, &ITEMS[1]), (&staff, &ITEMS[0])] {
            t.licenses
                .push(format_args!("{uid},{tq},{},{},{now}", q(p), q(s)));
            licenses += 1;
        }
        t.maybe_flush(&mut conn).await?;
        if (c + 1) % CUSTOMERS_PER_TX == 0 {
            t.flush(&mut conn).await?;
            sqlx::raw_sql("COMMIT; BEGIN").execute(&mut *conn).await?;
            if (c + 1) % 100_000 == 0 {
                eprintln!(
                    "  {} customers written ({:.0} s)",
                    c + 1,
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    t.flush(&mut conn).await?;
    sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
    match app.db.backend {
        Backend::Sqlite => {
            sqlx::raw_sql("PRAGMA synchronous=NORMAL; ANALYZE; PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut *conn)
                .await?;
        }
        Backend::Postgres => {
            sqlx::raw_sql("ANALYZE").execute(&mut *conn).await?;
        }
    }
    drop(conn);
    Ok(Report {
        providers: sizes.providers,
        resellers: sizes.resellers,
        customers: sizes.customers,
        users: users + 2 * sizes.providers + 1,
        subscriptions,
        licenses,
        seconds: started.elapsed().as_secs_f64(),
        database_bytes: database_bytes(app).await?,
    })
}
