//! The blob sweep: removes blobs that no document row names. Uploads write the blob before the
//! row, so a blob younger than the grace period may belong to an upload still in flight and is
//! left alone.

use chrono::{DateTime, TimeDelta, Utc};
use futures::TryStreamExt;

use crate::blobs::Blobs;
use crate::store::DynStore;

/// Blobs younger than this are never swept.
pub const GRACE: TimeDelta = TimeDelta::minutes(10);

const BATCH: usize = 500;

/// Sweeps once; returns how many blobs were removed.
pub async fn sweep(store: &DynStore, blobs: &Blobs, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let mut listing = blobs.list();
    let mut batch = Vec::with_capacity(BATCH);
    let mut removed = 0;
    while let Some(meta) = listing.try_next().await? {
        if now - meta.last_modified >= GRACE {
            batch.push(meta.location.to_string());
        }
        if batch.len() == BATCH {
            removed += remove_unreferenced(store, blobs, &mut batch).await?;
        }
    }
    removed += remove_unreferenced(store, blobs, &mut batch).await?;
    Ok(removed)
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
