//! `bench run`: closed-loop HTTP/1.1 load over loopback with real tokens, one workload at a
//! time, each beside the ceiling route of the same kind, and the server's peak memory.
//!
//! The runner reads the generated world from the database (a random sample of customers,
//! their reseller and provider users) and mints access tokens with the server's own signing
//! key, as the token endpoint would (one password sign-in is made for real as a check).

use super::flows;
use crate::app::bench_world;
use crate::app::App;
use axum::body::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Options {
    /// Base URL of the server (`http://127.0.0.1:PORT`).
    pub base: String,
    /// The server's process id, for its peak resident memory.
    pub server_pid: Option<u32>,
    pub concurrency: usize,
    pub duration: Duration,
    pub warmup: Duration,
    /// Customers sampled from the world for random reads and writes.
    pub sample: usize,
    /// The deep list page to measure (5,000 in the issue; the deepest available if fewer).
    pub deep_page: usize,
    /// Only these workloads (all when empty).
    pub only: Vec<String>,
    /// A workload and its ceiling alternate in slices of this length (see `interleaved`).
    pub slice: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub workload: String,
    pub requests: u64,
    pub errors: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub ceiling: Option<String>,
    /// The ceiling's throughput measured in the slices between this workload's (see
    /// `interleaved`).
    pub ceiling_per_second: Option<f64>,
    /// How many slices the workload and its ceiling alternated in (0: measured alone).
    pub slices: u32,
    pub ratio: Option<f64>,
    /// First error seen (status and body start), to tell what failed.
    pub first_error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub backend: String,
    pub customers: i64,
    pub concurrency: usize,
    pub seconds_per_workload: f64,
    pub deep_page: usize,
    pub outcomes: Vec<Outcome>,
    pub server_peak_rss_kb: Option<u64>,
    pub machine: String,
}

struct Org {
    tenant: String,
    admin: Arc<str>,
    sales: Arc<str>,
    mpn: Option<i64>,
}

struct Customer {
    id: String,
    staff: String,
    provider: usize,
    reseller: usize,
}

struct World {
    providers: Vec<Org>,
    resellers: Vec<Org>,
    customers: Vec<Customer>,
    largest: usize,
    customer_count: i64,
}

async fn users_of(app: &App, tenant: &str) -> anyhow::Result<(Arc<str>, Arc<str>)> {
    let t: crate::domain::ids::TenantId = tenant.parse()?;
    let mut admin = None;
    let mut sales = None;
    for (id, upn) in bench_world::users_of(app, t).await? {
        let token = crate::app::oauth::mint_user_token(app, id, t, 6 * 3600)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if upn.starts_with("admin@") {
            admin = Some(Arc::from(token));
        } else if upn.starts_with("sales@") {
            sales = Some(Arc::from(token));
        }
    }
    match (admin, sales) {
        (Some(a), Some(s)) => Ok((a, s)),
        _ => anyhow::bail!("organisation {tenant} lacks its admin@ or sales@ user"),
    }
}

