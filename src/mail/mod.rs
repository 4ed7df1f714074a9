//! Mail adapter: messages are rendered and put in the outbox inside the caller's
//! transaction; the worker delivers them over SMTP or keeps them in the capture.

pub mod templates;
pub mod worker;

pub use templates::Template;

use crate::app::store::{outbox, Tx};
use std::collections::BTreeMap;

pub const TOPIC: &str = "mail";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Outgoing {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The language a mail to `to` is written in: the recipient's own preference when they are
/// a user here, else `fallback` (the sender's language, or en-US).
async fn language_for(tx: &mut Tx, to: &str, fallback: &str) -> Result<String, sqlx::Error> {
    use sqlx::Row;
    let row = sqlx::query("SELECT language FROM users WHERE lower(upn) = $1")
        .bind(to.to_ascii_lowercase())
        .fetch_optional(tx.conn())
        .await?;
    Ok(row
        .map(|r| r.get::<String, _>("language"))
        .unwrap_or_else(|| fallback.to_string()))
}

/// Renders `template` for `to` in the recipient's language and queues it with the
/// transaction.
pub async fn enqueue(
    tx: &mut Tx,
    now: i64,
    to: &str,
    template: Template,
    lang: &str,
    vars: &BTreeMap<&str, String>,
) -> Result<(), sqlx::Error> {
    let lang = language_for(tx, to, lang).await?;
    let r = templates::render(template, &lang, vars);
    let msg = Outgoing {
        to: to.to_ascii_lowercase(),
        subject: r.subject,
        text: r.text,
        html: r.html,
    };
    outbox::enqueue(
        tx,
        TOPIC,
        &serde_json::to_value(&msg).expect("mail serializes"),
        now,
    )
    .await?;
    Ok(())
}
