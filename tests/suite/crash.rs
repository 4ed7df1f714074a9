//! Crash safety: the real `partnerhub` binary takes an order load and is killed with SIGKILL
//! at random moments, then restarted on the same database. Afterwards every order that was
//! acknowledged with 201 exists exactly once and whole, requests whose answer was lost are
//! retried with their `MS-RequestId` and count once, the outbox has delivered the mail of
//! every committed order and holds its event, and the audit chains verify.
//!
//! `PARTNERHUB_CRASH_KILLS` sets the number of kills (5 by default, for CI; the full run
//! documented in docs/security.md uses 25).

use crate::commerce::shop;
use crate::support::TestApp;
use rand::Rng;
use serde_json::{json, Value};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_partnerhub");
const CLIENTS: usize = 6;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: tokio::process::Child,
    base: String,
}

async fn start(url: &str) -> Server {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let child = tokio::process::Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--database-url", url, "--public-url", &base])
        .env("PARTNERHUB_RATE_LIMIT_PER_MINUTE", "1000000")
        .env("PARTNERHUB_MAIL_MODE", "capture")
        .env("PARTNERHUB_LOG", "error")
        .env("PARTNERHUB_IDEMPOTENCY_STALE_SECS", "2")
        .env("PARTNERHUB_OUTBOX_LEASE_SECS", "2")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the partnerhub binary starts");
    let http = reqwest::Client::new();
    for _ in 0..400 {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                return Server { child, base };
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the server did not become ready");
}

#[derive(Default)]
struct Ledger {
    /// request id -> order id, for every 201 received.
    acked: BTreeMap<String, String>,
    /// Requests sent whose answer never came (the server died under them).
    lost: BTreeSet<String>,
}

async fn place(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    token: &str,
    body: &Value,
    rid: &str,
) -> Result<(u16, Value), reqwest::Error> {
    let r = http
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .header("MS-RequestId", rid)
        .json(body)
        .send()
        .await?;
    let s = r.status().as_u16();
    Ok((s, r.json().await?))
}

#[tokio::test]
async fn orders_survive_sigkill_at_random_moments() {
    let kills: usize = std::env::var("PARTNERHUB_CRASH_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(5);
    let mut t = TestApp::spawn().await;
    let s = shop(&t).await;
    let url = t.app.config.database_url.clone();
    // The world is ready; from here on only the real binary serves this database.
    t.running.take().unwrap().shutdown().await;
    let started_ms = t.clock.now_ms();
    let path = format!("/v1/customers/{}/orders", s.x.id);
    let body = json!({"lineItems": [{"lineItemNumber": 0, "catalogItemId": "PH-SUITE:BASIC:US-M",
        "quantity": 2, "partnerIdOnRecord": s.a.mpn.to_string()}]});
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut seq = 0u64;
    for round in 0..=kills {
        let mut server = start(&url).await;
        // Answers lost in the last crash are asked again with the same request id.
        let lost: Vec<String> = std::mem::take(&mut ledger.lock().unwrap().lost)
            .into_iter()
            .collect();
        for rid in lost {
            // A claim left by the killed process answers 409 with Retry-After until it is
            // stale; then the retry takes it over and the order's unique request id decides.
            let mut tries = 0;
            let (st, o) = loop {
                let (st, o) = place(&http, &server.base, &path, &s.p.token, &body, &rid)
                    .await
                    .expect("the restarted server answers");
                tries += 1;
                if st == 409 && tries < 20 {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
                break (st, o);
            };
            assert_eq!(st, 201, "retry of {rid}: {o}");
            let id = o["id"].as_str().unwrap().to_string();
            ledger.lock().unwrap().acked.insert(rid, id);
        }
        if round == kills {
            server.child.start_kill().unwrap();
            server.child.wait().await.unwrap();
            break;
        }
        let mut clients = Vec::new();
        for c in 0..CLIENTS {
            let (http, base, path, token, body, ledger) = (
                http.clone(),
                server.base.clone(),
                path.clone(),
                s.p.token.clone(),
                body.clone(),
                ledger.clone(),
            );
            let first = seq + (c as u64) * 1_000_000;
            clients.push(tokio::spawn(async move {
                for n in first.. {
                    let rid = format!("crash-{n}");
                    match place(&http, &base, &path, &token, &body, &rid).await {
                        Ok((201, o)) => {
                            let id = o["id"].as_str().unwrap().to_string();
                            ledger.lock().unwrap().acked.insert(rid, id);
                        }
                        Ok((st, o)) => panic!("order {rid} answered {st}: {o}"),
                        Err(_) => {
                            ledger.lock().unwrap().lost.insert(rid);
                            return;
                        }
                    }
                }
            }));
        }
        seq += 10_000_000;
        let wait = rand::thread_rng().gen_range(150..1200);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        server.child.start_kill().unwrap();
        server.child.wait().await.unwrap();
        for c in clients {
            c.await.expect("a client saw an unexpected answer");
        }
    }
    let ledger = Arc::try_unwrap(ledger).ok().unwrap().into_inner().unwrap();
    let db = &t.app.db.read;
    // Every acknowledged order exists exactly once, under its request id.
    for (rid, id) in &ledger.acked {
        let rows = sqlx::query("SELECT id FROM orders WHERE request_id = $1")
            .bind(rid)
            .fetch_all(db)
            .await
            .unwrap();
        let ids: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        assert_eq!(ids, std::slice::from_ref(id), "request {rid}");
    }
    // No half-written order: each has its line, each line its subscription.
    let orders: i64 = sqlx::query("SELECT COUNT(*) FROM orders WHERE created_at >= $1")
        .bind(started_ms)
        .fetch_one(db)
        .await
        .unwrap()
        .get(0);
    let bare: i64 = sqlx::query(
        "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS \
         (SELECT 1 FROM order_lines l JOIN subscriptions s ON s.id = l.subscription_id \
          WHERE l.order_id = o.id)",
    )
    .fetch_one(db)
    .await
    .unwrap()
    .get(0);
    let orphans: i64 = sqlx::query(
        "SELECT COUNT(*) FROM order_lines l WHERE NOT EXISTS \
         (SELECT 1 FROM subscriptions s WHERE s.id = l.subscription_id)",
    )
    .fetch_one(db)
    .await
    .unwrap()
    .get(0);
    assert_eq!((bare, orphans), (0, 0), "half-written orders");
    assert!(
        orders >= ledger.acked.len() as i64,
        "{orders} orders for {} acknowledged",
        ledger.acked.len()
    );
    // Each committed order (acknowledged or not) put its event and its mail in the outbox.
    let order_ids: Vec<String> = sqlx::query("SELECT id FROM orders WHERE created_at >= $1")
        .bind(started_ms)
        .fetch_all(db)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for id in &order_ids {
        let n: i64 =
            sqlx::query("SELECT COUNT(*) FROM outbox WHERE topic = $1 AND payload LIKE $2")
                .bind(partnerhub::app::events::TOPIC)
                .bind(format!("%/orders/{id}%"))
                .fetch_one(db)
                .await
                .unwrap()
                .get(0);
        assert_eq!(n, 1, "events of order {id}");
    }
    // Mail: a last server run drains the outbox into the capture table, each row once.
    let mut server = start(&url).await;
    let mut pending = i64::MAX;
    for _ in 0..400 {
        pending = partnerhub::app::store::outbox::pending_count(&t.app.db, partnerhub::mail::TOPIC)
            .await
            .unwrap();
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.child.start_kill().unwrap();
    server.child.wait().await.unwrap();
    assert_eq!(pending, 0, "mail left in the outbox");
    let mails: i64 = sqlx::query(
        "SELECT COUNT(*) FROM outbox o JOIN captured_mail c ON c.outbox_id = o.id \
         WHERE o.topic = $1 AND o.created_at >= $2",
    )
    .bind(partnerhub::mail::TOPIC)
    .bind(started_ms)
    .fetch_one(db)
    .await
    .unwrap()
    .get(0);
    assert_eq!(
        mails,
        order_ids.len() as i64,
        "one delivered mail per order"
    );
    // The audit chains of every organisation still verify.
    let out = std::process::Command::new(BIN)
        .args(["audit", "verify", "--database-url", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "audit verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "crash safety: {kills} kills survived, {} acknowledged orders checked ({} committed)",
        ledger.acked.len(),
        order_ids.len()
    );
    assert!(!ledger.acked.is_empty(), "the load placed orders");
}
