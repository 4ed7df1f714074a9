//! Every collection of the partner side (providers, invitations, relationships, referrals,
//! audit records, webhook deliveries, service requests, their notes and attachments, support
//! topics) walked two items a page through its `next` links and `MS-ContinuationToken`: each
//! item exactly once, in the list's order, with `totalCount` right on every page.

use crate::customers::{customer_via, partner_up};
use crate::support::paging::{walk, whole};
use crate::support::receiver::Receiver;
use crate::support::{Partner, TestApp};
use serde_json::json;

async fn partnered(t: &TestApp, n: usize) -> (Partner, Vec<Partner>) {
    let p = t.partner(true, false, "US").await;
    let mut resellers = Vec::new();
    for _ in 0..n {
        let r = t.partner(false, true, "US").await;
        partner_up(t, &p, &r).await;
        resellers.push(r);
    }
    (p, resellers)
}

#[tokio::test]
async fn relationships_invitations_and_providers_page_to_the_end() {
    let t = TestApp::spawn().await;
    let (p, resellers) = partnered(&t, 5).await;
    // Relationships, by name: the provider sees its five resellers.
    let path = "/v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf";
    let walked = walk(&t, &p.token, &format!("{path}&size=2"), 2, "id", 5).await;
    assert_eq!(walked, whole(&t, &p.token, path, "id").await);
    let mut expected: Vec<_> = resellers.iter().map(|r| r.tenant.id.to_string()).collect();
    expected.sort();
    let mut got = walked.clone();
    got.sort();
    assert_eq!(got, expected);
    // Invitations, newest first: five accepted plus two pending.
    for _ in 0..2 {
        let (s, _) = t
            .post("/v1/partnershipinvitations", &p.token, &json!({}))
            .await;
        assert_eq!(s, 201);
    }
    let walked = walk(
        &t,
        &p.token,
        "/v1/partnershipinvitations?size=2",
        2,
        "id",
        7,
    )
    .await;
    assert_eq!(
        walked,
        whole(&t, &p.token, "/v1/partnershipinvitations", "id").await
    );
    // The provider directory, by name, with a filter kept across pages.
    for _ in 0..3 {
        t.partner(true, false, "US").await;
    }
    let path = "/v1/providers?country=US";
    let all = whole(&t, &p.token, path, "id").await;
    assert_eq!(all.len(), 4);
    let walked = walk(&t, &p.token, &format!("{path}&size=2"), 2, "id", 4).await;
    assert_eq!(walked, all);
}

#[tokio::test]
async fn referrals_audit_records_and_webhook_deliveries_page_to_the_end() {
    let t = TestApp::spawn_with(|c| c.webhook_allow = vec!["127.0.0.1".into()]).await;
    let rx = Receiver::start().await;
    let p = t.partner(true, false, "US").await;
    let (s, v) = t
        .post(
            "/webhooks/v1/registration",
            &p.token,
            &json!({"webhookUrl": rx.url, "webhookEvents": ["partnership-created"]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let mut resellers = Vec::new();
    for _ in 0..5 {
        let r = t.partner(false, true, "US").await;
        partner_up(&t, &p, &r).await;
        resellers.push(r);
    }
    for (i, r) in resellers.iter().enumerate() {
        let mut lead = json!({
            "name": format!("Lead {i}"),
            "dealValue": "1000.00",
            "currency": "usd",
            "customerProfile": {
                "name": format!("Prospect {i}"),
                "country": "US",
                "contact": {"name": "Dana Kim", "email": "dana@prospect.example"}
            },
            "consent": true
        });
        lead["targetPartnerId"] = json!(r.tenant.id.to_string());
        let (s, v) = t.post("/v1/referrals", &p.token, &lead).await;
        assert_eq!(s, 201, "{v}");
    }
    let walked = walk(&t, &p.token, "/v1/referrals?size=2", 2, "id", 5).await;
    assert_eq!(walked, whole(&t, &p.token, "/v1/referrals", "id").await);
    // Audit records: whatever the provider's organisation did, all of it, newest first.
    let all = whole(&t, &p.token, "/v1/auditrecords", "id").await;
    assert!(all.len() >= 10, "{all:?}");
    let walked = walk(&t, &p.token, "/v1/auditrecords?size=2", 2, "id", all.len()).await;
    assert_eq!(walked, all);
    // Webhook deliveries, newest first: one per partnership made after registering.
    let path = "/webhooks/v1/registration/deliveries";
    let mut all = Vec::new();
    for _ in 0..400 {
        all = whole(&t, &p.token, path, "id").await;
        if all.len() == 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(all.len(), 5, "one delivery per partnership");
    let walked = walk(&t, &p.token, &format!("{path}?size=2"), 2, "id", 5).await;
    assert_eq!(walked, all);
}

#[tokio::test]
async fn service_requests_notes_attachments_and_topics_page_to_the_end() {
    let t = TestApp::spawn().await;
    crate::support_requests::load_topics(&t).await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    partner_up(&t, &p, &a).await;
    let x = customer_via(&t, &a, Some(&p), &["helpdesk_administrator"], 365).await;
    let case = json!({
        "title": "Users cannot get licenses",
        "description": "Since this morning new users see 'no license available'.",
        "severity": "normal",
        "supportTopicId": "licenses-seats",
        "primaryContact": {"name": "Ana Ruiz", "email": "ana@customer.example"}
    });
    let mut first = String::new();
    for _ in 0..5 {
        let (s, c) = t.post("/v1/servicerequests", &x.2, &case).await;
        assert_eq!(s, 201, "{c}");
        first = c["id"].as_str().unwrap().to_string();
    }
    let walked = walk(&t, &x.2, "/v1/servicerequests?size=2", 2, "id", 5).await;
    assert_eq!(walked, whole(&t, &x.2, "/v1/servicerequests", "id").await);
    // Notes and attachments of one case, oldest first.
    let notes = format!("/v1/servicerequests/{first}/notes");
    let before = whole(&t, &x.2, &notes, "id").await.len();
    for i in 0..5 {
        let (s, v) = t
            .post(&notes, &x.2, &json!({"text": format!("note {i}")}))
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let all = whole(&t, &x.2, &notes, "id").await;
    assert_eq!(all.len(), before + 5);
    let walked = walk(&t, &x.2, &format!("{notes}?size=2"), 2, "id", all.len()).await;
    assert_eq!(walked, all);
    let files = format!("/v1/servicerequests/{first}/attachments");
    for i in 0..5 {
        let r = t
            .http
            .post(t.url(&format!(
                "{files}?fileName=trace{i}.txt&description=log&productName=suite"
            )))
            .bearer_auth(&x.2)
            .header("content-type", "text/plain")
            .body(format!("error at line {i}\n"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let all = whole(&t, &x.2, &files, "id").await;
    assert_eq!(all.len(), 5);
    let walked = walk(&t, &x.2, &format!("{files}?size=2"), 2, "id", 5).await;
    assert_eq!(walked, all);
    // Topics, by name.
    let path = "/v1/servicerequests/supporttopics";
    let all = whole(&t, &x.2, path, "id").await;
    assert!(all.len() >= 5);
    let walked = walk(&t, &x.2, &format!("{path}?size=2"), 2, "id", all.len()).await;
    assert_eq!(walked, all);
}
