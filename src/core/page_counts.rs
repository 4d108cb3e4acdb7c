//! Page counts of files stored before the checks counted them at upload. The migration that
//! brought the count gave pictures theirs (1); a PDF's is read here, by the sweep, from its
//! blob, leniently (the file was accepted before the checks existed, and is not judged again).

use super::Core;
use crate::domain::{FileType, Id, Page};
use crate::store::StoreError;

/// How many pages are looked up at once.
const BATCH: i64 = 100;

/// What one pass counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counted {
    pub counted: usize,
    /// Files that could not be read: left uncounted, tried again at the next pass.
    pub unreadable: usize,
}

impl Core {
    /// Counts the pages of every stored file that has no count yet, once each.
    pub async fn count_stored_pages(&self) -> Result<Counted, StoreError> {
        let mut done = Counted::default();
        let mut after: Option<(Id, i64)> = None;
        loop {
            let batch = self
                .store
                .uncounted_pages(after.as_ref().map(|(d, p)| (d, *p)), BATCH)
                .await?;
            let Some(last) = batch.last() else {
                return Ok(done);
            };
            after = Some((last.document.clone(), last.position));
            for page in &batch {
                match self.file_pages(page).await {
                    Some(n) => {
                        self.store
                            .set_file_pages(&page.document, page.position, n)
                            .await?;
                        done.counted += 1;
                    }
                    None => {
                        tracing::warn!(blob = %page.blob_key, "a stored file's pages cannot be counted");
                        done.unreadable += 1;
                    }
                }
            }
        }
    }

    async fn file_pages(&self, page: &Page) -> Option<i64> {
        let file_type = FileType::from_content_type(&page.content_type)?;
        if file_type != FileType::Pdf {
            return Some(1);
        }
        let size = u64::try_from(page.size).unwrap_or_default();
        let reservation = self.files.reserve_check(file_type, size).await;
        let bytes = self.blobs.read_whole(&page.blob_key, size).await.ok()?;
        self.files
            .count_pages(reservation, bytes)
            .await
            .map(i64::from)
    }
}