async fn load_world(app: &App, sample: usize) -> anyhow::Result<World> {
    let mut providers = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for i in 0.. {
        let Some(t) =
            crate::app::admin_tasks::tenant_by_domain(app, &super::provider_domain(i)).await?
        else {
            break;
        };
        let tenant = t.id.to_string();
        let (admin, sales) = users_of(app, &tenant).await?;
        index.insert(tenant.clone(), i);
        providers.push(Org {
            tenant,
            admin,
            sales,
            mpn: None,
        });
    }
    anyhow::ensure!(
        !providers.is_empty(),
        "no bench world in this database: run `partnerhub bench generate` first"
    );
    let customer_count = bench_world::customer_count(app).await?;
    let mut resellers: Vec<Org> = Vec::new();
    let mut r_index: HashMap<String, usize> = HashMap::new();
    let mut customers = Vec::new();
    for r in bench_world::sample_customers(app, sample).await? {
        let Some(&provider) = index.get(&r.provider) else {
            continue;
        };
        let reseller = match r_index.get(&r.reseller) {
            Some(i) => *i,
            None => {
                let (admin, sales) = users_of(app, &r.reseller).await?;
                let mpn = crate::app::fixtures::partner_mpn(app, r.reseller.parse()?)
                    .await?
                    .ok_or_else(|| {
                        anyhow::anyhow!("reseller {} has no partner account", r.reseller)
                    })?;
                resellers.push(Org {
                    tenant: r.reseller.clone(),
                    admin,
                    sales,
                    mpn: Some(mpn),
                });
                r_index.insert(r.reseller.clone(), resellers.len() - 1);
                resellers.len() - 1
            }
        };
        let (staff, _) =
            crate::app::fixtures::user_and_tenant(app, &format!("staff@{}", r.domain)).await?;
        customers.push(Customer {
            id: r.customer,
            staff: staff.id.to_string(),
            provider,
            reseller,
        });
    }
    anyhow::ensure!(!customers.is_empty(), "the bench world has no customers");
    let mut largest = 0;
    let mut most = -1i64;
    for (i, p) in providers.iter().enumerate() {
        let n = bench_world::active_customers_of(app, &p.tenant).await?;
        if n > most {
            most = n;
            largest = i;
        }
    }
    Ok(World {
        providers,
        resellers,
        customers,
        largest,
        customer_count,
    })
}

/// One request to send, and the status that counts as success.
pub(super) struct Req {
    pub method: Method,
    pub path: String,
    pub token: Option<Arc<str>>,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
    pub expect: u16,
}

impl Req {
    pub(super) fn get(path: String, token: Option<Arc<str>>) -> Req {
        Req {
            method: Method::GET,
            path,
            token,
            headers: vec![],
            body: None,
            expect: 200,
        }
    }
}

pub(super) type Gen = Arc<dyn Fn(&mut StdRng) -> Req + Send + Sync>;

pub(super) struct Conn {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

pub(super) async fn connect(addr: &str) -> anyhow::Result<Conn> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(Conn { sender })
}

pub(super) async fn send(conn: &mut Conn, host: &str, r: &Req) -> anyhow::Result<(u16, Bytes)> {
    let (status, _, bytes) = send_full(conn, host, r).await?;
    Ok((status, bytes))
}

/// [`send`], with the response's headers.
pub(super) async fn send_full(
    conn: &mut Conn,
    host: &str,
    r: &Req,
) -> anyhow::Result<(u16, hyper::HeaderMap, Bytes)> {
    let mut b = Request::builder()
        .method(r.method.clone())
        .uri(&r.path)
        .header("host", host);
    if let Some(t) = &r.token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in &r.headers {
        b = b.header(*k, v);
    }
    let body = match &r.body {
        Some(s) => {
            if !r.headers.iter().any(|(k, _)| *k == "content-type") {
                b = b.header("content-type", "application/json");
            }
            Full::new(Bytes::from(s.clone()))
        }
        None => Full::new(Bytes::new()),
    };
    conn.sender.ready().await?;
    let resp = conn.sender.send_request(b.body(body)?).await?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await?.to_bytes();
    Ok((status, headers, bytes))
}

pub(super) struct Measured {
    pub hist: Histogram<u64>,
    pub errors: u64,
    pub first_error: Option<String>,
    pub seconds: f64,
}

impl Measured {
    /// Adds a later measurement of the same workload.
    fn add(&mut self, m: Measured) -> anyhow::Result<()> {
        self.hist.add(&m.hist)?;
        self.errors += m.errors;
        self.first_error = self.first_error.take().or(m.first_error);
        self.seconds += m.seconds;
        Ok(())
    }
}

