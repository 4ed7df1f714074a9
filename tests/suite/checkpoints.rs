//! SQLite's WAL checkpoints run beside the single writer, not in it (`app::checkpoints`):
//! the server turns the writer's own checkpoints off, and its timer copies the WAL into the
//! database file on a read connection.

use crate::support::TestApp;
use partnerhub::app::store::Backend;
use std::time::{Duration, Instant};

/// The SQLite file behind a `sqlite:` URL.
fn file_of(url: &str) -> std::path::PathBuf {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    rest.split('?').next().unwrap().into()
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
