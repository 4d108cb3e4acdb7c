//! Events, webhook endpoints and deliveries. `record` runs inside the transaction of every
//! change (from `history::append_all`; on SQLite `events_lite::push_record` puts its statements
//! in the change's batch): it writes
//! the change's events, each with a snapshot of the dispute and its documents as the change left
//! them, and one pending delivery for every enabled endpoint listening for the topic — an
//! outbox, so a change and its deliveries commit or roll back together. The delivery worker
//! claims due deliveries with a lease, sends them outside any transaction, and records each
//! attempt.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::db::{Arg, Sql, Tx};
use super::event_rows::{
    ATTEMPT_COLUMNS, AttemptRow, DELIVERY_COLUMNS, DeliveryRow, ENDPOINT_COLUMNS, EVENT_COLUMNS,
    EndpointRow, EventPageRow, EventRow, Snapshot, attempt, delivery, endpoint, event, topics_text,
};
use super::rows::{DISPUTE_COLUMNS, DOCUMENT_COLUMNS, DOCUMENT_FROM, DisputeRow, DocumentRow};
use super::scope::{direction, push_scope};
use super::{SqlStore, StoreError};
use crate::domain::{
    Attempt, Delivery, DeliveryState, Endpoint, Event, Id, IdKind, ListPage, ListQuery, Mode,
    Scope, Topic,
};

/// How many of a dispute's documents an event's snapshot keeps (the first, in creation order;
/// what a dispute embeds in the dialects that embed any).
pub const SNAPSHOT_DOCUMENTS: i64 = 20;

/// Something that happened in a change, to be told.
pub struct Happened<'a> {
    pub dispute: &'a Id,
    pub document: Option<&'a Id>,
    pub topic: Topic,
    pub at: DateTime<Utc>,
}

/// Writes the events of one change, and their deliveries, inside its transaction.
pub async fn record(tx: &mut Tx, happened: &[Happened<'_>]) -> Result<(), sqlx::Error> {
    let mut snapshots: HashMap<&Id, (Mode, Id, Value)> = HashMap::new();
    for h in happened {
        if snapshots.contains_key(h.dispute) {
            continue;
        }
        let mut sql = Sql::new("select ");
        sql.push(DISPUTE_COLUMNS)
            .push(" from disputes where id = ")
            .bind(h.dispute);
        let Some(dispute) = tx.optional::<DisputeRow>(&sql).await? else {
            continue;
        };
        let mut sql = Sql::new("select ");
        sql.push(DOCUMENT_COLUMNS)
            .push(" from ")
            .push(DOCUMENT_FROM)
            .push(" where d.dispute_id = ")
            .bind(h.dispute)
            .push(" order by d.created_at, d.id limit ")
            .bind(SNAPSHOT_DOCUMENTS);
        let documents = tx.all::<DocumentRow>(&sql).await?;
        let mode = Mode::from_live(dispute.livemode);
        let account = Id::from_trusted(dispute.account_id.clone());
        let snapshot =
            serde_json::to_value(Snapshot { dispute, documents }).expect("rows serialize");
        snapshots.insert(h.dispute, (mode, account, snapshot));
    }
    for h in happened {
        let Some((mode, account, snapshot)) = snapshots.get(h.dispute) else {
            continue;
        };
        let id = Id::generate(IdKind::Event, *mode, h.at.timestamp());
        let mut sql = Sql::new(
            "insert into events (id, account_id, livemode, dispute_id, document_id, topic, snapshot, preferences, created_at) select ",
        );
        sql.bind(&id)
            .push(", id, ")
            .bind(mode.is_live())
            .push(", ")
            .bind(h.dispute)
            .push(", ")
            .bind(h.document.map(Id::as_str))
            .push(", ")
            .bind(h.topic.as_str())
            .push(", ")
            .bind(Arg::Json(snapshot.clone()))
            .push(", preferences, ")
            .bind(h.at)
            .push(" from accounts where id = ")
            .bind(account);
        tx.execute(&sql).await?;
        let mut fan_out = Sql::new(
            "insert into webhook_deliveries (event_id, endpoint_id, state, next_attempt_at, created_at) select ",
        );
        fan_out
            .bind(&id)
            .push(", id, ")
            .bind(DeliveryState::Pending.as_str())
            .push(", ")
            .bind(h.at)
            .push(", ")
            .bind(h.at)
            .push(" from webhook_endpoints where account_id = ")
            .bind(account)
            .push(" and livemode = ")
            .bind(mode.is_live())
            .push(" and enabled and valid and topics like ")
            .bind(format!("%,{},%", h.topic.as_str()));
        tx.execute(&fan_out).await?;
    }
    Ok(())
}

/// Which events a list shows.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only these topics (a dialect's own); empty for all.
    pub topics: Vec<Topic>,
    pub dispute: Option<Id>,
}

