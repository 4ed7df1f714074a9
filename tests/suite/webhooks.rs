//! Webhooks end to end: registration rules, signed delivery to a receiver started by the
//! test, retries with backoff, redirects and timeouts, secret rotation, the delivery log,
//! and delivery that survives a restart.

use crate::customers::partner_up;
use crate::support::receiver::Receiver;
use crate::support::{assert_error_shape, TestApp};
use partnerhub::domain::identity::Role;
use partnerhub::domain::webhook;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

/// A server that may post to local receivers. Receivers get 10 s to answer, so a loaded
/// machine does not turn a delivered event into a timeout and a second delivery; the test of
/// timeouts uses `spawn_with_timeout(1)`.
async fn spawn() -> TestApp {
    spawn_with_timeout(10).await
}

async fn spawn_with_timeout(secs: u64) -> TestApp {
    TestApp::spawn_with(|c| {
        c.webhook_allow = vec!["127.0.0.1".into()];
        c.webhook_timeout_secs = secs;
    })
    .await
}

pub async fn register(t: &TestApp, token: &str, url: &str, events: &[&str]) -> Value {
    let (s, b) = t
        .post(
            "/webhooks/v1/registration",
            token,
            &json!({"webhookUrl": url, "webhookEvents": events}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b
}

/// Polls a test event until it has `attempts` attempts and is no longer being sent.
async fn settled(t: &TestApp, token: &str, correlation: &str, attempts: i64) -> Value {
    for _ in 0..1200 {
        let (s, d) = t
            .get(
                &format!("/webhooks/v1/registration/validationEvents/{correlation}"),
                token,
            )
            .await;
        assert_eq!(s, 200, "{d}");
        if d["attempts"].as_i64() == Some(attempts)
            && d["attemptLog"].as_array().unwrap().len() == attempts as usize
        {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the test event did not reach {attempts} attempts");
}

fn check_signature(secret: &str, r: &crate::support::receiver::Received) -> bool {
    let ts: i64 = r.header("webhook-timestamp").parse().unwrap();
    webhook::verify(
        &webhook::secret_bytes(secret).unwrap(),
        &r.header("webhook-id"),
        ts,
        &r.body,
        &r.header("webhook-signature"),
        ts,
        300,
    )
}

#[tokio::test]
async fn registration_refuses_bad_targets_with_reasons() {
    let t = TestApp::spawn().await;
    let p = t.partner(true, false, "US").await;
    let (s, events) = t.get("/webhooks/v1/registration/events", &p.token).await;
    assert_eq!(s, 200);
    for needed in [
        "test-created",
        "customer-created",
        "partnership-created",
        "granular-admin-relationship-expired",
        "order-created",
        "invoice-ready",
        "enrollment-status-changed",
        "referral-updated",
    ] {
        assert!(
            events.as_array().unwrap().iter().any(|e| e == needed),
            "{needed}"
        );
    }
    let (s, b) = t.get("/webhooks/v1/registration", &p.token).await;
    assert_eq!(s, 404, "{b}");
    for (url, why) in [
        ("not a url", "not valid"),
        ("http://hooks.partner.example/in", "https"),
        ("https://10.1.2.3/in", "private"),
        ("https://169.254.169.254/latest/meta-data", "private"),
        ("https://127.0.0.1:8443/in", "loopback"),
        ("https://localhost/in", "this machine"),
        ("https://[::1]/in", "loopback"),
        ("https://no-such-host.invalid/in", "does not resolve"),
    ] {
        let (s, b) = t
            .post(
                "/webhooks/v1/registration",
                &p.token,
                &json!({"webhookUrl": url, "webhookEvents": ["order-created"]}),
            )
            .await;
        assert_eq!(s, 400, "{url}: {b}");
        assert_error_shape(&b);
        let m = b["description"].as_str().unwrap();
        assert!(m.contains(why), "{url}: {m}");
        assert_eq!(b["data"][0]["field"], "webhookUrl");
    }
    let (s, b) = t
        .post(
            "/webhooks/v1/registration",
            &p.token,
            &json!({"WebhookUrl": "https://10.0.0.1/", "WebhookEvents": ["order-shipped"]}),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    let fields: Vec<&str> = b["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"webhookUrl"), "{b}");
    // Not a partner admin: refused before anything is looked at.
    let sales = t.user(&p.tenant, "sales", &[Role::SalesAgent]).await;
    let sales_token = t.token(&sales.upn).await;
    let (s, _) = t
        .post(
            "/webhooks/v1/registration",
            &sales_token,
            &json!({"webhookUrl": "https://hooks.partner.example/", "webhookEvents": ["order-created"]}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = t
        .get("/webhooks/v1/registration/deliveries", &sales_token)
        .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn events_are_signed_delivered_once_and_logged() {
    let t = spawn().await;
    let rx = Receiver::start().await;
    let p = t.partner(true, false, "US").await;
    let a = t.partner(false, true, "US").await;
    let reg = register(
        &t,
        &p.token,
        &rx.url,
        &["partnership-created", "test-created"],
    )
    .await;
    let secret = reg["webhookSecret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let (s, again) = t.get("/webhooks/v1/registration", &p.token).await;
    assert_eq!(s, 200);
    assert!(
        again.get("webhookSecret").is_none(),
        "the secret is shown once: {again}"
    );
    let duplicate = t
        .post(
            "/webhooks/v1/registration",
            &p.token,
            &json!({"webhookUrl": rx.url, "webhookEvents": ["order-created"]}),
        )
        .await;
    assert_eq!(duplicate.0, 409, "{}", duplicate.1);

    // The stored secret is sealed, not the text partners were given.
    let raw = webhook::secret_bytes(&secret).unwrap();
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT secret_sealed FROM webhook_registrations")
        .fetch_one(&t.app.db.read)
        .await
        .unwrap();
    assert!(!sealed.windows(raw.len()).any(|w| w == raw.as_slice()));

    // A test event on demand.
    let (s, v) = t
        .post(
            "/webhooks/v1/registration/validationEvents",
            &p.token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let corr = v["correlationId"].as_str().unwrap();
    let got = rx.wait_for(1).await;
    let first = &got[0];
    assert_eq!(first.path, "/hooks/partnerhub");
    assert!(check_signature(&secret, first), "the signature verifies");
    assert!(!check_signature(
        "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        first
    ));
    let body = first.json();
    assert_eq!(body["eventName"], "test-created");
    assert_eq!(
        body["eventId"].as_str().unwrap(),
        first.header("webhook-id")
    );
    for k in [
        "resourceUri",
        "resourceName",
        "auditUri",
        "resourceChangeUtcDate",
    ] {
        assert!(body[k].is_string(), "{k} in {body}");
    }
    let d = settled(&t, &p.token, corr, 1).await;
    assert_eq!(d["status"], "delivered", "{d}");
    assert_eq!(d["attemptLog"][0]["statusCode"], 200);

    // A real event reaches the organisations in its audience that subscribed to it.
    partner_up(&t, &p, &a).await;
    let got = rx.wait_for(2).await;
    let ev = got[1].json();
    assert_eq!(ev["eventName"], "partnership-created");
    assert!(
        ev["resourceUri"]
            .as_str()
            .unwrap()
            .contains("/v1/relationships/"),
        "{ev}"
    );
    assert!(check_signature(&secret, &got[1]));

    // The log lists both, newest first, with their response codes.
    for _ in 0..200 {
        let (_, log) = t
            .get(
                "/webhooks/v1/registration/deliveries?status=delivered",
                &p.token,
            )
            .await;
        if log["totalCount"] == 2 {
            assert_eq!(log["items"][0]["eventName"], "partnership-created");
            assert_eq!(log["items"][0]["lastStatusCode"], 200);
            assert_eq!(log["items"][1]["eventName"], "test-created");
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let (_, log) = t
        .get("/webhooks/v1/registration/deliveries", &p.token)
        .await;
    assert_eq!(log["totalCount"], 2, "{log}");
    let (s, _) = t
        .get("/webhooks/v1/registration/deliveries?status=lost", &p.token)
        .await;
    assert_eq!(s, 400);
    // The reseller did not register: nothing went anywhere for it, and it cannot see P's log.
    let (s, own) = t
        .get("/webhooks/v1/registration/deliveries", &a.token)
        .await;
    assert_eq!((s, own["totalCount"].as_i64()), (200, Some(0)), "{own}");
    let id = log["items"][0]["id"].as_str().unwrap();
    let (s, _) = t
        .get(
            &format!("/webhooks/v1/registration/deliveries/{id}"),
            &a.token,
        )
        .await;
    assert_eq!(
        s, 404,
        "another organisation's delivery does not exist for A"
    );
    let (s, _) = t
        .post(
            &format!("/webhooks/v1/registration/deliveries/{id}/redeliver"),
            &a.token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 404);
    // An id that is no id is the same not-found, on the owner's own log.
    for (method, path) in [
        (Method::GET, "/webhooks/v1/registration/deliveries/{id}"),
        (
            Method::POST,
            "/webhooks/v1/registration/deliveries/{id}/redeliver",
        ),
    ] {
        crate::support::ids::api_not_found(&t, method, path, &p.token, &json!({})).await;
    }

    // Redelivery sends the same event id again.
    let (s, b) = t
        .post(
            &format!("/webhooks/v1/registration/deliveries/{id}/redeliver"),
            &p.token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 202, "{b}");
    let got = rx.wait_for(3).await;
    assert_eq!(got[2].header("webhook-id"), got[1].header("webhook-id"));

    // Test events are rate limited (two a minute by default): within a few tries the limit
    // answers, however the tries fall across a minute's boundary.
    let mut accepted = 0;
    let mut limited = None;
    for _ in 0..6 {
        let r = t
            .http
            .post(t.url("/webhooks/v1/registration/validationEvents"))
            .bearer_auth(&p.token)
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
            limited = Some(r.json::<Value>().await.unwrap());
            break;
        }
        assert_eq!(r.status(), 200);
        accepted += 1;
    }
    let b = limited.expect("test events are rate limited");
    assert!(accepted <= 4, "{accepted} accepted before the limit");
    assert_error_shape(&b);
}

#[tokio::test]
async fn failing_receivers_are_retried_with_backoff_then_given_up() {
    let t = spawn().await;
    let rx = Receiver::start().await;
    rx.answer(&[500, 503]);
    let p = t.partner(true, false, "US").await;
    register(&t, &p.token, &rx.url, &["test-created"]).await;
    let (_, v) = t
        .post(
            "/webhooks/v1/registration/validationEvents",
            &p.token,
            &json!({}),
        )
        .await;
    let corr = v["correlationId"].as_str().unwrap();
    let d = settled(&t, &p.token, corr, 1).await;
    assert_eq!(d["status"], "pending");
    assert_eq!(d["lastStatusCode"], 500);
    assert!(d["lastError"].as_str().unwrap().contains("500"), "{d}");
    // Not before the backoff has passed.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(rx.received().len(), 1);
    t.clock.advance(chrono::Duration::seconds(31));
    let d = settled(&t, &p.token, corr, 2).await;
    assert_eq!(d["lastStatusCode"], 503);
    t.clock.advance(chrono::Duration::seconds(61));
    let d = settled(&t, &p.token, corr, 3).await;
    assert_eq!(d["status"], "delivered", "{d}");
    let codes: Vec<i64> = d["attemptLog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["statusCode"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [500, 503, 200]);
    let got = rx.received();
    assert_eq!(got.len(), 3);
    assert!(
        got.iter()
            .all(|r| r.header("webhook-id") == got[0].header("webhook-id")),
        "one event id throughout"
    );

    // A receiver that keeps failing is retried for a day, then given up and kept in the log.
    let q = t.partner(true, false, "US").await;
    let down = Receiver::start().await;
    down.answer(&[502; 100]);
    register(&t, &q.token, &down.url, &["test-created"]).await;
    let (_, v) = t
        .post(
            "/webhooks/v1/registration/validationEvents",
            &q.token,
            &json!({}),
        )
        .await;
    let corr = v["correlationId"].as_str().unwrap();
    settled(&t, &q.token, corr, 1).await;
    t.clock.advance(chrono::Duration::hours(25));
    let token = t.token(&q.admin.upn).await;
    let d = settled(&t, &token, corr, 2).await;
    assert_eq!(d["status"], "pending", "still retried after 25 hours: {d}");
    t.clock.advance(chrono::Duration::hours(2));
    let token = t.token(&q.admin.upn).await;
    let d = settled(&t, &token, corr, 3).await;
    assert_eq!(d["status"], "failed", "{d}");
    let (_, failed) = t
        .get("/webhooks/v1/registration/deliveries?status=failed", &token)
        .await;
    assert_eq!(failed["totalCount"], 1);
}

#[tokio::test]
async fn redirects_are_not_followed_and_slow_receivers_time_out() {
    let t = spawn_with_timeout(1).await;
    let rx = Receiver::start().await;
    rx.answer(&[302]);
    let p = t.partner(true, false, "US").await;
    register(&t, &p.token, &rx.url, &["test-created"]).await;
    let (_, v) = t
        .post(
            "/webhooks/v1/registration/validationEvents",
            &p.token,
            &json!({}),
        )
        .await;
    let d = settled(&t, &p.token, v["correlationId"].as_str().unwrap(), 1).await;
    assert_eq!(d["lastStatusCode"], 302);
    assert!(d["lastError"].as_str().unwrap().contains("redirect"), "{d}");
    let got = rx.received();
    assert_eq!(got.len(), 1);
    assert!(
        got.iter().all(|r| r.path != "/elsewhere"),
        "the redirect was not followed"
    );

    let slow = Receiver::start().await;
    slow.slow(Duration::from_secs(3));
    let q = t.partner(true, false, "US").await;
    register(&t, &q.token, &slow.url, &["test-created"]).await;
    let (_, v) = t
        .post(
            "/webhooks/v1/registration/validationEvents",
            &q.token,
            &json!({}),
        )
        .await;
    let corr = v["correlationId"].as_str().unwrap().to_string();
    slow.wait_for(1).await;
    // The API answers while the receiver keeps the worker waiting.
    let (s, _) = t.get("/v1/me", &q.token).await;
    assert_eq!(s, 200);
    let d = settled(&t, &q.token, &corr, 1).await;
    assert_eq!(d["status"], "pending");
    assert!(d["lastError"].as_str().unwrap().contains("in time"), "{d}");
    assert!(d["lastStatusCode"].is_null());
}

#[tokio::test]
async fn rotation_signs_with_both_secrets_for_a_day() {
    let t = spawn().await;
    let rx = Receiver::start().await;
    let p = t.partner(true, false, "US").await;
    let old = register(&t, &p.token, &rx.url, &["test-created"]).await["webhookSecret"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, rotated) = t
        .post(
            "/webhooks/v1/registration/secret/rotate",
            &p.token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200, "{rotated}");
    let new = rotated["webhookSecret"].as_str().unwrap().to_string();
    assert_ne!(old, new);
    assert!(rotated["previousSecretValidUntil"].is_string());
    t.post(
        "/webhooks/v1/registration/validationEvents",
        &p.token,
        &json!({}),
    )
    .await;
    let got = rx.wait_for(1).await;
    assert_eq!(got[0].header("webhook-signature").split(' ').count(), 2);
    assert!(check_signature(&old, &got[0]) && check_signature(&new, &got[0]));
    t.clock.advance(chrono::Duration::hours(25));
    let token = t.token(&p.admin.upn).await;
    let (s, _) = t
        .post(
            "/webhooks/v1/registration/validationEvents",
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let got = rx.wait_for(2).await;
    assert!(check_signature(&new, &got[1]));
    assert!(
        !check_signature(&old, &got[1]),
        "the old secret stops after the overlap"
    );

    // Changing and removing the registration.
    let (s, b) = t
        .put(
            "/webhooks/v1/registration",
            &token,
            &json!({"webhookUrl": rx.url, "webhookEvents": ["order-created", "invoice-ready"]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["webhookEvents"],
        json!(["invoice-ready", "order-created"])
    );
    let r = t
        .http
        .put(t.url("/webhooks/v1/registration"))
        .bearer_auth(&token)
        .header("if-match", "\"1\"")
        .json(&json!({"webhookUrl": rx.url, "webhookEvents": ["order-created"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412, "a stale ETag is refused");
    let r = t
        .http
        .delete(t.url("/webhooks/v1/registration"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (s, _) = t.get("/webhooks/v1/registration", &token).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn deliveries_survive_a_restart_and_arrive_once() {
    let mut t = spawn().await;
    // A port with nothing listening yet: the first attempts fail to connect.
    let parked = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = parked.local_addr().unwrap();
    drop(parked);
    let p = t.partner(true, false, "US").await;
    register(
        &t,
        &p.token,
        &format!("http://{addr}/hooks/partnerhub"),
        &["test-created"],
    )
    .await;
    let (_, v) = t
        .post(
            "/webhooks/v1/registration/validationEvents",
            &p.token,
            &json!({}),
        )
        .await;
    let corr = v["correlationId"].as_str().unwrap().to_string();
    let d = settled(&t, &p.token, &corr, 1).await;
    assert!(d["lastError"].as_str().unwrap().contains("connect"), "{d}");

    t.restart().await;
    let rx = Receiver::on(tokio::net::TcpListener::bind(addr).await.unwrap()).await;
    t.clock.advance(chrono::Duration::seconds(31));
    let got = rx.wait_for(1).await;
    assert_eq!(got[0].json()["eventName"], "test-created");
    let token = t.token(&p.admin.upn).await;
    let d = settled(&t, &token, &corr, 2).await;
    assert_eq!(d["status"], "delivered");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.received().len(), 1, "delivered once");
}
