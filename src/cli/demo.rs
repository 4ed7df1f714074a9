//! The demo world: a small, documented set of organisations to explore the product with.
//! Loading is idempotent: an existing demo world is left as it is.
//! Every demo user signs in with the password [`PASSWORD`].

use crate::app::identity::{self, NewTenant, NewUser};
use crate::app::{fixtures, App};
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
    if crate::app::admin_tasks::tenant_by_domain(app, WORLD[0].domain)
        .await?
        .is_some()
    {
        tracing::info!("demo world already loaded");
        return Ok(());
    }
    load_organisations(app).await?;
    load_partners(app).await?;
    let catalog: crate::app::commerce::CatalogFile =
        serde_json::from_str(CATALOG_JSON).expect("the demo catalog parses");
    crate::app::commerce::import_catalog(app, None, &catalog)
        .await
        .map_err(|e| anyhow::anyhow!("demo catalog: {e}"))?;
    load_customers(app).await?;
    load_referral(app).await?;
    load_support(app)
        .await
        .map_err(|e| anyhow::anyhow!("demo support requests: {e}"))?;
    crate::app::memberships::import(app, None, MEMBERSHIPS_CSV.as_bytes())
        .await
        .map_err(|e| anyhow::anyhow!("demo memberships: {e}"))?;
    tracing::info!("demo world loaded");
    Ok(())
}

/// Every organisation's directory tenant and users, through the identity use cases.
async fn load_organisations(app: &App) -> anyhow::Result<()> {
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
    Ok(())
}

/// Partner accounts (with listings) and the provider-reseller partnerships.
async fn load_partners(app: &App) -> anyhow::Result<()> {
    for org in WORLD.iter().filter(|o| o.mpn > 0) {
        let (admin, tenant) =
            fixtures::user_and_tenant(app, &format!("admin@{}", org.domain)).await?;
        let (provider, reseller) = org.programs;
        fixtures::make_partner(app, &tenant, &admin, provider, reseller, org.mpn).await?;
    }
    for (provider, reseller) in PARTNERSHIPS {
        let p = fixtures::tenant_id(app, provider).await?;
        let r = fixtures::tenant_id(app, reseller).await?;
        fixtures::partnership(app, p, r).await?;
    }
    Ok(())
}

/// Each demo customer with its reseller and provider, and a first order placed by the
/// provider through the ordering use case.
async fn load_customers(app: &App) -> anyhow::Result<()> {
    for (customer, reseller, provider, item, seats) in CUSTOMERS {
        let c = fixtures::tenant_id(app, customer).await?;
        let r = fixtures::tenant_id(app, reseller).await?;
        let p = fixtures::tenant_id(app, provider).await?;
        fixtures::customer_of(app, c, r, p).await?;
        let ctx = fixtures::ctx_of(app, &format!("admin@{provider}")).await?;
        let mpn = fixtures::partner_mpn(app, r).await?.map(|m| m.to_string());
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
    Ok(())
}

/// A referral from the first provider to its first reseller, waiting to be taken up.
async fn load_referral(app: &App) -> anyhow::Result<()> {
    let Some((provider, reseller)) = PARTNERSHIPS.first() else {
        return Ok(());
    };
    let ctx = fixtures::ctx_of(app, &format!("admin@{provider}")).await?;
    crate::app::referrals::create(
        app,
        &ctx,
        Some(fixtures::tenant_id(app, reseller).await?),
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
    Ok(())
}

/// The demo support topics (format: `partnerhub admin import-support-topics`).
pub const SUPPORT_TOPICS_JSON: &str = include_str!("../../demo/support-topics.json");

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
    let saebyeok = fixtures::ctx_of(app, "admin@saebyeok.example").await?;
    let mut targets = crate::app::support::targets(app, &saebyeok).await?;
    for t in targets.iter_mut() {
        if t.severity == crate::domain::support::Severity::Critical {
            t.first_response_minutes = 12;
            t.resolution_minutes = 240;
        }
    }
    crate::app::support::set_targets(app, &saebyeok, targets).await?;
    for case in DEMO_CASES {
        let ctx = fixtures::ctx_of(app, case.by).await?;
        let customer = match case.customer {
            Some(d) => Some(fixtures::tenant_id(app, d).await?),
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
            let ctx = fixtures::ctx_of(app, upn).await?;
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
