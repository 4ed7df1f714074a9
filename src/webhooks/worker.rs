//! The delivery loop: fan out new events, then post due deliveries, many at once so one slow
//! receiver does not hold up the others. Any node may run it; claims keep work disjoint.

use super::client;
use crate::app::deliveries::{self, Attempt, Delivery, Registration};
use crate::app::App;
use crate::domain::ids::TenantId;
use crate::domain::webhook::{self as rules, AllowList};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::watch;

const BATCH: i64 = 50;

pub struct Sender {
    http: reqwest::Client,
    allow: AllowList,
}

impl Sender {
    pub fn from_app(app: &App) -> anyhow::Result<Sender> {
        let allow = AllowList::parse(&app.config.webhook_allow).map_err(anyhow::Error::msg)?;
        let http = client::build(
            allow.clone(),
            Duration::from_secs(app.config.webhook_timeout_secs.max(1)),
        )?;
        Ok(Sender { http, allow })
    }
}

enum Outcome {
    Delivered(i64),
    Failed(Option<i64>, String),
}

async fn post(
    app: &App,
    sender: &Sender,
    reg: Option<&Registration>,
    d: &Delivery,
    now: i64,
) -> Outcome {
    let Some(reg) = reg else {
        return Outcome::Failed(None, "the webhook registration was removed".into());
    };
    // The URL is checked again: the allow-list may have changed since registration.
    if let Err(why) = rules::check_url(&reg.url, &sender.allow) {
        return Outcome::Failed(None, why);
    }
    let ts = now / 1000;
    let signatures: Vec<String> = crate::app::webhooks::signing_secrets(app, reg, now)
        .iter()
        .map(|s| rules::sign(s, &d.event_id, ts, d.payload.as_bytes()))
        .collect();
    if signatures.is_empty() {
        return Outcome::Failed(
            None,
            "the signing secret cannot be opened with this data key".into(),
        );
    }
    let res = sender
        .http
        .post(&reg.url)
        .header("content-type", "application/json")
        .header("webhook-id", &d.event_id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signatures.join(" "))
        .header("x-partnerhub-event", &d.event_name)
        .body(d.payload.clone())
        .send()
        .await;
    match res {
        Ok(r) if r.status().is_success() => Outcome::Delivered(r.status().as_u16() as i64),
        Ok(r) => {
            let code = r.status().as_u16() as i64;
            let why = if r.status().is_redirection() {
                "the receiver answered with a redirect, which is not followed".to_string()
            } else {
                format!("the receiver answered {}", r.status())
            };
            Outcome::Failed(Some(code), why)
        }
        Err(e) => {
            let why = if e.is_timeout() {
                "the receiver did not answer in time".to_string()
            } else if e.is_connect() {
                format!("could not connect: {}", root_cause(&e))
            } else {
                format!("request failed: {}", root_cause(&e))
            };
            Outcome::Failed(None, why)
        }
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Posts one delivery and says how it went (recorded with the rest of its batch).
async fn deliver(app: &App, sender: &Sender, reg: Option<&Registration>, d: Delivery) -> Attempt {
    let started = Instant::now();
    let now = app.clock.now_ms();
    let outcome = post(app, sender, reg, &d, now).await;
    let duration_ms = started.elapsed().as_millis() as i64;
    let done_at = app.clock.now_ms();
    match outcome {
        Outcome::Delivered(code) => {
            metrics::counter!("partnerhub_webhooks_delivered_total").increment(1);
            metrics::histogram!("partnerhub_webhook_delay_seconds")
                .record((done_at - d.created_at) as f64 / 1000.0);
            Attempt {
                delivery: d.id,
                status_code: Some(code),
                error: None,
                duration_ms,
                delivered: true,
                retry_at: None,
            }
        }
        Outcome::Failed(code, why) => {
            metrics::counter!("partnerhub_webhook_failures_total").increment(1);
            let retry_at = (done_at - d.created_at <= rules::GIVE_UP_AFTER_MS)
                .then(|| done_at + rules::retry_delay_ms(d.attempts));
            if retry_at.is_none() {
                tracing::warn!(delivery = %d.id, event = %d.event_name, "giving up on webhook delivery");
            }
            Attempt {
                delivery: d.id,
                status_code: code,
                error: Some(why),
                duration_ms,
                delivered: false,
                retry_at,
            }
        }
    }
}

/// Posts what is due once; returns how many deliveries were attempted.
pub async fn deliver_once(app: &App, sender: &Sender) -> anyhow::Result<usize> {
    // Leased for longer than a request may take, so no other node sends them meanwhile; a
    // crashed node's deliveries go out again once the lease ends.
    let lease_ms = (app.config.outbox_lease_secs.max(1) * 1000)
        .max(app.config.webhook_timeout_secs as i64 * 2000 + 1000);
    let batch = deliveries::claim_due(app, lease_ms, BATCH).await?;
    let n = batch.len();
    // One read per organisation in the batch, not one per delivery.
    let mut registrations: HashMap<TenantId, Option<Registration>> = HashMap::new();
    for d in &batch {
        if let std::collections::hash_map::Entry::Vacant(slot) = registrations.entry(d.tenant_id) {
            slot.insert(deliveries::registration(app, d.tenant_id).await?);
        }
    }
    let attempts = futures::future::join_all(batch.into_iter().map(|d| {
        let reg = registrations.get(&d.tenant_id).and_then(Option::as_ref);
        deliver(app, sender, reg, d)
    }))
    .await;
    deliveries::record_attempts(app, &attempts).await?;
    Ok(n)
}

pub async fn run(app: App, mut stop: watch::Receiver<bool>) {
    let sender = match Sender::from_app(&app) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "webhook worker cannot start");
            return;
        }
    };
    loop {
        let fanned = crate::app::dispatch::run_once(&app)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "event fan-out pass failed");
                0
            });
        let sent = deliver_once(&app, &sender).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "webhook delivery pass failed");
            0
        });
        if *stop.borrow() {
            return;
        }
        // Paced by the fuller of its two queues.
        let wait = crate::app::pacing::after(fanned, crate::app::dispatch::BATCH)
            .min(crate::app::pacing::after(sent, BATCH as usize));
        if let Some(wait) = wait {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => return,
            }
        }
    }
}
