//! Webhook registration use cases: register, change, remove, rotate the secret, send a test
//! event, read the delivery log, redeliver. Delivery itself is the `webhooks` adapter.

use super::audit::{record, Change};
use super::{App, Ctx};
use crate::app::store::webhooks as repo;
pub use crate::app::store::webhooks::{AttemptRow, Delivery, Registration};
use crate::domain::audit::Operation;
use crate::domain::authz::{Action, Resource};
use crate::domain::ids::DeliveryId;
use crate::domain::webhook::EventName;
use crate::domain::webhook::{self as rules, AllowList, DeliveryStatus};
use crate::domain::{Error, Result};
use ring::rand::{SecureRandom, SystemRandom};
use std::net::IpAddr;

/// How long the previous secret keeps signing after a rotation.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3_600_000;

pub struct Input {
    pub url: String,
    pub events: Vec<String>,
    /// The payload shape; `None` keeps the current one (standard for a new registration).
    pub payload_shape: Option<rules::PayloadShape>,
}

/// A registration as shown to its owner; the secret only right after it was made.
pub struct View {
    pub registration: Registration,
    pub secret: Option<String>,
}

fn allow_list(app: &App) -> Result<AllowList> {
    AllowList::parse(&app.config.webhook_allow)
        .map_err(|e| Error::Internal(anyhow::anyhow!("--webhook-allow: {e}")))
}

/// Validates the target: syntax and scheme, then where the host name points now. A name that
/// resolves to a refused address is refused here and again at every delivery.
pub async fn check_target(app: &App, raw: &str) -> Result<String> {
    let allow = allow_list(app)?;
    let url = rules::check_url(raw, &allow).map_err(|m| Error::field("webhookUrl", m))?;
    let host = url.host_str().unwrap_or_default().to_string();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_err() && !allow.permits_host(&host) {
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs: Vec<IpAddr> = tokio::net::lookup_host((bare, port))
            .await
            .map_err(|_| Error::field("webhookUrl", format!("the host {host} does not resolve")))?
            .map(|a| a.ip())
            .collect();
        if let Some(ip) = addrs
            .iter()
            .find(|ip| rules::ip_refused(**ip) && !allow.permits_ip(**ip))
        {
            return Err(Error::field(
                "webhookUrl",
                format!(
                    "{host} resolves to {ip}, a loopback, private, link-local or reserved address"
                ),
            ));
        }
    }
    Ok(url.to_string())
}

fn check_events(events: &[String]) -> Result<Vec<String>> {
    let mut list: Vec<String> = events.iter().map(|e| e.trim().to_string()).collect();
    list.sort();
    list.dedup();
    if list.is_empty() {
        return Err(Error::field("webhookEvents", "choose at least one event"));
    }
    let unknown = rules::unknown_events(&list);
    if !unknown.is_empty() {
        return Err(Error::field(
            "webhookEvents",
            format!(
                "unknown events: {} (see /webhooks/v1/registration/events)",
                unknown.join(", ")
            ),
        ));
    }
    Ok(list)
}

fn new_secret() -> Vec<u8> {
    let mut s = vec![0u8; 32];
    SystemRandom::new().fill(&mut s).expect("system randomness");
    s
}

fn seal_context(reg_tenant: &str) -> String {
    format!("webhook-secret:{reg_tenant}")
}

/// The secrets deliveries are signed with now: the current one, and the previous one while a
/// rotation overlaps.
pub fn signing_secrets(app: &App, r: &Registration, now: i64) -> Vec<Vec<u8>> {
    let ctx = seal_context(&r.tenant_id.to_string());
    let mut out: Vec<Vec<u8>> = app.vault.open(&ctx, &r.secret_sealed).into_iter().collect();
    if let (Some(prev), Some(until)) = (&r.previous_sealed, r.previous_until) {
        if until > now {
            out.extend(app.vault.open(&ctx, prev));
        }
    }
    out
}

pub async fn register(app: &App, ctx: &Ctx, input: Input) -> Result<View> {
    let tenant = ctx.actor.tenant;
    ctx.require(Action::ManageWebhooks, Resource::Tenant(tenant))?;
    let url = check_target(app, &input.url).await?;
    let events = check_events(&input.events)?;
    let now = app.clock.now_ms();
    let secret = new_secret();
    let reg = Registration {
        tenant_id: tenant,
        subscriber_id: uuid::Uuid::now_v7().to_string(),
        url,
        events,
        secret_sealed: app.vault.seal(&seal_context(&tenant.to_string()), &secret),
        previous_sealed: None,
        previous_until: None,
        created_at: now,
        updated_at: now,
        version: 1,
        payload_shape: input.payload_shape.unwrap_or_default(),
    };
    let mut tx = app.db.begin().await?;
    if !repo::insert(&mut tx, &reg).await? {
        return Err(Error::conflict(
            "this organisation already has a webhook registration: change it with PUT or remove it first",
        ));
    }
    audit(&mut tx, ctx, Operation::RegisterWebhook, &reg, now).await?;
    tx.commit().await?;
    Ok(View {
        registration: reg,
        secret: Some(rules::secret_text(&secret)),
    })
}

