//! Referrals: own leads, provider-to-reseller and operator-to-partner leads, the status
//! machine, who sees and moves what, mail and events.

use crate::customers::partner_up;
use crate::support::receiver::Receiver;
use crate::support::{assert_error_shape, TestApp};
use partnerhub::domain::identity::{Role, TenantKind};
use serde_json::{json, Value};

fn lead(target: Option<&str>) -> Value {
    let mut v = json!({
        "name": "Fabrikam cloud move",
        "dealValue": "48000.00",
        "currency": "usd",
        "customerProfile": {
            "name": "Fabrikam",
            "country": "US",
            "contact": {"name": "Dana Kim", "email": "dana@fabrikam.example", "phone": "+1 425 555 0100"}
        },
        "consent": true,
        "notes": "Wants to start next quarter"
    });
    if let Some(t) = target {
        v["targetPartnerId"] = json!(t);
    }
    v
}

#[tokio::test]
async fn referrals_move_from_sender_to_receiver_through_their_statuses() {
    let t = TestApp::spawn_with(|c| c.webhook_allow = vec!["127.0.0.1".into()]).await;
    let rx = Receiver::start().await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    let b = t.partner(false, true, "US").await;
    partner_up(&t, &p, &a).await;
    let (s, _) = t
        .post(
            "/webhooks/v1/registration",
            &a.token,
            &json!({"webhookUrl": rx.url, "webhookEvents": ["referral-created", "referral-updated"]}),
        )
        .await;
    assert_eq!(s, 201);
    let a_id = a.tenant.id.to_string();
    let b_id = b.tenant.id.to_string();

    // Bad input: every problem at once.
    let (s, e) = t
        .post(
            "/v1/referrals",
            &p.token,
            &json!({"name": "", "dealValue": "-1", "currency": "dollars", "consent": false,
                    "customerProfile": {"name": "X", "country": "USA", "contact": {"name": "Y", "email": "nope"}},
                    "targetPartnerId": a_id}),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    assert_error_shape(&e);
    let fields: Vec<&str> = e["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in [
        "name",
        "dealValue",
        "currency",
        "customerProfile.country",
        "customerProfile.contact.email",
        "consent",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }

    // The provider sends to its reseller, not to a stranger.
    let (s, r) = t.post("/v1/referrals", &p.token, &lead(Some(&a_id))).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        (r["status"].as_str(), r["substatus"].as_str()),
        (Some("new"), Some("pending"))
    );
    assert_eq!(r["currency"], "USD");
    let (s, _) = t.post("/v1/referrals", &p.token, &lead(Some(&b_id))).await;
    assert_eq!(s, 403, "B is not P's reseller");
    let (s, _) = t
        .post(
            "/v1/referrals",
            &a.token,
            &lead(Some(&p.tenant.id.to_string())),
        )
        .await;
    assert_eq!(s, 403, "resellers do not send leads upstream");
    let id = r["id"].as_str().unwrap().to_string();
    let path = format!("/v1/referrals/{id}");

    // The receiver is told by mail and webhook.
    t.mail_settled().await;
    let mails = partnerhub::app::store::mailbox::list(&t.app.db, None, 100)
        .await
        .unwrap();
    assert!(
        mails
            .iter()
            .any(|m| m.subject == "New referral: Fabrikam cloud move"),
        "referral mail"
    );
    let got = rx.wait_for(1).await;
    assert_eq!(got[0].json()["eventName"], "referral-created");

    // Both ends see it; nobody else does.
    assert_eq!(t.get(&path, &a.token).await.0, 200);
    assert_eq!(t.get(&path, &p.token).await.0, 200);
    assert_eq!(t.get(&path, &b.token).await.0, 404);
    let (_, received) = t.get("/v1/referrals?direction=received", &a.token).await;
    assert_eq!(received["totalCount"], 1);
    let (_, sent) = t.get("/v1/referrals?direction=received", &p.token).await;
    assert_eq!(sent["totalCount"], 0);
    let (_, none) = t.get("/v1/referrals", &b.token).await;
    assert_eq!(none["totalCount"], 0);

    // The sender cannot work the lead; the receiver moves it on and cannot skip steps.
    let (s, _) = t
        .patch(&path, &p.token, &json!({"substatus": "accepted"}))
        .await;
    assert_eq!(s, 403);
    let (s, e) = t.patch(&path, &a.token, &json!({"substatus": "won"})).await;
    assert_eq!(s, 400, "{e}");
    let (s, r) = t
        .patch(
            &path,
            &a.token,
            &json!({"substatus": "accepted", "dealValue": "52000"}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["status"].as_str(), r["dealValue"].as_str()),
        (Some("active"), Some("52000"))
    );
    let stale = t
        .http
        .patch(t.url(&path))
        .bearer_auth(&a.token)
        .header("if-match", "\"1\"")
        .json(&json!({"substatus": "won"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    let (s, r) = t.patch(&path, &a.token, &json!({"substatus": "won"})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["status"], "closed");
    let (s, _) = t
        .patch(&path, &a.token, &json!({"substatus": "lost"}))
        .await;
    assert_eq!(s, 409, "closed is final");
    t.mail_settled().await;
    let p_box = partnerhub::app::store::mailbox::list(&t.app.db, None, 100)
        .await
        .unwrap();
    assert!(p_box
        .iter()
        .any(|m| m.subject == "Referral Fabrikam cloud move is now closed/won"));
    let got = rx.wait_for(3).await;
    assert!(got[1..]
        .iter()
        .all(|r| r.json()["eventName"] == "referral-updated"));

    // A reseller records its own leads; the sender may withdraw a new one.
    let (s, own) = t.post("/v1/referrals", &a.token, &lead(None)).await;
    assert_eq!(s, 201, "{own}");
    assert_eq!(own["targetPartnerId"], a_id);
    let (_, second) = t.post("/v1/referrals", &p.token, &lead(Some(&a_id))).await;
    let second = second["id"].as_str().unwrap();
    let (s, w) = t
        .patch(
            &format!("/v1/referrals/{second}"),
            &p.token,
            &json!({"substatus": "expired"}),
        )
        .await;
    assert_eq!(s, 200, "{w}");

    // Helpdesk agents do not handle leads; the operator sends to any partner.
    let helpdesk = t.user(&a.tenant, "helpdesk", &[Role::HelpdeskAgent]).await;
    let ht = t.token(&helpdesk.upn).await;
    assert_eq!(t.get("/v1/referrals", &ht).await.0, 403);
    let (_, op) = t.tenant(TenantKind::Operator, &[Role::OperatorAdmin]).await;
    let ot = t.token(&op.upn).await;
    let (s, r) = t.post("/v1/referrals", &ot, &lead(Some(&b_id))).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        t.get(
            &format!("/v1/referrals/{}", r["id"].as_str().unwrap()),
            &b.token
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn referral_lists_page_newest_first_without_gaps_or_repeats() {
    let t = TestApp::spawn().await;
    let a = t.partner(false, true, "US").await;
    for _ in 0..5 {
        let (s, _) = t.post("/v1/referrals", &a.token, &lead(None)).await;
        assert_eq!(s, 201);
    }
    let (_, whole) = t.get("/v1/referrals?size=100", &a.token).await;
    let expected: Vec<String> = whole["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(expected.len(), 5);
    let created: Vec<&str> = whole["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["createdDate"].as_str().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..5 {
        let mut req = t
            .http
            .get(t.url("/v1/referrals?size=2"))
            .bearer_auth(&a.token);
        if let Some(tok) = &token {
            req = req.header("MS-ContinuationToken", tok);
        }
        let page: Value = req.send().await.unwrap().json().await.unwrap();
        for r in page["items"].as_array().unwrap() {
            seen.push(r["id"].as_str().unwrap().to_string());
        }
        match page["continuationToken"].as_str() {
            Some(tok) => token = Some(tok.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, expected);
}
