//! Audit records: written with every change, chained per organisation, tamper-evident.

use crate::support::TestApp;
use partnerhub::app::store::audit;
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::json;

#[tokio::test]
async fn changes_are_recorded_with_who_and_the_chain_verifies() {
    let t = TestApp::spawn().await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let token = t.token(&admin.upn).await;
    for i in 0..3 {
        let r = t.http.post(t.url("/v1/users")).bearer_auth(&token).header("MS-CorrelationId", format!("c-{i}"))
            .json(&json!({"userPrincipalName": format!("a{i}@{}", tenant.domain), "displayName": "A"})).send().await.unwrap();
        assert_eq!(r.status(), 201);
    }
    use sqlx::Row;
    let rows = sqlx::query("SELECT operation, actor_upn, correlation_id FROM audit_records WHERE org_tenant_id = $1 ORDER BY seq")
        .bind(tenant.id.to_string()).fetch_all(&t.app.db.read).await.unwrap();
    let ops: Vec<String> = rows.iter().map(|r| r.get("operation")).collect();
    assert_eq!(
        ops,
        [
            "create_tenant",
            "set_mfa_policy",
            "create_user",
            "create_user",
            "create_user"
        ]
    );
    assert_eq!(
        rows[2].get::<Option<String>, _>("actor_upn").as_deref(),
        Some(admin.upn.as_str())
    );
    assert_eq!(
        rows[4]
            .get::<Option<String>, _>("correlation_id")
            .as_deref(),
        Some("c-2")
    );
    let (checked, broken) = audit::verify(&t.app.db).await.unwrap();
    assert!(checked >= 4);
    assert!(broken.is_empty());
}

#[tokio::test]
async fn a_record_altered_in_the_database_breaks_the_chain_there() {
    let t = TestApp::spawn().await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let token = t.token(&admin.upn).await;
    for i in 0..3 {
        assert_eq!(
            t.post(
                "/v1/users",
                &token,
                &json!({"userPrincipalName": format!("b{i}@{}", tenant.domain), "displayName": "B"})
            )
            .await
            .0,
            201
        );
    }
    sqlx::query("UPDATE audit_records SET new_value = '{\"upn\":\"someone-else\"}' WHERE org_tenant_id = $1 AND seq = 3")
        .bind(tenant.id.to_string()).execute(&t.app.db.write).await.unwrap();
    let (_, broken) = audit::verify(&t.app.db).await.unwrap();
    assert_eq!(broken.len(), 1);
    assert_eq!(broken[0].org_tenant_id, tenant.id.to_string());
    assert_eq!(broken[0].seq, 3);
    // Deleting the newest record is caught too.
    let (t2, a2) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let tok2 = t.token(&a2.upn).await;
    assert_eq!(
        t.post(
            "/v1/users",
            &tok2,
            &json!({"userPrincipalName": format!("c@{}", t2.domain), "displayName": "C"})
        )
        .await
        .0,
        201
    );
    sqlx::query("DELETE FROM audit_records WHERE org_tenant_id = $1 AND seq = 2")
        .bind(t2.id.to_string())
        .execute(&t.app.db.write)
        .await
        .unwrap();
    let (_, broken) = audit::verify(&t.app.db).await.unwrap();
    assert!(broken.iter().any(|b| b.org_tenant_id == t2.id.to_string()));
}

