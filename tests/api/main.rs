//! The behavioural suite: every test runs against a real server on port 0, once over Postgres
//! (`postgres::…`) and once over SQLite (`sqlite::…`), each on a fresh database.

#[macro_use]
mod helpers;

mod auth;
mod binary;
mod blobs_s3;
mod changes;
mod clamd;
mod concurrency;
mod connections;
mod crash;
mod deadlines;
mod disputes;
mod documents;
mod durable;
mod events;
mod evidence_links;
mod files;
mod history;
mod idempotency;
mod limits;
mod magic;
mod mangopay;
mod metrics;
mod moto;
mod multi;
mod operator;
mod packet;
mod params;
mod pool;
mod processes;
mod ranges;
mod scan;
mod search;
mod test_clock;
mod upgrade;
mod web;
mod wire;
