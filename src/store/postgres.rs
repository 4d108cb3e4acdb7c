//! The production backend: Postgres. Write transactions are ordinary READ COMMITTED ones: the
//! conditional `update disputes … where status = …` that opens each takes the row lock and is
//! re-checked against the newest row version once the lock is granted.

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::Pool;
use super::db::Backend;

pub static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

pub async fn connect(
    url: &str,
    max_connections: u32,
    acquire_timeout: std::time::Duration,
) -> Result<Pool, sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        // A full pool answers 503 after this long instead of queueing the request.
        .acquire_timeout(acquire_timeout)
        // No ping before every checkout: it doubled the round trips of every query. A
        // connection that died meanwhile fails its query (503) and is dropped from the pool.
        .test_before_acquire(false)
        .connect_with(options.application_name("dispute-docs"))
        .await?;
    Ok(Pool::new(Backend::Pg(pool)))
}
