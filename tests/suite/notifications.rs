//! Notification mail: users choose events, at once or as a daily digest.

use crate::customers::partner_up;
use crate::support::TestApp;
use partnerhub::domain::identity::Role;
use serde_json::json;

#[tokio::test]
async fn users_get_the_events_they_chose_at_once_or_in_a_digest() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    let sales = t.user(&p.tenant, "digest", &[Role::SalesAgent]).await;
    let sales_token = t.token(&sales.upn).await;

    let (s, none) = t.get("/v1/users/me/notifications", &p.token).await;
    assert_eq!(s, 200);
    assert_eq!(none, json!({"events": [], "dailyDigest": false}));
    let (s, b) = t
        .put(
            "/v1/users/me/notifications",
            &p.token,
            &json!({"events": ["partnership-created", "nonsense"], "dailyDigest": false}),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    assert!(b["description"].as_str().unwrap().contains("nonsense"));
    let (s, b) = t
        .put(
            "/v1/users/me/notifications",
            &p.token,
            &json!({"events": ["partnership-created"], "dailyDigest": false}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, _) = t
        .put(
            "/v1/users/me/notifications",
            &sales_token,
            &json!({"events": ["partnership-created", "order-created"], "dailyDigest": true}),
        )
        .await;
    assert_eq!(s, 200);

    partner_up(&t, &p, &a).await;
    let subject_for = |upn: String| {
        let db = t.app.db.clone();
        async move {
            for _ in 0..200 {
                let m = partnerhub::app::store::mailbox::list(&db, Some(&upn), 50)
                    .await
                    .unwrap();
                if let Some(x) = m.iter().find(|m| m.subject.contains("partnership-created")) {
                    return Some(x.clone());
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            None
        }
    };
    let mail = subject_for(p.admin.upn.clone())
        .await
        .expect("the admin is mailed at once");
    assert!(mail.text_body.contains("/portal/notifications"));
    t.mail_settled().await;
    let digest_box = partnerhub::app::store::mailbox::list(&t.app.db, Some(&sales.upn), 50)
        .await
        .unwrap();
    assert!(
        digest_box
            .iter()
            .all(|m| !m.subject.contains("partnership-created")),
        "the digest user is not mailed per event"
    );
    // The reseller's users chose nothing: no notification for them.
    let a_box = partnerhub::app::store::mailbox::list(&t.app.db, Some(&a.admin.upn), 50)
        .await
        .unwrap();
    assert!(a_box
        .iter()
        .all(|m| !m.subject.starts_with("Partner Hub: partnership-created")));

    // The digest goes out once a day (housekeeping runs the same function).
    let first = partnerhub::app::notifications::send_digests(&t.app)
        .await
        .unwrap();
    assert_eq!(first, 1);
    t.mail_settled().await;
    let digest = partnerhub::app::store::mailbox::list(&t.app.db, Some(&sales.upn), 50)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.subject.contains("since your last digest"))
        .expect("the digest arrives");
    assert!(
        digest.text_body.contains("partnership-created"),
        "{}",
        digest.text_body
    );
    assert_eq!(
        partnerhub::app::notifications::send_digests(&t.app)
            .await
            .unwrap(),
        0,
        "nothing new, nothing sent"
    );
}