async fn audit(
    tx: &mut crate::app::store::Tx,
    ctx: &Ctx,
    op: Operation,
    r: &Registration,
    now: i64,
) -> Result<()> {
    record(
        tx,
        Some(ctx),
        &ctx.actor.tenant.to_string(),
        Change {
            operation: op,
            resource_type: "webhook_registration",
            resource_id: r.subscriber_id.clone(),
            old: None,
            new: Some(serde_json::json!({ "webhookUrl": r.url, "webhookEvents": r.events })),
            customer_id: None,
        },
        now,
    )
    .await?;
    Ok(())
}

pub async fn get(app: &App, ctx: &Ctx) -> Result<Registration> {
    let tenant = ctx.actor.tenant;
    ctx.require(Action::ReadWebhooks, Resource::Tenant(tenant))?;
    repo::registration(&app.db, tenant)
        .await?
        .ok_or(Error::NotFound("the webhook registration"))
}

pub async fn update(
    app: &App,
    ctx: &Ctx,
    input: Input,
    if_match: Option<i64>,
) -> Result<Registration> {
    let tenant = ctx.actor.tenant;
    ctx.require(Action::ManageWebhooks, Resource::Tenant(tenant))?;
    let url = check_target(app, &input.url).await?;
    let events = check_events(&input.events)?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let mut reg = repo::registration_in(&mut tx, tenant)
        .await?
        .ok_or(Error::NotFound("the webhook registration"))?;
    if if_match.is_some_and(|v| v != reg.version) {
        return Err(Error::PreconditionFailed);
    }
    reg.url = url;
    reg.events = events;
    if let Some(shape) = input.payload_shape {
        reg.payload_shape = shape;
    }
    repo::update(&mut tx, &reg, now).await?;
    audit(&mut tx, ctx, Operation::UpdateWebhook, &reg, now).await?;
    tx.commit().await?;
    reg.version += 1;
    reg.updated_at = now;
    Ok(reg)
}

