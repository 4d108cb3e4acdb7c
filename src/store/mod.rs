//! Persistence: one `Store` trait, and `SqlStore`, which implements it over Postgres (production)
//! or SQLite (the embedded default) with the same SQL, written once (`db` says what differs).
//!
//! The status guard lives here as transactions, not in handlers: every change to a dispute's
//! evidence first updates the dispute row on condition that it awaits evidence (and a document's
//! row on condition that it is a draft), and every status change updates the dispute row on
//! condition of its source status. The row locks those updates take order them, so once a status
//! change has committed no document or page is added or removed, however requests interleave.
//! Every change appends to the dispute's history in the same transaction.

mod accounts;
mod changes_pg;
mod db;
mod dispute_lists;
mod disputes;
mod documents;
mod event_rows;
mod events;
mod events_lite;
mod evidence_links;
mod file_pages;
mod history;
mod packets;
mod pages;
mod postgres;
mod rows;
mod scans;
mod scope;
mod search;
mod sqlite;
mod ts;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};

use crate::domain::dispute::NewDispute;
use crate::domain::document::{DocumentTransitionError, NewDocument, NewPage, ReviewRefusal};
use crate::domain::{
    Action, Actor, Dispute, DisputeStatus, Document, DocumentAction, GuardError, HistoryEntry, Id,
    ListPage, ListQuery, Marks, Mode, Page, Scope, TransitionError,
};

pub use db::{Pool, PoolStats};
pub use events::{AttemptRecord, EventFilter, Events, Outcome};
pub use evidence_links::{NewEvidenceLink, Session, WebAccess};
pub use file_pages::FilePages;
pub use packets::{PacketJob, PacketJobs};
pub use scans::{Cursor, Scans, StoredPage};
pub use search::Search;

/// A failure of the store itself (as opposed to a refused change).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached: the service is unavailable, not broken.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// A uniqueness rule refused the write (a charge disputed twice, an id reused).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The write names a row that does not exist (a key for an unknown account).
    #[error("missing reference: {0}")]
    MissingReference(String),
    /// A stored value the domain does not know: the database was changed behind the store.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Other(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        match &e {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_) => StoreError::Unavailable(e),
            // Connection exceptions, a server shutting down or refusing connections, a missing
            // database: the database is unreachable, not the request wrong.
            sqlx::Error::Database(db)
                if db.code().is_some_and(|c| {
                    c.starts_with("08") || c.starts_with("57P") || c == "3D000"
                }) =>
            {
                StoreError::Unavailable(e)
            }
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.constraint().unwrap_or("unique").to_owned())
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::MissingReference(db.constraint().unwrap_or("foreign key").to_owned())
            }
            _ => StoreError::Other(e),
        }
    }
}

/// Why a change to a dispute or its documents did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("dispute not found")]
    DisputeNotFound,
    #[error("document not found")]
    DocumentNotFound,
    #[error(transparent)]
    Transition(TransitionError),
    #[error(transparent)]
    Guard(GuardError),
    #[error(transparent)]
    Document(DocumentTransitionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for Refusal {
    fn from(e: sqlx::Error) -> Refusal {
        Refusal::Store(e.into())
    }
}

/// What a valid key says about its caller.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRecord {
    pub key_id: Id,
    pub account: Id,
    pub mode: Mode,
    pub revoked: bool,
    /// Which dialect's key it is; each dialect accepts only its own.
    pub scheme: String,
    /// The account's public handle, if it has one.
    pub handle: Option<String>,
    /// The account's preferences, which dialects read and write by their own names.
    pub preferences: Map<String, Value>,
}

/// A key to store: its hash, never the secret.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub id: Id,
    pub account: Id,
    pub mode: Mode,
    /// Which dialect's key it is.
    pub scheme: &'static str,
    pub secret_hash: [u8; 32],
    pub hint: String,
    pub created_at: DateTime<Utc>,
}

/// The fields a status change writes besides the status.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub message: Option<String>,
    /// Replaces the metadata when set.
    pub metadata: Option<Map<String, Value>>,
    pub admin_message: Option<String>,
    /// The credit written when a dispute is won.
    pub credit_transaction: Option<Id>,
    /// Set when the dispute closes.
    pub closed_at: Option<DateTime<Utc>>,
    /// The part of the amount contested, when the merchant says.
    pub contested_amount: Option<i64>,
    /// Drafts go out of date instead of being submitted (the deadline passed).
    pub expire_drafts: bool,
}

