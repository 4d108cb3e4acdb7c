//! The use cases every dialect shares: storing an uploaded file, attaching it to a dispute,
//! deleting a document, opening a dispute. They keep rows and blobs in agreement: the blob is
//! written first under a fresh key, the row second; a row that is refused removes its blob.

use std::fmt::Display;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::blobs::{BlobWriter, Blobs};
use crate::domain::dispute::NewDispute;
use crate::domain::document::{MAX_FILE_SIZE, NewDocument, SNIFF_LEN};
use crate::domain::{Dispute, Document, DocumentKind, FileType, Id, IdKind, Scope};
use crate::store::{Refusal, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the file is not PNG, JPEG or PDF")]
    InvalidFileType,
    #[error("the file is larger than {MAX_FILE_SIZE} bytes")]
    TooLarge,
    #[error("malformed upload: {0}")]
    Body(String),
    #[error("blob store: {0}")]
    Blob(#[from] object_store::Error),
    #[error(transparent)]
    Refused(#[from] Refusal),
}

impl From<StoreError> for UploadError {
    fn from(e: StoreError) -> UploadError {
        UploadError::Refused(Refusal::Store(e))
    }
}

/// A file whose bytes are in the blob store and whose row is not yet written.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub blob_key: String,
    pub file_type: FileType,
    pub size: i64,
    pub sha256: String,
}

/// Streams `body` into a new blob: counting bytes against the limit, hashing them and telling
/// the type from the first bytes as they pass. Nothing holds the whole file; on any failure the
/// partial blob is removed.
pub async fn store_file<S, E>(blobs: &Blobs, mut body: S) -> Result<StoredFile, UploadError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_LEN);
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut file_type = None;
    let blob_key = Blobs::new_key();
    let mut writer: Option<BlobWriter> = None;
    let outcome: Result<(), UploadError> = async {
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| UploadError::Body(e.to_string()))?;
            size += chunk.len() as u64;
            if size > MAX_FILE_SIZE {
                return Err(UploadError::TooLarge);
            }
            hasher.update(&chunk);
            match &mut writer {
                Some(w) => w.write(&chunk).await?,
                None => {
                    head.extend_from_slice(&chunk);
                    if head.len() >= SNIFF_LEN {
                        file_type =
                            Some(FileType::sniff(&head).ok_or(UploadError::InvalidFileType)?);
                        let mut w = blobs.writer(&blob_key).await?;
                        w.write(&std::mem::take(&mut head)).await?;
                        writer = Some(w);
                    }
                }
            }
        }
        Ok(())
    }
    .await;
    let file_type = match (outcome, file_type) {
        (Ok(()), Some(t)) => t,
        // A file shorter than the sniffing window: judge it on what there is.
        (Ok(()), None) => {
            let t = FileType::sniff(&head).ok_or(UploadError::InvalidFileType)?;
            let mut w = blobs.writer(&blob_key).await?;
            w.write(&head).await?;
            writer = Some(w);
            t
        }
        (Err(e), _) => {
            if let Some(w) = writer {
                let _ = w.abort().await;
            }
            return Err(e);
        }
    };
    let writer = writer.expect("a writer exists once the type is known");
    if let Err(e) = writer.finish().await {
        discard(blobs, &blob_key).await;
        return Err(e.into());
    }
    Ok(StoredFile {
        blob_key,
        file_type,
        size: size as i64,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Writes the row for a stored file, only while the dispute is open; a refused row removes
/// the blob.
pub async fn attach(
    state: &AppState,
    scope: &Scope,
    dispute: &Id,
    file: StoredFile,
    filename: String,
    kind: Option<DocumentKind>,
) -> Result<Document, UploadError> {
    let now = state.clock.now();
    let new = NewDocument {
        id: Id::generate(IdKind::Document, scope.mode, now.timestamp()),
        filename,
        kind,
        file_type: file.file_type,
        size: file.size,
        sha256: file.sha256,
        blob_key: file.blob_key,
        created_at: now,
    };
    match state.store.insert_document(scope, dispute, &new).await {
        Ok(doc) => Ok(doc),
        Err(refusal) => {
            discard(&state.blobs, &new.blob_key).await;
            Err(refusal.into())
        }
    }
}

/// Removes a blob that no row will name. A failure leaves it to the sweep.
pub async fn discard(blobs: &Blobs, key: &str) {
    if let Err(e) = blobs.delete(key).await {
        tracing::warn!(blob = %key, error = %e, "could not remove a blob; the sweep will");
    }
}

/// Deletes a document: the row in a guarded transaction, then its blob.
pub async fn delete_document(
    state: &AppState,
    scope: &Scope,
    dispute: &Id,
    id: &Id,
) -> Result<Document, Refusal> {
    let doc = state.store.delete_document(scope, dispute, id).await?;
    discard(&state.blobs, &doc.blob_key).await;
    Ok(doc)
}

/// Opens a dispute with its debit transaction.
pub async fn open_dispute(
    state: &AppState,
    new: &NewDispute,
) -> Result<Option<Dispute>, StoreError> {
    let now = state.clock.now();
    let debit = Id::generate(IdKind::Transaction, new.mode, now.timestamp());
    state.store.insert_dispute(new, &debit, now).await
}
