//! Group commit for SQLite's single writer.
//!
//! Every SQLite commit writes each page it changed to the WAL whole: an order touches about
//! fifty pages (the right-hand leaves of the audit, outbox, order and subscription tables and
//! of their time-ordered indexes, the chain heads), and most of them are the same pages the
//! next order touches. When transactions are waiting for the writer, the one holding it does
//! not commit: it hands the connection, with the transaction still open, to the next, and
//! the last of the group commits for all of them. Each member runs inside a savepoint, so a
//! member that fails rolls back alone; a member's [`Tx`](super::Tx) reports success only
//! once the group's `COMMIT` has succeeded, so "committed" still means durable and visible.
//!
//! Only transactions join a group. Statements sent to the write pool outside a transaction
//! (sessions, rate-limit leases) wait in the pool until the group commits, since the
//! connection goes back to the pool only then: such a statement is never swallowed by an
//! open transaction. The protocol's one rule: whoever holds the connection when nobody is
//! waiting to join commits.

use sqlx::pool::PoolConnection;
use sqlx::{Any, Executor};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;

/// Most transactions committed together: bounds how long the first member waits.
pub const MAX_MEMBERS: usize = 16;

/// A member's savepoint: one at a time on the connection, so one name serves all.
pub const SAVEPOINT: &str = "SAVEPOINT member";
const RELEASE: &str = "RELEASE member";
const ROLLBACK_MEMBER: &str = "ROLLBACK TO member; RELEASE member";

type Outcome = Result<(), String>;

