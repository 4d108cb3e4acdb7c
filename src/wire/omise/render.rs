//! The JSON shapes of the Omise dialect, in both API versions. One struct per object; the
//! version decides which of its optional fields appear. Paths and times are written straight
//! into the output (`Path`, `WireTime`) rather than built as strings first: a list page renders
//! hundreds of them.

use std::fmt;

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::version::ApiVersion;
use super::vocab;
use crate::domain::dispute::{Transaction, TransactionKind};
use crate::domain::{Dispute, Document, Id, ListPage, ListQuery};
use crate::signing::Signer;

pub use crate::http::json;

/// A time on the wire: `YYYY-MM-DDThh:mm:ssZ`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireTime(pub DateTime<Utc>);

impl WireTime {
    /// The 20 bytes of `YYYY-MM-DDThh:mm:ssZ`, written digit by digit: a page of disputes writes
    /// about a hundred times, and `write!` with padding costs several times as much. `None` for
    /// a year outside 0..=9999, which the stores never hold.
    fn bytes(&self) -> Option<[u8; 20]> {
        let t = self.0;
        let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
        let mut out = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, n: u32| {
            out[at] = b'0' + (n / 10 % 10) as u8;
            out[at + 1] = b'0' + (n % 10) as u8;
        };
        put(0, year / 100);
        put(2, year % 100);
        put(5, t.month());
        put(8, t.day());
        put(11, t.hour());
        put(14, t.minute());
        put(17, t.second());
        Some(out)
    }
}

impl fmt::Display for WireTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.bytes() {
            Some(bytes) => f.write_str(std::str::from_utf8(&bytes).map_err(|_| fmt::Error)?),
            None => {
                let t = self.0;
                write!(
                    f,
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                    t.year(),
                    t.month(),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second()
                )
            }
        }
    }
}

impl Serialize for WireTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.bytes() {
            Some(bytes) => {
                s.serialize_str(std::str::from_utf8(&bytes).map_err(serde::ser::Error::custom)?)
            }
            None => s.collect_str(self),
        }
    }
}

/// A path (or URL) made of up to four pieces, serialized as one string.
#[derive(Debug, Clone, Copy)]
pub struct Path<'a>([&'a str; 4]);

impl<'a> Path<'a> {
    pub fn of(pieces: &[&'a str]) -> Path<'a> {
        let mut all = [""; 4];
        all[..pieces.len()].copy_from_slice(pieces);
        Path(all)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|piece| f.write_str(piece))
    }
}

impl Serialize for Path<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
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
pub struct ListJson<'a, T> {
    object: &'static str,
    data: Vec<T>,
    limit: i64,
    offset: i64,
    total: i64,
    #[schema(value_type = String)]
    location: Path<'a>,
    /// null in the embedded lists of the 2017-11-02 shape.
    #[schema(schema_with = super::openapi::nullable_order_schema, required)]
    order: Option<&'static str>,
    #[schema(value_type = String, format = DateTime)]
    from: WireTime,
    #[schema(value_type = String, format = DateTime)]
    to: WireTime,
}

/// A dispute. `funding_*`, `transactions`, `admin_message` and `created_at` appear in the
/// 2019-05-29 shape; `created` and `transaction` (the debit's id) in the 2017-11-02 one.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DisputeJson<'a> {
    object: &'static str,
    id: &'a str,
    livemode: bool,
    #[schema(value_type = String)]
    location: Path<'a>,
    #[schema(value_type = String)]
    currency: Currency<'a>,
    amount: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    funding_amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    funding_currency: Option<&'a str>,
    #[schema(value_type = Object)]
    metadata: &'a Map<String, Value>,
    charge: &'a str,
    documents: ListJson<'a, DocumentJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transactions: Option<Vec<TransactionJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    admin_message: Option<Option<&'a str>>,
    #[schema(required)]
    message: Option<&'a str>,
    #[schema(schema_with = super::openapi::reason_schema)]
    reason_code: &'static str,
    reason_message: &'static str,
    #[schema(schema_with = super::openapi::status_schema)]
    status: &'static str,
    #[schema(value_type = Option<String>, format = DateTime, required)]
    closed_at: Option<WireTime>,
    /// Not in Omise's object: when the merchant's evidence is due (null: no deadline).
    #[schema(value_type = Option<String>, format = DateTime, required)]
    evidence_due_at: Option<WireTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    created_at: Option<WireTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    created: Option<WireTime>,
}

