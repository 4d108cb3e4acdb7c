//! The two backends behind one small interface, so that every query is written once, as plain
//! code: `Sql` (a statement and its arguments, numbered as they are pushed), `Arg` (a value either
//! backend can bind), and `Pool` / `Tx`, which run a `Sql` on whichever backend they hold. Times
//! are `timestamptz` in Postgres and integer microseconds in SQLite; `Arg::Time` and `Ts` say so
//! once for both.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArgumentBuffer, PgRow, PgTypeInfo};
use sqlx::sqlite::{SqliteArgumentValue, SqliteRow, SqliteTypeInfo};
use sqlx::types::Json;
use sqlx::{Database, Encode, FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction, Type};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// A value to bind, in either backend.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    Time(Option<DateTime<Utc>>),
    Bytes(Vec<u8>),
    Json(Value),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Text(Some(s.to_owned()))
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Text(Some(s))
    }
}

impl From<Option<&str>> for Arg {
    fn from(s: Option<&str>) -> Arg {
        Arg::Text(s.map(str::to_owned))
    }
}

impl From<&crate::domain::Id> for Arg {
    fn from(id: &crate::domain::Id) -> Arg {
        Arg::Text(Some(id.to_string()))
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Int(Some(n))
    }
}

impl From<Option<i64>> for Arg {
    fn from(n: Option<i64>) -> Arg {
        Arg::Int(n)
    }
}

impl From<bool> for Arg {
    fn from(b: bool) -> Arg {
        Arg::Bool(b)
    }
}

impl From<DateTime<Utc>> for Arg {
    fn from(t: DateTime<Utc>) -> Arg {
        Arg::Time(Some(t))
    }
}

impl From<Option<DateTime<Utc>>> for Arg {
    fn from(t: Option<DateTime<Utc>>) -> Arg {
        Arg::Time(t)
    }
}

impl Type<Postgres> for Arg {
    fn type_info() -> PgTypeInfo {
        // What is bound is told per value by `produces`.
        <String as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Arg {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        match self {
            Arg::Text(v) => <Option<String> as Encode<Postgres>>::encode_by_ref(v, buf),
            Arg::Int(v) => <Option<i64> as Encode<Postgres>>::encode_by_ref(v, buf),
            Arg::Bool(v) => <bool as Encode<Postgres>>::encode_by_ref(v, buf),
            Arg::Time(v) => <Option<DateTime<Utc>> as Encode<Postgres>>::encode_by_ref(v, buf),
            Arg::Bytes(v) => <Vec<u8> as Encode<Postgres>>::encode_by_ref(v, buf),
            Arg::Json(v) => <Json<&Value> as Encode<Postgres>>::encode(Json(v), buf),
        }
    }

    fn produces(&self) -> Option<PgTypeInfo> {
        Some(match self {
            Arg::Text(_) => <String as Type<Postgres>>::type_info(),
            Arg::Int(_) => <i64 as Type<Postgres>>::type_info(),
            Arg::Bool(_) => <bool as Type<Postgres>>::type_info(),
            Arg::Time(_) => <DateTime<Utc> as Type<Postgres>>::type_info(),
            Arg::Bytes(_) => <Vec<u8> as Type<Postgres>>::type_info(),
            Arg::Json(_) => <Json<Value> as Type<Postgres>>::type_info(),
        })
    }
}

impl Type<Sqlite> for Arg {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
}

impl<'q> Encode<'q, Sqlite> for Arg {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        match self {
            Arg::Text(v) => <Option<String> as Encode<Sqlite>>::encode(v.clone(), buf),
            Arg::Int(v) => <Option<i64> as Encode<Sqlite>>::encode_by_ref(v, buf),
            Arg::Bool(v) => <bool as Encode<Sqlite>>::encode_by_ref(v, buf),
            Arg::Time(v) => {
                <Option<i64> as Encode<Sqlite>>::encode(v.map(|t| t.timestamp_micros()), buf)
            }
            Arg::Bytes(v) => <Vec<u8> as Encode<Sqlite>>::encode(v.clone(), buf),
            Arg::Json(v) => <String as Encode<Sqlite>>::encode(v.to_string(), buf),
        }
    }
}

/// A statement and its arguments. `push` adds text, `bind` adds an argument and its `$N`
/// placeholder (SQLite reads `$N` as the N-th argument too), so numbers are never written by hand.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    pub fn bind(&mut self, arg: impl Into<Arg>) -> &mut Sql {
        self.args.push(arg.into());
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// `(a, b, c)` with each value bound.
    pub fn bind_list<A: Into<Arg>>(&mut self, values: impl IntoIterator<Item = A>) -> &mut Sql {
        self.push("(");
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(value);
        }
        self.push(")")
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    fn pg<T>(&self) -> sqlx::query::QueryAs<'_, Postgres, T, sqlx::postgres::PgArguments>
    where
        T: for<'r> FromRow<'r, PgRow>,
    {
        self.args
            .iter()
            .fold(sqlx::query_as(&self.text), |q, arg| q.bind(arg))
    }

    fn lite<T>(&self) -> sqlx::query::QueryAs<'_, Sqlite, T, sqlx::sqlite::SqliteArguments<'_>>
    where
        T: for<'r> FromRow<'r, SqliteRow>,
    {
        self.args
            .iter()
            .fold(sqlx::query_as(&self.text), |q, arg| q.bind(arg))
    }

    fn pg_exec(&self) -> sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments> {
        self.args
            .iter()
            .fold(sqlx::query(&self.text), |q, arg| q.bind(arg))
    }

    fn lite_exec(&self) -> sqlx::query::Query<'_, Sqlite, sqlx::sqlite::SqliteArguments<'_>> {
        self.args
            .iter()
            .fold(sqlx::query(&self.text), |q, arg| q.bind(arg))
    }
}

