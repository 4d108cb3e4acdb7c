//! Disputes: opening, reading, listing, status changes (with what they do to documents), and the
//! history. Lists take their total from `dispute_counts`, kept by the same transactions that open
//! disputes and change their statuses, so a list's cost does not grow with the account.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::changes_pg;
use super::db::{Arg, Sql, Tx};
use super::dispute_lists::{DEFERRED_JOIN_OFFSET, count_status, push_total, push_where};
use super::history::{Entry, append, append_all};
use super::rows::{DISPUTE_COLUMNS, DisputeRow, HistoryRow, PageRow};
use super::scope::{direction, push_scope};
use super::ts::Ts;
use super::{
    Change, ClockScope, DisputeFilter, DisputeUpdate, Disputes, Refusal, SqlStore, StoreError,
};
use crate::domain::dispute::NewDispute;
use crate::domain::{
    Action, Actor, Dispute, DisputeStatus, DocumentAction, DocumentStatus, HistoryEntry,
    HistoryKind, Id, ListPage, ListQuery, Marks, Scope,
};

fn dispute(row: DisputeRow) -> Result<Dispute, StoreError> {
    Dispute::try_from(row)
}

impl SqlStore {
    pub(super) async fn status_of(
        &self,
        scope: Option<&Scope>,
        id: &Id,
    ) -> Result<Option<DisputeStatus>, StoreError> {
        let mut sql = Sql::new("select status from disputes where id = ");
        sql.bind(id);
        push_scope(&mut sql, scope, "");
        let status: Option<(String,)> = self.pool.optional(&sql).await?;
        status
            .map(|(s,)| s.parse().map_err(StoreError::Corrupt))
            .transpose()
    }
}

