//! The mail outbox: use cases queue a rendered message inside their own transaction
//! (`enqueue`); the delivery worker claims what is due, then records each message as
//! captured, sent or failed.

use super::App;
use crate::app::store::batch::Batch;
use crate::app::store::{identity, mailbox, outbox, Tx};
use crate::domain::ids::OutboxId;
use crate::mail::{templates, Outgoing, Template, TOPIC};
use std::collections::BTreeMap;

pub use crate::app::store::outbox::Message as QueuedMail;

/// Renders `template` for `to` in the recipient's own language when they are a user here
/// (else `lang`, the sender's language or en-US) and queues it with the transaction.
pub async fn enqueue(
    tx: &mut Tx,
    now: i64,
    to: &str,
    template: Template,
    lang: &str,
    vars: &BTreeMap<&str, String>,
) -> Result<(), sqlx::Error> {
    let lang = identity::language_of_upn(tx.conn().await?, to)
        .await?
        .unwrap_or_else(|| lang.to_string());
    let mut b = Batch::new();
    queue(&mut b, now, to, template, &lang, vars)?;
    b.run(tx).await
}

/// The language mail to `to` is written in: the recipient's own when they are a user here,
/// else `fallback`. Read before a transaction, so the writer is not held for it.
pub async fn language_for(app: &App, to: &str, fallback: &str) -> Result<String, sqlx::Error> {
    Ok(identity::language_of_upn(&app.db.read, to)
        .await?
        .unwrap_or_else(|| fallback.to_string()))
}

/// Renders `template` for `to` in `lang` (see [`language_for`]) and adds the message to
/// `b`, which the caller runs in its transaction.
pub fn queue(
    b: &mut Batch<'_>,
    now: i64,
    to: &str,
    template: Template,
    lang: &str,
    vars: &BTreeMap<&str, String>,
) -> Result<(), sqlx::Error> {
    let r = templates::render(template, lang, vars);
    let msg = Outgoing {
        to: to.to_ascii_lowercase(),
        subject: r.subject,
        text: r.text,
        html: r.html,
    };
    let payload = serde_json::to_value(&msg).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    outbox::enqueue_into(b, TOPIC, &payload, now);
    Ok(())
}

/// Leases up to `max` due messages to this node for `lease_ms`.
pub async fn claim_due(app: &App, lease_ms: i64, max: i64) -> Result<Vec<QueuedMail>, sqlx::Error> {
    outbox::claim(&app.db, TOPIC, app.clock.now_ms(), lease_ms, max).await
}

/// Keeps messages in the built-in capture and marks them done, all in one transaction and
/// one trip.
pub async fn capture_all(app: &App, messages: &[(OutboxId, Outgoing)]) -> Result<(), sqlx::Error> {
    if messages.is_empty() {
        return Ok(());
    }
    let now = app.clock.now_ms();
    let mut batch = Batch::new();
    for (id, out) in messages {
        let captured = mailbox::CapturedMail {
            id: uuid::Uuid::now_v7().to_string(),
            to: out.to.clone(),
            subject: out.subject.clone(),
            text_body: out.text.clone(),
            html_body: out.html.clone(),
            created_at: now,
        };
        mailbox::insert(&mut batch, &id.to_string(), &captured);
    }
    let ids: Vec<OutboxId> = messages.iter().map(|(id, _)| *id).collect();
    outbox::mark_all_done(&mut batch, &ids, now);
    let tx = app.db.begin().await?;
    batch.commit(tx).await
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
