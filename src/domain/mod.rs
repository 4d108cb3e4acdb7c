//! Plain types and rules of the dispute-evidence domain, in its own neutral words. No HTTP, no
//! SQL, no dialect: each dialect maps its vocabulary onto these at its edge, the store persists
//! them, the core applies their rules.

pub mod clock;
pub mod dispute;
pub mod document;
pub mod event;
pub mod evidence;
pub mod evidence_link;
pub mod history;
pub mod ids;
pub mod list;
pub mod mode;
pub mod search;

pub use clock::Clock;
pub use dispute::{Action, Dispute, DisputeKind, DisputeStatus, Reason, TransitionError};
pub use document::{
    Document, DocumentAction, DocumentKind, DocumentStatus, FileRules, FileType, GuardError, Page,
    RefusalReason, ReviewRefusal,
};
pub use event::{Attempt, Delivery, DeliveryState, Endpoint, Event, Topic};
pub use evidence_link::EvidenceLink;
pub use history::{HistoryEntry, HistoryKind, Marks};
pub use ids::{Id, IdKind};
pub use list::{ListQuery, Order, Page as ListPage};
pub use mode::{Actor, Mode, Scope};
