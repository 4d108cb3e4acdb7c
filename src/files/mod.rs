//! What a file goes through (FILES.md): the checks card networks would apply, run before a
//! file is kept, and the previews the server renders. Pure functions over bytes (`check`,
//! `preview`), run within a time and memory bound (`bounded`); nothing here knows the store,
//! the blob store or any edge. `samples` makes the small real files the demo fixture and the
//! tests use.

pub mod bounded;
pub mod check;
pub mod preview;
pub mod samples;

use std::time::Duration;

pub use bounded::{Bounds, Interrupted, Reservation};
pub use check::{Checked, Limits, Refusal};
pub use preview::{MAX_SIDE, PreviewError};

use crate::domain::FileType;

/// The memory every check and preview of a process may hold at once, besides what uploads
/// stream through: 32 concurrent 10 MB uploads stay within 64 MiB with this.
pub const MEMORY_BUDGET: u64 = 24 * 1024 * 1024;
/// How long a check may take.
pub const CHECK_TIME: Duration = Duration::from_secs(10);
/// How long a preview may take.
pub const PREVIEW_TIME: Duration = Duration::from_secs(20);

/// The checks and previews of one process, with their limits and shared bounds.
#[derive(Debug, Clone)]
pub struct Files {
    pub limits: Limits,
    checks: Bounds,
    previews: Bounds,
}

impl Default for Files {
    fn default() -> Files {
        Files::new(Limits::default())
    }
}

impl Files {
    pub fn new(limits: Limits) -> Files {
        let checks = Bounds::new(MEMORY_BUDGET, CHECK_TIME);
        // Previews share the checks' budget (one semaphore), with their own time limit.
        let previews = checks.with_time_limit(PREVIEW_TIME);
        Files {
            limits,
            checks,
            previews,
        }
    }

    /// How much memory checking a file of `size` bytes may take: the file itself (read whole:
    /// lopdf parses from memory), for a PDF a second copy at worst (streams with an indirect
    /// length are copied out of it) and the object streams it expands.
    pub fn check_memory(file_type: FileType, size: u64) -> u64 {
        match file_type {
            FileType::Pdf => size
                .saturating_mul(2)
                .saturating_add(check::MAX_LOADED_STREAM as u64),
            _ => size.saturating_add(64 * 1024),
        }
    }

    /// Waits for the memory to check a file of `size` bytes; read the file after this.
    pub async fn reserve_check(&self, file_type: FileType, size: u64) -> Reservation {
        self.checks
            .reserve(Files::check_memory(file_type, size))
            .await
    }

    /// Checks a file within the bounds. A parser's panic, or a check that runs out of time,
    /// is a refusal too.
    pub async fn check(
        &self,
        reservation: Reservation,
        file_type: FileType,
        bytes: impl AsRef<[u8]> + Send + 'static,
    ) -> Result<Checked, Refusal> {
        let limits = self.limits;
        let outcome = self
            .checks
            .run(reservation, move || {
                check::check(file_type, bytes.as_ref(), &limits)
            })
            .await;
        match outcome {
            Ok(verdict) => verdict,
            Err(Interrupted::Panicked) => Err(Refusal::Unreadable),
            Err(Interrupted::TimedOut) => Err(Refusal::TooSlow),
        }
    }

    /// A PDF's page count, read leniently within the bounds (`preview::page_count`).
    pub async fn count_pages(&self, reservation: Reservation, bytes: Vec<u8>) -> Option<u32> {
        self.checks
            .run(reservation, move || preview::page_count(bytes))
            .await
            .ok()
            .flatten()
    }

    /// Waits for the memory to render a preview: all of the budget, as a page's images are
    /// decoded whole, so previews run one at a time and never beside a check.
    pub async fn reserve_preview(&self) -> Reservation {
        self.previews.reserve(self.previews.budget()).await
    }

    /// A PNG of page `page` (from 1) of a file, `MAX_SIDE` pixels at most on its long side.
    pub async fn preview(
        &self,
        reservation: Reservation,
        file_type: FileType,
        bytes: Vec<u8>,
        page: u32,
    ) -> Result<Vec<u8>, PreviewError> {
        let outcome = self
            .previews
            .run(reservation, move || {
                preview::render(file_type, bytes, page, MAX_SIDE)
            })
            .await;
        outcome.unwrap_or(Err(PreviewError::Unreadable))
    }
}
