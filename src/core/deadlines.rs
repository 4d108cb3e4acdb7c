//! Evidence deadlines: every dispute has one (set at opening: given, or the account's evidence
//! period from now); reminders go out before it, and when it passes a dispute still awaiting
//! evidence moves on as configured, its unfinished documents going out of date. Run by the
//! delivery worker on every pass, on the core's clock.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use super::Core;
use super::disputes::Fields;
use crate::domain::{Action, Actor, Id};
use crate::store::{ClockScope, Refusal, StoreError};

/// The account preference that holds its evidence period, in days.
pub const EVIDENCE_DAYS_PREFERENCE: &str = "evidence_days";

pub use crate::config::OnDeadline;

/// The deadline settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadlineSettings {
    /// How long before the deadline reminders go out, e.g. 72 h and 24 h.
    pub reminders: Vec<TimeDelta>,
    pub on_deadline: OnDeadline,
}

impl Default for DeadlineSettings {
    /// `EVIDENCE_REMINDERS=72,24`, `ON_DEADLINE=lose`.
    fn default() -> DeadlineSettings {
        DeadlineSettings {
            reminders: vec![TimeDelta::hours(72), TimeDelta::hours(24)],
            on_deadline: OnDeadline::Lose,
        }
    }
}

/// How many disputes one pass handles per step.
const BATCH: i64 = 100;

/// A reminder's name in the history: `72h`.
fn reminder_name(before: TimeDelta) -> String {
    if before.num_seconds() % 3600 == 0 {
        format!("{}h", before.num_hours())
    } else {
        format!("{}s", before.num_seconds())
    }
}

impl Core {
    /// The deadline of a dispute opened at `now` for `account` without one: its evidence
    /// period (or `default_days`) from then.
    pub async fn default_deadline(
        &self,
        account: &Id,
        default_days: u32,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, StoreError> {
        let days = self
            .store
            .preferences(account)
            .await?
            .and_then(|p| p.get(EVIDENCE_DAYS_PREFERENCE).and_then(Value::as_u64))
            .unwrap_or(default_days.into());
        let days = i64::try_from(days).unwrap_or(i64::MAX).min(3650);
        Ok(now + TimeDelta::days(days))
    }

    /// An account's own evidence period: `None` when there is no such account, `Some(None)`
    /// when it has none of its own.
    pub async fn evidence_days(&self, account: &Id) -> Result<Option<Option<u32>>, StoreError> {
        Ok(self.store.preferences(account).await?.map(|p| {
            p.get(EVIDENCE_DAYS_PREFERENCE)
                .and_then(Value::as_u64)
                .and_then(|d| u32::try_from(d).ok())
        }))
    }

    /// Sets an account's evidence period; false when there is no such account.
    pub async fn set_evidence_days(&self, account: &Id, days: u32) -> Result<bool, StoreError> {
        self.store
            .set_preference(account, EVIDENCE_DAYS_PREFERENCE, days.into())
            .await
    }

    /// One pass on every clock: the test-mode disputes of each account whose test clock runs
    /// ahead on that clock, then everything else on the real one. Returns how many disputes it
    /// changed.
    pub async fn run_deadlines(&self, settings: &DeadlineSettings) -> Result<usize, StoreError> {
        let real = self.clock.now();
        let clocked = self.store.clocked_accounts().await?;
        let mut done = 0;
        for (account, offset) in &clocked {
            let now = real + TimeDelta::microseconds(*offset);
            done += self
                .deadline_pass(settings, now, ClockScope::TestOf(account))
                .await?;
        }
        let ahead: Vec<Id> = clocked.into_iter().map(|(account, _)| account).collect();
        done += self
            .deadline_pass(settings, real, ClockScope::RealExcept(&ahead))
            .await?;
        Ok(done)
    }

    /// The reminders due at `now`, then the deadlines passed at `now`, of the disputes `on`
    /// covers. Returns how many disputes it changed.
    pub(super) async fn deadline_pass(
        &self,
        settings: &DeadlineSettings,
        now: DateTime<Utc>,
        on: ClockScope<'_>,
    ) -> Result<usize, StoreError> {
        let mut done = 0;
        let mut reminders = settings.reminders.clone();
        reminders.sort_unstable_by(|a, b| b.cmp(a));
        // Each reminder covers the time down to the next one, so a dispute opened with less
        // time left than a reminder gets only the one that fits.
        for (i, before) in reminders.iter().enumerate() {
            let beyond = reminders.get(i + 1).copied().unwrap_or(TimeDelta::zero());
            let name = reminder_name(*before);
            for id in self
                .store
                .due_for_reminder(now, *before, beyond, &name, BATCH, &on)
                .await?
            {
                if self.store.remind(&id, &name, now).await? {
                    done += 1;
                }
            }
        }
        let (action, expire_drafts) = match settings.on_deadline {
            OnDeadline::Lose => (Action::Concede, true),
            OnDeadline::Submit => (Action::Submit, false),
            OnDeadline::Nothing => return Ok(done),
        };
        for id in self.store.past_deadline(now, BATCH, &on).await? {
            let fields = Fields {
                admin_message: Some("The evidence deadline passed.".into()),
                expire_drafts,
                ..Fields::default()
            };
            match self
                .transition_at(None, &id, action, fields, &Actor::System, None, now)
                .await
            {
                Ok(_) => done += 1,
                // The merchant answered meanwhile.
                Err(Refusal::Transition(_) | Refusal::DisputeNotFound) => {}
                Err(Refusal::Store(e)) => return Err(e),
                Err(other) => return Err(StoreError::Corrupt(other.to_string())),
            }
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminders_are_named_by_hours() {
        assert_eq!(reminder_name(TimeDelta::hours(72)), "72h");
        assert_eq!(reminder_name(TimeDelta::seconds(90)), "90s");
    }
}
