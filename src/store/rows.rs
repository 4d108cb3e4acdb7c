//! Rows as both backends return them, the columns each query selects, and their conversion into
//! domain values. Only rows the store itself wrote are read, so a value that does not parse is a
//! corrupted database: the conversion fails loudly (`StoreError::Corrupt`), never guesses.

use std::str::FromStr;

use serde_json::{Map, Value};
use sqlx::types::Json;

use super::StoreError;
use super::ts::Ts;
use crate::domain::document::{PageScan, Quarantine, ReviewRefusal};
use crate::domain::{Actor, Dispute, Document, HistoryEntry, Id, Mode, Page};

pub const DISPUTE_COLUMNS: &str = "id, account_id, livemode, charge_id, amount, currency, \
     funding_amount, funding_currency, status, reason, message, admin_message, metadata, tag, \
     debit_transaction_id, credit_transaction_id, created_at, closed_at, document_count, \
     dispute_kind, evidence_due_at, contested_amount";

/// A document with its first page, from `documents d left join pages p` on the first position.
pub const DOCUMENT_COLUMNS: &str = "d.id, d.dispute_id, d.account_id, d.livemode, d.kind, d.tag, d.status, \
     d.refused_reason, d.refused_message, d.processed_at, d.created_at, d.submitted_at, \
     d.page_count, p.position, p.filename, p.content_type, p.size, p.sha256, p.blob_key, \
     p.created_at as page_created_at, p.file_pages, p.scanned_at, p.scan_engine, \
     p.quarantined_at, p.quarantine_signature";

pub const DOCUMENT_FROM: &str =
    "documents d left join pages p on p.document_id = d.id and p.position = 1";

pub const PAGE_COLUMNS: &str = "document_id, position, filename, content_type, size, sha256, \
     blob_key, created_at, file_pages, scanned_at, scan_engine, quarantined_at, quarantine_signature";

fn parse<T: FromStr<Err = String>>(column: &str, value: &str) -> Result<T, StoreError> {
    value
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

fn parse_opt<T: FromStr<Err = String>>(
    column: &str,
    value: Option<&str>,
) -> Result<Option<T>, StoreError> {
    value.map(|v| parse(column, v)).transpose()
}

#[derive(Debug, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct DisputeRow {
    pub id: String,
    pub account_id: String,
    pub livemode: bool,
    pub charge_id: String,
    pub amount: i64,
    pub currency: String,
    pub funding_amount: i64,
    pub funding_currency: String,
    pub status: String,
    pub reason: String,
    pub message: Option<String>,
    pub admin_message: Option<String>,
    pub metadata: Json<Map<String, Value>>,
    pub tag: Option<String>,
    pub debit_transaction_id: String,
    pub credit_transaction_id: Option<String>,
    pub created_at: Ts,
    pub closed_at: Option<Ts>,
    pub document_count: i32,
    pub dispute_kind: String,
    pub evidence_due_at: Option<Ts>,
    pub contested_amount: Option<i64>,
}

impl TryFrom<DisputeRow> for Dispute {
    type Error = StoreError;

    fn try_from(r: DisputeRow) -> Result<Dispute, StoreError> {
        Ok(Dispute {
            status: parse("disputes.status", &r.status)?,
            reason: parse("disputes.reason", &r.reason)?,
            kind: parse("disputes.dispute_kind", &r.dispute_kind)?,
            evidence_due_at: r.evidence_due_at.map(|t| t.0),
            contested_amount: r.contested_amount,
            id: Id::from_trusted(r.id),
            account: Id::from_trusted(r.account_id),
            mode: Mode::from_live(r.livemode),
            charge: Id::from_trusted(r.charge_id),
            amount: r.amount,
            currency: r.currency,
            funding_amount: r.funding_amount,
            funding_currency: r.funding_currency,
            message: r.message,
            admin_message: r.admin_message,
            metadata: r.metadata.0,
            tag: r.tag,
            debit_transaction: Id::from_trusted(r.debit_transaction_id),
            credit_transaction: r.credit_transaction_id.map(Id::from_trusted),
            created_at: r.created_at.0,
            closed_at: r.closed_at.map(|t| t.0),
            document_count: i64::from(r.document_count),
        })
    }
}

/// A dispute on a list page, with the list's total.
#[derive(Debug, sqlx::FromRow)]
pub struct PageRow {
    #[sqlx(flatten)]
    pub dispute: DisputeRow,
    pub total: i64,
}

/// A document on a list page, with the list's total.
#[derive(Debug, sqlx::FromRow)]
pub struct DocumentPageRow {
    #[sqlx(flatten)]
    pub document: DocumentRow,
    pub total: i64,
}

#[derive(Debug, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct DocumentRow {
    pub id: String,
    pub dispute_id: String,
    /// Absent from the snapshots of events recorded before documents named their account.
    #[serde(default)]
    pub account_id: String,
    pub livemode: bool,
    pub kind: Option<String>,
    pub tag: Option<String>,
    pub status: String,
    pub refused_reason: Option<String>,
    pub refused_message: Option<String>,
    pub processed_at: Option<Ts>,
    pub created_at: Ts,
    pub submitted_at: Option<Ts>,
    pub page_count: i32,
    pub position: Option<i32>,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub size: Option<i64>,
    pub sha256: Option<String>,
    pub blob_key: Option<String>,
    pub page_created_at: Option<Ts>,
    /// Absent from the snapshots of events recorded before files' pages were counted.
    #[serde(default)]
    pub file_pages: Option<i32>,
    /// Absent from the snapshots of events recorded before pages were scanned.
    #[serde(default)]
    pub scanned_at: Option<Ts>,
    #[serde(default)]
    pub scan_engine: Option<String>,
    #[serde(default)]
    pub quarantined_at: Option<Ts>,
    #[serde(default)]
    pub quarantine_signature: Option<String>,
}

