//! The Mangopay dialect (MANGOPAY.md, the shared brief): OAuth tokens, the dispute and document
//! endpoints #1–#17 under `/v2.01/{ClientId}`, its lists, errors and idempotency, the transport
//! leniencies the official SDKs need, and one dispute seen through both dialects.

mod auth;
mod concurrency;
mod cross_dialect;
mod disputes;
mod documents;
mod hooks;
mod idempotency;
mod lists;
mod pages;
mod transport;
