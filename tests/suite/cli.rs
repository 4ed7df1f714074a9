//! The `partnerhub` binary: migrations, operator creation, membership import, audit verify.

use crate::support::{fresh_database_url, TestApp};
use partnerhub::config::Config;
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

#[tokio::test]
async fn operator_creation_membership_import_and_audit_verify_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_url(&dir).await;
    let (code, out, err) = partnerhub(&["migrate"], &db);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("migrations applied"));
    assert!(!out.contains("password") && !err.contains("secret"));

    let (code, _, err) = partnerhub(
        &[
            "admin",
            "create-operator",
            "--email",
            "ops@vendor.example",
            "--password",
            "Operator-Pass-1",
        ],
        &db,
    );
    assert_eq!(code, 0, "{err}");
    // A weak password is refused with the reason.
    let (code, _, err) = partnerhub(
        &[
            "admin",
            "create-operator",
            "--email",
            "ops2@vendor.example",
            "--password",
            "short",
        ],
        &db,
    );
    assert_ne!(code, 0);
    assert!(err.contains("password"), "{err}");

    let csv = dir.path().join("members.csv");
    std::fs::write(
        &csv,
        "mpn_id,org_name,country,username,password,profile_id,profile_name,profile_country\n\
        9000001,Proseware,US,proseware,Member-Pass-1,9100001,Proseware US,US\n\
        9000001,Proseware,US,proseware,Member-Pass-1,9100002,Proseware KR,KR\n",
    )
    .unwrap();
    let (code, out, err) = partnerhub(&["admin", "import-memberships", csv.to_str().unwrap()], &db);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("imported 1 membership records"));
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "mpn_id,org_name,country,username,password,profile_id,profile_name,profile_country\nabc,X,ZZZ,u,p,1,,US\n").unwrap();
    let (code, _, err) = partnerhub(&["admin", "import-memberships", bad.to_str().unwrap()], &db);
    assert_eq!(code, 2);
    assert!(err.contains("line 2: mpn_id"), "{err}");

    let (code, out, _) = partnerhub(&["audit", "verify"], &db);
    assert_eq!(code, 0);
    assert!(out.contains("audit chains intact"), "{out}");

    // The operator can sign in to a server on the same database.
    let mut config = Config::defaults();
    config.database_url = db.clone();
    let app = partnerhub::app::App::start(config, partnerhub::clock::Clock::system())
        .await
        .unwrap();
    let user = partnerhub::app::identity::authenticate(
        &app,
        "ops@vendor.example",
        "Operator-Pass-1",
        "test",
    )
    .await
    .unwrap();
    let roles = partnerhub::app::store::identity::roles(&app.db, user.id)
        .await
        .unwrap();
    assert!(roles.contains(&partnerhub::domain::identity::Role::OperatorAdmin));
    assert_eq!(
        partnerhub::app::store::memberships::count(&app.db)
            .await
            .unwrap(),
        1
    );

    // Tampering is reported with a non-zero exit.
    sqlx::query("UPDATE audit_records SET operation = 'nothing' WHERE seq = 1")
        .execute(&app.db.write)
        .await
        .unwrap();
    let (code, out, _) = partnerhub(&["audit", "verify"], &db);
    assert_eq!(code, 3);
    assert!(out.contains("broken chain"), "{out}");
}

