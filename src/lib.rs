//! Partner Hub: an open platform for two-tier cloud distribution.
//!
//! Layers (see `docs/architecture.md`): `domain` (pure rules and types), `app` (use cases,
//! one transaction each), and adapters around them: `api`
//! (REST), `portal` (HTML), `mail` (SMTP/capture), `cli` (commands); `web` holds what the two HTTP
//! adapters share and `server` composes them into one router.

pub mod api;
pub mod app;
pub mod bench;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod mail;
pub mod portal;
pub mod server;
pub mod web;
pub mod webhooks;
