//! Idempotency keys: the first use of a key by an account (in one mode) is recorded with its
//! answer, for a day; what a dialect does with a reuse (replay it, refuse it) is the dialect's.

use chrono::TimeDelta;

use super::Core;
use crate::domain::Scope;
use crate::store::{IdempotentResponse, StoreError};

/// How long a key's first answer is kept.
pub const KEEP: TimeDelta = TimeDelta::hours(24);
/// How long a claimed key may wait for its answer before the claim counts as abandoned (its
/// process died) and a retry takes it over.
pub const IN_FLIGHT: TimeDelta = TimeDelta::hours(1);

impl Core {
    /// Claims `key` for the scope: `None` when this is its first use within `KEEP`, else the
    /// record of that first use (whose answer may still be in flight).
    pub async fn claim_idempotency(
        &self,
        scope: &Scope,
        key: &str,
    ) -> Result<Option<IdempotentResponse>, StoreError> {
        let now = self.clock.now();
        self.store
            .claim_idempotency(scope, key, now, now - KEEP, now - IN_FLIGHT)
            .await
    }

    /// Records the answer given to a claimed key.
    pub async fn finish_idempotency(
        &self,
        scope: &Scope,
        key: &str,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
        fingerprint: Option<&str>,
    ) -> Result<(), StoreError> {
        self.store
            .finish_idempotency(scope, key, status, content_type, body, fingerprint)
            .await
    }

    /// Frees a claimed key whose request gave no answer worth keeping (a server error).
    pub async fn release_idempotency(&self, scope: &Scope, key: &str) -> Result<(), StoreError> {
        self.store.release_idempotency(scope, key).await
    }

    /// The first answer to `key`, if it was used within `KEEP`.
    pub async fn idempotent_response(
        &self,
        scope: &Scope,
        key: &str,
    ) -> Result<Option<IdempotentResponse>, StoreError> {
        self.store
            .idempotency(scope, key, self.clock.now() - KEEP)
            .await
    }
}
