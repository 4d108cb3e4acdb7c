//! The checks of FILES.md §2, as a step of its own between storing a file and writing its row:
//! the bytes were streamed into the blob store, counted, hashed and sniffed (`files`); here they
//! are read back within the process's memory budget (a small file's, held as it arrived, are
//! not) and judged (`crate::files`), and a refused file's blob is removed before the refusal is
//! answered, so nothing of it remains.

use super::Core;
use super::files::{StoredFile, UploadError, discard};
use crate::files::Checked;

impl Core {
    /// Checks a stored file before its row is written. A refused file's blob is removed; so is
    /// one that cannot be read back.
    pub async fn check_stored(&self, file: &StoredFile) -> Result<Checked, UploadError> {
        let size = u64::try_from(file.size).unwrap_or_default();
        // The share of the budget comes first: the bytes are read only once it is held.
        let reservation = self.files.reserve_check(file.file_type, size).await;
        let checked = match &file.held {
            // A small file was held whole as it arrived: no need to read it back.
            Some(held) => {
                let bytes = held.0.clone();
                self.files.check(reservation, file.file_type, bytes).await
            }
            None => match self.blobs.read_whole(&file.blob_key, size).await {
                Ok(bytes) => self.files.check(reservation, file.file_type, bytes).await,
                Err(e) => {
                    discard(&self.blobs, &file.blob_key).await;
                    return Err(e.into());
                }
            },
        };
        match checked {
            Ok(checked) => Ok(checked),
            Err(refusal) => {
                tracing::info!(blob = %file.blob_key, reason = %refusal, "refused a file");
                discard(&self.blobs, &file.blob_key).await;
                Err(refusal.into())
            }
        }
    }
}
