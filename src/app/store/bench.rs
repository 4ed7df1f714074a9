//! Storage for `partnerhub bench`: the bulk writer the world generator uses (multi-row
//! INSERTs in large transactions, in the real schema), the lookups the load runner makes to
//! find its organisations, and the bare ceiling queries the runner compares the product with.

use super::{Backend, Db};
use crate::domain::ids::{TenantId, UserId};
use sqlx::pool::PoolConnection;
use sqlx::AnyConnection;
use sqlx::{Any, Row};
use std::fmt::Write as _;

/// Rows per INSERT statement.
pub const ROWS_PER_STATEMENT: usize = 500;

/// One write connection held for a whole generation, with its transactions run by hand so a
/// transaction can span many multi-row statements.
pub struct BulkSession {
    conn: PoolConnection<Any>,
    backend: Backend,
}

impl BulkSession {
    /// Takes a write connection; on SQLite, fsyncs are skipped until [`BulkSession::finish`]
    /// (a world is rebuilt from scratch if the machine stops mid-way).
    pub async fn open(db: &Db) -> Result<BulkSession, sqlx::Error> {
        let mut conn = db.write.acquire().await?;
        if db.backend == Backend::Sqlite {
            sqlx::raw_sql("PRAGMA synchronous=OFF")
                .execute(&mut *conn)
                .await?;
        }
        Ok(BulkSession {
            conn,
            backend: db.backend,
        })
    }

    pub async fn begin(&mut self) -> Result<(), sqlx::Error> {
        sqlx::raw_sql("BEGIN").execute(&mut *self.conn).await?;
        Ok(())
    }

    pub async fn commit(&mut self) -> Result<(), sqlx::Error> {
        sqlx::raw_sql("COMMIT").execute(&mut *self.conn).await?;
        Ok(())
    }

    /// Restores durable writes and refreshes the planner's statistics. On SQLite only the
    /// per-index summary (`sqlite_stat1`) is kept: with the sampled values of `sqlite_stat4`
    /// present, SQLite re-plans a prepared statement on every run whose bound values differ
    /// (the plan might depend on them), so every request paid for parsing and planning its
    /// statements again (profiled: `sqlite3Reprepare` under each `sqlite3_step`). A database
    /// the server made itself never has those samples; the generated one should not either.
    pub async fn finish(mut self) -> Result<(), sqlx::Error> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "PRAGMA synchronous=NORMAL; ANALYZE; DELETE FROM sqlite_stat4; \
                 ANALYZE sqlite_schema; PRAGMA wal_checkpoint(TRUNCATE)"
            }
            Backend::Postgres => "ANALYZE",
        };
        sqlx::raw_sql(sql).execute(&mut *self.conn).await?;
        Ok(())
    }
}

/// SQL text literal. Generated values never hold quotes, but quote anyway.
pub fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Accumulates rows for one table and writes them as multi-row INSERTs.
pub struct Bulk {
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

    pub fn push(&mut self, row: std::fmt::Arguments<'_>) {
        if self.rows > 0 {
            self.buf.push(',');
        }
        self.buf.push('(');
        // Writing to a String cannot fail.
        let _ = self.buf.write_fmt(row);
        self.buf.push(')');
        self.rows += 1;
    }

