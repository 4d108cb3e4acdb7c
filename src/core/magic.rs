//! Magic outcomes in test mode (as Stripe's test evidence): a dispute a test key submits with
//! `winning_evidence` in its message (or in a document's tag) is won, with `losing_evidence`
//! lost — through the same status change as the bank's decision, so its history and events are
//! a real decision's. Immediately, or `TEST_DECISION_DELAY` seconds later (a timer held in the
//! process). Live mode never looks.

use super::Core;
use super::disputes::Fields;
use crate::domain::{Action, Actor, Dispute, Mode};
use futures::future::BoxFuture;

use crate::domain::Id;
use crate::store::Refusal;

pub const WINNING: &str = "winning_evidence";
pub const LOSING: &str = "losing_evidence";

/// The decision a text asks for, if it names one.
pub fn asked(text: &str) -> Option<Action> {
    if text.contains(WINNING) {
        Some(Action::Win)
    } else if text.contains(LOSING) {
        Some(Action::Lose)
    } else {
        None
    }
}

impl Core {
    /// After a merchant's submission: decides a test dispute whose evidence asks for it.
    pub(super) async fn magic_outcome(
        &self,
        submitted: &Dispute,
        actor: &Actor,
    ) -> Result<(), Refusal> {
        if submitted.mode != Mode::Test || !matches!(actor, Actor::Key(_)) {
            return Ok(());
        }
        let mut decision = submitted.message.as_deref().and_then(asked);
        if decision.is_none() {
            let mut documents = self.store.first_documents(&[&submitted.id], 100).await?;
            decision = documents
                .remove(&submitted.id)
                .unwrap_or_default()
                .iter()
                .find_map(|d| d.tag.as_deref().and_then(asked));
        }
        let Some(action) = decision else {
            return Ok(());
        };
        if self.test_decision_delay.is_zero() {
            return decide(self.clone(), submitted.id.clone(), action).await;
        }
        let (core, id, delay) = (self.clone(), submitted.id.clone(), self.test_decision_delay);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if let Err(e) = decide(core, id.clone(), action).await {
                tracing::info!(dispute = %id, error = %e, "a test decision did not apply");
            }
        });
        Ok(())
    }
}

/// The bank's decision, as the operator makes it (boxed: it is a status change made from within
/// one).
fn decide(core: Core, id: Id, action: Action) -> BoxFuture<'static, Result<(), Refusal>> {
    Box::pin(async move {
        let fields = Fields {
            admin_message: Some("Decided by the test evidence.".into()),
            ..Fields::default()
        };
        match core
            .transition(None, &id, action, fields, &Actor::System)
            .await
        {
            // Decided meanwhile.
            Ok(_) | Err(Refusal::Transition(_)) => Ok(()),
            Err(e) => Err(e),
        }
    })
}

impl Core {
    /// Removes an account's test-mode disputes and all that hangs off them (documents and their
    /// blobs, history, events, deliveries) and its test-mode idempotency records; nothing of
    /// live mode, of other accounts, nor the account's keys and endpoints. Returns how many
    /// disputes went.
    pub async fn reset_test_data(&self, account: &Id) -> Result<usize, crate::store::StoreError> {
        let (removed, keys) = self.store.delete_test_data(account).await?;
        for key in keys {
            // A blob left behind is the sweep's to remove; the rows are gone already.
            if let Err(e) = self.blobs.delete(&key).await {
                tracing::warn!(blob = %key, error = %e, "a reset test blob was not removed");
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_evidence_names_the_decision() {
        assert_eq!(asked("see winning_evidence here"), Some(Action::Win));
        assert_eq!(asked("losing_evidence"), Some(Action::Lose));
        assert_eq!(asked("ordinary evidence"), None);
    }
}
