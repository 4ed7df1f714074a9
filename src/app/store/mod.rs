//! Storage adapter: sqlx over SQLite (embedded default, WAL) or PostgreSQL (scale-out),
//! chosen from the URL at boot. Queries are written once in the SQL both engines share
//! (`$n` parameters, `ON CONFLICT`, `RETURNING`); the few differences go through [`Backend`].

pub mod audit;
pub mod batch;
pub mod bench;
pub mod commerce;
pub mod commerce_pages;
pub mod customer_domains;
pub mod customer_pages;
pub mod customers;
pub mod dashboard;
pub(crate) mod decode;
pub mod enrollments;
pub mod flashes;
mod group_commit;
pub mod idempotency;
pub mod identity;
pub mod links;
pub mod mailbox;
pub mod memberships;
pub mod mfa;
mod migrations;
pub mod notifications;
pub mod oidc;
pub mod outbox;
pub(crate) mod paged;
pub mod partner_billing;
pub mod partners;
pub mod partnerships;
pub mod ratelimit;
pub mod referrals;
pub mod sessions;
mod statements;
pub mod subscription_links;
pub mod support;
pub mod throttle;
pub mod tokens;
pub mod webhooks;

use anyhow::Context;
use group_commit::{Group, Member};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::Row;
use sqlx::{Any, AnyConnection, AnyPool, Executor};
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Row lock for read-modify-write inside a transaction. SQLite needs none: its single
    /// writer connection already serialises writers.
    pub fn for_update(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }
    /// An aggregate of the rows of a query as one JSON array (text) of arrays of `columns`:
    /// one value to decode instead of a row per element. NULL (PostgreSQL) or `[]` (SQLite)
    /// when there are no rows. PostgreSQL aggregates in `order` (its collation decides);
    /// SQLite's order is left undefined, since an ordered aggregate costs it a sort into a
    /// temporary b-tree: when [`Backend::json_rows_ordered`] is false, sort after decoding
    /// (SQLite compares text byte by byte, as Rust's `str` does).
    pub fn json_rows(self, columns: &str, order: &str) -> String {
        match self {
            Backend::Sqlite => format!("json_group_array(json_array({columns}))"),
            Backend::Postgres => {
                format!("CAST(json_agg(json_build_array({columns}) ORDER BY {order}) AS TEXT)")
            }
        }
    }
    /// The rows `FROM ... ORDER BY ... LIMIT` (`rows`) of text (or NULL) `columns` as one
    /// JSON array of arrays (text), in `rows`' order on PostgreSQL; in no defined order on
    /// SQLite (see [`Backend::json_rows`]). On PostgreSQL an array built from the ordered
    /// rows: `json_build_array` looks up the output function of each argument on every row
    /// (profiled: a quarter of the customer list's CPU), and an ordered `json_agg` sorts its
    /// input again (about 15% of the page's statement, measured with pgbench: 122 against
    /// 100-105 µs); a text array is one type and `ARRAY(subquery)` keeps the subquery's order.
    pub fn json_text_page(self, columns: &[&str], rows: &str) -> String {
        match self {
            Backend::Sqlite => {
                let named: Vec<String> = columns
                    .iter()
                    .enumerate()
                    .map(|(n, c)| format!("{c} AS c{n}"))
                    .collect();
                let picked: Vec<String> = (0..columns.len()).map(|n| format!("p.c{n}")).collect();
                format!(
                    "(SELECT json_group_array(json_array({})) FROM (SELECT {} {rows}) p)",
                    picked.join(", "),
                    named.join(", ")
                )
            }
            Backend::Postgres => format!(
                "CAST(array_to_json(ARRAY(SELECT ARRAY[{}] {rows})) AS TEXT)",
                columns.join(", ")
            ),
        }
    }
    /// A table read through `index`: `table` is the table and its alias as a `FROM` names
    /// them (SQLite's `INDEXED BY` follows the alias; nothing is added on PostgreSQL).
    /// For a lookup whose covering index SQLite would otherwise pass over for the unique
    /// index of the same key (without `ANALYZE` statistics it prefers the unique one and then
    /// reads the table row too). The query-plan tests check each use.
    pub fn indexed_by(self, table: &str, index: &str) -> String {
        match self {
            Backend::Sqlite => format!("{table} INDEXED BY {index}"),
            Backend::Postgres => table.to_string(),
        }
    }
    /// Whether [`Backend::json_rows`] and [`Backend::json_text_page`] arrays come in their
    /// order already.
    pub fn json_rows_ordered(self) -> bool {
        self == Backend::Postgres
    }
    /// The statement that begins a write transaction. SQLite takes the write lock at once
    /// (`IMMEDIATE`): a transaction that read first and wrote later would otherwise fail
    /// with `SQLITE_BUSY` if another process wrote to the file in between.
    fn begin_sql(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }
    pub fn skip_locked(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

/// A pool of `n` connections, as every pool here is set up.
///
/// The pool does not ping a connection before handing it out: sqlx already pings each one
/// when it comes back (which also rolls back what a dropped transaction left open), so a
/// second ping on the way out only added a trip to every statement (on SQLite a wake-up of
/// the connection's thread, on PostgreSQL a round trip). A connection the server dropped
/// while idle fails its next statement instead, and is then discarded.
fn pool_options(n: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(n)
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire(false)
}

/// Connection pools. On SQLite, writes go through one connection (SQLite allows one writer
/// at a time; queueing in the pool beats retrying on SQLITE_BUSY) and reads through several.
/// On PostgreSQL reads and writes also use separate pools, so that reads made while a
/// transaction is open never wait for a write connection.
///
/// `lists` serves list pages only: the read pool, or a PostgreSQL streaming replica when one
/// is configured ([`Db::with_list_replica`]). Authorization facts and reads that must see the
/// request's own writes never use it.
#[derive(Clone)]
pub struct Db {
    pub read: AnyPool,
    pub write: AnyPool,
    pub lists: AnyPool,
    pub backend: Backend,
    /// SQLite: the WAL's size limit in bytes once it is checkpointed by [`Db::checkpoint`] on
    /// a read connection instead of by the writer after its commits (0 until then; see
    /// [`Db::checkpoint_off_the_writer`]).
    manual_checkpoints: Arc<AtomicI64>,
    /// SQLite: transactions waiting for the writer commit together ([`group_commit`]).
    group: Option<Arc<Group>>,
    /// `lists` is a replica ([`Db::with_list_replica`]).
    lists_replica: bool,
}

/// A write transaction on a write connection, begun and ended by this type (not by
/// sqlx's `Transaction`) so that its `BEGIN` and `COMMIT` can ride on its first and last
/// statements: on SQLite a script of several statements is one trip to the connection's
/// thread, and every trip made while the single writer is held costs two thread wake-ups.
///
/// `BEGIN` is sent lazily: with the first statement run through [`Tx::conn`] (a trip of
/// its own), or inside the first statement's own text through [`Tx::opening`] (SQLite).
/// [`Batch::commit`](batch::Batch::commit) ends a transaction with its last writes and the
/// `COMMIT` in one trip. A transaction dropped while open is rolled back before its
/// connection goes back to the pool.
///
/// On SQLite a transaction is a member of a [group commit](group_commit): its `BEGIN` is the
/// group's when it is the first, a savepoint otherwise; its commit releases the savepoint
/// and then waits for the group's `COMMIT`; its rollback rolls back to the savepoint (the
/// first rolls back the transaction). What callers see is unchanged: a commit that returns
/// `Ok` is durable.
pub struct Tx {
    conn: Option<PoolConnection<Any>>,
    pub backend: Backend,
    state: TxState,
    /// When the write connection was taken: how long transactions hold one (on SQLite, the
    /// one writer) is exported as `partnerhub_db_write_held_seconds`.
    began: std::time::Instant,
    group: Option<Arc<Group>>,
    /// How this member of the group began (once it sent its first statement).
    member: Option<Member>,
}

/// How a transaction's last trip ends it (see [`Tx::ending`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// Ends this transaction's own work (`COMMIT` when it is not in a group).
    Member(&'static str),
    /// The first member of a group nobody waits to join: its `COMMIT` goes in its last trip.
    Alone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TxState {
    /// Nothing sent yet.
    Pending,
    /// `BEGIN` sent (or riding on a statement being sent).
    Open,
    /// Committed.
    Ended,
}

impl Tx {
    /// The connection, inside the transaction: sends the `BEGIN` first when nothing has been
    /// sent yet.
    pub async fn conn(&mut self) -> Result<&mut AnyConnection, sqlx::Error> {
        if self.state == TxState::Pending {
            let begin = self.begin_sql();
            // Open from here: should the `BEGIN` fail half-way, dropping rolls back.
            self.state = TxState::Open;
            self.raw().execute(begin).await?;
        }
        Ok(self.raw())
    }

    /// The statement that begins this transaction.
    fn begin_sql(&mut self) -> &'static str {
        match &self.group {
            Some(g) => {
                let (sql, member) = g.opening();
                self.member = Some(member);
                sql
            }
            None => self.backend.begin_sql(),
        }
    }

    /// `sql` as the text of the transaction's next statement. On SQLite, when nothing has been
    /// sent yet, it is prefixed with the `BEGIN`, so both go in one trip; run it through
    /// [`Tx::conn`] right after. The statements of a script bind `$n` across the whole
    /// script, and `BEGIN` takes none, so the numbering is unchanged. PostgreSQL runs one
    /// statement per message when values are bound, so there it is `sql` unchanged and
    /// [`Tx::conn`] sends the `BEGIN`. Read the rows of such a statement with `fetch_all`:
    /// sqlx's `Any` driver answers `fetch_optional` and `fetch_one` from a script's first
    /// statement, which here is the `BEGIN` (no row).
    pub fn opening(&mut self, sql: &str) -> String {
        if self.state == TxState::Pending && self.backend == Backend::Sqlite {
            self.state = TxState::Open;
            return format!("{};\n{sql}", self.begin_sql());
        }
        sql.to_string()
    }

    /// The statement that ends this transaction's work: `COMMIT`; on SQLite, the release of
    /// its savepoint in the group, or for the group's first member nothing (the group's
    /// commit, which [`Tx::finish`] waits for, ends it) or, when nobody waits to join, its
    /// own `COMMIT` ([`Ending::Alone`]).
    fn ending(&self) -> Ending {
        match (&self.group, self.member) {
            (None, _) => Ending::Member("COMMIT"),
            (Some(g), Some(Member::First)) if g.nobody_waiting() => Ending::Alone,
            (Some(_), Some(m)) => Ending::Member(m.end_sql()),
            (Some(_), None) => Ending::Member(""),
        }
    }

    /// Commits (nothing to send when no statement was sent, though a group member still
    /// waits for its group).
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        let end = match self.ending() {
            Ending::Alone => return self.commit_alone("COMMIT", None).await,
            Ending::Member(end) => end,
        };
        if self.state == TxState::Open && !end.is_empty() {
            self.raw().execute(end).await?;
        }
        self.ended();
        self.finish().await
    }

    /// Sends `sql`, this lone transaction's last statements ending with its `COMMIT`, and
    /// hands the writer on. A group's first member has no other member's work to answer
    /// for, so a request cancelled during this trip leaves nobody misled: its drop rolls
    /// back whatever is still open, as for any failed member.
    async fn commit_alone(
        mut self,
        sql: &str,
        args: Option<sqlx::any::AnyArguments<'_>>,
    ) -> Result<(), sqlx::Error> {
        match args {
            Some(args) => sqlx::query_with(sql, args).execute(self.raw()).await?,
            None => self.raw().execute(sql).await?,
        };
        self.ended();
        match (self.group.clone(), self.conn.take()) {
            (Some(group), Some(conn)) => group.finish_committed(conn).await,
            _ => Ok(()),
        }
    }

    /// After the end statement ran: a group member hands the writer on, or commits the
    /// group, and returns the group's outcome.
    async fn finish(mut self) -> Result<(), sqlx::Error> {
        match (self.group.clone(), self.conn.take()) {
            (Some(group), Some(conn)) => group.finish(conn).await,
            _ => Ok(()),
        }
    }

    /// Marks the transaction committed by a statement sent here, and records how long it
    /// held its connection.
    fn ended(&mut self) {
        self.state = TxState::Ended;
        metrics::histogram!("partnerhub_db_write_held_seconds")
            .record(self.began.elapsed().as_secs_f64());
    }

    fn raw(&mut self) -> &mut AnyConnection {
        self.conn
            .as_deref_mut()
            .expect("a transaction holds its connection until dropped")
    }
}

