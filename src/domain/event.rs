//! Events: what happened to a dispute or its documents, as something others are told about. An
//! event comes from a history entry (`Topic::of`), is written in the same transaction, and keeps
//! the dispute as it was right after the change. Each dialect names topics in its own words (or
//! not at all) at its edge; endpoints listen for topics.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{Action, Dispute, DisputeKind, Document, DocumentAction, HistoryKind, Id, Mode};

/// What an event reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// A dispute was opened.
    DisputeOpened,
    /// A contestable dispute awaits the merchant's evidence (told with its opening).
    DisputeActionRequired,
    /// Its message, metadata or tag changed without a status change.
    DisputeUpdated,
    /// The merchant answered: awaiting evidence → under review.
    DisputeSubmitted,
    /// The evidence went to the bank (still under review).
    DisputeEscalated,
    /// More evidence is wanted: back to awaiting evidence.
    DisputeReopened,
    /// Won or lost.
    DisputeClosed,
    /// Its evidence deadline is near (a reminder).
    DisputeDeadlineNear,
    /// A document was added.
    DocumentAdded,
    /// A draft document was removed.
    DocumentRemoved,
    /// A document went for review.
    DocumentSubmitted,
    DocumentValidated,
    DocumentRefused,
    /// Its dispute's deadline passed while it was unfinished.
    DocumentExpired,
    /// A rescan found malware in one of its pages, now quarantined.
    DocumentQuarantined,
    /// Its evidence packet was frozen at submission (or found not to fit).
    DisputePacketFrozen,
}

impl Topic {
    pub const ALL: [Topic; 16] = [
        Self::DisputeOpened,
        Self::DisputeActionRequired,
        Self::DisputeUpdated,
        Self::DisputeSubmitted,
        Self::DisputeEscalated,
        Self::DisputeReopened,
        Self::DisputeClosed,
        Self::DisputeDeadlineNear,
        Self::DocumentAdded,
        Self::DocumentRemoved,
        Self::DocumentSubmitted,
        Self::DocumentValidated,
        Self::DocumentRefused,
        Self::DocumentExpired,
        Self::DocumentQuarantined,
        Self::DisputePacketFrozen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DisputeOpened => "dispute_opened",
            Self::DisputeActionRequired => "dispute_action_required",
            Self::DisputeUpdated => "dispute_updated",
            Self::DisputeSubmitted => "dispute_submitted",
            Self::DisputeEscalated => "dispute_escalated",
            Self::DisputeReopened => "dispute_reopened",
            Self::DisputeClosed => "dispute_closed",
            Self::DisputeDeadlineNear => "dispute_deadline_near",
            Self::DocumentAdded => "document_added",
            Self::DocumentRemoved => "document_removed",
            Self::DocumentSubmitted => "document_submitted",
            Self::DocumentValidated => "document_validated",
            Self::DocumentRefused => "document_refused",
            Self::DocumentExpired => "document_expired",
            Self::DocumentQuarantined => "document_quarantined",
            Self::DisputePacketFrozen => "dispute_packet_frozen",
        }
    }

    /// The topics of a history entry of `kind` with `detail`: none for what others are not
    /// told about (a page added to a document), two for the opening of a contestable dispute.
    pub fn of(kind: HistoryKind, detail: &Value) -> Vec<Topic> {
        let action = detail.get("action").and_then(Value::as_str);
        let one = match kind {
            HistoryKind::Opened => {
                let final_kind =
                    detail.get("kind").and_then(Value::as_str) == Some(DisputeKind::Final.as_str());
                return if final_kind {
                    vec![Self::DisputeOpened]
                } else {
                    vec![Self::DisputeOpened, Self::DisputeActionRequired]
                };
            }
            HistoryKind::Updated => Some(Self::DisputeUpdated),
            HistoryKind::DocumentAdded => Some(Self::DocumentAdded),
            HistoryKind::DocumentRemoved => Some(Self::DocumentRemoved),
            // Nobody outside is told about a page or a link (a link's URL is a secret), nor
            // about a file that was refused and changed nothing.
            HistoryKind::PageAdded
            | HistoryKind::EvidenceLinkCreated
            | HistoryKind::EvidenceLinkRevoked
            | HistoryKind::FileRefused => None,
            HistoryKind::PageQuarantined => Some(Self::DocumentQuarantined),
            HistoryKind::PacketFrozen => Some(Self::DisputePacketFrozen),
            HistoryKind::DeadlineNear => Some(Self::DisputeDeadlineNear),
            HistoryKind::StatusChanged => {
                action
                    .and_then(|a| a.parse::<Action>().ok())
                    .map(|a| match a {
                        Action::Submit => Self::DisputeSubmitted,
                        Action::Escalate => Self::DisputeEscalated,
                        Action::Reopen => Self::DisputeReopened,
                        Action::Concede | Action::Win | Action::Lose => Self::DisputeClosed,
                    })
            }
            HistoryKind::DocumentStatusChanged => action
                .and_then(|a| a.parse::<DocumentAction>().ok())
                .map(|a| match a {
                    DocumentAction::Submit => Self::DocumentSubmitted,
                    DocumentAction::Validate => Self::DocumentValidated,
                    DocumentAction::Refuse => Self::DocumentRefused,
                    DocumentAction::Expire => Self::DocumentExpired,
                }),
        };
        one.into_iter().collect()
    }
}

impl FromStr for Topic {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown event topic {s:?}"))
    }
}

/// A recorded event, with the dispute as it was right after the change.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: Id,
    pub account: Id,
    pub mode: Mode,
    pub topic: Topic,
    pub dispute: Dispute,
    /// The dispute's documents at the time, in creation order.
    pub documents: Vec<Document>,
    /// The document concerned, if any.
    pub document: Option<Id>,
    /// The account's preferences at the time.
    pub preferences: Map<String, Value>,
    pub created_at: DateTime<Utc>,
}

