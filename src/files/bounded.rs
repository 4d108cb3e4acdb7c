//! Running a check or a preview within bounds: off the async workers (`spawn_blocking`), a
//! parser's panic caught and turned into an answer, a time limit, and a memory budget shared by
//! every check and preview of the process. Each piece of work reserves its share of the budget
//! before its file is read into memory and gives it back only when its thread is done, so a
//! check that overran its time still counts until it really stops.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The budget's unit: permits are KiB.
const KIB: u64 = 1024;

/// Why bounded work gave no answer of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Interrupted {
    #[error("the work panicked")]
    Panicked,
    #[error("the work took longer than allowed")]
    TimedOut,
}

/// The shared memory budget and the time limit.
#[derive(Debug, Clone)]
pub struct Bounds {
    memory: Arc<Semaphore>,
    budget_kib: u32,
    time_limit: Duration,
}

/// A share of the memory budget.
#[derive(Debug)]
pub struct Reservation(#[allow(dead_code)] OwnedSemaphorePermit);

impl Bounds {
    /// `budget` bytes shared by all work at once; each piece of work may run `time_limit`.
    pub fn new(budget: u64, time_limit: Duration) -> Bounds {
        let budget_kib = u32::try_from(budget / KIB).unwrap_or(u32::MAX).max(1);
        Bounds {
            memory: Arc::new(Semaphore::new(budget_kib as usize)),
            budget_kib,
            time_limit,
        }
    }

    /// The same budget (shared, not copied) with another time limit.
    pub fn with_time_limit(&self, time_limit: Duration) -> Bounds {
        Bounds {
            time_limit,
            ..self.clone()
        }
    }

    /// The whole budget, in bytes.
    pub fn budget(&self) -> u64 {
        u64::from(self.budget_kib) * KIB
    }

    /// Waits until `bytes` of the budget are free and takes them (all of it, for more than the
    /// budget: such work runs alone).
    pub async fn reserve(&self, bytes: u64) -> Reservation {
        let kib = u32::try_from(bytes.div_ceil(KIB))
            .unwrap_or(u32::MAX)
            .clamp(1, self.budget_kib);
        let permit = self
            .memory
            .clone()
            .acquire_many_owned(kib)
            .await
            .expect("the budget's semaphore is never closed");
        Reservation(permit)
    }

    /// Runs `work` on a blocking thread holding `reservation` until it returns. A panic or the
    /// time limit is `Interrupted`; in the second case the thread runs on, alone with its
    /// reservation, and its result is dropped.
    pub async fn run<T, F>(&self, reservation: Reservation, work: F) -> Result<T, Interrupted>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let task = tokio::task::spawn_blocking(move || {
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(work));
            drop(reservation);
            outcome
        });
        within(self.time_limit, task).await
    }
}

async fn within<T>(
    limit: Duration,
    task: impl Future<Output = Result<std::thread::Result<T>, tokio::task::JoinError>>,
) -> Result<T, Interrupted> {
    match tokio::time::timeout(limit, task).await {
        Ok(Ok(Ok(value))) => Ok(value),
        Ok(Ok(Err(_))) | Ok(Err(_)) => Err(Interrupted::Panicked),
        Err(_) => Err(Interrupted::TimedOut),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_is_an_answer_and_gives_its_share_back() {
        let bounds = Bounds::new(4 * KIB, Duration::from_secs(5));
        let reservation = bounds.reserve(4 * KIB).await;
        let outcome: Result<(), _> = bounds.run(reservation, || panic!("a parser's bug")).await;
        assert_eq!(outcome, Err(Interrupted::Panicked));
        // The whole budget is free again.
        let again = bounds.reserve(4 * KIB).await;
        assert_eq!(bounds.run(again, || 7).await, Ok(7));
    }

    #[tokio::test]
    async fn work_past_its_time_is_answered_and_keeps_its_share_until_it_stops() {
        let bounds = Bounds::new(4 * KIB, Duration::from_millis(50));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let reservation = bounds.reserve(4 * KIB).await;
        let outcome = bounds
            .run(reservation, move || {
                let _ = wait.recv();
            })
            .await;
        assert_eq!(outcome, Err(Interrupted::TimedOut));
        // Still running: its share is not free.
        assert!(bounds.memory.clone().try_acquire_many_owned(1).is_err());
        release.send(()).unwrap();
        let again = bounds.reserve(4 * KIB).await;
        drop(again);
    }

    #[tokio::test]
    async fn shares_add_up_to_the_budget_and_no_more() {
        let bounds = Bounds::new(10 * KIB, Duration::from_secs(5));
        let first = bounds.reserve(6 * KIB).await;
        assert!(bounds.memory.clone().try_acquire_many_owned(5).is_err());
        let second = bounds.memory.clone().try_acquire_many_owned(4);
        assert!(second.is_ok());
        drop((first, second));
        // More than the budget takes all of it.
        let all = bounds.reserve(100 * KIB).await;
        assert_eq!(bounds.memory.available_permits(), 0);
        drop(all);
        assert_eq!(bounds.memory.available_permits(), 10);
    }
}