impl Drop for Tx {
    /// An open transaction dropped (an error, a cancelled request) is rolled back on its
    /// connection before the connection is handed to anyone else: the rollback task owns it
    /// until then. Without a runtime to run that task, the connection is closed instead,
    /// which rolls back too.
    fn drop(&mut self) {
        if let Some(group) = self.group.clone() {
            // A member still holding the writer: roll back to its savepoint (when it sent
            // anything) and let the group go on or commit without it.
            if let Some(conn) = self.conn.take() {
                let began = match self.state {
                    TxState::Open => self.member,
                    _ => None,
                };
                group.abandon_on_drop(conn, began);
            }
            return;
        }
        if self.state != TxState::Open {
            return;
        }
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    if let Err(e) = conn.execute("ROLLBACK").await {
                        // A failed statement may have ended the transaction already.
                        tracing::debug!(error = %e, "rolling back a dropped transaction");
                    }
                });
            }
            Err(_) => conn.close_on_drop(),
        }
    }
}

impl Db {
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        if url.starts_with("sqlite:") {
            let url = prepare_sqlite_url(url)?;
            let opts = AnyConnectOptions::from_str(&url)?;
            // Page cache per connection: the writer keeps 32 MB, each reader 4 MB. The
            // operating system's file cache holds the rest, so a large database does not
            // make each of many read connections grow its own copy of hot pages.
            let manual_checkpoints = Arc::new(AtomicI64::new(0));
            let pool = |n: u32, cache_kb: i64, manual: Option<Arc<AtomicI64>>| {
                pool_options(n)
                    .min_connections(1)
                    .after_connect(move |conn, _| {
                        let limit = manual.as_ref().map_or(0, |m| m.load(Ordering::Relaxed));
                        Box::pin(async move {
                            let pragmas = format!(
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; \
                                 PRAGMA foreign_keys=ON; PRAGMA busy_timeout={BUSY_TIMEOUT_MS}; \
                                 PRAGMA cache_size=-{cache_kb};"
                            );
                            conn.execute(pragmas.as_str()).await?;
                            if limit > 0 {
                                conn.execute(writer_leaves_checkpoints(limit).as_str())
                                    .await?;
                            }
                            Ok(())
                        })
                    })
            };
            let write = pool(1, 32_000, Some(manual_checkpoints.clone()))
                .connect_with(opts.clone())
                .await
                .with_context(|| format!("opening {url}"))?;
            let read = pool(max_connections.max(2), 4_000, None)
                .connect_with(opts)
                .await?;
            let group = Some(Arc::new(Group::new(write.clone())));
            Ok(Db {
                lists: read.clone(),
                read,
                write,
                backend: Backend::Sqlite,
                manual_checkpoints,
                group,
                lists_replica: false,
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // Two pools here too: a transaction waiting on a row lock holds a write
            // connection, and the reads it makes meanwhile must never wait for another
            // write connection (with one pool, a burst of such transactions deadlocks it).
            let pool = || pool_options(max_connections.max(2)).connect(url);
            let write = pool().await.context("connecting to PostgreSQL")?;
            let read = pool().await.context("connecting to PostgreSQL")?;
            Ok(Db {
                lists: read.clone(),
                read,
                write,
                backend: Backend::Postgres,
                manual_checkpoints: Default::default(),
                group: None,
                lists_replica: false,
            })
        } else {
            anyhow::bail!("unsupported database URL (use sqlite:PATH or postgres://...)")
        }
    }

    /// Serves list pages from a PostgreSQL streaming replica at `url` (PostgreSQL only: an
    /// SQLite file has no replicas).
    pub async fn with_list_replica(
        mut self,
        url: &str,
        max_connections: u32,
    ) -> anyhow::Result<Db> {
        anyhow::ensure!(
            self.backend == Backend::Postgres
                && (url.starts_with("postgres:") || url.starts_with("postgresql:")),
            "a read replica needs PostgreSQL for both --database-url and --read-database-url"
        );
        self.lists = pool_options(max_connections.max(2))
            .connect(url)
            .await
            .context("connecting to the PostgreSQL read replica")?;
        self.lists_replica = true;
        Ok(self)
    }

    /// Whether list pages come from the primary: only then may a page ride on the statement
    /// that rebuilds the caller (`app::seen`), which runs on the primary.
    pub fn lists_on_primary(&self) -> bool {
        !self.lists_replica
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        migrations::migrator(self.backend)
            .await?
            .run(&self.write)
            .await?;
        Ok(())
    }

    /// Fails unless the database has exactly this build's migrations applied.
    pub async fn expect_migrated(&self) -> anyhow::Result<()> {
        let migrator = migrations::migrator(self.backend).await?;
        let expected: Vec<i64> = migrator.iter().map(|m| m.version).collect();
        let advice = "use the build that serves it (this command never migrates a database \
                      another process serves)";
        let rows = sqlx::query("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&self.read)
            .await
            .map_err(|e| {
                anyhow::anyhow!("the database's migrations could not be read ({e}): {advice}")
            })?;
        let applied = rows
            .iter()
            .map(|r| r.try_get("version"))
            .collect::<Result<Vec<i64>, _>>()?;
        anyhow::ensure!(
            applied == expected,
            "the database's schema is at migration {}, this build's at {}: {advice}",
            applied.last().unwrap_or(&0),
            expected.last().unwrap_or(&0)
        );
        Ok(())
    }

    /// Takes a write connection for a transaction; its `BEGIN` goes with the first
    /// statement (see [`Tx`]).
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let asked = std::time::Instant::now();
        let conn = match &self.group {
            Some(group) => match group.join().await {
                Some(handed) => handed,
                None => {
                    let conn = self.write.acquire().await?;
                    group.took();
                    conn
                }
            },
            None => self.write.acquire().await?,
        };
        metrics::histogram!("partnerhub_db_write_wait_seconds")
            .record(asked.elapsed().as_secs_f64());
        Ok(Tx {
            conn: Some(conn),
            backend: self.backend,
            state: TxState::Pending,
            began: std::time::Instant::now(),
            group: self.group.clone(),
            member: None,
        })
    }

    /// SQLite: from now on the writer no longer checkpoints the WAL after its commits; the
    /// caller runs [`Db::checkpoint`] on a timer instead (the server does, see
    /// `server::checkpoints`). A checkpoint copies the WAL's pages into the database file
    /// and syncs both; done by the writer, it held the single writer for that time every
    /// thousand pages (a sixth of the writer's CPU during the order workload). A passive
    /// checkpoint on a read connection runs beside the writer. Until this is called (the
    /// command-line tools, `bench generate`), the writer checkpoints as SQLite's default has
    /// it. The writer also cuts the WAL's file back to `limit_bytes` whenever the WAL
    /// starts again from its beginning ([`Db::reset_wal`], or by itself once all of it is
    /// copied and no reader is in it). Nothing to do on PostgreSQL.
    pub async fn checkpoint_off_the_writer(&self, limit_bytes: i64) -> Result<(), sqlx::Error> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        let limit = limit_bytes.max(1);
        self.manual_checkpoints.store(limit, Ordering::Relaxed);
        // The writer connection open now; one opened later reads the limit when it connects.
        self.write
            .execute(writer_leaves_checkpoints(limit).as_str())
            .await?;
        Ok(())
    }

