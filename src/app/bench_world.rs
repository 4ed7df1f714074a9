//! The synthetic world of `partnerhub bench`: its sizes and names, and its generation into
//! the real schema, fast.
//!
//! The operator and the providers are made through the use cases (audit records included).
//! Resellers and customers are written in bulk (`store::bench`): multi-row inserts in large
//! transactions, with the invariants the use cases keep (every customer has an active
//! relationship with its reseller and, through it, with the reseller's provider; both hold a
//! live delegated-admin grant; the provider and the reseller are partnered; orders, lines,
//! subscriptions and their first history events agree; seats cover assigned licenses).
//! Bulk rows have no audit records and no outbox messages, so every audit chain stays valid.

use super::identity::{self, NewTenant, NewUser};
use super::App;
use crate::app::store::bench::{q, BulkSession, Tables};
use crate::app::store::commerce::Availability as AvailabilityRow;
use crate::domain::identity::{Role, TenantKind};
use crate::domain::ids::TenantId;
use std::time::Instant;

pub use crate::app::store::bench::SampledCustomer;

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

/// Every user the generator creates signs in with this password (one argon2id hash, computed
/// once and shared by all bulk users: bench data only).
pub const PASSWORD: &str = "Bench-Password-1";

/// Domains of the generated world, so the runner can find its organisations.
pub const DOMAIN_SUFFIX: &str = "bench.example";

pub fn operator_domain() -> String {
    format!("operator.{DOMAIN_SUFFIX}")
}
pub fn provider_domain(i: usize) -> String {
    format!("p{i:03}.{DOMAIN_SUFFIX}")
}
pub fn reseller_domain(i: usize) -> String {
    format!("r{i:05}.{DOMAIN_SUFFIX}")
}
pub fn customer_domain(i: usize) -> String {
    format!("c{i:07}.{DOMAIN_SUFFIX}")
}

/// How many of each thing a scale factor gives. Scale 1.0 is the issue's world: 20 providers,
/// 10,000 resellers, 1,000,000 customers, 3,000,000 subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub providers: usize,
    pub resellers: usize,
    pub customers: usize,
}

/// Subscriptions (order lines) every customer has.
pub const SUBSCRIPTIONS_PER_CUSTOMER: usize = 3;

impl Sizes {
    pub fn of(scale: f64) -> Sizes {
        let n = |full: f64, min: usize| ((full * scale).round() as usize).max(min);
        let providers = n(20.0, 2);
        let resellers = n(10_000.0, 4);
        let customers = n(1_000_000.0, resellers);
        Sizes {
            providers,
            resellers,
            customers,
        }
    }

    /// The largest provider (index 0) serves 55% of the resellers, so at full scale it has
    /// more than 500,000 customers: page 5,000 of its list exists.
    pub fn primary_provider(&self, reseller: usize) -> usize {
        let big = (self.resellers * 55).div_ceil(100);
        if reseller < big || self.providers == 1 {
            0
        } else {
            1 + reseller % (self.providers - 1)
        }
    }

    /// Every fifth reseller also works with a second provider (no customers through it).
    pub fn second_provider(&self, reseller: usize) -> Option<usize> {
        (reseller % 5 == 0 && self.providers > 1)
            .then(|| (self.primary_provider(reseller) + 1) % self.providers)
    }

    pub fn reseller_of(&self, customer: usize) -> usize {
        customer % self.resellers
    }
}

fn id() -> String {
    uuid::Uuid::now_v7().to_string()
}

struct Org {
    id: String,
    mpn: i64,
    /// The organisation's display name.
    name: String,
}

/// One ordered catalog item with its price, title and term length.
struct Item {
    product: &'static str,
    sku: &'static str,
    availability: &'static str,
    quantity: i64,
    price: AvailabilityRow,
    title: String,
    days: i64,
}

/// Values every bulk row of one generation shares.
struct Shared {
    now: i64,
    /// The quoted argon2id hash of [`PASSWORD`], one for every bulk user.
    hash: String,
    agreement: String,
    /// The quoted total of one customer's order.
    total: String,
}

/// Database size in bytes (SQLite file plus its write-ahead log, or the PostgreSQL database).
pub async fn database_bytes(app: &App) -> anyhow::Result<i64> {
    Ok(crate::app::store::bench::database_bytes(&app.db).await?)
}

