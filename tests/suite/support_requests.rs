//! Support requests through the tiers: a customer's case climbs reseller -> provider ->
//! operator and comes back resolved; only the organisations on its path see it; service
//! levels warn and record breaches on a moved clock; files are checked; mail goes out in each
//! recipient's language.

use crate::customers::{customer_via, partner_up};
use crate::support::smtp::SmtpServer;
use crate::support::{assert_error_shape, Partner, TestApp};
use partnerhub::app::store::identity::{TenantRow, UserRow};
use partnerhub::config::MailMode;
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::{json, Value};

pub async fn load_topics(t: &TestApp) {
    let data = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/demo/support-topics.json"
    ))
    .unwrap();
    let file: partnerhub::app::support::TopicFile = serde_json::from_str(&data).unwrap();
    let n = partnerhub::app::support::import_topics(&t.app, &file)
        .await
        .unwrap();
    assert!(n >= 5);
}

struct World {
    op: String,
    op_upn: String,
    p: Partner,
    a: Partner,
    b: Partner,
    x: (TenantRow, UserRow, String),
    y: (TenantRow, UserRow, String),
}

/// Operator; provider P partnered with reseller A; customer X served by A and P; reseller B
/// (not partnered) serving customer Y.
async fn world(t: &TestApp) -> World {
    load_topics(t).await;
    let (_, op) = t.tenant(TenantKind::Operator, &[Role::OperatorAdmin]).await;
    let op_upn = op.upn.clone();
    let op = t.token(&op.upn).await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    let b = t.partner(false, true, "US").await;
    partner_up(t, &p, &a).await;
    let x = customer_via(t, &a, Some(&p), &["helpdesk_administrator"], 365).await;
    let y = customer_via(t, &b, None, &["helpdesk_administrator"], 365).await;
    World {
        op,
        op_upn,
        p,
        a,
        b,
        x,
        y,
    }
}

fn case(severity: &str) -> Value {
    json!({
        "title": "Users cannot get licenses",
        "description": "Since this morning new users see 'no license available'.",
        "severity": severity,
        "supportTopicId": "licenses-seats",
        "primaryContact": {"name": "Ana Ruiz", "email": "ana@customer.example"}
    })
}

fn count(v: &Value) -> i64 {
    v["totalCount"].as_i64().unwrap_or(-1)
}

