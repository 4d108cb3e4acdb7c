//! On Postgres, the changes an upload and an answer make cost one round trip each: adding a
//! document (with its first page or empty), adding a page, removing a draft, a status change and
//! a dispute's fields. Each calls the function of `migrations/postgres/…_changes_in_one_call.sql`
//! that runs the whole transaction in the server (the status guard, the rows, the history, the
//! events with their snapshots and deliveries), where the statements used to travel one by one.
//! The decisions stay here: the statuses a change needs, the history entries' details, the
//! topics they are told as (`Topic::of`), and why a refused change was refused (`guard`). SQLite
//! runs the same changes statement by statement (`documents.rs`, `disputes.rs`): it has no round
//! trips to save.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::types::Json;

use super::db::{Arg, Backend, Pool, Sql};
use super::pages::{page_detail, stored_page};
use super::rows::{DisputeRow, DocumentRow, PageFileRow};
use super::{Change, DisputeUpdate, Refusal, StoreError};
use crate::domain::document::{NewDocument, NewPage, guard};
use crate::domain::{
    Action, Actor, Dispute, DisputeStatus, Document, DocumentAction, DocumentStatus, GuardError,
    HistoryKind, Id, Mode, Page, Scope, Topic,
};

/// Whether the store's changes go through the functions (on Postgres).
pub fn applies(pool: &Pool) -> bool {
    matches!(pool.backend(), Backend::Pg(_))
}

/// A time as the functions take it in JSON: RFC 3339 with microseconds, as binding one keeps it.
fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// One history entry of a change.
struct Entry<'a> {
    document: Option<&'a Id>,
    kind: HistoryKind,
    detail: Value,
    at: DateTime<Utc>,
}

