//! Streaming a file into the blob store: counting its bytes against the limits, hashing them and
//! telling the type from the first bytes as they pass. Nothing holds the whole of a large file
//! (a small one is held, and written in one piece); a file the rules refuse leaves no blob behind.

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

/// Files up to this size are held whole in memory as they arrive and written in one piece
/// (`Blobs::put`: one trip to the blocking pool on a local directory, one request on S3), and
/// their checks read them from memory; a larger one streams through a writer a part at a time
/// and is read back for its checks. The same as one part of a local upload's writer, so a
/// small file holds no more memory than a streamed one's buffer.
pub const HELD_WHOLE: usize = 256 * 1024;

/// A file whose bytes are in the blob store and whose page row is not yet written.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub blob_key: String,
    pub file_type: FileType,
    pub size: i64,
    pub sha256: String,
    /// The clamd engine and signature database that found it clean; `None` unscanned.
    pub scan_engine: Option<String>,
    /// Its bytes, when it was small enough to be held whole (`HELD_WHOLE`).
    pub held: Option<Held>,
}

/// A small file's bytes, kept for its checks; shown by their length alone.
#[derive(Clone)]
pub struct Held(pub Bytes);

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Held({} bytes)", self.0.len())
    }
}

/// Streams `body` into a new blob under `rules`. The type is decided from the first bytes,
/// before anything is written; the size limit is enforced as the bytes pass. With a `scanner`,
/// the same chunks go to clamd as they pass, and only a clean file is kept (`Tee`). Without
/// one, a file of at most `HELD_WHOLE` bytes is written whole once it has all arrived.
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
    // With a scanner every file streams, so that clamd sees it as it arrives.
    let held_whole = if scanner.is_some() { 0 } else { HELD_WHOLE };
    // The bytes not yet written: the sniffing window, or a small file whole.
    let mut held: Vec<u8> = Vec::new();
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
            if let Some(w) = &mut writer {
                w.write(&chunk).await?;
                continue;
            }
            // What of the chunk is not held yet: all of it, once the type is known.
            let mut rest: &[u8] = &chunk;
            if file_type.is_none() {
                held.extend_from_slice(&chunk);
                rest = &[];
                if held.len() < SNIFF_LEN {
                    continue;
                }
                file_type = Some(rules.accept(&held).ok_or(UploadError::InvalidFileType)?);
            }
            if held.len() + rest.len() <= held_whole {
                held.extend_from_slice(rest);
                continue;
            }
            // Too large to hold: what was held goes first, and the file streams from here. The
            // writer is kept before its first write, so that a failed one is aborted below.
            let w = writer.insert(Tee::open(blobs, scanner, &blob_key).await?);
            w.write(&std::mem::take(&mut held)).await?;
            if !rest.is_empty() {
                w.write(rest).await?;
            }
        }
        if size < rules.min_size {
            return Err(UploadError::TooSmall);
        }
        Ok(())
    }
    .await;
    if let Err(e) = outcome {
        if let Some(w) = writer {
            let _ = w.abort().await;
        }
        return Err(e);
    }
    // A file shorter than the sniffing window is judged on what there is.
    let file_type = match file_type {
        Some(t) => t,
        None => rules.accept(&held).ok_or(UploadError::InvalidFileType)?,
    };
    let (scan_engine, held) = match (writer, scanner) {
        (Some(w), _) => (w.finish(blobs, &blob_key).await?, None),
        (None, None) => {
            let bytes = Bytes::from(held);
            if let Err(e) = blobs.put(&blob_key, bytes.clone()).await {
                // Its directory's sync may have failed after the file was in place.
                discard(blobs, &blob_key).await;
                return Err(e.into());
            }
            (None, Some(Held(bytes)))
        }
        // Scanned, and shorter than the sniffing window.
        (None, Some(_)) => {
            let mut w = Tee::open(blobs, scanner, &blob_key).await?;
            if let Err(e) = w.write(&held).await {
                let _ = w.abort().await;
                return Err(e);
            }
            (w.finish(blobs, &blob_key).await?, None)
        }
    };
    Ok(StoredFile {
        blob_key,
        file_type,
        size: size as i64,
        sha256: hex::encode(hasher.finalize()),
        scan_engine,
        held,
    })
}

/// Removes a blob that no row will name. A failure leaves it to the sweep.
pub async fn discard(blobs: &Blobs, key: &str) {
    if let Err(e) = blobs.delete(key).await {
        tracing::warn!(blob = %key, error = %e, "could not remove a blob; the sweep will");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: FileRules = FileRules {
        types: &[FileType::Pdf],
        min_size: 1,
        max_size: 1024 * 1024,
    };

    fn pdf(len: usize) -> Vec<u8> {
        let mut bytes = b"%PDF-1.4\n".to_vec();
        bytes.resize(len, b'x');
        bytes
    }

    /// `bytes` as a body arriving in chunks of 7,000 bytes.
    fn body(bytes: &[u8]) -> impl Stream<Item = Result<Bytes, String>> + Unpin + use<> {
        let chunks: Vec<_> = bytes
            .chunks(7_000)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        futures::stream::iter(chunks)
    }

    async fn stored(blobs: &Blobs, key: &str) -> Vec<u8> {
        blobs.read_whole(key, 0).await.unwrap()
    }

    #[tokio::test]
    async fn a_small_file_is_held_whole_and_stored_whole() {
        let blobs = Blobs::in_memory();
        for len in [9, 100_000, HELD_WHOLE] {
            let bytes = pdf(len);
            let file = store_file(&blobs, None, &RULES, body(&bytes))
                .await
                .unwrap();
            assert_eq!(file.size, len as i64);
            assert_eq!(file.sha256, hex::encode(Sha256::digest(&bytes)));
            assert_eq!(file.held.as_ref().map(|h| &h.0[..]), Some(&bytes[..]));
            assert_eq!(stored(&blobs, &file.blob_key).await, bytes);
            assert_eq!(
                format!("{:?}", file.held.unwrap()),
                format!("Held({len} bytes)")
            );
        }
    }

    #[tokio::test]
    async fn a_larger_file_streams_and_is_not_held() {
        let blobs = Blobs::in_memory();
        let bytes = pdf(HELD_WHOLE + 1);
        // In many chunks, and in one.
        let whole = futures::stream::iter([Ok::<_, String>(Bytes::from(bytes.clone()))]);
        for file in [
            store_file(&blobs, None, &RULES, body(&bytes)).await,
            store_file(&blobs, None, &RULES, whole).await,
        ] {
            let file = file.unwrap();
            assert!(file.held.is_none());
            assert_eq!(file.sha256, hex::encode(Sha256::digest(&bytes)));
            assert_eq!(stored(&blobs, &file.blob_key).await, bytes);
        }
    }

    #[tokio::test]
    async fn a_refused_file_leaves_nothing_held_or_stored() {
        let blobs = Blobs::in_memory();
        let too_large = pdf(RULES.max_size as usize + 1);
        let not_pdf = vec![b'x'; 100];
        let refused = [
            store_file(&blobs, None, &RULES, body(&too_large)).await,
            store_file(&blobs, None, &RULES, body(&not_pdf)).await,
            store_file(&blobs, None, &RULES, body(&[])).await,
        ];
        assert!(matches!(refused[0], Err(UploadError::TooLarge)));
        assert!(matches!(refused[1], Err(UploadError::InvalidFileType)));
        assert!(matches!(refused[2], Err(UploadError::TooSmall)));
        assert_eq!(blobs.keys().await.unwrap(), Vec::<String>::new());
    }
}
