//! The demo world: a small, documented set of organisations to explore the product with.
//! Loading is idempotent: an existing demo world is left as it is.
//! Every demo user signs in with the password [`PASSWORD`].

use crate::app::identity::{self, NewTenant, NewUser};
use crate::app::App;
use crate::domain::identity::{Role, TenantKind};

pub const PASSWORD: &str = "Demo-Password-1";

pub struct DemoOrg {
    /// Partner-network (location) id for partners; 0 for others.
    pub mpn: i64,
    /// Programs: provider, reseller.
    pub programs: (bool, bool),
    pub domain: &'static str,
    pub name: &'static str,
    pub country: &'static str,
    pub kind: TenantKind,
    /// (local part, display name, roles besides global administrator for the first user)
    pub users: &'static [(&'static str, &'static str, &'static [Role])],
}

pub const WORLD: &[DemoOrg] = &[
    DemoOrg {
        mpn: 0,
        programs: (false, false),
        domain: "operator.example",
        name: "Partner Hub Operator",
        country: "US",
        kind: TenantKind::Operator,
        users: &[("admin", "Olivia Operator", &[Role::OperatorAdmin])],
    },
    DemoOrg {
        mpn: 3100001,
        programs: (true, false),
        domain: "northwind.example",
        name: "Northwind Distribution",
        country: "US",
        kind: TenantKind::Partner,
        users: &[
            (
                "admin",
                "Nora Admin",
                &[Role::AccountAdmin, Role::AdminAgent],
            ),
            ("sales", "Sam Sales", &[Role::SalesAgent]),
            ("help", "Hana Helpdesk", &[Role::HelpdeskAgent]),
        ],
    },
    DemoOrg {
        mpn: 3100002,
        programs: (true, false),
        domain: "hanbit.example",
        name: "Hanbit Distribution",
        country: "KR",
        kind: TenantKind::Partner,
        users: &[(
            "admin",
            "Minjun Kim",
            &[Role::AccountAdmin, Role::AdminAgent],
        )],
    },
    DemoOrg {
        mpn: 3200001,
        programs: (false, true),
        domain: "contoso.example",
        name: "Contoso Cloud Services",
        country: "US",
        kind: TenantKind::Partner,
        users: &[
            (
                "admin",
                "Carla Contoso",
                &[Role::AccountAdmin, Role::AdminAgent],
            ),
            ("sales", "Chris Sales", &[Role::SalesAgent]),
        ],
    },
    DemoOrg {
        mpn: 3200002,
        programs: (false, true),
        domain: "fabrikam.example",
        name: "Fabrikam IT",
        country: "US",
        kind: TenantKind::Partner,
        users: &[(
            "admin",
            "Frank Fabrikam",
            &[Role::AccountAdmin, Role::AdminAgent],
        )],
    },
    DemoOrg {
        mpn: 3200003,
        programs: (false, true),
        domain: "saebyeok.example",
        name: "Saebyeok Systems",
        country: "KR",
        kind: TenantKind::Partner,
        users: &[(
            "admin",
            "Seoyeon Park",
            &[Role::AccountAdmin, Role::AdminAgent],
        )],
    },
    DemoOrg {
        mpn: 0,
        programs: (false, false),
        domain: "adatum.example",
        name: "Adatum Corporation",
        country: "US",
        kind: TenantKind::Customer,
        users: &[("admin", "Ada Adatum", &[])],
    },
    DemoOrg {
        mpn: 0,
        programs: (false, false),
        domain: "litware.example",
        name: "Litware Inc.",
        country: "US",
        kind: TenantKind::Customer,
        users: &[("admin", "Liam Litware", &[])],
    },
    DemoOrg {
        mpn: 0,
        programs: (false, false),
        domain: "tailspin.example",
        name: "Tailspin Toys",
        country: "US",
        kind: TenantKind::Customer,
        users: &[("admin", "Tara Tailspin", &[])],
    },
    DemoOrg {
        mpn: 0,
        programs: (false, false),
        domain: "woodgrove.example",
        name: "Woodgrove Bank",
        country: "US",
        kind: TenantKind::Customer,
        users: &[("admin", "Will Woodgrove", &[])],
    },
    DemoOrg {
        mpn: 0,
        programs: (false, false),
        domain: "mirae.example",
        name: "Mirae Foods",
        country: "KR",
        kind: TenantKind::Customer,
        users: &[("admin", "Jiwoo Lee", &[])],
    },
];

