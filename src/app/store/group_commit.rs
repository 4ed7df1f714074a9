//! Group commit for SQLite's single writer.
//!
//! Every SQLite commit writes each page it changed to the WAL whole: an order touches about
//! fifty pages (the right-hand leaves of the audit, outbox, order and subscription tables and
//! of their time-ordered indexes, the chain heads), and most of them are the same pages the
//! next order touches. When transactions are waiting for the writer, the one holding it does
//! not commit: it hands the connection, with the transaction still open, to the next, and
//! the last of the group commits for all of them. Every member after the first runs inside
//! a savepoint, so a member that fails rolls back alone (the first, which sent the group's
//! `BEGIN`, rolls back the transaction, which holds nothing else yet). A member's
//! [`Tx`](super::Tx) reports success only once the group's `COMMIT` has succeeded, so
//! "committed" still means durable and visible.
//!
//! Transactions wait for the writer in one queue, first come first served. Statements sent
//! to the write pool outside a transaction (sessions, rate-limit leases) are never swallowed
//! by an open group: the connection goes back to the pool after each group's commit, the
//! pool serves whoever waits there, and a relay task then takes it from the pool again for
//! the transactions still queued. The protocol's one rule: whoever holds the connection when
//! nobody is waiting to join commits.

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Executor};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;

/// Most transactions committed together: bounds how long the first member waits.
pub const MAX_MEMBERS: usize = 16;

const SAVEPOINT: &str = "SAVEPOINT member";
const RELEASE: &str = "RELEASE member";
const ROLLBACK_MEMBER: &str = "ROLLBACK TO member; RELEASE member";

type Outcome = Result<(), String>;

/// The writer's group state, shared by every [`Tx`](super::Tx) of one database.
pub struct Group {
    pool: AnyPool,
    state: Mutex<State>,
    /// Lone transactions that committed in their own last trip (every other group commits
    /// by a `COMMIT` of its own); the tests read it to tell the two paths apart.
    committed_in_last_trip: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Transactions have the write connection: one holds it, or it is on its way to the
    /// next queued one (handed over, or being taken from the pool by the relay).
    held: bool,
    /// The group's `BEGIN IMMEDIATE` has been sent and not yet committed.
    open: bool,
    /// Transactions waiting to be handed the connection, first come first served.
    queue: VecDeque<oneshot::Sender<Handoff>>,
    /// Members whose work is done and waits for the group's commit.
    members: Vec<oneshot::Sender<Outcome>>,
}

/// How a member began, and so how it ends or rolls back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member {
    /// Sent the group's `BEGIN`: ends with nothing, rolls back the whole transaction.
    First,
    /// Opened a savepoint: ends by releasing it, rolls back to it.
    Savepoint,
}

impl Member {
    /// The statement that ends this member's work ("" for the first).
    pub fn end_sql(self) -> &'static str {
        match self {
            Member::First => "",
            Member::Savepoint => RELEASE,
        }
    }
}

/// The connection on its way to the next member. Dropped undelivered (the member's request
/// was cancelled after the send), it ends that member's turn as an empty one, so the group
/// still commits and the connection never goes back to the pool inside an open transaction.
pub struct Handoff {
    conn: Option<PoolConnection<Any>>,
    group: Arc<Group>,
}

impl Drop for Handoff {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.group.clone().abandon_on_drop(conn, None);
        }
    }
}

/// What a member's end leads to.
enum Next {
    /// Handed on: wait for the group's outcome.
    Wait(oneshot::Receiver<Outcome>),
    /// Nobody to hand on to (or the group is full): commit for everyone.
    Commit(PoolConnection<Any>, Vec<oneshot::Sender<Outcome>>, bool),
}

