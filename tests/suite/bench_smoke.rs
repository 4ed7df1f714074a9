//! The benchmark harness itself, at a tiny scale: `bench generate` builds a consistent world
//! and `bench run` drives every workload without an error. Speed is never asserted here.

use crate::support::fresh_database_url;
use serde_json::Value;
use sqlx::any::AnyPoolOptions;
use sqlx::Row;
use std::process::Command;

fn partnerhub(args: &[&str], db: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_partnerhub"))
        .args(args)
        .env("PARTNERHUB_DATABASE_URL", db)
        .env("PARTNERHUB_LOG", "warn")
        .output()
        .expect("run partnerhub");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn count(pool: &sqlx::AnyPool, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get::<i64, _>(0)
}

#[tokio::test]
async fn bench_generate_builds_a_consistent_world_and_bench_run_measures_every_workload() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_url(&dir).await;
    // Scale 0.0005: 2 providers, 5 resellers, 500 customers.
    let (code, out, err) = partnerhub(&["bench", "generate", "--scale", "0.0005"], &db);
    assert_eq!(code, 0, "generate failed: {err}");
    assert!(out.contains("500 customers"), "{out}");
    assert!(out.contains("database size"), "{out}");

    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&db.replace("sqlite:", "sqlite://"))
        .await
        .unwrap();
    let c = |sql: &'static str| count(&pool, sql);
    assert_eq!(
        c("SELECT COUNT(*) FROM tenants WHERE kind = 'customer'").await,
        500
    );
    assert_eq!(
        c("SELECT COUNT(*) FROM partners WHERE is_reseller = 1").await,
        5
    );
    assert_eq!(
        c("SELECT COUNT(*) FROM partners WHERE is_provider = 1").await,
        2
    );
    if db.starts_with("sqlite:") {
        // The planner's per-index summary is kept, its sampled values are not: with samples
        // present SQLite re-plans every statement whose bound values change.
        assert!(c("SELECT COUNT(*) FROM sqlite_stat1").await > 0);
        assert_eq!(c("SELECT COUNT(*) FROM sqlite_stat4").await, 0);
    }
    assert_eq!(c("SELECT COUNT(*) FROM subscriptions").await, 1500);
    assert_eq!(c("SELECT COUNT(*) FROM license_assignments").await, 1000);
    // Every customer: a relationship and a live grant with its reseller and its provider,
    // and the provider is partnered with that reseller.
    assert_eq!(
        c("SELECT COUNT(*) FROM customer_relationships WHERE state = 'active'").await,
        1000
    );
    assert_eq!(
        c("SELECT COUNT(*) FROM admin_grants WHERE status = 'active'").await,
        1000
    );
    assert_eq!(
        c("SELECT COUNT(*) FROM customer_relationships r WHERE r.indirect_reseller_tenant_id IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM partnerships p WHERE p.provider_tenant_id = r.partner_tenant_id \
           AND p.reseller_tenant_id = r.indirect_reseller_tenant_id AND p.state = 'active')")
        .await,
        0
    );
    // The channel rule holds in the generated world: every subscription names a reseller of
    // record with an active relationship with its customer and an active partnership with
    // the provider billed (`domain::channel`).
    assert_eq!(
        c("SELECT COUNT(*) FROM subscriptions s WHERE s.reseller_tenant_id IS NULL \
           OR NOT EXISTS (SELECT 1 FROM customer_relationships r WHERE r.customer_tenant_id = s.customer_tenant_id \
           AND r.partner_tenant_id = s.reseller_tenant_id AND r.state = 'active') \
           OR NOT EXISTS (SELECT 1 FROM partnerships p WHERE p.provider_tenant_id = s.provider_tenant_id \
           AND p.reseller_tenant_id = s.reseller_tenant_id AND p.state = 'active')")
        .await,
        0
    );
    // Seats cover every assigned license.
    assert_eq!(
        c("SELECT COUNT(*) FROM license_assignments l WHERE NOT EXISTS (SELECT 1 FROM subscriptions s \
           WHERE s.customer_tenant_id = l.customer_tenant_id AND s.product_id = l.product_id \
           AND s.sku_id = l.sku_id AND s.status = 'active')")
        .await,
        0
    );
    // The trigger-kept list totals agree with a count of the rows.
    assert_eq!(
        c("SELECT COUNT(*) FROM customer_counts k WHERE k.active <> (SELECT COUNT(*) FROM customer_relationships r \
           WHERE r.partner_tenant_id = k.partner_tenant_id AND r.state = 'active')")
        .await,
        0
    );
    assert_eq!(
        c("SELECT CAST(COALESCE(SUM(active), 0) AS BIGINT) FROM customer_counts").await,
        1000
    );
    let orders_before = c("SELECT COUNT(*) FROM orders").await;
    assert_eq!(orders_before, 500);

    let (code, out, err) = partnerhub(&["audit", "verify"], &db);
    assert_eq!(code, 0, "audit chains after generate: {out} {err}");

    let json = dir.path().join("bench.json");
    let (code, out, err) = partnerhub(
        &[
            "bench",
            "run",
            "--seconds",
            "1",
            "--warmup",
            "0.2",
            "--slice-seconds",
            "0.25",
            "--concurrency",
            "4",
            "--sample",
            "200",
            "--deep-page",
            "3",
            "--json",
            json.to_str().unwrap(),
        ],
        &db,
    );
    assert_eq!(code, 0, "run failed: {out} {err}");
    assert!(out.contains("ratio to ceiling"), "{out}");
    let summary: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(summary["customers"], 500);
    // The largest provider serves 300 customers: three pages of 100.
    assert_eq!(summary["deep_page"], 3);
    assert!(summary["server_peak_rss_kb"].as_u64().unwrap() > 0);
    let outcomes = summary["outcomes"].as_array().unwrap();
    let names: Vec<&str> = outcomes
        .iter()
        .map(|o| o["workload"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "ceiling: fixed JSON",
            "ceiling: indexed read",
            "ceiling: two-insert tx",
            "authorized read",
            "list page 1",
            "list page 3",
            "order",
            "license update (grants)",
            "mixed 90/9/1",
            "portal customer list page",
            "event to webhook delivered",
        ]
    );
    for o in outcomes {
        assert!(o["requests"].as_u64().unwrap() > 0, "{o}");
        assert_eq!(o["errors"], 0, "{o}");
    }
    for o in &outcomes[3..] {
        assert!(o["ratio"].as_f64().unwrap() > 0.0, "{o}");
    }
    // Each request workload alternates with its ceiling in slices (one second measured
    // in all, slices of a quarter second: four), and its ratio is to the ceiling's figure
    // in those slices (the event-to-webhook flow keeps the run's first ceiling).
    for o in &outcomes[3..10] {
        assert_eq!(o["slices"], 4, "{o}");
        let ceiling = o["ceiling_per_second"].as_f64().unwrap();
        let ratio = o["per_second"].as_f64().unwrap() / ceiling;
        assert!((o["ratio"].as_f64().unwrap() - ratio).abs() < 1e-9, "{o}");
    }
    assert!(outcomes[10]["ceiling_per_second"].is_null());
    assert_eq!(outcomes[10]["slices"], 0);
    let orders = outcomes.iter().find(|o| o["workload"] == "order").unwrap()["requests"]
        .as_i64()
        .unwrap();
    assert!(
        c("SELECT COUNT(*) FROM orders").await >= orders_before + orders,
        "every measured order was written"
    );
    let (code, out, err) = partnerhub(&["audit", "verify"], &db);
    assert_eq!(code, 0, "audit chains after the run: {out} {err}");
}