    /// SQLite: copies what the WAL holds into the database file, without waiting for
    /// readers or the writer (a passive checkpoint, on a read connection), and says how
    /// far the WAL is copied. `None` on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<Option<Wal>, sqlx::Error> {
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&self.read)
            .await?;
        Ok(Some(Wal {
            frames: row.try_get(1)?,
            checkpointed: row.try_get(2)?,
        }))
    }

    /// SQLite: a checkpoint on the writer's connection that copies what is left of the WAL,
    /// waits at most [`RESET_WAIT_MS`] for readers still reading it, and then has the WAL
    /// start again from its beginning: `Restart` reuses the file and cuts it to the limit
    /// of [`Db::checkpoint_off_the_writer`] at the next commit, `Truncate` empties it now. Passive checkpoints
    /// ([`Db::checkpoint`]) never do this while readers keep snapshots in the WAL, which
    /// under steady load is always. The writer is held for the copy of the last frames
    /// (the passive ones copied the rest) and that short wait, between two groups of
    /// transactions. Returns whether the WAL was reset (`false`: a reader stayed, try
    /// later); `None` on PostgreSQL.
    pub async fn reset_wal(&self, mode: WalReset) -> Result<Option<bool>, sqlx::Error> {
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        let mut conn = self.write.acquire().await?;
        let held = std::time::Instant::now();
        let c: &mut sqlx::AnyConnection = &mut conn;
        let setup = format!("PRAGMA busy_timeout={RESET_WAIT_MS}");
        c.execute(setup.as_str()).await?;
        let sql = match mode {
            WalReset::Restart => "PRAGMA wal_checkpoint(RESTART)",
            WalReset::Truncate => "PRAGMA wal_checkpoint(TRUNCATE)",
        };
        let outcome = c.fetch_one(sql).await;
        // The writer's own patience comes back whatever the checkpoint said; a connection
        // that could not get it back is not reused.
        let wait = format!("PRAGMA busy_timeout={BUSY_TIMEOUT_MS}");
        if c.execute(wait.as_str()).await.is_err() {
            conn.close_on_drop();
        }
        metrics::histogram!("partnerhub_sqlite_wal_reset_held_seconds")
            .record(held.elapsed().as_secs_f64());
        let busy: i64 = outcome?.try_get(0)?;
        Ok(Some(busy == 0))
    }

    /// SQLite's page size, in bytes (`None` on PostgreSQL).
    pub async fn page_size(&self) -> Result<Option<i64>, sqlx::Error> {
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        let row = sqlx::query("PRAGMA page_size")
            .fetch_one(&self.read)
            .await?;
        Ok(Some(row.try_get(0)?))
    }

    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.read).await.is_ok()
    }
}