pub async fn remove(app: &App, ctx: &Ctx) -> Result<()> {
    let tenant = ctx.actor.tenant;
    ctx.require(Action::ManageWebhooks, Resource::Tenant(tenant))?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let reg = repo::registration_in(&mut tx, tenant)
        .await?
        .ok_or(Error::NotFound("the webhook registration"))?;
    repo::delete(&mut tx, tenant).await?;
    audit(&mut tx, ctx, Operation::RemoveWebhook, &reg, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A new secret signs from now on; the old one keeps signing beside it for a day, so
/// receivers can switch without missing an event.
pub async fn rotate_secret(app: &App, ctx: &Ctx) -> Result<View> {
    let tenant = ctx.actor.tenant;
    ctx.require(Action::ManageWebhooks, Resource::Tenant(tenant))?;
    let now = app.clock.now_ms();
    let secret = new_secret();
    let mut tx = app.db.begin().await?;
    let mut reg = repo::registration_in(&mut tx, tenant)
        .await?
        .ok_or(Error::NotFound("the webhook registration"))?;
    reg.previous_sealed = Some(std::mem::replace(
        &mut reg.secret_sealed,
        app.vault.seal(&seal_context(&tenant.to_string()), &secret),
    ));
    reg.previous_until = Some(now + ROTATION_OVERLAP_MS);
    repo::update(&mut tx, &reg, now).await?;
    audit(&mut tx, ctx, Operation::RotateWebhookSecret, &reg, now).await?;
    tx.commit().await?;
    reg.version += 1;
    Ok(View {
        registration: reg,
        secret: Some(rules::secret_text(&secret)),
    })
}

/// The JSON body a receiver gets. The event id is also the `webhook-id` header.
pub fn body(app: &App, event: &super::events::Event) -> String {
    shaped_body(app, event, rules::PayloadShape::Standard)
}

/// The body in the shape a registration chose: the standard camelCase one, or the public
/// reference's PascalCase members (which carry no event id: it stays in `webhook-id`).
pub fn shaped_body(app: &App, event: &super::events::Event, shape: rules::PayloadShape) -> String {
    let base = app.config.public_url();
    let date = &event.resource_change_utc_date;
    let day = date.get(..10).unwrap_or(date);
    if shape == rules::PayloadShape::PartnerCenter {
        return serde_json::json!({
            "EventName": event.event_name,
            "ResourceUri": format!("{base}{}", event.resource_uri),
            "ResourceName": event.resource_name,
            "AuditUri": format!("{base}/v1/auditrecords?startDate={day}&endDate={day}"),
            "ResourceChangeUtcDate": date,
        })
        .to_string();
    }
    serde_json::json!({
        "eventId": event.event_id,
        "eventName": event.event_name,
        "resourceUri": format!("{base}{}", event.resource_uri),
        "resourceName": event.resource_name,
        "auditUri": format!("{base}/v1/auditrecords?startDate={day}&endDate={day}"),
        "resourceChangeUtcDate": date,
    })
    .to_string()
}

/// Queues a `test-created` event for the caller's own webhook and returns its correlation id.
pub async fn send_test(app: &App, ctx: &Ctx) -> Result<String> {
    let tenant = ctx.actor.tenant;
    ctx.require(Action::ManageWebhooks, Resource::Tenant(tenant))?;
    let now = app.clock.now_ms();
    // A key of its own: the API's per-tenant budget lives in the same shared counter table.
    app.test_events
        .check(&format!("webhook-test:{tenant}"), now)
        .await
        .map_err(|retry_after_secs| Error::RateLimited { retry_after_secs })?;
    let reg = repo::registration(&app.db, tenant)
        .await?
        .ok_or(Error::NotFound("the webhook registration"))?;
    let correlation = uuid::Uuid::now_v7().to_string();
    let event = super::events::Event {
        event_id: uuid::Uuid::now_v7().to_string(),
        event_name: EventName::TestCreated.as_str().into(),
        resource_uri: "/webhooks/v1/registration/validationEvents/".to_string() + &correlation,
        resource_name: "test".into(),
        resource_change_utc_date: crate::clock::from_ms(now).to_rfc3339(),
        audience: vec![tenant.to_string()],
    };
    let payload = shaped_body(app, &event, reg.payload_shape);
    let mut batch = crate::app::store::batch::Batch::new();
    repo::enqueue(
        &mut batch,
        &repo::NewDelivery {
            tenant_id: &tenant.to_string(),
            event_id: &event.event_id,
            event_name: &event.event_name,
            payload: &payload,
            correlation_id: Some(&correlation),
        },
        now,
    );
    let tx = app.db.begin().await?;
    batch.commit(tx).await?;
    Ok(correlation)
}

pub async fn test_status(
    app: &App,
    ctx: &Ctx,
    correlation: &str,
) -> Result<(Delivery, Vec<repo::AttemptRow>)> {
    let tenant = ctx.actor.tenant;
    ctx.require(Action::ReadWebhooks, Resource::Tenant(tenant))?;
    let d = repo::by_correlation(&app.db, tenant, correlation)
        .await?
        .ok_or(Error::NotFound("the test event"))?;
    repo::with_attempts(&app.db, tenant, d.id)
        .await?
        .ok_or(Error::NotFound("the test event"))
}

pub async fn deliveries(
    app: &App,
    ctx: &Ctx,
    status: Option<&str>,
    before: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<Delivery>, i64)> {
    let tenant = ctx.actor.tenant;
    ctx.require(Action::ReadWebhooks, Resource::Tenant(tenant))?;
    let status = match status {
        Some(s) => Some(
            DeliveryStatus::parse(s)
                .ok_or_else(|| Error::field("status", "pending, delivered or failed"))?,
        ),
        None => None,
    };
    Ok(repo::page(&app.db, tenant, status, before, limit).await?)
}

pub async fn delivery(app: &App, ctx: &Ctx, id: &str) -> Result<(Delivery, Vec<repo::AttemptRow>)> {
    let tenant = ctx.actor.tenant;
    ctx.require(Action::ReadWebhooks, Resource::Tenant(tenant))?;
    let id = DeliveryId::named(id)?;
    repo::with_attempts(&app.db, tenant, id)
        .await?
        .ok_or(Error::NotFound("the delivery"))
}

/// Sends a delivered or failed event again (same event id, so receivers can deduplicate).
pub async fn redeliver(app: &App, ctx: &Ctx, id: &str) -> Result<()> {
    let tenant = ctx.actor.tenant;
    ctx.require(Action::ManageWebhooks, Resource::Tenant(tenant))?;
    let id = DeliveryId::named(id)?;
    if repo::requeue(&app.db, tenant, id, app.clock.now_ms()).await? {
        Ok(())
    } else {
        match repo::get(&app.db, tenant, &id.to_string()).await? {
            Some(_) => Err(Error::conflict(
                "this delivery is already waiting to be sent",
            )),
            None => Err(Error::NotFound("the delivery")),
        }
    }
}
