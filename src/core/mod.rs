//! The use cases, each once, over the store, the blob store, the clock and the link signer. Every
//! way in (the dialects, the operator API, the CLI, the seeder) calls these; none builds a store
//! change itself. What a change implies (the closing time, the credit of a won dispute, documents
//! submitted with their dispute, history entries) is decided here or in the store's transaction,
//! never at an edge.

pub mod accounts;
pub mod checks;
pub mod deadlines;
pub mod disputes;
pub mod documents;
pub mod events;
pub mod evidence_links;
pub mod files;
pub mod idempotency;
pub mod magic;
pub mod packet_freeze;
pub mod packets;
pub mod page_counts;
pub mod previews;
pub mod scans;
pub mod search;
pub mod tee;
pub mod test_clock;
pub mod ttl_cache;

use crate::blobs::Blobs;
use crate::domain::Clock;
use crate::signing::Signer;
use crate::store::DynStore;

pub use files::{StoredFile, UploadError};

/// What the use cases need. Cloned for every request that reaches a handler, so a clone is one
/// reference count (the signer's key and the deadline settings are not copied).
#[derive(Clone)]
pub struct Core(std::sync::Arc<Parts>);

/// The parts of the core.
pub struct Parts {
    pub store: DynStore,
    pub blobs: Blobs,
    pub clock: Clock,
    /// Signs the links that let a browser fetch a page's bytes without a key.
    pub signer: Signer,
    /// The evidence period of accounts without their own, in days.
    pub evidence_days: u32,
    /// How long after a test-mode submission its magic decision comes.
    pub test_decision_delay: std::time::Duration,
    /// Reminders and what a passed deadline does.
    pub deadlines: deadlines::DeadlineSettings,
    /// The accounts' test clocks, as this process last read them.
    pub test_clocks: test_clock::TestClocks,
    /// clamd, when `SCAN_URL` is set: every file that comes in is scanned on its way.
    pub scanner: Option<std::sync::Arc<crate::scan::Scanner>>,
    /// What operators watch (off unless the application turns it on).
    pub metrics: crate::metrics::Metrics,
    /// The checks a file passes before it is kept, and its previews, within their bounds.
    pub files: crate::files::Files,
    /// The most a dispute's files may weigh together to be built into a packet, in bytes
    /// (`PACKET_MAX_INPUT_MB`): a build holds them all in memory.
    pub packet_max_input: u64,
    /// Bearer tokens found lately (by their hash), with their key and expiry.
    pub tokens: ttl_cache::TtlCache<
        [u8; 32],
        (
            std::sync::Arc<crate::store::KeyRecord>,
            chrono::DateTime<chrono::Utc>,
        ),
    >,
}

impl Parts {
    /// The parts with every default.
    pub fn new(store: DynStore, blobs: Blobs, clock: Clock, signer: Signer) -> Parts {
        Parts {
            store,
            blobs,
            clock,
            signer,
            evidence_days: 7,
            test_decision_delay: std::time::Duration::ZERO,
            deadlines: deadlines::DeadlineSettings::default(),
            test_clocks: test_clock::TestClocks::new(std::time::Duration::from_secs(5)),
            metrics: crate::metrics::Metrics::default(),
            scanner: None,
            tokens: ttl_cache::TtlCache::new(std::time::Duration::ZERO),
            files: crate::files::Files::default(),
            packet_max_input: crate::config::DEFAULT_PACKET_MAX_INPUT_MB * 1_000_000,
        }
    }
}

impl Core {
    /// A core with every default.
    pub fn new(store: DynStore, blobs: Blobs, clock: Clock, signer: Signer) -> Core {
        Core::from(Parts::new(store, blobs, clock, signer))
    }
}

impl From<Parts> for Core {
    fn from(parts: Parts) -> Core {
        Core(std::sync::Arc::new(parts))
    }
}

impl std::ops::Deref for Core {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}
