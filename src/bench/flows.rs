//! Workloads that are more than one request: an event's way from the order that made it to
//! a webhook receiver (started here, on loopback), and the portal's server-rendered customer
//! list behind a real signed-in session.

use super::run::{connect, measure, send, Gen, Options, Outcome, Req};
use crate::app::bench_world;
use crate::app::App;
use axum::http::HeaderMap;
use hdrhistogram::Histogram;
use hyper::Method;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const WEBHOOK: &str = "event to webhook delivered";
pub const PORTAL_LIST: &str = "portal customer list page";

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Event id -> (event time, receipt time), both in ms since the epoch.
type Receipts = Arc<Mutex<HashMap<String, (i64, i64)>>>;

/// A webhook receiver on a free loopback port: records each event's time (from the body)
/// and when it arrived, and answers 200 at once.
async fn start_receiver() -> anyhow::Result<(String, Receipts, tokio::task::JoinHandle<()>)> {
    let receipts: Receipts = Arc::default();
    let r = receipts.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let r = r.clone();
            async move {
                let arrived = now_ms();
                let id = headers
                    .get("webhook-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let at = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["resourceChangeUtcDate"].as_str().map(str::to_string))
                    .and_then(|d| chrono::DateTime::parse_from_rfc3339(&d).ok())
                    .map(|d| d.timestamp_millis());
                if let Some(at) = at {
                    r.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .entry(id)
                        .or_insert((at, arrived));
                }
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, receipts, task))
}

/// Registers (or, with `url` None, removes) the webhook of each organisation of `tokens`.
async fn register_all(host: &str, tokens: &[Arc<str>], url: Option<&str>) -> anyhow::Result<()> {
    let mut conn = connect(host).await?;
    for t in tokens {
        let remove = Req {
            method: Method::DELETE,
            ..Req::get("/webhooks/v1/registration".into(), Some(t.clone()))
        };
        send(&mut conn, host, &remove).await?;
        let Some(url) = url else { continue };
        let body = serde_json::json!({"webhookUrl": url, "webhookEvents": ["order-created"]});
        let add = Req {
            method: Method::POST,
            body: Some(body.to_string()),
            expect: 201,
            ..Req::get("/webhooks/v1/registration".into(), Some(t.clone()))
        };
        let (status, b) = send(&mut conn, host, &add).await?;
        anyhow::ensure!(
            status == 201,
            "webhook registration: {status} {} (start the server with --webhook-allow=127.0.0.1)",
            String::from_utf8_lossy(&b)
        );
    }
    Ok(())
}

