//! The integration suite: a real server, a real database (SQLite, or PostgreSQL when
//! `PARTNERHUB_TEST_DATABASE_URL` is set), real SMTP, and headless Chromium.

mod support;

mod accessibility;
mod api_conventions;
mod api_identity;
mod audit;
mod authz_matrix;
mod bench_smoke;
mod channel_portal;
mod channel_story;
mod cli;
mod commerce;
mod contract;
mod contract_fixtures;
mod contract_ops;
mod crash;
mod customer_admin;
mod customers;
mod dashboards;
mod enrollment;
mod hardening;
mod list_snapshots;
mod mail;
mod mail_language;
mod memberships;
mod multi_node;
mod notifications;
mod oidc;
mod order_request_ids;
mod paging_commerce;
mod paging_identity;
mod paging_partners;
mod partnerships;
mod portal_browser;
mod portal_http;
mod portal_paging;
mod portal_prg;
mod referrals;
mod replica;
mod rows_decode;
mod schema_parity;
mod screenshots;
mod security;
mod support_requests;
mod webhooks;
