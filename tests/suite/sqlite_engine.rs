//! SQLite's process-wide settings are made before this process opens its first database.
//! Every SQLite database the suite opens goes through `Db::connect`, as the server's do, so
//! the check holds whichever test opened one first.

use partnerhub::app::store::{sqlite_engine, Db};
use sqlx::Row;

#[tokio::test]
async fn sqlite_keeps_no_memory_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("engine.db").display());
    let db = Db::connect(&url, 2).await.unwrap();
    db.migrate().await.unwrap();
    // Reads that allocate inside SQLite (a JSON aggregate of a few hundred rows).
    let row = sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) \
         SELECT length(json_group_array(json_array(i, 'row ' || i))) AS len FROM n",
    )
    .fetch_one(&db.read)
    .await
    .unwrap();
    assert!(row.get::<i64, _>("len") > 5_000);
    // With the statistics on, every one of those allocations took one mutex shared by all
    // connections, and the bytes in use would read above zero here.
    assert!(
        !sqlite_engine::memory_statistics_on(),
        "SQLite counts its allocations under a process-wide mutex"
    );
}
