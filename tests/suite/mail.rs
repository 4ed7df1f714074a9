//! Mail: the outbox delivers over real SMTP with retries, or into the capture the portal shows.

use crate::support::smtp::SmtpServer;
use crate::support::{TestApp, PASSWORD};
use partnerhub::config::MailMode;
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::json;

#[tokio::test]
async fn a_new_user_gets_a_mail_over_smtp_and_can_sign_in_with_it() {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let t = TestApp::spawn_with(|c| {
        c.mail_mode = MailMode::Smtp;
        c.smtp_url = Some(url);
    })
    .await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let token = t.token(&admin.upn).await;
    let upn = format!("newbie@{}", tenant.domain);
    let (s, created) = t
        .post(
            "/v1/users",
            &token,
            &json!({"userPrincipalName": upn, "displayName": "New Bie"}),
        )
        .await;
    assert_eq!(s, 201);
    let temp = created["temporaryPassword"].as_str().unwrap();
    let mail = smtp.wait_for(&upn).await;
    assert_eq!(
        mail["subject"],
        format!("Your {} account on Partner Hub", tenant.display_name)
    );
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains(temp),
        "the mail carries the temporary password"
    );
    assert!(text.contains(&format!("{}/portal/signin", t.base)));
    assert!(mail["html"].as_str().unwrap().contains("<a href="));
    assert_eq!(mail["from"], "no-reply@partnerhub.localhost");
    assert_eq!(t.token_response(&upn, temp).await.0, 200);
}

#[tokio::test]
async fn mail_follows_the_recipients_language() {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let t = TestApp::spawn_with(|c| {
        c.mail_mode = MailMode::Smtp;
        c.smtp_url = Some(url);
    })
    .await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let token = t.token(&admin.upn).await;
    let upn = format!("minji@{}", tenant.domain);
    let (s, _) = t
        .post(
            "/v1/users",
            &token,
            &json!({"userPrincipalName": upn, "displayName": "Minji", "language": "ko-KR"}),
        )
        .await;
    assert_eq!(s, 201);
    let mail = smtp.wait_for(&upn).await;
    assert!(
        mail["subject"].as_str().unwrap().contains("계정 안내"),
        "{mail}"
    );
    assert!(mail["text"].as_str().unwrap().contains("임시 암호"));
}

#[tokio::test]
async fn undeliverable_mail_is_retried_with_backoff_until_the_server_answers() {
    // Reserve a port with no server behind it yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let t = TestApp::spawn_with(|c| {
        c.mail_mode = MailMode::Smtp;
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    })
    .await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let token = t.token(&admin.upn).await;
    let upn = format!("later@{}", tenant.domain);
    assert_eq!(
        t.post(
            "/v1/users",
            &token,
            &json!({"userPrincipalName": upn, "displayName": "Later"})
        )
        .await
        .0,
        201
    );
    // The first attempt fails and the message waits for its next try.
    let mut failed = false;
    for _ in 0..200 {
        use sqlx::Row;
        let row = sqlx::query("SELECT attempts, last_error FROM outbox WHERE topic = 'mail'")
            .fetch_one(&t.app.db.read)
            .await
            .unwrap();
        if row.get::<i64, _>("attempts") >= 1
            && row.get::<Option<String>, _>("last_error").is_some()
        {
            failed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(failed, "the first delivery attempt failed and was recorded");
    let smtp = SmtpServer::start_on(port);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(smtp.messages().is_empty(), "no retry before the backoff");
    t.clock.advance(chrono::Duration::seconds(11));
    let mail = smtp.wait_for(&upn).await;
    assert!(mail["subject"].as_str().unwrap().contains("account"));
    t.mail_settled().await;
}

#[tokio::test]
async fn captured_mail_is_readable_by_the_operator_only() {
    let t = TestApp::spawn().await;
    let (_, op) = t.tenant(TenantKind::Operator, &[Role::OperatorAdmin]).await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let token = t.token(&admin.upn).await;
    let upn = format!("cap@{}", tenant.domain);
    assert_eq!(
        t.post(
            "/v1/users",
            &token,
            &json!({"userPrincipalName": upn, "displayName": "Cap"})
        )
        .await
        .0,
        201
    );
    t.mail_settled().await;
    let op_token = t.token(&op.upn).await;
    let (s, list) = t.get(&format!("/v1/mail?to={upn}"), &op_token).await;
    assert_eq!(s, 200);
    assert_eq!(list["totalCount"], 1);
    assert!(list["items"][0]["textBody"]
        .as_str()
        .unwrap()
        .contains("Temporary password"));
    assert_eq!(t.get("/v1/mail", &token).await.0, 403);
    let _ = PASSWORD;
}

#[tokio::test]
async fn mail_is_written_with_its_change_or_not_at_all() {
    let t = TestApp::spawn().await;
    let (tenant, admin) = t.tenant(TenantKind::Partner, &[Role::AdminAgent]).await;
    let token = t.token(&admin.upn).await;
    let upn = format!("dup@{}", tenant.domain);
    assert_eq!(
        t.post(
            "/v1/users",
            &token,
            &json!({"userPrincipalName": upn, "displayName": "Dup"})
        )
        .await
        .0,
        201
    );
    // The second create fails on the unique sign-in name: no second mail is queued.
    assert_eq!(
        t.post(
            "/v1/users",
            &token,
            &json!({"userPrincipalName": upn, "displayName": "Dup"})
        )
        .await
        .0,
        400
    );
    use sqlx::Row;
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE topic = 'mail'")
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
        .get("n");
    assert_eq!(n, 1);
}
