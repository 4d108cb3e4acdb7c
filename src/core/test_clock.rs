//! Test clocks: each account's test mode runs on a clock of its own, which a test key can move
//! forward (as Stripe's test clocks). Every test-mode time follows it: the creation times of new
//! objects and of their events, deadlines and reminders, link expiry. Live mode always runs on
//! the real clock (the core's `Clock`).
//!
//! An account's offset is kept in the store, so that every server process agrees; each process
//! caches it for as long as it caches keys (`AUTH_CACHE_TTL`), and learns its own advances at
//! once.

use chrono::{DateTime, TimeDelta, Utc};

use super::Core;
use super::deadlines::DeadlineSettings;
use super::ttl_cache::TtlCache;
use crate::domain::{Id, Mode, Scope};
use crate::store::{ClockScope, Refusal, StoreError};

/// How many intermediate moments one advance stops at to fire what falls due on the way.
const MAX_STOPS: usize = 1000;

/// The offsets of the accounts' test clocks this process has read, each for `AUTH_CACHE_TTL`.
pub type TestClocks = TtlCache<Id, i64>;

/// The result of moving a test clock.
#[derive(Debug, Clone)]
pub struct Advanced {
    /// The account's test-mode time now.
    pub now: DateTime<Utc>,
    /// How far it runs ahead of the real time.
    pub offset: TimeDelta,
    /// Disputes that a reminder or a deadline changed on the way.
    pub changed: usize,
}

impl Core {
    /// The time in `account`'s `mode`: the real clock in live mode, its test clock in test mode.
    pub async fn now_in(&self, account: &Id, mode: Mode) -> Result<DateTime<Utc>, StoreError> {
        let now = self.clock.now();
        if mode == Mode::Live {
            return Ok(now);
        }
        let offset = match self.test_clocks.get(account) {
            Some(offset) => offset,
            None => {
                let offset = self.store.test_clock(account).await?.unwrap_or(0);
                self.test_clocks.insert(account.clone(), offset);
                offset
            }
        };
        Ok(now + TimeDelta::microseconds(offset))
    }

    /// The time as a scope sees it.
    pub async fn now_for(&self, scope: &Scope) -> Result<DateTime<Utc>, StoreError> {
        self.now_in(&scope.account, scope.mode).await
    }

    /// The mode of a dispute and the time its account's mode runs on: the scope's when given,
    /// else the dispute's own (read for the operator, who has no scope).
    pub(super) async fn time_of(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
    ) -> Result<(Mode, DateTime<Utc>), Refusal> {
        match scope {
            Some(scope) => Ok((scope.mode, self.now_for(scope).await?)),
            None => {
                let found = self.store.dispute(None, dispute).await?;
                let found = found.ok_or(Refusal::DisputeNotFound)?;
                Ok((found.mode, self.now_in(&found.account, found.mode).await?))
            }
        }
    }

    /// An account's test-mode time and how far it runs ahead of the real time; `None` when
    /// there is no such account.
    pub async fn test_clock(
        &self,
        account: &Id,
    ) -> Result<Option<(DateTime<Utc>, TimeDelta)>, StoreError> {
        let Some(offset) = self.store.test_clock(account).await? else {
            return Ok(None);
        };
        self.test_clocks.insert(account.clone(), offset);
        let offset = TimeDelta::microseconds(offset);
        Ok(Some((self.clock.now() + offset, offset)))
    }

    /// Moves an account's test clock forward by `by`, then runs its test disputes' reminders and
    /// deadlines at each moment one falls due on the way, in order, so that jumping a week fires
    /// what a week would have. `None` when there is no such account.
    pub async fn advance_test_clock(
        &self,
        account: &Id,
        by: TimeDelta,
    ) -> Result<Option<Advanced>, StoreError> {
        let micros = by.num_microseconds().unwrap_or(i64::MAX);
        let Some(offset) = self.store.advance_test_clock(account, micros).await? else {
            return Ok(None);
        };
        self.test_clocks.insert(account.clone(), offset);
        let real = self.clock.now();
        let from = real + TimeDelta::microseconds(offset - micros);
        let to = real + TimeDelta::microseconds(offset);
        let changed = self.catch_up(&self.deadlines, account, from, to).await?;
        Ok(Some(Advanced {
            now: to,
            offset: TimeDelta::microseconds(offset),
            changed,
        }))
    }

    /// Runs the deadline passes of `account`'s test disputes at every moment in `(from, to]`
    /// when a reminder or a deadline falls due, and at `to`.
    async fn catch_up(
        &self,
        settings: &DeadlineSettings,
        account: &Id,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let longest = settings.reminders.iter().copied().max().unwrap_or_default();
        let deadlines = self
            .store
            .test_deadlines_between(account, from, to + longest)
            .await?;
        let mut stops: Vec<DateTime<Utc>> = deadlines
            .iter()
            .flat_map(|due| {
                std::iter::once(*due).chain(settings.reminders.iter().map(move |r| *due - *r))
            })
            .filter(|at| *at > from && *at < to)
            .collect();
        stops.sort_unstable();
        stops.dedup();
        stops.truncate(MAX_STOPS);
        stops.push(to);
        let mut changed = 0;
        for at in stops {
            changed += self
                .deadline_pass(settings, at, ClockScope::TestOf(account))
                .await?;
        }
        Ok(changed)
    }
}
