//! Accounts and their keys. A key's format is its dialect's; the core keeps only its SHA-256 and
//! its last characters, and never the secret.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::Core;
use crate::domain::{Id, IdKind, Mode};
use crate::store::{NewKey, StoreError};

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

    /// Stores a key (by its hash) for `account`; `id` fixes its id (fixtures), else generated.
    pub async fn store_key(
        &self,
        id: Option<Id>,
        account: &Id,
        mode: Mode,
        secret: &str,
    ) -> Result<Id, KeyError> {
        let now = self.clock.now();
        let key = NewKey {
            id: id.unwrap_or_else(|| Id::generate(IdKind::Key, mode, now.timestamp())),
            account: account.clone(),
            mode,
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
    pub async fn find_key(
        &self,
        secret_hash: &[u8; 32],
    ) -> Result<Option<crate::store::KeyRecord>, StoreError> {
        self.store.find_key(secret_hash).await
    }

    /// Revokes a key; false when there is no such key.
    pub async fn revoke_key(&self, key: &Id) -> Result<bool, StoreError> {
        self.store.revoke_key(key, self.clock.now()).await
    }
}
