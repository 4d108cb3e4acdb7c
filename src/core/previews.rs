//! Previews (FILES.md §4): a PNG of a page of a stored file, rendered on first request and kept
//! as a blob named by the file's digest, the size and the page, so a second request costs one
//! read. A preview is derived data: the same bytes give the same preview whichever document
//! holds them, and it can always be made again.

use bytes::Bytes;

use super::Core;
use crate::domain::{FileType, Page};
use crate::files::{MAX_SIDE, PreviewError};

/// Where previews live in the blob store: apart from documents' blobs, which the sweep walks.
const PREVIEWS_PREFIX: &str = "previews";

/// Changes when what a preview looks like changes, so that kept previews and cached copies
/// (through the ETag) are not taken for new ones.
const RENDITION: &str = "r1";

/// A preview, ready to serve.
#[derive(Debug, Clone)]
pub struct Preview {
    pub png: Bytes,
    /// A strong validator: the preview of this page of these bytes never changes.
    pub etag: String,
}

impl Core {
    /// The preview of page `number` (from 1) of `page`'s file: the kept one, or one rendered
    /// now and kept.
    pub async fn preview(&self, page: &Page, number: u32) -> Result<Preview, PreviewError> {
        let file_type =
            FileType::from_content_type(&page.content_type).ok_or(PreviewError::Unreadable)?;
        let known_pages = page.file_pages.and_then(|n| u32::try_from(n).ok());
        if number == 0 || known_pages.is_some_and(|n| number > n) {
            return Err(PreviewError::NoSuchPage(number));
        }
        let key = preview_key(&page.sha256, number);
        let etag = format!("\"{}-{MAX_SIDE}-{number}-{RENDITION}\"", page.sha256);
        if let Some(png) = self.kept_preview(&key).await {
            return Ok(Preview { png, etag });
        }
        let reservation = self.files.reserve_preview().await;
        // Another request may have made it while this one waited for its turn.
        if let Some(png) = self.kept_preview(&key).await {
            return Ok(Preview { png, etag });
        }
        let size = u64::try_from(page.size).unwrap_or_default();
        let bytes = self.blobs.read_whole(&page.blob_key, size)
            .await
            .map_err(|e| {
                tracing::warn!(blob = %page.blob_key, error = %e, "a preview's file cannot be read");
                PreviewError::Unreadable
            })?;
        let png = Bytes::from(
            self.files
                .preview(reservation, file_type, bytes, number)
                .await?,
        );
        if let Err(e) = self.blobs.put(&key, png.clone()).await {
            // Served all the same; the next request renders it again.
            tracing::warn!(blob = %key, error = %e, "a preview could not be kept");
        }
        Ok(Preview { png, etag })
    }

    async fn kept_preview(&self, key: &str) -> Option<Bytes> {
        match self.blobs.read_whole(key, 64 * 1024).await {
            Ok(bytes) => Some(Bytes::from(bytes)),
            Err(object_store::Error::NotFound { .. }) => None,
            Err(e) => {
                tracing::warn!(blob = %key, error = %e, "a kept preview cannot be read");
                None
            }
        }
    }
}

/// The blob of the preview of page `number` of the file whose SHA-256 is `sha256`.
pub fn preview_key(sha256: &str, number: u32) -> String {
    format!("{PREVIEWS_PREFIX}/{sha256}-{MAX_SIDE}-{number}-{RENDITION}.png")
}
