//! The benchmark's ceilings: for each operation `bench/run` measures, the least an axum + sqlx
//! server does to give the same answer — the same SQL as the server's store, the same JSON
//! shape and size, the same file bytes — with no auth, no middleware, no events, no history.
//! `bench/run` measures each operation of the real server beside its own ceiling and reports the
//! ratio. None of it is a product; it only has to be honest about the work.
//!
//! Routes (no auth; `{account}` is the account a real caller's key would name):
//!
//! - `GET /disputes/{id}`: one primary-key SELECT of the dispute row, as flat JSON (the first
//!   baseline, kept as it was).
//! - `GET /c/{account}/disputes?limit=&offset=`: the Omise list — the server's list statement
//!   (page and kept total in one), its first-documents statement, the page as the Omise list
//!   object with embedded documents (signed download links), transactions and paths.
//! - `GET /c/{account}/disputes/{id}/documents` and `…/documents/{doc}`: the Omise document list
//!   and document, the server's statements, signed links.
//! - `GET /c/{account}/search?…`: a dispute search (src/search.rs): the server's statement for
//!   a free-text query, a status or a day of creation, its first-documents statement, the Omise
//!   `search` object.
//! - `GET /c/files/{name}`: a file of `BASELINE_FILES_DIR` streamed from disk (tokio::fs +
//!   ReaderStream).
//! - `POST /c/upload`: a multipart body streamed from the socket into a file of
//!   `BASELINE_UPLOAD_DIR` while hashing it (SHA-256); answers a small JSON object.
//! - `GET /c/mp/{account}/disputes?page=&per_page=`: the Mangopay list — the server's list
//!   statement (newest first) and its history statement (reopened / escalated marks), the
//!   PascalCase array and the paging headers.
//! - `GET /c/mp/disputes/{id}`: a Mangopay dispute: the row and its marks.
//! - `POST /c/mp/pages`: a Mangopay page (`{"File": base64}`): decoded, written to a file and
//!   hashed; answers 204.
//! - `POST /c/durable/upload` and `POST /c/durable/mp/pages`: the same two, durable: the file
//!   synced (fdatasync, as the server's local blob store does), then its directory (fsync), then
//!   one row inserted into `bench_ceiling_uploads` in a transaction of its own (created at start)
//!   — the least an upload needs before it may be acknowledged.
//!
//! Uploaded files are kept, as the server keeps its own: a file removed at once would never be
//! written back to disk, which made the 10 MB upload ceiling half again as fast as the same work
//! kept (the kernel's page-cache copy, 8 % of its profile against 38 % of the server's).
//! bench/run removes the directory at its end.
//!
//! Environment: `DATABASE_URL` (required; `postgres://…` or `sqlite:…`, the backend is picked by
//! the scheme), `LISTEN_ADDR` (default `127.0.0.1:8091`), `DATABASE_MAX_CONNECTIONS` (default
//! 16, as the server's), `PUBLIC_BASE_URL` and `SIGNING_SECRET` (the server's, so that the
//! download links have the same bytes), `BASELINE_FILES_DIR` (default `.`),
//! `BASELINE_UPLOAD_DIR` (default the system's temporary directory).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Datelike, Timelike, Utc};
use futures::TryStreamExt;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::types::Json as SqlJson;
use sqlx::{Decode, Encode, FromRow, PgPool, Postgres, Sqlite, SqlitePool, Type};
use tokio::io::AsyncWriteExt;

// --- the two backends -------------------------------------------------------------------------

#[derive(Clone)]
enum Db {
    Pg(PgPool),
    Lite(SqlitePool),
}

/// Every row of a statement on whichever backend `db` holds; `$N` placeholders work on both.
macro_rules! all {
    ($db:expr, $row:ty, $sql:expr, [$($arg:expr),*] $(, list $list:expr)? $(, then $tail:expr)?) => {
        match &$db {
            Db::Pg(p) => {
                #[allow(unused_mut)]
                let mut q = sqlx::query_as::<_, $row>($sql)$(.bind($arg))*;
                $(for x in $list { q = q.bind(x); })?
                $(q = q.bind($tail);)?
                q.fetch_all(p).await
            }
            Db::Lite(p) => {
                #[allow(unused_mut)]
                let mut q = sqlx::query_as::<_, $row>($sql)$(.bind($arg))*;
                $(for x in $list { q = q.bind(x); })?
                $(q = q.bind($tail);)?
                q.fetch_all(p).await
            }
        }
    };
}

/// A statement run for its effect on whichever backend `db` holds; `$N` placeholders work on both.
macro_rules! execute {
    ($db:expr, $sql:expr, [$($arg:expr),*]) => {
        match &$db {
            Db::Pg(p) => sqlx::query($sql)$(.bind($arg))*.execute(p).await.map(drop),
            Db::Lite(p) => sqlx::query($sql)$(.bind($arg))*.execute(p).await.map(drop),
        }
    };
}

/// A UTC time as each backend keeps it: `timestamptz`, or integer microseconds in SQLite.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(transparent)]
struct Ts(DateTime<Utc>);

impl Type<Postgres> for Ts {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Ts {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Ts {
    fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Ts(<DateTime<Utc> as Decode<Postgres>>::decode(value)?))
    }
}

