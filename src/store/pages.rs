//! A page's row: its insert, the page it becomes, and what its history entry says of it.

use serde_json::json;

use super::db::Sql;
use super::rows::PAGE_COLUMNS;
use crate::domain::document::NewPage;
use crate::domain::{Id, Page};

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
