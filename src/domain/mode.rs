//! Modes, scopes and actors. Everything a merchant request can see is bounded by one account and
//! one mode, its `Scope`; every change is made by an `Actor`, which the history records.

use super::Id;

/// Test or live: every key, dispute and document lives in exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Test,
    Live,
}

impl Mode {
    pub fn is_live(self) -> bool {
        self == Mode::Live
    }

    pub fn from_live(live: bool) -> Mode {
        if live { Mode::Live } else { Mode::Test }
    }
}

/// What a merchant request may see: one account, one mode.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub account: Id,
    pub mode: Mode,
}

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A merchant, through one of its API keys.
    Key(Id),
    /// The platform or the bank, through the CLI or the operator API.
    Operator,
    /// The server itself (seeding, deadlines).
    System,
}

impl Actor {
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Key(_) => "key",
            Actor::Operator => "operator",
            Actor::System => "system",
        }
    }

    pub fn id(&self) -> Option<&Id> {
        match self {
            Actor::Key(id) => Some(id),
            _ => None,
        }
    }

    /// The actor a stored (kind, id) pair names.
    pub fn from_parts(kind: &str, id: Option<String>) -> Option<Actor> {
        match (kind, id) {
            ("key", Some(id)) => Some(Actor::Key(Id::from_trusted(id))),
            ("operator", None) => Some(Actor::Operator),
            ("system", None) => Some(Actor::System),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_round_trip_through_their_parts() {
        let key = Actor::Key(Id::from_trusted("key_1".into()));
        for actor in [key, Actor::Operator, Actor::System] {
            let back = Actor::from_parts(actor.kind(), actor.id().map(|i| i.to_string()));
            assert_eq!(back, Some(actor));
        }
        assert_eq!(Actor::from_parts("key", None), None);
        assert_eq!(Actor::from_parts("robot", None), None);
    }
}
