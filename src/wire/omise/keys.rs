//! Omise secret keys: `skey_test_…` (test mode) or `skey_…` (live), then base36 characters.
//! The key format is this dialect's; the core keeps only a key's hash.

use std::fmt;

use rand::Rng;

use crate::domain::Mode;
use crate::domain::ids::{ID_BODY_LEN, base36};

/// A secret API key as presented by a caller. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a secret key")]
pub struct NotASecretKey;

impl SecretKey {
    /// The scheme the store files these keys under.
    pub const SCHEME: &'static str = "omise";

    /// `skey_test_…` or `skey_…`, followed by base36 characters. Public keys (`pkey_…`) and
    /// anything else are refused.
    pub fn parse(s: &str) -> Result<SecretKey, NotASecretKey> {
        let body = s.strip_prefix("skey_").ok_or(NotASecretKey)?;
        let body = body.strip_prefix("test_").unwrap_or(body);
        let ok = (1..=64).contains(&body.len())
            && body
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
        if ok {
            Ok(SecretKey(s.to_owned()))
        } else {
            Err(NotASecretKey)
        }
    }

    /// A fresh random key of `mode`: 19 base36 characters, about 98 random bits.
    pub fn generate(mode: Mode) -> SecretKey {
        let random: u128 = rand::rng().random::<u128>() >> 30;
        let prefix = match mode {
            Mode::Test => "skey_test_",
            Mode::Live => "skey_",
        };
        SecretKey(format!("{prefix}{}", base36(random, ID_BODY_LEN)))
    }

    /// Whether the stored record of this key lets it in: not revoked, of the mode its prefix
    /// says, and an Omise key (not another dialect's).
    pub fn accepted_by(&self, record: &crate::store::KeyRecord) -> bool {
        !record.revoked && record.mode == self.mode() && record.scheme == SecretKey::SCHEME
    }

    pub fn mode(&self) -> Mode {
        if self.0.starts_with("skey_test_") {
            Mode::Test
        } else {
            Mode::Live
        }
    }

    /// What the store keeps instead of the key.
    pub fn hash(&self) -> [u8; 32] {
        crate::core::accounts::secret_hash(&self.0)
    }

    /// The last four characters, for telling keys apart in operator listings.
    pub fn hint(&self) -> String {
        crate::core::accounts::secret_hint(&self.0)
    }

    /// The secret itself: only for showing once to the operator who issued it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(…{})", self.hint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_and_live_keys_parse_with_their_mode() {
        assert_eq!(
            SecretKey::parse("skey_test_4xs8breq3htbkj03d2x")
                .unwrap()
                .mode(),
            Mode::Test
        );
        assert_eq!(
            SecretKey::parse("skey_5g5ih3pybo7v4wwrlv1").unwrap().mode(),
            Mode::Live
        );
    }

    #[test]
    fn public_and_malformed_keys_are_refused() {
        for bad in [
            "pkey_test_4xs8breq3htbkj03d2x",
            "",
            "skey_",
            "skey_test_",
            "skey_test_A!",
            "skey",
        ] {
            assert_eq!(SecretKey::parse(bad), Err(NotASecretKey), "{bad:?}");
        }
    }

    #[test]
    fn generated_keys_parse_and_differ() {
        let a = SecretKey::generate(Mode::Test);
        let b = SecretKey::generate(Mode::Test);
        assert_ne!(a, b);
        assert_eq!(SecretKey::parse(a.expose()).unwrap(), a);
        assert_eq!(SecretKey::generate(Mode::Live).mode(), Mode::Live);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = SecretKey::parse("skey_test_4xs8breq3htbkj03d2x").unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains("4xs8breq3htbkj"), "{shown}");
    }
}
