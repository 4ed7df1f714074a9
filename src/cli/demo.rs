//! The demo world: a small, documented set of organisations to explore the product with.
//! Loading is idempotent: an existing demo world is left as it is.
//! Every demo user signs in with the password [`PASSWORD`].

use crate::app::identity::{self, NewTenant, NewUser};
use crate::app::App;
use crate::domain::identity::{Role, TenantKind};

pub const PASSWORD: &str = "Demo-Password-1";

pub struct DemoOrg {
    pub domain: &'static str,
    pub name: &'static str,
    pub country: &'static str,
    pub kind: TenantKind,
    /// (local part, display name, roles besides global administrator for the first user)
    pub users: &'static [(&'static str, &'static str, &'static [Role])],
}

pub const WORLD: &[DemoOrg] = &[
    DemoOrg {
        domain: "operator.example",
        name: "Partner Hub Operator",
        country: "US",
        kind: TenantKind::Operator,
        users: &[("admin", "Olivia Operator", &[Role::OperatorAdmin])],
    },
    DemoOrg {
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
        domain: "adatum.example",
        name: "Adatum Corporation",
        country: "US",
        kind: TenantKind::Customer,
        users: &[("admin", "Ada Adatum", &[])],
    },
    DemoOrg {
        domain: "litware.example",
        name: "Litware Inc.",
        country: "US",
        kind: TenantKind::Customer,
        users: &[("admin", "Liam Litware", &[])],
    },
    DemoOrg {
        domain: "tailspin.example",
        name: "Tailspin Toys",
        country: "US",
        kind: TenantKind::Customer,
        users: &[("admin", "Tara Tailspin", &[])],
    },
    DemoOrg {
        domain: "woodgrove.example",
        name: "Woodgrove Bank",
        country: "US",
        kind: TenantKind::Customer,
        users: &[("admin", "Will Woodgrove", &[])],
    },
    DemoOrg {
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
    crate::app::memberships::import(app, None, MEMBERSHIPS_CSV.as_bytes())
        .await
        .map_err(|e| anyhow::anyhow!("demo memberships: {e}"))?;
    tracing::info!("demo world loaded");
    Ok(())
}
