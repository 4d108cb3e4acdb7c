//! The rows of events, webhook endpoints, deliveries and attempts, and the domain values they
//! hold (a row with a value the domain does not know fails loudly).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::types::Json;

use super::StoreError;
use super::rows::{DisputeRow, DocumentRow};
use super::ts::Ts;
use crate::domain::{Attempt, Delivery, Dispute, Document, Endpoint, Event, Id, Mode, Topic};

/// The dispute and its documents as a change left them, as the store's own rows.
#[derive(Serialize, Deserialize)]
pub(super) struct Snapshot {
    pub(super) dispute: DisputeRow,
    pub(super) documents: Vec<DocumentRow>,
}

pub(super) const EVENT_COLUMNS: &str = "seq, id, account_id, livemode, dispute_id, document_id, topic, snapshot, preferences, created_at";

#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    #[allow(dead_code)]
    pub(super) seq: i64,
    pub(super) id: String,
    pub(super) account_id: String,
    pub(super) livemode: bool,
    #[allow(dead_code)]
    pub(super) dispute_id: String,
    pub(super) document_id: Option<String>,
    pub(super) topic: String,
    pub(super) snapshot: Json<Snapshot>,
    pub(super) preferences: Json<Map<String, Value>>,
    pub(super) created_at: Ts,
}

#[derive(sqlx::FromRow)]
pub(super) struct EventPageRow {
    #[sqlx(flatten)]
    pub(super) event: EventRow,
    pub(super) total: i64,
}

pub(super) fn event(row: EventRow) -> Result<Event, StoreError> {
    let Snapshot { dispute, documents } = row.snapshot.0;
    Ok(Event {
        topic: row
            .topic
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("events.topic: {e}")))?,
        dispute: Dispute::try_from(dispute)?,
        documents: documents
            .into_iter()
            .map(Document::try_from)
            .collect::<Result<_, _>>()?,
        id: Id::from_trusted(row.id),
        account: Id::from_trusted(row.account_id),
        mode: Mode::from_live(row.livemode),
        document: row.document_id.map(Id::from_trusted),
        preferences: row.preferences.0,
        created_at: row.created_at.0,
    })
}

pub(super) const ENDPOINT_COLUMNS: &str = "id, account_id, livemode, scheme, url, topics, label, tag, enabled, valid, \
     consecutive_failures, secret, previous_secret, previous_secret_until, created_at";

#[derive(sqlx::FromRow)]
pub(super) struct EndpointRow {
    pub(super) id: String,
    pub(super) account_id: String,
    pub(super) livemode: bool,
    pub(super) scheme: String,
    pub(super) url: String,
    pub(super) topics: String,
    pub(super) label: Option<String>,
    pub(super) tag: Option<String>,
    pub(super) enabled: bool,
    pub(super) valid: bool,
    pub(super) consecutive_failures: i32,
    pub(super) secret: Option<String>,
    pub(super) previous_secret: Option<String>,
    pub(super) previous_secret_until: Option<Ts>,
    pub(super) created_at: Ts,
}

pub(super) fn endpoint(row: EndpointRow) -> Result<Endpoint, StoreError> {
    Ok(Endpoint {
        topics: row
            .topics
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| {
                t.parse()
                    .map_err(|e| StoreError::Corrupt(format!("webhook_endpoints.topics: {e}")))
            })
            .collect::<Result<_, _>>()?,
        id: Id::from_trusted(row.id),
        account: Id::from_trusted(row.account_id),
        mode: Mode::from_live(row.livemode),
        scheme: row.scheme,
        url: row.url,
        label: row.label,
        tag: row.tag,
        enabled: row.enabled,
        valid: row.valid,
        consecutive_failures: i64::from(row.consecutive_failures),
        secret: row.secret,
        previous_secret: row.previous_secret,
        previous_secret_until: row.previous_secret_until.map(|t| t.0),
        created_at: row.created_at.0,
    })
}

/// `,a,b,`: every topic between commas, so that `like '%,a,%'` finds one.
pub(super) fn topics_text(topics: &[Topic]) -> String {
    let mut text = String::from(",");
    for topic in topics {
        text.push_str(topic.as_str());
        text.push(',');
    }
    text
}

pub(super) const DELIVERY_COLUMNS: &str =
    "seq, event_id, endpoint_id, state, attempts, next_attempt_at, created_at";

#[derive(sqlx::FromRow)]
pub(super) struct DeliveryRow {
    pub(super) seq: i64,
    pub(super) event_id: String,
    pub(super) endpoint_id: String,
    pub(super) state: String,
    pub(super) attempts: i32,
    pub(super) next_attempt_at: Ts,
    pub(super) created_at: Ts,
}

pub(super) fn delivery(row: DeliveryRow) -> Result<Delivery, StoreError> {
    Ok(Delivery {
        seq: row.seq,
        event: Id::from_trusted(row.event_id),
        endpoint: Id::from_trusted(row.endpoint_id),
        state: row
            .state
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("webhook_deliveries.state: {e}")))?,
        attempts: i64::from(row.attempts),
        next_attempt_at: row.next_attempt_at.0,
        created_at: row.created_at.0,
    })
}

pub(super) const ATTEMPT_COLUMNS: &str = "a.seq, a.delivery_seq, d.event_id, a.url, a.payload, a.status, a.error, \
     a.latency_ms, a.response, a.created_at";

#[derive(sqlx::FromRow)]
pub(super) struct AttemptRow {
    pub(super) seq: i64,
    pub(super) delivery_seq: i64,
    pub(super) event_id: String,
    pub(super) url: String,
    pub(super) payload: String,
    pub(super) status: Option<i32>,
    pub(super) error: Option<String>,
    pub(super) latency_ms: i64,
    pub(super) response: Option<String>,
    pub(super) created_at: Ts,
}

pub(super) fn attempt(row: AttemptRow) -> Attempt {
    Attempt {
        seq: row.seq,
        delivery: row.delivery_seq,
        event: Id::from_trusted(row.event_id),
        url: row.url,
        payload: row.payload,
        status: row.status.map(i64::from),
        error: row.error,
        latency_ms: row.latency_ms,
        response: row.response,
        created_at: row.created_at.0,
    }
}