impl TryFrom<DocumentRow> for Document {
    type Error = StoreError;

    fn try_from(r: DocumentRow) -> Result<Document, StoreError> {
        let id = Id::from_trusted(r.id);
        let first_page = match (
            r.position,
            r.filename,
            r.content_type,
            r.size,
            r.sha256,
            r.blob_key,
            r.page_created_at,
        ) {
            (
                Some(position),
                Some(filename),
                Some(content_type),
                Some(size),
                Some(sha256),
                Some(blob_key),
                Some(at),
            ) => Some(Page {
                document: id.clone(),
                position: i64::from(position),
                filename,
                content_type,
                size,
                sha256,
                blob_key,
                created_at: at.0,
                file_pages: r.file_pages.map(i64::from),
                scan: page_scan(r.scanned_at, r.scan_engine),
                quarantine: quarantine(r.quarantined_at, r.quarantine_signature),
            }),
            (None, None, None, None, None, None, None) => None,
            _ => return Err(StoreError::Corrupt(format!("pages of {id}: a partial row"))),
        };
        let refusal = match r.refused_reason {
            Some(reason) => Some(ReviewRefusal {
                reason: parse("documents.refused_reason", &reason)?,
                message: r.refused_message,
            }),
            None => None,
        };
        Ok(Document {
            dispute: Id::from_trusted(r.dispute_id),
            account: Id::from_trusted(r.account_id),
            mode: Mode::from_live(r.livemode),
            kind: parse_opt("documents.kind", r.kind.as_deref())?,
            tag: r.tag,
            status: parse("documents.status", &r.status)?,
            refusal,
            processed_at: r.processed_at.map(|t| t.0),
            created_at: r.created_at.0,
            submitted_at: r.submitted_at.map(|t| t.0),
            page_count: i64::from(r.page_count),
            first_page,
            id,
        })
    }
}

#[derive(Debug, sqlx::FromRow, serde::Deserialize)]
pub struct PageFileRow {
    pub document_id: String,
    pub position: i32,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub blob_key: String,
    pub created_at: Ts,
    pub file_pages: Option<i32>,
    pub scanned_at: Option<Ts>,
    pub scan_engine: Option<String>,
    pub quarantined_at: Option<Ts>,
    pub quarantine_signature: Option<String>,
}

fn page_scan(at: Option<Ts>, engine: Option<String>) -> Option<PageScan> {
    Some(PageScan {
        at: at?.0,
        engine: engine?,
    })
}

fn quarantine(at: Option<Ts>, signature: Option<String>) -> Option<Quarantine> {
    Some(Quarantine {
        at: at?.0,
        signature: signature?,
    })
}

impl From<PageFileRow> for Page {
    fn from(r: PageFileRow) -> Page {
        Page {
            document: Id::from_trusted(r.document_id),
            position: i64::from(r.position),
            filename: r.filename,
            content_type: r.content_type,
            size: r.size,
            sha256: r.sha256,
            blob_key: r.blob_key,
            created_at: r.created_at.0,
            file_pages: r.file_pages.map(i64::from),
            scan: page_scan(r.scanned_at, r.scan_engine),
            quarantine: quarantine(r.quarantined_at, r.quarantine_signature),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct KeyRow {
    pub id: String,
    pub account_id: String,
    pub livemode: bool,
    pub revoked: bool,
    pub scheme: String,
    pub handle: Option<String>,
    pub preferences: Json<Map<String, Value>>,
}

impl From<KeyRow> for super::KeyRecord {
    fn from(r: KeyRow) -> super::KeyRecord {
        super::KeyRecord {
            key_id: Id::from_trusted(r.id),
            account: Id::from_trusted(r.account_id),
            mode: Mode::from_live(r.livemode),
            revoked: r.revoked,
            scheme: r.scheme,
            handle: r.handle,
            preferences: r.preferences.0,
        }
    }
}

/// A bearer token's key, and when the token expires.
#[derive(Debug, sqlx::FromRow)]
pub struct TokenRow {
    #[sqlx(flatten)]
    pub key: KeyRow,
    pub expires_at: Ts,
}

#[derive(Debug, sqlx::FromRow)]
pub struct HistoryRow {
    pub seq: i64,
    pub dispute_id: String,
    pub document_id: Option<String>,
    pub kind: String,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub detail: Json<Value>,
    pub created_at: Ts,
}

impl TryFrom<HistoryRow> for HistoryEntry {
    type Error = StoreError;

    fn try_from(r: HistoryRow) -> Result<HistoryEntry, StoreError> {
        let actor = Actor::from_parts(&r.actor_kind, r.actor_id).ok_or_else(|| {
            StoreError::Corrupt(format!("history {}: unknown actor {}", r.seq, r.actor_kind))
        })?;
        Ok(HistoryEntry {
            kind: parse("history.kind", &r.kind)?,
            seq: r.seq,
            dispute: Id::from_trusted(r.dispute_id),
            document: r.document_id.map(Id::from_trusted),
            actor,
            detail: r.detail.0,
            at: r.created_at.0,
        })
    }
}
