//! The JSON shapes of the Omise dialect, in both API versions. One struct per object; the
//! version decides which of its optional fields appear.

use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::version::ApiVersion;
use crate::domain::dispute::Transaction;
use crate::domain::{Dispute, Document, ListQuery, Page};
use crate::signing::Signer;
use crate::store::DisputeView;

/// A JSON response with the charset Omise declares.
pub fn json<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            response
        }
        Err(e) => super::ApiError::Internal(e.into()).into_response(),
    }
}

/// `YYYY-MM-DDThh:mm:ssZ`.
pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// What rendering needs besides the objects: the shape, the time, and how to sign downloads.
pub struct Renderer<'a> {
    pub version: ApiVersion,
    pub now: DateTime<Utc>,
    pub base_url: &'a str,
    pub signer: &'a Signer,
}

/// A page of a list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ListJson<T> {
    object: &'static str,
    data: Vec<T>,
    limit: i64,
    offset: i64,
    total: i64,
    location: String,
    /// null in the embedded lists of the 2017-11-02 shape.
    #[schema(schema_with = crate::openapi::nullable_order_schema, required)]
    order: Option<&'static str>,
    #[schema(format = DateTime)]
    from: String,
    #[schema(format = DateTime)]
    to: String,
}

/// A dispute. `funding_*`, `transactions`, `admin_message` and `created_at` appear in the
/// 2019-05-29 shape; `created` and `transaction` (the debit's id) in the 2017-11-02 one.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DisputeJson<'a> {
    object: &'static str,
    id: &'a str,
    livemode: bool,
    location: String,
    currency: String,
    amount: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    funding_amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    funding_currency: Option<&'a str>,
    #[schema(value_type = Object)]
    metadata: &'a Map<String, Value>,
    charge: &'a str,
    documents: ListJson<DocumentJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transactions: Option<Vec<TransactionJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    admin_message: Option<Option<&'a str>>,
    #[schema(required)]
    message: Option<&'a str>,
    #[schema(schema_with = crate::openapi::reason_schema)]
    reason_code: &'static str,
    reason_message: &'static str,
    #[schema(schema_with = crate::openapi::status_schema)]
    status: &'static str,
    #[schema(format = DateTime, required)]
    closed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    created: Option<String>,
}

/// A ledger entry a dispute caused.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TransactionJson<'a> {
    object: &'static str,
    id: String,
    livemode: bool,
    currency: &'a str,
    amount: i64,
    location: String,
    direction: &'static str,
    key: &'static str,
    origin: &'a str,
    #[schema(format = DateTime)]
    transferable_at: String,
    #[schema(format = DateTime)]
    created_at: String,
}

/// An evidence document. `content_type`, `size` and `sha256` go beyond Omise's shape.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DocumentJson<'a> {
    object: &'static str,
    id: &'a str,
    livemode: bool,
    location: String,
    deleted: bool,
    filename: &'a str,
    #[schema(schema_with = crate::openapi::optional_kind_schema, required)]
    kind: Option<&'static str>,
    /// A signed link that works without the key until it expires; null once deleted.
    #[schema(required)]
    download_uri: Option<String>,
    content_type: &'a str,
    size: i64,
    sha256: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    created: Option<String>,
}

impl Renderer<'_> {
    /// `created_at` in the current shape, `created` in the legacy one.
    fn created(&self, t: DateTime<Utc>) -> (Option<String>, Option<String>) {
        if self.version.is_legacy() {
            (None, Some(time(t)))
        } else {
            (Some(time(t)), None)
        }
    }

    pub fn list<T>(
        &self,
        data: Vec<T>,
        total: i64,
        query: &ListQuery,
        location: String,
    ) -> ListJson<T> {
        ListJson {
            object: "list",
            data,
            limit: query.limit,
            offset: query.offset,
            total,
            location,
            order: Some(query.order.as_str()),
            from: time(query.from),
            to: time(query.to),
        }
    }

    pub fn dispute<'a>(&self, view: &'a DisputeView) -> DisputeJson<'a> {
        let d: &Dispute = &view.dispute;
        let legacy = self.version.is_legacy();
        let documents = {
            let query = ListQuery::first_page(self.now);
            let items = view
                .documents
                .items
                .iter()
                .map(|doc| self.document(doc, false))
                .collect();
            let mut list = self.list(
                items,
                view.documents.total,
                &query,
                format!("/disputes/{}/documents", d.id),
            );
            if legacy {
                list.order = None;
            }
            list
        };
        let (created_at, created) = self.created(d.created_at);
        DisputeJson {
            object: "dispute",
            id: d.id.as_str(),
            livemode: d.mode.is_live(),
            location: format!("/disputes/{}", d.id),
            currency: if legacy {
                d.currency.to_ascii_lowercase()
            } else {
                d.currency.clone()
            },
            amount: d.amount,
            funding_amount: (!legacy).then_some(d.funding_amount),
            funding_currency: (!legacy).then_some(d.funding_currency.as_str()),
            metadata: &d.metadata,
            charge: d.charge.as_str(),
            documents,
            transactions: (!legacy).then(|| {
                d.transactions()
                    .into_iter()
                    .map(|t| self.transaction(d, t))
                    .collect()
            }),
            transaction: legacy.then_some(d.debit_transaction.as_str()),
            admin_message: (!legacy).then_some(d.admin_message.as_deref()),
            message: d.message.as_deref(),
            reason_code: d.reason.code(),
            reason_message: d.reason.message(),
            status: d.status.as_str(),
            closed_at: d.closed_at.map(time),
            created_at,
            created,
        }
    }

    fn transaction<'a>(&self, d: &'a Dispute, t: Transaction) -> TransactionJson<'a> {
        TransactionJson {
            object: "transaction",
            location: format!("/transactions/{}", t.id),
            id: t.id.into_string(),
            livemode: d.mode.is_live(),
            currency: &d.currency,
            amount: t.amount,
            direction: if t.credit { "credit" } else { "debit" },
            key: t.key,
            origin: d.id.as_str(),
            transferable_at: time(t.created_at),
            created_at: time(t.created_at),
        }
    }

    /// A document; `deleted` ones have no download.
    pub fn document<'a>(&self, doc: &'a Document, deleted: bool) -> DocumentJson<'a> {
        let location = format!("/disputes/{}/documents/{}", doc.dispute, doc.id);
        let download_uri = (!deleted).then(|| {
            format!(
                "{}{location}/downloads/{}",
                self.base_url,
                self.signer.sign(&doc.id, self.now)
            )
        });
        let (created_at, created) = self.created(doc.created_at);
        DocumentJson {
            object: "document",
            id: doc.id.as_str(),
            livemode: doc.id.mode().is_live(),
            location,
            deleted,
            filename: &doc.filename,
            kind: doc.kind.map(|k| k.as_str()),
            download_uri,
            content_type: &doc.content_type,
            size: doc.size,
            sha256: &doc.sha256,
            created_at,
            created,
        }
    }

    pub fn disputes<'a>(
        &self,
        page: &'a Page<DisputeView>,
        query: &ListQuery,
        location: &str,
    ) -> ListJson<DisputeJson<'a>> {
        let items = page.items.iter().map(|v| self.dispute(v)).collect();
        self.list(items, page.total, query, location.to_owned())
    }
}
