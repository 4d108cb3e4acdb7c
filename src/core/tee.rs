//! One pass, two readers: an upload's chunks go to the blob store and, when `SCAN_URL` is set, to
//! clamd at the same time (FILES.md §3). The blob is completed only once clamd has called the
//! file clean; any other verdict, or no verdict at all, aborts it, so an infected or unscanned
//! file never becomes a blob that a row could name. A clamd that is away, slow or erring refuses
//! the upload (fail closed): the caller answers 503 and the client tries again later.

use crate::blobs::{BlobWriter, Blobs};
use crate::scan::{Scan, ScanError, Scanner, Verdict};

use super::files::{UploadError, discard};

/// Where an upload's chunks go.
pub struct Tee<'a> {
    blob: BlobWriter,
    scan: Option<(Scan<'a>, &'a Scanner)>,
}

impl<'a> Tee<'a> {
    /// Opens the scan first (a clamd that is away refuses the file before a byte is written),
    /// then the blob `key`.
    pub async fn open(
        blobs: &Blobs,
        scanner: Option<&'a Scanner>,
        key: &str,
    ) -> Result<Tee<'a>, UploadError> {
        let scan = match scanner {
            Some(scanner) => Some((scanner.start().await.map_err(unscanned)?, scanner)),
            None => None,
        };
        Ok(Tee {
            blob: blobs.writer(key).await?,
            scan,
        })
    }

    /// Passes a chunk to both, side by side.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), UploadError> {
        let Some((scan, _)) = &mut self.scan else {
            return Ok(self.blob.write(chunk).await?);
        };
        let (written, scanned) = tokio::join!(self.blob.write(chunk), scan.send(chunk));
        written?;
        match scanned.map_err(unscanned)? {
            None => Ok(()),
            // clamd stopped before the end: the file is over its limits.
            Some(verdict) => Err(refusal(verdict)),
        }
    }

    /// Drops the scan and the partial blob.
    pub async fn abort(self) -> object_store::Result<()> {
        self.blob.abort().await
    }

    /// Ends the scan, then completes the blob `key` if clamd found the file clean; the engine
    /// that scanned it, if one did. On any failure nothing is left of the blob.
    pub async fn finish(self, blobs: &Blobs, key: &str) -> Result<Option<String>, UploadError> {
        let engine = match self.scan {
            None => None,
            Some((scan, scanner)) => {
                let cleared = match scan.finish().await {
                    Ok(Verdict::Clean) => scanner.engine().await.map_err(unscanned),
                    Ok(verdict) => Err(refusal(verdict)),
                    Err(e) => Err(unscanned(e)),
                };
                match cleared {
                    Ok(engine) => Some(engine),
                    Err(e) => {
                        let _ = self.blob.abort().await;
                        return Err(e);
                    }
                }
            }
        };
        if let Err(e) = self.blob.finish().await {
            discard(blobs, key).await;
            return Err(e.into());
        }
        Ok(engine)
    }
}

/// The upload's answer to a verdict other than clean.
fn refusal(verdict: Verdict) -> UploadError {
    match verdict {
        Verdict::Found(signature) => {
            tracing::info!(%signature, "an upload was refused: clamd found malware");
            UploadError::Malware(signature)
        }
        Verdict::TooBig(answer) => {
            tracing::warn!(
                clamd = %answer,
                "an upload was refused as too large to scan: clamd's StreamMaxLength, MaxFileSize \
                 and MaxScanSize must be at least the upload limit"
            );
            UploadError::TooLargeToScan
        }
        // Only an answer before the stream's end gets here as clean: not a verdict on the file.
        Verdict::Clean => unscanned(ScanError::Garbled("OK before the end of the stream".into())),
    }
}

/// A file refused because it could not be scanned.
fn unscanned(e: ScanError) -> UploadError {
    tracing::warn!(error = %e, "an upload was refused unscanned: clamd gave no verdict");
    UploadError::ScannerUnavailable(e)
}