/// What the delivery worker records of one attempt, and where the delivery goes next.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub url: String,
    pub payload: String,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub latency_ms: i64,
    pub response: Option<String>,
    pub at: DateTime<Utc>,
    pub outcome: Outcome,
    /// Mark the endpoint invalid when its run of failures reaches this many.
    pub invalid_after: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    Succeeded,
    RetryAt(DateTime<Utc>),
    Dead,
}

/// Events and their delivery.
#[async_trait]
pub trait Events {
    async fn list_events(
        &self,
        scope: &Scope,
        filter: &EventFilter,
        query: &ListQuery,
    ) -> Result<ListPage<Event>, StoreError>;
    async fn event(&self, scope: Option<&Scope>, id: &Id) -> Result<Option<Event>, StoreError>;
    /// The attempts made for each of `events` to endpoints of `scheme`, oldest first.
    async fn attempts(
        &self,
        events: &[&Id],
        scheme: &str,
    ) -> Result<HashMap<Id, Vec<Attempt>>, StoreError>;

    async fn insert_endpoint(&self, endpoint: &Endpoint) -> Result<(), StoreError>;
    /// The endpoints of an account (of one mode, if given) that receive `scheme`'s requests.
    async fn endpoints(
        &self,
        account: &Id,
        mode: Option<Mode>,
        scheme: &str,
    ) -> Result<Vec<Endpoint>, StoreError>;
    async fn endpoint(&self, id: &Id) -> Result<Option<Endpoint>, StoreError>;
    /// Writes an endpoint's changeable fields (url, topics, label, tag, enabled, valid, failures,
    /// secrets).
    async fn update_endpoint(&self, endpoint: &Endpoint) -> Result<(), StoreError>;
    /// Removes an endpoint of the account, with its deliveries; false when there is none.
    async fn delete_endpoint(&self, account: &Id, id: &Id) -> Result<bool, StoreError>;

