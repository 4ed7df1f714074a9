//! SQLite's WAL checkpoints run beside the single writer, not in it (`app::checkpoints`):
//! the server turns the writer's own checkpoints off, and its timer copies the WAL into the
//! database file on a read connection. The WAL is kept to its size limit even while readers
//! hold snapshots in it, and a stopped server leaves it empty.

use crate::support::TestApp;
use partnerhub::app::store::{Backend, Db, WalReset};
use std::time::{Duration, Instant};

/// The SQLite file behind a `sqlite:` URL.
fn file_of(url: &str) -> std::path::PathBuf {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    rest.split('?').next().unwrap().into()
}

/// The size of the WAL beside the SQLite file behind `url` (0 when there is none).
fn wal_len(url: &str) -> u64 {
    let mut wal = file_of(url).into_os_string();
    wal.push("-wal");
    std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

/// About 1.5 MB of new rows (3,000 of some 500 bytes) in one transaction, tagged `tag`.
async fn write_rows(db: &Db, tag: &str) {
    let mut tx = db.begin().await.unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) \
         INSERT INTO rate_limit_windows (limit_key, window_start, used) \
         SELECT $1 || '-' || i || replace(hex(zeroblob(250)), '0', 'x'), $2, 1 FROM n",
    )
    .bind(tag)
    .bind(1_i64 << 50)
    .execute(tx.conn().await.unwrap())
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// One small committed write (a reset WAL's file is cut to its limit at a commit).
async fn write_one(db: &Db, key: &str) {
    sqlx::query("INSERT INTO rate_limit_windows (limit_key, window_start, used) VALUES ($1, 1, 1)")
        .bind(key)
        .execute(&db.write)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_wal_is_checkpointed_by_the_servers_timer_not_by_the_writer() {
    let t = TestApp::spawn().await;
    let db = &t.app.db;
    if db.backend == Backend::Postgres {
        // PostgreSQL has no WAL for the server to copy: nothing is done, and nothing claimed.
        assert_eq!(db.checkpoint().await.unwrap(), None);
        return;
    }
    let (auto,): (i64,) = sqlx::query_as("PRAGMA wal_autocheckpoint")
        .fetch_one(&db.write)
        .await
        .unwrap();
    assert_eq!(
        auto, 0,
        "the writer leaves checkpoints to the server's timer"
    );
    let (limit,): (i64,) = sqlx::query_as("PRAGMA journal_size_limit")
        .fetch_one(&db.write)
        .await
        .unwrap();
    assert_eq!(
        limit,
        64 << 20,
        "the writer cuts the WAL to --sqlite-wal-limit-mb"
    );

    let file = file_of(&t.app.config.database_url);
    let before = std::fs::metadata(&file).unwrap().len();
    // About 1.5 MB of new rows (some 400 pages: fewer than the thousand after which the
    // writer would checkpoint by SQLite's default), committed in one transaction. They land
    // in the WAL; the database file grows only when a checkpoint copies them.
    let mut tx = db.begin().await.unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) \
         INSERT INTO rate_limit_windows (limit_key, window_start, used) \
         SELECT 'checkpoint-' || i || replace(hex(zeroblob(250)), '0', 'x'), $1, 1 FROM n",
    )
    .bind(1_i64 << 50)
    .execute(tx.conn().await.unwrap())
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = std::fs::metadata(&file).unwrap().len();
        if now >= before + 1_000_000 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the database file stayed at {now} bytes (from {before}): no checkpoint copied the WAL"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_wal_grown_while_a_reader_held_it_is_cut_back_to_its_limit() {
    const LIMIT: u64 = 1 << 20;
    let t = TestApp::spawn_with(|c| c.sqlite_wal_limit_mb = 1).await;
    let db = &t.app.db;
    if db.backend == Backend::Postgres {
        assert_eq!(db.reset_wal(WalReset::Restart).await.unwrap(), None);
        return;
    }
    let url = &t.app.config.database_url;

    // A reader holds a snapshot, as some reader always does under steady load: what is
    // written after it cannot all be copied, and the WAL cannot start again while it stays.
    let mut reader = db.read.acquire().await.unwrap();
    sqlx::raw_sql("BEGIN").execute(&mut *reader).await.unwrap();
    sqlx::query("SELECT COUNT(*) FROM tenants")
        .fetch_one(&mut *reader)
        .await
        .unwrap();
    for k in 0..3 {
        write_rows(db, &format!("held-{k}")).await;
    }
    let grown = wal_len(url);
    assert!(
        grown > 3 * LIMIT,
        "4.5 MB written under a held reader: the WAL holds {grown} bytes"
    );
    // A reset tried now gives up on the reader instead of holding the writer for it.
    assert_eq!(db.reset_wal(WalReset::Restart).await.unwrap(), Some(false));
    write_one(db, "while-held").await;
    assert!(
        wal_len(url) >= grown,
        "nothing can cut the WAL under the reader"
    );

    sqlx::raw_sql("COMMIT").execute(&mut *reader).await.unwrap();
    drop(reader);
    // Now the server's timer resets it; the next commit cuts the file to the limit. Small
    // writes keep coming in the meantime, as they would on a live server.
    let deadline = Instant::now() + Duration::from_secs(20);
    for k in 0.. {
        write_one(db, &format!("after-{k}")).await;
        let now = wal_len(url);
        if now <= LIMIT {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the WAL stayed at {now} bytes (limit {LIMIT}) after the reader left"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Every row written is still there.
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM rate_limit_windows WHERE limit_key LIKE 'held-%'")
            .fetch_one(&db.read)
            .await
            .unwrap();
    assert_eq!(n, 9000);
}

#[tokio::test]
async fn a_stopped_server_leaves_no_wal_to_read_through() {
    let mut t = TestApp::spawn().await;
    if t.app.db.backend == Backend::Postgres {
        // No WAL file of ours to empty: nothing is done, and nothing claimed.
        assert_eq!(t.app.db.reset_wal(WalReset::Truncate).await.unwrap(), None);
        return;
    }
    let url = t.app.config.database_url.clone();
    write_rows(&t.app.db, "before-stop").await;
    assert!(wal_len(&url) > 1_000_000, "the rows are in the WAL");
    t.running.take().unwrap().shutdown().await;
    assert_eq!(
        wal_len(&url),
        0,
        "the server's last pass copied the WAL into the file and emptied it"
    );
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM rate_limit_windows WHERE limit_key LIKE 'before-stop-%'",
    )
    .fetch_one(&t.app.db.read)
    .await
    .unwrap();
    assert_eq!(n, 3000);
}

