//! dispute-docs: an Omise-compatible dispute documents server.
//!
//! Data flows one way: `main` (the CLI) -> `app` (composes the edges under shared middleware)
//! -> the edges, one folder each: `omise` (the Omise dialect) and `ops` (the operator surface),
//! with `mangopay` (the Mangopay dialect) and `web` (the browser's pages) beside them -> `core` (every use case,
//! once) -> `domain` (plain types and rules in neutral words) -> `store` (rows) and `blobs`
//! (file bytes). `http` holds what the edges share; `seed` loads fixtures through the core;
//! `webhooks` sends the events the store records to the endpoints that listen for them.
//! `files` checks what a file is before it is kept and renders its previews (pure, below the
//! core). `rate_limit` keeps each key's request budget, in the process or shared through Redis.

pub mod app;
pub mod blobs;
pub mod config;
pub mod core;
pub mod domain;
pub mod files;
pub mod http;
pub mod mangopay;
pub mod metrics;
pub mod omise;
pub mod openapi;
pub mod ops;
pub mod rate_limit;
pub mod seed;
pub mod signing;
pub mod store;
pub mod sweep;
pub mod web;
pub mod webhooks;
