//! Persistence: one `Store` trait, implemented for Postgres (production) and SQLite (the
//! embedded default). Both implementations come from the same SQL in `sql.rs`; what differs
//! between the backends is said once, in each backend's file.
//!
//! The status guard lives here, not in handlers: every change to a dispute's documents first
//! updates the dispute row on condition that it is `open`, and every status change updates it
//! on condition of its source status. The row lock that update takes orders the two, so once
//! a status change has committed no document is added or removed, however requests interleave.

mod postgres;
mod rows;
mod sql;
mod sqlite;
mod ts;

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::domain::dispute::NewDispute;
use crate::domain::document::NewDocument;
use crate::domain::{
    Action, Dispute, DisputeStatus, Document, Id, ListQuery, Mode, Page, Scope, TransitionError,
};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

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
    #[error("document already submitted")]
    DocumentAlreadySubmitted,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for Refusal {
    fn from(e: sqlx::Error) -> Refusal {
        Refusal::Store(e.into())
    }
}

/// What a valid key says about its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub key_id: Id,
    pub account: Id,
    pub mode: Mode,
    pub revoked: bool,
    pub default_version: String,
}

/// A key to store: its hash, never the secret.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub id: Id,
    pub account: Id,
    pub mode: Mode,
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
}

/// Which disputes a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    All,
    Only(DisputeStatus),
    Closed,
}

/// A dispute with the first page of its documents, as merchant responses embed them.
#[derive(Debug, Clone)]
pub struct DisputeView {
    pub dispute: Dispute,
    pub documents: Page<Document>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn migrate(&self) -> Result<(), StoreError>;
    async fn ping(&self) -> Result<(), StoreError>;

    async fn create_account(
        &self,
        id: &Id,
        name: &str,
        default_version: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    async fn insert_key(&self, key: &NewKey) -> Result<bool, StoreError>;
    /// Marks a key revoked; false when there is no such key.
    async fn revoke_key(&self, key_id: &Id, now: DateTime<Utc>) -> Result<bool, StoreError>;
    async fn find_key(&self, secret_hash: &[u8; 32]) -> Result<Option<KeyRecord>, StoreError>;

    /// Inserts a dispute; `Ok(None)` when its id exists already (seeding is idempotent).
    async fn insert_dispute(
        &self,
        new: &NewDispute,
        debit: &Id,
        now: DateTime<Utc>,
    ) -> Result<Option<Dispute>, StoreError>;
    /// The dispute with the first page of its documents. `scope: None` is the operator's view.
    async fn dispute(
        &self,
        scope: Option<&Scope>,
        id: &Id,
    ) -> Result<Option<DisputeView>, StoreError>;
    async fn list_disputes(
        &self,
        scope: &Scope,
        filter: StatusFilter,
        query: &ListQuery,
    ) -> Result<Page<DisputeView>, StoreError>;
    /// Applies `action` if the dispute is in its source status, atomically with `change` and,
    /// when the dispute leaves `open`, with marking its documents submitted.
    async fn transition(
        &self,
        scope: Option<&Scope>,
        id: &Id,
        action: Action,
        change: &Change,
        now: DateTime<Utc>,
    ) -> Result<Dispute, Refusal>;

    /// The status of a dispute the scope can see, to refuse an upload before its bytes stream.
    async fn dispute_status(
        &self,
        scope: &Scope,
        id: &Id,
    ) -> Result<Option<DisputeStatus>, StoreError>;
    /// Adds a document whose blob is already stored, only while the dispute is `open`.
    async fn insert_document(
        &self,
        scope: &Scope,
        dispute: &Id,
        doc: &NewDocument,
    ) -> Result<Document, Refusal>;
    /// Seeding: adds a document whatever the dispute's status; `Ok(false)` if it exists.
    async fn seed_document(
        &self,
        dispute: &Id,
        doc: &NewDocument,
        submitted: bool,
    ) -> Result<bool, StoreError>;
    async fn list_documents(
        &self,
        scope: &Scope,
        dispute: &Id,
        query: &ListQuery,
    ) -> Result<Option<Page<Document>>, StoreError>;
    /// A document of a dispute; `scope: None` is for signed downloads, which carry no key.
    async fn document(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
        id: &Id,
    ) -> Result<Option<Document>, StoreError>;
    /// Removes a document's row (its blob is the caller's to delete after), only while the
    /// dispute is `open` and the document not yet submitted.
    async fn delete_document(
        &self,
        scope: &Scope,
        dispute: &Id,
        id: &Id,
    ) -> Result<Document, Refusal>;
    /// Which of `keys` some document row names.
    async fn referenced_blob_keys(&self, keys: &[String]) -> Result<HashSet<String>, StoreError>;
}

pub type DynStore = Arc<dyn Store>;

/// Opens the store `database_url` names, by its scheme, with at most `max_connections`.
pub async fn connect(database_url: &str, max_connections: u32) -> anyhow::Result<DynStore> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Ok(Arc::new(
            PgStore::connect(database_url, max_connections).await?,
        ))
    } else if database_url.starts_with("sqlite:") {
        Ok(Arc::new(
            SqliteStore::connect(database_url, max_connections).await?,
        ))
    } else {
        anyhow::bail!("DATABASE_URL must start with postgres:// or sqlite:")
    }
}

/// Why a conditional status update changed nothing, from the status read after it.
pub(crate) fn diagnose(status: Option<DisputeStatus>, action: Action) -> Refusal {
    match status {
        None => Refusal::DisputeNotFound,
        Some(_) => Refusal::Transition(action.refusal()),
    }
}