    async fn flush(&mut self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
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
pub struct Tables {
    pub tenants: Bulk,
    pub users: Bulk,
    pub roles: Bulk,
    pub partners: Bulk,
    pub acceptances: Bulk,
    pub partnerships: Bulk,
    pub relationships: Bulk,
    pub grants: Bulk,
    pub orders: Bulk,
    pub lines: Bulk,
    pub subscriptions: Bulk,
    pub events: Bulk,
    pub licenses: Bulk,
}

impl Default for Tables {
    fn default() -> Tables {
        Tables {
            tenants: Bulk::new("INSERT INTO tenants (id, domain, display_name, country, kind, mfa_required, admin_mfa_exempt, created_at)"),
            users: Bulk::new("INSERT INTO users (id, tenant_id, upn, display_name, first_name, last_name, password_hash, state, language, created_at)"),
            roles: Bulk::new("INSERT INTO user_roles (user_id, role)"),
            partners: Bulk::new("INSERT INTO partners (tenant_id, mpn_id, org_mpn_id, is_reseller, is_provider, status, legal, created_at)"),
            acceptances: Bulk::new("INSERT INTO agreement_acceptances (tenant_id, version, user_id, user_upn, accepted_at)"),
            partnerships: Bulk::new("INSERT INTO partnerships (id, provider_tenant_id, reseller_tenant_id, state, admin_access, created_at, updated_at)"),
            relationships: Bulk::new("INSERT INTO customer_relationships (id, customer_tenant_id, partner_tenant_id, indirect_reseller_tenant_id, customer_name_lower, customer_domain, customer_name, customer_country, reseller_name, state, created_at)"),
            grants: Bulk::new("INSERT INTO admin_grants (id, customer_tenant_id, partner_tenant_id, roles, status, duration_days, auto_extend, created_at, expires_at)"),
            orders: Bulk::new("INSERT INTO orders (id, customer_tenant_id, placed_by_tenant_id, provider_tenant_id, reseller_tenant_id, request_id, status, currency, total, created_at)"),
            lines: Bulk::new("INSERT INTO order_lines (order_id, line_number, catalog_item_id, quantity, unit_price, partner_id_on_record, subscription_id)"),
            subscriptions: Bulk::new("INSERT INTO subscriptions (id, customer_tenant_id, order_id, provider_tenant_id, reseller_tenant_id, product_id, sku_id, availability_id, friendly_name, quantity, unit_price, currency, billing_cycle, term, status, auto_renew, created_at, term_start, term_end, cancel_until, updated_at)"),
            events: Bulk::new("INSERT INTO subscription_events (id, subscription_id, at, quantity, status, unit_price)"),
            licenses: Bulk::new("INSERT INTO license_assignments (user_id, customer_tenant_id, product_id, sku_id, assigned_at)"),
        }
    }
}

impl Tables {
    /// Writes everything once one table has a statement's worth of rows. All tables are
    /// written together, parents first, so foreign keys always find their rows.
    pub async fn maybe_flush(&mut self, conn: &mut BulkSession) -> Result<(), sqlx::Error> {
        if self.users.rows >= ROWS_PER_STATEMENT || self.subscriptions.rows >= ROWS_PER_STATEMENT {
            self.flush(conn).await?;
        }
        Ok(())
    }

    /// Writes what is buffered, parents before children.
    pub async fn flush(&mut self, conn: &mut BulkSession) -> Result<(), sqlx::Error> {
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
            b.flush(&mut conn.conn).await?;
        }
        Ok(())
    }
}

/// Database size in bytes (SQLite file plus its write-ahead log, or the PostgreSQL database).
pub async fn database_bytes(db: &Db) -> Result<i64, sqlx::Error> {
    let sql = match db.backend {
        Backend::Sqlite => {
            "SELECT CAST(page_count * page_size AS BIGINT) AS n FROM pragma_page_count(), pragma_page_size()"
        }
        Backend::Postgres => "SELECT CAST(pg_database_size(current_database()) AS BIGINT) AS n",
    };
    let row = sqlx::query(sql).fetch_one(&db.read).await?;
    row.try_get::<i64, _>("n")
}

/// Every user of a tenant: (id, sign-in name).
pub async fn users_of(db: &Db, tenant: TenantId) -> Result<Vec<(UserId, String)>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, upn FROM users WHERE tenant_id = $1")
        .bind(tenant.to_string())
        .fetch_all(&db.read)
        .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let id = id.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            Ok((id, r.try_get("upn")?))
        })
        .collect()
}

pub async fn customer_count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM tenants WHERE kind = 'customer'")
        .fetch_one(&db.read)
        .await?
        .try_get("n")
}

/// A customer of the generated world served through a reseller.
pub struct SampledCustomer {
    pub customer: String,
    pub provider: String,
    pub reseller: String,
    pub domain: String,
}

/// A random sample of the generated world's indirect customers.
pub async fn sample_customers(db: &Db, n: usize) -> Result<Vec<SampledCustomer>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT customer_tenant_id, partner_tenant_id, indirect_reseller_tenant_id, customer_domain \
         FROM customer_relationships WHERE indirect_reseller_tenant_id IS NOT NULL AND state = 'active' \
         AND customer_domain LIKE '%.bench.example' ORDER BY random() LIMIT $1",
    )
    .bind(n as i64)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SampledCustomer {
                customer: r.try_get("customer_tenant_id")?,
                provider: r.try_get("partner_tenant_id")?,
                reseller: r.try_get("indirect_reseller_tenant_id")?,
                domain: r.try_get("customer_domain")?,
            })
        })
        .collect()
}

/// How many active customers a partner serves.
pub async fn active_customers_of(db: &Db, partner: &str) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "SELECT COUNT(*) AS n FROM customer_relationships WHERE partner_tenant_id = $1 AND state = 'active'",
    )
    .bind(partner)
    .fetch_one(&db.read)
    .await?
    .try_get("n")
}

/// The indexed-read ceiling: a tenant by primary key, (id, domain, name, country).
pub async fn ceiling_read(
    db: &Db,
    id: &str,
) -> Result<Option<(String, String, String, String)>, sqlx::Error> {
    let row = sqlx::query("SELECT id, domain, display_name, country FROM tenants WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.read)
        .await?;
    row.map(|r| {
        Ok((
            r.try_get("id")?,
            r.try_get("domain")?,
            r.try_get("display_name")?,
            r.try_get("country")?,
        ))
    })
    .transpose()
}

/// The write ceiling: a transaction of two inserts, like an order and its line.
pub async fn ceiling_write(db: &Db, id: &str, now: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO bench_ceiling_orders (id, subject, created_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind("bench")
        .bind(now)
        .execute(tx.conn().await?)
        .await?;
    sqlx::query(
        "INSERT INTO bench_ceiling_lines (order_id, line_number, payload) VALUES ($1, 0, $2)",
    )
    .bind(id)
    .bind("PH-SUITE:BASIC:US-M x 1")
    .execute(tx.conn().await?)
    .await?;
    tx.commit().await
}

/// Domain events not yet fanned out to webhooks and mail.
pub async fn pending_events(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE topic = 'event' AND done_at IS NULL")
        .fetch_one(&db.read)
        .await?
        .try_get("n")
}