impl Type<Sqlite> for Ts {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
}

impl<'q> Encode<'q, Sqlite> for Ts {
    fn encode_by_ref(
        &self,
        buf: &mut Vec<sqlx::sqlite::SqliteArgumentValue<'q>>,
    ) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode(self.0.timestamp_micros(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Ts {
    fn decode(value: sqlx::sqlite::SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let micros = <i64 as Decode<Sqlite>>::decode(value)?;
        DateTime::from_timestamp_micros(micros)
            .map(Ts)
            .ok_or_else(|| format!("time out of range: {micros}").into())
    }
}

// --- state ------------------------------------------------------------------------------------

#[derive(Clone)]
struct App {
    db: Db,
    base_url: Arc<str>,
    key: Arc<[u8]>,
    files: Arc<PathBuf>,
    uploads: Arc<PathBuf>,
    uploaded: Arc<AtomicU64>,
}

type Answer = Result<Response, (StatusCode, String)>;

fn failed(e: impl std::fmt::Display) -> (StatusCode, String) {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

fn json_response<T: Serialize>(value: &T) -> Answer {
    let body = serde_json::to_vec(value).map_err(failed)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

// --- the first baseline: GET /disputes/{id}, one flat row --------------------------------------

#[derive(Serialize, FromRow)]
struct FlatDispute {
    id: String,
    account_id: String,
    livemode: bool,
    charge_id: String,
    amount: i64,
    currency: String,
    funding_amount: i64,
    funding_currency: String,
    status: String,
    reason: String,
    message: Option<String>,
    admin_message: Option<String>,
    metadata: SqlJson<Value>,
    debit_transaction_id: String,
    credit_transaction_id: Option<String>,
    created_at: Ts,
    closed_at: Option<Ts>,
}

const SELECT_FLAT: &str = "select id, account_id, livemode, charge_id, amount, currency, \
     funding_amount, funding_currency, status, reason, message, admin_message, metadata, \
     debit_transaction_id, credit_transaction_id, created_at, closed_at \
     from disputes where id = $1";

async fn retrieve_flat(State(app): State<App>, Path(id): Path<String>) -> Answer {
    let mut rows = all!(app.db, FlatDispute, SELECT_FLAT, [id]).map_err(failed)?;
    match rows.pop() {
        Some(row) => Ok(Json(row).into_response()),
        None => Err((StatusCode::NOT_FOUND, String::new())),
    }
}

// --- rows: the server's columns (src/store/rows.rs) ------------------------------------------

const DISPUTE_COLUMNS: &str = "id, account_id, livemode, charge_id, amount, currency, \
     funding_amount, funding_currency, status, reason, message, admin_message, metadata, tag, \
     debit_transaction_id, credit_transaction_id, created_at, closed_at, document_count, \
     dispute_kind, evidence_due_at, contested_amount";

const DOCUMENT_COLUMNS: &str = "d.id, d.dispute_id, d.account_id, d.livemode, d.kind, d.tag, \
     d.status, d.refused_reason, d.refused_message, d.processed_at, d.created_at, d.submitted_at, \
     d.page_count, p.position, p.filename, p.content_type, p.size, p.sha256, p.blob_key, \
     p.created_at as page_created_at, p.file_pages, p.scanned_at, p.scan_engine, \
     p.quarantined_at, p.quarantine_signature";

const DOCUMENT_FROM: &str =
    "documents d left join pages p on p.document_id = d.id and p.position = 1";

#[derive(FromRow)]
#[allow(dead_code)] // read as the server reads them, whether shown or not
struct DisputeRow {
    id: String,
    account_id: String,
    livemode: bool,
    charge_id: String,
    amount: i64,
    currency: String,
    funding_amount: i64,
    funding_currency: String,
    status: String,
    reason: String,
    message: Option<String>,
    admin_message: Option<String>,
    metadata: SqlJson<Value>,
    tag: Option<String>,
    debit_transaction_id: String,
    credit_transaction_id: Option<String>,
    created_at: Ts,
    closed_at: Option<Ts>,
    document_count: i32,
    dispute_kind: String,
    evidence_due_at: Option<Ts>,
    contested_amount: Option<i64>,
}

#[derive(FromRow)]
struct PageRow {
    #[sqlx(flatten)]
    dispute: DisputeRow,
    total: i64,
}

#[derive(FromRow)]
#[allow(dead_code)]
struct DocumentRow {
    id: String,
    dispute_id: String,
    account_id: String,
    livemode: bool,
    kind: Option<String>,
    tag: Option<String>,
    status: String,
    refused_reason: Option<String>,
    refused_message: Option<String>,
    processed_at: Option<Ts>,
    created_at: Ts,
    submitted_at: Option<Ts>,
    page_count: i32,
    position: Option<i32>,
    filename: Option<String>,
    content_type: Option<String>,
    size: Option<i64>,
    sha256: Option<String>,
    blob_key: Option<String>,
    page_created_at: Option<Ts>,
    file_pages: Option<i32>,
    scanned_at: Option<Ts>,
    scan_engine: Option<String>,
    quarantined_at: Option<Ts>,
    quarantine_signature: Option<String>,
}

#[derive(FromRow)]
struct DocumentPageRow {
    #[sqlx(flatten)]
    document: DocumentRow,
    total: i64,
}

/// `$first, $first+1, …`: `n` numbered placeholders in parentheses.
fn placeholders(first: usize, n: usize) -> String {
    let list: Vec<String> = (first..first + n).map(|i| format!("${i}")).collect();
    format!("({})", list.join(", "))
}

/// The server's list statement: the page and the kept total in one, the ids through the
/// covering index first past offset 100 (src/store/disputes.rs).
fn list_sql(dir: &str, offset: i64) -> String {
    let order = format!(" order by created_at {dir}, id {dir}");
    let filter = "account_id = $3 and livemode = $4 and created_at >= $5 and created_at <= $6";
    let page = if offset >= 100 {
        format!("id in (select id from disputes where {filter}{order} limit $7 offset $8){order}")
    } else {
        format!("{filter}{order} limit $7 offset $8")
    };
    format!(
        "select {DISPUTE_COLUMNS}, (select cast(coalesce(sum(count), 0) as bigint) from \
         dispute_counts where account_id = $1 and livemode = $2) as total from disputes where {page}"
    )
}

async fn page_of(
    app: &App,
    account: &str,
    dir: &str,
    limit: i64,
    offset: i64,
    now: DateTime<Utc>,
) -> Result<Vec<PageRow>, sqlx::Error> {
    let sql = list_sql(dir, offset);
    all!(
        app.db,
        PageRow,
        &sql,
        [
            account,
            false,
            account,
            false,
            Ts(DateTime::UNIX_EPOCH),
            Ts(now),
            limit,
            offset
        ]
    )
}

// --- Omise JSON -------------------------------------------------------------------------------

/// `YYYY-MM-DDThh:mm:ssZ`, digit by digit, as the server writes it.
#[derive(Clone, Copy)]
struct WireTime(DateTime<Utc>);

impl Serialize for WireTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let mut out = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, n: u32| {
            out[at] = b'0' + (n / 10 % 10) as u8;
            out[at + 1] = b'0' + (n % 10) as u8;
        };
        let year = t.year().clamp(0, 9999) as u32;
        put(0, year / 100);
        put(2, year % 100);
        put(5, t.month());
        put(8, t.day());
        put(11, t.hour());
        put(14, t.minute());
        put(17, t.second());
        s.serialize_str(std::str::from_utf8(&out).map_err(serde::ser::Error::custom)?)
    }
}

#[derive(Serialize)]
struct ListJson<T> {
    object: &'static str,
    data: Vec<T>,
    limit: i64,
    offset: i64,
    total: i64,
    location: String,
    order: &'static str,
    from: WireTime,
    to: WireTime,
}

impl<T> ListJson<T> {
    fn new(data: Vec<T>, limit: i64, offset: i64, total: i64, location: String) -> Self {
        ListJson {
            object: "list",
            data,
            limit,
            offset,
            total,
            location,
            order: "chronological",
            from: WireTime(DateTime::UNIX_EPOCH),
            to: WireTime(Utc::now()),
        }
    }
}

#[derive(Serialize)]
struct DisputeJson<'a> {
    object: &'static str,
    id: &'a str,
    livemode: bool,
    location: String,
    currency: &'a str,
    amount: i64,
    funding_amount: i64,
    funding_currency: &'a str,
    metadata: &'a Value,
    charge: &'a str,
    documents: ListJson<DocumentJson<'a>>,
    transactions: Vec<TransactionJson<'a>>,
    admin_message: Option<&'a str>,
    message: Option<&'a str>,
    reason_code: &'static str,
    reason_message: &'static str,
    status: &'static str,
    closed_at: Option<WireTime>,
    evidence_due_at: Option<WireTime>,
    created_at: WireTime,
}

#[derive(Serialize)]
struct TransactionJson<'a> {
    object: &'static str,
    id: &'a str,
    livemode: bool,
    currency: &'a str,
    amount: i64,
    location: String,
    direction: &'static str,
    key: &'static str,
    origin: &'a str,
    transferable_at: WireTime,
    created_at: WireTime,
}

#[derive(Serialize)]
struct DocumentJson<'a> {
    object: &'static str,
    id: &'a str,
    livemode: bool,
    location: String,
    deleted: bool,
    filename: &'a str,
    kind: Option<&'static str>,
    download_uri: Option<String>,
    content_type: &'a str,
    size: i64,
    sha256: &'a str,
    page_count: Option<i64>,
    preview_uri: Option<String>,
    created_at: WireTime,
}

