//! Fans domain events out of the outbox: one webhook delivery per subscribed organisation in
//! the audience, and notification mail. The fan-out and the outbox row's completion commit
//! together; the delivery table's unique (organisation, event) key makes a replay harmless.

use super::events::{Event, TOPIC};
use super::App;
use crate::app::store::batch::Batch;
use crate::app::store::{notifications, outbox, webhooks};

/// Events claimed per pass.
pub const BATCH: usize = 100;

/// Handles what is due once; returns how many events were fanned out.
///
/// The claimed batch is fanned out in transactions of up to [`EVENTS_PER_TRANSACTION`]
/// events (one wait for the writer, one read of the audience's registrations each), not one
/// transaction per event: under a steady stream of orders each of those transactions queued
/// behind the orders for SQLite's single writer, and events waited seconds for their turn.
/// Should such a transaction fail, its events are retried one per transaction, so one event
/// that cannot be fanned out does not hold up the others.
pub async fn run_once(app: &App) -> anyhow::Result<usize> {
    let now = app.clock.now_ms();
    let lease_ms = app.config.outbox_lease_secs.max(1) * 1000;
    let batch = outbox::claim(&app.db, TOPIC, now, lease_ms, BATCH as i64).await?;
    let n = batch.len();
    let mut events = Vec::with_capacity(n);
    for msg in batch {
        match serde_json::from_str::<Event>(&msg.payload) {
            Ok(e) => events.push((msg.id, e)),
            Err(e) => {
                outbox::mark_failed(&app.db, msg.id, &format!("bad payload: {e}"), i64::MAX / 2)
                    .await?;
            }
        }
    }
    if events.is_empty() {
        return Ok(n);
    }
    for chunk in events.chunks(EVENTS_PER_TRANSACTION) {
        if let Err(e) = fan_out_in_one(app, chunk).await {
            tracing::warn!(error = %e, events = chunk.len(), "batch fan-out failed; one event at a time");
            for one in chunk.chunks(1) {
                fan_out_in_one(app, one).await?;
            }
        }
    }
    Ok(n)
}

/// Events fanned out per transaction: enough to wait for the writer once for many events,
/// few enough that the writer is not held long from everyone else.
const EVENTS_PER_TRANSACTION: usize = 25;

/// Fans out `events` and marks their outbox rows done, all in one transaction: two reads
/// (the audience's webhook registrations and notification subscribers), then every write in
/// one batch.
///
/// The deliveries are stamped with the time the transaction began, not the time the batch
/// was claimed: a claim that waited (a busy writer, a loaded machine) would otherwise stamp a
/// delivery earlier than ones made meanwhile, and the delivery log, newest first, would list
/// them out of order.
async fn fan_out_in_one(
    app: &App,
    events: &[(crate::domain::ids::OutboxId, Event)],
) -> anyhow::Result<()> {
    let mut tx = app.db.begin().await?;
    let now = app.clock.now_ms();
    let mut audience: Vec<&str> = events
        .iter()
        .flat_map(|(_, e)| e.audience.iter().map(String::as_str))
        .collect();
    audience.sort_unstable();
    audience.dedup();
    let registrations = webhooks::registrations_of_all(&mut tx, &audience).await?;
    let subscribers = notifications::subscribers_of_all(&mut tx, &audience).await?;
    let mut batch = Batch::new();
    for (_, event) in events {
        for tenant in &event.audience {
            let reg = registrations
                .iter()
                .find(|r| r.tenant_id.to_string() == *tenant);
            let Some(reg) = reg else { continue };
            if !reg.events.iter().any(|e| e == &event.event_name) {
                continue;
            }
            let body = super::webhooks::shaped_body(app, event, reg.payload_shape);
            webhooks::enqueue(
                &mut batch,
                &webhooks::NewDelivery {
                    tenant_id: &reg.tenant_id.to_string(),
                    event_id: &event.event_id,
                    event_name: &event.event_name,
                    payload: &body,
                    correlation_id: None,
                },
                now,
            );
        }
        super::notifications::fan_out(app, &mut batch, &subscribers, event, now)?;
    }
    let ids: Vec<_> = events.iter().map(|(id, _)| *id).collect();
    outbox::mark_all_done(&mut batch, &ids, app.clock.now_ms());
    batch.commit(tx).await?;
    Ok(())
}
