//! The blob sweep: removes blobs that no document row names, and what uploads that never
//! finished (a process killed mid-upload) left behind. Uploads write the blob before the row, so
//! a blob or a partial upload younger than the grace period (`SWEEP_GRACE`) may belong to an
//! upload still in flight and is left alone.

use chrono::{DateTime, TimeDelta, Utc};
use futures::TryStreamExt;

use crate::blobs::Blobs;
use crate::store::DynStore;

const BATCH: usize = 500;

/// What one sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Finished blobs that no document names.
    pub orphans: usize,
    /// Partial uploads: staged files on a local disk, aborted multipart uploads on S3.
    pub partial_uploads: usize,
}

/// Sweeps once what is at least `grace` old at `now`.
pub async fn sweep(
    store: &DynStore,
    blobs: &Blobs,
    now: DateTime<Utc>,
    grace: TimeDelta,
) -> anyhow::Result<Swept> {
    let partial_uploads = blobs.sweep_partial_uploads(now, grace).await?;
    let mut listing = blobs.list();
    let mut batch = Vec::with_capacity(BATCH);
    let mut orphans = 0;
    while let Some(meta) = listing.try_next().await? {
        if now - meta.last_modified >= grace {
            batch.push(meta.location.to_string());
        }
        if batch.len() == BATCH {
            orphans += remove_unreferenced(store, blobs, &mut batch).await?;
        }
    }
    orphans += remove_unreferenced(store, blobs, &mut batch).await?;
    Ok(Swept {
        orphans,
        partial_uploads,
    })
}

async fn remove_unreferenced(
    store: &DynStore,
    blobs: &Blobs,
    batch: &mut Vec<String>,
) -> anyhow::Result<usize> {
    let referenced = store.referenced_blob_keys(batch).await?;
    let mut removed = 0;
    for key in batch.drain(..).filter(|k| !referenced.contains(k)) {
        blobs.delete(&key).await?;
        tracing::info!(blob = %key, "swept a blob no document names");
        removed += 1;
    }
    Ok(removed)
}
