//! The behavioural suite: every test runs against a real server on port 0, once over Postgres
//! (`postgres::…`) and once over SQLite (`sqlite::…`), each on a fresh database.

#[macro_use]
mod helpers;

mod auth;
mod concurrency;
mod deadlines;
mod disputes;
mod documents;
mod events;
mod evidence_links;
mod history;
mod magic;
mod mangopay;
mod operator;
mod params;
mod upgrade;
mod web;
