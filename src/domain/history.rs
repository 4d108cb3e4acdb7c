//! The history of a dispute: an append-only record of what happened to it and its documents, by
//! whom and when, written in the same transaction as each change. It is the audit trail, and the
//! source that dialects read for what a status alone cannot tell (a dispute reopened before).

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Actor, Id};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HistoryKind {
    /// The dispute was opened.
    Opened,
    /// Its status changed (`detail`: action, from, to).
    StatusChanged,
    /// Its message, metadata or tag changed without a status change (`detail`: the fields).
    Updated,
    /// A document was added (`detail`: kind).
    DocumentAdded,
    /// A page was added to a document (`detail`: position, size, sha256, content type).
    PageAdded,
    /// A draft document was removed with its pages.
    DocumentRemoved,
    /// A document's status changed (`detail`: action, from, to, and a refusal's reason).
    DocumentStatusChanged,
    /// Its evidence deadline is near (`detail`: which reminder, `"72h"`, and the deadline).
    DeadlineNear,
    /// An evidence link to the dispute was made (`detail`: link, expires_at).
    EvidenceLinkCreated,
    /// An evidence link to the dispute was revoked (`detail`: link).
    EvidenceLinkRevoked,
    /// A file was refused on its way in because clamd found malware in it; nothing was stored
    /// (`detail`: filename, signature).
    FileRefused,
    /// A rescan found malware in a stored page, which is quarantined (`detail`: position,
    /// filename, sha256, signature, engine).
    PageQuarantined,
    /// The evidence packet was frozen as the dispute left "awaiting evidence" (`detail`:
    /// profile, fits, and its sha256, blob, pages and bytes, or what was over).
    PacketFrozen,
}

impl HistoryKind {
    pub const ALL: [HistoryKind; 13] = [
        Self::Opened,
        Self::StatusChanged,
        Self::Updated,
        Self::DocumentAdded,
        Self::PageAdded,
        Self::DocumentRemoved,
        Self::DocumentStatusChanged,
        Self::DeadlineNear,
        Self::EvidenceLinkCreated,
        Self::EvidenceLinkRevoked,
        Self::FileRefused,
        Self::PageQuarantined,
        Self::PacketFrozen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::StatusChanged => "status_changed",
            Self::Updated => "updated",
            Self::DocumentAdded => "document_added",
            Self::PageAdded => "page_added",
            Self::DocumentRemoved => "document_removed",
            Self::DocumentStatusChanged => "document_status_changed",
            Self::DeadlineNear => "deadline_near",
            Self::EvidenceLinkCreated => "evidence_link_created",
            Self::EvidenceLinkRevoked => "evidence_link_revoked",
            Self::FileRefused => "file_refused",
            Self::PageQuarantined => "page_quarantined",
            Self::PacketFrozen => "packet_frozen",
        }
    }
}

impl FromStr for HistoryKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown history kind {s:?}"))
    }
}

/// What a dispute's history tells beyond its status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Marks {
    /// The bank reopened it at least once.
    pub reopened: bool,
    /// Its last status change handed it on to the bank.
    pub with_bank: bool,
}

impl Marks {
    /// The marks of a dispute whose status changes, oldest first, were `actions`.
    pub fn from_actions<'a>(actions: impl IntoIterator<Item = &'a str>) -> Marks {
        actions
            .into_iter()
            .fold(Marks::default(), |marks, action| Marks {
                reopened: marks.reopened || action == super::Action::Reopen.as_str(),
                with_bank: action == super::Action::Escalate.as_str(),
            })
    }
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// Increasing over the whole store: the order changes committed in, per dispute.
    pub seq: i64,
    pub dispute: Id,
    pub document: Option<Id>,
    pub kind: HistoryKind,
    pub actor: Actor,
    /// What changed, as a small JSON object of the domain's own words.
    pub detail: Value,
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_remember_a_reopen_and_the_last_hand_over() {
        let marks = Marks::from_actions(["submit", "escalate", "reopen", "submit"]);
        assert_eq!(
            marks,
            Marks {
                reopened: true,
                with_bank: false
            }
        );
        let marks = Marks::from_actions(["submit", "escalate"]);
        assert_eq!(
            marks,
            Marks {
                reopened: false,
                with_bank: true
            }
        );
    }

    #[test]
    fn kinds_round_trip() {
        for k in HistoryKind::ALL {
            assert_eq!(k.as_str().parse(), Ok(k));
        }
        assert!("deleted".parse::<HistoryKind>().is_err());
    }
}
