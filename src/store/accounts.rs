//! Accounts and API keys. Keys are kept as SHA-256 hashes; the secret never reaches the store.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::db::{Arg, Sql};
use super::rows::{KeyRow, TokenRow};
use super::ts::Ts;
use super::{Accounts, IdempotentResponse, KeyRecord, NewKey, SqlStore, StoreError};
use crate::domain::{Id, Scope};
use sqlx::types::Json;

const KEY_COLUMNS: &str = "k.id, k.account_id, k.livemode, k.revoked_at is not null as revoked, \
     k.scheme, a.handle, a.preferences";

/// `where account_id = … and livemode = … and key = …`
fn push_idempotency_key(sql: &mut Sql, scope: &Scope, key: &str) {
    sql.push(" where account_id = ")
        .bind(&scope.account)
        .push(" and livemode = ")
        .bind(scope.mode.is_live())
        .push(" and key = ")
        .bind(key);
}

type IdempotencyRow = (
    Ts,
    Option<i32>,
    Option<String>,
    Option<Vec<u8>>,
    Option<String>,
);

const IDEMPOTENCY_COLUMNS: &str =
    "select created_at, status, content_type, body, fingerprint from idempotency_keys";

fn idempotent_response(row: IdempotencyRow) -> IdempotentResponse {
    let (created_at, status, content_type, body, fingerprint) = row;
    IdempotentResponse {
        created_at: created_at.0,
        status: status.and_then(|s| u16::try_from(s).ok()),
        content_type,
        body: body.unwrap_or_default(),
        fingerprint,
    }
}

#[async_trait]
impl Accounts for SqlStore {
    async fn create_account(
        &self,
        id: &Id,
        name: &str,
        preferences: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut sql = Sql::new("insert into accounts (id, name, preferences, created_at) values (");
        sql.bind(id)
            .push(", ")
            .bind(name)
            .push(", ")
            .bind(Arg::Json(Value::Object(preferences.clone())))
            .push(", ")
            .bind(now)
            .push(") on conflict (id) do nothing");
        Ok(self.pool.execute(&sql).await? == 1)
    }

    async fn insert_key(&self, key: &NewKey) -> Result<bool, StoreError> {
        let mut sql = Sql::new(
            "insert into api_keys (id, account_id, livemode, scheme, secret_hash, hint, created_at) values (",
        );
        sql.bind(&key.id)
            .push(", ")
            .bind(&key.account)
            .push(", ")
            .bind(key.mode.is_live())
            .push(", ")
            .bind(key.scheme)
            .push(", ")
            .bind(Arg::Bytes(key.secret_hash.to_vec()))
            .push(", ")
            .bind(key.hint.as_str())
            .push(", ")
            .bind(key.created_at)
            .push(") on conflict do nothing");
        Ok(self.pool.execute(&sql).await? == 1)
    }

    async fn revoke_key(&self, key_id: &Id, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut sql = Sql::new("update api_keys set revoked_at = coalesce(revoked_at, ");
        sql.bind(now).push(") where id = ").bind(key_id);
        Ok(self.pool.execute(&sql).await? == 1)
    }

    async fn find_key(&self, secret_hash: &[u8; 32]) -> Result<Option<KeyRecord>, StoreError> {
        let mut sql = Sql::new("select ");
        sql.push(KEY_COLUMNS)
            .push(" from api_keys k join accounts a on a.id = k.account_id where k.secret_hash = ")
            .bind(Arg::Bytes(secret_hash.to_vec()));
        let row: Option<KeyRow> = self.pool.optional(&sql).await?;
        Ok(row.map(KeyRecord::from))
    }

    async fn set_handle(&self, account: &Id, handle: &str) -> Result<bool, StoreError> {
        let mut sql = Sql::new("update accounts set handle = ");
        sql.bind(handle).push(" where id = ").bind(account);
        Ok(self.pool.execute(&sql).await? == 1)
    }

    async fn handle(&self, account: &Id) -> Result<Option<String>, StoreError> {
        let mut sql = Sql::new("select handle from accounts where id = ");
        sql.bind(account);
        let row: Option<(Option<String>,)> = self.pool.optional(&sql).await?;
        Ok(row.and_then(|(h,)| h))
    }

    async fn preferences(&self, account: &Id) -> Result<Option<Map<String, Value>>, StoreError> {
        let mut sql = Sql::new("select preferences from accounts where id = ");
        sql.bind(account);
        let row: Option<(Json<Map<String, Value>>,)> = self.pool.optional(&sql).await?;
        Ok(row.map(|(p,)| p.0))
    }

    async fn test_clock(&self, account: &Id) -> Result<Option<i64>, StoreError> {
        let mut sql = Sql::new("select test_clock_offset from accounts where id = ");
        sql.bind(account);
        let row: Option<(i64,)> = self.pool.optional(&sql).await?;
        Ok(row.map(|(offset,)| offset))
    }

