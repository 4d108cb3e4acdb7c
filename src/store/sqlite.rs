//! The embedded backend: SQLite in WAL mode. Write transactions begin `immediate` (see
//! `Pool::begin_write`), taking the database's write lock up front, so the status guard is as
//! atomic here as on Postgres and a writer never fails on a stale read snapshot; a busy timeout
//! makes contenders wait their turn.

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::Pool;
use super::db::Backend;
#[cfg(test)]
use super::db::Sql;

pub static MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");

/// How often a task of its own checkpoints the WAL into the database file (`passive`: it takes
/// no lock that writers wait for).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// The WAL's size in pages past which a writer checkpoints it itself, after its commit and
/// before it gives up its turn: only should the task above fall far behind (10,000 pages are
/// about 40 MiB). At SQLite's default, 1,000 pages, every fiftieth upload or so paid for a
/// checkpoint while the next writers waited, and the checkpoints' churn slowed every commit.
const WRITER_CHECKPOINT_PAGES: &str = "10000";

pub async fn connect(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
) -> Result<Pool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    if let Some(dir) = options.get_filename().parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        .connect_with(options.clone())
        .await?;
    let writer = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(acquire_timeout)
        .connect_with(options.pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES))
        .await?;
    tokio::spawn(checkpoints(pool.clone()));
    Ok(Pool::new(Backend::Lite { pool, writer }))
}

/// Checkpoints the WAL every `CHECKPOINT_EVERY` until the pool closes, on a reading connection,
/// outside the writers' turns.
async fn checkpoints(pool: SqlitePool) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !pool.is_closed() {
        every.tick().await;
        if let Err(e) = sqlx::query("pragma wal_checkpoint(passive)")
            .execute(&pool)
            .await
        {
            tracing::debug!(error = %e, "WAL checkpoint");
        }
    }
}

/// A pool of at most `max_connections` on the file `t.db` of `dir`, for tests.
#[cfg(test)]
pub(super) async fn connect_in(dir: &std::path::Path, max_connections: u32) -> Pool {
    let url = format!("sqlite://{}", dir.join("t.db").display());
    connect(&url, max_connections, Duration::from_secs(5))
        .await
        .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer's commit leaves the WAL to the checkpoint task: its connection checkpoints only
    /// past `WRITER_CHECKPOINT_PAGES`, and the WAL still reaches the database file (which only
    /// a checkpoint writes) without any writer's help.
    #[tokio::test]
    async fn the_wal_is_checkpointed_outside_the_writers_turn() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.db");
        let pool = connect_in(dir.path(), 2).await;
        let mut tx = pool.begin_write().await.unwrap();
        let (pages,): (i64,) = tx
            .optional(&Sql::new("pragma wal_autocheckpoint"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(pages.to_string(), WRITER_CHECKPOINT_PAGES);
        tx.execute(&Sql::new(
            "create table t (b blob); insert into t select randomblob(1000) from \
             (with recursive n(i) as (select 1 union all select i + 1 from n where i < 2000) select i from n)",
        ))
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::fs::metadata(&file).unwrap().len() < 2_000_000 {
            assert!(
                std::time::Instant::now() < deadline,
                "the WAL never reached the database file"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
