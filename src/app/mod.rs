//! Application layer: one function per use case. Each runs in one database transaction that
//! writes the change, its audit record and its outbox messages together, or nothing.

pub mod admin_tasks;
pub mod audit;
pub mod bench_world;
pub mod billing_profile;
pub mod carts;
pub mod catalog;
pub mod checkpoints;
pub mod commerce;
pub mod customer_admin;
pub mod customer_deletion;
pub mod customer_domains;
pub mod customer_lists;
pub mod customer_offers;
pub mod customer_users;
pub mod customers;
pub mod dashboard;
pub mod dashboard_figures;
pub mod deliveries;
pub mod dispatch;
pub mod enrollment;
pub mod events;
pub mod fixtures;
pub mod flashes;
pub mod health;
pub mod housekeeping;
pub mod idempotency;
pub mod identity;
pub mod invoices;
pub mod keys;
pub mod licenses;
pub mod lookups;
pub mod mailbox;
pub mod mailing;
pub mod memberships;
pub mod mfa;
pub mod notifications;
pub mod oauth;
pub mod oidc;
pub mod operator;
pub mod order_changes;
pub mod orders;
pub mod pacing;
pub mod paging;
pub mod partnerships;
pub mod profiles;
pub mod ratelimit;
pub mod referrals;
pub mod seen;
pub mod sessions;
/// Storage lives inside `app` and is private to it: only use cases reach it, and the compiler
/// refuses any other module that names it. The integration tests, which corrupt rows and
/// count outbox messages on purpose, see it through the `test-door` feature (enabled only by
/// the crate's dev-dependency on itself, never in a release build).
#[cfg(not(feature = "test-door"))]
mod store;
#[cfg(feature = "test-door")]
pub mod store;
pub mod subscriptions;
pub mod support;
pub mod support_contact;
pub mod token_cache;
pub mod upgrades;
pub mod vault;
pub mod webhooks;

use crate::app::store::Db;
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::authz::{can, Action, Actor, Principal, Resource};
use crate::domain::{Error, Result};
use std::sync::Arc;

/// Everything a use case needs, shared by the API, the portal, the CLI and the workers.
///
/// One pointer to [`AppParts`]: the router clones its state into every layer for every
/// request, and one reference count to move beats one per pool, key and limiter (their
/// counters are shared cache lines that the server's threads would pass back and forth).
#[derive(Clone)]
pub struct App(Arc<AppParts>);

impl std::ops::Deref for App {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// What an [`App`] holds.
pub struct AppParts {
    /// The database, for use cases only (and for tests through the `test-door` feature).
    #[cfg(not(feature = "test-door"))]
    pub(in crate::app) db: Db,
    #[cfg(feature = "test-door")]
    pub db: Db,
    pub clock: Clock,
    pub config: Arc<Config>,
    pub keys: Arc<keys::Keys>,
    pub limiter: Arc<ratelimit::RateLimiter>,
    /// Test events per partner (webhook validation), a separate small budget.
    pub test_events: Arc<ratelimit::RateLimiter>,
    pub vault: Arc<vault::Vault>,
    /// Access tokens whose signature was already verified (see `oauth::verify`).
    pub verified_tokens: Arc<token_cache::VerifiedTokens>,
}

impl App {
    pub async fn start(config: Config, clock: Clock) -> anyhow::Result<App> {
        let db = App::connect(&config).await?;
        db.migrate().await?;
        App::over(db, config, clock).await
    }

    /// The app over a database another process serves (`bench run --url`): its schema is
    /// never changed from here. A build whose migrations differ from the database's refuses
    /// to start instead, since its statements assume its own schema, and migrating would
    /// change the schema under the server using it.
    pub async fn attach(config: Config, clock: Clock) -> anyhow::Result<App> {
        let db = App::connect(&config).await?;
        db.expect_migrated().await?;
        App::over(db, config, clock).await
    }

    async fn connect(config: &Config) -> anyhow::Result<Db> {
        let mut db = Db::connect(&config.database_url, config.db_connections).await?;
        if let Some(replica) = &config.read_database_url {
            db = db.with_list_replica(replica, config.db_connections).await?;
        }
        Ok(db)
    }

    async fn over(db: Db, config: Config, clock: Clock) -> anyhow::Result<App> {
        let keys = keys::Keys::load_or_create(&db, &clock).await?;
        let vault = vault::Vault::load_or_create(&db, &clock, config.data_key.as_deref()).await?;
        let limiter = ratelimit::RateLimiter::new(config.rate_limit_per_minute, db.clone());
        let test_events = ratelimit::RateLimiter::new(config.webhook_test_per_minute, db.clone());
        Ok(App(Arc::new(AppParts {
            db,
            limiter: Arc::new(limiter),
            test_events: Arc::new(test_events),
            vault: Arc::new(vault),
            verified_tokens: Arc::new(token_cache::VerifiedTokens::new(
                token_cache::DEFAULT_PER_GENERATION,
            )),
            config: Arc::new(config),
            keys: Arc::new(keys),
            clock,
        })))
    }
}

/// Who is acting, and for which request: carried into every use case for authorization and
/// audit.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Actor,
    pub upn: Option<String>,
    pub correlation_id: Option<String>,
}

impl Ctx {
    /// The platform acting on a tenant by itself (command line, demo loader, test setup):
    /// a global administrator of that tenant with no user behind it.
    pub fn system(
        tenant: crate::domain::ids::TenantId,
        kind: crate::domain::identity::TenantKind,
        label: &str,
    ) -> Ctx {
        use crate::domain::identity::Role;
        let mut roles: std::collections::BTreeSet<Role> =
            [Role::GlobalAdministrator].into_iter().collect();
        if kind == crate::domain::identity::TenantKind::Operator {
            roles.insert(Role::OperatorAdmin);
        }
        Ctx {
            actor: Actor {
                principal: Principal::App(crate::domain::ids::AppId(uuid::Uuid::nil())),
                tenant,
                tenant_kind: kind,
                roles,
                partner: None,
            },
            upn: Some(label.to_string()),
            correlation_id: None,
        }
    }

    /// The one gate: refuses unless [`can`] allows.
    pub fn require(&self, action: Action, resource: Resource) -> Result<()> {
        if can(&self.actor, action, resource).allowed() {
            Ok(())
        } else {
            Err(Error::Refused(crate::domain::refusal::explain(
                &self.actor,
                action,
                resource,
            )))
        }
    }

    pub fn app_id(&self) -> Option<String> {
        match self.actor.principal {
            Principal::App(a) => Some(a.to_string()),
            Principal::User(_) => None,
        }
    }
}
