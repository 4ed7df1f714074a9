//! Mail is written in the recipient's language and names roles, never codes.

use crate::support::TestApp;
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::json;

#[tokio::test]
async fn a_korean_speaking_user_gets_role_changes_in_korean_with_role_names() {
    let t = TestApp::spawn().await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let token = t.token(&admin.upn).await;
    let kim = t.user(&tenant, "kim", &[]).await;
    let en = t.user(&tenant, "ann", &[]).await;
    let path = |u: &partnerhub::app::store::identity::UserRow| format!("/v1/users/{}", u.id);
    let (s, _) = t
        .patch(&path(&kim), &token, &json!({"language": "ko-KR"}))
        .await;
    assert_eq!(s, 200);
    for u in [&kim, &en] {
        let (s, _) = t
            .patch(&path(u), &token, &json!({"roles": ["user_administrator"]}))
            .await;
        assert_eq!(s, 200);
    }
    t.mail_settled().await;
    let mails = partnerhub::app::store::mailbox::list(&t.app.db, None, 50)
        .await
        .unwrap();
    let to = |upn: &str| {
        mails
            .iter()
            .find(|m| {
                m.to == upn
                    && m.text_body.contains("administrator") | m.text_body.contains("관리자")
            })
            .unwrap_or_else(|| panic!("a roles mail to {upn}: {mails:?}"))
    };
    let ko = to(&kim.upn);
    assert!(ko.subject.contains("역할"), "{}", ko.subject);
    assert!(ko.text_body.contains("사용자 관리자"), "{}", ko.text_body);
    assert!(
        !ko.text_body.contains("user_administrator"),
        "{}",
        ko.text_body
    );
    let english = to(&en.upn);
    assert!(
        english.text_body.contains("User administrator"),
        "{}",
        english.text_body
    );
    assert!(!english.text_body.contains("user_administrator"));
}
