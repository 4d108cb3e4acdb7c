//! Rows as both backends return them, and their conversion into domain values. Only rows the
//! store itself wrote are read, so a value that does not parse is a corrupted database.

use serde_json::{Map, Value};
use sqlx::types::Json;

use super::ts::Ts;
use crate::domain::dispute::ReasonCode;
use crate::domain::{Dispute, DisputeStatus, Document, DocumentKind, Id, Mode};

#[derive(Debug, sqlx::FromRow)]
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
    pub reason_code: String,
    pub message: Option<String>,
    pub admin_message: Option<String>,
    pub metadata: Json<Map<String, Value>>,
    pub debit_transaction_id: String,
    pub credit_transaction_id: Option<String>,
    pub created_at: Ts,
    pub closed_at: Option<Ts>,
    pub document_count: i32,
}

impl DisputeRow {
    pub fn into_domain(self) -> (Dispute, i64) {
        let dispute = Dispute {
            id: Id::from_trusted(self.id),
            account: Id::from_trusted(self.account_id),
            mode: Mode::from_live(self.livemode),
            charge: Id::from_trusted(self.charge_id),
            amount: self.amount,
            currency: self.currency,
            funding_amount: self.funding_amount,
            funding_currency: self.funding_currency,
            status: self.status.parse().unwrap_or(DisputeStatus::Open),
            reason: ReasonCode::parse(&self.reason_code).unwrap_or(ReasonCode::DEFAULT),
            message: self.message,
            admin_message: self.admin_message,
            metadata: self.metadata.0,
            debit_transaction: Id::from_trusted(self.debit_transaction_id),
            credit_transaction: self.credit_transaction_id.map(Id::from_trusted),
            created_at: self.created_at.0,
            closed_at: self.closed_at.map(|t| t.0),
        };
        (dispute, i64::from(self.document_count))
    }
}

/// A dispute on a list page, with the list's total.
#[derive(Debug, sqlx::FromRow)]
pub struct PageRow {
    #[sqlx(flatten)]
    pub dispute: DisputeRow,
    pub total: i64,
}

#[derive(Debug, sqlx::FromRow)]
pub struct DocumentRow {
    pub id: String,
    pub dispute_id: String,
    pub filename: String,
    pub kind: Option<String>,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub blob_key: String,
    pub created_at: Ts,
    pub submitted_at: Option<Ts>,
}

impl From<DocumentRow> for Document {
    fn from(r: DocumentRow) -> Document {
        Document {
            id: Id::from_trusted(r.id),
            dispute: Id::from_trusted(r.dispute_id),
            filename: r.filename,
            kind: r.kind.as_deref().and_then(DocumentKind::parse),
            content_type: r.content_type,
            size: r.size,
            sha256: r.sha256,
            blob_key: r.blob_key,
            created_at: r.created_at.0,
            submitted_at: r.submitted_at.map(|t| t.0),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct KeyRow {
    pub id: String,
    pub account_id: String,
    pub livemode: bool,
    pub revoked: bool,
    pub default_version: String,
}
