//! Fans domain events out of the outbox: one webhook delivery per subscribed organisation in
//! the audience, and notification mail. The fan-out and the outbox row's completion commit
//! together; the delivery table's unique (organisation, event) key makes a replay harmless.

use super::events::{Event, TOPIC};
use super::App;
use crate::app::store::{outbox, webhooks};

/// Handles what is due once; returns how many events were fanned out.
pub async fn run_once(app: &App) -> anyhow::Result<usize> {
    let now = app.clock.now_ms();
    let lease_ms = app.config.outbox_lease_secs.max(1) * 1000;
    let batch = outbox::claim(&app.db, TOPIC, now, lease_ms, 100).await?;
    let n = batch.len();
    for msg in batch {
        let event: Event = match serde_json::from_str(&msg.payload) {
            Ok(e) => e,
            Err(e) => {
                outbox::mark_failed(&app.db, msg.id, &format!("bad payload: {e}"), i64::MAX / 2)
                    .await?;
                continue;
            }
        };
        let mut tx = app.db.begin().await?;
        for reg in webhooks::registrations_of(&mut tx, &event.audience).await? {
            if !reg.events.iter().any(|e| e == &event.event_name) {
                continue;
            }
            let body = super::webhooks::shaped_body(app, &event, reg.payload_shape);
            webhooks::enqueue(
                &mut tx,
                &webhooks::NewDelivery {
                    tenant_id: &reg.tenant_id.to_string(),
                    event_id: &event.event_id,
                    event_name: &event.event_name,
                    payload: &body,
                    correlation_id: None,
                },
                now,
            )
            .await?;
        }
        super::notifications::fan_out(app, &mut tx, &event, now).await?;
        outbox::mark_done_in(&mut tx, msg.id, app.clock.now_ms()).await?;
        tx.commit().await?;
    }
    Ok(n)
}
