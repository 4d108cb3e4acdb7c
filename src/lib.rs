//! dispute-docs: an Omise-compatible dispute documents server.
//!
//! Every import points down this list; none points up, and no edge imports another
//! (`tests/architecture.rs` reads the `crate::` and `super::` paths and fails otherwise):
//!
//! - `app` composes the edges under the shared middleware and serves them (with `GET /metrics`);
//!   `openapi` puts the edges' OpenAPI parts together.
//! - The edges, one folder each, none importing another: `omise` (the Omise dialect), `mangopay`
//!   (the Mangopay dialect), `ops` (the operator surface), `web` (the browser's pages).
//! - `seed` loads fixtures through the core; `webhooks` delivers the events the store records,
//!   asking each dialect (through a trait the edges implement) for the request.
//! - `wire`: what each dialect says without the HTTP that carries it (its words, its objects in
//!   every version, its error object, event names and key formats), for the edge that speaks
//!   it and every edge that shows it.
//! - `core`: every use case, once.
//! - `sweep` removes what no row names; `store` (rows), `http` (what the edges share of HTTP)
//!   and `serve` (HTTP connections, for `app`) below it.
//! - `blobs` (file bytes) and `rate_limit` (request budgets); below them `config`, `signing` and
//!   `metrics`, which import nothing of this crate but the domain.
//! - `files`: what a file goes through before it is kept (the checks card networks apply) and
//!   the previews rendered of it; pure functions over bytes, run within time and memory bounds.
//! - `packet`: the evidence packet, one PDF a card network takes as it is, built from the files
//!   (pure, over bytes; FILES.md §5).
//! - `domain`: plain types and rules in neutral words, the floor every layer stands on.

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
pub mod packet;
pub mod process;
pub mod rate_limit;
pub mod scan;
pub mod seed;
pub mod serve;
pub mod signing;
pub mod store;
pub mod sweep;
pub mod web;
pub mod webhooks;
pub mod wire;