/// Waits (up to a minute) until the dispatcher has fanned out every earlier event, so the
/// measured events do not queue behind another workload's.
async fn drain_events(app: &App) -> anyhow::Result<()> {
    for _ in 0..600 {
        if bench_world::pending_events(app).await? == 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Orders placed by the providers' and resellers' sales agents (the `order` workload) while
/// every provider's webhook points at a local receiver; latency runs from the event's time
/// (taken in the order's transaction, just before it commits) to its arrival. Events of
/// orders sent in the measured window count; one not arrived 15 s after the window is an
/// error.
pub async fn webhook_delivery(
    app: &App,
    host: &str,
    providers: &[Arc<str>],
    orders: Gen,
    o: &Options,
) -> anyhow::Result<Outcome> {
    drain_events(app).await?;
    let (url, receipts, receiver) = start_receiver().await?;
    register_all(host, providers, Some(&url)).await?;
    let from = now_ms() + o.warmup.as_millis() as i64;
    let m = measure(host, orders, o.concurrency, o.warmup, o.duration).await?;
    let until = now_ms();
    let expected = m.hist.len();
    let in_window = |r: &Receipts| {
        r.lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|(at, _)| *at >= from && *at <= until)
            .count() as u64
    };
    for _ in 0..150 {
        if in_window(&receipts) >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    register_all(host, providers, None).await?;
    receiver.abort();
    let mut hist = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)?;
    for (at, arrived) in receipts.lock().unwrap_or_else(|e| e.into_inner()).values() {
        if *at >= from && *at <= until {
            hist.saturating_record(((arrived - at).max(0) as u64 * 1000).max(1));
        }
    }
    let received = hist.len();
    let missing = expected.saturating_sub(received);
    let q = |p: f64| hist.value_at_quantile(p) as f64 / 1000.0;
    Ok(Outcome {
        workload: WEBHOOK.to_string(),
        requests: received,
        errors: missing + m.errors,
        per_second: received as f64 / m.seconds,
        p50_ms: q(0.5),
        p99_ms: q(0.99),
        p999_ms: q(0.999),
        ceiling: Some("ceiling: two-insert tx".into()),
        ceiling_per_second: None,
        slices: 0,
        ratio: None,
        first_error: if missing > 0 {
            Some(format!("{missing} of {expected} events not received"))
        } else {
            m.first_error.filter(|_| m.errors > 0)
        },
    })
}

/// The value of the session cookie a response sets, if any.
fn session_cookie(headers: &hyper::HeaderMap) -> Option<String> {
    headers
        .get_all(hyper::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|kv| kv.contains("partnerhub") && !kv.ends_with('='))
        .map(str::to_string)
}

/// Signs in to the portal like a browser: the sign-in page (anonymous session and its CSRF
/// token), then the form; returns the signed-in session's cookie.
pub async fn portal_session(host: &str, upn: &str, password: &str) -> anyhow::Result<String> {
    let mut conn = connect(host).await?;
    let (status, headers, page) =
        super::run::send_full(&mut conn, host, &Req::get("/portal/signin".into(), None)).await?;
    anyhow::ensure!(status == 200, "sign-in page: {status}");
    let cookie = session_cookie(&headers).ok_or_else(|| anyhow::anyhow!("no session cookie"))?;
    let page = String::from_utf8_lossy(&page);
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .ok_or_else(|| anyhow::anyhow!("no CSRF token on the sign-in page"))?;
    let form = serde_urlencoded::to_string([
        ("csrf", csrf),
        ("upn", upn),
        ("password", password),
        ("next", "/portal/customers"),
    ])?;
    let submit = Req {
        method: Method::POST,
        headers: vec![
            ("cookie", cookie),
            (
                "content-type",
                "application/x-www-form-urlencoded".to_string(),
            ),
        ],
        body: Some(form),
        ..Req::get("/portal/signin".into(), None)
    };
    let (status, headers, _) = super::run::send_full(&mut conn, host, &submit).await?;
    anyhow::ensure!(
        status == 303 || status == 302,
        "portal sign-in of {upn}: {status}"
    );
    session_cookie(&headers).ok_or_else(|| anyhow::anyhow!("no signed-in session cookie"))
}

/// Checks that `GET /portal/customers` is what a provider's first page is: at most
/// `portal::pager::PAGE_ROWS` customers under the pager (a link to the next page when the
/// provider has more), so the workload measures the page people get.
pub async fn check_portal_list(host: &str, cookie: &str) -> anyhow::Result<()> {
    let mut conn = connect(host).await?;
    let mut req = Req::get("/portal/customers".into(), None);
    req.headers.push(("cookie", cookie.to_string()));
    let (status, _, page) = super::run::send_full(&mut conn, host, &req).await?;
    anyhow::ensure!(status == 200, "portal customer list: {status}");
    let page = String::from_utf8_lossy(&page);
    let rows = page.matches("class=\"customer-link\"").count();
    let full = crate::portal::pager::PAGE_ROWS as usize;
    anyhow::ensure!(
        rows > 0 && rows <= full && page.contains("<nav class=\"pager\""),
        "the portal customer list's first page shows {rows} customers and no pager"
    );
    Ok(())
}

/// `GET /portal/customers` (the first page, rendered on the server) with a signed-in session.
pub fn portal_list(cookie: String) -> Gen {
    Arc::new(move |_| {
        let mut r = Req::get("/portal/customers".into(), None);
        r.headers.push(("cookie", cookie.clone()));
        r
    })
}