/// Omise's reason code and message for the domain's reason (src/omise/vocab.rs).
fn omise_reason(reason: &str) -> (&'static str, &'static str) {
    match reason {
        "recurring_cancelled" => (
            "cancelled_recurring_transaction",
            "Cancelled Recurring Transaction",
        ),
        "refund_missing" => ("credit_not_processed", "Credit Not Processed"),
        "duplicate" => ("duplicate_processing", "Duplicate Processing"),
        "card_expired" => ("expired_card", "Expired Card"),
        "not_received" => (
            "goods_or_services_not_provided",
            "Merchandise/Services Not Received",
        ),
        "wrong_currency" | "conversion_rate" => ("incorrect_currency", "Incorrect Currency"),
        "wrong_amount" => (
            "incorrect_transaction_amount",
            "Incorrect Transaction Amount",
        ),
        "presented_late" => ("late_presentment", "Late Presentment"),
        "account_number_mismatch" => ("non_matching_account_number", "Non-Matching Account Number"),
        "not_as_described" => (
            "not_as_described_or_defective_merchandise",
            "Not as Described or Defective Merchandise",
        ),
        "unavailable" => ("not_available", "Not Available"),
        "unrecorded" => ("not_recorded", "Not Recorded"),
        "paid_otherwise" => ("paid_by_other_means", "Paid by Other Means"),
        "unrecognised" => ("transaction_not_recognised", "Transaction Not Recognised"),
        "unauthorised" | "fraud" | "counterfeit" => ("unauthorized_charge", "Unauthorized Charge"),
        _ => ("other", "Other"),
    }
}

