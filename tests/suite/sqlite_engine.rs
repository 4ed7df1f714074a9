//! The SQLite library the product links is compiled without the two process-wide mutexes
//! every reader thread took (`.cargo/config.toml`): one page-cache group shared by all
//! connections, and counted allocations.

use partnerhub::app::store::Db;
use sqlx::Row;

#[tokio::test]
async fn sqlite_is_built_without_process_wide_page_cache_and_memory_counting() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("engine.db").display());
    let db = Db::connect(&url, 2).await.unwrap();
    let options: Vec<String> = sqlx::query("PRAGMA compile_options")
        .fetch_all(&db.read)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect();
    // Sanity: the list is the library's own (libsqlite3-sys always turns these on).
    assert!(options.iter().any(|o| o == "THREADSAFE=1"), "{options:?}");
    assert!(options.iter().any(|o| o == "ENABLE_FTS5"), "{options:?}");
    assert!(
        !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
        "every connection's page cache shares one mutex: {options:?}"
    );
    assert!(
        options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
        "SQLite counts its allocations under one mutex: {options:?}"
    );
}