/// Which disputes a list shows; an empty list of values means any.
#[derive(Debug, Clone, Default)]
pub struct DisputeFilter {
    pub statuses: Vec<DisputeStatus>,
    pub kinds: Vec<crate::domain::DisputeKind>,
    /// Disputes matching any of these (when there are some, instead of `statuses`): a status,
    /// and what the history must tell of it.
    pub marked: Vec<StatusMatch>,
    /// Only disputes of this charge.
    pub charge: Option<Id>,
}

/// A status, and what the history must tell besides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusMatch {
    pub status: DisputeStatus,
    /// Reopened at least once (true) or never (false); `None`: either.
    pub reopened: Option<bool>,
    /// Its last status change handed it to the bank (true) or not (false); `None`: either.
    pub with_bank: Option<bool>,
}

impl StatusMatch {
    pub fn any(status: DisputeStatus) -> StatusMatch {
        StatusMatch {
            status,
            reopened: None,
            with_bank: None,
        }
    }
}

impl DisputeFilter {
    pub fn statuses(statuses: &[DisputeStatus]) -> DisputeFilter {
        DisputeFilter {
            statuses: statuses.to_vec(),
            ..DisputeFilter::default()
        }
    }
}

/// Which documents a search shows; an empty list of values means any.
#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    pub statuses: Vec<crate::domain::DocumentStatus>,
    /// Kinds to show; when there are some, `include_unkinded` adds documents of no kind.
    pub kinds: Vec<crate::domain::DocumentKind>,
    pub include_unkinded: bool,
}

/// The first answer to an idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotentResponse {
    pub created_at: DateTime<Utc>,
    /// None while the first request is still in flight.
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// What the first request was, where the dialect compares requests.
    pub fingerprint: Option<String>,
}

/// Which disputes a deadline pass covers: those on the real clock, or the test-mode disputes of
/// one account whose test clock runs ahead.
#[derive(Debug, Clone, Copy)]
pub enum ClockScope<'a> {
    /// Every dispute but the test-mode disputes of these accounts.
    RealExcept(&'a [Id]),
    TestOf(&'a Id),
}

/// Fields changed without a status change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct DisputeUpdate {
    /// `Some(None)` clears the tag.
    pub tag: Option<Option<String>>,
}