/// A row type both backends decode.
pub trait Row: for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> + Send + Unpin {}

impl<T> Row for T where T: for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> + Send + Unpin
{}

/// A connection pool of either backend, which also counts the callers waiting for one of its
/// connections (sqlx does not say).
pub struct Pool {
    backend: Backend,
    waiting: AtomicUsize,
    /// SQLite: this process's writers take turns here, in order, before `begin immediate`.
    /// Without it they would all race for the file's write lock and the losers would sleep in
    /// SQLite's busy handler (1 ms, 2 ms, 5 ms, … up to 100 ms a try), which is what made a
    /// write's p99 half a second under 8 concurrent writers. Other processes on the same file
    /// still meet the busy handler.
    writers: Arc<Mutex<()>>,
}

pub use crate::metrics::PoolStats;

pub enum Backend {
    Pg(PgPool),
    Lite {
        pool: SqlitePool,
        /// The one connection write transactions run on. SQLite empties a connection's page
        /// cache whenever another connection has written since its last transaction, so with
        /// writes spread over the pool every one began cold, reading its pages again under the
        /// write lock; on a connection of their own they find the pages the last write left.
        writer: SqlitePool,
    },
}

/// Counts a caller as waiting while it exists (a cancelled wait is uncounted too).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize) -> Waiting<'a> {
        count.fetch_add(1, Ordering::Relaxed);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Pool {
    pub fn new(backend: Backend) -> Pool {
        Pool {
            backend,
            waiting: AtomicUsize::new(0),
            writers: Arc::default(),
        }
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    pub fn stats(&self) -> PoolStats {
        fn of<DB: Database>(pool: &sqlx::Pool<DB>, waiting: usize) -> PoolStats {
            PoolStats {
                size: pool.size(),
                idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                max: pool.options().get_max_connections(),
                waiting,
            }
        }
        let waiting = self.waiting.load(Ordering::Relaxed);
        match &self.backend {
            Backend::Pg(p) => of(p, waiting),
            Backend::Lite { pool: p, .. } => of(p, waiting),
        }
    }

    /// A connection of `pool`, counted as waiting until it comes.
    async fn acquire<DB: Database>(
        &self,
        pool: &sqlx::Pool<DB>,
    ) -> Result<PoolConnection<DB>, sqlx::Error> {
        let _waiting = Waiting::enter(&self.waiting);
        pool.acquire().await
    }

    pub async fn all<T: Row>(&self, sql: &Sql) -> Result<Vec<T>, sqlx::Error> {
        match &self.backend {
            Backend::Pg(p) => sql.pg().fetch_all(&mut *self.acquire(p).await?).await,
            Backend::Lite { pool: p, .. } => {
                sql.lite().fetch_all(&mut *self.acquire(p).await?).await
            }
        }
    }

    pub async fn optional<T: Row>(&self, sql: &Sql) -> Result<Option<T>, sqlx::Error> {
        match &self.backend {
            Backend::Pg(p) => sql.pg().fetch_optional(&mut *self.acquire(p).await?).await,
            Backend::Lite { pool: p, .. } => {
                sql.lite()
                    .fetch_optional(&mut *self.acquire(p).await?)
                    .await
            }
        }
    }

    pub async fn execute(&self, sql: &Sql) -> Result<u64, sqlx::Error> {
        Ok(match &self.backend {
            Backend::Pg(p) => sql
                .pg_exec()
                .execute(&mut *self.acquire(p).await?)
                .await?
                .rows_affected(),
            Backend::Lite { pool: p, .. } => sql
                .lite_exec()
                .execute(&mut *self.acquire(p).await?)
                .await?
                .rows_affected(),
        })
    }

    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        Ok(match &self.backend {
            Backend::Pg(p) => Tx::Pg(Transaction::begin(self.acquire(p).await?, None).await?),
            Backend::Lite { writer, .. } => {
                let turn = self.writers.clone().lock_owned().await;
                let conn = self.acquire(writer).await?;
                // sqlx's SQLite worker runs the BEGIN on its own thread: a caller dropped while
                // waiting for it (a client that hung up) would leave the connection in the
                // pool inside a transaction that holds the write lock, and every later begin
                // on it failing. Spawned, the begin completes; if nobody takes the transaction,
                // dropping it rolls it back.
                let begun = tokio::spawn(Transaction::begin(conn, Some("begin immediate".into())))
                    .await
                    .map_err(|e| sqlx::Error::Io(std::io::Error::other(e)))??;
                Tx::Lite(begun, turn)
            }
        })
    }

    /// The clause that makes a select skip (and lock) rows another transaction holds, so that
    /// several workers claim disjoint rows (nothing on SQLite, whose writes are serialized).
    pub fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Pg(_) => " for update skip locked",
            Backend::Lite { .. } => "",
        }
    }

    /// The clause that locks the rows a select reads until the transaction ends (`for update`
    /// on Postgres; nothing on SQLite, whose write transactions hold the whole database).
    pub fn lock_rows(&self) -> &'static str {
        match self.backend {
            Backend::Pg(_) => " for update",
            Backend::Lite { .. } => "",
        }
    }
}