#[tokio::test]
async fn the_demo_world_loads_once_with_every_documented_organisation() {
    let t = TestApp::spawn().await;
    partnerhub::cli::demo::load(&t.app).await.unwrap();
    partnerhub::cli::demo::load(&t.app).await.unwrap();
    use partnerhub::domain::identity::TenantKind;
    let count = |k: TenantKind| {
        partnerhub::cli::demo::WORLD
            .iter()
            .filter(|o| o.kind == k)
            .count()
    };
    assert_eq!(count(TenantKind::Operator), 1);
    use sqlx::Row;
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM tenants")
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
        .get("n");
    assert_eq!(
        n as usize,
        partnerhub::cli::demo::WORLD.len(),
        "loaded once"
    );
    let orders: i64 = sqlx::query("SELECT COUNT(*) AS n FROM orders")
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
        .get("n");
    assert_eq!(
        orders as usize,
        partnerhub::cli::demo::CUSTOMERS.len(),
        "one demo order per customer"
    );
    let partnerships: i64 = sqlx::query("SELECT COUNT(*) AS n FROM partnerships")
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
        .get("n");
    assert_eq!(
        partnerships as usize,
        partnerhub::cli::demo::PARTNERSHIPS.len()
    );
    let (s, _) = t
        .token_response("admin@northwind.example", partnerhub::cli::demo::PASSWORD)
        .await;
    assert_eq!(s, 200);
    let (s, _) = t
        .token_response("admin@operator.example", partnerhub::cli::demo::PASSWORD)
        .await;
    assert_eq!(s, 200);
    // The first reseller has a referral from its provider waiting.
    let reseller = partnerhub::cli::demo::PARTNERSHIPS[0].1;
    let (_, tok) = t
        .token_response(
            &format!("admin@{reseller}"),
            partnerhub::cli::demo::PASSWORD,
        )
        .await;
    let token = tok["access_token"].as_str().unwrap().to_string();
    let (s, got) = t.get("/v1/referrals?direction=received", &token).await;
    assert_eq!(s, 200);
    assert_eq!(got["totalCount"], 1, "{got}");
    assert_eq!(got["items"][0]["substatus"], "pending");
}

#[tokio::test]
async fn audit_export_writes_every_record_as_a_json_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_url(&dir).await;
    let (code, _, err) = partnerhub(
        &[
            "admin",
            "create-operator",
            "--email",
            "ops@operator.example",
            "--password",
            "Correct-Horse-9-Battery",
        ],
        &db,
    );
    assert_eq!(code, 0, "{err}");
    let out = dir.path().join("audit.jsonl");
    let (code, _, err) = partnerhub(&["audit", "export", "--out", out.to_str().unwrap()], &db);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(!lines.is_empty());
    assert!(
        err.contains(&format!("exported {} audit records", lines.len())),
        "{err}"
    );
    for r in &lines {
        for k in [
            "id",
            "seq",
            "orgTenantId",
            "operation",
            "hash",
            "prevHash",
            "createdAt",
        ] {
            assert!(!r[k].is_null(), "{k} in {r}");
        }
    }
    let (code, _, err) = partnerhub(&["audit", "export", "--since", "24-11-2026"], &db);
    assert_ne!(code, 0);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}

/// `bench run` against a server already running (`--url`) reads that server's database but
/// never changes its schema: a database without this build's migrations, or one behind, is
/// refused with the reason and left as it was. (A newer client once migrated the database
/// under an older server, which then failed to start again.)
#[tokio::test]
async fn bench_run_against_a_running_server_never_migrates_its_database() {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_url(&dir).await;
    let run = [
        "bench",
        "run",
        "--url",
        "http://127.0.0.1:9",
        "--seconds",
        "0.1",
    ];
    let versions = |db: String| async move {
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&db)
            .await
            .unwrap();
        let rows = sqlx::query("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await;
        let versions: Option<Vec<i64>> = rows.ok().map(|rows| {
            use sqlx::Row;
            rows.iter().map(|r| r.get::<i64, _>("version")).collect()
        });
        pool.close().await;
        versions
    };

    let (code, _, err) = partnerhub(&run, &db);
    assert_ne!(code, 0, "an empty database is refused");
    assert!(err.contains("migration"), "{err}");
    assert_eq!(versions(db.clone()).await, None, "nothing was migrated");

    let (code, _, err) = partnerhub(&["migrate"], &db);
    assert_eq!(code, 0, "{err}");
    let all = versions(db.clone()).await.unwrap();
    let last = *all.last().unwrap();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&db)
        .await
        .unwrap();
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1")
        .bind(last)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (code, _, err) = partnerhub(&run, &db);
    assert_ne!(code, 0, "a database one migration behind is refused");
    assert!(err.contains(&format!("this build's at {last}")), "{err}");
    assert_eq!(
        versions(db.clone()).await.unwrap(),
        all[..all.len() - 1].to_vec(),
        "the missing migration was not applied"
    );
}
