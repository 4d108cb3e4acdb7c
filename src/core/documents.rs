//! Documents and pages: creating a document (with its first page or empty), adding pages,
//! moving a document through its statuses, removing a draft, reads. Rows and blobs stay in
//! agreement: a page's blob is written first under a fresh key, its row second; a row that is
//! refused removes its blob, and a removed document's blobs go after its rows.

use super::Core;
use super::files::{StoredFile, UploadError, discard};
use crate::domain::document::{NewDocument, NewPage, PageScan, ReviewRefusal};
use crate::domain::{
    Actor, Document, DocumentAction, DocumentKind, Id, IdKind, ListPage, ListQuery, Page, Scope,
};
use crate::files::Checked;
use crate::store::{DocumentFilter, Refusal, StoreError};

/// A file on its way to becoming a page.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file: StoredFile,
    /// The name the client gave, for display only.
    pub filename: String,
}

impl Upload {
    /// The page it becomes at `now` (the mode's clock), scanned (if it was) at `real_now`, with
    /// what the checks found.
    fn page(
        self,
        now: chrono::DateTime<chrono::Utc>,
        real_now: chrono::DateTime<chrono::Utc>,
        checked: Checked,
    ) -> NewPage {
        let scan = self.file.scan_engine.map(|engine| PageScan {
            at: real_now,
            engine,
        });
        NewPage {
            file_pages: i64::from(checked.page_count),
            filename: self.filename,
            file_type: self.file.file_type,
            size: self.file.size,
            sha256: self.file.sha256,
            blob_key: self.file.blob_key,
            created_at: now,
            scan,
        }
    }
}

impl Core {
    /// Adds a document to a dispute that awaits evidence, with `first` as its first page when
    /// given. A refused document takes its page's blob with it. `id` fixes the id (fixtures).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_document(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
        id: Option<Id>,
        kind: Option<DocumentKind>,
        tag: Option<String>,
        first: Option<Upload>,
        actor: &Actor,
    ) -> Result<Document, UploadError> {
        let checked = match &first {
            Some(upload) => Some(self.check_stored(&upload.file).await?),
            None => None,
        };
        let (mode, now) = self.time_of(scope, dispute).await?;
        let doc = NewDocument {
            id: id.unwrap_or_else(|| Id::generate(IdKind::Document, mode, now.timestamp())),
            kind,
            tag,
            created_at: now,
        };
        let page = first
            .zip(checked)
            .map(|(upload, c)| upload.page(now, self.clock.now(), c));
        let created = self
            .store
            .insert_document(scope, dispute, &doc, page.as_ref(), actor)
            .await;
        match created {
            Ok(doc) => Ok(doc),
            Err(refusal) => {
                if let Some(page) = page {
                    discard(&self.blobs, &page.blob_key).await;
                }
                Err(refusal.into())
            }
        }
    }

    /// Adds a page to a draft document; a refused page takes its blob with it.
    pub async fn add_page(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
        document: &Id,
        upload: Upload,
        actor: &Actor,
    ) -> Result<Page, UploadError> {
        let checked = self.check_stored(&upload.file).await?;
        let (_, now) = self.time_of(scope, dispute).await?;
        let page = upload.page(now, self.clock.now(), checked);
        match self
            .store
            .add_page(scope, dispute, document, &page, actor)
            .await
        {
            Ok(page) => Ok(page),
            Err(refusal) => {
                discard(&self.blobs, &page.blob_key).await;
                Err(refusal.into())
            }
        }
    }

    /// Submits, validates, refuses or expires a document.
    pub async fn document_transition(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
        document: &Id,
        action: DocumentAction,
        refusal: Option<&ReviewRefusal>,
        actor: &Actor,
    ) -> Result<Document, Refusal> {
        let (_, now) = self.time_of(scope, dispute).await?;
        self.store
            .document_transition(scope, dispute, document, action, refusal, actor, now)
            .await
    }

    /// Sets or clears a document's tag.
    pub async fn set_document_tag(
        &self,
        scope: &Scope,
        dispute: &Id,
        document: &Id,
        tag: Option<&str>,
        actor: &Actor,
    ) -> Result<Document, Refusal> {
        let now = self.now_for(scope).await?;
        self.store
            .set_document_tag(scope, dispute, document, tag, actor, now)
            .await
    }

    /// Removes a draft document: its rows in a guarded transaction, then its pages' blobs.
    pub async fn delete_document(
        &self,
        scope: &Scope,
        dispute: &Id,
        id: &Id,
        actor: &Actor,
    ) -> Result<Document, Refusal> {
        let now = self.now_for(scope).await?;
        let (doc, pages) = self
            .store
            .delete_document(scope, dispute, id, actor, now)
            .await?;
        for page in &pages {
            discard(&self.blobs, &page.blob_key).await;
        }
        Ok(doc)
    }

    pub async fn document(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
        id: &Id,
    ) -> Result<Option<Document>, StoreError> {
        self.store.document(scope, dispute, id).await
    }

    pub async fn list_documents(
        &self,
        scope: &Scope,
        dispute: &Id,
        query: &ListQuery,
    ) -> Result<Option<ListPage<Document>>, StoreError> {
        self.store.list_documents(scope, dispute, query).await
    }

    pub async fn search_documents(
        &self,
        scope: &Scope,
        dispute: Option<&Id>,
        filter: &DocumentFilter,
        query: &ListQuery,
    ) -> Result<ListPage<Document>, StoreError> {
        self.store
            .search_documents(scope, dispute, filter, query)
            .await
    }

    /// A document by its id alone, as the scope sees it (`None`: the operator, or a signed
    /// link).
    pub async fn document_by_id(
        &self,
        scope: Option<&Scope>,
        id: &Id,
    ) -> Result<Option<Document>, StoreError> {
        self.store.document_by_id(scope, id).await
    }

    pub async fn pages(&self, document: &Id) -> Result<Vec<Page>, StoreError> {
        self.store.pages(document).await
    }
}
