//! Mail adapter: the templates a message is rendered from, the shape it waits in the outbox
//! with, and the worker that delivers it over SMTP or keeps it in the capture. Queueing
//! happens in the use cases' own transactions (`app::mailing::enqueue`), so this module
//! never names storage.

pub mod templates;
pub mod worker;

pub use templates::Template;

pub const TOPIC: &str = "mail";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Outgoing {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}