#[tokio::test]
async fn a_customer_case_climbs_every_tier_and_only_its_path_sees_it() {
    let t = TestApp::spawn().await;
    let w = world(&t).await;
    let (x, y) = (&w.x.2, &w.y.2);

    // Bad input: every problem at once, in the error shape.
    let (s, e) = t
        .post(
            "/v1/servicerequests",
            x,
            &json!({"title": "", "description": "", "severity": "urgent", "supportTopicId": ""}),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    assert_error_shape(&e);
    let (s, e) = t
        .post(
            "/v1/servicerequests",
            x,
            &json!({"title": "t", "description": "d", "severity": "high", "supportTopicId": "nope"}),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["data"][0]["field"], "supportTopicId");

    // The customer raises it: it goes to its reseller.
    let (s, c) = t.post("/v1/servicerequests", x, &case("high")).await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["status"], "open");
    assert_eq!(c["tier"], "reseller");
    assert_eq!(c["assignedTo"]["id"], w.a.tenant.id.to_string());
    assert_eq!(c["organization"]["id"], w.x.0.id.to_string());
    assert_eq!(c["customerId"], w.x.0.id.to_string());
    assert_eq!(c["productName"], "Productivity Suite");
    assert_eq!(c["primaryContact"]["email"], "ana@customer.example");
    assert!(c["serviceLevel"]["secondsLeft"].as_i64().unwrap() > 0);
    assert_eq!(c["attributes"]["objectType"], "ServiceRequest");
    let id = c["id"].as_str().unwrap().to_string();
    let path = format!("/v1/servicerequests/{id}");

    // At the reseller tier: the provider and the operator do not see it yet.
    assert_eq!(t.get(&path, &w.a.token).await.0, 200);
    assert_eq!(t.get(&path, &w.p.token).await.0, 404);
    assert_eq!(t.get(&path, &w.op).await.0, 404);
    let (_, mine) = t.get("/v1/servicerequests?view=assigned", &w.a.token).await;
    assert_eq!(count(&mine), 1, "{mine}");
    assert_eq!(count(&t.get("/v1/servicerequests", &w.p.token).await.1), 0);

    // The reseller asks for information; the customer answers.
    let (s, e) = t
        .patch(&path, x, &json!({"status": "attentionNeeded"}))
        .await;
    assert_eq!(
        s, 400,
        "the requester cannot ask itself for information: {e}"
    );
    assert_eq!(e["data"][0]["field"], "status");
    let (s, c) = t
        .patch(
            &path,
            &w.a.token,
            &json!({"status": "attentionNeeded", "note": "Which users? Send a screenshot."}),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["status"], "attentionNeeded");
    assert!(c["serviceLevel"]["firstResponseDate"].is_string());
    let (s, c) = t
        .patch(
            &path,
            x,
            &json!({"status": "open", "note": "All new users since Monday."}),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(t.patch(&path, x, &json!({"escalate": true})).await.0, 403);

    // The reseller escalates to its provider, the provider to the operator.
    let (s, c) = t
        .patch(
            &path,
            &w.a.token,
            &json!({"escalate": true, "note": "Seat sync looks broken."}),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["tier"], "provider");
    assert_eq!(c["assignedTo"]["id"], w.p.tenant.id.to_string());
    assert_eq!(t.get(&path, &w.p.token).await.0, 200);
    assert_eq!(t.get(&path, &w.op).await.0, 404);
    assert_eq!(
        t.patch(&path, &w.a.token, &json!({"escalate": true}))
            .await
            .0,
        403,
        "only the tier holding it escalates"
    );
    let (s, c) = t
        .patch(
            &path,
            &w.p.token,
            &json!({"escalate": true, "note": "Vendor side issue."}),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["tier"], "operator");
    let (s, c) = t.get(&path, &w.op).await;
    assert_eq!(s, 200, "{c}");
    let (s, e) = t.patch(&path, &w.op, &json!({"escalate": true})).await;
    assert_eq!(s, 403, "nothing above the operator: {e}");

    // The operator resolves it.
    let (s, c) = t
        .patch(
            &path,
            &w.op,
            &json!({"status": "closed", "note": "Fixed the seat sync; retry now."}),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["status"], "closed");
    assert!(c["lastClosedDate"].is_string());
    let (s, e) = t
        .post(&format!("{path}/notes"), x, &json!({"text": "late"}))
        .await;
    assert_eq!(s, 409, "closed cases take no notes: {e}");

    // Every party on the path reads the same thread.
    for (who, token) in [
        ("customer", x),
        ("reseller", &w.a.token),
        ("provider", &w.p.token),
        ("operator", &w.op),
    ] {
        let (s, c) = t.get(&path, token).await;
        assert_eq!(s, 200, "{who}: {c}");
        let notes = c["notes"].as_array().unwrap();
        let texts: Vec<&str> = notes.iter().map(|n| n["text"].as_str().unwrap()).collect();
        assert_eq!(
            texts,
            [
                "Which users? Send a screenshot.",
                "All new users since Monday.",
                "Seat sync looks broken.",
                "Vendor side issue.",
                "Fixed the seat sync; retry now."
            ],
            "{who}"
        );
        assert!(notes
            .iter()
            .all(|n| n["createdDate"].is_string() && n["createdByName"].is_string()));
        let (_, list) = t.get("/v1/servicerequests", token).await;
        assert_eq!(count(&list), 1, "{who} lists it: {list}");
    }
    let (s, n) = t.get(&format!("{path}/notes"), &w.p.token).await;
    assert_eq!(s, 200);
    assert_eq!(count(&n), 5);

    // An unrelated reseller and an unrelated customer see nothing, not even in lists.
    for (who, token) in [("reseller B", &w.b.token), ("customer Y", y)] {
        assert_eq!(t.get(&path, token).await.0, 404, "{who}");
        assert_eq!(t.get(&format!("{path}/notes"), token).await.0, 404, "{who}");
        assert_eq!(
            t.patch(&path, token, &json!({"status": "open"})).await.0,
            404,
            "{who}"
        );
        let (s, list) = t.get("/v1/servicerequests", token).await;
        assert_eq!((s, count(&list)), (200, 0), "{who}: {list}");
        let (s, _) = t
            .get(
                &format!("/v1/customers/{}/servicerequests", w.x.0.id),
                token,
            )
            .await;
        assert_eq!(s, 404, "{who} on X's requests");
    }
    let (s, list) = t
        .get(
            &format!("/v1/customers/{}/servicerequests", w.x.0.id),
            &w.a.token,
        )
        .await;
    assert_eq!((s, count(&list)), (200, 1), "{list}");

    // Filters and keyset paging.
    let (_, closed) = t
        .get("/v1/servicerequests?status=closed&severity=high", x)
        .await;
    assert_eq!(count(&closed), 1);
    let (_, open) = t.get("/v1/servicerequests?status=open", x).await;
    assert_eq!(count(&open), 0);
    let (s, e) = t.get("/v1/servicerequests?status=pending", x).await;
    assert_eq!(s, 400, "{e}");

    // Audit and mail followed each change.
    let (s, log) = t.get("/v1/auditrecords", &w.a.token).await;
    assert_eq!(s, 200, "{log}");
    let ops: Vec<(&str, &str)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resourceType"] == "service_request")
        .map(|r| {
            (
                r["operationType"].as_str().unwrap(),
                r["resourceId"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for op in [
        "servicerequest_attention_needed",
        "servicerequest_escalated",
    ] {
        assert!(ops.contains(&(op, id.as_str())), "{op} in A's log: {ops:?}");
    }
    t.mail_settled().await;
    let mails = partnerhub::app::store::mailbox::list(&t.app.db, None, 200)
        .await
        .unwrap();
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    for want in [
        "New support request: Users cannot get licenses",
        "Support request escalated to the provider tier: Users cannot get licenses",
        "Support request escalated to the operator tier: Users cannot get licenses",
        "Support request Users cannot get licenses is closed",
    ] {
        assert!(subjects.contains(&want), "{want} in {subjects:?}");
    }
}

#[tokio::test]
async fn resellers_raise_for_customers_and_providers_for_themselves() {
    let t = TestApp::spawn().await;
    let w = world(&t).await;
    // The reseller on behalf of its customer, naming a subscription: to its provider.
    let mut body = case("normal");
    body["subscriptionId"] = json!("sub-123");
    let (s, c) = t
        .post(
            &format!("/v1/customers/{}/servicerequests", w.x.0.id),
            &w.a.token,
            &body,
        )
        .await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["tier"], "provider");
    assert_eq!(c["customerId"], w.x.0.id.to_string());
    assert_eq!(c["subscriptionId"], "sub-123");
    let path = format!("/v1/servicerequests/{}", c["id"].as_str().unwrap());
    assert_eq!(
        t.get(&path, &w.x.2).await.0,
        200,
        "the customer follows its case"
    );
    // Not for somebody else's customer.
    let (s, _) = t
        .post(
            &format!("/v1/customers/{}/servicerequests", w.y.0.id),
            &w.a.token,
            &body,
        )
        .await;
    assert_eq!(s, 404);
    // B has no provider: its case goes past the missing tier, to the operator.
    let (s, c) = t
        .post("/v1/servicerequests", &w.b.token, &case("normal"))
        .await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["tier"], "operator");
    // The provider for itself: to the operator.
    let (s, c) = t
        .post("/v1/servicerequests", &w.p.token, &case("critical"))
        .await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["tier"], "operator");
    assert_eq!(
        t.get(
            &format!("/v1/servicerequests/{}", c["id"].as_str().unwrap()),
            &w.a.token
        )
        .await
        .0,
        404
    );
    // Topics are data.
    let (s, topics) = t.get("/v1/servicerequests/supporttopics", &w.x.2).await;
    assert_eq!(s, 200);
    assert!(count(&topics) >= 5);
}

#[tokio::test]
async fn service_levels_warn_before_and_record_breaches_once_on_a_moved_clock() {
    let t = TestApp::spawn_with(|c| c.webhook_allow = vec!["127.0.0.1".into()]).await;
    let w = world(&t).await;
    let rx = crate::support::receiver::Receiver::start().await;
    let (s, reg) = t
        .post(
            "/webhooks/v1/registration",
            &w.a.token,
            &json!({"webhookUrl": rx.url, "webhookEvents": ["servicerequest-created", "servicerequest-breached"]}),
        )
        .await;
    assert_eq!(s, 201, "{reg}");
    // The reseller sets its own targets for critical requests.
    let (s, tg) = t
        .put(
            "/v1/profiles/supporttargets",
            &w.a.token,
            &json!([{"severity": "critical", "firstResponseMinutes": 30, "resolutionMinutes": 120}]),
        )
        .await;
    assert_eq!(s, 200, "{tg}");
    assert_eq!(
        tg.as_array().unwrap().len(),
        3,
        "every severity, defaults filled"
    );
    let (s, e) = t
        .put(
            "/v1/profiles/supporttargets",
            &w.a.token,
            &json!([{"severity": "high", "firstResponseMinutes": 90, "resolutionMinutes": 60}]),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(
        t.put("/v1/profiles/supporttargets", &w.x.2, &json!([]))
            .await
            .0,
        403
    );

    let (s, c) = t
        .post("/v1/servicerequests", &w.x.2, &case("critical"))
        .await;
    assert_eq!(s, 201, "{c}");
    let secs = c["serviceLevel"]["secondsLeft"].as_i64().unwrap();
    assert!((29 * 60..=30 * 60).contains(&secs), "{secs}");
    let path = format!("/v1/servicerequests/{}", c["id"].as_str().unwrap());

    let warnings = |t: &TestApp| {
        let db = t.app.db.clone();
        async move {
            partnerhub::app::store::mailbox::list(&db, None, 200)
                .await
                .unwrap()
                .into_iter()
                .filter(|m| m.subject.starts_with("Service level at risk"))
                .count()
        }
    };
    let breaches = |t: &TestApp| {
        let db = t.app.db.clone();
        async move {
            partnerhub::app::store::mailbox::list(&db, None, 200)
                .await
                .unwrap()
                .into_iter()
                .filter(|m| m.subject.starts_with("Service level missed"))
                .count()
        }
    };
    // Early on, nothing.
    partnerhub::app::support::run_service_levels(&t.app)
        .await
        .unwrap();
    t.mail_settled().await;
    assert_eq!(warnings(&t).await, 0);
    // Within the last ten minutes: the assignee is warned, once.
    t.clock.advance(chrono::Duration::minutes(25));
    let a_token = t.token(&w.a.admin.upn).await;
    partnerhub::app::support::run_service_levels(&t.app)
        .await
        .unwrap();
    partnerhub::app::support::run_service_levels(&t.app)
        .await
        .unwrap();
    t.mail_settled().await;
    assert_eq!(warnings(&t).await, 1, "one warning however many passes");
    let (_, c) = t.get(&path, &a_token).await;
    assert!(!c["serviceLevel"]["breached"].as_bool().unwrap());
    // Past the target: the breach is recorded once, with its event.
    t.clock.advance(chrono::Duration::minutes(10));
    let a_token = t.token(&w.a.admin.upn).await;
    let p_token = t.token(&w.p.admin.upn).await;
    let b_token = t.token(&w.b.admin.upn).await;
    let op_token = t.token(&w.op_upn).await;
    partnerhub::app::support::run_service_levels(&t.app)
        .await
        .unwrap();
    partnerhub::app::support::run_service_levels(&t.app)
        .await
        .unwrap();
    t.mail_settled().await;
    assert_eq!(breaches(&t).await, 1, "one breach mail");
    let got = rx.wait_for(2).await;
    let names: Vec<String> = got
        .iter()
        .map(|r| r.json()["eventName"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(names, ["servicerequest-created", "servicerequest-breached"]);
    let (_, c) = t.get(&path, &a_token).await;
    assert!(c["serviceLevel"]["breached"].as_bool().unwrap(), "{c}");
    assert!(c["serviceLevel"]["secondsLeft"].as_i64().unwrap() < 0);
    let (_, late) = t.get("/v1/servicerequests?breached=true", &a_token).await;
    assert_eq!(count(&late), 1);
    let (_, fine) = t.get("/v1/servicerequests?breached=false", &a_token).await;
    assert_eq!(count(&fine), 0);

    // Breach rates: the provider per reseller, the operator per topic; resellers may not.
    let (s, rates) = t.get("/v1/servicerequests/breachrates", &p_token).await;
    assert_eq!(s, 200, "{rates}");
    let row = rates
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == w.a.tenant.id.to_string())
        .unwrap_or_else(|| panic!("A in {rates}"));
    assert_eq!(
        (row["total"].as_i64(), row["breached"].as_i64()),
        (Some(1), Some(1))
    );
    let (s, rates) = t
        .get("/v1/servicerequests/breachrates?groupBy=topic", &op_token)
        .await;
    assert_eq!(s, 200, "{rates}");
    assert_eq!(rates[0]["id"], "licenses-seats");
    assert_eq!(rates[0]["rate"], 1.0);
    assert_eq!(
        t.get("/v1/servicerequests/breachrates", &a_token).await.0,
        403
    );
    assert_eq!(
        t.get("/v1/servicerequests/breachrates", &b_token).await.0,
        403
    );

    // The answer stops the first-response clock; escalation starts the provider's.
    let (s, c) = t
        .patch(
            &path,
            &a_token,
            &json!({"escalate": true, "note": "Over to you."}),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["serviceLevel"]["runningGoal"], "firstResponse");
    assert!(c["serviceLevel"]["secondsLeft"].as_i64().unwrap() > 50 * 60);
}

#[tokio::test]
async fn attachments_are_limited_checked_and_served_as_downloads() {
    let t = TestApp::spawn().await;
    let w = world(&t).await;
    let (_, c) = t.post("/v1/servicerequests", &w.x.2, &case("normal")).await;
    let path = format!(
        "/v1/servicerequests/{}/attachments",
        c["id"].as_str().unwrap()
    );
    let upload = |name: &str, ct: &str, body: Vec<u8>, token: &str| {
        t.http
            .post(t.url(&format!("{path}?fileName={name}")))
            .bearer_auth(token.to_string())
            .header("content-type", ct.to_string())
            .body(body)
            .send()
    };
    let r = upload(
        "trace.txt",
        "text/plain",
        b"error at line 3\n".to_vec(),
        &w.x.2,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let a: Value = r.json().await.unwrap();
    assert_eq!(a["size"], 16);
    // Refused, each with a clear error.
    for (name, ct, body, field, words) in [
        (
            "page.html",
            "text/html",
            b"<html><body>hi</body></html>".to_vec(),
            "contentType",
            "not accepted",
        ),
        (
            "x.txt",
            "text/plain",
            b"<!DOCTYPE html><script>alert(1)</script>".to_vec(),
            "file",
            "does not look like",
        ),
        (
            "shot.png",
            "image/png",
            b"GIF89a not a png".to_vec(),
            "file",
            "does not look like",
        ),
        (
            "big.txt",
            "text/plain",
            vec![b'a'; 10 * 1024 * 1024 + 1],
            "file",
            "10 MB",
        ),
    ] {
        let r = upload(name, ct, body, &w.x.2).await.unwrap();
        assert_eq!(r.status(), 400, "{name}");
        let e: Value = r.json().await.unwrap();
        assert_error_shape(&e);
        assert_eq!(e["data"][0]["field"], field, "{name}: {e}");
        assert!(
            e["data"][0]["message"].as_str().unwrap().contains(words),
            "{name}: {e}"
        );
    }
    // Exactly 10 MB is fine.
    let png: Vec<u8> = b"\x89PNG\r\n\x1a\n"
        .iter()
        .copied()
        .chain(std::iter::repeat_n(0, 10 * 1024 * 1024 - 8))
        .collect();
    let r = upload("shot.png", "image/png", png, &w.a.token)
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // Downloads are attachments, never sniffed, only for the path.
    let r = t
        .http
        .get(t.url(a["uri"].as_str().unwrap()))
        .bearer_auth(&w.a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert!(h["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-type"], "text/plain");
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"error at line 3\n");
    let r = t
        .http
        .get(t.url(a["uri"].as_str().unwrap()))
        .bearer_auth(&w.b.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (s, list) = t.get(&path, &w.x.2).await;
    assert_eq!((s, count(&list)), (200, 2));
}

#[tokio::test]
async fn support_mail_reaches_requester_and_assignee_in_their_languages() {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let t = TestApp::spawn_with(|c| {
        c.mail_mode = MailMode::Smtp;
        c.smtp_url = Some(url);
    })
    .await;
    let w = world(&t).await;
    let (x_tenant, x_admin, x) = &w.x;
    // The customer's administrator reads Korean.
    let (s, u) = t
        .patch(
            &format!("/v1/users/{}", x_admin.id),
            x,
            &json!({"language": "ko-KR"}),
        )
        .await;
    assert_eq!(s, 200, "{u}");
    let (s, c) = t.post("/v1/servicerequests", x, &case("high")).await;
    assert_eq!(s, 201, "{c}");
    let path = format!("/v1/servicerequests/{}", c["id"].as_str().unwrap());
    // The reseller's admin hears of it in English.
    let mail = smtp
        .wait_for_subject(
            &w.a.admin.upn,
            "New support request: Users cannot get licenses",
        )
        .await;
    assert!(
        mail["text"].as_str().unwrap().contains("/portal/support/"),
        "{mail}"
    );
    // The reseller answers: the customer hears in Korean.
    let (s, _) = t
        .patch(
            &path,
            &w.a.token,
            &json!({"status": "attentionNeeded", "note": "Which users?"}),
        )
        .await;
    assert_eq!(s, 200);
    let mail = smtp
        .wait_for_subject(
            &x_admin.upn,
            "지원 요청 Users cannot get licenses: 정보 요청",
        )
        .await;
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains("Which users?") && text.contains("안녕하세요"),
        "{text}"
    );
    let _ = x_tenant;
}

/// The reseller works the customer's case in the portal: the list, the case page with its
/// thread and clock, an answer, and an escalation that asks for confirmation first. The
/// provider then sees it, and its breach-rate page draws the chart.
#[tokio::test]
async fn the_portal_case_page_answers_and_escalates_with_confirmation() {
    use crate::support::browser::Browser;
    let t = TestApp::spawn().await;
    let w = world(&t).await;
    let (s, c) = t
        .post("/v1/servicerequests", &w.x.2, &case("critical"))
        .await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    let (s, _) = t
        .post(
            &format!("/v1/servicerequests/{id}/notes"),
            &w.x.2,
            &json!({"text": "It started after Monday's order."}),
        )
        .await;
    assert_eq!(s, 201);
    let b = Browser::start("support_case", &t.base).await;
    let result = async {
        b.sign_in(&w.a.admin.upn).await?;
        b.goto("/portal/support?view=assigned&severity=critical")
            .await?;
        let list = b.text("#support-list").await?;
        anyhow::ensure!(list.contains("Users cannot get licenses"), "listed: {list}");
        b.click("#support-list a").await?;
        b.wait("#case-title").await?;
        let thread = b.text("#thread").await?;
        anyhow::ensure!(
            thread.contains("It started after Monday's order."),
            "{thread}"
        );
        let clock = b.text("#sla-left").await?;
        anyhow::ensure!(
            clock.contains("First response") && clock.contains("left"),
            "{clock}"
        );
        b.fill("#note-text", "We are checking the seat sync.")
            .await?;
        b.click("#note-submit").await?;
        b.wait("#notice").await?;
        let thread = b.text("#thread").await?;
        anyhow::ensure!(
            thread.contains("We are checking the seat sync."),
            "{thread}"
        );
        if std::env::var("PARTNERHUB_SCREENSHOTS").is_ok() {
            // Tall enough for the clock, the thread and the actions in one picture.
            b.client.set_window_size(1280, 1500).await?;
            let png = b.client.screenshot().await?;
            b.client.set_window_size(1280, 900).await?;
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/screenshots");
            std::fs::create_dir_all(dir)?;
            std::fs::write(format!("{dir}/support-case.png"), png)?;
        }
        // Escalating asks first; cancelling changes nothing.
        b.click("#do-escalate").await?;
        let q = b.text("#confirm-question").await?;
        anyhow::ensure!(q.contains("Provider"), "confirmation names the tier: {q}");
        b.click("#confirm-no").await?;
        let tier = b.text("#case-tier").await?;
        anyhow::ensure!(tier.contains("Reseller"), "still with the reseller: {tier}");
        b.click("#do-escalate").await?;
        b.fill("#confirm-note", "Needs the provider's eyes.")
            .await?;
        b.click("#confirm-yes").await?;
        b.wait("#notice").await?;
        let tier = b.text("#case-tier").await?;
        anyhow::ensure!(tier.contains("Provider"), "escalated: {tier}");
        let html = b.client.source().await?;
        anyhow::ensure!(
            !html.contains("do-escalate"),
            "the reseller no longer holds it"
        );
        // The reseller raises one for its customer from the form: it goes to the provider.
        b.goto("/portal/support").await?;
        b.fill("#sr-title", "Seat count wrong after renewal")
            .await?;
        b.fill("#sr-description", "Renewal kept the old quantity.")
            .await?;
        b.wait("#sr-customer")
            .await?
            .select_by_value(&w.x.0.id.to_string())
            .await?;
        b.click("#support-submit").await?;
        b.wait("#case-title").await?;
        let tier = b.text("#case-tier").await?;
        anyhow::ensure!(
            tier.contains("Provider"),
            "raised for X to the provider: {tier}"
        );
        Ok(())
    }
    .await;
    b.finish(result).await;
    let (_, c) = t
        .get(&format!("/v1/servicerequests/{id}"), &w.p.token)
        .await;
    assert_eq!(c["tier"], "provider", "{c}");
    assert_eq!(c["notes"].as_array().unwrap().len(), 3);

    let b = Browser::start("support_rates", &t.base).await;
    let result = async {
        b.sign_in(&w.p.admin.upn).await?;
        b.goto(&format!("/portal/support/{id}")).await?;
        let thread = b.text("#thread").await?;
        anyhow::ensure!(thread.contains("Needs the provider's eyes."), "{thread}");
        b.goto("/portal/support/rates").await?;
        b.wait("#rates-chart").await?;
        let table = b.text("#rates").await?;
        anyhow::ensure!(table.contains(&w.a.tenant.display_name), "{table}");
        Ok(())
    }
    .await;
    b.finish(result).await;
}

/// The demo world has cases at each tier: one with the operator, one close to its target.
#[tokio::test]
async fn the_demo_world_has_cases_at_each_tier() {
    let t = TestApp::spawn().await;
    partnerhub::cli::demo::load(&t.app).await.unwrap();
    let pw = partnerhub::cli::demo::PASSWORD;
    let token = |upn: &'static str| {
        let t = &t;
        async move {
            let (s, b) = t.token_response(upn, pw).await;
            assert_eq!(s, 200, "{upn}: {b}");
            b["access_token"].as_str().unwrap().to_string()
        }
    };
    let op = token("admin@operator.example").await;
    let (_, held) = t.get("/v1/servicerequests?view=assigned", &op).await;
    // Northwind's own case, and Litware's escalated all the way up.
    assert_eq!(count(&held), 2, "{held}");
    let escalated = held["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "Nobody can sign in since this morning")
        .unwrap_or_else(|| panic!("the escalated case in {held}"));
    assert_eq!(escalated["tier"], "operator");
    assert_eq!(escalated["organization"]["name"], "Litware Inc.");
    let saebyeok = token("admin@saebyeok.example").await;
    let (_, near) = t.get("/v1/servicerequests?view=assigned", &saebyeok).await;
    let left = near["items"][0]["serviceLevel"]["secondsLeft"]
        .as_i64()
        .unwrap();
    assert!((0..=12 * 60).contains(&left), "near its target: {left}");
    let northwind = token("admin@northwind.example").await;
    let (_, all) = t.get("/v1/servicerequests", &northwind).await;
    assert!(count(&all) >= 4, "{all}");
    let (_, closed) = t.get("/v1/servicerequests?status=closed", &northwind).await;
    assert_eq!(count(&closed), 1);
}

/// Support topics are data: the command line imports them, and importing again updates.
#[tokio::test]
async fn support_topics_import_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::support::fresh_database_url(&dir).await;
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/support-topics.json");
    for _ in 0..2 {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_partnerhub"))
            .args(["admin", "import-support-topics", file])
            .env("PARTNERHUB_DATABASE_URL", &db)
            .env("PARTNERHUB_LOG", "warn")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("imported 7 support topics"), "{stdout}");
    }
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"topics": [{"id": "has space", "name": ""}]}"#).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_partnerhub"))
        .args(["admin", "import-support-topics", bad.to_str().unwrap()])
        .env("PARTNERHUB_DATABASE_URL", &db)
        .env("PARTNERHUB_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("topics[0].id") && err.contains("topics[0].name"),
        "{err}"
    );
}

