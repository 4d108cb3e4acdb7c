//! What each dialect says, without the HTTP that carries it: its words for the domain's values,
//! its objects in every version, its error object, the names of its events and the form of its
//! keys. The edge that speaks a dialect stands on this, and so does every edge that shows it
//! (the operator answers with Omise's dispute objects; the evidence page names kinds and
//! reasons in Omise's words; the seeder issues both dialects' keys).

pub mod mangopay;
pub mod omise;
