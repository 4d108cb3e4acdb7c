//! The source of "now". Injected so that tests can move time (token expiry) without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

/// Wall-clock time plus an offset that tests can advance. Times are truncated to microseconds,
/// the precision both stores keep.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_micros: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        let offset = TimeDelta::microseconds(self.offset_micros.load(Ordering::Relaxed));
        (Utc::now() + offset).trunc_subsecs(6)
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: TimeDelta) {
        let micros = by.num_microseconds().expect("a test-sized time step");
        self.offset_micros.fetch_add(micros, Ordering::Relaxed);
    }
}
