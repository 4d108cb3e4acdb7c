//! Disputes: opening one, every status change with all it implies, field updates, reads.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::Core;
use crate::domain::dispute::NewDispute;
use crate::domain::{
    Action, Actor, Dispute, DisputeStatus, Document, HistoryEntry, Id, IdKind, ListPage, ListQuery,
    Marks, Mode, Scope,
};
use crate::store::{Change, DisputeFilter, DisputeUpdate, Refusal, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("charge {0} is already disputed")]
    ChargeDisputed(Id),
    #[error("account {0} was not found")]
    UnknownAccount(Id),
    /// A fixed id (fixtures) is taken.
    #[error("dispute {0} exists already")]
    Exists(Id),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the caller of a status change may write with it.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    pub message: Option<String>,
    /// Replaces the metadata when set.
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub admin_message: Option<String>,
    /// The part of the amount contested.
    pub contested_amount: Option<i64>,
    /// Draft documents go out of date rather than being submitted (the deadline passed).
    pub expire_drafts: bool,
}

impl Core {
    /// Opens a dispute with its debit transaction.
    pub async fn open_dispute(
        &self,
        new: &NewDispute,
        actor: &Actor,
    ) -> Result<Dispute, OpenError> {
        let now = self.now_in(&new.account, new.mode).await?;
        let debit = Id::generate(IdKind::Transaction, new.mode, now.timestamp());
        let mut new = new.clone();
        if new.evidence_due_at.is_none() {
            new.evidence_due_at = Some(
                self.default_deadline(&new.account, self.evidence_days, now)
                    .await?,
            );
        }
        let new = &new;
        match self.store.insert_dispute(new, &debit, actor, now).await {
            Ok(Some(dispute)) => Ok(dispute),
            Ok(None) => Err(OpenError::Exists(new.id.clone().unwrap_or(debit))),
            Err(StoreError::Conflict(_)) => Err(OpenError::ChargeDisputed(new.charge.clone())),
            Err(StoreError::MissingReference(_)) => {
                Err(OpenError::UnknownAccount(new.account.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Applies `action` to a dispute the scope can see (`None`: the operator), with what it
    /// implies: the closing time when it closes, the credit when it is won, the documents
    /// submitted when it leaves "awaiting evidence".
    pub async fn transition(
        &self,
        scope: Option<&Scope>,
        id: &Id,
        action: Action,
        fields: Fields,
        actor: &Actor,
    ) -> Result<Dispute, Refusal> {
        let (mode, now) = self.time_of(scope, id).await?;
        self.transition_at(scope, id, action, fields, actor, Some(mode), now)
            .await
    }

    /// `transition` at a given time (a deadline pass, on the clock it runs on), the dispute's
    /// mode given when the caller knows it.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn transition_at(
        &self,
        scope: Option<&Scope>,
        id: &Id,
        action: Action,
        fields: Fields,
        actor: &Actor,
        mode: Option<Mode>,
        now: DateTime<Utc>,
    ) -> Result<Dispute, Refusal> {
        // A win writes a credit, whose id carries the dispute's mode: read first when unknown.
        let credit_transaction = if action == Action::Win {
            let mode = match mode.or(scope.map(|s| s.mode)) {
                Some(mode) => mode,
                None => {
                    let dispute = self.store.dispute(None, id).await?;
                    dispute.ok_or(Refusal::DisputeNotFound)?.mode
                }
            };
            Some(Id::generate(IdKind::Transaction, mode, now.timestamp()))
        } else {
            None
        };
        let change = Change {
            message: fields.message,
            metadata: fields.metadata,
            admin_message: fields.admin_message,
            contested_amount: fields.contested_amount,
            credit_transaction,
            closed_at: action.closes().then_some(now),
            expire_drafts: fields.expire_drafts,
        };
        let changed = self
            .store
            .transition(scope, id, action, &change, actor, now)
            .await?;
        if action == Action::Submit {
            self.magic_outcome(&changed, actor).await?;
        }
        Ok(changed)
    }

    pub async fn update_dispute(
        &self,
        scope: Option<&Scope>,
        id: &Id,
        update: &DisputeUpdate,
        actor: &Actor,
    ) -> Result<Dispute, Refusal> {
        let (_, now) = self.time_of(scope, id).await?;
        self.store
            .update_dispute(scope, id, update, actor, now)
            .await
    }

    pub async fn dispute(
        &self,
        scope: Option<&Scope>,
        id: &Id,
    ) -> Result<Option<Dispute>, StoreError> {
        self.store.dispute(scope, id).await
    }

    pub async fn dispute_status(
        &self,
        scope: &Scope,
        id: &Id,
    ) -> Result<Option<DisputeStatus>, StoreError> {
        self.store.dispute_status(scope, id).await
    }

    pub async fn list_disputes(
        &self,
        scope: &Scope,
        filter: &DisputeFilter,
        query: &ListQuery,
    ) -> Result<ListPage<Dispute>, StoreError> {
        self.store.list_disputes(scope, filter, query).await
    }

    /// What the history of each of `disputes` tells beyond its status.
    pub async fn marks(&self, disputes: &[&Id]) -> Result<HashMap<Id, Marks>, StoreError> {
        self.store.marks(disputes).await
    }

    /// The first `per_dispute` documents of each dispute that has any, in one query.
    pub async fn first_documents(
        &self,
        disputes: &[&Dispute],
        per_dispute: i64,
    ) -> Result<HashMap<Id, Vec<Document>>, StoreError> {
        let with_documents: Vec<&Id> = disputes
            .iter()
            .filter(|d| d.document_count > 0)
            .map(|d| &d.id)
            .collect();
        if with_documents.is_empty() {
            return Ok(HashMap::new());
        }
        self.store
            .first_documents(&with_documents, per_dispute)
            .await
    }

    pub async fn history(&self, id: &Id) -> Result<Vec<HistoryEntry>, StoreError> {
        self.store.history(id).await
    }
}