/// Partner-network memberships for trying enrollment: (csv rows).
pub const MEMBERSHIPS_CSV: &str =
    "mpn_id,org_name,country,username,password,profile_id,profile_name,profile_country\n\
4100001,Blue Yonder Airlines,US,blueyonder,Membership-1,5100001,Blue Yonder Airlines (US),US\n\
4100001,Blue Yonder Airlines,US,blueyonder,Membership-1,5100002,Blue Yonder Airlines (Korea),KR\n\
4100002,Coho Winery,KR,coho,Membership-1,5100003,Coho Winery Seoul,KR\n";

/// The demo catalog (format: docs/catalog.md).
pub const CATALOG_JSON: &str = include_str!("../../demo/catalog.json");

/// (customer, reseller, provider, catalog item ordered, seats): relationships with both
/// partners, a year of user and license administration, and one order each.
pub const CUSTOMERS: &[(&str, &str, &str, &str, i64)] = &[
    (
        "adatum.example",
        "contoso.example",
        "northwind.example",
        "PH-SUITE:STANDARD:US-M",
        25,
    ),
    (
        "litware.example",
        "contoso.example",
        "northwind.example",
        "PH-SUITE:BASIC:US-Y",
        10,
    ),
    (
        "tailspin.example",
        "fabrikam.example",
        "northwind.example",
        "PH-SUITE:PREMIUM:US-M",
        40,
    ),
    (
        "woodgrove.example",
        "fabrikam.example",
        "northwind.example",
        "PH-SECURE:DEFENDER:US-M",
        120,
    ),
    (
        "mirae.example",
        "saebyeok.example",
        "hanbit.example",
        "PH-SUITE:STANDARD:KR-M",
        15,
    ),
];

/// Provider-reseller partnerships of the demo world.
pub const PARTNERSHIPS: &[(&str, &str)] = &[
    ("northwind.example", "contoso.example"),
    ("northwind.example", "fabrikam.example"),
    ("hanbit.example", "saebyeok.example"),
];

async fn tenant_of(app: &App, domain: &str) -> anyhow::Result<crate::domain::ids::TenantId> {
    use sqlx::Row;
    let row = sqlx::query("SELECT id FROM tenants WHERE domain = $1")
        .bind(domain)
        .fetch_one(&app.db.read)
        .await?;
    Ok(row.get::<String, _>("id").parse()?)
}