fn omise_status(status: &str) -> &'static str {
    match status {
        "awaiting_evidence" => "open",
        "under_review" => "pending",
        "won" => "won",
        _ => "lost",
    }
}

fn omise_kind(kind: Option<&str>) -> Option<&'static str> {
    match kind? {
        "customer_details" => Some("cardholder_details"),
        "purchase_details" => Some("details_of_purchase"),
        "delivery_proof" => Some("proof_of_receipt"),
        "acceptance_proof" => Some("proof_of_acceptance"),
        _ => None,
    }
}

impl App {
    /// `<expiry>.<base64url HMAC-SHA256 of "<document>.<expiry>">`, as src/signing.rs signs.
    fn sign(&self, subject: &str, now: DateTime<Utc>) -> String {
        let expires = (now + chrono::TimeDelta::hours(1)).timestamp();
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(subject.as_bytes());
        mac.update(b".");
        mac.update(expires.to_string().as_bytes());
        let tag = mac.finalize().into_bytes();
        format!("{expires}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    fn document<'a>(&self, d: &'a DocumentRow, now: DateTime<Utc>) -> DocumentJson<'a> {
        let location = format!("/disputes/{}/documents/{}", d.dispute_id, d.id);
        let download_uri = d.blob_key.as_ref().map(|_| {
            format!(
                "{}{location}/downloads/{}",
                self.base_url,
                self.sign(&d.id, now)
            )
        });
        // the server's preview link: signed for "<document>/previews"
        let preview_uri = d.blob_key.as_ref().map(|_| {
            format!(
                "{}{location}/previews/{}",
                self.base_url,
                self.sign(&format!("{}/previews", d.id), now)
            )
        });
        DocumentJson {
            object: "document",
            id: &d.id,
            livemode: d.livemode,
            location,
            deleted: false,
            filename: d.filename.as_deref().unwrap_or(""),
            kind: omise_kind(d.kind.as_deref()),
            download_uri,
            content_type: d.content_type.as_deref().unwrap_or(""),
            size: d.size.unwrap_or(0),
            sha256: d.sha256.as_deref().unwrap_or(""),
            page_count: d.file_pages.map(i64::from),
            preview_uri,
            created_at: WireTime(d.created_at.0),
        }
    }

    fn dispute<'a>(
        &self,
        d: &'a DisputeRow,
        documents: &'a [DocumentRow],
        now: DateTime<Utc>,
    ) -> DisputeJson<'a> {
        let (reason_code, reason_message) = omise_reason(&d.reason);
        let transaction = |id: &'a str, credit: bool, at: DateTime<Utc>| TransactionJson {
            object: "transaction",
            id,
            livemode: d.livemode,
            currency: &d.currency,
            amount: d.amount,
            location: format!("/transactions/{id}"),
            direction: if credit { "credit" } else { "debit" },
            key: if credit {
                "dispute.won.credit"
            } else {
                "dispute.started.debit"
            },
            origin: &d.id,
            transferable_at: WireTime(at),
            created_at: WireTime(at),
        };
        let mut transactions = vec![transaction(&d.debit_transaction_id, false, d.created_at.0)];
        if let Some(credit) = &d.credit_transaction_id {
            let at = d.closed_at.unwrap_or(d.created_at).0;
            transactions.push(transaction(credit, true, at));
        }
        DisputeJson {
            object: "dispute",
            id: &d.id,
            livemode: d.livemode,
            location: format!("/disputes/{}", d.id),
            currency: &d.currency,
            amount: d.amount,
            funding_amount: d.funding_amount,
            funding_currency: &d.funding_currency,
            metadata: &d.metadata.0,
            charge: &d.charge_id,
            documents: ListJson::new(
                documents
                    .iter()
                    .map(|doc| self.document(doc, now))
                    .collect(),
                20,
                0,
                i64::from(d.document_count),
                format!("/disputes/{}/documents", d.id),
            ),
            transactions,
            admin_message: d.admin_message.as_deref(),
            message: d.message.as_deref(),
            reason_code,
            reason_message,
            status: omise_status(&d.status),
            closed_at: d.closed_at.map(|t| WireTime(t.0)),
            evidence_due_at: d.evidence_due_at.map(|t| WireTime(t.0)),
            created_at: WireTime(d.created_at.0),
        }
    }
}

