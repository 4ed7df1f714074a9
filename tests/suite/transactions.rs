//! The write transaction (`store::Tx`) begins with its first statement and may commit with
//! its last batch. Whatever way it ends, what it wrote is all there or not there at all, and
//! the write connection (on SQLite the only one) comes back clean for the next transaction.

use crate::support::TestApp;
use partnerhub::app::store::batch::Batch;
use partnerhub::app::store::Db;

const KEY: &str = "tx-test";
/// Window starts far in the future, which housekeeping never purges.
const BASE: i64 = 1 << 50;

/// Adds a rate-limit window `at` to `b`.
fn window(b: &mut Batch<'_>, at: i64) {
    b.add("INSERT INTO rate_limit_windows (limit_key, window_start, used) VALUES ($1, $2, 1)")
        .bind(KEY)
        .bind(BASE + at);
}

/// The windows written so far, read outside any transaction.
async fn windows(db: &Db) -> Vec<i64> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT window_start FROM rate_limit_windows WHERE limit_key = $1 ORDER BY window_start",
    )
    .bind(KEY)
    .fetch_all(&db.read)
    .await
    .unwrap();
    rows.into_iter().map(|(w,)| w - BASE).collect()
}

/// A transaction that must start clean on the write connection: it sees no transaction
/// left open (a second BEGIN would fail) and commits.
async fn clean_commit(db: &Db, at: i64) {
    let tx = db.begin().await.unwrap();
    let mut b = Batch::new();
    window(&mut b, at);
    b.commit(tx)
        .await
        .expect("the write connection came back clean");
}

#[tokio::test]
async fn a_transaction_commits_whole_or_rolls_back_whole_and_leaves_the_writer_clean() {
    let t = TestApp::spawn().await;
    let db = &t.app.db;

    // A batch alone, begun and committed in one trip on SQLite.
    clean_commit(db, 1).await;
    assert_eq!(windows(db).await, vec![1]);

    // A batch failing at its second statement: nothing of it stays.
    let tx = db.begin().await.unwrap();
    let mut b = Batch::new();
    window(&mut b, 2);
    window(&mut b, 1);
    let err = b.commit(tx).await.expect_err("window 1 exists");
    assert!(partnerhub::app::store::is_unique_violation(&err), "{err}");
    assert_eq!(windows(db).await, vec![1], "window 2 was rolled back");
    clean_commit(db, 3).await;

    // A transaction dropped after a statement sent with the BEGIN riding on it.
    let mut tx = db.begin().await.unwrap();
    let sql = tx.opening(
        "INSERT INTO rate_limit_windows (limit_key, window_start, used) VALUES ($1, $2, 1)",
    );
    sqlx::query(&sql)
        .bind(KEY)
        .bind(BASE + 4)
        .execute(tx.conn().await.unwrap())
        .await
        .unwrap();
    drop(tx);
    clean_commit(db, 5).await;
    assert_eq!(windows(db).await, vec![1, 3, 5], "window 4 was rolled back");

    // A transaction dropped after a batch ran in it, and one dropped after a statement that
    // failed: both roll back.
    let mut tx = db.begin().await.unwrap();
    let mut b = Batch::new();
    window(&mut b, 6);
    b.run(&mut tx).await.unwrap();
    drop(tx);
    let mut tx = db.begin().await.unwrap();
    let mut b = Batch::new();
    window(&mut b, 7);
    b.run(&mut tx).await.unwrap();
    let failed = sqlx::query("INSERT INTO no_such_table VALUES (1)")
        .execute(tx.conn().await.unwrap())
        .await;
    assert!(failed.is_err());
    drop(tx);
    clean_commit(db, 8).await;
    assert_eq!(windows(db).await, vec![1, 3, 5, 8]);

    // A transaction with nothing sent commits nothing and holds nothing.
    db.begin().await.unwrap().commit().await.unwrap();
    // Statements then an explicit commit.
    let mut tx = db.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO rate_limit_windows (limit_key, window_start, used) VALUES ($1, $2, 1)",
    )
    .bind(KEY)
    .bind(BASE + 9)
    .execute(tx.conn().await.unwrap())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    clean_commit(db, 10).await;
    assert_eq!(windows(db).await, vec![1, 3, 5, 8, 9, 10]);
}

/// `Batch::fetch`: the writes, then each read, in one trip on SQLite; each read gets its own
/// rows (none of another's), sees the writes before it, and binds its own values after the
/// batch's. A failing read fails the trip, and nothing of it stays.
#[tokio::test]
async fn a_trip_of_writes_and_reads_gives_each_read_its_own_rows() {
    use partnerhub::app::store::batch::Read;
    use sqlx::Row;
    let t = TestApp::spawn().await;
    let db = &t.app.db;
    let count = |from: i64| {
        Read::new(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM rate_limit_windows \
             WHERE limit_key = $1 AND window_start >= $2",
        )
        .text(KEY)
        .int(BASE + from)
    };
    let listed = || {
        Read::new(
            "SELECT window_start FROM rate_limit_windows WHERE limit_key = $1 ORDER BY window_start",
        )
        .text(KEY)
    };

    let mut tx = db.begin().await.unwrap();
    let mut b = Batch::new();
    window(&mut b, 1);
    window(&mut b, 2);
    window(&mut b, 3);
    let rows = b
        .fetch(&mut tx, &[count(2), listed(), count(9)])
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    let n = |r: &[sqlx::any::AnyRow]| r[0].get::<i64, _>("n");
    assert_eq!(n(&rows[0]), 2, "windows 2 and 3, written before the read");
    let starts: Vec<i64> = rows[1]
        .iter()
        .map(|r| r.get::<i64, _>("window_start") - BASE)
        .collect();
    assert_eq!(starts, vec![1, 2, 3]);
    assert_eq!(n(&rows[2]), 0);
    // Reads alone, in a transaction already open: the rows of the writes just made.
    let rows = Batch::new().fetch(&mut tx, &[listed()]).await.unwrap();
    assert_eq!(rows[0].len(), 3);
    tx.commit().await.unwrap();
    assert_eq!(windows(db).await, vec![1, 2, 3]);

    // A read that fails fails the trip; the transaction, dropped, leaves nothing.
    let mut tx = db.begin().await.unwrap();
    let mut b = Batch::new();
    window(&mut b, 4);
    let err = b
        .fetch(
            &mut tx,
            &[listed(), Read::new("SELECT x FROM no_such_table")],
        )
        .await;
    assert!(err.is_err());
    drop(tx);
    // A read bound short is refused before anything runs.
    let mut tx = db.begin().await.unwrap();
    let short = Read::new("SELECT $1 AS a, $2 AS b").text("only one");
    assert!(Batch::new().fetch(&mut tx, &[short]).await.is_err());
    drop(tx);
    clean_commit(db, 5).await;
    assert_eq!(windows(db).await, vec![1, 2, 3, 5]);
}