    /// Takes up to `limit` pending deliveries due at `now` for this worker until `lease_until`.
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError>;
    /// Records an attempt at a claimed delivery and its outcome, and the endpoint's run of
    /// failures, in one transaction.
    async fn record_attempt(
        &self,
        delivery: &Delivery,
        attempt: &AttemptRecord,
    ) -> Result<(), StoreError>;
    /// Deliveries in `state` (of one account, if given), newest first.
    async fn deliveries(
        &self,
        account: Option<&Id>,
        state: Option<DeliveryState>,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError>;
    async fn delivery(&self, seq: i64) -> Result<Option<Delivery>, StoreError>;
    /// Puts a delivery back on a fresh schedule, due at `now`; false when there is none.
    async fn redeliver(&self, seq: i64, now: DateTime<Utc>) -> Result<bool, StoreError>;
    /// The attempts of each of `deliveries`, oldest first, in one query.
    async fn delivery_attempts(
        &self,
        deliveries: &[i64],
    ) -> Result<HashMap<i64, Vec<Attempt>>, StoreError>;
}

fn push_event_filter(sql: &mut Sql, scope: &Scope, filter: &EventFilter, query: &ListQuery) {
    sql.push("account_id = ")
        .bind(&scope.account)
        .push(" and livemode = ")
        .bind(scope.mode.is_live())
        .push(" and created_at >= ")
        .bind(query.from)
        .push(" and created_at <= ")
        .bind(query.to);
    if !filter.topics.is_empty() {
        sql.push(" and topic in ")
            .bind_list(filter.topics.iter().map(|t| t.as_str()));
    }
    if let Some(dispute) = &filter.dispute {
        sql.push(" and dispute_id = ").bind(dispute);
    }
}

#[async_trait]
impl Events for SqlStore {
    async fn list_events(
        &self,
        scope: &Scope,
        filter: &EventFilter,
        query: &ListQuery,
    ) -> Result<ListPage<Event>, StoreError> {
        let dir = direction(query.order);
        let mut sql = Sql::new("select ");
        sql.push(EVENT_COLUMNS)
            .push(", (select count(*) from events where ");
        push_event_filter(&mut sql, scope, filter, query);
        sql.push(") as total from events where ");
        push_event_filter(&mut sql, scope, filter, query);
        sql.push(&format!(" order by created_at {dir}, seq {dir} limit "))
            .bind(query.limit)
            .push(" offset ")
            .bind(query.offset);
        let rows: Vec<EventPageRow> = self.pool.all(&sql).await?;
        let total = match rows.first() {
            Some(row) => row.total,
            None if query.offset == 0 => 0,
            None => {
                let mut count = Sql::new("select count(*) from events where ");
                push_event_filter(&mut count, scope, filter, query);
                let (total,): (i64,) = self.pool.optional(&count).await?.unwrap_or_default();
                total
            }
        };
        let items = rows
            .into_iter()
            .map(|r| event(r.event))
            .collect::<Result<_, _>>()?;
        Ok(ListPage { items, total })
    }

    async fn event(&self, scope: Option<&Scope>, id: &Id) -> Result<Option<Event>, StoreError> {
        let mut sql = Sql::new("select ");
        sql.push(EVENT_COLUMNS)
            .push(" from events where id = ")
            .bind(id);
        push_scope(&mut sql, scope, "");
        let row: Option<EventRow> = self.pool.optional(&sql).await?;
        row.map(event).transpose()
    }

    async fn attempts(
        &self,
        events: &[&Id],
        scheme: &str,
    ) -> Result<HashMap<Id, Vec<Attempt>>, StoreError> {
        let mut by_event: HashMap<Id, Vec<Attempt>> = HashMap::new();
        if events.is_empty() {
            return Ok(by_event);
        }
        let mut sql = Sql::new("select ");
        sql.push(ATTEMPT_COLUMNS)
            .push(
                " from webhook_attempts a join webhook_deliveries d on d.seq = a.delivery_seq \
                 join webhook_endpoints e on e.id = d.endpoint_id where e.scheme = ",
            )
            .bind(scheme)
            .push(" and d.event_id in ")
            .bind_list(events.iter().copied())
            .push(" order by a.seq");
        let rows: Vec<AttemptRow> = self.pool.all(&sql).await?;
        for row in rows {
            let a = attempt(row);
            by_event.entry(a.event.clone()).or_default().push(a);
        }
        Ok(by_event)
    }

    async fn insert_endpoint(&self, e: &Endpoint) -> Result<(), StoreError> {
        let mut sql = Sql::new("insert into webhook_endpoints (");
        sql.push(ENDPOINT_COLUMNS).push(") values (");
        sql.bind(&e.id)
            .push(", ")
            .bind(&e.account)
            .push(", ")
            .bind(e.mode.is_live())
            .push(", ")
            .bind(e.scheme.as_str())
            .push(", ")
            .bind(e.url.as_str())
            .push(", ")
            .bind(topics_text(&e.topics))
            .push(", ")
            .bind(e.label.as_deref())
            .push(", ")
            .bind(e.tag.as_deref())
            .push(", ")
            .bind(e.enabled)
            .push(", ")
            .bind(e.valid)
            .push(", ")
            .bind(e.consecutive_failures)
            .push(", ")
            .bind(e.secret.as_deref())
            .push(", ")
            .bind(e.previous_secret.as_deref())
            .push(", ")
            .bind(e.previous_secret_until)
            .push(", ")
            .bind(e.created_at)
            .push(")");
        self.pool.execute(&sql).await?;
        Ok(())
    }