// --- Omise ceilings ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct ListParams {
    limit: Option<i64>,
    offset: Option<i64>,
}

/// The server's first-documents statement: the first 20 documents of each dispute of a page.
async fn first_documents(app: &App, ids: &[&str]) -> Result<Vec<DocumentRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "select {DOCUMENT_COLUMNS} from (select *, row_number() over (partition by dispute_id \
         order by created_at, id) as rank_in_dispute from documents where dispute_id in {}) as d \
         left join pages p on p.document_id = d.id and p.position = 1 where d.rank_in_dispute <= ${} \
         order by d.dispute_id, d.created_at, d.id",
        placeholders(1, ids.len()),
        ids.len() + 1
    );
    all!(app.db, DocumentRow, &sql, [], list ids.iter().copied(), then 20_i64)
}

async fn list_disputes(
    State(app): State<App>,
    Path(account): Path<String>,
    Query(params): Query<ListParams>,
) -> Answer {
    let now = Utc::now();
    let (limit, offset) = (params.limit.unwrap_or(20), params.offset.unwrap_or(0));
    let rows = page_of(&app, &account, "asc", limit, offset, now)
        .await
        .map_err(failed)?;
    let total = rows.first().map_or(0, |r| r.total);
    let with_documents: Vec<&str> = rows
        .iter()
        .filter(|r| r.dispute.document_count > 0)
        .map(|r| r.dispute.id.as_str())
        .collect();
    let documents = first_documents(&app, &with_documents)
        .await
        .map_err(failed)?;
    let data = rows
        .iter()
        .map(|r| {
            let d = &r.dispute;
            let first = documents.partition_point(|doc| doc.dispute_id < d.id);
            let end = documents.partition_point(|doc| doc.dispute_id <= d.id);
            app.dispute(d, &documents[first..end], now)
        })
        .collect();
    json_response(&ListJson::new(
        data,
        limit,
        offset,
        total,
        "/disputes".to_owned(),
    ))
}

/// The ceiling of a request that needs no database: the Omise "not found" error object the
/// server answers for a dispute id of the other mode (which it refuses before any query).
async fn not_found(Path(id): Path<String>) -> Answer {
    #[derive(Serialize)]
    struct ErrorBody<'a> {
        object: &'static str,
        location: &'static str,
        code: &'static str,
        message: &'a str,
    }
    let message = format!("dispute {id} was not found");
    let mut response = json_response(&ErrorBody {
        object: "error",
        location: "https://www.omise.co/api-errors#not-found",
        code: "not_found",
        message: &message,
    })?;
    *response.status_mut() = StatusCode::NOT_FOUND;
    Ok(response)
}

/// The server's retrieve: the dispute of the account, and its first documents when it has any.
async fn retrieve_dispute(
    State(app): State<App>,
    Path((account, id)): Path<(String, String)>,
) -> Answer {
    let now = Utc::now();
    let sql = format!(
        "select {DISPUTE_COLUMNS} from disputes where id = $1 and account_id = $2 and livemode = $3"
    );
    let rows = all!(app.db, DisputeRow, &sql, [&id, &account, false]).map_err(failed)?;
    let Some(d) = rows.first() else {
        return Err((StatusCode::NOT_FOUND, String::new()));
    };
    let documents = if d.document_count > 0 {
        first_documents(&app, &[d.id.as_str()])
            .await
            .map_err(failed)?
    } else {
        Vec::new()
    };
    json_response(&app.dispute(d, &documents, now))
}

async fn list_documents(
    State(app): State<App>,
    Path((account, dispute)): Path<(String, String)>,
) -> Answer {
    let now = Utc::now();
    let sql = format!(
        "select {DOCUMENT_COLUMNS}, cast(s.document_count as bigint) as total from {DOCUMENT_FROM} \
         join disputes s on s.id = d.dispute_id where d.dispute_id = $1 and s.account_id = $2 \
         and s.livemode = $3 and d.created_at >= $4 and d.created_at <= $5 \
         order by d.created_at asc, d.id asc limit $6 offset $7"
    );
    let rows = all!(
        app.db,
        DocumentPageRow,
        &sql,
        [
            &dispute,
            &account,
            false,
            Ts(DateTime::UNIX_EPOCH),
            Ts(now),
            20_i64,
            0_i64
        ]
    )
    .map_err(failed)?;
    let total = rows.first().map_or(0, |r| r.total);
    let data = rows
        .iter()
        .map(|r| app.document(&r.document, now))
        .collect();
    json_response(&ListJson::new(
        data,
        20,
        0,
        total,
        format!("/disputes/{dispute}/documents"),
    ))
}

async fn retrieve_document(
    State(app): State<App>,
    Path((account, dispute, id)): Path<(String, String, String)>,
) -> Answer {
    let sql = format!(
        "select {DOCUMENT_COLUMNS} from {DOCUMENT_FROM} where d.id = $1 and d.dispute_id = $2 \
         and d.account_id = $3 and d.livemode = $4"
    );
    let rows = all!(app.db, DocumentRow, &sql, [&id, &dispute, &account, false]).map_err(failed)?;
    match rows.first() {
        Some(doc) => json_response(&app.document(doc, Utc::now())),
        None => Err((StatusCode::NOT_FOUND, String::new())),
    }
}