pub(super) async fn measure(
    host: &str,
    gen: Gen,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Measured> {
    let start = Instant::now();
    let record_from = start + warmup;
    let end = record_from + duration;
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let gen = gen.clone();
        let host = host.to_string();
        tasks.push(tokio::spawn(async move {
            let mut rng =
                StdRng::seed_from_u64(0x5eed ^ w as u64 ^ start.elapsed().as_nanos() as u64);
            let mut hist = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3).expect("bounds");
            let mut errors = 0u64;
            let mut first_error = None;
            let mut conn = None;
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                if conn.is_none() {
                    match connect(&host).await {
                        Ok(c) => conn = Some(c),
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert_with(|| format!("connect: {e}"));
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    }
                }
                let req = gen(&mut rng);
                let t0 = Instant::now();
                let result = send(conn.as_mut().expect("connected"), &host, &req).await;
                let micros = t0.elapsed().as_micros() as u64;
                let recording = t0 >= record_from;
                match result {
                    Ok((status, body)) => {
                        if status != req.expect {
                            if recording {
                                errors += 1;
                            }
                            first_error.get_or_insert_with(|| {
                                format!(
                                    "{} {} -> {status}: {}",
                                    req.method,
                                    req.path,
                                    String::from_utf8_lossy(&body[..body.len().min(200)])
                                )
                            });
                        } else if recording {
                            hist.saturating_record(micros.max(1));
                        }
                    }
                    Err(e) => {
                        if recording {
                            errors += 1;
                        }
                        first_error
                            .get_or_insert_with(|| format!("{} {}: {e}", req.method, req.path));
                        conn = None;
                    }
                }
            }
            (hist, errors, first_error)
        }));
    }
    let mut hist = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3)?;
    let mut errors = 0;
    let mut first_error = None;
    for t in tasks {
        let (h, e, f) = t.await?;
        hist.add(&h)?;
        errors += e;
        if first_error.is_none() {
            first_error = f;
        }
    }
    let seconds = (Instant::now().min(end) - record_from)
        .as_secs_f64()
        .max(1e-3);
    Ok(Measured {
        hist,
        errors,
        first_error,
        seconds,
    })
}

/// Peak and current resident memory of a process, in kB (Linux /proc).
pub fn memory_kb(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.0} GB RAM", kb as f64 / 1_048_576.0))
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {mem}")
}

/// Follows continuation tokens from the first page; returns (pages walked, token of the
/// last page reached) where the last page is `target` or the deepest one.
async fn walk_pages(
    host: &str,
    token: Arc<str>,
    target: usize,
) -> anyhow::Result<(usize, Option<String>)> {
    let mut conn = connect(host).await?;
    let mut page = 1;
    let mut continuation: Option<String> = None;
    while page < target {
        let mut req = Req::get("/v1/customers?size=100".into(), Some(token.clone()));
        if let Some(c) = &continuation {
            req.headers.push(("ms-continuationtoken", c.clone()));
        }
        let (status, body) = send(&mut conn, host, &req).await?;
        anyhow::ensure!(
            status == 200,
            "list page {page}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        match v["continuationToken"].as_str() {
            Some(next) => {
                continuation = Some(next.to_string());
                page += 1;
            }
            None => break,
        }
    }
    Ok((page, continuation))
}

