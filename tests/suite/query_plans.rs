//! Statements that run for every mail queued or on every housekeeping pass find their rows
//! through an index. A scan costs nothing in a test database and seconds in a large one: the
//! mail language lookup once compared `lower(upn)` and read all two million users of the large
//! bench world for each order's mail, inside the order's transaction. The plans are SQLite's
//! (`EXPLAIN QUERY PLAN` on a freshly migrated file, whichever engine the suite runs on):
//! PostgreSQL's planner picks sequential scans for empty tables whatever the indexes.

use partnerhub::app::store::{idempotency, identity, ratelimit, sessions, Db};
use sqlx::Row;

#[tokio::test]
async fn per_mail_and_housekeeping_statements_use_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("plans.db").display());
    let db = Db::connect(&url, 2).await.unwrap();
    db.migrate().await.unwrap();
    let statements = [
        ("users", identity::LANGUAGE_OF_UPN),
        ("idempotency_keys", idempotency::PURGE),
        ("rate_limit_windows", ratelimit::PURGE),
        ("sessions", sessions::PURGE),
    ];
    for (table, sql) in statements {
        let plan: Vec<String> = sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
            .bind(0i64)
            .fetch_all(&db.read)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String, _>("detail").unwrap())
            .collect();
        assert!(
            plan.iter()
                .any(|d| d.starts_with(&format!("SEARCH {table} USING"))),
            "{sql}: {plan:?}"
        );
        assert!(
            !plan.iter().any(|d| d == &format!("SCAN {table}")),
            "{sql} reads every row of {table}: {plan:?}"
        );
    }
}