// --- files ------------------------------------------------------------------------------------

async fn download(State(app): State<App>, Path(name): Path<String>) -> Answer {
    if name.contains('/') || name.starts_with('.') {
        return Err((StatusCode::NOT_FOUND, String::new()));
    }
    let file = tokio::fs::File::open(app.files.join(&name))
        .await
        .map_err(|e| (StatusCode::NOT_FOUND, e.to_string()))?;
    let size = file.metadata().await.map_err(failed)?.len();
    let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            ),
            (header::CONTENT_LENGTH, HeaderValue::from(size)),
        ],
        body,
    )
        .into_response())
}

/// A new file of the upload directory, kept (bench/run removes the directory at its end), and
/// its name.
async fn upload_file(app: &App) -> Result<(tokio::fs::File, String), (StatusCode, String)> {
    let n = app.uploaded.fetch_add(1, Ordering::Relaxed);
    let name = format!("ceiling-{}-{n}", std::process::id());
    let file = tokio::fs::File::create(app.uploads.join(&name))
        .await
        .map_err(failed)?;
    Ok((file, name))
}

/// The durable end of an upload: the file's data on stable storage, then the directory entry
/// naming it, then its row, committed.
async fn make_durable(
    app: &App,
    file: &tokio::fs::File,
    name: &str,
    size: u64,
    sha256: &str,
) -> Result<(), (StatusCode, String)> {
    file.sync_data().await.map_err(failed)?;
    tokio::fs::File::open(app.uploads.as_ref())
        .await
        .map_err(failed)?
        .sync_all()
        .await
        .map_err(failed)?;
    execute!(
        app.db,
        "insert into bench_ceiling_uploads (name, size, sha256, created_at) values ($1, $2, $3, $4)",
        [name, size as i64, sha256, Utc::now()]
    )
    .map_err(failed)
}

#[derive(Serialize)]
struct Stored {
    object: &'static str,
    size: u64,
    sha256: String,
}

async fn upload(State(app): State<App>, headers: HeaderMap, request: Request) -> Answer {
    store_upload(&app, &headers, request, false).await
}

async fn durable_upload(State(app): State<App>, headers: HeaderMap, request: Request) -> Answer {
    store_upload(&app, &headers, request, true).await
}

async fn store_upload(app: &App, headers: &HeaderMap, request: Request, durable: bool) -> Answer {
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok())
        .ok_or((StatusCode::BAD_REQUEST, "no multipart boundary".to_owned()))?;
    let mut multipart = multer::Multipart::new(request.into_body().into_data_stream(), boundary);
    let mut stored = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?
    {
        if field.name() != Some("file") {
            while field.chunk().await.map_err(failed)?.is_some() {}
            continue;
        }
        let (mut file, name) = upload_file(app).await?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let written = async {
            while let Some(chunk) = field.try_next().await.map_err(failed)? {
                hasher.update(&chunk);
                size += chunk.len() as u64;
                file.write_all(&chunk).await.map_err(failed)?;
            }
            file.flush().await.map_err(failed)
        }
        .await;
        written?;
        let sha256 = hex::encode(hasher.finalize());
        if durable {
            make_durable(app, &file, &name, size, &sha256).await?;
        }
        drop(file);
        stored = Some(Stored {
            object: "upload",
            size,
            sha256,
        });
    }
    match stored {
        Some(stored) => json_response(&stored),
        None => Err((StatusCode::BAD_REQUEST, "no file field".to_owned())),
    }
}

// --- Mangopay ceilings ------------------------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Money<'a> {
    currency: &'a str,
    amount: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MpReason {
    dispute_reason_type: &'static str,
    dispute_reason_message: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MpDispute<'a> {
    id: &'a str,
    tag: Option<&'a str>,
    creation_date: i64,
    initial_transaction_id: Option<&'a str>,
    initial_transaction_type: &'static str,
    initial_transaction_nature: &'static str,
    dispute_type: &'static str,
    contest_deadline_date: Option<i64>,
    disputed_funds: Option<Money<'a>>,
    contested_funds: Option<Money<'a>>,
    status: &'static str,
    status_message: Option<&'a str>,
    dispute_reason: Option<MpReason>,
    result_code: &'static str,
    result_message: Option<&'a str>,
    closed_date: Option<i64>,
    repudiation_id: Option<&'a str>,
}

fn mp_reason(reason: &str) -> &'static str {
    match reason {
        "duplicate" => "DUPLICATE",
        "fraud" => "FRAUD",
        "not_as_described" => "PRODUCT_UNACCEPTABLE",
        "unknown" => "UNKNOWN",
        "conversion_rate" => "REFUND_CONVERSION_RATE",
        "bank_failure_insufficient_funds" => "LATE_FAILURE_INSUFFICIENT_FUNDS",
        "bank_failure_contact_customer" => "LATE_FAILURE_CONTACT_USER",
        "bank_failure_account_closed" => "LATE_FAILURE_BANKACCOUNT_CLOSED",
        "bank_failure_account_incompatible" => "LATE_FAILURE_BANKACCOUNT_INCOMPATIBLE",
        "bank_failure_account_incorrect" => "LATE_FAILURE_BANKACCOUNT_INCORRECT",
        "unauthorised" => "AUTHORISATION_DISPUTED",
        "unrecognised" => "TRANSACTION_NOT_RECOGNIZED",
        "not_received" => "PRODUCT_NOT_PROVIDED",
        "recurring_cancelled" => "CANCELED_REOCCURING_TRANSACTION",
        "refund_missing" => "REFUND_NOT_PROCESSED",
        "counterfeit" => "COUNTERFEIT_PRODUCT",
        "customer_claim" => "CUSTOMER_DISPUTE",
        _ => "OTHER",
    }
}

