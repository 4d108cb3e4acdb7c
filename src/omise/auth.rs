//! Who is calling: HTTP Basic with a secret key as the user and an empty password. The key is
//! hashed and looked up; verified keys are remembered briefly so that most requests cost no
//! database round trip for authentication.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::keys::SecretKey;
use super::version::ApiVersion;
use super::{ApiError, OmiseState};
use chrono::{DateTime, Utc};

use crate::core::ttl_cache::TtlCache;
use crate::domain::{Actor, Scope};
use crate::store::{DynStore, KeyRecord};

/// A merchant request's caller, and the response shape it asked for.
#[derive(Debug, Clone)]
pub struct Caller {
    pub scope: Scope,
    pub version: ApiVersion,
    /// The key, as the history records who acted.
    pub actor: Actor,
    /// The time in the caller's mode (test mode runs on the account's test clock).
    pub now: DateTime<Utc>,
}

/// Where an account keeps its default `Omise-Version` among its preferences.
pub use crate::wire::omise::version::VERSION_PREFERENCE;

const FAILED: ApiError = ApiError::Authentication("authentication failed");

impl FromRequestParts<OmiseState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &OmiseState) -> Result<Caller, ApiError> {
        // The idempotency layer needs the caller before the handler does: one request is
        // verified, and counted against its key's rate limit, once.
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let key = secret_key(parts).ok_or(FAILED)?;
        let record = state
            .keys
            .verify(&key, &state.core.store)
            .await?
            .ok_or(FAILED)?;
        if let Some(limiter) = &state.limiter {
            limiter.check(&record.key_id).await.map_err(|limited| {
                ApiError::TooManyRequests(limited.retry_after.as_secs().max(1))
            })?;
        }
        let version = match parts.headers.get("omise-version") {
            Some(v) => ApiVersion::parse(
                v.to_str()
                    .map_err(|_| ApiError::bad_request("Omise-Version is not text"))?,
            )?,
            None => record
                .preferences
                .get(VERSION_PREFERENCE)
                .and_then(|v| v.as_str())
                .and_then(|v| ApiVersion::parse(v).ok())
                .unwrap_or(ApiVersion::DEFAULT),
        };
        let now = state.core.now_in(&record.account, record.mode).await?;
        let caller = Caller {
            now,
            scope: Scope {
                account: record.account.clone(),
                mode: record.mode,
            },
            version,
            actor: Actor::Key(record.key_id.clone()),
        };
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// The secret key in `Authorization: Basic base64(key:)`, if it is one.
fn secret_key(parts: &Parts) -> Option<SecretKey> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let user = decoded
        .split_once(':')
        .map_or(decoded.as_str(), |(user, _)| user);
    SecretKey::parse(user).ok()
}

/// Verified keys, remembered for `AUTH_CACHE_TTL`.
#[derive(Debug)]
pub struct KeyCache(TtlCache<[u8; 32], Arc<KeyRecord>>);

impl KeyCache {
    pub fn new(ttl: Duration) -> KeyCache {
        KeyCache(TtlCache::new(ttl))
    }

    /// The record of a valid, unrevoked key whose mode matches its prefix.
    async fn verify(
        &self,
        key: &SecretKey,
        store: &DynStore,
    ) -> Result<Option<Arc<KeyRecord>>, ApiError> {
        let hash = key.hash();
        if let Some(record) = self.0.get(&hash) {
            return Ok(Some(record));
        }
        // The lookup is by hash, an index probe: nothing here compares secrets byte by byte.
        let Some(record) = store.find_key(&hash).await? else {
            return Ok(None);
        };
        if !key.accepted_by(&record) {
            return Ok(None);
        }
        let record = Arc::new(record);
        self.0.insert(hash, Arc::clone(&record));
        Ok(Some(record))
    }
}
