//! The benchmark baseline: the least an axum + sqlx server can do to answer
//! `GET /disputes/{id}` — one primary-key SELECT, the row as a flat JSON object,
//! no auth, no envelope. `bench/run` reports every figure of the real server as a ratio to it.
//!
//! Environment: `DATABASE_URL` (required), `LISTEN_ADDR` (default `127.0.0.1:8091`),
//! `DATABASE_MAX_CONNECTIONS` (default 16, as the server's).

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::get,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{FromRow, PgPool, postgres::PgPoolOptions};

#[derive(Serialize, FromRow)]
struct Dispute {
    id: String,
    account_id: String,
    livemode: bool,
    charge_id: String,
    amount: i64,
    currency: String,
    funding_amount: i64,
    funding_currency: String,
    status: String,
    reason: String,
    message: Option<String>,
    admin_message: Option<String>,
    metadata: serde_json::Value,
    debit_transaction_id: String,
    credit_transaction_id: Option<String>,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

const SELECT_DISPUTE: &str = "select id, account_id, livemode, charge_id, amount, currency, \
     funding_amount, funding_currency, status, reason, message, admin_message, metadata, \
     debit_transaction_id, credit_transaction_id, created_at, closed_at \
     from disputes where id = $1";

async fn retrieve(
    State(pool): State<PgPool>,
    Path(id): Path<String>,
) -> Result<Json<Dispute>, StatusCode> {
    sqlx::query_as::<_, Dispute>(SELECT_DISPUTE)
        .bind(id)
        .fetch_optional(&pool)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .map(Json)
        .ok_or(StatusCode::NOT_FOUND)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let database_url = std::env::var("DATABASE_URL")?;
    let listen_addr = std::env::var("LISTEN_ADDR").unwrap_or_else(|_| "127.0.0.1:8091".into());
    let max_connections = match std::env::var("DATABASE_MAX_CONNECTIONS") {
        Ok(n) => n.parse()?,
        Err(_) => 16,
    };
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        // As the server: no ping round trip before each checkout.
        .test_before_acquire(false)
        .connect(&database_url)
        .await?;
    let app = Router::new()
        .route("/disputes/{id}", get(retrieve))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind(&listen_addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
