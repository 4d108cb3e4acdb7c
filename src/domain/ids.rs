//! Object ids: a prefix, `test_` for test-mode objects, then 19 lowercase base36 characters.
//! The number behind the characters is the creation second (32 bits) followed by 66 random
//! bits, so ids are unguessable and sort roughly by creation time. The `test_` marker is a
//! courtesy to people reading ids; the mode itself is a field of every object, never read back
//! out of its id.

use std::fmt;

use rand::Rng;

use super::Mode;

/// How many base36 characters follow the prefix in every id this server makes.
pub const ID_BODY_LEN: usize = 19;

/// The kinds of object that carry ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Account,
    Key,
    Dispute,
    Document,
    Transaction,
    Charge,
    Event,
    /// Where events are pushed.
    Endpoint,
    /// A link that opens one dispute's evidence page.
    EvidenceLink,
}

impl IdKind {
    pub fn prefix(self) -> &'static str {
        match self {
            IdKind::Account => "acct",
            IdKind::Key => "key",
            IdKind::Dispute => "dspt",
            IdKind::Document => "docu",
            IdKind::Transaction => "trxn",
            IdKind::Charge => "chrg",
            IdKind::Event => "evnt",
            IdKind::Endpoint => "whep",
            IdKind::EvidenceLink => "evlk",
        }
    }

    /// The regular expression `Id::parse` accepts for this kind, for documentation.
    pub fn pattern(self) -> String {
        let mode = if self.has_mode() { "(test_)?" } else { "" };
        format!("^{}_{mode}[0-9a-z]{{1,64}}$", self.prefix())
    }

    /// Whether ids of this kind carry the mode (`dspt_test_…` vs `dspt_…`).
    fn has_mode(self) -> bool {
        !matches!(self, IdKind::Account | IdKind::Key)
    }
}

/// A well-formed id of a known kind. The mode is part of the id, so a test-mode id can never
/// name a live object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0} is not a valid {1} id")]
pub struct InvalidId(pub String, pub &'static str);

impl Id {
    /// A fresh id created at `unix_seconds`.
    pub fn generate(kind: IdKind, mode: Mode, unix_seconds: i64) -> Id {
        let random: u128 = rand::rng().random::<u128>() & ((1u128 << 66) - 1);
        let seconds = (unix_seconds.max(0) as u128) & 0xffff_ffff;
        let body = base36((seconds << 66) | random, ID_BODY_LEN);
        Id(format!("{}{}", mode_prefix(kind, mode), body))
    }

    /// Parses an id of `kind`, in either mode. Bodies of 1 to 64 base36 characters are accepted
    /// so that ids made elsewhere (older ids, imported data) still parse.
    pub fn parse(kind: IdKind, s: &str) -> Result<Id, InvalidId> {
        let invalid = || InvalidId(s.to_owned(), kind.prefix());
        let rest = s
            .strip_prefix(kind.prefix())
            .and_then(|r| r.strip_prefix('_'))
            .ok_or_else(invalid)?;
        let body = if kind.has_mode() {
            rest.strip_prefix("test_").unwrap_or(rest)
        } else {
            rest
        };
        let well_formed = (1..=64).contains(&body.len())
            && body
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
        if well_formed {
            Ok(Id(s.to_owned()))
        } else {
            Err(invalid())
        }
    }

    /// The mode marker written into ids of mode-carrying kinds. Only for ids that name nothing
    /// stored here (a charge is known by its id alone); stored objects carry their mode.
    pub fn marked_mode(&self) -> Mode {
        if self.0.contains("_test_") {
            Mode::Test
        } else {
            Mode::Live
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Wraps an id read back from the store, where only well-formed ids are ever written.
    pub fn from_trusted(s: String) -> Id {
        Id(s)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn mode_prefix(kind: IdKind, mode: Mode) -> String {
    match (kind.has_mode(), mode) {
        (true, Mode::Test) => format!("{}_test_", kind.prefix()),
        _ => format!("{}_", kind.prefix()),
    }
}

/// `n` in lowercase base36, left-padded with zeros to `width` characters.
pub fn base36(mut n: u128, width: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8(out).expect("base36 digits are ascii")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_the_prefix_and_nineteen_base36_characters() {
        let id = Id::generate(IdKind::Dispute, Mode::Test, 1_700_000_000);
        let body = id.as_str().strip_prefix("dspt_test_").unwrap();
        assert_eq!(body.len(), ID_BODY_LEN);
        assert!(Id::parse(IdKind::Dispute, id.as_str()).is_ok());
        assert_eq!(id.marked_mode(), Mode::Test);
        let live = Id::generate(IdKind::Document, Mode::Live, 1_700_000_000);
        assert!(live.as_str().starts_with("docu_") && !live.as_str().contains("test"));
        assert_eq!(live.marked_mode(), Mode::Live);
    }

    #[test]
    fn ids_sort_by_creation_second() {
        let earlier = Id::generate(IdKind::Dispute, Mode::Test, 1_700_000_000);
        let later = Id::generate(IdKind::Dispute, Mode::Test, 1_700_000_001);
        assert!(earlier < later);
    }

    #[test]
    fn two_ids_of_the_same_second_differ() {
        let a = Id::generate(IdKind::Dispute, Mode::Test, 1_700_000_000);
        let b = Id::generate(IdKind::Dispute, Mode::Test, 1_700_000_000);
        assert_ne!(a, b);
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in [
            "",
            "dspt",
            "dspt_",
            "dspt_test_",
            "docu_test_5g5iiejzhyhbfyj6kzs",
            "dspt_test_ABC",
            "dspt_test_../../etc",
            "dspt_test_5g5ih3pybo7v4wwrbjw ",
        ] {
            assert!(Id::parse(IdKind::Dispute, bad).is_err(), "{bad:?}");
        }
        assert!(Id::parse(IdKind::Dispute, "dspt_test_5g5ih3pybo7v4wwrbjw").is_ok());
        assert!(Id::parse(IdKind::Dispute, "dspt_5g5ih3pybo7v4wwrbjw").is_ok());
    }

    #[test]
    fn base36_pads_to_width() {
        assert_eq!(base36(35, 3), "00z");
        assert_eq!(base36(36, 3), "010");
    }
}
