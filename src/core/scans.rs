//! Malware scanning as the use cases see it (FILES.md §3): receiving a file through clamd (and
//! noting a refusal in the dispute's history), rescanning stored pages after a signature update
//! and quarantining what clamd now finds, and the operator's list of quarantined pages.
//!
//! A rescan walks the pages not scanned since it began (`before`), a batch at a time in key
//! order, each page's bytes streamed from the blob store to clamd (no page held in memory).
//! Every page it clears is stamped with the time and engine, so a run cut short and started
//! again with the same `before` carries on where it stopped, and a run that finished finds
//! nothing left; a page is quarantined once, whatever runs overlap.

use std::fmt::Display;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use serde_json::json;

use super::Core;
use super::files::{StoredFile, UploadError, store_file};
use crate::domain::document::{PageScan, Quarantine};
use crate::domain::{Actor, FileRules, Id, Scope};
use crate::scan::{ScanError, Verdict};
use crate::store::{Cursor, StoreError, StoredPage};

/// Where a file is going and who sends it: what the history says of a refused one.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    pub scope: Option<&'a Scope>,
    pub dispute: &'a Id,
    /// The document it would be a page of, when it exists already.
    pub document: Option<&'a Id>,
    pub filename: &'a str,
    pub actor: &'a Actor,
}

/// Why a rescan stopped.
#[derive(Debug, thiserror::Error)]
pub enum RescanError {
    #[error("SCAN_URL is not set: there is no scanner to rescan with")]
    NoScanner,
    /// clamd gave no verdict: the run stops, to be started again.
    #[error(transparent)]
    Scanner(#[from] ScanError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("blob store: {0}")]
    Blob(#[from] object_store::Error),
}

/// What one batch of a rescan did.
#[derive(Debug, Default)]
pub struct RescanBatch {
    /// Pages clamd looked at (cleared or quarantined).
    pub scanned: u64,
    /// Pages quarantined by this batch.
    pub quarantined: Vec<StoredPage>,
    /// Pages over clamd's limits, left as they were (logged).
    pub too_big: u64,
    /// Pages whose blob is gone, left as they were (logged).
    pub missing: u64,
    /// The last page this batch went past; `None` when there was nothing left.
    pub next: Option<Cursor>,
    /// Pages still to do after it.
    pub remaining: i64,
}

impl Core {
    /// Streams a file into the blob store through clamd (when `SCAN_URL` is set). A file clamd
    /// finds malware in leaves nothing stored but an entry in the dispute's history.
    pub async fn receive_file<S, E>(
        &self,
        arrival: Arrival<'_>,
        rules: &FileRules,
        body: S,
    ) -> Result<StoredFile, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: Display,
    {
        let received = store_file(&self.blobs, self.scanner.as_deref(), rules, body).await;
        if let Err(UploadError::Malware(signature)) = &received {
            let detail = json!({"filename": arrival.filename, "signature": signature});
            let noted = async {
                // On the clock the dispute's history runs on (a test clock, in test mode).
                let (_, now) = self
                    .time_of(arrival.scope, arrival.dispute)
                    .await
                    .map_err(|e| e.to_string())?;
                self.store
                    .note_refused_file(
                        arrival.scope,
                        arrival.dispute,
                        arrival.document,
                        detail,
                        arrival.actor,
                        now,
                    )
                    .await
                    .map_err(|e| e.to_string())
            }
            .await;
            if let Err(e) = noted {
                tracing::warn!(dispute = %arrival.dispute, error = %e,
                    "an infected file was refused, but its history entry was not written");
            }
        }
        received
    }

    /// Rescans up to `limit` pages not scanned since `before`, after `after`: clean ones are
    /// stamped, infected ones quarantined (with their history entry and event).
    pub async fn rescan_batch(
        &self,
        before: DateTime<Utc>,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<RescanBatch, RescanError> {
        let scanner = self.scanner.as_deref().ok_or(RescanError::NoScanner)?;
        let pages = self.store.pages_to_rescan(before, after, limit).await?;
        let mut batch = RescanBatch::default();
        for stored in pages {
            let page = &stored.page;
            batch.next = Some(Cursor {
                document: page.document.clone(),
                position: page.position,
            });
            let verdict = match self.scan_stored(scanner, &page.blob_key).await? {
                Some(verdict) => verdict,
                None => {
                    tracing::warn!(document = %page.document, position = page.position,
                        blob = %page.blob_key, "a rescan skipped a page whose blob is gone");
                    batch.missing += 1;
                    continue;
                }
            };
            let scan = PageScan {
                at: self.clock.now(),
                engine: scanner.engine().await?,
            };
            match verdict {
                Verdict::Clean => {
                    self.store
                        .mark_scanned(&page.document, page.position, &scan)
                        .await?;
                    batch.scanned += 1;
                }
                Verdict::Found(signature) => {
                    let quarantine = Quarantine {
                        at: scan.at,
                        signature,
                    };
                    tracing::warn!(document = %page.document, position = page.position,
                        signature = %quarantine.signature, "a rescan quarantined a page");
                    batch.scanned += 1;
                    if self
                        .store
                        .quarantine_page(&stored, &quarantine, &scan)
                        .await?
                    {
                        let mut quarantined = stored.clone();
                        quarantined.page.quarantine = Some(quarantine);
                        quarantined.page.scan = Some(scan);
                        batch.quarantined.push(quarantined);
                    }
                }
                Verdict::TooBig(answer) => {
                    tracing::warn!(document = %page.document, position = page.position,
                        clamd = %answer, "a rescan skipped a page over clamd's limits: raise \
                        StreamMaxLength, MaxFileSize and MaxScanSize to the upload limit");
                    batch.too_big += 1;
                }
            }
        }
        batch.remaining = self
            .store
            .count_to_rescan(before, batch.next.as_ref())
            .await?;
        Ok(batch)
    }

    /// clamd's verdict on a stored blob, its bytes streamed; `None` when the blob is gone.
    async fn scan_stored(
        &self,
        scanner: &crate::scan::Scanner,
        key: &str,
    ) -> Result<Option<Verdict>, RescanError> {
        let mut chunks = match self.blobs.get_range(key, None).await {
            Ok(chunks) => chunks,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let mut scan = scanner.start().await?;
        while let Some(chunk) = chunks.next().await {
            if let Some(verdict) = scan.send(&chunk?).await? {
                return Ok(Some(verdict));
            }
        }
        Ok(Some(scan.finish().await?))
    }

    /// How many pages a rescan begun at `before` has still to do after `after`.
    pub async fn count_to_rescan(
        &self,
        before: DateTime<Utc>,
        after: Option<&Cursor>,
    ) -> Result<i64, StoreError> {
        self.store.count_to_rescan(before, after).await
    }

    /// Quarantined pages, the latest first: `limit` from `offset`, and how many in all.
    pub async fn quarantined_pages(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<StoredPage>, i64), StoreError> {
        self.store.quarantined_pages(limit, offset).await
    }
}