pub async fn run(app: &App, o: &Options) -> anyhow::Result<Summary> {
    let host = o
        .base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    eprintln!(
        "loading a sample of {} customers and minting tokens",
        o.sample
    );
    let world = Arc::new(load_world(app, o.sample).await?);
    check_password_sign_in(&host).await?;
    eprintln!(
        "walking the largest provider's list to page {} (continuation tokens)",
        o.deep_page
    );
    let largest_token = world.providers[world.largest].admin.clone();
    let (deep_page, deep_token) = walk_pages(&host, largest_token.clone(), o.deep_page).await?;
    let mut plan = plan(&world, largest_token, deep_page, deep_token);
    if wants(o, flows::PORTAL_LIST) {
        let upn = format!("admin@{}", super::provider_domain(world.largest));
        let cookie = flows::portal_session(&host, &upn, super::PASSWORD).await?;
        flows::check_portal_list(&host, &cookie).await?;
        plan.push((
            flows::PORTAL_LIST,
            flows::portal_list(cookie),
            Some("ceiling: indexed read"),
        ));
    }
    let mut outcomes = measure_plan(&host, plan, o).await?;
    if wants(o, flows::WEBHOOK) {
        eprintln!("running {}", flows::WEBHOOK);
        let admins: Vec<Arc<str>> = world.providers.iter().map(|p| p.admin.clone()).collect();
        let mut w = match flows::webhook_delivery(app, &host, &admins, order_gen(&world), o).await {
            Ok(w) => w,
            Err(e) => failed(flows::WEBHOOK, e),
        };
        w.ratio = ratio_to(&outcomes, w.ceiling.as_deref(), w.per_second);
        outcomes.push(w);
    }
    if o.only.iter().any(|x| x == SIGN_IN_BURST) {
        outcomes.push(sign_in_burst(&host, world.providers.len(), o).await?);
    }
    Ok(Summary {
        backend: bench_world::backend_name(app),
        customers: world.customer_count,
        concurrency: o.concurrency,
        seconds_per_workload: o.duration.as_secs_f64(),
        deep_page,
        outcomes,
        server_peak_rss_kb: o.server_pid.and_then(memory_kb).map(|(peak, _)| peak),
        machine: machine(),
    })
}

/// One real sign-in through the token endpoint proves the generated passwords work.
async fn check_password_sign_in(host: &str) -> anyhow::Result<()> {
    let mut conn = connect(host).await?;
    let body = format!(
        "grant_type=password&username=admin%40{}&password={}",
        super::provider_domain(0),
        super::PASSWORD
    );
    let req = Request::builder()
        .method(Method::POST)
        .uri("/oauth2/token")
        .header("host", host)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body)))?;
    conn.sender.ready().await?;
    let resp = conn.sender.send_request(req).await?;
    anyhow::ensure!(
        resp.status().is_success(),
        "password sign-in of admin@{} failed: {}",
        super::provider_domain(0),
        resp.status()
    );
    Ok(())
}

/// A workload: its name, its request generator, and the ceiling it is compared with.
type Planned = (&'static str, Gen, Option<&'static str>);

/// Every workload of a run, ceilings first.
fn plan(
    world: &Arc<World>,
    largest_token: Arc<str>,
    deep_page: usize,
    deep_token: Option<String>,
) -> Vec<Planned> {
    let pick = |w: &World, rng: &mut StdRng| rng.gen_range(0..w.customers.len());
    let mut plan: Vec<Planned> = Vec::new();
    let w = world.clone();
    plan.push((
        "ceiling: fixed JSON",
        Arc::new(|_| Req::get("/bench/fixed".into(), None)),
        None,
    ));
    plan.push((
        "ceiling: indexed read",
        Arc::new(move |rng| {
            let c = &w.customers[pick(&w, rng)];
            Req::get(format!("/bench/read/{}", c.id), None)
        }),
        None,
    ));
    plan.push((
        "ceiling: two-insert tx",
        Arc::new(|_| Req {
            method: Method::POST,
            path: "/bench/write".into(),
            token: None,
            headers: vec![],
            body: Some("{}".into()),
            expect: 201,
        }),
        None,
    ));
    let read = read_gen(world);
    plan.push((
        "authorized read",
        read.clone(),
        Some("ceiling: indexed read"),
    ));
    let t = largest_token.clone();
    plan.push((
        "list page 1",
        Arc::new(move |_| Req::get("/v1/customers?size=100".into(), Some(t.clone()))),
        Some("ceiling: indexed read"),
    ));
    if let Some(tok) = deep_token.clone() {
        let t = largest_token.clone();
        let name: &'static str = Box::leak(format!("list page {deep_page}").into_boxed_str());
        plan.push((
            name,
            Arc::new(move |_| {
                let mut r = Req::get("/v1/customers?size=100".into(), Some(t.clone()));
                r.headers.push(("ms-continuationtoken", tok.clone()));
                r
            }),
            Some("ceiling: indexed read"),
        ));
    }
    let order = order_gen(world);
    plan.push(("order", order.clone(), Some("ceiling: two-insert tx")));
    let w = world.clone();
    plan.push((
        "license update (grants)",
        Arc::new(move |rng| {
            let c = &w.customers[pick(&w, rng)];
            let token = if rng.gen_bool(0.5) {
                w.providers[c.provider].admin.clone()
            } else {
                w.resellers[c.reseller].admin.clone()
            };
            let body = if rng.gen_bool(0.5) {
                serde_json::json!({"licensesToAssign": [{"skuId": "PH-SECURE:DEFENDER"}], "licensesToRemove": []})
            } else {
                serde_json::json!({"licensesToAssign": [], "licensesToRemove": ["PH-SECURE:DEFENDER"]})
            };
            Req {
                method: Method::POST,
                path: format!("/v1/customers/{}/users/{}/licenseupdates", c.id, c.staff),
                token: Some(token),
                headers: vec![],
                body: Some(body.to_string()),
                expect: 201,
            }
        }),
        Some("ceiling: two-insert tx"),
    ));
    let w = world.clone();
    plan.push((
        "mixed 90/9/1",
        Arc::new(move |rng| {
            let roll = rng.gen_range(0..100);
            if roll < 90 {
                read(rng)
            } else if roll < 99 {
                let c = &w.customers[pick(&w, rng)];
                let token = if rng.gen_bool(0.5) {
                    w.providers[c.provider].admin.clone()
                } else {
                    w.resellers[c.reseller].admin.clone()
                };
                Req::get("/v1/customers?size=100".into(), Some(token))
            } else {
                order(rng)
            }
        }),
        Some("ceiling: indexed read"),
    ));

    plan
}