/// The reset itself, with no timer around it: it copies what no passive pass has copied yet
/// and has the next write start the WAL again, cutting its file to the writer's limit. A
/// write alone would not: the WAL is not all copied.
#[tokio::test]
async fn a_reset_starts_the_wal_again_and_the_next_commit_cuts_its_file() {
    const LIMIT: u64 = 1 << 20;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("reset.db").display());
    let db = Db::connect(&url, 2).await.unwrap();
    db.checkpoint_off_the_writer(LIMIT as i64).await.unwrap();
    let (limit,): (i64,) = sqlx::query_as("PRAGMA journal_size_limit")
        .fetch_one(&db.write)
        .await
        .unwrap();
    assert_eq!(limit, LIMIT as i64, "the writer knows the WAL's limit");
    sqlx::raw_sql(
        "CREATE TABLE rate_limit_windows (limit_key TEXT PRIMARY KEY, window_start INTEGER, used INTEGER)",
    )
    .execute(&db.write)
    .await
    .unwrap();
    for k in 0..2 {
        write_rows(&db, &format!("bulk-{k}")).await;
    }
    let grown = wal_len(&url);
    assert!(
        grown > 2 * LIMIT,
        "3 MB written: the WAL holds {grown} bytes"
    );
    write_one(&db, "before-reset").await;
    assert!(
        wal_len(&url) >= grown,
        "nothing copied, nothing started again"
    );

    assert_eq!(db.reset_wal(WalReset::Restart).await.unwrap(), Some(true));
    write_one(&db, "after-reset").await;
    let now = wal_len(&url);
    assert!(
        now <= LIMIT,
        "the WAL's file is {now} bytes (limit {LIMIT})"
    );
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM rate_limit_windows")
        .fetch_one(&db.read)
        .await
        .unwrap();
    assert_eq!(n, 6002, "every row is in the database");
}
