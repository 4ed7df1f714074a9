//! Audit records: written with every change, chained per organisation, tamper-evident.

use crate::support::TestApp;
use partnerhub::domain::identity::{Role, TenantKind};
use partnerhub::store::audit;
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