/// A currency code: upper case in the current shape, lower case in the legacy one.
#[derive(Debug, Clone, Copy)]
pub struct Currency<'a> {
    code: &'a str,
    lower: bool,
}

impl Serialize for Currency<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.lower {
            s.serialize_str(&self.code.to_ascii_lowercase())
        } else {
            s.serialize_str(self.code)
        }
    }
}

/// A ledger entry a dispute caused.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TransactionJson<'a> {
    object: &'static str,
    id: &'a str,
    livemode: bool,
    currency: &'a str,
    amount: i64,
    #[schema(value_type = String)]
    location: Path<'a>,
    direction: &'static str,
    key: &'static str,
    origin: &'a str,
    #[schema(value_type = String, format = DateTime)]
    transferable_at: WireTime,
    #[schema(value_type = String, format = DateTime)]
    created_at: WireTime,
}

/// An evidence document. `content_type`, `size`, `sha256`, `page_count` and `preview_uri` go
/// beyond Omise's shape.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DocumentJson<'a> {
    object: &'static str,
    id: &'a str,
    livemode: bool,
    #[schema(value_type = String)]
    location: Path<'a>,
    deleted: bool,
    filename: &'a str,
    #[schema(schema_with = super::openapi::optional_kind_schema, required)]
    kind: Option<&'static str>,
    /// A signed link that works without the key until it expires; null once deleted.
    #[schema(required)]
    download_uri: Option<String>,
    content_type: &'a str,
    size: i64,
    sha256: &'a str,
    /// How many pages the file has: a PDF's own count (checked at upload: at most
    /// `MAX_PDF_PAGES`), 1 for an image. Null for a PDF stored before pages were counted,
    /// until the server counts it.
    #[schema(required, minimum = 1)]
    page_count: Option<i64>,
    /// A signed link, like `download_uri`, to a PNG of the file's first page at most 512 pixels
    /// on its long side, rendered by the server (orientation applied, no metadata); `?page=N`
    /// gives page N. Null once deleted.
    #[schema(required)]
    preview_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    created_at: Option<WireTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    created: Option<WireTime>,
}

/// What a preview link's token is signed for: the document's previews, not its bytes (a
/// download token does not open a preview, nor the other way round).
pub fn preview_subject(document: &Id) -> String {
    format!("{document}/previews")
}

