//! Streaming a file into the blob store: counting its bytes against the limits, hashing them and
//! telling the type from the first bytes as they pass. Nothing holds the whole file; a file the
//! rules refuse leaves no blob behind.

use std::fmt::Display;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use super::tee::Tee;
use crate::blobs::Blobs;
use crate::domain::document::SNIFF_LEN;
use crate::domain::{FileRules, FileType};
use crate::store::{Refusal, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the file is not of an accepted type")]
    InvalidFileType,
    #[error("the file is larger than allowed")]
    TooLarge,
    #[error("the file is smaller than allowed")]
    TooSmall,
    #[error("malformed upload: {0}")]
    Body(String),
    #[error("blob store: {0}")]
    Blob(#[from] object_store::Error),
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// clamd found a signature (its name).
    #[error("the file contains malware ({0})")]
    Malware(String),
    /// The file is over clamd's limits, so it could not be scanned to its end.
    #[error("the file is too large to be scanned for malware")]
    TooLargeToScan,
    /// clamd is away, slow or erring: the file was not scanned, so it is not stored.
    #[error("the malware scanner is unavailable: {0}")]
    ScannerUnavailable(#[source] crate::scan::ScanError),
    /// The file is not one a card network accepts (FILES.md §2); the reason is the merchant's.
    #[error("{0}")]
    Unacceptable(#[from] crate::files::Refusal),
}

impl From<StoreError> for UploadError {
    fn from(e: StoreError) -> UploadError {
        UploadError::Refused(Refusal::Store(e))
    }
}

/// A file whose bytes are in the blob store and whose page row is not yet written.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub blob_key: String,
    pub file_type: FileType,
    pub size: i64,
    pub sha256: String,
    /// The clamd engine and signature database that found it clean; `None` unscanned.
    pub scan_engine: Option<String>,
}

/// Streams `body` into a new blob under `rules`. The type is decided from the first bytes,
/// before anything is written; the size limit is enforced as the bytes pass. With a `scanner`,
/// the same chunks go to clamd as they pass, and only a clean file is kept (`Tee`).
pub async fn store_file<S, E>(
    blobs: &Blobs,
    scanner: Option<&crate::scan::Scanner>,
    rules: &FileRules,
    mut body: S,
) -> Result<StoredFile, UploadError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_LEN);
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut file_type = None;
    let blob_key = Blobs::new_key();
    let mut writer: Option<Tee> = None;
    let outcome: Result<(), UploadError> = async {
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| UploadError::Body(e.to_string()))?;
            size += chunk.len() as u64;
            if size > rules.max_size {
                return Err(UploadError::TooLarge);
            }
            hasher.update(&chunk);
            match &mut writer {
                Some(w) => w.write(&chunk).await?,
                None => {
                    head.extend_from_slice(&chunk);
                    if head.len() >= SNIFF_LEN {
                        file_type = Some(rules.accept(&head).ok_or(UploadError::InvalidFileType)?);
                        // Kept before the first write, so that a failed one is aborted below.
                        let w = writer.insert(Tee::open(blobs, scanner, &blob_key).await?);
                        w.write(&std::mem::take(&mut head)).await?;
                    }
                }
            }
        }
        if size < rules.min_size {
            return Err(UploadError::TooSmall);
        }
        Ok(())
    }
    .await;
    let file_type = match (outcome, file_type) {
        (Ok(()), Some(t)) => t,
        // A file shorter than the sniffing window: judge it on what there is.
        (Ok(()), None) => {
            let t = rules.accept(&head).ok_or(UploadError::InvalidFileType)?;
            let mut w = Tee::open(blobs, scanner, &blob_key).await?;
            if let Err(e) = w.write(&head).await {
                let _ = w.abort().await;
                return Err(e);
            }
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
    let scan_engine = writer.finish(blobs, &blob_key).await?;
    Ok(StoredFile {
        blob_key,
        file_type,
        size: size as i64,
        sha256: hex::encode(hasher.finalize()),
        scan_engine,
    })
}

/// Removes a blob that no row will name. A failure leaves it to the sweep.
pub async fn discard(blobs: &Blobs, key: &str) {
    if let Err(e) = blobs.delete(key).await {
        tracing::warn!(blob = %key, error = %e, "could not remove a blob; the sweep will");
    }
}
