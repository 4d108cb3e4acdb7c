//! Accounts and API keys. Keys are kept as SHA-256 hashes; the secret never reaches the store.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::db::{Arg, Sql};
use super::rows::KeyRow;
use super::{Accounts, KeyRecord, NewKey, SqlStore, StoreError};
use crate::domain::{Id, Mode};

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
            "insert into api_keys (id, account_id, livemode, secret_hash, hint, created_at) values (",
        );
        sql.bind(&key.id)
            .push(", ")
            .bind(&key.account)
            .push(", ")
            .bind(key.mode.is_live())
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
        let mut sql = Sql::new(
            "select k.id, k.account_id, k.livemode, k.revoked_at is not null as revoked, a.preferences \
             from api_keys k join accounts a on a.id = k.account_id where k.secret_hash = ",
        );
        sql.bind(Arg::Bytes(secret_hash.to_vec()));
        let row: Option<KeyRow> = self.pool.optional(&sql).await?;
        Ok(row.map(|r| KeyRecord {
            key_id: Id::from_trusted(r.id),
            account: Id::from_trusted(r.account_id),
            mode: Mode::from_live(r.livemode),
            revoked: r.revoked,
            preferences: r.preferences.0,
        }))
    }
}