#[tokio::test]
async fn the_activity_log_shows_each_organisation_its_own_records_and_customers_see_partners_acts()
{
    let t = TestApp::spawn().await;
    let w = crate::customers::world(&t, &["user_administrator"]).await;
    let x = &w.x.0;
    let (s, _) = t
        .post(
            &format!("/v1/customers/{}/users", x.id),
            &w.a.token,
            &json!({"userPrincipalName": format!("zoe@{}", x.domain), "displayName": "Zoe"}),
        )
        .await;
    assert_eq!(s, 201);
    // The customer sees which partner user did it.
    let (s, log) = t.get("/v1/auditrecords", &w.x.2).await;
    assert_eq!(s, 200);
    let created = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["operationType"] == "create_customer_user")
        .expect("the customer sees the partner's change");
    assert_eq!(created["userPrincipalName"], w.a.admin.upn.as_str());
    assert_eq!(created["attributes"]["objectType"], "AuditRecord");
    // The partner sees it in its own log; another partner does not.
    let filter = partnerhub::portal::session::url_escape(
        r#"{"Field":"ResourceType","Value":"customer_user","Operator":"equals"}"#,
    );
    let (_, mine) = t
        .get(&format!("/v1/auditrecords?filter={filter}"), &w.a.token)
        .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let (_, theirs) = t
        .get(&format!("/v1/auditrecords?filter={filter}"), &w.b.token)
        .await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
    // 90 days back at most; bad filters are clear errors.
    let old = (chrono::Utc::now() - chrono::Duration::days(120)).format("%Y-%m-%d");
    let (s, b) = t
        .get(&format!("/v1/auditrecords?startDate={old}"), &w.a.token)
        .await;
    assert_eq!(
        (s, b["data"][0]["field"].as_str()),
        (400, Some("startDate"))
    );
    let (s, _) = t
        .get(
            "/v1/auditrecords?filter=%7B%22Field%22%3A%22Secret%22%2C%22Value%22%3A%22x%22%7D",
            &w.a.token,
        )
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn retention_archives_old_records_as_json_lines_and_the_chain_still_verifies() {
    let archive = tempfile::tempdir().unwrap();
    let dir = archive.path().to_path_buf();
    let t = TestApp::spawn_with(move |c| {
        c.audit_retention_days = 30;
        c.audit_archive_dir = Some(dir);
    })
    .await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let token = t.token(&admin.upn).await;
    let add = |n: &'static str| {
        let body = json!({"userPrincipalName": format!("{n}@{}", tenant.domain), "displayName": n});
        let token = token.clone();
        let t = &t;
        async move {
            let (s, b) = t.post("/v1/users", &token, &body).await;
            assert_eq!(s, 201, "{b}");
        }
    };
    let org = tenant.id.to_string();
    let setup = audit::count_for(&t.app.db, &org).await.unwrap();
    add("old1").await;
    add("old2").await;
    let old = audit::count_for(&t.app.db, &org).await.unwrap();
    assert_eq!(old, setup + 2, "two users added");

    // Nothing is old yet.
    assert_eq!(
        partnerhub::app::audit::apply_retention(&t.app)
            .await
            .unwrap(),
        0
    );
    t.clock.advance(chrono::Duration::days(31));
    let token = t.token(&admin.upn).await;
    let (s, _) = t
        .post(
            "/v1/users",
            &token,
            &json!({"userPrincipalName": format!("new1@{}", tenant.domain), "displayName": "new"}),
        )
        .await;
    assert_eq!(s, 201);
    let removed = partnerhub::app::audit::apply_retention(&t.app)
        .await
        .unwrap();
    assert!(
        removed >= old as u64,
        "the old records of this organisation went: {removed}"
    );
    let online = audit::count_for(&t.app.db, &org).await.unwrap();
    assert!(online >= 1, "the recent record stays online");

    // The archive holds the removed records with their hashes, in chain order.
    let files: Vec<_> = std::fs::read_dir(archive.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let mine: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &serde_json::Value| r["orgTenantId"] == org.as_str())
        .collect();
    let n = old as usize;
    assert_eq!(mine.len(), n);
    assert_eq!(mine[0]["seq"], 1);
    assert!(
        mine.windows(2).all(|w| w[1]["prevHash"] == w[0]["hash"]),
        "archived in chain order"
    );
    assert_eq!(mine[n - 1]["operation"], "create_user");

    // The online chain links to the archive and keeps verifying, also after new records.
    let (_, broken) = audit::verify(&t.app.db).await.unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    use sqlx::Row;
    let first_online = sqlx::query(
        "SELECT prev_hash FROM audit_records WHERE org_tenant_id = $1 ORDER BY seq LIMIT 1",
    )
    .bind(&org)
    .fetch_one(&t.app.db.read)
    .await
    .unwrap();
    assert_eq!(
        first_online.get::<String, _>("prev_hash"),
        mine[n - 1]["hash"].as_str().unwrap()
    );
    let (s, _) = t
        .post(
            "/v1/users",
            &token,
            &json!({"userPrincipalName": format!("new2@{}", tenant.domain), "displayName": "new"}),
        )
        .await;
    assert_eq!(s, 201);
    let (_, broken) = audit::verify(&t.app.db).await.unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    // Tampering with the first online record is still caught.
    sqlx::query(
        "UPDATE audit_records SET operation = 'nothing' WHERE org_tenant_id = $1 AND seq = $2",
    )
    .bind(&org)
    .bind(old + 1)
    .execute(&t.app.db.write)
    .await
    .unwrap();
    let (_, broken) = audit::verify(&t.app.db).await.unwrap();
    assert_eq!(broken.len(), 1);
    assert_eq!(broken[0].seq, old + 1);
}