/// A customer read by its provider's or its reseller's admin, half each.
fn read_gen(world: &Arc<World>) -> Gen {
    let w = world.clone();
    let pick = |w: &World, rng: &mut StdRng| rng.gen_range(0..w.customers.len());
    Arc::new(move |rng: &mut StdRng| {
        let c = &w.customers[pick(&w, rng)];
        let token = if rng.gen_bool(0.5) {
            w.providers[c.provider].admin.clone()
        } else {
            w.resellers[c.reseller].admin.clone()
        };
        Req::get(format!("/v1/customers/{}", c.id), Some(token))
    })
}

/// An order of one seat, placed half by the provider's and half by the reseller's sales agent.
fn order_gen(world: &Arc<World>) -> Gen {
    let w = world.clone();
    let pick = |w: &World, rng: &mut StdRng| rng.gen_range(0..w.customers.len());
    Arc::new(move |rng: &mut StdRng| {
        let c = &w.customers[pick(&w, rng)];
        let rid = uuid::Uuid::new_v4().to_string();
        let (token, body) = if rng.gen_bool(0.5) {
            (
                w.providers[c.provider].sales.clone(),
                serde_json::json!({"lineItems": [{"catalogItemId": "PH-SUITE:BASIC:US-M", "quantity": 1,
                    "partnerIdOnRecord": w.resellers[c.reseller].mpn.map(|m| m.to_string())}]}),
            )
        } else {
            (
                w.resellers[c.reseller].sales.clone(),
                serde_json::json!({"lineItems": [{"catalogItemId": "PH-SUITE:BASIC:US-M", "quantity": 1}],
                    "providerId": w.providers[c.provider].tenant}),
            )
        };
        Req {
            method: Method::POST,
            path: format!("/v1/customers/{}/orders", c.id),
            token: Some(token),
            headers: vec![("ms-requestid", rid)],
            body: Some(body.to_string()),
            expect: 201,
        }
    })
}

/// Whether a workload is to run: all when none is named, else the named ones.
fn wants(o: &Options, name: &str) -> bool {
    o.only.is_empty() || o.only.iter().any(|x| x == name)
}

