//! Omise's names for the domain's event topics, and the scheme its webhook endpoints are filed
//! under: what the Omise edge sends and the operator lists.

use crate::domain::Topic;

/// The scheme of Omise webhook endpoints: a signed JSON POST of the event.
pub const SCHEME: &str = "omise";

/// The Omise key of a topic, if Omise tells of it.
pub fn event_key(topic: Topic) -> Option<&'static str> {
    Some(match topic {
        Topic::DisputeOpened => "dispute.create",
        Topic::DisputeClosed => "dispute.close",
        // Ours: Omise has no reminder.
        Topic::DisputeDeadlineNear => "dispute.deadline_near",
        Topic::DisputeUpdated
        // In Omise's words a frozen packet is a change to the dispute; its digest is in the
        // history and the readiness (Mangopay: DISPUTE_PACKET_FROZEN, a hook of its own).
        | Topic::DisputePacketFrozen
        | Topic::DisputeSubmitted
        | Topic::DisputeEscalated
        | Topic::DisputeReopened
        | Topic::DocumentAdded
        | Topic::DocumentRemoved
        | Topic::DocumentQuarantined => "dispute.update",
        Topic::DisputeActionRequired
        | Topic::DocumentSubmitted
        | Topic::DocumentValidated
        | Topic::DocumentRefused
        | Topic::DocumentExpired => return None,
    })
}

/// The topics this dialect shows and sends.
pub fn topics() -> Vec<Topic> {
    Topic::ALL
        .into_iter()
        .filter(|t| event_key(*t).is_some())
        .collect()
}
