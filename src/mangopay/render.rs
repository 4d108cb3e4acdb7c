//! The Mangopay dialect's JSON: PascalCase objects whose every field is present (null when
//! unset), dates as Unix seconds, money as `{Currency, Amount}` (MANGOPAY.md §5).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::vocab;
use crate::domain::dispute::TransactionKind;
use crate::domain::{Dispute, Document, Marks};

fn seconds(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Money<'a> {
    pub currency: &'a str,
    pub amount: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DisputeReason {
    pub dispute_reason_type: &'static str,
    pub dispute_reason_message: Option<&'static str>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DisputeJson<'a> {
    pub id: &'a str,
    pub tag: Option<&'a str>,
    pub creation_date: i64,
    pub initial_transaction_id: Option<&'a str>,
    pub initial_transaction_type: &'static str,
    pub initial_transaction_nature: &'static str,
    pub dispute_type: &'static str,
    pub contest_deadline_date: Option<i64>,
    pub disputed_funds: Option<Money<'a>>,
    pub contested_funds: Option<Money<'a>>,
    pub status: &'static str,
    pub status_message: Option<&'a str>,
    pub dispute_reason: Option<DisputeReason>,
    pub result_code: &'static str,
    pub result_message: Option<&'a str>,
    pub closed_date: Option<i64>,
    pub repudiation_id: Option<&'a str>,
}

pub use crate::wire::mangopay::vocab::{dispute_type, parse_dispute_type};

/// A dispute, with what its history tells beyond its status.
pub fn dispute(d: &Dispute, marks: Marks) -> DisputeJson<'_> {
    let closed = d.status.is_closed();
    DisputeJson {
        id: d.id.as_str(),
        tag: d.tag.as_deref(),
        creation_date: seconds(d.created_at),
        initial_transaction_id: Some(d.charge.as_str()),
        initial_transaction_type: "PAYIN",
        initial_transaction_nature: "REGULAR",
        dispute_type: dispute_type(d.kind),
        contest_deadline_date: d.evidence_due_at.map(seconds),
        disputed_funds: Some(Money {
            currency: &d.currency,
            amount: d.amount,
        }),
        contested_funds: d.contested_amount.map(|amount| Money {
            currency: &d.currency,
            amount,
        }),
        status: vocab::status(d.status, marks),
        status_message: d.admin_message.as_deref().filter(|_| !closed),
        dispute_reason: Some(DisputeReason {
            dispute_reason_type: vocab::reason(d.reason),
            dispute_reason_message: None,
        }),
        result_code: vocab::result_code(d.status),
        result_message: d.admin_message.as_deref().filter(|_| closed),
        closed_date: d.closed_at.map(seconds),
        repudiation_id: Some(d.debit_transaction.as_str()),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DocumentJson<'a> {
    pub id: &'a str,
    pub tag: Option<&'a str>,
    pub creation_date: i64,
    pub dispute_id: &'a str,
    #[serde(rename = "Type")]
    pub kind: &'static str,
    pub status: &'static str,
    pub refused_reason_type: Option<&'static str>,
    pub refused_reason_message: Option<&'a str>,
    pub processed_date: Option<i64>,
}

pub fn document(doc: &Document) -> DocumentJson<'_> {
    DocumentJson {
        id: doc.id.as_str(),
        tag: doc.tag.as_deref(),
        creation_date: seconds(doc.created_at),
        dispute_id: doc.dispute.as_str(),
        kind: vocab::kind(doc.kind),
        status: vocab::document_status(doc.status),
        refused_reason_type: doc.refusal.as_ref().map(|r| vocab::refusal(r.reason)),
        refused_reason_message: doc.refusal.as_ref().and_then(|r| r.message.as_deref()),
        processed_date: doc.processed_at.map(seconds),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TransactionJson<'a> {
    pub id: &'a str,
    pub tag: Option<&'a str>,
    pub creation_date: i64,
    pub author_id: Option<&'a str>,
    pub credited_user_id: Option<&'a str>,
    pub debited_funds: Money<'a>,
    pub credited_funds: Money<'a>,
    pub fees: Money<'a>,
    pub status: &'static str,
    pub result_code: &'static str,
    pub result_message: &'static str,
    pub execution_date: i64,
    #[serde(rename = "Type")]
    pub kind: &'static str,
    pub nature: &'static str,
    pub credited_wallet_id: Option<&'a str>,
    pub debited_wallet_id: Option<&'a str>,
}

/// The dispute's money movements: the repudiation taken when it opened, and once won the
/// settlement that returned it.
pub fn transactions(d: &Dispute) -> Vec<TransactionJson<'_>> {
    d.transactions()
        .map(|t| {
            let money = || Money {
                currency: t.currency,
                amount: t.amount,
            };
            TransactionJson {
                id: t.id.as_str(),
                tag: None,
                creation_date: seconds(t.created_at),
                author_id: None,
                credited_user_id: None,
                debited_funds: money(),
                credited_funds: money(),
                fees: Money {
                    currency: t.currency,
                    amount: 0,
                },
                status: "SUCCEEDED",
                result_code: "000000",
                result_message: "Success",
                execution_date: seconds(t.created_at),
                kind: "TRANSFER",
                nature: match t.kind {
                    TransactionKind::Debit => "REPUDIATION",
                    TransactionKind::Credit => "SETTLEMENT",
                },
                credited_wallet_id: None,
                debited_wallet_id: None,
            }
        })
        .collect()
}

/// A link to one page's bytes.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ConsultJson {
    pub url: String,
    pub expiration_date: i64,
}

/// The answer kept for an idempotency key (#17).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct IdempotencyJson {
    pub status_code: String,
    pub content_length: String,
    pub content_type: String,
    pub date: i64,
    #[schema(value_type = Object)]
    pub resource: serde_json::Value,
}