/// Where an account's events are pushed.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub id: Id,
    pub account: Id,
    pub mode: Mode,
    /// Which dialect's request it receives.
    pub scheme: String,
    pub url: String,
    pub topics: Vec<Topic>,
    /// The dialect's own name for what it listens to, if it has one.
    pub label: Option<String>,
    pub tag: Option<String>,
    pub enabled: bool,
    pub valid: bool,
    pub consecutive_failures: i64,
    /// Base64 of the signing key, for dialects that sign.
    pub secret: Option<String>,
    /// The key before the last rotation, still used until `previous_secret_until`.
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Endpoint {
    /// The keys that sign a request sent at `now`: the current one, then the previous one
    /// while its overlap lasts.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let previous = self
            .previous_secret
            .as_deref()
            .filter(|_| self.previous_secret_until.is_some_and(|until| now < until));
        self.secret.as_deref().into_iter().chain(previous).collect()
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Succeeded,
    /// Its schedule ran out; only an operator's redelivery sends it again.
    Dead,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 3] = [Self::Pending, Self::Succeeded, Self::Dead];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Dead => "dead",
        }
    }
}

impl FromStr for DeliveryState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown delivery state {s:?}"))
    }
}

/// One event on its way to one endpoint.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub seq: i64,
    pub event: Id,
    pub endpoint: Id,
    pub state: DeliveryState,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// One try at a delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub seq: i64,
    pub delivery: i64,
    pub event: Id,
    pub url: String,
    pub payload: String,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub latency_ms: i64,
    pub response: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Attempt {
    /// A 2xx came back.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_round_trip() {
        for topic in Topic::ALL {
            assert_eq!(topic.as_str().parse::<Topic>(), Ok(topic));
        }
        assert!("dispute.create".parse::<Topic>().is_err());
    }

    #[test]
    fn history_entries_map_to_topics() {
        use HistoryKind as K;
        use serde_json::json;
        let act = |a: &str| json!({ "action": a });
        let none = json!({});
        let table = [
            (
                K::Opened,
                json!({"kind": "chargeback"}),
                vec![Topic::DisputeOpened, Topic::DisputeActionRequired],
            ),
            (
                K::Opened,
                none.clone(),
                vec![Topic::DisputeOpened, Topic::DisputeActionRequired],
            ),
            (
                K::Opened,
                json!({"kind": "final"}),
                vec![Topic::DisputeOpened],
            ),
            (K::Updated, none.clone(), vec![Topic::DisputeUpdated]),
            (K::DocumentAdded, none.clone(), vec![Topic::DocumentAdded]),
            (K::PageAdded, none.clone(), vec![]),
            (K::EvidenceLinkCreated, none.clone(), vec![]),
            (K::EvidenceLinkRevoked, none.clone(), vec![]),
            (K::FileRefused, none.clone(), vec![]),
            (
                K::PageQuarantined,
                none.clone(),
                vec![Topic::DocumentQuarantined],
            ),
            (
                K::PacketFrozen,
                none.clone(),
                vec![Topic::DisputePacketFrozen],
            ),
            (
                K::DeadlineNear,
                json!({"reminder": "24h"}),
                vec![Topic::DisputeDeadlineNear],
            ),
            (
                K::DocumentRemoved,
                none.clone(),
                vec![Topic::DocumentRemoved],
            ),
            (
                K::StatusChanged,
                act("submit"),
                vec![Topic::DisputeSubmitted],
            ),
            (
                K::StatusChanged,
                act("escalate"),
                vec![Topic::DisputeEscalated],
            ),
            (
                K::StatusChanged,
                act("reopen"),
                vec![Topic::DisputeReopened],
            ),
            (K::StatusChanged, act("concede"), vec![Topic::DisputeClosed]),
            (K::StatusChanged, act("win"), vec![Topic::DisputeClosed]),
            (K::StatusChanged, act("lose"), vec![Topic::DisputeClosed]),
            (K::StatusChanged, none.clone(), vec![]),
            (
                K::DocumentStatusChanged,
                act("submit"),
                vec![Topic::DocumentSubmitted],
            ),
            (
                K::DocumentStatusChanged,
                act("validate"),
                vec![Topic::DocumentValidated],
            ),
            (
                K::DocumentStatusChanged,
                act("refuse"),
                vec![Topic::DocumentRefused],
            ),
            (
                K::DocumentStatusChanged,
                act("expire"),
                vec![Topic::DocumentExpired],
            ),
        ];
        for (kind, detail, topics) in table {
            assert_eq!(Topic::of(kind, &detail), topics, "{kind:?} {detail}");
        }
    }

    #[test]
    fn the_previous_secret_signs_only_during_its_overlap() {
        let now = Utc::now();
        let mut endpoint = Endpoint {
            id: Id::from_trusted("whep_test_1".into()),
            account: Id::from_trusted("acct_1".into()),
            mode: Mode::Test,
            scheme: "x".into(),
            url: "http://127.0.0.1/".into(),
            topics: vec![],
            label: None,
            tag: None,
            enabled: true,
            valid: true,
            consecutive_failures: 0,
            secret: Some("new".into()),
            previous_secret: Some("old".into()),
            previous_secret_until: Some(now + chrono::TimeDelta::hours(24)),
            created_at: now,
        };
        assert_eq!(endpoint.signing_secrets(now), ["new", "old"]);
        endpoint.previous_secret_until = Some(now);
        assert_eq!(endpoint.signing_secrets(now), ["new"]);
    }
}
