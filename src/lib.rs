//! dispute-docs: an Omise-compatible dispute documents server.
//!
//! Data flows one way: `app` (router, middleware, serving) -> `omise` (the HTTP dialect) and
//! `ops` (the operator surface) -> `domain` (plain types and rules) -> `store` (rows) and
//! `blobs` (file bytes).

pub mod app;
pub mod blobs;
pub mod config;
pub mod domain;
pub mod omise;
pub mod openapi;
pub mod ops;
pub mod seed;
pub mod service;
pub mod signing;
pub mod store;
pub mod sweep;
