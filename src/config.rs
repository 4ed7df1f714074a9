//! Configuration: one struct, defaults that run, overrides by flag and environment (clap).

use clap::{Args, ValueEnum};
use std::net::SocketAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MailMode {
    /// Keep mail in the database and show it in the portal's mail viewer.
    Capture,
    /// Send mail through the SMTP server given by --smtp-url.
    Smtp,
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "PARTNERHUB_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// sqlite:PATH (embedded default) or postgres://USER@HOST/DB.
    #[arg(
        long,
        env = "PARTNERHUB_DATABASE_URL",
        default_value = "sqlite:data/partnerhub.db"
    )]
    pub database_url: String,

    /// A PostgreSQL streaming replica for list pages only (postgres://...). Authorization
    /// facts, records read by id and everything a request reads after writing stay on
    /// --database-url; lists may lag the primary by the replica's replay delay.
    #[arg(long, env = "PARTNERHUB_READ_DATABASE_URL")]
    pub read_database_url: Option<String>,

    /// The address users reach the portal at; used in links sent by mail.
    #[arg(long, env = "PARTNERHUB_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Where mail goes.
    #[arg(long, env = "PARTNERHUB_MAIL_MODE", value_enum, default_value_t = MailMode::Capture)]
    pub mail_mode: MailMode,

    /// smtp://[user:password@]host:port[?tls=none|starttls|tls]
    #[arg(long, env = "PARTNERHUB_SMTP_URL")]
    pub smtp_url: Option<String>,

    /// Sender address of every mail.
    #[arg(
        long,
        env = "PARTNERHUB_MAIL_FROM",
        default_value = "Partner Hub <no-reply@partnerhub.localhost>"
    )]
    pub mail_from: String,

    /// Let anyone who can reach the server read captured mail (demo and development only).
    #[arg(long, env = "PARTNERHUB_MAIL_VIEWER_PUBLIC", default_value_t = false)]
    pub mail_viewer_public: bool,

    /// Turn off the OAuth password grant (automation sign-in with user credentials).
    #[arg(
        long,
        env = "PARTNERHUB_DISABLE_PASSWORD_GRANT",
        default_value_t = false
    )]
    pub disable_password_grant: bool,

    /// Lifetime of access tokens, seconds.
    #[arg(long, env = "PARTNERHUB_ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl_secs: i64,

    /// Lifetime of refresh tokens, days.
    #[arg(long, env = "PARTNERHUB_REFRESH_TOKEN_TTL_DAYS", default_value_t = 90)]
    pub refresh_token_ttl_days: i64,

    /// Lifetime of portal sessions, hours.
    #[arg(long, env = "PARTNERHUB_SESSION_TTL_HOURS", default_value_t = 12)]
    pub session_ttl_hours: i64,

    /// Portal sessions of administrators (global, user and helpdesk administrators, account
    /// admins, admin agents, operator admins) end after this many idle minutes (0: never).
    #[arg(
        long,
        env = "PARTNERHUB_SESSION_IDLE_ADMIN_MINUTES",
        default_value_t = 30
    )]
    pub session_idle_admin_minutes: i64,

    /// Portal sessions of everyone else end after this many idle minutes (0: only the
    /// session lifetime applies).
    #[arg(long, env = "PARTNERHUB_SESSION_IDLE_MINUTES", default_value_t = 0)]
    pub session_idle_minutes: i64,

    /// API requests per minute allowed per tenant (0 turns the limit off).
    #[arg(long, env = "PARTNERHUB_RATE_LIMIT_PER_MINUTE", default_value_t = 500)]
    pub rate_limit_per_minute: u32,

    /// Mark cookies Secure. Browsers accept Secure cookies on http://localhost too.
    #[arg(long, env = "PARTNERHUB_COOKIE_SECURE", default_value_t = true, action = clap::ArgAction::Set)]
    pub cookie_secure: bool,

    /// Largest request body accepted, bytes.
    #[arg(long, env = "PARTNERHUB_MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,

    /// Database connections per pool.
    #[arg(long, env = "PARTNERHUB_DB_CONNECTIONS", default_value_t = 16)]
    pub db_connections: u32,

    /// SQLite: the size, in MiB, past which the WAL is started again from its beginning and
    /// its file cut back to this size. Under steady load readers always hold a snapshot in
    /// the WAL, so without this it would grow as long as the load lasts.
    #[arg(long, env = "PARTNERHUB_SQLITE_WAL_LIMIT_MB", default_value_t = 64)]
    pub sqlite_wal_limit_mb: u32,

    /// Run background workers (mail, expiries) in this process.
    #[arg(long, env = "PARTNERHUB_WORKERS", default_value_t = true, action = clap::ArgAction::Set)]
    pub workers: bool,

    /// Failed sign-ins allowed per account or address within 15 minutes before a lock.
    #[arg(long, env = "PARTNERHUB_SIGNIN_MAX_FAILURES", default_value_t = 5)]
    pub signin_max_failures: i64,

    /// AES-256 key (base64, 32 bytes) sealing stored secrets such as webhook signing secrets.
    /// Without it the key is generated once and kept in the database.
    #[arg(long, env = "PARTNERHUB_DATA_KEY", hide_env_values = true)]
    pub data_key: Option<String>,

    /// Webhook targets allowed although private or plain HTTP: host names, IP addresses or
    /// CIDR blocks, comma-separated (for tests and on-premises receivers).
    #[arg(long, env = "PARTNERHUB_WEBHOOK_ALLOW", value_delimiter = ',')]
    pub webhook_allow: Vec<String>,

    /// Seconds a webhook receiver has to answer.
    #[arg(long, env = "PARTNERHUB_WEBHOOK_TIMEOUT_SECS", default_value_t = 5)]
    pub webhook_timeout_secs: u64,

    /// Test events a partner may send per minute.
    #[arg(long, env = "PARTNERHUB_WEBHOOK_TEST_PER_MINUTE", default_value_t = 2)]
    pub webhook_test_per_minute: u32,

    /// Days audit records stay online; older ones are archived (see --audit-archive-dir) and
    /// removed by housekeeping. 0 keeps everything.
    #[arg(long, env = "PARTNERHUB_AUDIT_RETENTION_DAYS", default_value_t = 90)]
    pub audit_retention_days: i64,

    /// Directory where records past retention are written as JSON lines before removal.
    /// Without it, records past retention are kept online.
    #[arg(long, env = "PARTNERHUB_AUDIT_ARCHIVE_DIR")]
    pub audit_archive_dir: Option<std::path::PathBuf>,

    /// Directory for files attached to support requests. Without it they are kept in the
    /// database.
    #[arg(long, env = "PARTNERHUB_SUPPORT_ATTACHMENT_DIR")]
    pub support_attachment_dir: Option<std::path::PathBuf>,

    /// Seconds an unfinished `MS-RequestId` claim blocks retries before another request may
    /// take it over (its first holder crashed). Effects stay single: orders are unique per
    /// request id in the database.
    #[arg(long, env = "PARTNERHUB_IDEMPOTENCY_STALE_SECS", default_value_t = 60)]
    pub idempotency_stale_secs: i64,

    /// Seconds a worker holds the outbox messages it claimed; a crashed worker's messages
    /// are delivered by another pass once the lease ends (at least once).
    #[arg(long, env = "PARTNERHUB_OUTBOX_LEASE_SECS", default_value_t = 60)]
    pub outbox_lease_secs: i64,

    /// Mount the bare benchmark routes under /bench (fixed JSON, one indexed read, a
    /// two-insert transaction) that `partnerhub bench run` measures ceilings with. Off by
    /// default; never turn it on in production.
    #[arg(long, env = "PARTNERHUB_BENCH_ROUTES", default_value_t = false)]
    pub bench_routes: bool,
}

impl Config {
    /// Defaults, as if no flag or variable were given (tests start from this).
    pub fn defaults() -> Self {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrap {
            #[command(flatten)]
            c: Config,
        }
        Wrap::parse_from(["partnerhub"]).c
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_string()
    }
}
