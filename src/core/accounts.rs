//! Accounts and their keys. A key's format is its dialect's; the core keeps only its SHA-256 and
//! its last characters, and never the secret.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::Core;
use crate::domain::{Id, IdKind, Mode};
use crate::store::{KeyRecord, NewKey, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("account {0} was not found")]
    UnknownAccount(Id),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the store keeps instead of a secret: its SHA-256. Secrets are long random strings, so a
/// fast hash is enough; nothing short enough to brute-force is ever hashed here.
pub fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// The last four characters, for telling keys apart in operator listings.
pub fn secret_hint(secret: &str) -> String {
    secret[secret.len().saturating_sub(4)..].to_owned()
}

impl Core {
    /// Creates an account with each dialect's preferences; `id` fixes its id (fixtures), else
    /// generated. Returns the id, and false when an account with that id existed already.
    pub async fn create_account(
        &self,
        id: Option<Id>,
        name: &str,
        preferences: &Map<String, Value>,
    ) -> Result<(Id, bool), StoreError> {
        let now = self.clock.now();
        let id = id.unwrap_or_else(|| Id::generate(IdKind::Account, Mode::Test, now.timestamp()));
        let created = self
            .store
            .create_account(&id, name, preferences, now)
            .await?;
        Ok((id, created))
    }

    /// Stores a key of a dialect's `scheme` (by its hash) for `account`; `id` fixes its id
    /// (fixtures), else generated.
    pub async fn store_key(
        &self,
        id: Option<Id>,
        account: &Id,
        mode: Mode,
        scheme: &'static str,
        secret: &str,
    ) -> Result<Id, KeyError> {
        let now = self.clock.now();
        let key = NewKey {
            id: id.unwrap_or_else(|| Id::generate(IdKind::Key, mode, now.timestamp())),
            account: account.clone(),
            mode,
            scheme,
            secret_hash: secret_hash(secret),
            hint: secret_hint(secret),
            created_at: now,
        };
        match self.store.insert_key(&key).await {
            Ok(_) => Ok(key.id),
            Err(StoreError::MissingReference(_)) => Err(KeyError::UnknownAccount(account.clone())),
            Err(e) => Err(e.into()),
        }
    }

    /// The key with this secret hash, revoked or not.
    pub async fn find_key(&self, secret_hash: &[u8; 32]) -> Result<Option<KeyRecord>, StoreError> {
        self.store.find_key(secret_hash).await
    }

    /// Gives an account its public handle (a dialect's client id); false when there is no such
    /// account.
    pub async fn set_handle(&self, account: &Id, handle: &str) -> Result<bool, StoreError> {
        self.store.set_handle(account, handle).await
    }

    /// An account's public handle (a dialect's client id), if it has one.
    pub async fn client_id(&self, account: &Id) -> Result<Option<String>, StoreError> {
        self.store.handle(account).await
    }

    /// Issues a bearer token for a key, valid for `ttl`: a random secret of which only the
    /// hash is kept, so it outlives this process and works on every server.
    pub async fn issue_token(
        &self,
        key: &Id,
        ttl: TimeDelta,
    ) -> Result<(String, DateTime<Utc>), StoreError> {
        let token = URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 32]>());
        let now = self.clock.now();
        let expires_at = now + ttl;
        self.store
            .insert_token(&secret_hash(&token), key, now, expires_at)
            .await?;
        Ok((token, expires_at))
    }

    /// The key behind an unexpired bearer token of an unrevoked key.
    /// Found tokens are remembered for `AUTH_CACHE_TTL`, as keys are: a token of a key revoked
    /// through another process stops working after at most that long.
    pub async fn token_key(&self, token: &str) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        let hash = secret_hash(token);
        let found = match self.tokens.get(&hash) {
            Some(found) => found,
            None => {
                let Some((key, expires_at)) = self.store.find_token(&hash).await? else {
                    return Ok(None);
                };
                if key.revoked {
                    return Ok(None);
                }
                let found = (Arc::new(key), expires_at);
                self.tokens.insert(hash, found.clone());
                found
            }
        };
        let (key, expires_at) = found;
        Ok((expires_at > self.clock.now()).then_some(key))
    }

    /// Revokes a key; false when there is no such key.
    pub async fn revoke_key(&self, key: &Id) -> Result<bool, StoreError> {
        let revoked = self.store.revoke_key(key, self.clock.now()).await?;
        // This process forgets its tokens at once; others within AUTH_CACHE_TTL.
        self.tokens.clear();
        Ok(revoked)
    }
}