#[tokio::test]
async fn no_api_operation_can_change_or_delete_audit_records() {
    let doc = serde_json::to_value(partnerhub::api::openapi_document()).unwrap();
    let mut audit_ops = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.contains("audit") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            audit_ops += 1;
            assert_eq!(method, "get", "{method} {path} would touch the audit log");
        }
    }
    assert!(audit_ops >= 1);
}

fn entry(org: &str, op: &str) -> audit::AuditEntry {
    audit::AuditEntry {
        org_tenant_id: org.to_string(),
        actor_user_id: None,
        actor_app_id: None,
        actor_upn: Some("batch@test".into()),
        customer_id: None,
        operation: op.to_string(),
        resource_type: "test".into(),
        resource_id: Some("r".into()),
        old_value: None,
        new_value: Some("{\"n\":1}".into()),
        correlation_id: None,
        outcome: "succeeded".into(),
        created_at: 1,
    }
}

#[tokio::test]
async fn a_batched_append_continues_each_chain_and_verifies() {
    let t = TestApp::spawn().await;
    let (a, _) = t.tenant(TenantKind::Partner, &[]).await;
    let (b, _) = t.tenant(TenantKind::Partner, &[]).await;
    let (a, b) = (a.id.to_string(), b.id.to_string());
    let fresh = uuid::Uuid::now_v7().to_string();
    let seq_of = |org: String| {
        let db = t.app.db.clone();
        async move {
            use sqlx::Row;
            sqlx::query("SELECT seq FROM audit_records WHERE org_tenant_id = $1 ORDER BY seq")
                .bind(org)
                .fetch_all(&db.read)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<i64, _>("seq"))
                .collect::<Vec<_>>()
        }
    };
    let before_a = seq_of(a.clone()).await;
    let before_b = seq_of(b.clone()).await;
    // One by one, then a batch mixing three chains (one new), then one by one again.
    let mut tx = t.app.db.begin().await.unwrap();
    audit::append(&mut tx, &entry(&a, "single-1"))
        .await
        .unwrap();
    let batch = [
        entry(&a, "batch-1"),
        entry(&b, "batch-2"),
        entry(&fresh, "batch-3"),
        entry(&a, "batch-4"),
        entry(&fresh, "batch-5"),
    ];
    let ids = audit::append_all(&mut tx, &batch).await.unwrap();
    assert_eq!(ids.len(), 5);
    audit::append(&mut tx, &entry(&b, "single-2"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let consecutive = |v: &[i64]| v.iter().enumerate().all(|(i, s)| *s == i as i64 + 1);
    let after_a = seq_of(a.clone()).await;
    let after_b = seq_of(b.clone()).await;
    assert_eq!(after_a.len(), before_a.len() + 3);
    assert_eq!(after_b.len(), before_b.len() + 2);
    assert_eq!(seq_of(fresh.clone()).await, [1, 2]);
    assert!(
        consecutive(&after_a) && consecutive(&after_b),
        "{after_a:?} {after_b:?}"
    );
    let (checked, broken) = audit::verify(&t.app.db).await.unwrap();
    assert!(checked >= 7);
    assert!(broken.is_empty(), "{broken:?}");
    // A record of the batch altered afterwards breaks its chain there, as with single appends.
    sqlx::query("UPDATE audit_records SET operation = 'forged' WHERE org_tenant_id = $1 AND operation = 'batch-4'")
        .bind(&a)
        .execute(&t.app.db.write)
        .await
        .unwrap();
    let (_, broken) = audit::verify(&t.app.db).await.unwrap();
    assert_eq!(broken.len(), 1);
    assert_eq!(broken[0].org_tenant_id, a);
}