/// With `--support-attachment-dir`, files live in that directory under their id (never the
/// uploaded name) and download the same.
#[tokio::test]
async fn attachments_can_live_in_a_directory() {
    let files = tempfile::tempdir().unwrap();
    let dir = files.path().to_path_buf();
    let t = TestApp::spawn_with(|c| c.support_attachment_dir = Some(dir)).await;
    let w = world(&t).await;
    let (_, c) = t.post("/v1/servicerequests", &w.x.2, &case("normal")).await;
    let path = format!(
        "/v1/servicerequests/{}/attachments?fileName=../../evil.txt",
        c["id"].as_str().unwrap()
    );
    let r = t
        .http
        .post(t.url(&path))
        .bearer_auth(&w.x.2)
        .header("content-type", "text/plain")
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "folders in the name are refused");
    let path = path.replace("../../evil.txt", "notes.txt");
    let r = t
        .http
        .post(t.url(&path))
        .bearer_auth(&w.x.2)
        .header("content-type", "text/plain")
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let a: Value = r.json().await.unwrap();
    let stored = files.path().join(a["id"].as_str().unwrap());
    assert_eq!(std::fs::read(&stored).unwrap(), b"payload");
    let r = t
        .http
        .get(t.url(a["uri"].as_str().unwrap()))
        .bearer_auth(&w.a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("filename=\"notes.txt\""));
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"payload");
}
