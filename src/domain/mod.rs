//! Plain types and rules of the dispute-evidence domain. No HTTP, no SQL: the dialects render
//! these, the stores persist them.

pub mod account;
pub mod clock;
pub mod dispute;
pub mod document;
pub mod ids;
pub mod list;

pub use account::{Mode, Scope, SecretKey};
pub use clock::Clock;
pub use dispute::{Action, Dispute, DisputeStatus, ReasonCode, TransitionError};
pub use document::{Document, DocumentKind, FileType};
pub use ids::{Id, IdKind};
pub use list::{ListQuery, Order, Page};
