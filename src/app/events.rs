//! Domain events: written to the outbox with the change that raises them. The webhook and
//! notification workers deliver them to the organisations listed in `audience`.

use crate::app::store::batch::Batch;
use crate::app::store::{outbox, Tx};
use crate::domain::webhook::EventName;
use serde::{Deserialize, Serialize};

pub const TOPIC: &str = "event";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub event_id: String,
    pub event_name: String,
    pub resource_uri: String,
    pub resource_name: String,
    pub resource_change_utc_date: String,
    /// Organisations (tenant ids) the event is delivered to.
    pub audience: Vec<String>,
}

pub async fn emit(
    tx: &mut Tx,
    now: i64,
    name: EventName,
    resource_uri: String,
    resource_name: &str,
    audience: &[String],
) -> Result<(), sqlx::Error> {
    let mut b = Batch::new();
    emit_into(&mut b, now, name, resource_uri, resource_name, audience);
    b.run(tx).await
}

/// [`emit`], added to a batch the caller runs in its transaction.
pub fn emit_into(
    b: &mut Batch<'_>,
    now: i64,
    name: EventName,
    resource_uri: String,
    resource_name: &str,
    audience: &[String],
) {
    let e = Event {
        event_id: uuid::Uuid::now_v7().to_string(),
        event_name: name.as_str().to_string(),
        resource_uri,
        resource_name: resource_name.to_string(),
        resource_change_utc_date: crate::clock::from_ms(now).to_rfc3339(),
        audience: audience.to_vec(),
    };
    outbox::enqueue_into(
        b,
        TOPIC,
        &serde_json::to_value(&e).expect("event serializes"),
        now,
    );
}