pub async fn generate(app: &App, scale: f64) -> anyhow::Result<Report> {
    anyhow::ensure!(
        scale > 0.0 && scale <= 10.0,
        "--scale must be above 0 and at most 10"
    );
    anyhow::ensure!(
        super::admin_tasks::tenant_by_domain(app, &operator_domain())
            .await?
            .is_none(),
        "this database already holds a bench world: generate into an empty database"
    );
    let started = Instant::now();
    let sizes = Sizes::of(scale);
    let providers = operator_catalog_and_providers(app, &sizes).await?;
    let items = priced_items(app).await?;
    let total: rust_decimal::Decimal = items
        .iter()
        .map(|i| {
            i.price
                .list_price
                .parse::<rust_decimal::Decimal>()
                .unwrap_or_default()
                * rust_decimal::Decimal::from(i.quantity)
        })
        .sum();
    let shared = Shared {
        now: app.clock.now_ms(),
        hash: q(&crate::crypto::hash_password_blocking(PASSWORD.into()).await),
        agreement: crate::app::store::partners::current_agreement(&app.db)
            .await?
            .version,
        total: q(&total.round_dp(2).to_string()),
    };
    let mut session = BulkSession::open(&app.db).await?;
    let mut t = Tables::default();
    let resellers = write_resellers(&mut session, &mut t, &sizes, &providers, &shared).await?;
    let mut counts = Counts::default();
    session.begin().await?;
    for c in 0..sizes.customers {
        let r_index = sizes.reseller_of(c);
        let reseller = &resellers[r_index];
        let provider = &providers[sizes.primary_provider(r_index)];
        push_customer(&mut t, c, reseller, provider, &items, &shared, &mut counts);
        t.maybe_flush(&mut session).await?;
        if (c + 1) % CUSTOMERS_PER_TX == 0 {
            t.flush(&mut session).await?;
            session.commit().await?;
            session.begin().await?;
            if (c + 1) % 100_000 == 0 {
                eprintln!(
                    "  {} customers written ({:.0} s)",
                    c + 1,
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    t.flush(&mut session).await?;
    session.commit().await?;
    session.finish().await?;
    Ok(Report {
        providers: sizes.providers,
        resellers: sizes.resellers,
        customers: sizes.customers,
        users: 2 * sizes.resellers + counts.users + 2 * sizes.providers + 1,
        subscriptions: counts.subscriptions,
        licenses: counts.licenses,
        seconds: started.elapsed().as_secs_f64(),
        database_bytes: database_bytes(app).await?,
    })
}

/// The operator, the catalog and the providers: through the use cases.
async fn operator_catalog_and_providers(app: &App, sizes: &Sizes) -> anyhow::Result<Vec<Org>> {
    super::admin_tasks::create_operator(app, &format!("admin@{}", operator_domain()), PASSWORD)
        .await?;
    let catalog: super::commerce::CatalogFile =
        serde_json::from_str(crate::cli::demo::CATALOG_JSON).expect("the demo catalog parses");
    super::commerce::import_catalog(app, None, &catalog)
        .await
        .map_err(|e| anyhow::anyhow!("catalog: {e}"))?;
    let mut providers = Vec::with_capacity(sizes.providers);
    for i in 0..sizes.providers {
        let mpn = 7_000_000 + i as i64;
        let name = format!("Bench Provider {i:03}");
        let t = real_partner(app, &provider_domain(i), &name, mpn).await?;
        providers.push(Org {
            id: t.to_string(),
            mpn,
            name,
        });
    }
    Ok(providers)
}

/// Prices and titles of the ordered items, from the catalog just imported.
async fn priced_items(app: &App) -> anyhow::Result<Vec<Item>> {
    let mut items = Vec::new();
    for (p, s, a, qty) in ITEMS {
        let price = crate::app::store::commerce::availability(&app.db, p, s, a)
            .await?
            .ok_or_else(|| anyhow::anyhow!("catalog item {p}:{s}:{a} missing"))?;
        let sku = crate::app::store::commerce::sku(&app.db, p, s)
            .await?
            .ok_or_else(|| anyhow::anyhow!("sku {p}:{s} missing"))?;
        let days: i64 = if price.term == "P1Y" { 365 } else { 30 };
        items.push(Item {
            product: p,
            sku: s,
            availability: a,
            quantity: qty,
            price,
            title: sku.title,
            days,
        });
    }
    Ok(items)
}

/// Resellers: tenant, admin and sales users, partner account, agreement, partnerships.
async fn write_resellers(
    session: &mut BulkSession,
    t: &mut Tables,
    sizes: &Sizes,
    providers: &[Org],
    shared: &Shared,
) -> anyhow::Result<Vec<Org>> {
    let (now, hash) = (shared.now, &shared.hash);
    session.begin().await?;
    let mut resellers = Vec::with_capacity(sizes.resellers);
    for i in 0..sizes.resellers {
        let tid = id();
        let domain = reseller_domain(i);
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
        let admin_roles = [
            Role::GlobalAdministrator,
            Role::AccountAdmin,
            Role::AdminAgent,
        ];
        for (uid, upn, label, roles) in [
            (admin.clone(), admin_upn.clone(), "admin", &admin_roles[..]),
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
            for r in roles {
                t.roles.push(format_args!("{},{}", q(&uid), q(r.as_str())));
            }
        }
        let legal = reseller_profile(i, &name, &domain, &admin_upn);
        t.partners.push(format_args!(
            "{},{mpn},{mpn},1,0,'active',{},{now}",
            q(&tid),
            q(&serde_json::to_string(&legal)?)
        ));
        t.acceptances.push(format_args!(
            "{},{},{},{},{now}",
            q(&tid),
            q(&shared.agreement),
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
        resellers.push(Org { id: tid, mpn, name });
        t.maybe_flush(session).await?;
    }
    t.flush(session).await?;
    session.commit().await?;
    Ok(resellers)
}

fn reseller_profile(
    i: usize,
    name: &str,
    domain: &str,
    admin_upn: &str,
) -> crate::domain::enrollment::Application {
    crate::domain::enrollment::Application {
        legal_name: name.to_string(),
        address_line1: "1 Bench Street".into(),
        city: "Seattle".into(),
        postal_code: "98101".into(),
        country: "US".into(),
        registration_number: format!("BENCH-{i:05}"),
        contact_first_name: "Bench".into(),
        contact_last_name: "Admin".into(),
        contact_email: admin_upn.to_string(),
        contact_phone: "+1 206 555 0100".into(),
        support_email: format!("support@{domain}"),
        support_phone: "+1 206 555 0199".into(),
        support_website: format!("https://{domain}/support"),
        ..Default::default()
    }
}

#[derive(Default)]
struct Counts {
    users: usize,
    subscriptions: usize,
    licenses: usize,
}

/// One customer: tenant, admin and staff users, relationships and grants with the reseller
/// and its provider, one order of three lines, subscriptions, history, licenses.
fn push_customer(
    t: &mut Tables,
    c: usize,
    reseller: &Org,
    provider: &Org,
    items: &[Item],
    shared: &Shared,
    counts: &mut Counts,
) {
    let (now, hash) = (shared.now, &shared.hash);
    let year = 365 * crate::clock::DAY_MS;
    let grant_roles = q("user_administrator,license_administrator");
    let (rid, pid) = (q(&reseller.id), q(&provider.id));
    let tq = q(&id());
    let domain = customer_domain(c);
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
    counts.users += 2;
    t.roles.push(format_args!(
        "{admin},{}",
        q(Role::GlobalAdministrator.as_str())
    ));
    let (lower, dq, nq) = (q(&name.to_lowercase()), q(&domain), q(&name));
    let via_reseller = (rid.clone(), q(&reseller.name));
    let direct = ("NULL".to_string(), "NULL".to_string());
    for (partner, (via, via_name)) in [(&rid, direct), (&pid, via_reseller)] {
        t.relationships.push(format_args!(
            "{},{tq},{partner},{via},{lower},{dq},{nq},'US',{via_name},'active',{now}",
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
        shared.total
    ));
    for (n, i) in items.iter().enumerate() {
        let sub = q(&id());
        let price = q(&i.price.list_price);
        let qty = i.quantity;
        t.lines.push(format_args!(
            "{order},{n},{},{qty},{price},{},{sub}",
            q(&format!("{}:{}:{}", i.product, i.sku, i.availability)),
            q(&reseller.mpn.to_string())
        ));
        t.subscriptions.push(format_args!(
            "{sub},{tq},{order},{pid},{rid},{},{},{},{},{qty},{price},{},{},{},'active',1,{now},{now},{},{},{now}",
            q(i.product),
            q(i.sku),
            q(i.availability),
            q(&i.title),
            q(&i.price.currency),
            q(&i.price.billing_cycle),
            q(&i.price.term),
            now + i.days * crate::clock::DAY_MS,
            now + 7 * crate::clock::DAY_MS
        ));
        t.events.push(format_args!(
            "{},{sub},{now},{qty},'active',{price}",
            q(&id())
        ));
        counts.subscriptions += 1;
    }
    // The admin holds a Standard seat, the staff user a Basic one.
    for (uid, (p, s, ..)) in [(&admin, &ITEMS[1]), (&staff, &ITEMS[0])] {
        t.licenses
            .push(format_args!("{uid},{tq},{},{},{now}", q(p), q(s)));
        counts.licenses += 1;
    }
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
    super::fixtures::make_partner(app, &tenant, &admin, true, false, mpn).await?;
    // The load runner signs its agents in with passwords: the bench organisations opt their
    // admins out of two-step verification, as an organisation may.
    identity::set_mfa_policy(app, &ctx, tenant.id, false, true)
        .await
        .map_err(|e| anyhow::anyhow!("{domain} MFA policy: {e}"))?;
    Ok(tenant.id)
}

/// The generated world's users of one organisation: (id, sign-in name).
pub async fn users_of(
    app: &App,
    tenant: TenantId,
) -> anyhow::Result<Vec<(crate::domain::ids::UserId, String)>> {
    Ok(crate::app::store::bench::users_of(&app.db, tenant).await?)
}

pub async fn customer_count(app: &App) -> anyhow::Result<i64> {
    Ok(crate::app::store::bench::customer_count(&app.db).await?)
}

/// A random sample of the generated world's indirect customers.
pub async fn sample_customers(app: &App, n: usize) -> anyhow::Result<Vec<SampledCustomer>> {
    Ok(crate::app::store::bench::sample_customers(&app.db, n).await?)
}

/// How many active customers a partner serves.
pub async fn active_customers_of(app: &App, partner: &str) -> anyhow::Result<i64> {
    Ok(crate::app::store::bench::active_customers_of(&app.db, partner).await?)
}

/// The indexed-read ceiling: a tenant by primary key, (id, domain, name, country).
pub async fn ceiling_read(
    app: &App,
    id: &str,
) -> Result<Option<(String, String, String, String)>, sqlx::Error> {
    crate::app::store::bench::ceiling_read(&app.db, id).await
}

/// The write ceiling: a transaction of two inserts, like an order and its line.
pub async fn ceiling_write(app: &App, id: &str) -> Result<(), sqlx::Error> {
    crate::app::store::bench::ceiling_write(&app.db, id, app.clock.now_ms()).await
}

/// Domain events waiting for the dispatcher (the webhook workload starts from none).
pub async fn pending_events(app: &App) -> anyhow::Result<i64> {
    Ok(crate::app::store::bench::pending_events(&app.db).await?)
}

/// Which engine the world lives in, for the report.
pub fn backend_name(app: &App) -> String {
    format!("{:?}", app.db.backend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_matches_the_issue_and_small_scales_keep_a_usable_world() {
        let s = Sizes::of(1.0);
        assert_eq!(
            (s.providers, s.resellers, s.customers),
            (20, 10_000, 1_000_000)
        );
        let big = (0..s.customers)
            .filter(|c| s.primary_provider(s.reseller_of(*c)) == 0)
            .count();
        assert!(big >= 500_000, "largest provider has {big} customers");
        let tiny = Sizes::of(0.0001);
        assert_eq!((tiny.providers, tiny.resellers), (2, 4));
        assert!(tiny.customers >= tiny.resellers);
        assert!((0..tiny.resellers).any(|r| tiny.primary_provider(r) == 1));
    }
}
