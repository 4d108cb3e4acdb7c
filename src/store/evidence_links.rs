//! Evidence links and dashboard sessions: rows that let a browser act for a key without holding
//! it. Both are found by the SHA-256 of their secret; neither secret is stored.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::db::{Arg, Sql};
use super::history::{Entry, append};
use super::rows::KeyRow;
use super::scope::push_scope;
use super::ts::Ts;
use super::{KeyRecord, SqlStore, StoreError};
use crate::domain::{Actor, EvidenceLink, HistoryKind, Id, Mode, Scope};

/// A link to store: the hash of its secret, never the secret.
#[derive(Debug, Clone)]
pub struct NewEvidenceLink {
    pub id: Id,
    pub dispute: Id,
    pub key: Id,
    pub token_hash: [u8; 32],
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A signed-in dashboard session.
#[derive(Debug, Clone)]
pub struct Session {
    pub key: KeyRecord,
    pub csrf_token: String,
    pub last_seen_at: DateTime<Utc>,
}

/// Evidence links and dashboard sessions.
#[async_trait]
pub trait WebAccess {
    /// Stores a link to a dispute the scope can see, recorded in its history; `None` when the
    /// scope cannot see the dispute.
    async fn insert_evidence_link(
        &self,
        scope: &Scope,
        link: &NewEvidenceLink,
        actor: &Actor,
    ) -> Result<Option<EvidenceLink>, StoreError>;
    /// Revokes a link of a dispute the scope can see (recorded in its history the first time);
    /// `None` when there is no such link.
    async fn revoke_evidence_link(
        &self,
        scope: &Scope,
        dispute: &Id,
        link: &Id,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Option<EvidenceLink>, StoreError>;
    /// The link whose secret hashes to `token_hash`, and whether the key that made it is revoked.
    async fn find_evidence_link(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(EvidenceLink, bool)>, StoreError>;
    /// Opens a session for a key, and removes every session unused since `idle_since`.
    async fn insert_session(
        &self,
        token_hash: &[u8; 32],
        key: &Id,
        csrf_token: &str,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The session whose secret hashes to `token_hash`, if it was seen since `idle_since`; its
    /// last use becomes `now`. An idle session is removed.
    async fn touch_session(
        &self,
        token_hash: &[u8; 32],
        idle_since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError>;
    /// Ends a session.
    async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<(), StoreError>;
}

const LINK_COLUMNS: &str = "l.id, l.dispute_id, d.account_id, d.livemode, l.key_id, l.created_at, \
     l.expires_at, l.revoked_at";

#[derive(Debug, sqlx::FromRow)]
struct LinkRow {
    id: String,
    dispute_id: String,
    account_id: String,
    livemode: bool,
    key_id: String,
    created_at: Ts,
    expires_at: Ts,
    revoked_at: Option<Ts>,
}

impl From<LinkRow> for EvidenceLink {
    fn from(r: LinkRow) -> EvidenceLink {
        EvidenceLink {
            id: Id::from_trusted(r.id),
            dispute: Id::from_trusted(r.dispute_id),
            account: Id::from_trusted(r.account_id),
            mode: Mode::from_live(r.livemode),
            key: Id::from_trusted(r.key_id),
            created_at: r.created_at.0,
            expires_at: r.expires_at.0,
            revoked_at: r.revoked_at.map(|t| t.0),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
struct FoundLinkRow {
    #[sqlx(flatten)]
    link: LinkRow,
    key_revoked: bool,
}

#[derive(Debug, sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    key: KeyRow,
    csrf_token: String,
    last_seen_at: Ts,
}

/// `select <link columns> from evidence_links l join disputes d … where `
fn select_links() -> Sql {
    let mut sql = Sql::new("select ");
    sql.push(LINK_COLUMNS)
        .push(" from evidence_links l join disputes d on d.id = l.dispute_id where ");
    sql
}

#[async_trait]
impl WebAccess for SqlStore {
    async fn insert_evidence_link(
        &self,
        scope: &Scope,
        link: &NewEvidenceLink,
        actor: &Actor,
    ) -> Result<Option<EvidenceLink>, StoreError> {
        let mut tx = self.pool.begin_write().await?;
        let mut sql = Sql::new(
            "insert into evidence_links (id, dispute_id, key_id, token_hash, created_at, expires_at) \
             select ",
        );
        sql.bind(&link.id)
            .push(", id, ")
            .bind(&link.key)
            .push(", ")
            .bind(Arg::Bytes(link.token_hash.to_vec()))
            .push(", ")
            .bind(link.created_at)
            .push(", ")
            .bind(link.expires_at)
            .push(" from disputes where id = ")
            .bind(&link.dispute);
        push_scope(&mut sql, Some(scope), "");
        if tx.execute(&sql).await? == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        append(
            &mut tx,
            Entry {
                dispute: &link.dispute,
                document: None,
                kind: HistoryKind::EvidenceLinkCreated,
                actor,
                detail: json!({"link": link.id.as_str(), "expires_at": link.expires_at}),
                at: link.created_at,
            },
        )
        .await?;
        let mut read = select_links();
        read.push("l.id = ").bind(&link.id);
        let row: LinkRow = tx
            .optional(&read)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("link {} vanished", link.id)))?;
        tx.commit().await?;
        Ok(Some(row.into()))
    }

    async fn revoke_evidence_link(
        &self,
        scope: &Scope,
        dispute: &Id,
        link: &Id,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Option<EvidenceLink>, StoreError> {
        let mut tx = self.pool.begin_write().await?;
        let mut sql = Sql::new("update evidence_links set revoked_at = ");
        sql.bind(now)
            .push(" where id = ")
            .bind(link)
            .push(" and dispute_id = ")
            .bind(dispute)
            .push(" and revoked_at is null and dispute_id in (select id from disputes where id = ")
            .bind(dispute);
        push_scope(&mut sql, Some(scope), "");
        sql.push(")");
        if tx.execute(&sql).await? == 1 {
            append(
                &mut tx,
                Entry {
                    dispute,
                    document: None,
                    kind: HistoryKind::EvidenceLinkRevoked,
                    actor,
                    detail: json!({"link": link.as_str()}),
                    at: now,
                },
            )
            .await?;
        }
        let mut read = select_links();
        read.push("l.id = ")
            .bind(link)
            .push(" and l.dispute_id = ")
            .bind(dispute);
        push_scope(&mut read, Some(scope), "d.");
        let row: Option<LinkRow> = tx.optional(&read).await?;
        tx.commit().await?;
        Ok(row.map(EvidenceLink::from))
    }

    async fn find_evidence_link(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(EvidenceLink, bool)>, StoreError> {
        let mut sql = Sql::new("select ");
        sql.push(LINK_COLUMNS)
            .push(
                ", k.revoked_at is not null as key_revoked from evidence_links l \
                 join disputes d on d.id = l.dispute_id join api_keys k on k.id = l.key_id \
                 where l.token_hash = ",
            )
            .bind(Arg::Bytes(token_hash.to_vec()));
        let row: Option<FoundLinkRow> = self.pool.optional(&sql).await?;
        Ok(row.map(|r| (r.link.into(), r.key_revoked)))
    }

    async fn insert_session(
        &self,
        token_hash: &[u8; 32],
        key: &Id,
        csrf_token: &str,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut prune = Sql::new("delete from web_sessions where last_seen_at <= ");
        prune.bind(idle_since);
        self.pool.execute(&prune).await?;
        let mut sql = Sql::new(
            "insert into web_sessions (token_hash, key_id, csrf_token, created_at, last_seen_at) values (",
        );
        sql.bind(Arg::Bytes(token_hash.to_vec()))
            .push(", ")
            .bind(key)
            .push(", ")
            .bind(csrf_token)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        self.pool.execute(&sql).await?;
        Ok(())
    }

    async fn touch_session(
        &self,
        token_hash: &[u8; 32],
        idle_since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        let mut touch = Sql::new("update web_sessions set last_seen_at = ");
        touch
            .bind(now)
            .push(" where token_hash = ")
            .bind(Arg::Bytes(token_hash.to_vec()))
            .push(" and last_seen_at > ")
            .bind(idle_since);
        if self.pool.execute(&touch).await? == 0 {
            self.delete_session(token_hash).await?;
            return Ok(None);
        }
        let mut sql = Sql::new("select ");
        sql.push(
            "k.id, k.account_id, k.livemode, k.revoked_at is not null as revoked, k.scheme, \
             a.handle, a.preferences, s.csrf_token, s.last_seen_at from web_sessions s \
             join api_keys k on k.id = s.key_id join accounts a on a.id = k.account_id \
             where s.token_hash = ",
        )
        .bind(Arg::Bytes(token_hash.to_vec()));
        let row: Option<SessionRow> = self.pool.optional(&sql).await?;
        Ok(row.map(|r| Session {
            key: r.key.into(),
            csrf_token: r.csrf_token,
            last_seen_at: r.last_seen_at.0,
        }))
    }

    async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<(), StoreError> {
        let mut sql = Sql::new("delete from web_sessions where token_hash = ");
        sql.bind(Arg::Bytes(token_hash.to_vec()));
        self.pool.execute(&sql).await?;
        Ok(())
    }
}