/// Whether each dispute was reopened and whether its last status change was an escalation,
/// from the server's history statement.
#[derive(Default, Clone, Copy)]
struct Marks {
    reopened: bool,
    with_bank: bool,
}

async fn marks_of(app: &App, ids: &[&str]) -> Result<Vec<(String, Marks)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "select dispute_id, h.detail ->> 'action' from dispute_history h where dispute_id in {} \
         and h.kind = ${} order by h.seq",
        placeholders(1, ids.len()),
        ids.len() + 1
    );
    let rows: Vec<(String, Option<String>)> = all!(
        app.db,
        (String, Option<String>),
        &sql,
        [],
        list ids.iter().copied(),
        then "status_changed"
    )?;
    let mut marks: Vec<(String, Marks)> = Vec::new();
    for (id, action) in rows {
        let at = match marks.iter().position(|(m, _)| *m == id) {
            Some(at) => at,
            None => {
                marks.push((id, Marks::default()));
                marks.len() - 1
            }
        };
        let m = &mut marks[at].1;
        m.reopened |= action.as_deref() == Some("reopen");
        m.with_bank = action.as_deref() == Some("escalate");
    }
    Ok(marks)
}

fn mp_dispute(d: &DisputeRow, marks: Marks) -> MpDispute<'_> {
    let closed = d.status == "won" || d.status == "lost";
    MpDispute {
        id: &d.id,
        tag: d.tag.as_deref(),
        creation_date: d.created_at.0.timestamp(),
        initial_transaction_id: Some(&d.charge_id),
        initial_transaction_type: "PAYIN",
        initial_transaction_nature: "REGULAR",
        dispute_type: match d.dispute_kind.as_str() {
            "final" => "NOT_CONTESTABLE",
            "retrieval" => "RETRIEVAL",
            _ => "CONTESTABLE",
        },
        contest_deadline_date: d.evidence_due_at.map(|t| t.0.timestamp()),
        disputed_funds: Some(Money {
            currency: &d.currency,
            amount: d.amount,
        }),
        contested_funds: d.contested_amount.map(|amount| Money {
            currency: &d.currency,
            amount,
        }),
        status: match d.status.as_str() {
            "awaiting_evidence" if marks.reopened => "REOPENED_PENDING_CLIENT_ACTION",
            "awaiting_evidence" => "PENDING_CLIENT_ACTION",
            "under_review" if marks.with_bank => "PENDING_BANK_ACTION",
            "under_review" => "SUBMITTED",
            _ => "CLOSED",
        },
        status_message: d.admin_message.as_deref().filter(|_| !closed),
        dispute_reason: Some(MpReason {
            dispute_reason_type: mp_reason(&d.reason),
            dispute_reason_message: None,
        }),
        result_code: match d.status.as_str() {
            "won" => "WON",
            "lost" => "LOST",
            _ => "",
        },
        result_message: d.admin_message.as_deref().filter(|_| closed),
        closed_date: d.closed_at.map(|t| t.0.timestamp()),
        repudiation_id: Some(&d.debit_transaction_id),
    }
}

#[derive(Deserialize)]
struct PageParams {
    page: Option<i64>,
    per_page: Option<i64>,
}

async fn mp_list(
    State(app): State<App>,
    Path(account): Path<String>,
    Query(params): Query<PageParams>,
    request: Request,
) -> Answer {
    let (page, per_page) = (params.page.unwrap_or(1), params.per_page.unwrap_or(10));
    let offset = (page - 1) * per_page;
    let rows = page_of(&app, &account, "desc", per_page, offset, Utc::now())
        .await
        .map_err(failed)?;
    let total = rows.first().map_or(0, |r| r.total);
    let ids: Vec<&str> = rows.iter().map(|r| r.dispute.id.as_str()).collect();
    let marks = marks_of(&app, &ids).await.map_err(failed)?;
    let mark = |id: &str| {
        marks
            .iter()
            .find(|(m, _)| m == id)
            .map_or(Marks::default(), |(_, m)| *m)
    };
    let items: Vec<_> = rows
        .iter()
        .map(|r| mp_dispute(&r.dispute, mark(&r.dispute.id)))
        .collect();
    let pages = (total + per_page - 1) / per_page;
    let base = format!("{}{}", app.base_url, request.uri().path());
    let link = |p: i64, rel: &str| format!("<{base}?page={p}&per_page={per_page}>; rel=\"{rel}\"");
    let mut links = vec![link(1, "first")];
    if page > 1 {
        links.push(link((page - 1).min(pages.max(1)), "prev"));
    }
    if page < pages {
        links.push(link(page + 1, "next"));
    }
    links.push(link(pages.max(1), "last"));
    let mut response = json_response(&items)?;
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-number-of-items", total.to_string()),
        ("x-number-of-pages", pages.to_string()),
        ("link", links.join(", ")),
    ] {
        headers.insert(name, HeaderValue::from_str(&value).map_err(failed)?);
    }
    Ok(response)
}

