//! The partner-network registry import through the API.

use crate::support::{assert_error_shape, TestApp};
use partnerhub::domain::identity::{Role, TenantKind};

const CSV: &str =
    "mpn_id,org_name,country,username,password,profile_id,profile_name,profile_country\n\
7000001,Alpine Ski House,US,alpine,Member-Pass-1,7100001,Alpine US,US\n";

#[tokio::test]
async fn only_the_operator_imports_memberships() {
    let t = TestApp::spawn().await;
    let (_, op) = t.tenant(TenantKind::Operator, &[Role::OperatorAdmin]).await;
    let (_, partner) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let post = |token: String, body: &'static str| {
        let t = &t;
        async move {
            let r = t
                .http
                .post(t.url("/v1/memberships/import"))
                .bearer_auth(token)
                .header("content-type", "text/csv")
                .body(body)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (s, b) = post(t.token(&partner.upn).await, CSV).await;
    assert_eq!(s, 403);
    assert_error_shape(&b);
    let op_token = t.token(&op.upn).await;
    let (s, b) = post(op_token.clone(), CSV).await;
    assert_eq!((s, b["imported"].as_u64()), (201, Some(1)));
    let (s, b) = post(op_token, "mpn_id,org_name\n1,x\n").await;
    assert_eq!(s, 400);
    assert_error_shape(&b);
    let m = partnerhub::app::store::memberships::by_username(&t.app.db, "ALPINE")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.mpn_id, 7000001);
    assert!(
        m.password_hash.starts_with("$argon2id$"),
        "membership passwords are hashed"
    );
    assert_eq!(
        partnerhub::app::store::memberships::profiles(&t.app.db, m.mpn_id)
            .await
            .unwrap()
            .len(),
        1
    );
}