#[async_trait]
impl Disputes for SqlStore {
    async fn insert_dispute(
        &self,
        new: &NewDispute,
        debit: &Id,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Option<Dispute>, StoreError> {
        let id = new.id.clone().unwrap_or_else(|| {
            Id::generate(crate::domain::IdKind::Dispute, new.mode, now.timestamp())
        });
        let mut tx = self.pool.begin_write().await?;
        let mut sql = Sql::new(
            "insert into disputes (id, account_id, livemode, charge_id, amount, currency, funding_amount, \
             funding_currency, status, reason, dispute_kind, evidence_due_at, debit_transaction_id, created_at) values (",
        );
        sql.bind(&id)
            .push(", ")
            .bind(&new.account)
            .push(", ")
            .bind(new.mode.is_live())
            .push(", ")
            .bind(&new.charge)
            .push(", ")
            .bind(new.amount)
            .push(", ")
            .bind(new.currency.as_str())
            .push(", ")
            .bind(new.amount)
            .push(", ")
            .bind(new.currency.as_str())
            .push(", ")
            .bind(DisputeStatus::AwaitingEvidence.as_str())
            .push(", ")
            .bind(new.reason.as_str())
            .push(", ")
            .bind(new.kind.as_str())
            .push(", ")
            .bind(new.evidence_due_at)
            .push(", ")
            .bind(debit)
            .push(", ")
            .bind(now)
            .push(") on conflict (id) do nothing returning ")
            .push(DISPUTE_COLUMNS);
        let Some(row) = tx.optional::<DisputeRow>(&sql).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        let opened = dispute(row)?;
        count_status(&mut tx, &opened, opened.status, 1).await?;
        let detail = json!({"amount": new.amount, "currency": new.currency, "reason": new.reason.as_str(), "kind": new.kind.as_str()});
        append(
            &mut tx,
            Entry {
                dispute: &opened.id,
                document: None,
                kind: HistoryKind::Opened,
                actor,
                detail,
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Some(opened))
    }

    async fn dispute(&self, scope: Option<&Scope>, id: &Id) -> Result<Option<Dispute>, StoreError> {
        let mut sql = Sql::new("select ");
        sql.push(DISPUTE_COLUMNS)
            .push(" from disputes where id = ")
            .bind(id);
        push_scope(&mut sql, scope, "");
        let row: Option<DisputeRow> = self.pool.optional(&sql).await?;
        row.map(dispute).transpose()
    }

    async fn list_disputes(
        &self,
        scope: &Scope,
        filter: &DisputeFilter,
        query: &ListQuery,
    ) -> Result<ListPage<Dispute>, StoreError> {
        // One statement: the page, and the list's total as a column (an uncorrelated subquery,
        // evaluated once), so an empty page carries none.
        let dir = direction(query.order);
        let order = format!(" order by created_at {dir}, id {dir}");
        let mut sql = Sql::new("select ");
        sql.push(DISPUTE_COLUMNS).push(", (");
        push_total(&mut sql, scope, filter, query);
        sql.push(") as total from disputes where ");
        let deferred = query.offset >= DEFERRED_JOIN_OFFSET;
        if deferred {
            sql.push("id in (select id from disputes where ");
        }
        push_where(&mut sql, scope, filter, query);
        sql.push(&order)
            .push(" limit ")
            .bind(query.limit)
            .push(" offset ")
            .bind(query.offset);
        if deferred {
            sql.push(")").push(&order);
        }
        let rows: Vec<PageRow> = self.pool.all(&sql).await?;
        let total = match rows.first() {
            Some(row) => row.total,
            None if query.offset == 0 => 0,
            None => {
                let mut count = Sql::default();
                push_total(&mut count, scope, filter, query);
                let (total,): (i64,) = self.pool.optional(&count).await?.unwrap_or_default();
                total
            }
        };
        let items = rows
            .into_iter()
            .map(|r| dispute(r.dispute))
            .collect::<Result<_, _>>()?;
        Ok(ListPage { items, total })
    }

    async fn transition(
        &self,
        scope: Option<&Scope>,
        id: &Id,
        action: Action,
        change: &Change,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Dispute, Refusal> {
        if changes_pg::applies(&self.pool) {
            return changes_pg::transition(&self.pool, scope, id, action, change, actor, now).await;
        }
        let (from, to) = action.edge();
        let mut sql = Sql::new("update disputes set status = ");
        sql.bind(to.as_str());
        let mut fields = Vec::new();
        if let Some(message) = &change.message {
            sql.push(", message = ").bind(message.as_str());
            fields.push("message");
        }
        if let Some(metadata) = &change.metadata {
            sql.push(", metadata = ")
                .bind(Arg::Json(Value::Object(metadata.clone())));
            fields.push("metadata");
        }
        if let Some(note) = &change.admin_message {
            sql.push(", admin_message = ").bind(note.as_str());
            fields.push("admin_message");
        }
        if let Some(amount) = change.contested_amount {
            sql.push(", contested_amount = ").bind(amount);
            fields.push("contested_amount");
        }
        if let Some(credit) = &change.credit_transaction {
            sql.push(", credit_transaction_id = ").bind(credit);
        }
        sql.push(", closed_at = ")
            .bind(change.closed_at)
            .push(" where id = ")
            .bind(id)
            .push(" and status = ")
            .bind(from.as_str());
        push_scope(&mut sql, scope, "");
        sql.push(" returning ").push(DISPUTE_COLUMNS);

        let mut tx = self.pool.begin_write().await?;
        let Some(row) = tx.optional::<DisputeRow>(&sql).await? else {
            tx.rollback().await?;
            return Err(match self.status_of(scope, id).await? {
                None => Refusal::DisputeNotFound,
                Some(_) => Refusal::Transition(action.refusal()),
            });
        };
        let changed = dispute(row)?;
        count_status(&mut tx, &changed, from, -1).await?;
        count_status(&mut tx, &changed, to, 1).await?;
        let detail = json!({"action": action.as_str(), "from": from.as_str(), "to": to.as_str(), "fields": fields});
        append(
            &mut tx,
            Entry {
                dispute: id,
                document: None,
                kind: HistoryKind::StatusChanged,
                actor,
                detail,
                at: now,
            },
        )
        .await?;
        if action.submits_documents() {
            let fate = if change.expire_drafts {
                DocumentAction::Expire
            } else {
                DocumentAction::Submit
            };
            settle_drafts(&mut tx, id, fate, actor, now).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    async fn update_dispute(
        &self,
        scope: Option<&Scope>,
        id: &Id,
        update: &DisputeUpdate,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Dispute, Refusal> {
        if changes_pg::applies(&self.pool) {
            return changes_pg::update_dispute(&self.pool, scope, id, update, actor, now).await;
        }
        let mut sql = Sql::new("update disputes set id = id");
        let mut fields = Vec::new();
        if let Some(tag) = &update.tag {
            sql.push(", tag = ").bind(tag.as_deref());
            fields.push("tag");
        }
        sql.push(" where id = ").bind(id);
        push_scope(&mut sql, scope, "");
        sql.push(" returning ").push(DISPUTE_COLUMNS);
        let mut tx = self.pool.begin_write().await?;
        let Some(row) = tx.optional::<DisputeRow>(&sql).await? else {
            tx.rollback().await?;
            return Err(Refusal::DisputeNotFound);
        };
        if !fields.is_empty() {
            append(
                &mut tx,
                Entry {
                    dispute: id,
                    document: None,
                    kind: HistoryKind::Updated,
                    actor,
                    detail: json!({ "fields": fields }),
                    at: now,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(dispute(row)?)
    }

    async fn dispute_status(
        &self,
        scope: &Scope,
        id: &Id,
    ) -> Result<Option<DisputeStatus>, StoreError> {
        self.status_of(Some(scope), id).await
    }

    async fn marks(&self, disputes: &[&Id]) -> Result<HashMap<Id, Marks>, StoreError> {
        if disputes.is_empty() {
            return Ok(HashMap::new());
        }
        let mut sql = Sql::new(
            "select dispute_id, h.detail ->> 'action' from dispute_history h where dispute_id in ",
        );
        sql.bind_list(disputes.iter().copied())
            .push(" and h.kind = ")
            .bind(HistoryKind::StatusChanged.as_str())
            .push(" order by h.seq");
        let rows: Vec<(String, Option<String>)> = self.pool.all(&sql).await?;
        let mut actions: HashMap<Id, Vec<String>> = HashMap::new();
        for (id, action) in rows {
            actions
                .entry(Id::from_trusted(id))
                .or_default()
                .push(action.unwrap_or_default());
        }
        Ok(actions
            .into_iter()
            .map(|(id, list)| (id, Marks::from_actions(list.iter().map(String::as_str))))
            .collect())
    }

    async fn history(&self, dispute: &Id) -> Result<Vec<HistoryEntry>, StoreError> {
        let mut sql = Sql::new(
            "select seq, dispute_id, document_id, kind, actor_kind, actor_id, detail, created_at \
             from dispute_history where dispute_id = ",
        );
        sql.bind(dispute).push(" order by seq");
        let rows: Vec<HistoryRow> = self.pool.all(&sql).await?;
        rows.into_iter().map(HistoryEntry::try_from).collect()
    }

    async fn due_for_reminder(
        &self,
        now: DateTime<Utc>,
        within: TimeDelta,
        beyond: TimeDelta,
        reminder: &str,
        limit: i64,
        on: &ClockScope<'_>,
    ) -> Result<Vec<Id>, StoreError> {
        let mut sql = Sql::new("select id from disputes where status = ");
        sql.bind(DisputeStatus::AwaitingEvidence.as_str());
        push_clock_scope(&mut sql, on);
        sql.push(" and evidence_due_at > ")
            .bind(now + beyond)
            .push(" and evidence_due_at <= ")
            .bind(now + within)
            .push(" and not exists (select 1 from dispute_history h where h.dispute_id = disputes.id and h.kind = ")
            .bind(HistoryKind::DeadlineNear.as_str())
            .push(" and h.detail ->> 'reminder' = ")
            .bind(reminder)
            .push(") order by evidence_due_at limit ")
            .bind(limit);
        let rows: Vec<(String,)> = self.pool.all(&sql).await?;
        Ok(rows.into_iter().map(|(id,)| Id::from_trusted(id)).collect())
    }

    async fn remind(
        &self,
        dispute: &Id,
        reminder: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin_write().await?;
        let mut sql = Sql::new("select evidence_due_at from disputes where id = ");
        sql.bind(dispute)
            .push(" and status = ")
            .bind(DisputeStatus::AwaitingEvidence.as_str())
            .push(self.pool.lock_rows());
        let Some((Some(due),)) = tx.optional::<(Option<Ts>,)>(&sql).await? else {
            tx.rollback().await?;
            return Ok(false);
        };
        append(
            &mut tx,
            Entry {
                dispute,
                document: None,
                kind: HistoryKind::DeadlineNear,
                actor: &Actor::System,
                detail: json!({"reminder": reminder, "evidence_due_at": due.0}),
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn delete_test_data(&self, account: &Id) -> Result<(usize, Vec<String>), StoreError> {
        let mut tx = self.pool.begin_write().await?;
        let scoped = |sql: &mut Sql| {
            sql.bind(account).push(" and livemode = ").bind(false);
        };
        if !tx.is_lite() {
            // Every change to a dispute holds its row, and every row written for it (a packet's
            // history entry, say) shares it: held here first, those in flight finish before the
            // rows go, and those after wait and then find no dispute. Without it a history entry
            // committed between the deletes below broke the last one's reference (a 500). On
            // SQLite the write lock already keeps every other writer out.
            let mut hold =
                Sql::new("select count(*) from (select 1 from disputes where account_id = ");
            scoped(&mut hold);
            hold.push(" order by id for update) held");
            tx.all::<(i64,)>(&hold).await?;
        }
        let mut keys = Sql::new(
            "select p.blob_key from pages p join documents d on d.id = p.document_id where d.account_id = ",
        );
        keys.bind(account).push(" and d.livemode = ").bind(false);
        let keys: Vec<(String,)> = tx.all(&keys).await?;
        let of_disputes = "(select id from disputes where account_id = ";
        for (table, column) in [
            (
                "webhook_attempts",
                "delivery_seq in (select seq from webhook_deliveries where event_id in (select id from events where dispute_id in ",
            ),
            (
                "webhook_deliveries",
                "event_id in (select id from events where dispute_id in ",
            ),
            ("events", "dispute_id in "),
            ("dispute_history", "dispute_id in "),
            (
                "pages",
                "document_id in (select id from documents where dispute_id in ",
            ),
            ("documents", "dispute_id in "),
        ] {
            let mut sql = Sql::new("delete from ");
            sql.push(table)
                .push(" where ")
                .push(column)
                .push(of_disputes);
            scoped(&mut sql);
            sql.push(")");
            for _ in 0..column.matches("(select").count() {
                sql.push(")");
            }
            tx.execute(&sql).await?;
        }
        let mut disputes = Sql::new("delete from disputes where account_id = ");
        scoped(&mut disputes);
        let removed = tx.execute(&disputes).await?;
        for table in ["dispute_counts", "idempotency_keys"] {
            let mut sql = Sql::new("delete from ");
            sql.push(table).push(" where account_id = ");
            scoped(&mut sql);
            tx.execute(&sql).await?;
        }
        // A clean slate runs on the real clock again.
        let mut clock = Sql::new("update accounts set test_clock_offset = 0 where id = ");
        clock.bind(account);
        tx.execute(&clock).await?;
        tx.commit().await?;
        let removed = usize::try_from(removed).unwrap_or(usize::MAX);
        Ok((removed, keys.into_iter().map(|(k,)| k).collect()))
    }

    async fn test_deadlines_between(
        &self,
        account: &Id,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, StoreError> {
        let mut sql = Sql::new("select evidence_due_at from disputes where status = ");
        sql.bind(DisputeStatus::AwaitingEvidence.as_str());
        push_clock_scope(&mut sql, &ClockScope::TestOf(account));
        sql.push(" and evidence_due_at > ")
            .bind(from)
            .push(" and evidence_due_at <= ")
            .bind(to)
            .push(" order by evidence_due_at");
        let rows: Vec<(Ts,)> = self.pool.all(&sql).await?;
        Ok(rows.into_iter().map(|(due,)| due.0).collect())
    }

    async fn past_deadline(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        on: &ClockScope<'_>,
    ) -> Result<Vec<Id>, StoreError> {
        let mut sql = Sql::new("select id from disputes where status = ");
        sql.bind(DisputeStatus::AwaitingEvidence.as_str());
        push_clock_scope(&mut sql, on);
        sql.push(" and evidence_due_at <= ")
            .bind(now)
            .push(" order by evidence_due_at limit ")
            .bind(limit);
        let rows: Vec<(String,)> = self.pool.all(&sql).await?;
        Ok(rows.into_iter().map(|(id,)| Id::from_trusted(id)).collect())
    }
}

/// `and …`: the disputes whose time is the clock of `on`.
fn push_clock_scope(sql: &mut Sql, on: &ClockScope<'_>) {
    match on {
        ClockScope::RealExcept(accounts) => {
            for account in *accounts {
                sql.push(" and not (account_id = ")
                    .bind(account)
                    .push(" and livemode = ")
                    .bind(false)
                    .push(")");
            }
        }
        ClockScope::TestOf(account) => {
            sql.push(" and account_id = ")
                .bind(*account)
                .push(" and livemode = ")
                .bind(false);
        }
    }
}

/// Moves a dispute's draft documents on as its status changes: submitted with it, or out of
/// date when its deadline passed; each in the history (and so told as an event).
async fn settle_drafts(
    tx: &mut Tx,
    dispute: &Id,
    action: DocumentAction,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let (draft, to) = (DocumentStatus::Draft, action.target());
    let mut drafts = Sql::new("select id from documents where dispute_id = ");
    drafts
        .bind(dispute)
        .push(" and status = ")
        .bind(draft.as_str())
        .push(" order by created_at, id");
    let ids: Vec<(String,)> = tx.all(&drafts).await?;
    if ids.is_empty() {
        return Ok(());
    }
    let ids: Vec<Id> = ids.into_iter().map(|(id,)| Id::from_trusted(id)).collect();
    let detail = json!({"action": action.as_str(), "from": draft.as_str(), "to": to.as_str()});
    append_all(
        tx,
        ids.iter().map(|doc| Entry {
            dispute,
            document: Some(doc),
            kind: HistoryKind::DocumentStatusChanged,
            actor,
            detail: detail.clone(),
            at: now,
        }),
    )
    .await?;
    let mut settle = Sql::new("update documents set status = ");
    settle.bind(to.as_str());
    if action == DocumentAction::Submit {
        settle.push(", submitted_at = ").bind(now);
    }
    settle
        .push(" where dispute_id = ")
        .bind(dispute)
        .push(" and status = ")
        .bind(draft.as_str());
    tx.execute(&settle).await.map(|_| ())
}