/// Accounts and their API keys.
#[async_trait]
pub trait Accounts {
    /// Creates an account; false when its id exists already.
    async fn create_account(
        &self,
        id: &Id,
        name: &str,
        preferences: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    async fn insert_key(&self, key: &NewKey) -> Result<bool, StoreError>;
    /// Marks a key revoked; false when there is no such key.
    async fn revoke_key(&self, key_id: &Id, now: DateTime<Utc>) -> Result<bool, StoreError>;
    async fn find_key(&self, secret_hash: &[u8; 32]) -> Result<Option<KeyRecord>, StoreError>;
    /// Gives an account its public handle; false when there is no such account. A handle taken
    /// by another account is a `Conflict`.
    async fn set_handle(&self, account: &Id, handle: &str) -> Result<bool, StoreError>;
    /// An account's public handle, if it has one (and `None` when there is no such account).
    async fn handle(&self, account: &Id) -> Result<Option<String>, StoreError>;
    /// An account's preferences; `None` when there is no such account.
    async fn preferences(&self, account: &Id) -> Result<Option<Map<String, Value>>, StoreError>;
    /// How far an account's test-mode clock runs ahead of the real one, in microseconds;
    /// `None` when there is no such account.
    async fn test_clock(&self, account: &Id) -> Result<Option<i64>, StoreError>;
    /// Moves an account's test-mode clock forward by `micros`; its new offset, or `None` when
    /// there is no such account.
    async fn advance_test_clock(
        &self,
        account: &Id,
        micros: i64,
    ) -> Result<Option<i64>, StoreError>;
    /// The accounts whose test-mode clock runs ahead, with their offsets.
    async fn clocked_accounts(&self) -> Result<Vec<(Id, i64)>, StoreError>;
    /// Sets one preference of an account; false when there is no such account.
    async fn set_preference(
        &self,
        account: &Id,
        name: &str,
        value: Value,
    ) -> Result<bool, StoreError>;
    /// Keeps a bearer token (by its hash) for a key until `expires_at`.
    async fn insert_token(
        &self,
        token_hash: &[u8; 32],
        key: &Id,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The key a bearer token was issued for, and when the token expires.
    async fn find_token(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(KeyRecord, DateTime<Utc>)>, StoreError>;
    /// Claims an idempotency key for the scope: `None` when it was free (or its record older than
    /// `since`, then replaced), else the record of its first use.
    async fn claim_idempotency(
        &self,
        scope: &Scope,
        key: &str,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
        abandoned_before: DateTime<Utc>,
    ) -> Result<Option<IdempotentResponse>, StoreError>;
    /// Stores the answer to a claimed key.
    async fn finish_idempotency(
        &self,
        scope: &Scope,
        key: &str,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
        fingerprint: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Frees a claimed key whose request gave no answer worth keeping.
    async fn release_idempotency(&self, scope: &Scope, key: &str) -> Result<(), StoreError>;
    /// The record of a key used since `since`.
    async fn idempotency(
        &self,
        scope: &Scope,
        key: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<IdempotentResponse>, StoreError>;
}

/// Disputes, their status changes and their history.
#[async_trait]
pub trait Disputes {
    /// Inserts a dispute with its history's first entry; `Ok(None)` when its id exists already.
    async fn insert_dispute(
        &self,
        new: &NewDispute,
        debit: &Id,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Option<Dispute>, StoreError>;
    /// A dispute; `scope: None` is the operator's view.
    async fn dispute(&self, scope: Option<&Scope>, id: &Id) -> Result<Option<Dispute>, StoreError>;
    /// A page of the scope's disputes that pass `filter`.
    async fn list_disputes(
        &self,
        scope: &Scope,
        filter: &DisputeFilter,
        query: &ListQuery,
    ) -> Result<ListPage<Dispute>, StoreError>;
    /// What the history of each of `disputes` tells beyond its status (absent: nothing).
    async fn marks(&self, disputes: &[&Id]) -> Result<HashMap<Id, Marks>, StoreError>;
    /// Applies `action` if the dispute is in its source status, atomically with `change` and,
    /// when the dispute leaves "awaiting evidence", with submitting its draft documents.
    async fn transition(
        &self,
        scope: Option<&Scope>,
        id: &Id,
        action: Action,
        change: &Change,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Dispute, Refusal>;
    /// Changes fields that need no status change, in any status.
    async fn update_dispute(
        &self,
        scope: Option<&Scope>,
        id: &Id,
        update: &DisputeUpdate,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Dispute, Refusal>;
    /// The status of a dispute the scope can see, to refuse an upload before its bytes stream.
    async fn dispute_status(
        &self,
        scope: &Scope,
        id: &Id,
    ) -> Result<Option<DisputeStatus>, StoreError>;
    /// A dispute's history, oldest first.
    async fn history(&self, dispute: &Id) -> Result<Vec<HistoryEntry>, StoreError>;
    /// Disputes awaiting evidence whose deadline is more than `beyond` and at most `within`
    /// after `now`, and that have not had `reminder` yet.
    async fn due_for_reminder(
        &self,
        now: DateTime<Utc>,
        within: TimeDelta,
        beyond: TimeDelta,
        reminder: &str,
        limit: i64,
        on: &ClockScope<'_>,
    ) -> Result<Vec<Id>, StoreError>;
    /// Records that `reminder` went out for a dispute still awaiting evidence; false when it no
    /// longer does.
    async fn remind(
        &self,
        dispute: &Id,
        reminder: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Removes an account's test-mode disputes with their documents, pages, history, events,
    /// deliveries, kept counts, and its test-mode idempotency records; returns how many disputes
    /// went and the blob keys of the pages removed (the caller's to delete).
    async fn delete_test_data(&self, account: &Id) -> Result<(usize, Vec<String>), StoreError>;
    /// The deadlines in `(from, to]` of `account`'s test-mode disputes awaiting evidence.
    async fn test_deadlines_between(
        &self,
        account: &Id,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, StoreError>;
    /// Disputes awaiting evidence whose deadline has passed at `now`, the oldest deadline first.
    async fn past_deadline(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        on: &ClockScope<'_>,
    ) -> Result<Vec<Id>, StoreError>;
}

/// Documents and their pages.
#[async_trait]
pub trait Documents {
    /// The first `per_dispute` documents of each of `disputes`, oldest first, in one query.
    async fn first_documents(
        &self,
        disputes: &[&Id],
        per_dispute: i64,
    ) -> Result<HashMap<Id, Vec<Document>>, StoreError>;
    /// Adds a document (with its first page, whose blob is stored already), only while the
    /// dispute awaits evidence.
    async fn insert_document(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
        doc: &NewDocument,
        page: Option<&NewPage>,
        actor: &Actor,
    ) -> Result<Document, Refusal>;
    /// Adds a page to a draft document of a dispute that awaits evidence.
    async fn add_page(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
        document: &Id,
        page: &NewPage,
        actor: &Actor,
    ) -> Result<Page, Refusal>;
    /// Applies a document action if the document is in one of its sources (a refusal carries
    /// its reason).
    #[allow(clippy::too_many_arguments)]
    async fn document_transition(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
        document: &Id,
        action: DocumentAction,
        refusal: Option<&ReviewRefusal>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Document, Refusal>;
    /// Sets (or with `None` clears) a document's tag, in any status.
    async fn set_document_tag(
        &self,
        scope: &Scope,
        dispute: &Id,
        document: &Id,
        tag: Option<&str>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Document, Refusal>;
    /// A page of a dispute's documents; `None` when the scope cannot see the dispute.
    async fn list_documents(
        &self,
        scope: &Scope,
        dispute: &Id,
        query: &ListQuery,
    ) -> Result<Option<ListPage<Document>>, StoreError>;
    /// A document of a dispute; `scope: None` is for signed downloads, which carry no key.
    async fn document(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
        id: &Id,
    ) -> Result<Option<Document>, StoreError>;
    /// A page of the scope's documents (of one dispute, or all) that pass `filter`.
    async fn search_documents(
        &self,
        scope: &Scope,
        dispute: Option<&Id>,
        filter: &DocumentFilter,
        query: &ListQuery,
    ) -> Result<ListPage<Document>, StoreError>;
    /// A document the scope can see, by its id alone.
    async fn document_by_id(
        &self,
        scope: Option<&Scope>,
        id: &Id,
    ) -> Result<Option<Document>, StoreError>;
    /// Every page of a document, in order.
    async fn pages(&self, document: &Id) -> Result<Vec<Page>, StoreError>;
    /// Removes a draft document and its pages' rows (their blobs are the caller's to delete),
    /// only while the dispute awaits evidence.
    async fn delete_document(
        &self,
        scope: &Scope,
        dispute: &Id,
        id: &Id,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Document, Vec<Page>), Refusal>;
    /// Which of `keys` some page row names.
    async fn referenced_blob_keys(&self, keys: &[String]) -> Result<HashSet<String>, StoreError>;
}

/// The whole store. Callers bring the part they use into scope: `use crate::store::Disputes`.
#[async_trait]
pub trait Store:
    Accounts
    + Disputes
    + Documents
    + Events
    + FilePages
    + Search
    + WebAccess
    + Scans
    + PacketJobs
    + Send
    + Sync
    + 'static
{
    async fn migrate(&self) -> Result<(), StoreError>;
    async fn ping(&self) -> Result<(), StoreError>;
    /// The connection pool's state now.
    fn pool_stats(&self) -> PoolStats;
}

pub type DynStore = Arc<dyn Store>;

/// The one implementation of `Store`, over either backend.
pub struct SqlStore {
    pool: Pool,
}

/// Opens the store `database_url` names, by its scheme, with at most `max_connections`.
/// Opens the store at `database_url` with a pool of at most `max_connections`, where a request
/// waits at most `acquire_timeout` for a connection (then it fails as unavailable).
pub async fn connect(
    database_url: &str,
    max_connections: u32,
    acquire_timeout: std::time::Duration,
) -> anyhow::Result<DynStore> {
    let pool =
        if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
            postgres::connect(database_url, max_connections, acquire_timeout).await?
        } else if database_url.starts_with("sqlite:") {
            sqlite::connect(database_url, max_connections, acquire_timeout).await?
        } else {
            anyhow::bail!("DATABASE_URL must start with postgres:// or sqlite:")
        };
    Ok(Arc::new(SqlStore { pool }))
}

#[async_trait]
impl Store for SqlStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        match self.pool.backend() {
            db::Backend::Pg(p) => postgres::MIGRATOR.run(p).await?,
            db::Backend::Lite { pool: p, .. } => sqlite::MIGRATOR.run(p).await?,
        }
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.pool.execute(&db::Sql::new("select 1")).await?;
        Ok(())
    }

    fn pool_stats(&self) -> PoolStats {
        self.pool.stats()
    }
}
