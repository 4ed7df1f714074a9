//! The mail outbox as the delivery worker sees it: claim what is due, then record each
//! message as captured, sent or failed. Rendering and queueing happen in the use cases'
//! own transactions (`crate::mail::enqueue`).

use super::App;
use crate::app::store::{mailbox, outbox};
use crate::domain::ids::OutboxId;
use crate::mail::{Outgoing, TOPIC};

pub use crate::app::store::outbox::Message as QueuedMail;

/// Leases up to `max` due messages to this node for `lease_ms`.
pub async fn claim_due(app: &App, lease_ms: i64, max: i64) -> Result<Vec<QueuedMail>, sqlx::Error> {
    outbox::claim(&app.db, TOPIC, app.clock.now_ms(), lease_ms, max).await
}

/// Keeps a message in the built-in capture and marks it done, together.
pub async fn capture(app: &App, id: OutboxId, out: &Outgoing) -> Result<(), sqlx::Error> {
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let captured = mailbox::CapturedMail {
        id: uuid::Uuid::now_v7().to_string(),
        to: out.to.clone(),
        subject: out.subject.clone(),
        text_body: out.text.clone(),
        html_body: out.html.clone(),
        created_at: now,
    };
    mailbox::insert(&mut tx, &id.to_string(), &captured).await?;
    outbox::mark_done_in(&mut tx, id, now).await?;
    tx.commit().await
}

pub async fn sent(app: &App, id: OutboxId) -> Result<(), sqlx::Error> {
    outbox::mark_done(&app.db, id, app.clock.now_ms()).await
}

/// Records a failed attempt; the message is claimed again at `retry_at`.
pub async fn failed(
    app: &App,
    id: OutboxId,
    error: &str,
    retry_at: i64,
) -> Result<(), sqlx::Error> {
    outbox::mark_failed(&app.db, id, error, retry_at).await
}