async fn mp_view(State(app): State<App>, Path(id): Path<String>) -> Answer {
    let sql = format!("select {DISPUTE_COLUMNS} from disputes where id = $1");
    let rows = all!(app.db, DisputeRow, &sql, [&id]).map_err(failed)?;
    let Some(d) = rows.first() else {
        return Err((StatusCode::NOT_FOUND, String::new()));
    };
    let marks = marks_of(&app, &[&d.id]).await.map_err(failed)?;
    json_response(&mp_dispute(
        d,
        marks.first().map_or(Marks::default(), |m| m.1),
    ))
}

#[derive(Deserialize)]
struct PageBody {
    #[serde(rename = "File")]
    file: String,
}

async fn mp_page(State(app): State<App>, request: Request) -> Answer {
    store_page(&app, request, false).await
}

async fn durable_mp_page(State(app): State<App>, request: Request) -> Answer {
    store_page(&app, request, true).await
}

async fn store_page(app: &App, request: Request, durable: bool) -> Answer {
    let bytes = axum::body::to_bytes(request.into_body(), 11 * 1024 * 1024)
        .await
        .map_err(|e| (StatusCode::PAYLOAD_TOO_LARGE, e.to_string()))?;
    let body: PageBody =
        serde_json::from_slice(&bytes).map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
    let decoded = STANDARD
        .decode(body.file.as_bytes())
        .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
    let (mut file, name) = upload_file(app).await?;
    let sha256 = Sha256::digest(&decoded);
    let written = async {
        file.write_all(&decoded).await?;
        file.flush().await
    }
    .await;
    written.map_err(failed)?;
    if durable {
        let hex = hex::encode(sha256);
        make_durable(app, &file, &name, decoded.len() as u64, &hex).await?;
    } else {
        std::hint::black_box(sha256);
    }
    drop(file);
    Ok(StatusCode::NO_CONTENT.into_response())
}

mod search;

// --- main -------------------------------------------------------------------------------------

async fn connect(url: &str, max_connections: u32) -> Result<Db, Box<dyn std::error::Error>> {
    if url.starts_with("sqlite:") {
        // As the server's embedded backend (src/store/sqlite.rs).
        let options = url
            .parse::<SqliteConnectOptions>()?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .connect_with(options)
            .await?;
        Ok(Db::Lite(pool))
    } else {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            // As the server: no ping round trip before each checkout.
            .test_before_acquire(false)
            .connect(url)
            .await?;
        Ok(Db::Pg(pool))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let database_url = env("DATABASE_URL").ok_or("DATABASE_URL is required")?;
    let listen_addr = env("LISTEN_ADDR").unwrap_or_else(|| "127.0.0.1:8091".into());
    let max_connections = match env("DATABASE_MAX_CONNECTIONS") {
        Some(n) => n.parse()?,
        None => 16,
    };
    let db = connect(&database_url, max_connections).await?;
    // the durable ceilings' rows, kept with the rest of the database
    let table = "create table if not exists bench_ceiling_uploads (name text primary key, \
                 size bigint not null, sha256 text not null, created_at timestamptz not null)";
    execute!(db, table, [])?;
    let app = App {
        db,
        base_url: env("PUBLIC_BASE_URL")
            .unwrap_or_else(|| format!("http://{listen_addr}"))
            .trim_end_matches('/')
            .into(),
        key: env("SIGNING_SECRET")
            .unwrap_or_else(|| "baseline-signing-secret".into())
            .into_bytes()
            .into(),
        files: Arc::new(
            env("BASELINE_FILES_DIR")
                .unwrap_or_else(|| ".".into())
                .into(),
        ),
        uploads: Arc::new(
            env("BASELINE_UPLOAD_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(std::env::temp_dir),
        ),
        uploaded: Arc::new(AtomicU64::new(0)),
    };
    let router = Router::new()
        .route("/disputes/{id}", get(retrieve_flat))
        .route("/c/{account}/disputes", get(list_disputes))
        .route("/c/{account}/disputes/{id}", get(retrieve_dispute))
        .route("/c/{account}/search", get(search::search))
        .route("/c/none/{id}", get(not_found))
        .route("/c/{account}/disputes/{id}/documents", get(list_documents))
        .route(
            "/c/{account}/disputes/{id}/documents/{doc}",
            get(retrieve_document),
        )
        .route("/c/files/{name}", get(download))
        .route("/c/upload", post(upload))
        .route("/c/mp/{account}/disputes", get(mp_list))
        .route("/c/mp/disputes/{id}", get(mp_view))
        .route("/c/mp/pages", post(mp_page))
        .route("/c/durable/upload", post(durable_upload))
        .route("/c/durable/mp/pages", post(durable_mp_page))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind(&listen_addr).await?;
    axum::serve(listener, router).await?;
    Ok(())
}