/// A workload that could not run, as a row with its reason.
fn failed(name: &str, e: anyhow::Error) -> Outcome {
    Outcome {
        workload: name.to_string(),
        requests: 0,
        errors: 1,
        per_second: 0.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        p999_ms: 0.0,
        ceiling: None,
        ceiling_per_second: None,
        slices: 0,
        ratio: None,
        first_error: Some(format!("{e:#}")),
    }
}

/// Throughput over the throughput of the named ceiling measured earlier in the run.
fn ratio_to(outcomes: &[Outcome], ceiling: Option<&str>, per_second: f64) -> Option<f64> {
    let c = ceiling?;
    outcomes
        .iter()
        .find(|x| x.workload == c)
        .filter(|x| x.per_second > 0.0)
        .map(|x| per_second / x.per_second)
}

/// Measures each planned workload (the ceilings always, the others when named or when no
/// workload is named), with its ratio to its ceiling. A workload with a ceiling is measured
/// in slices alternating with that ceiling (`interleaved`), and the ratio is to the
/// ceiling's throughput in those slices. The first measurements of the ceilings stay in the
/// table.
async fn measure_plan(host: &str, plan: Vec<Planned>, o: &Options) -> anyhow::Result<Vec<Outcome>> {
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut ceilings: Vec<(&'static str, Gen)> = Vec::new();
    for (name, gen, ceiling) in plan {
        if !wants(o, name) && !name.starts_with("ceiling") {
            continue;
        }
        if name.starts_with("ceiling") {
            ceilings.push((name, gen.clone()));
        }
        let (m, paired, slices) = match ceiling.and_then(|c| ceilings.iter().find(|(n, _)| *n == c))
        {
            Some((c, ceiling_gen)) => {
                eprintln!("running {name} (in slices with {c})");
                let (c, m, slices) = interleaved(host, ceiling_gen.clone(), gen, o).await?;
                let paired = Some(c.hist.len() as f64 / c.seconds).filter(|_| c.errors == 0);
                (m, paired, slices)
            }
            None => {
                eprintln!("running {name}");
                let m = measure(host, gen, o.concurrency, o.warmup, o.duration).await?;
                (m, None, 0)
            }
        };
        let requests = m.hist.len();
        let per_second = requests as f64 / m.seconds;
        let q = |p: f64| m.hist.value_at_quantile(p) as f64 / 1000.0;
        let ratio = match paired {
            Some(c) if c > 0.0 => Some(per_second / c),
            _ => ratio_to(&outcomes, ceiling, per_second),
        };
        outcomes.push(Outcome {
            workload: name.to_string(),
            requests,
            errors: m.errors,
            per_second,
            p50_ms: q(0.5),
            p99_ms: q(0.99),
            p999_ms: q(0.999),
            ceiling: ceiling.map(str::to_string),
            ceiling_per_second: paired,
            slices,
            ratio,
            first_error: m.first_error.filter(|_| m.errors > 0),
        });
    }
    Ok(outcomes)
}

/// Unmeasured time at the start of each slice after the first: the slice's connections are
/// opened, and the previous slice's last requests drain.
const SLICE_WARMUP: Duration = Duration::from_millis(100);

/// A workload and its ceiling measured in alternating slices (`o.slice` long, `o.duration`
/// in all for each), so the two see the machine at the same speed. On shared or virtual
/// machines the whole machine's speed changes while a run goes on: session 14 saw the
/// server stack alone at 60,000 and 79,000 req/s minutes apart, and a ceiling measured just
/// before its workload still moved between 28,000 and 51,000 from one workload to the next.
/// Returns the ceiling's and the workload's measurements and the number of slices.
async fn interleaved(
    host: &str,
    ceiling: Gen,
    work: Gen,
    o: &Options,
) -> anyhow::Result<(Measured, Measured, u32)> {
    let slices = (o.duration.as_secs_f64() / o.slice.as_secs_f64().max(0.01))
        .ceil()
        .max(1.0) as u32;
    let slice = o.duration / slices;
    let mut both: Option<(Measured, Measured)> = None;
    for k in 0..slices {
        let warmup = if k == 0 {
            o.warmup
        } else {
            SLICE_WARMUP.min(o.warmup)
        };
        let c = measure(host, ceiling.clone(), o.concurrency, warmup, slice).await?;
        let w = measure(host, work.clone(), o.concurrency, warmup, slice).await?;
        match &mut both {
            None => both = Some((c, w)),
            Some((ct, wt)) => {
                ct.add(c)?;
                wt.add(w)?;
            }
        }
    }
    let (c, w) = both.expect("at least one slice");
    Ok((c, w, slices))
}

/// The sign-in burst: 200 connections signing in with the password grant at once, to see
/// that the hashing cap keeps the server's memory flat (`server_peak_rss_kb`, under 1 GB) and
/// the token endpoint's p99 under 2 s. Run only when named, since every request costs a
/// full argon2 hash: `bench run --only "sign-in x200"`.
pub const SIGN_IN_BURST: &str = "sign-in x200";

async fn sign_in_burst(host: &str, providers: usize, o: &Options) -> anyhow::Result<Outcome> {
    eprintln!("running {SIGN_IN_BURST}");
    let users: Arc<Vec<String>> = Arc::new(
        (0..providers.max(1))
            .map(|i| {
                format!(
                    "grant_type=password&username=admin%40{}&password={}",
                    super::provider_domain(i),
                    super::PASSWORD
                )
            })
            .collect(),
    );
    let gen: Gen = Arc::new(move |rng: &mut StdRng| Req {
        method: Method::POST,
        path: "/oauth2/token".into(),
        token: None,
        headers: vec![(
            "content-type",
            "application/x-www-form-urlencoded".to_string(),
        )],
        body: Some(users[rng.gen_range(0..users.len())].clone()),
        expect: 200,
    });
    let m = measure(host, gen, 200, o.warmup, o.duration).await?;
    let q = |p: f64| m.hist.value_at_quantile(p) as f64 / 1000.0;
    Ok(Outcome {
        workload: SIGN_IN_BURST.to_string(),
        requests: m.hist.len(),
        errors: m.errors,
        per_second: m.hist.len() as f64 / m.seconds,
        p50_ms: q(0.5),
        p99_ms: q(0.99),
        p999_ms: q(0.999),
        ceiling: None,
        ceiling_per_second: None,
        slices: 0,
        ratio: None,
        first_error: m.first_error.filter(|_| m.errors > 0),
    })
}

pub fn print(s: &Summary) {
    println!(
        "Partner Hub bench: {} with {} customers; {} connections, {:.0} s per workload; {}",
        s.backend, s.customers, s.concurrency, s.seconds_per_workload, s.machine
    );
    println!(
        "{:<26} {:>9} {:>10} {:>8} {:>8} {:>9} {:>7}  ratio to ceiling",
        "workload", "requests", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "errors"
    );
    for o in &s.outcomes {
        let ratio = match (&o.ratio, &o.ceiling, o.ceiling_per_second) {
            (Some(r), Some(c), Some(at)) => format!(
                "{r:.2}x {} ({at:.0}/s in the same slices)",
                c.trim_start_matches("ceiling: ")
            ),
            (Some(r), Some(c), None) => format!("{r:.2}x {}", c.trim_start_matches("ceiling: ")),
            _ => String::new(),
        };
        println!(
            "{:<26} {:>9} {:>10.0} {:>8.2} {:>8.2} {:>9.2} {:>7}  {}",
            o.workload, o.requests, o.per_second, o.p50_ms, o.p99_ms, o.p999_ms, o.errors, ratio
        );
    }
    match s.server_peak_rss_kb {
        Some(kb) => println!(
            "server peak resident memory (VmHWM): {:.0} MB",
            kb as f64 / 1024.0
        ),
        None => println!("server peak resident memory: unknown (give --server-pid)"),
    }
    for o in s.outcomes.iter().filter(|o| o.first_error.is_some()) {
        println!(
            "first error in {}: {}",
            o.workload,
            o.first_error.as_deref().unwrap_or_default()
        );
    }
}