impl Group {
    pub fn new(pool: AnyPool) -> Group {
        Group {
            pool,
            state: Mutex::default(),
            committed_in_last_trip: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a few flags and queues updated in place; a panic cannot leave it
        // half-written, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for the write connection: handed over by the transaction before in the queue,
    /// or `None` when no transaction has it (take it from the pool, then call
    /// [`Group::took`]).
    pub async fn join(&self) -> Option<PoolConnection<Any>> {
        let handed = {
            let mut s = self.lock();
            if !s.held {
                return None;
            }
            let (tx, rx) = oneshot::channel();
            s.queue.push_back(tx);
            rx
        };
        // A closed channel: the relay could not take the connection; go to the pool.
        handed.await.ok().and_then(|mut h| h.conn.take())
    }

    /// The connection was taken from the pool: a new group starts with this transaction.
    pub fn took(&self) {
        self.lock().held = true;
    }

    /// The statement that opens a member, and how it began.
    pub fn opening(&self) -> (&'static str, Member) {
        let mut s = self.lock();
        if s.open {
            (SAVEPOINT, Member::Savepoint)
        } else {
            s.open = true;
            ("BEGIN IMMEDIATE", Member::First)
        }
    }

    /// No transaction waits to join the group: the group's first member, ending now, sends
    /// its `COMMIT` in its own last trip instead of a trip of its own after it. Only the first
    /// does: a later member's commit is every member's outcome, and keeping it a trip of its
    /// own lets transactions that queue meanwhile still join. One that queues during that last
    /// trip waits for it and begins the next group.
    pub fn nobody_waiting(&self) -> bool {
        self.lock().queue.is_empty()
    }

    /// The group's first member, holding `conn`, committed in its own last trip: the group
    /// (that member alone, so nobody waits to hear) is closed, and the connection goes to the
    /// next transaction queued (which begins a new group) or back to the pool.
    pub async fn finish_committed(
        self: &Arc<Self>,
        conn: PoolConnection<Any>,
    ) -> Result<(), sqlx::Error> {
        {
            let mut s = self.lock();
            debug_assert!(s.members.is_empty(), "only a lone first member commits so");
            s.open = false;
        }
        metrics::histogram!("partnerhub_sqlite_group_commit_size").record(1.0);
        self.committed_in_last_trip.fetch_add(1, Ordering::Relaxed);
        // With no group open, this hands on or releases, and answers at once.
        self.finish(conn).await
    }

    /// Ends the member holding `conn` after its work was ended (or rolled back to its
    /// savepoint, or when it sent nothing): hands the connection to the next transaction
    /// waiting, or commits the group. Resolves with the group's outcome. The commit runs in
    /// a task of its own, so that a cancelled request cannot leave the other members
    /// without theirs.
    pub async fn finish(self: &Arc<Self>, conn: PoolConnection<Any>) -> Result<(), sqlx::Error> {
        match self.hand_on(conn) {
            Next::Wait(rx) => match rx.await {
                Ok(outcome) => outcome.map_err(sqlx::Error::Protocol),
                Err(_) => Err(sqlx::Error::Protocol(
                    "the group's commit ended without an outcome".into(),
                )),
            },
            Next::Commit(conn, members, false) if members.is_empty() => {
                self.release_writer(conn);
                Ok(())
            }
            Next::Commit(conn, members, open) => {
                let group = self.clone();
                let done = tokio::spawn(async move { group.commit(conn, members, open).await });
                match done.await {
                    Ok(outcome) => outcome.map_err(sqlx::Error::Protocol),
                    Err(e) => Err(sqlx::Error::Protocol(format!("the group's commit: {e}"))),
                }
            }
        }
    }

    /// Rolls back the member holding `conn` (it failed or was dropped) and ends its turn as
    /// [`Group::finish`] does. When a savepoint's rollback fails, SQLite has rolled back the
    /// whole transaction already: every member waiting is told so, and the group ends.
    pub async fn abandon(self: &Arc<Self>, mut conn: PoolConnection<Any>, began: Option<Member>) {
        let undone = match began {
            None => Ok(()),
            Some(Member::Savepoint) => conn.execute(ROLLBACK_MEMBER).await.map(drop),
            // The first member: nobody else's work is in the transaction yet.
            Some(Member::First) => conn.execute("ROLLBACK").await.map(drop),
        };
        match undone {
            Ok(()) => {
                if began == Some(Member::First) {
                    self.lock().open = false;
                }
                let _ = self.finish(conn).await;
            }
            Err(e) => {
                tracing::debug!(error = %e, "the group's transaction ended with a member");
                let members = {
                    let mut s = self.lock();
                    s.open = false;
                    std::mem::take(&mut s.members)
                };
                // Whatever is left open goes; the error is expected when nothing is.
                let _ = conn.execute("ROLLBACK").await;
                self.release_writer(conn);
                tell(
                    members,
                    Err(format!("the transaction was rolled back: {e}")),
                );
            }
        }
    }

    /// [`Group::abandon`] from a `Drop`: in a task of its own, or, without a runtime to run
    /// one, by closing the connection (which rolls the transaction back) and telling every
    /// member waiting and every transaction queued.
    pub fn abandon_on_drop(self: Arc<Self>, mut conn: PoolConnection<Any>, began: Option<Member>) {
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move { self.abandon(conn, began).await });
            }
            Err(_) => {
                self.abandon_closing();
                conn.close_on_drop();
            }
        }
    }

    fn abandon_closing(&self) {
        let (members, queue) = {
            let mut s = self.lock();
            s.open = false;
            s.held = false;
            (std::mem::take(&mut s.members), std::mem::take(&mut s.queue))
        };
        drop(queue);
        tell(members, Err("the write connection was closed".into()));
    }

    fn hand_on(self: &Arc<Self>, conn: PoolConnection<Any>) -> Next {
        let mut s = self.lock();
        let mut conn = Some(conn);
        if s.members.len() + 1 < MAX_MEMBERS {
            if let Some(rx) = self.hand_to_next(&mut s, &mut conn) {
                return Next::Wait(rx);
            }
        }
        let members = std::mem::take(&mut s.members);
        let open = s.open;
        s.open = false;
        Next::Commit(conn.expect("the connection is still ours"), members, open)
    }

    /// Hands `conn` to the first transaction still waiting in the queue; with a group open,
    /// the holder becomes a member waiting for its outcome.
    fn hand_to_next(
        self: &Arc<Self>,
        s: &mut State,
        conn: &mut Option<PoolConnection<Any>>,
    ) -> Option<oneshot::Receiver<Outcome>> {
        while let Some(next) = s.queue.pop_front() {
            let handoff = Handoff {
                conn: conn.take(),
                group: self.clone(),
            };
            match next.send(handoff) {
                Ok(()) => {
                    let (tx, rx) = oneshot::channel();
                    if s.open {
                        s.members.push(tx);
                    } else {
                        // Nothing of the holder's is pending: its turn ended empty.
                        let _ = tx.send(Ok(()));
                    }
                    return Some(rx);
                }
                // That transaction gave up waiting: try the next.
                Err(mut h) => *conn = h.conn.take(),
            }
        }
        None
    }

    async fn commit(
        self: Arc<Self>,
        mut conn: PoolConnection<Any>,
        members: Vec<oneshot::Sender<Outcome>>,
        open: bool,
    ) -> Outcome {
        let outcome = if open {
            metrics::histogram!("partnerhub_sqlite_group_commit_size")
                .record((members.len() + 1) as f64);
            match conn.execute("COMMIT").await {
                Ok(_) => Ok(()),
                Err(e) => {
                    let _ = conn.execute("ROLLBACK").await;
                    Err(format!("the commit failed: {e}"))
                }
            }
        } else {
            Ok(())
        };
        // Back to the pool before the members hear: their next statements may need it.
        self.release_writer(conn);
        tell(members, outcome.clone());
        outcome
    }

    /// The connection, with no transaction open, goes back to the pool, where statements
    /// outside transactions get their turn; transactions still queued get it back through
    /// a relay that waits in the pool for them.
    fn release_writer(self: &Arc<Self>, conn: PoolConnection<Any>) {
        drop(conn);
        let mut s = self.lock();
        if s.queue.is_empty() {
            s.held = false;
            return;
        }
        drop(s);
        let group = self.clone();
        tokio::spawn(async move { group.relay().await });
    }

    /// Takes the connection from the pool for the first transaction queued.
    async fn relay(self: Arc<Self>) {
        match self.pool.acquire().await {
            Ok(conn) => {
                let mut s = self.lock();
                let mut conn = Some(conn);
                if self.hand_to_next(&mut s, &mut conn).is_none() {
                    // Everyone queued gave up meanwhile.
                    s.held = false;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "taking the writer for queued transactions");
                // They try the pool themselves.
                let queue = {
                    let mut s = self.lock();
                    s.held = false;
                    std::mem::take(&mut s.queue)
                };
                drop(queue);
            }
        }
    }
}

