//! Tasks the platform runs for its own operators from the command line, the demo loader and
//! the bench: creating an operator, checking and exporting the audit chains, finding a tenant
//! by its domain. They act as the platform itself, not as a signed-in person.

use super::identity::{self, NewTenant, NewUser};
use super::{App, Ctx};
use crate::app::store;
use crate::domain::identity::{Role, TenantKind};

pub use crate::app::store::audit::BrokenLink;
pub use crate::app::store::identity::TenantRow;

/// Creates the operator tenant from the e-mail's domain if none exists, and the user (a
/// global and operator administrator when the tenant already exists).
pub async fn create_operator(app: &App, email: &str, password: &str) -> anyhow::Result<()> {
    let domain = email
        .split_once('@')
        .map(|(_, d)| d)
        .unwrap_or("")
        .to_ascii_lowercase();
    let new_user = NewUser {
        upn: email.to_string(),
        display_name: "Operator administrator".into(),
        roles: vec![Role::OperatorAdmin],
        password: Some(password.to_string()),
        ..Default::default()
    };
    let Some(tenant) = tenant_by_domain(app, &domain).await? else {
        identity::create_tenant_with_admin(
            app,
            None,
            NewTenant {
                domain: domain.clone(),
                display_name: "Program operator".into(),
                country: "US".into(),
                kind: TenantKind::Operator,
            },
            new_user,
        )
        .await
        .map_err(describe)?;
        return Ok(());
    };
    anyhow::ensure!(
        tenant.kind == TenantKind::Operator,
        "{domain} belongs to a tenant that is not the operator"
    );
    let system = Ctx::system(tenant.id, TenantKind::Operator, "cli");
    let mut u = new_user;
    u.roles.push(Role::GlobalAdministrator);
    identity::create_user(app, &system, tenant.id, u)
        .await
        .map_err(describe)?;
    Ok(())
}

/// The tenant that owns `domain` (lower case), if any.
pub async fn tenant_by_domain(app: &App, domain: &str) -> Result<Option<TenantRow>, sqlx::Error> {
    store::identity::tenant_by_domain(&app.db, domain).await
}

/// Walks every organisation's audit chain: (records checked, first broken link of each
/// broken chain).
pub async fn verify_audit(app: &App) -> Result<(u64, Vec<BrokenLink>), sqlx::Error> {
    store::audit::verify(&app.db).await
}

/// Writes the audit records of `[start, before)` as JSON lines (one organisation or all).
pub async fn export_audit(
    app: &App,
    org: Option<&str>,
    start: i64,
    before: i64,
    out: &mut (dyn std::io::Write + Send),
) -> anyhow::Result<(u64, Vec<(String, i64)>)> {
    super::audit::export(&app.db, org, start, before, out).await
}

/// A use-case error as one line for a terminal.
pub fn describe(e: crate::domain::Error) -> anyhow::Error {
    match e {
        crate::domain::Error::Validation(errs) => anyhow::anyhow!(
            "{}",
            errs.iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("{other}"),
    }
}