/// The writer's group state, shared by every [`Tx`](super::Tx) of one database.
#[derive(Default)]
pub struct Group {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// A transaction holds the write connection (taken from the pool, or handed over).
    held: bool,
    /// The group's `BEGIN IMMEDIATE` has been sent and not yet committed.
    open: bool,
    /// Transactions waiting to be handed the connection, first come first served.
    queue: VecDeque<oneshot::Sender<Handoff>>,
    /// Members whose work is done and waits for the group's commit.
    members: Vec<oneshot::Sender<Outcome>>,
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
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        let group = self.group.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    let _ = group.finish(conn).await;
                });
            }
            Err(_) => {
                group.abandon_closing();
                conn.close_on_drop();
            }
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
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a few flags and queues updated in place; a panic cannot leave it
        // half-written, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Joins the group in progress: the write connection when it is handed over, `None` when
    /// no group holds it (take it from the pool, then call [`Group::took`]).
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
        // A closed channel: the group committed without handing over; go to the pool.
        handed.await.ok().and_then(|mut h| h.conn.take())
    }

    /// The connection was taken from the pool: a new group starts with this transaction.
    pub fn took(&self) {
        self.lock().held = true;
    }

    /// The statement that opens a member: the group's `BEGIN` too when it is the first.
    pub fn opening(&self) -> &'static str {
        let mut s = self.lock();
        if s.open {
            SAVEPOINT
        } else {
            s.open = true;
            "BEGIN IMMEDIATE;\nSAVEPOINT member"
        }
    }

    /// Ends the member holding `conn` after its savepoint was released or rolled back
    /// (or when it sent nothing): hands the connection to the next transaction waiting, or
    /// commits the group. Resolves with the group's outcome. The commit runs in a task of
    /// its own, so that a cancelled request cannot leave the other members without theirs.
    pub async fn finish(self: &Arc<Self>, conn: PoolConnection<Any>) -> Result<(), sqlx::Error> {
        match self.hand_on(conn) {
            Next::Wait(rx) => match rx.await {
                Ok(outcome) => outcome.map_err(sqlx::Error::Protocol),
                Err(_) => Err(sqlx::Error::Protocol(
                    "the group's commit ended without an outcome".into(),
                )),
            },
            Next::Commit(conn, members, false) if members.is_empty() => {
                drop(conn);
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

    /// Rolls back the member holding `conn` (it failed or was dropped) and ends it as
    /// [`Group::finish`] does. When the rollback itself fails, SQLite has rolled back the
    /// whole transaction already: every member waiting is told so, and the group ends.
    pub async fn abandon(self: &Arc<Self>, mut conn: PoolConnection<Any>, sent: bool) {
        if sent {
            if let Err(e) = conn.execute(ROLLBACK_MEMBER).await {
                tracing::debug!(error = %e, "the group's transaction ended with a member");
                let members = self.reset();
                // Whatever is left open goes; the error is expected when nothing is.
                let _ = conn.execute("ROLLBACK").await;
                tell(
                    members,
                    Err(format!("the transaction was rolled back: {e}")),
                );
                return;
            }
        }
        let _ = self.finish(conn).await;
    }

    /// Without a runtime to roll back on: the caller closes the connection (which rolls the
    /// transaction back); every member waiting is told.
    pub fn abandon_closing(&self) {
        let members = self.reset();
        tell(members, Err("the write connection was closed".into()));
    }

    /// The statement that ends a member's work (inside the group's transaction).
    pub fn release() -> &'static str {
        RELEASE
    }

    fn hand_on(self: &Arc<Self>, conn: PoolConnection<Any>) -> Next {
        let mut s = self.lock();
        let mut conn = Some(conn);
        if s.open && s.members.len() + 1 < MAX_MEMBERS {
            while let Some(next) = s.queue.pop_front() {
                let handoff = Handoff {
                    conn: conn.take(),
                    group: self.clone(),
                };
                match next.send(handoff) {
                    Ok(()) => {
                        let (tx, rx) = oneshot::channel();
                        s.members.push(tx);
                        return Next::Wait(rx);
                    }
                    // That transaction gave up waiting: try the next.
                    Err(mut h) => conn = h.conn.take(),
                }
            }
        }
        let members = std::mem::take(&mut s.members);
        let open = s.open;
        s.open = false;
        s.held = false;
        // Those still queued take the connection from the pool once it is back there.
        s.queue.clear();
        Next::Commit(conn.expect("the connection is still ours"), members, open)
    }

    async fn commit(
        &self,
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
        drop(conn);
        tell(members, outcome.clone());
        outcome
    }

    fn reset(&self) -> Vec<oneshot::Sender<Outcome>> {
        let mut s = self.lock();
        s.open = false;
        s.held = false;
        s.queue.clear();
        std::mem::take(&mut s.members)
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
    use super::super::Db;
    use sqlx::Executor;

    async fn db(dir: &tempfile::TempDir) -> Db {
        let url = format!("sqlite:{}", dir.path().join("g.db").display());
        let db = Db::connect(&url, 2).await.expect("open");
        db.write
            .execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
            .await
            .expect("table");
        db
    }

    async fn insert(db: &Db, tx: &mut super::super::Tx, x: i64) {
        let mut b = Batch::new();
        b.add("INSERT INTO t (x) VALUES ($1)").bind(x);
        b.run(tx).await.expect("insert");
        let _ = db;
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
        let dir = tempfile::tempdir().expect("dir");
        let db = db(&dir).await;

        let mut a = db.begin().await.expect("a");
        insert(&db, &mut a, 1).await;
        // B and C queue behind A.
        let (db_b, db_c) = (db.clone(), db.clone());
        let b = tokio::spawn(async move { db_b.begin().await.expect("b") });
        let c_started = tokio::spawn(async move { db_c.begin().await.expect("c") });
        while db.group.as_ref().expect("sqlite").lock().queue.len() < 2 {
            tokio::task::yield_now().await;
        }
        // A's commit hands the writer to B and waits for the group.
        let a_done = tokio::spawn(a.commit());
        let mut b = b.await.expect("b joined");
        assert_eq!(
            seen(&db).await,
            Vec::<i64>::new(),
            "A is not committed alone"
        );
        insert(&db, &mut b, 2).await;
        // B fails: a row that is already there (A's, seen inside the group's transaction).
        let mut dup = Batch::new();
        dup.add("INSERT INTO t (x) VALUES ($1)").bind(1_i64);
        assert!(dup.run(&mut b).await.is_err(), "A's row is visible to B");
        drop(b);
        // C gets the writer after B's rollback and commits the group.
        let mut c = c_started.await.expect("c joined");
        insert(&db, &mut c, 3).await;
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
        let dir = tempfile::tempdir().expect("dir");
        let db = db(&dir).await;

        let mut a = db.begin().await.expect("a");
        insert(&db, &mut a, 1).await;
        let db_b = db.clone();
        let b = tokio::spawn(async move { db_b.begin().await.expect("b") });
        while db.group.as_ref().expect("sqlite").lock().queue.is_empty() {
            tokio::task::yield_now().await;
        }
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
        insert(&db, &mut b, 2).await;
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
        let dir = tempfile::tempdir().expect("dir");
        let db = db(&dir).await;

        let mut a = db.begin().await.expect("a");
        insert(&db, &mut a, 1).await;
        let db_b = db.clone();
        let b = tokio::spawn(async move { db_b.begin().await.map(drop) });
        while db.group.as_ref().expect("sqlite").lock().queue.is_empty() {
            tokio::task::yield_now().await;
        }
        b.abort();
        let _ = b.await;
        a.commit().await.expect("a commits");
        assert_eq!(seen(&db).await, vec![1]);
        // The writer is free again: a new transaction starts and commits.
        let mut d = db.begin().await.expect("d");
        insert(&db, &mut d, 2).await;
        d.commit().await.expect("d commits");
        assert_eq!(seen(&db).await, vec![1, 2]);
    }
}