/// Makes a tenant an authorized partner that accepted the agreement, as an approved
/// enrollment would (demo world and test setup; real partners enroll). Providers get a
/// listing serving their own country.
pub async fn make_partner(
    app: &App,
    tenant: &crate::store::identity::TenantRow,
    admin: &crate::store::identity::UserRow,
    provider: bool,
    reseller: bool,
    mpn: i64,
) -> anyhow::Result<()> {
    use crate::domain::enrollment::Application;
    let now = app.clock.now_ms();
    let legal = Application {
        legal_name: tenant.display_name.clone(),
        address_line1: "1 Demo Way".into(),
        city: "Seattle".into(),
        postal_code: "98101".into(),
        country: tenant.country.clone(),
        registration_number: "DEMO-0001".into(),
        contact_first_name: admin.display_name.clone(),
        contact_last_name: "Contact".into(),
        contact_email: admin.upn.clone(),
        contact_phone: "+1 206 555 0100".into(),
        support_email: format!("support@{}", tenant.domain),
        support_phone: "+1 206 555 0199".into(),
        support_website: format!("https://{}/support", tenant.domain),
        ..Default::default()
    };
    let mut tx = app.db.begin().await?;
    crate::store::partners::insert(
        &mut tx,
        &crate::store::partners::PartnerRow {
            tenant_id: tenant.id,
            mpn_id: mpn,
            org_mpn_id: mpn,
            is_reseller: reseller,
            is_provider: provider,
            status: "active".into(),
            legal,
            created_at: now,
            version: 1,
        },
    )
    .await?;
    let agreement = crate::store::partners::current_agreement(&app.db).await?;
    crate::store::partners::accept(
        &mut tx,
        tenant.id,
        &agreement.version,
        admin.id,
        &admin.upn,
        now,
    )
    .await?;
    sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2) ON CONFLICT (user_id, role) DO NOTHING")
        .bind(admin.id.to_string())
        .bind(Role::AdminAgent.as_str())
        .execute(tx.conn())
        .await?;
    if provider {
        crate::store::partnerships::save_listing(
            &mut tx,
            &crate::store::partnerships::ListingRow {
                tenant_id: tenant.id,
                countries: vec![tenant.country.clone()],
                services: vec![
                    "billing".into(),
                    "customer_support".into(),
                    "technical_assistance".into(),
                ],
                description: format!(
                    "{} distributes cloud services to resellers in {}.",
                    tenant.display_name, tenant.country
                ),
                contact_email: format!("partners@{}", tenant.domain),
                contact_phone: "+1 206 555 0150".into(),
                website: format!("https://{}", tenant.domain),
                updated_at: now,
                version: 1,
            },
            0,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub const SUMMARY: &str = "\
Partner Hub demo is running at {url}/portal
  Every demo user's password: Demo-Password-1
  Operator:   admin@operator.example
  Providers:  admin@northwind.example (US; also sales@, help@), admin@hanbit.example (KR)
  Resellers:  admin@contoso.example (US; also sales@), admin@fabrikam.example (US), admin@saebyeok.example (KR)
  Customers:  admin@adatum.example, admin@litware.example, admin@tailspin.example,
              admin@woodgrove.example, admin@mirae.example (KR)
  Mail:       {url}/portal/mail (captured, not sent)
  API:        {url}/v1/openapi.json";

pub async fn load(app: &App) -> anyhow::Result<()> {
    if crate::store::identity::domain_taken(&app.db, WORLD[0].domain).await? {
        tracing::info!("demo world already loaded");
        return Ok(());
    }
    for org in WORLD {
        let (first, rest) = org.users.split_first().expect("each demo org has a user");
        let (tenant, _, _) = identity::create_tenant_with_admin(
            app,
            None,
            NewTenant {
                domain: org.domain.into(),
                display_name: org.name.into(),
                country: org.country.into(),
                kind: org.kind,
            },
            NewUser {
                upn: format!("{}@{}", first.0, org.domain),
                display_name: first.1.into(),
                roles: first.2.to_vec(),
                password: Some(PASSWORD.into()),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo org {}: {e}", org.domain))?;
        let ctx = crate::app::Ctx::system(tenant.id, org.kind, "demo-loader");
        // Demo organisations let admins sign in with the shared demo password alone; real
        // organisations keep the default (admins use two-step verification).
        identity::set_mfa_policy(app, &ctx, tenant.id, false, true)
            .await
            .map_err(|e| anyhow::anyhow!("demo org {}: {e}", org.domain))?;
        for (local, name, roles) in rest {
            identity::create_user(
                app,
                &ctx,
                tenant.id,
                NewUser {
                    upn: format!("{local}@{}", org.domain),
                    display_name: (*name).into(),
                    roles: roles.to_vec(),
                    password: Some(PASSWORD.into()),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo user {local}@{}: {e}", org.domain))?;
        }
    }
    // Partner accounts, listings and partnerships.
    for org in WORLD.iter().filter(|o| o.mpn > 0) {
        let admin = crate::store::identity::user_by_upn(&app.db, &format!("admin@{}", org.domain))
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo admin of {}", org.domain))?;
        let tenant = crate::store::identity::tenant(&app.db, admin.tenant_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo tenant {}", org.domain))?;
        make_partner(
            app,
            &tenant,
            &admin,
            org.programs.0,
            org.programs.1,
            org.mpn,
        )
        .await?;
    }
    for (provider, reseller) in PARTNERSHIPS {
        let p = tenant_of(app, provider).await?;
        let r = tenant_of(app, reseller).await?;
        let mut tx = app.db.begin().await?;
        crate::store::partnerships::activate(
            &mut tx,
            &uuid::Uuid::now_v7().to_string(),
            p,
            r,
            app.clock.now_ms(),
        )
        .await?;
        tx.commit().await?;
    }
    let catalog: crate::app::commerce::CatalogFile =
        serde_json::from_str(CATALOG_JSON).expect("the demo catalog parses");
    crate::app::commerce::import_catalog(app, None, &catalog)
        .await
        .map_err(|e| anyhow::anyhow!("demo catalog: {e}"))?;
    for (customer, reseller, provider, item, seats) in CUSTOMERS {
        let c = tenant_of(app, customer).await?;
        let r = tenant_of(app, reseller).await?;
        let p = tenant_of(app, provider).await?;
        let t = crate::store::identity::tenant(&app.db, c)
            .await?
            .expect("demo customer");
        let mut tx = app.db.begin().await?;
        let now = app.clock.now_ms();
        for (partner, via) in [(r, None), (p, Some(r))] {
            crate::store::customers::upsert_relationship(
                &mut tx,
                &crate::store::customers::NewRelationship {
                    customer: c,
                    partner,
                    indirect_reseller: via,
                    name: &t.display_name,
                    domain: &t.domain,
                },
                now,
            )
            .await?;
            crate::store::customers::insert_grant(
                &mut tx,
                &crate::store::customers::GrantRow {
                    id: uuid::Uuid::now_v7().to_string(),
                    customer: c,
                    partner,
                    roles: vec![
                        crate::domain::customer::GrantRole::UserAdministrator,
                        crate::domain::customer::GrantRole::LicenseAdministrator,
                    ],
                    status: "active".into(),
                    duration_days: 365,
                    auto_extend: true,
                    created_at: now,
                    expires_at: now + 365 * crate::clock::DAY_MS,
                    warned_at: None,
                },
            )
            .await?;
        }
        tx.commit().await?;
        let provider_admin =
            crate::store::identity::user_by_upn(&app.db, &format!("admin@{provider}"))
                .await?
                .expect("demo provider admin");
        let (actor, user) = crate::app::identity::actor_for_user(app, provider_admin.id)
            .await?
            .expect("active");
        let ctx = crate::app::Ctx {
            actor,
            upn: Some(user.upn),
            correlation_id: None,
        };
        let mpn = crate::store::partners::get(&app.db, r)
            .await?
            .map(|x| x.mpn_id.to_string());
        crate::app::commerce::place_order(
            app,
            &ctx,
            &c.to_string(),
            crate::app::commerce::OrderInput {
                request_id: Some(format!("demo-{customer}")),
                lines: vec![crate::app::commerce::LineInput {
                    catalog_item_id: item.to_string(),
                    quantity: *seats,
                    partner_id_on_record: mpn,
                    friendly_name: None,
                }],
                provider_id: None,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo order for {customer}: {e}"))?;
    }
    // A referral from the first provider to its first reseller, waiting to be taken up.
    if let Some((provider, reseller)) = PARTNERSHIPS.first() {
        let admin = crate::store::identity::user_by_upn(&app.db, &format!("admin@{provider}"))
            .await?
            .expect("demo provider admin");
        let (actor, user) = crate::app::identity::actor_for_user(app, admin.id)
            .await?
            .expect("active");
        let ctx = crate::app::Ctx {
            actor,
            upn: Some(user.upn),
            correlation_id: None,
        };
        crate::app::referrals::create(
            app,
            &ctx,
            Some(tenant_of(app, reseller).await?),
            crate::domain::referral::LeadInput {
                name: "Woodgrove Bank workplace refresh",
                deal_value: "36000.00",
                currency: "USD",
                customer_name: "Woodgrove Bank",
                customer_country: "US",
                contact_name: "Morgan Lee",
                contact_email: "morgan.lee@woodgrove.example",
                contact_phone: "",
                notes: "Asked for a quote for 300 seats from next quarter.",
                consent: true,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo referral: {e}"))?;
    }
    load_support(app)
        .await
        .map_err(|e| anyhow::anyhow!("demo support requests: {e}"))?;
    crate::app::memberships::import(app, None, MEMBERSHIPS_CSV.as_bytes())
        .await
        .map_err(|e| anyhow::anyhow!("demo memberships: {e}"))?;
    tracing::info!("demo world loaded");
    Ok(())
}

/// The demo support topics (format: `partnerhub admin import-support-topics`).
pub const SUPPORT_TOPICS_JSON: &str = include_str!("../../demo/support-topics.json");

async fn ctx_of(app: &App, upn: &str) -> anyhow::Result<crate::app::Ctx> {
    let u = crate::store::identity::user_by_upn(&app.db, upn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo user {upn}"))?;
    let (actor, user) = crate::app::identity::actor_for_user(app, u.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo user {upn} is not active"))?;
    Ok(crate::app::Ctx {
        actor,
        upn: Some(user.upn),
        correlation_id: None,
    })
}

/// One demo case: who raises it (and for which customer), then who does what to it.
struct DemoCase {
    by: &'static str,
    customer: Option<&'static str>,
    title: &'static str,
    description: &'static str,
    severity: &'static str,
    topic: &'static str,
    /// (user, status, note, escalate)
    steps: &'static [(&'static str, Option<&'static str>, &'static str, bool)],
}

const DEMO_CASES: &[DemoCase] = &[
    DemoCase {
        by: "admin@adatum.example",
        customer: None,
        title: "Mail to partners arrives hours late",
        description: "Since Tuesday, messages to two partner domains take three to five hours to arrive.",
        severity: "normal",
        topic: "mail-delivery",
        steps: &[("admin@contoso.example", Some("attentionNeeded"), "Could you send the headers of one delayed message?", false)],
    },
    DemoCase {
        by: "admin@litware.example",
        customer: None,
        title: "Nobody can sign in since this morning",
        description: "All users get an error after entering their password. Business is stopped.",
        severity: "critical",
        topic: "sign-in-access",
        steps: &[
            ("admin@contoso.example", None, "Reproduced with a test user; passing it to Northwind.", true),
            ("help@northwind.example", None, "Affects several tenants in the region; escalating to the vendor.", true),
        ],
    },
    DemoCase {
        by: "admin@contoso.example",
        customer: None,
        title: "October invoice misses the promised credit",
        description: "The credit agreed for the Litware migration does not appear on the October invoice.",
        severity: "high",
        topic: "billing-invoices",
        steps: &[],
    },
    DemoCase {
        by: "admin@northwind.example",
        customer: Some("tailspin.example"),
        title: "Security add-on raises hundreds of alerts",
        description: "Tailspin Toys sees a flood of sign-in alerts from one office since the last update.",
        severity: "high",
        topic: "security-alerts",
        steps: &[],
    },
    DemoCase {
        by: "admin@fabrikam.example",
        customer: Some("woodgrove.example"),
        title: "Seats not available after order",
        description: "Woodgrove Bank ordered 120 seats; only 100 can be assigned.",
        severity: "normal",
        topic: "licenses-seats",
        steps: &[("help@northwind.example", Some("closed"), "Quantity corrected; all 120 seats can be assigned now.", false)],
    },
    // Saebyeok answers critical requests within 12 minutes: this one is close to its target.
    DemoCase {
        by: "admin@mirae.example",
        customer: None,
        title: "Cloud plan usage doubled overnight",
        description: "Usage charges for the cloud plan doubled between two days without any change on our side.",
        severity: "critical",
        topic: "cloud-usage",
        steps: &[],
    },
];

/// Support topics and a few cases at each tier: one escalated to the operator, one close to
/// breaching its first-response target, one resolved.
async fn load_support(app: &App) -> anyhow::Result<()> {
    let topics: crate::app::support::TopicFile =
        serde_json::from_str(SUPPORT_TOPICS_JSON).expect("the demo topics parse");
    crate::app::support::import_topics(app, &topics).await?;
    let saebyeok = ctx_of(app, "admin@saebyeok.example").await?;
    let mut targets = crate::app::support::targets(app, &saebyeok).await?;
    for t in targets.iter_mut() {
        if t.severity == crate::domain::support::Severity::Critical {
            t.first_response_minutes = 12;
            t.resolution_minutes = 240;
        }
    }
    crate::app::support::set_targets(app, &saebyeok, targets).await?;
    for case in DEMO_CASES {
        let ctx = ctx_of(app, case.by).await?;
        let customer = match case.customer {
            Some(d) => Some(tenant_of(app, d).await?),
            None => None,
        };
        let d = crate::app::support::raise(
            app,
            &ctx,
            crate::app::support::NewCase {
                input: crate::domain::support::DraftInput {
                    title: case.title,
                    description: case.description,
                    severity: case.severity,
                    topic_id: case.topic,
                    product_name: "",
                    contact_name: "",
                    contact_email: "",
                },
                customer,
                subscription_id: None,
            },
        )
        .await?;
        let id = d.case.id.to_string();
        for (upn, status, note, escalate) in case.steps {
            let ctx = ctx_of(app, upn).await?;
            let update = crate::app::support::Update {
                status: status.map(str::to_string),
                note: Some(note.to_string()),
                escalate: *escalate,
            };
            crate::app::support::update(app, &ctx, &id, update, None).await?;
        }
    }
    Ok(())
}