/// A write transaction. On Postgres an ordinary READ COMMITTED one, whose conditional updates
/// take row locks; on SQLite one that began `immediate`, holding the database's write lock.
pub enum Tx {
    Pg(Transaction<'static, Postgres>),
    /// With this process's turn to write, held until the transaction ends (fields drop in
    /// order: the transaction, then the turn).
    Lite(Transaction<'static, Sqlite>, OwnedMutexGuard<()>),
}

impl Tx {
    /// Whether this is SQLite's (whose every statement is a trip to its thread under the lock).
    pub fn is_lite(&self) -> bool {
        matches!(self, Tx::Lite(..))
    }

    pub async fn all<T: Row>(&mut self, sql: &Sql) -> Result<Vec<T>, sqlx::Error> {
        match self {
            Tx::Pg(tx) => sql.pg().fetch_all(&mut **tx).await,
            Tx::Lite(tx, _) => sql.lite().fetch_all(&mut **tx).await,
        }
    }

    pub async fn optional<T: Row>(&mut self, sql: &Sql) -> Result<Option<T>, sqlx::Error> {
        match self {
            Tx::Pg(tx) => sql.pg().fetch_optional(&mut **tx).await,
            Tx::Lite(tx, _) => sql.lite().fetch_optional(&mut **tx).await,
        }
    }

    pub async fn execute(&mut self, sql: &Sql) -> Result<u64, sqlx::Error> {
        match self {
            Tx::Pg(tx) => sql
                .pg_exec()
                .execute(&mut **tx)
                .await
                .map(|r| r.rows_affected()),
            Tx::Lite(tx, _) => sql
                .lite_exec()
                .execute(&mut **tx)
                .await
                .map(|r| r.rows_affected()),
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Pg(tx) => tx.commit().await,
            Tx::Lite(tx, _) => tx.commit().await,
        }
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Pg(tx) => tx.rollback().await,
            Tx::Lite(tx, _) => tx.rollback().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose caller goes away at any point of `begin_write` (a client that hung up)
    /// leaves no connection inside a transaction: the next writer on the same single
    /// connection begins, writes and commits.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_begin_cut_off_anywhere_leaves_no_transaction_behind() {
        let dir = tempfile::tempdir().unwrap();
        let pool = super::super::sqlite::connect_in(dir.path(), 1).await;
        pool.execute(&Sql::new("create table t (n integer)"))
            .await
            .unwrap();
        let mut finished = 0;
        for _ in 0..3000 {
            let begin = pool.begin_write();
            tokio::select! {
                biased;
                tx = begin => { tx.unwrap().rollback().await.unwrap(); finished += 1 }
                () = tokio::task::yield_now() => {}
            }
        }
        assert!(finished < 3000, "some begins were cut off");
        let mut tx = pool.begin_write().await.unwrap();
        let mut insert = Sql::new("insert into t (n) values (");
        insert.bind(1_i64).push(")");
        tx.execute(&insert).await.unwrap();
        tx.commit().await.unwrap();
        let (n,): (i64,) = pool
            .optional(&Sql::new("select count(*) from t"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 1);
    }

    /// SQLite's write transactions all run on one connection of their own (whose page cache
    /// no other connection's write empties), and reads on the others: a temporary table, which
    /// only its own connection sees, made in one write is there in the next, and not in a read.
    #[tokio::test]
    async fn sqlite_writes_run_on_one_connection_of_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let pool = super::super::sqlite::connect_in(dir.path(), 4).await;
        let mut tx = pool.begin_write().await.unwrap();
        tx.execute(&Sql::new("create temp table mark (n integer)"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        for _ in 0..3 {
            let mut tx = pool.begin_write().await.unwrap();
            tx.execute(&Sql::new("insert into temp.mark (n) values (1)"))
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let mut tx = pool.begin_write().await.unwrap();
        let (n,): (i64,) = tx
            .optional(&Sql::new("select count(*) from temp.mark"))
            .await
            .unwrap()
            .unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(n, 3);
        let read = pool
            .optional::<(i64,)>(&Sql::new("select count(*) from temp.mark"))
            .await;
        assert!(read.is_err(), "a read ran on the writers' connection");
    }
}