impl Renderer<'_> {
    /// `created_at` in the current shape, `created` in the legacy one.
    fn created(&self, t: DateTime<Utc>) -> (Option<WireTime>, Option<WireTime>) {
        if self.version.is_legacy() {
            (None, Some(WireTime(t)))
        } else {
            (Some(WireTime(t)), None)
        }
    }

    pub fn list<'a, T>(
        &self,
        data: Vec<T>,
        total: i64,
        query: &ListQuery,
        location: Path<'a>,
    ) -> ListJson<'a, T> {
        ListJson {
            object: "list",
            data,
            limit: query.limit,
            offset: query.offset,
            total,
            location,
            order: Some(query.order.as_str()),
            from: WireTime(query.from),
            to: WireTime(query.to),
        }
    }

    /// A dispute with the first page of its documents, as Omise embeds them.
    pub fn dispute<'a>(&self, d: &'a Dispute, documents: &'a [Document]) -> DisputeJson<'a> {
        let id = d.id.as_str();
        let legacy = self.version.is_legacy();
        let (reason_code, reason_message) = vocab::reason(d.reason);
        let documents = {
            let query = ListQuery::first_page(self.now);
            let items = documents
                .iter()
                .map(|doc| self.document(doc, false))
                .collect();
            let mut list = self.list(
                items,
                d.document_count,
                &query,
                Path::of(&["/disputes/", id, "/documents"]),
            );
            if legacy {
                list.order = None;
            }
            list
        };
        let (created_at, created) = self.created(d.created_at);
        DisputeJson {
            object: "dispute",
            id,
            livemode: d.mode.is_live(),
            location: Path::of(&["/disputes/", id]),
            currency: Currency {
                code: &d.currency,
                lower: legacy,
            },
            amount: d.amount,
            funding_amount: (!legacy).then_some(d.funding_amount),
            funding_currency: (!legacy).then_some(d.funding_currency.as_str()),
            metadata: &d.metadata,
            charge: d.charge.as_str(),
            documents,
            transactions: (!legacy)
                .then(|| d.transactions().map(|t| self.transaction(d, t)).collect()),
            transaction: legacy.then_some(d.debit_transaction.as_str()),
            admin_message: (!legacy).then_some(d.admin_message.as_deref()),
            message: d.message.as_deref(),
            reason_code,
            reason_message,
            status: vocab::status(d.status),
            closed_at: d.closed_at.map(WireTime),
            evidence_due_at: d.evidence_due_at.map(WireTime),
            created_at,
            created,
        }
    }

    fn transaction<'a>(&self, d: &'a Dispute, t: Transaction<'a>) -> TransactionJson<'a> {
        TransactionJson {
            object: "transaction",
            id: t.id.as_str(),
            livemode: d.mode.is_live(),
            currency: t.currency,
            amount: t.amount,
            location: Path::of(&["/transactions/", t.id.as_str()]),
            direction: match t.kind {
                TransactionKind::Credit => "credit",
                TransactionKind::Debit => "debit",
            },
            key: vocab::transaction_key(t.kind),
            origin: d.id.as_str(),
            transferable_at: WireTime(t.created_at),
            created_at: WireTime(t.created_at),
        }
    }

    /// A document, shown as its first page's file; `deleted` ones (and empty ones) have no
    /// download.
    pub fn document<'a>(&self, doc: &'a Document, deleted: bool) -> DocumentJson<'a> {
        let location = Path::of(&[
            "/disputes/",
            doc.dispute.as_str(),
            "/documents/",
            doc.id.as_str(),
        ]);
        let file = doc.first_page.as_ref();
        let download_uri = (!deleted && file.is_some()).then(|| {
            format!(
                "{}{location}/downloads/{}",
                self.base_url,
                self.signer.sign(&doc.id, self.now)
            )
        });
        let preview_uri = (!deleted && file.is_some()).then(|| {
            format!(
                "{}{location}/previews/{}",
                self.base_url,
                self.signer
                    .sign_subject(&preview_subject(&doc.id), self.now)
            )
        });
        let (created_at, created) = self.created(doc.created_at);
        DocumentJson {
            object: "document",
            id: doc.id.as_str(),
            livemode: doc.mode.is_live(),
            location,
            deleted,
            filename: file.map_or("", |f| &f.filename),
            kind: doc.kind.and_then(vocab::kind),
            download_uri,
            content_type: file.map_or("", |f| &f.content_type),
            size: file.map_or(0, |f| f.size),
            sha256: file.map_or("", |f| &f.sha256),
            page_count: file.and_then(|f| f.file_pages),
            preview_uri,
            created_at,
            created,
        }
    }

    pub fn disputes<'a>(
        &self,
        page: &'a ListPage<Dispute>,
        documents: &'a HashMap<Id, Vec<Document>>,
        query: &ListQuery,
        location: &'a str,
    ) -> ListJson<'a, DisputeJson<'a>> {
        let items = page
            .items
            .iter()
            .map(|d| self.dispute(d, documents.get(&d.id).map_or(&[], Vec::as_slice)))
            .collect();
        self.list(items, page.total, query, Path::of(&[location]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_times_are_whole_seconds_in_utc() {
        let t = DateTime::parse_from_rfc3339("2025-03-20T09:50:24.999999+07:00")
            .unwrap()
            .to_utc();
        assert_eq!(WireTime(t).to_string(), "2025-03-20T02:50:24Z");
        assert_eq!(
            serde_json::to_string(&WireTime(DateTime::UNIX_EPOCH)).unwrap(),
            "\"1970-01-01T00:00:00Z\""
        );
        let last = DateTime::parse_from_rfc3339("9999-12-31T23:59:59Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            serde_json::to_string(&WireTime(last)).unwrap(),
            "\"9999-12-31T23:59:59Z\""
        );
        let early = DateTime::parse_from_rfc3339("0042-01-02T03:04:05Z")
            .unwrap()
            .to_utc();
        assert_eq!(WireTime(early).to_string(), "0042-01-02T03:04:05Z");
        // Beyond four digits (no store holds it) the slow way still writes something sensible.
        let far = DateTime::<Utc>::from_timestamp(253_402_300_800, 0).unwrap();
        assert_eq!(WireTime(far).to_string(), "10000-01-01T00:00:00Z");
    }

    #[test]
    fn paths_join_their_pieces() {
        assert_eq!(
            Path::of(&["/disputes/", "dspt_1", "/documents"]).to_string(),
            "/disputes/dspt_1/documents"
        );
    }
}