    async fn endpoints(
        &self,
        account: &Id,
        mode: Option<Mode>,
        scheme: &str,
    ) -> Result<Vec<Endpoint>, StoreError> {
        let mut sql = Sql::new("select ");
        sql.push(ENDPOINT_COLUMNS)
            .push(" from webhook_endpoints where account_id = ")
            .bind(account)
            .push(" and scheme = ")
            .bind(scheme);
        if let Some(mode) = mode {
            sql.push(" and livemode = ").bind(mode.is_live());
        }
        sql.push(" order by created_at, id");
        let rows: Vec<EndpointRow> = self.pool.all(&sql).await?;
        rows.into_iter().map(endpoint).collect()
    }

    async fn endpoint(&self, id: &Id) -> Result<Option<Endpoint>, StoreError> {
        let mut sql = Sql::new("select ");
        sql.push(ENDPOINT_COLUMNS)
            .push(" from webhook_endpoints where id = ")
            .bind(id);
        let row: Option<EndpointRow> = self.pool.optional(&sql).await?;
        row.map(endpoint).transpose()
    }

    async fn update_endpoint(&self, e: &Endpoint) -> Result<(), StoreError> {
        let mut sql = Sql::new("update webhook_endpoints set url = ");
        sql.bind(e.url.as_str())
            .push(", topics = ")
            .bind(topics_text(&e.topics))
            .push(", label = ")
            .bind(e.label.as_deref())
            .push(", tag = ")
            .bind(e.tag.as_deref())
            .push(", enabled = ")
            .bind(e.enabled)
            .push(", valid = ")
            .bind(e.valid)
            .push(", consecutive_failures = ")
            .bind(e.consecutive_failures)
            .push(", secret = ")
            .bind(e.secret.as_deref())
            .push(", previous_secret = ")
            .bind(e.previous_secret.as_deref())
            .push(", previous_secret_until = ")
            .bind(e.previous_secret_until)
            .push(" where id = ")
            .bind(&e.id);
        self.pool.execute(&sql).await?;
        Ok(())
    }

