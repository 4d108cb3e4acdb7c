//! Evidence links and dashboard sessions: how a browser acts for a key without holding it. A
//! link opens one dispute for a limited time; a session opens the key's account and mode until
//! it is idle too long or signed out. Both are random secrets of which only the SHA-256 is kept,
//! and both act as the key they came from, so what a browser does is recorded as that key's
//! doing and passes through the same use cases as the API.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeDelta;
use rand::Rng;

use super::Core;
use super::accounts::secret_hash;
use crate::domain::evidence_link::LinkClosed;
use crate::domain::{Actor, EvidenceLink, Id, IdKind, Scope};
use crate::store::{KeyRecord, NewEvidenceLink, Session, StoreError};

/// The page an evidence link's secret opens (the web edge serves it; the Omise edge hands it
/// out when a link is made).
pub fn evidence_url(base_url: &str, token: &str) -> String {
    format!("{}/web/evidence/{token}", base_url.trim_end_matches('/'))
}

/// What an evidence link's holder may do: the dispute, and who they act as.
#[derive(Debug, Clone)]
pub struct LinkAccess {
    pub link: EvidenceLink,
    pub scope: Scope,
    pub actor: Actor,
}

/// A fresh random secret: 32 bytes, base64url.
fn secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 32]>())
}

impl Core {
    /// Makes a link to a dispute the scope can see, living `lifetime`, for `key`; recorded in the
    /// dispute's history. Returns the link and its secret (shown once), or `None` when the scope
    /// cannot see the dispute.
    pub async fn create_evidence_link(
        &self,
        scope: &Scope,
        dispute: &Id,
        lifetime: TimeDelta,
        key: &Id,
    ) -> Result<Option<(EvidenceLink, String)>, StoreError> {
        let now = self.now_for(scope).await?;
        let token = secret();
        let new = NewEvidenceLink {
            id: Id::generate(IdKind::EvidenceLink, scope.mode, now.timestamp()),
            dispute: dispute.clone(),
            key: key.clone(),
            token_hash: secret_hash(&token),
            created_at: now,
            expires_at: now + lifetime,
        };
        let actor = Actor::Key(key.clone());
        let link = self.store.insert_evidence_link(scope, &new, &actor).await?;
        Ok(link.map(|l| (l, token)))
    }

    /// Revokes a link of a dispute the scope can see; `None` when there is no such link.
    pub async fn revoke_evidence_link(
        &self,
        scope: &Scope,
        dispute: &Id,
        link: &Id,
        actor: &Actor,
    ) -> Result<Option<EvidenceLink>, StoreError> {
        let now = self.now_for(scope).await?;
        self.store
            .revoke_evidence_link(scope, dispute, link, actor, now)
            .await
    }

    /// What the holder of a link's secret may do: `None` for a secret no link has, the reason
    /// for a link that no longer opens its dispute.
    pub async fn open_evidence_link(
        &self,
        token: &str,
    ) -> Result<Option<Result<LinkAccess, LinkClosed>>, StoreError> {
        let Some((link, key_revoked)) = self.store.find_evidence_link(&secret_hash(token)).await?
        else {
            return Ok(None);
        };
        // A test-mode link expires on its account's test clock.
        let now = self.now_in(&link.account, link.mode).await?;
        Ok(Some(link.check(key_revoked, now).map(|()| LinkAccess {
            scope: Scope {
                account: link.account.clone(),
                mode: link.mode,
            },
            actor: Actor::Key(link.key.clone()),
            link,
        })))
    }

    /// Opens a dashboard session for a verified key: its secret and its CSRF token. Sessions
    /// idle for longer than `idle` go at the same time.
    pub async fn open_session(
        &self,
        key: &KeyRecord,
        idle: TimeDelta,
    ) -> Result<(String, String), StoreError> {
        let token = secret();
        let csrf = secret();
        let now = self.clock.now();
        self.store
            .insert_session(&secret_hash(&token), &key.key_id, &csrf, now, now - idle)
            .await?;
        Ok((token, csrf))
    }

    /// The session of `token`, if it was used within `idle` and its key is not revoked; using it
    /// keeps it alive.
    pub async fn session(
        &self,
        token: &str,
        idle: TimeDelta,
    ) -> Result<Option<Session>, StoreError> {
        let now = self.clock.now();
        let session = self
            .store
            .touch_session(&secret_hash(token), now - idle, now)
            .await?;
        Ok(session.filter(|s| !s.key.revoked))
    }

    /// Ends the session of `token`.
    pub async fn end_session(&self, token: &str) -> Result<(), StoreError> {
        self.store.delete_session(&secret_hash(token)).await
    }
}
