//! A page's row: its insert, the page it becomes, and what its history entry says of it.

use serde_json::json;

use super::db::{Sql, Tx};
use super::history::{Entry, append_all_after};
use super::rows::PAGE_COLUMNS;
use super::scope::push_scope;
use super::{Refusal, StoreError};
use crate::domain::document::{NewPage, guard};
use crate::domain::{Actor, DisputeStatus, DocumentStatus, HistoryKind, Id, Page, Scope};

/// The statement that inserts page `position` of `document`, added to `sql`.
pub(super) fn push_page_insert(sql: &mut Sql, document: &Id, position: i64, page: &NewPage) {
    sql.push("insert into pages (")
        .push(PAGE_COLUMNS)
        .push(") values (")
        .bind(document)
        .push(", ")
        .bind(position)
        .push(", ")
        .bind(page.filename.as_str())
        .push(", ")
        .bind(page.file_type.content_type())
        .push(", ")
        .bind(page.size)
        .push(", ")
        .bind(page.sha256.as_str())
        .push(", ")
        .bind(page.blob_key.as_str())
        .push(", ")
        .bind(page.created_at)
        .push(", ")
        .bind(page.file_pages)
        .push(", ")
        .bind(page.scan.as_ref().map(|s| s.at))
        .push(", ")
        .bind(page.scan.as_ref().map(|s| s.engine.as_str()))
        // Never quarantined on the way in: an infected file is not stored at all.
        .push(", null, null)");
}

/// The page a `NewPage` becomes at `position`.
pub(super) fn stored_page(document: &Id, position: i64, page: &NewPage) -> Page {
    Page {
        document: document.clone(),
        position,
        filename: page.filename.clone(),
        content_type: page.file_type.content_type().to_owned(),
        size: page.size,
        sha256: page.sha256.clone(),
        blob_key: page.blob_key.clone(),
        created_at: page.created_at,
        file_pages: Some(page.file_pages),
        scan: page.scan.clone(),
        quarantine: None,
    }
}

pub(super) fn page_detail(position: i64, page: &NewPage) -> serde_json::Value {
    json!({"position": position, "size": page.size, "sha256": page.sha256, "content_type": page.file_type.content_type()})
}

/// Adds `page` to `document` on SQLite, inside `tx`: a write transaction there holds the file's
/// write lock from its `begin`, so what it reads stays true until it commits. The dispute's and
/// the document's states come in one statement and the rest goes in one batch (the count, the
/// page, its history entry and its events): three trips to SQLite's thread between `begin` and
/// `commit` where locking, reading and counting one at a time took five.
pub(super) async fn add_page_lite(
    tx: &mut Tx,
    scope: Option<&Scope>,
    dispute: &Id,
    document: &Id,
    page: &NewPage,
    actor: &Actor,
) -> Result<Page, Refusal> {
    let mut state = Sql::new(
        "select d.status, x.status, x.page_count from disputes d \
         left join documents x on x.id = ",
    );
    state
        .bind(document)
        .push(" and x.dispute_id = d.id where d.id = ")
        .bind(dispute);
    push_scope(&mut state, scope, "d.");
    let row: Option<(String, Option<String>, Option<i64>)> = tx.optional(&state).await?;
    let Some((status, doc_status, pages)) = row else {
        return Err(Refusal::DisputeNotFound);
    };
    let (Some(doc_status), Some(pages)) = (doc_status, pages) else {
        return Err(Refusal::DocumentNotFound);
    };
    let status: DisputeStatus = status.parse().map_err(StoreError::Corrupt)?;
    let doc_status: DocumentStatus = doc_status.parse().map_err(StoreError::Corrupt)?;
    guard(status, Some(doc_status)).map_err(Refusal::Guard)?;
    let position = pages + 1;
    let mut batch = Sql::new("update documents set page_count = ");
    batch
        .bind(position)
        .push(" where id = ")
        .bind(document)
        .push("; ");
    push_page_insert(&mut batch, document, position, page);
    let added = Entry {
        dispute,
        document: Some(document),
        kind: HistoryKind::PageAdded,
        actor,
        detail: page_detail(position, page),
        at: page.created_at,
    };
    append_all_after(tx, Some(batch), [added]).await?;
    Ok(stored_page(document, position, page))
}