fn tell(members: Vec<oneshot::Sender<Outcome>>, outcome: Outcome) {
    for m in members {
        // A member whose request was cancelled no longer listens.
        let _ = m.send(outcome.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::super::batch::Batch;
    use super::super::{Db, Tx};
    use sqlx::Executor;

    /// A fresh SQLite file with one table (the directory lives as long as the database).
    async fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite:{}", dir.path().join("g.db").display());
        let db = Db::connect(&url, 2).await.expect("open");
        db.write
            .execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
            .await
            .expect("table");
        (dir, db)
    }

    async fn insert(tx: &mut Tx, x: i64) {
        let mut b = Batch::new();
        b.add("INSERT INTO t (x) VALUES ($1)").bind(x);
        b.run(tx).await.expect("insert");
    }

    /// Waits until `n` transactions are queued for the writer.
    async fn queued(db: &Db, n: usize) {
        while db.group.as_ref().expect("sqlite").lock().queue.len() < n {
            tokio::task::yield_now().await;
        }
    }

    /// A, holding the writer with row 1 written, and B queued behind it.
    async fn a_holding_b_queued(db: &Db) -> (Tx, tokio::task::JoinHandle<Tx>) {
        let mut a = db.begin().await.expect("a");
        insert(&mut a, 1).await;
        let db_b = db.clone();
        let b = tokio::spawn(async move { db_b.begin().await.expect("b") });
        queued(db, 1).await;
        (a, b)
    }

    /// Lone transactions committed in their own last trip so far.
    fn commits_in_last_trip(db: &Db) -> u64 {
        let g = db.group.as_ref().expect("sqlite");
        g.committed_in_last_trip
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// What a reader (another connection) sees.
    async fn seen(db: &Db) -> Vec<i64> {
        sqlx::query_scalar("SELECT x FROM t ORDER BY x")
            .fetch_all(&db.read)
            .await
            .expect("read")
    }

    /// A transaction waiting for the writer joins the one holding it; the first member's
    /// commit waits for the group, a failed member rolls back alone, and the group's commit
    /// makes the others' rows visible together.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_transactions_commit_together_and_a_failed_member_rolls_back_alone() {
        let (_dir, db) = db().await;

        // B and C queue behind A.
        let (a, b) = a_holding_b_queued(&db).await;
        let db_c = db.clone();
        let c_started = tokio::spawn(async move { db_c.begin().await.expect("c") });
        queued(&db, 2).await;
        // A's commit hands the writer to B and waits for the group.
        let a_done = tokio::spawn(a.commit());
        let mut b = b.await.expect("b joined");
        assert_eq!(
            seen(&db).await,
            Vec::<i64>::new(),
            "A is not committed alone"
        );
        insert(&mut b, 2).await;
        // B fails: a row that is already there (A's, seen inside the group's transaction).
        let mut dup = Batch::new();
        dup.add("INSERT INTO t (x) VALUES ($1)").bind(1_i64);
        assert!(dup.run(&mut b).await.is_err(), "A's row is visible to B");
        drop(b);
        // C gets the writer after B's rollback and commits the group.
        let mut c = c_started.await.expect("c joined");
        insert(&mut c, 3).await;
        assert_eq!(
            seen(&db).await,
            Vec::<i64>::new(),
            "still one open transaction"
        );
        c.commit().await.expect("c commits the group");
        a_done
            .await
            .expect("a's task")
            .expect("a committed with the group");
        assert_eq!(seen(&db).await, vec![1, 3], "B's row rolled back alone");
    }

    /// A statement sent to the write pool outside a transaction waits for the group's
    /// commit: it is never swallowed by the open transaction.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pool_statement_waits_for_the_group_instead_of_joining_it() {
        let (_dir, db) = db().await;

        let (a, b) = a_holding_b_queued(&db).await;
        let a_done = tokio::spawn(a.commit());
        let mut b = b.await.expect("b joined");
        // Meanwhile a plain statement on the write pool.
        let db_p = db.clone();
        let plain = tokio::spawn(async move {
            sqlx::query("INSERT INTO t (x) VALUES (10)")
                .execute(&db_p.write)
                .await
                .expect("plain insert")
        });
        insert(&mut b, 2).await;
        // B's transaction fails as a whole: were the plain insert inside it, it would go too.
        drop(b);
        plain.await.expect("plain task");
        a_done.await.expect("a's task").expect("a committed");
        assert_eq!(seen(&db).await, vec![1, 10]);
    }

    /// A transaction that stops waiting for the writer (its request was cancelled) does not
    /// stall the group: the holder commits without it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_joiner_does_not_stall_the_group() {
        let (_dir, db) = db().await;

        let (a, b) = a_holding_b_queued(&db).await;
        b.abort();
        let _ = b.await;
        a.commit().await.expect("a commits");
        assert_eq!(seen(&db).await, vec![1]);
        // The writer is free again: a new transaction starts and commits.
        let mut d = db.begin().await.expect("d");
        insert(&mut d, 2).await;
        d.commit().await.expect("d commits");
        assert_eq!(seen(&db).await, vec![1, 2]);
    }

    /// The group's first member sent its `BEGIN` and holds no savepoint: when it fails, its
    /// rollback ends the transaction, and the next in the queue starts a new one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_first_member_rolls_back_and_the_next_starts_afresh() {
        let (_dir, db) = db().await;

        let (a, b) = a_holding_b_queued(&db).await;
        drop(a);
        let mut b = b.await.expect("b joined");
        insert(&mut b, 2).await;
        b.commit().await.expect("b commits");
        assert_eq!(seen(&db).await, vec![2]);
    }

    /// More transactions queued than one group takes: the group commits at its limit, the
    /// connection goes back to the pool (a plain statement waiting there runs), and a relay
    /// takes it again for the rest of the queue, in order. Nothing is lost or stalled.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_group_commits_and_the_queue_goes_on_after_a_pool_statement() {
        let (_dir, db) = db().await;
        let n = super::MAX_MEMBERS as i64 + 5;

        let mut first = db.begin().await.expect("first");
        insert(&mut first, 1).await;
        let mut waiting = Vec::new();
        for x in 2..=n {
            let db_x = db.clone();
            waiting.push(tokio::spawn(async move {
                let mut tx = db_x.begin().await.expect("joined");
                insert(&mut tx, x).await;
                tx.commit().await.expect("committed");
            }));
            queued(&db, (x - 1) as usize).await;
        }
        let db_p = db.clone();
        let plain = tokio::spawn(async move {
            sqlx::query("INSERT INTO t (x) VALUES (1000)")
                .execute(&db_p.write)
                .await
                .expect("plain insert");
        });
        let everything = async {
            first.commit().await.expect("first committed");
            for w in waiting {
                w.await.expect("a queued transaction");
            }
            plain.await.expect("the plain statement");
        };
        tokio::time::timeout(std::time::Duration::from_secs(60), everything)
            .await
            .expect("no transaction or statement stalls");
        let mut want: Vec<i64> = (1..=n).collect();
        want.push(1000);
        assert_eq!(seen(&db).await, want);
    }

    /// Nobody waiting to join: a transaction's `COMMIT` goes in its last trip, whether that
    /// trip is a batch of writes or the end alone, and its rows are visible once it returns.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lone_transaction_commits_in_its_last_trip() {
        let (_dir, db) = db().await;

        let mut tx = db.begin().await.expect("begin");
        let mut b = Batch::new();
        b.add("INSERT INTO t (x) VALUES ($1)").bind(1_i64);
        b.commit(tx).await.expect("batch and commit");
        assert_eq!(commits_in_last_trip(&db), 1);
        assert_eq!(seen(&db).await, vec![1]);

        tx = db.begin().await.expect("begin");
        insert(&mut tx, 2).await;
        tx.commit().await.expect("commit");
        assert_eq!(commits_in_last_trip(&db), 2);
        assert_eq!(seen(&db).await, vec![1, 2]);
    }

    /// Only a group's first member commits in its own last trip: a later member, even with
    /// nobody behind it, ends with its savepoint's release, and the group's `COMMIT` is a trip
    /// of its own (transactions that queue meanwhile can still join); the first hears.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_group_of_several_commits_in_a_trip_of_its_own() {
        let (_dir, db) = db().await;

        let (a, b) = a_holding_b_queued(&db).await;
        let a_done = tokio::spawn(a.commit());
        let b = b.await.expect("b joined");
        let mut last = Batch::new();
        last.add("INSERT INTO t (x) VALUES ($1)").bind(2_i64);
        last.commit(b).await.expect("b commits the group");
        a_done.await.expect("a's task").expect("a committed");
        assert_eq!(commits_in_last_trip(&db), 0);
        assert_eq!(seen(&db).await, vec![1, 2]);
    }

    /// A `COMMIT` that fails (a deferred foreign key): a lone transaction whose last trip
    /// carried it hears the error; in a group, every member does. Nothing is committed, and
    /// the writer serves the next transaction.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_commit_fails_the_lone_transaction_or_every_member() {
        let (_dir, db) = db().await;
        db.write
            .execute(
                "CREATE TABLE child (x INTEGER PRIMARY KEY REFERENCES t(x) \
                 DEFERRABLE INITIALLY DEFERRED)",
            )
            .await
            .expect("child table");
        let orphan = || {
            let mut b = Batch::new();
            b.add("INSERT INTO child (x) VALUES ($1)").bind(99_i64);
            b
        };

        let lone = db.begin().await.expect("lone");
        assert!(
            orphan().commit(lone).await.is_err(),
            "the lone commit fails"
        );
        assert_eq!(commits_in_last_trip(&db), 0);

        let (a, b) = a_holding_b_queued(&db).await;
        let a_done = tokio::spawn(a.commit());
        let b = b.await.expect("b joined");
        assert!(
            orphan().commit(b).await.is_err(),
            "the group's commit fails"
        );
        assert!(
            a_done.await.expect("a's task").is_err(),
            "A hears that the group was not committed"
        );
        assert_eq!(seen(&db).await, Vec::<i64>::new());
        let mut d = db.begin().await.expect("d");
        insert(&mut d, 3).await;
        d.commit().await.expect("d commits");
        assert_eq!(seen(&db).await, vec![3]);
        assert_eq!(commits_in_last_trip(&db), 1);
    }

    /// The last member's request cancelled at any point of its last trip or of the group's
    /// commit: whatever happened, every member hears the truth (success exactly when its row
    /// is committed), and the writer is free. The first member leaves some 16 MB of pages for
    /// the commit to write, so that the pauses tried end before, during and after the
    /// `COMMIT`: a `COMMIT` started on the connection's thread finishes there even when the
    /// request is gone, so whoever tells the members must not be that request (it failed
    /// this way when the last member sent the group's `COMMIT` itself).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_last_trip_cut_short_never_misleads_the_members() {
        let mut pauses: Vec<u64> = (0..12).map(|i| i * 250).collect();
        pauses.extend((1..=12).map(|i| i * 4_000));
        for pause_us in pauses {
            let (_dir, db) = db().await;
            db.write
                .execute("CREATE TABLE big (b BLOB)")
                .await
                .expect("big table");
            let (mut a, b) = a_holding_b_queued(&db).await;
            let mut pages = Batch::new();
            pages.add(
                "INSERT INTO big (b) SELECT randomblob(1000) FROM (WITH RECURSIVE c(n) AS \
                 (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 16000) SELECT n FROM c)",
            );
            pages.run(&mut a).await.expect("pages");
            let a_done = tokio::spawn(a.commit());
            let b = b.await.expect("b joined");
            let last = tokio::spawn(async move {
                let mut w = Batch::new();
                w.add("INSERT INTO t (x) VALUES ($1)").bind(2_i64);
                w.commit(b).await
            });
            tokio::time::sleep(std::time::Duration::from_micros(pause_us)).await;
            last.abort();
            let b_said = last.await.ok().map(|r| r.is_ok());
            let a_ok = tokio::time::timeout(std::time::Duration::from_secs(30), a_done)
                .await
                .expect("A hears")
                .expect("a's task")
                .is_ok();
            let rows = seen(&db).await;
            assert_eq!(
                a_ok,
                rows.contains(&1),
                "A told the truth (pause {pause_us} µs)"
            );
            assert!(!rows.contains(&2) || rows.contains(&1), "one transaction");
            if let Some(b_ok) = b_said {
                assert_eq!(
                    b_ok,
                    rows.contains(&2),
                    "B told the truth (pause {pause_us} µs)"
                );
            }
            let mut d = db.begin().await.expect("the writer is free");
            insert(&mut d, 3).await;
            d.commit().await.expect("d commits");
        }
    }
}
