//! Partner Hub: an open platform for two-tier cloud distribution.
//!
//! Layers (see `docs/architecture.md`): `domain` (pure rules and types), `app` (use cases,
//! one transaction each), and adapters around them: `api`
//! (REST), `portal` (HTML), `mail` (SMTP/capture), `cli` (commands); `web` holds what the two HTTP
//! adapters share and `server` composes them into one router. Everything but `domain` and
//! `clock` needs the default `server` feature.

#[cfg(feature = "server")]
pub mod api;
#[cfg(feature = "server")]
pub mod app;
#[cfg(feature = "server")]
pub mod bench;
#[cfg(feature = "server")]
pub mod cli;
pub mod clock;
#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod crypto;
pub mod domain;
#[cfg(feature = "server")]
pub mod mail;
#[cfg(feature = "server")]
pub mod portal;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod web;
#[cfg(feature = "server")]
pub mod webhooks;
