//! Webhook adapter: signs and posts queued deliveries to partners' receivers over HTTPS.
//! The client refuses private and metadata addresses at connection time (the address it
//! checked is the address it connects to), never follows redirects and gives up quickly.

pub mod client;
pub mod worker;