/// The entries as `dd_append` takes them.
fn entries_json(entries: &[Entry<'_>]) -> Value {
    entries
        .iter()
        .map(|e| json!({"document": e.document.map(Id::as_str), "kind": e.kind.as_str(), "detail": e.detail, "at": at(e.at)}))
        .collect()
}

/// What the entries tell, as `dd_tell` takes it.
fn told_json(entries: &[Entry<'_>]) -> Value {
    entries
        .iter()
        .flat_map(|e| {
            Topic::of(e.kind, &e.detail).into_iter().map(move |topic| {
                json!({"topic": topic.as_str(), "document": e.document.map(Id::as_str), "at": at(e.at)})
            })
        })
        .collect()
}

/// A page as the functions take it.
fn page_json(page: &NewPage) -> Value {
    json!({
        "filename": page.filename,
        "content_type": page.file_type.content_type(),
        "size": page.size,
        "sha256": page.sha256,
        "blob_key": page.blob_key,
        "created_at": at(page.created_at),
        "file_pages": page.file_pages,
        "scanned_at": page.scan.as_ref().map(|s| at(s.at)),
        "scan_engine": page.scan.as_ref().map(|s| s.engine.as_str()),
    })
}

/// `select name(arg, …)`, its arguments bound in order (JSON as `jsonb`, a missing one as null).
struct Call(Sql);

impl Call {
    fn new(name: &str) -> Call {
        Call(Sql::new(&format!("select {name}(")))
    }

    fn arg(mut self, arg: impl Into<Arg>) -> Call {
        self.comma();
        self.0.bind(arg);
        self
    }

    fn json(mut self, value: Option<Value>) -> Call {
        self.comma();
        self.0
            .bind(Arg::Text(value.map(|v| v.to_string())))
            .push("::jsonb");
        self
    }

    /// The caller's account and mode; the operator's view has none.
    fn scope(self, scope: Option<&Scope>) -> Call {
        self.arg(scope.map(|s| s.account.as_str()))
            .arg(scope.is_some_and(|s| s.mode.is_live()))
    }

    fn actor(self, actor: &Actor) -> Call {
        self.arg(actor.kind()).arg(actor.id().map(Id::as_str))
    }

    fn comma(&mut self) {
        if !self.0.text().ends_with('(') {
            self.0.push(", ");
        }
    }

    /// Runs the call: its one JSON answer.
    async fn run<T: for<'de> Deserialize<'de>>(mut self, pool: &Pool) -> Result<T, StoreError> {
        self.0.push(")");
        let (answer,): (Option<Json<Value>>,) = pool.optional(&self.0).await?.unwrap_or((None,));
        let answer = answer.map_or(Value::Null, |j| j.0);
        serde_json::from_value(answer)
            .map_err(|e| StoreError::Corrupt(format!("a change's answer: {e}")))
    }
}

/// Why a function refused a change: the statuses it found (absent: no such row).
#[derive(Deserialize, Default)]
struct Refused {
    status: Option<String>,
    document_status: Option<String>,
}

impl Refused {
    fn status(&self) -> Result<Option<DisputeStatus>, StoreError> {
        self.status
            .as_deref()
            .map(|s| s.parse().map_err(StoreError::Corrupt))
            .transpose()
    }

    fn document_status(&self) -> Result<Option<DocumentStatus>, StoreError> {
        self.document_status
            .as_deref()
            .map(|s| s.parse().map_err(StoreError::Corrupt))
            .transpose()
    }
}

/// The guard's reason, for a change the function refused on the statuses given.
fn guarded(status: DisputeStatus, document: Option<DocumentStatus>) -> Refusal {
    Refusal::Guard(guard(status, document).err().unwrap_or(
        // The status changed back between the refusal and its reading: still refused.
        GuardError::DisputeClosedToEvidence,
    ))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Added {
    Done { live: bool, account: String },
    Refused(Refused),
}

pub async fn insert_document(
    pool: &Pool,
    scope: Option<&Scope>,
    dispute: &Id,
    doc: &NewDocument,
    page: Option<&NewPage>,
    actor: &Actor,
) -> Result<Document, Refusal> {
    let mut entries = vec![Entry {
        document: Some(&doc.id),
        kind: HistoryKind::DocumentAdded,
        detail: json!({"kind": doc.kind.map(|k| k.as_str())}),
        at: doc.created_at,
    }];
    if let Some(page) = page {
        entries.push(Entry {
            document: Some(&doc.id),
            kind: HistoryKind::PageAdded,
            detail: page_detail(1, page),
            at: page.created_at,
        });
    }
    let answer: Added = Call::new("dd_insert_document")
        .arg(dispute)
        .scope(scope)
        .arg(DisputeStatus::AwaitingEvidence.as_str())
        .arg(&doc.id)
        .arg(doc.kind.map(|k| k.as_str()))
        .arg(doc.tag.as_deref())
        .arg(DocumentStatus::Draft.as_str())
        .arg(doc.created_at)
        .json(page.map(page_json))
        .actor(actor)
        .json(Some(entries_json(&entries)))
        .json(Some(told_json(&entries)))
        .run(pool)
        .await?;
    let (live, account) = match answer {
        Added::Done { live, account } => (live, account),
        Added::Refused(refused) => {
            return Err(match refused.status()? {
                None => Refusal::DisputeNotFound,
                Some(status) => guarded(status, None),
            });
        }
    };
    let first_page = page.map(|page| stored_page(&doc.id, 1, page));
    Ok(Document {
        id: doc.id.clone(),
        dispute: dispute.clone(),
        account: Id::from_trusted(account),
        mode: Mode::from_live(live),
        kind: doc.kind,
        tag: doc.tag.clone(),
        status: DocumentStatus::Draft,
        refusal: None,
        processed_at: None,
        created_at: doc.created_at,
        submitted_at: None,
        page_count: i64::from(first_page.is_some()),
        first_page,
    })
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PageAdded {
    Done { position: i64 },
    Refused(Refused),
}

pub async fn add_page(
    pool: &Pool,
    scope: Option<&Scope>,
    dispute: &Id,
    document: &Id,
    page: &NewPage,
    actor: &Actor,
) -> Result<Page, Refusal> {
    // The position is the function's to find; the rest of the entry is said here.
    let mut detail = page_detail(0, page);
    detail.as_object_mut().map(|d| d.remove("position"));
    let told = told_json(&[Entry {
        document: Some(document),
        kind: HistoryKind::PageAdded,
        detail: detail.clone(),
        at: page.created_at,
    }]);
    let answer: PageAdded = Call::new("dd_add_page")
        .arg(dispute)
        .scope(scope)
        .arg(DisputeStatus::AwaitingEvidence.as_str())
        .arg(document)
        .arg(DocumentStatus::Draft.as_str())
        .json(Some(page_json(page)))
        .actor(actor)
        .arg(HistoryKind::PageAdded.as_str())
        .json(Some(detail))
        .json(Some(told))
        .run(pool)
        .await?;
    match answer {
        PageAdded::Done { position } => Ok(stored_page(document, position, page)),
        PageAdded::Refused(refused) => Err(match (refused.status()?, refused.document_status()?) {
            (None, _) => Refusal::DisputeNotFound,
            (Some(_), None) => Refusal::DocumentNotFound,
            (Some(status), document) => guarded(status, document),
        }),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Deleted {
    Done {
        document: Box<DocumentRow>,
        pages: Vec<PageFileRow>,
    },
    Refused(Refused),
}

pub async fn delete_document(
    pool: &Pool,
    scope: &Scope,
    dispute: &Id,
    id: &Id,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(Document, Vec<Page>), Refusal> {
    let entry = Entry {
        document: Some(id),
        kind: HistoryKind::DocumentRemoved,
        // With how many pages went, which the function adds.
        detail: json!({}),
        at: now,
    };
    let told = told_json(std::slice::from_ref(&entry));
    let answer: Deleted = Call::new("dd_delete_document")
        .arg(dispute)
        .scope(Some(scope))
        .arg(DisputeStatus::AwaitingEvidence.as_str())
        .arg(id)
        .arg(DocumentStatus::Draft.as_str())
        .actor(actor)
        .arg(entry.kind.as_str())
        .json(Some(entry.detail))
        .arg(now)
        .json(Some(told))
        .run(pool)
        .await?;
    match answer {
        Deleted::Done { document, pages } => Ok((
            Document::try_from(*document)?,
            pages.into_iter().map(Page::from).collect(),
        )),
        Deleted::Refused(refused) => {
            // In the order the guard is asked: the dispute first, then the document.
            let Some(status) = refused.status()? else {
                return Err(Refusal::DisputeNotFound);
            };
            guard(status, None).map_err(Refusal::Guard)?;
            Err(match refused.document_status()? {
                None => Refusal::DocumentNotFound,
                document => guarded(status, document),
            })
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Changed {
    Done { dispute: Box<DisputeRow> },
    Refused(Refused),
}

pub async fn transition(
    pool: &Pool,
    scope: Option<&Scope>,
    id: &Id,
    action: Action,
    change: &Change,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Dispute, Refusal> {
    let (from, to) = action.edge();
    let fields: Vec<&str> = [
        ("message", change.message.is_some()),
        ("metadata", change.metadata.is_some()),
        ("admin_message", change.admin_message.is_some()),
        ("contested_amount", change.contested_amount.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect();
    let entries = [Entry {
        document: None,
        kind: HistoryKind::StatusChanged,
        detail: json!({"action": action.as_str(), "from": from.as_str(), "to": to.as_str(), "fields": fields}),
        at: now,
    }];
    // When the dispute leaves "awaiting evidence", its drafts go with it, each with its entry.
    let settle = action.submits_documents().then(|| {
        let fate = if change.expire_drafts {
            DocumentAction::Expire
        } else {
            DocumentAction::Submit
        };
        let (draft, settled) = (DocumentStatus::Draft, fate.target());
        let detail =
            json!({"action": fate.as_str(), "from": draft.as_str(), "to": settled.as_str()});
        let topics: Vec<&str> = Topic::of(HistoryKind::DocumentStatusChanged, &detail)
            .into_iter()
            .map(Topic::as_str)
            .collect();
        json!({
            "kind": HistoryKind::DocumentStatusChanged.as_str(),
            "detail": detail,
            "topics": topics,
            "to": settled.as_str(),
            "submitted": fate == DocumentAction::Submit,
        })
    });
    let answer: Changed = Call::new("dd_transition")
        .arg(id)
        .scope(scope)
        .arg(from.as_str())
        .arg(to.as_str())
        .arg(change.message.as_deref())
        .json(change.metadata.clone().map(Value::Object))
        .arg(change.admin_message.as_deref())
        .arg(change.contested_amount)
        .arg(change.credit_transaction.as_ref().map(Id::as_str))
        .arg(change.closed_at)
        .actor(actor)
        .json(Some(entries_json(&entries)))
        .json(Some(told_json(&entries)))
        .arg(DocumentStatus::Draft.as_str())
        .json(settle)
        .arg(now)
        .run(pool)
        .await?;
    match answer {
        Changed::Done { dispute } => Ok(Dispute::try_from(*dispute)?),
        Changed::Refused(refused) => Err(match refused.status()? {
            None => Refusal::DisputeNotFound,
            Some(_) => Refusal::Transition(action.refusal()),
        }),
    }
}

pub async fn update_dispute(
    pool: &Pool,
    scope: Option<&Scope>,
    id: &Id,
    update: &DisputeUpdate,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Dispute, Refusal> {
    let fields: Vec<&str> = update.tag.iter().map(|_| "tag").collect();
    let entries: Vec<Entry<'_>> = (!fields.is_empty())
        .then(|| Entry {
            document: None,
            kind: HistoryKind::Updated,
            detail: json!({ "fields": fields }),
            at: now,
        })
        .into_iter()
        .collect();
    let answer: Option<Changed> = Call::new("dd_update_dispute")
        .arg(id)
        .scope(scope)
        .arg(update.tag.is_some())
        .arg(update.tag.as_ref().and_then(|t| t.as_deref()))
        .actor(actor)
        .json(Some(entries_json(&entries)))
        .json(Some(told_json(&entries)))
        .run(pool)
        .await?;
    match answer {
        Some(Changed::Done { dispute }) => Ok(Dispute::try_from(*dispute)?),
        _ => Err(Refusal::DisputeNotFound),
    }
}
