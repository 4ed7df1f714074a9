//! Statements that run for every mail queued or on every housekeeping pass find their rows
//! through an index. A scan costs nothing in a test database and seconds in a large one: the
//! mail language lookup once compared `lower(upn)` and read all two million users of the large
//! bench world for each order's mail, inside the order's transaction. The plans are SQLite's
//! (`EXPLAIN QUERY PLAN` on a freshly migrated file, whichever engine the suite runs on):
//! PostgreSQL's planner picks sequential scans for empty tables whatever the indexes.

use partnerhub::app::store::{customers, idempotency, identity, ratelimit, sessions, Db};
use sqlx::Row;

/// A freshly migrated SQLite file, without statistics, as the product makes one.
async fn fresh_db() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("plans.db").display());
    let db = Db::connect(&url, 2).await.unwrap();
    db.migrate().await.unwrap();
    (dir, db)
}

#[tokio::test]
async fn per_mail_and_housekeeping_statements_use_an_index() {
    let (_dir, db) = fresh_db().await;
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

/// The plan of `sql` with `args` bound, one line per step.
async fn plan_of(db: &Db, sql: &str, args: &[&str]) -> Vec<String> {
    let explain = format!("EXPLAIN QUERY PLAN {sql}");
    let mut q = sqlx::query(&explain);
    for a in args {
        q = q.bind(*a);
    }
    q.fetch_all(&db.read)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>("detail").unwrap())
        .collect()
}

/// The statement every API request rebuilds its caller with (and, on a customer's URL, the
/// customer as the caller sees it; on a portal page, with the session) sorts nothing, reads
/// the pair's relationship once, and ends its small lookups in indexes that carry the
/// columns it reads; a customer list page walks one index and reads no table row per
/// customer.
#[tokio::test]
async fn per_request_and_list_page_statements_read_indexes_only_where_they_can() {
    let (_dir, db) = fresh_db().await;

    let customer = "01a23554-06e3-731d-a900-00a398133a70".parse().unwrap();
    let riders = [
        (identity::Rider::Nothing, &["u"][..], 0),
        (
            identity::Rider::Customer(customer, 0),
            &["u", "c", "0"][..],
            1,
        ),
        (
            identity::Rider::CustomerList {
                partner: customer,
                after: None,
                limit: 101,
            },
            &["u", "p", "", ""][..],
            1,
        ),
    ];
    for (rider, args, relationship_walks) in riders {
        let sql = identity::caller_statement(db.backend, rider);
        // Every API request runs it: it reads what authorizing needs, never a secret.
        for secret in ["password_hash", "totp_secret"] {
            assert!(!sql.contains(secret), "{rider:?} reads {secret}: {sql}");
        }
        let plan = plan_of(&db, sql, args).await;
        let mut covered = vec!["partner_agreements", "p", "r"];
        if let identity::Rider::Customer(..) = rider {
            covered.extend(["cr", "g"]);
        }
        assert_caller_plan(&format!("{rider:?}"), &plan, &covered);
        let relationship_reads = plan.iter().filter(|d| d.contains("relationships")).count();
        assert_eq!(
            relationship_reads, relationship_walks,
            "{rider:?}: relationships are read once, and only when asked for: {plan:?}"
        );
        if let identity::Rider::CustomerList { .. } = rider {
            assert!(
                plan.iter().any(|d| d
                    .starts_with("SEARCH r USING COVERING INDEX relationships_for_lists")),
                "a page read with the caller reads a table row per customer: {plan:?}"
            );
        }
    }

    // The portal's form: the session and its signed-in user, and on a view of the customer
    // list, the list's page read with them.
    let sql = sessions::with_actor_statement(db.backend, None);
    let plan = plan_of(&db, sql, &["h", "0"]).await;
    assert_caller_plan("a portal session", &plan, &["partner_agreements", "p", "r"]);
    assert!(
        plan.iter().any(|d| d.starts_with("SEARCH s USING INDEX")),
        "a portal page finds its session by scanning: {plan:?}"
    );
    assert!(
        !plan.iter().any(|d| d.contains("relationships")),
        "a portal page reads customers it did not ask for: {plan:?}"
    );
    let sql = sessions::with_actor_statement(db.backend, Some(101));
    let plan = plan_of(&db, sql, &["h", "0", "", ""]).await;
    assert_caller_plan("a portal list page", &plan, &["partner_agreements", "p"]);
    assert!(
        plan.iter().any(|d| d.starts_with("SEARCH s USING INDEX")),
        "a portal list page finds its session by scanning: {plan:?}"
    );
    assert!(
        plan.iter()
            .any(|d| d.starts_with("SEARCH r USING COVERING INDEX relationships_for_lists")),
        "a portal list page read with its session reads a table row per customer: {plan:?}"
    );
    assert_eq!(
        plan.iter().filter(|d| d.contains("relationships")).count(),
        1,
        "the page walks the list's index once: {plan:?}"
    );

    for extra in [
        customers::Extra::Total,
        customers::Extra::ResellerNamesAndTotal,
    ] {
        let sql = customers::page_statement(db.backend, None, 100, extra);
        let plan = plan_of(&db, &sql, &["p", "", ""]).await;
        assert!(
            plan.iter()
                .any(|d| d.starts_with("SEARCH r USING COVERING INDEX relationships_for_lists")),
            "a list page reads a table row per customer: {plan:?}"
        );
        let read: Vec<&str> = plan
            .iter()
            .filter_map(|d| d.strip_prefix("SEARCH ").or(d.strip_prefix("SCAN ")))
            .filter_map(|d| d.split(' ').next())
            .collect();
        assert!(
            read.iter()
                .all(|t| ["CONSTANT", "customer_counts", "r", "p"].contains(t)),
            "a list page reads its total and its range of the list's index, nothing per row \
             (such as the reseller's tenant): {plan:?}"
        );
    }
}