    async fn advance_test_clock(
        &self,
        account: &Id,
        micros: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut sql = Sql::new("update accounts set test_clock_offset = test_clock_offset + ");
        sql.bind(micros)
            .push(" where id = ")
            .bind(account)
            .push(" returning test_clock_offset");
        let row: Option<(i64,)> = self.pool.optional(&sql).await?;
        Ok(row.map(|(offset,)| offset))
    }

    async fn clocked_accounts(&self) -> Result<Vec<(Id, i64)>, StoreError> {
        let sql = Sql::new(
            "select id, test_clock_offset from accounts where test_clock_offset <> 0 order by id",
        );
        let rows: Vec<(String, i64)> = self.pool.all(&sql).await?;
        Ok(rows
            .into_iter()
            .map(|(id, offset)| (Id::from_trusted(id), offset))
            .collect())
    }

    async fn set_preference(
        &self,
        account: &Id,
        name: &str,
        value: Value,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin_write().await?;
        let mut read = Sql::new("select preferences from accounts where id = ");
        read.bind(account).push(self.pool.lock_rows());
        let Some((Json(mut preferences),)) =
            tx.optional::<(Json<Map<String, Value>>,)>(&read).await?
        else {
            tx.rollback().await?;
            return Ok(false);
        };
        preferences.insert(name.to_owned(), value);
        let mut write = Sql::new("update accounts set preferences = ");
        write
            .bind(Arg::Json(Value::Object(preferences)))
            .push(" where id = ")
            .bind(account);
        tx.execute(&write).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn insert_token(
        &self,
        token_hash: &[u8; 32],
        key: &Id,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut sql = Sql::new(
            "insert into access_tokens (token_hash, key_id, created_at, expires_at) values (",
        );
        sql.bind(Arg::Bytes(token_hash.to_vec()))
            .push(", ")
            .bind(key)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(expires_at)
            .push(")");
        self.pool.execute(&sql).await?;
        Ok(())
    }

    async fn find_token(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(KeyRecord, DateTime<Utc>)>, StoreError> {
        let mut sql = Sql::new("select ");
        sql.push(KEY_COLUMNS)
            .push(
                ", t.expires_at from access_tokens t join api_keys k on k.id = t.key_id \
                 join accounts a on a.id = k.account_id where t.token_hash = ",
            )
            .bind(Arg::Bytes(token_hash.to_vec()));
        let row: Option<TokenRow> = self.pool.optional(&sql).await?;
        Ok(row.map(|r| (KeyRecord::from(r.key), r.expires_at.0)))
    }

    async fn claim_idempotency(
        &self,
        scope: &Scope,
        key: &str,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
        abandoned_before: DateTime<Utc>,
    ) -> Result<Option<IdempotentResponse>, StoreError> {
        let mut claim = Sql::new(
            "insert into idempotency_keys (account_id, livemode, key, created_at) values (",
        );
        claim
            .bind(&scope.account)
            .push(", ")
            .bind(scope.mode.is_live())
            .push(", ")
            .bind(key)
            .push(", ")
            .bind(now)
            .push(") on conflict (account_id, livemode, key) do nothing");
        if self.pool.execute(&claim).await? == 1 {
            return Ok(None);
        }
        // Taken: a record older than `since` is forgotten and the key claimed anew.
        let mut renew = Sql::new("update idempotency_keys set created_at = ");
        renew
            .bind(now)
            .push(", status = null, content_type = null, body = null, fingerprint = null");
        push_idempotency_key(&mut renew, scope, key);
        renew
            .push(" and (created_at < ")
            .bind(since)
            .push(" or (status is null and created_at < ")
            .bind(abandoned_before)
            .push("))");
        if self.pool.execute(&renew).await? == 1 {
            return Ok(None);
        }
        let mut read = Sql::new(IDEMPOTENCY_COLUMNS);
        push_idempotency_key(&mut read, scope, key);
        let row: Option<IdempotencyRow> = self.pool.optional(&read).await?;
        Ok(row.map(idempotent_response))
    }

    async fn finish_idempotency(
        &self,
        scope: &Scope,
        key: &str,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
        fingerprint: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut sql = Sql::new("update idempotency_keys set status = ");
        sql.bind(i64::from(status))
            .push(", content_type = ")
            .bind(content_type)
            .push(", body = ")
            .bind(Arg::Bytes(body.to_vec()))
            .push(", fingerprint = ")
            .bind(fingerprint);
        push_idempotency_key(&mut sql, scope, key);
        self.pool.execute(&sql).await?;
        Ok(())
    }

    async fn release_idempotency(&self, scope: &Scope, key: &str) -> Result<(), StoreError> {
        let mut sql = Sql::new("delete from idempotency_keys");
        push_idempotency_key(&mut sql, scope, key);
        sql.push(" and status is null");
        self.pool.execute(&sql).await?;
        Ok(())
    }

    async fn idempotency(
        &self,
        scope: &Scope,
        key: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<IdempotentResponse>, StoreError> {
        let mut read = Sql::new(IDEMPOTENCY_COLUMNS);
        push_idempotency_key(&mut read, scope, key);
        read.push(" and created_at >= ").bind(since);
        let row: Option<IdempotencyRow> = self.pool.optional(&read).await?;
        Ok(row.map(idempotent_response))
    }
}