    async fn delete_endpoint(&self, account: &Id, id: &Id) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin_write().await?;
        // Attempts and deliveries go with it (the schema cascades; said here for SQLite
        // connections that do not enforce references).
        let mut attempts = Sql::new(
            "delete from webhook_attempts where delivery_seq in (select seq from webhook_deliveries where endpoint_id = ",
        );
        attempts.bind(id).push(")");
        tx.execute(&attempts).await?;
        let mut deliveries = Sql::new("delete from webhook_deliveries where endpoint_id = ");
        deliveries.bind(id);
        tx.execute(&deliveries).await?;
        let mut sql = Sql::new("delete from webhook_endpoints where id = ");
        sql.bind(id).push(" and account_id = ").bind(account);
        let removed = tx.execute(&sql).await? > 0;
        if removed {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(removed)
    }

    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut sql = Sql::new("update webhook_deliveries set lease_until = ");
        sql.bind(lease_until)
            .push(" where seq in (select seq from webhook_deliveries where state = ")
            .bind(DeliveryState::Pending.as_str())
            // A delivery never tried is due at once, even when its event's time is ahead of
            // the real clock (a test clock advanced).
            .push(" and (attempts = 0 or next_attempt_at <= ")
            .bind(now)
            .push(") and (lease_until is null or lease_until <= ")
            .bind(now)
            .push(") order by next_attempt_at, seq limit ")
            .bind(limit)
            .push(self.pool.skip_locked())
            .push(") returning ")
            .push(DELIVERY_COLUMNS);
        let rows: Vec<DeliveryRow> = self.pool.all(&sql).await?;
        let mut claimed = rows
            .into_iter()
            .map(delivery)
            .collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|d| (d.next_attempt_at, d.seq));
        Ok(claimed)
    }

    async fn record_attempt(
        &self,
        delivery: &Delivery,
        a: &AttemptRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_write().await?;
        let mut insert = Sql::new(
            "insert into webhook_attempts (delivery_seq, url, payload, status, error, latency_ms, response, created_at) values (",
        );
        insert
            .bind(delivery.seq)
            .push(", ")
            .bind(a.url.as_str())
            .push(", ")
            .bind(a.payload.as_str())
            .push(", ")
            .bind(a.status)
            .push(", ")
            .bind(a.error.as_deref())
            .push(", ")
            .bind(a.latency_ms)
            .push(", ")
            .bind(a.response.as_deref())
            .push(", ")
            .bind(a.at)
            .push(")");
        tx.execute(&insert).await?;
        let (state, next) = match a.outcome {
            Outcome::Succeeded => (DeliveryState::Succeeded, a.at),
            Outcome::RetryAt(at) => (DeliveryState::Pending, at),
            Outcome::Dead => (DeliveryState::Dead, a.at),
        };
        let mut update = Sql::new("update webhook_deliveries set state = ");
        update
            .bind(state.as_str())
            .push(", attempts = attempts + 1, next_attempt_at = ")
            .bind(next)
            .push(", lease_until = null where seq = ")
            .bind(delivery.seq);
        tx.execute(&update).await?;
        let mut failures = Sql::new("update webhook_endpoints set consecutive_failures = ");
        if a.outcome == Outcome::Succeeded {
            failures.push("0");
        } else {
            failures.push("consecutive_failures + 1");
            if let Some(limit) = a.invalid_after {
                failures
                    .push(", valid = case when consecutive_failures + 1 >= ")
                    .bind(limit)
                    .push(" then ")
                    .bind(false)
                    .push(" else valid end");
            }
        }
        failures.push(" where id = ").bind(&delivery.endpoint);
        tx.execute(&failures).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn deliveries(
        &self,
        account: Option<&Id>,
        state: Option<DeliveryState>,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut sql = Sql::new("select ");
        sql.push(DELIVERY_COLUMNS)
            .push(" from webhook_deliveries where 1 = 1");
        if let Some(state) = state {
            sql.push(" and state = ").bind(state.as_str());
        }
        if let Some(account) = account {
            sql.push(" and endpoint_id in (select id from webhook_endpoints where account_id = ")
                .bind(account)
                .push(")");
        }
        sql.push(" order by seq desc limit ").bind(limit);
        let rows: Vec<DeliveryRow> = self.pool.all(&sql).await?;
        rows.into_iter().map(delivery).collect()
    }

    async fn delivery(&self, seq: i64) -> Result<Option<Delivery>, StoreError> {
        let mut sql = Sql::new("select ");
        sql.push(DELIVERY_COLUMNS)
            .push(" from webhook_deliveries where seq = ")
            .bind(seq);
        let row: Option<DeliveryRow> = self.pool.optional(&sql).await?;
        row.map(delivery).transpose()
    }

    async fn redeliver(&self, seq: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut sql = Sql::new("update webhook_deliveries set state = ");
        sql.bind(DeliveryState::Pending.as_str())
            .push(", attempts = 0, lease_until = null, next_attempt_at = ")
            .bind(now)
            .push(" where seq = ")
            .bind(seq);
        Ok(self.pool.execute(&sql).await? > 0)
    }

    async fn delivery_attempts(
        &self,
        deliveries: &[i64],
    ) -> Result<HashMap<i64, Vec<Attempt>>, StoreError> {
        let mut by_delivery: HashMap<i64, Vec<Attempt>> = HashMap::new();
        if deliveries.is_empty() {
            return Ok(by_delivery);
        }
        let mut sql = Sql::new("select ");
        sql.push(ATTEMPT_COLUMNS)
            .push(" from webhook_attempts a join webhook_deliveries d on d.seq = a.delivery_seq where a.delivery_seq in ")
            .bind_list(deliveries.iter().copied())
            .push(" order by a.seq");
        let rows: Vec<AttemptRow> = self.pool.all(&sql).await?;
        for row in rows {
            let a = attempt(row);
            by_delivery.entry(a.delivery).or_default().push(a);
        }
        Ok(by_delivery)
    }
}