/// An SQLite WAL after a checkpoint: the frames it holds, and how many of them are copied
/// into the database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wal {
    pub frames: i64,
    pub checkpointed: i64,
}

/// Turns off the writer's own checkpoints and sets the WAL's size limit (see
/// [`Db::checkpoint_off_the_writer`]).
fn writer_leaves_checkpoints(limit_bytes: i64) -> String {
    format!("PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit={limit_bytes}")
}

/// How [`Db::reset_wal`] leaves the WAL's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalReset {
    /// Reused from its beginning, cut to the size limit at the next commit (while serving).
    Restart,
    /// Emptied (when the server stops, so the next start has no WAL to read through).
    Truncate,
}

/// How long an SQLite statement waits for a lock another connection holds before it fails
/// with `SQLITE_BUSY`.
const BUSY_TIMEOUT_MS: u32 = 10_000;

/// How long a WAL reset waits for readers still reading the WAL. It holds the writer
/// meanwhile, so it gives up soon and is tried again at a later pass.
pub const RESET_WAIT_MS: u32 = 5;

/// Creates the SQLite file's folder and asks sqlx to create the file if missing.
fn prepare_sqlite_url(url: &str) -> anyhow::Result<String> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:" {
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
        }
    }
    let mut q: Vec<&str> = query.split('&').filter(|s| !s.is_empty()).collect();
    if !q.iter().any(|p| p.starts_with("mode=")) {
        q.push("mode=rwc");
    }
    Ok(format!("sqlite://{path}?{}", q.join("&")))
}

/// True when an error is a unique-constraint violation (both engines).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                || db.code().as_deref() == Some("23505")
                || db.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}