/// The caller's statement sorts nothing and ends the lookups of the aliases `covered` in
/// indexes carrying what it reads.
fn assert_caller_plan(what: &str, plan: &[String], covered: &[&str]) {
    assert!(
        !plan.iter().any(|d| d.contains("TEMP B-TREE")),
        "{what}: the caller's statement sorts on every request: {plan:?}"
    );
    for alias in covered {
        assert!(
            plan.iter().any(|d| {
                let d = d.strip_prefix("SCAN ").or(d.strip_prefix("SEARCH "));
                d.is_some_and(|d| d.starts_with(&format!("{alias} USING COVERING INDEX")))
            }),
            "{what}: {alias} is not read from a covering index: {plan:?}"
        );
    }
}

/// What an order or a licence change reads by key finds it through an index: the catalog
/// entries of all its lines (one primary-key search per line, not a scan of the catalog) and
/// a customer's seats (through the customer's subscriptions, not every subscription).
#[tokio::test]
async fn order_and_seat_statements_search_by_key() {
    let (_dir, db) = fresh_db().await;
    for lines in [1, 3] {
        let sql = partnerhub::app::store::commerce::catalog_entries_sql(lines);
        let args: Vec<&str> = vec!["x"; 3 * lines];
        let plan = plan_of(&db, &sql, &args).await;
        assert!(
            plan.iter()
                .any(|d| d.starts_with("SEARCH a USING INDEX sqlite_autoindex_availabilities_1")),
            "{lines} lines: {plan:?}"
        );
        assert!(
            plan.iter()
                .any(|d| d.starts_with("SEARCH k USING INDEX sqlite_autoindex_skus_1")),
            "{lines} lines: {plan:?}"
        );
        assert!(
            !plan.iter().any(|d| d.starts_with("SCAN ")),
            "{lines} lines: {plan:?}"
        );
    }
    let plan = plan_of(&db, partnerhub::app::licenses::SEATS, &["c"]).await;
    assert!(
        plan.iter()
            .any(|d| d.starts_with("SEARCH s USING INDEX subscriptions_by_customer")),
        "{plan:?}"
    );
    assert!(!plan.iter().any(|d| d.starts_with("SCAN ")), "{plan:?}");
}

/// An order moves the audit chain heads of its organisations by key even when the planner's
/// statistics were taken while the table was small (`ANALYZE` on a young database, as a world
/// generated for the benchmark has): the `UPDATE ... WHERE org_tenant_id IN (...)` it once
/// used was then planned as a scan of every head, and orders slowed as customers ordered.
#[tokio::test]
async fn chain_heads_move_by_key_whatever_the_statistics() {
    let (_dir, db) = fresh_db().await;
    for i in 0..4 {
        sqlx::query("INSERT INTO audit_heads (org_tenant_id, seq, hash) VALUES ($1, 0, 'h')")
            .bind(format!("org-{i}"))
            .execute(&db.write)
            .await
            .unwrap();
    }
    sqlx::raw_sql("ANALYZE").execute(&db.write).await.unwrap();
    for orgs in [1, 2, 3] {
        let sql = partnerhub::app::store::audit::move_heads_sql(orgs);
        let args: Vec<&str> = vec!["x"; 3 * orgs];
        let plan = plan_of(&db, &sql, &args).await;
        assert!(
            !plan.iter().any(|d| d.contains("SCAN audit_heads")),
            "{orgs} organisations: {plan:?}"
        );
    }
    let lock = partnerhub::app::store::audit::lock_heads(&["a", "b", "c"]);
    let plan = plan_of(&db, lock.sql(), &["a", "b", "c", "g"]).await;
    assert!(
        !plan.iter().any(|d| d.contains("SCAN audit_heads")),
        "{plan:?}"
    );
}
