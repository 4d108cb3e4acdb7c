//! Signed download tokens: `<expiry unix seconds>.<base64url HMAC-SHA256>` over the document id
//! and the expiry. A token names one document until it expires; deleting the document kills it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

use crate::domain::Id;

#[derive(Clone)]
pub struct Signer {
    /// The HMAC with the key already taken in (its two padded key blocks hashed once, here,
    /// rather than for every link), cloned for each token.
    keyed: Hmac<Sha256>,
    ttl: TimeDelta,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer(ttl: {})", self.ttl)
    }
}

impl Signer {
    pub fn new(secret: Option<&str>, ttl: TimeDelta) -> Signer {
        let key = match secret {
            Some(s) => s.as_bytes().to_vec(),
            None => rand::rng().random::<[u8; 32]>().to_vec(),
        };
        let keyed = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
        Signer { keyed, ttl }
    }

    fn mac(&self, subject: &str, expires: i64) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(subject.as_bytes());
        mac.update(b".");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// A token for `document`, valid from `now` for the configured time.
    pub fn sign(&self, document: &Id, now: DateTime<Utc>) -> String {
        self.sign_until(document.as_str(), (now + self.ttl).timestamp())
    }

    /// A token for any `subject` (a document's previews), valid from `now` for the configured
    /// time.
    pub fn sign_subject(&self, subject: &str, now: DateTime<Utc>) -> String {
        self.sign_until(subject, (now + self.ttl).timestamp())
    }

    /// Whether `token` was signed here for `document` and has not expired at `now`.
    pub fn verify(&self, document: &Id, token: &str, now: DateTime<Utc>) -> bool {
        self.verify_subject(document.as_str(), token, now)
    }

    /// A token for any `subject` (a page: `<document>/<position>`), valid until `expires`
    /// (Unix seconds).
    pub fn sign_until(&self, subject: &str, expires: i64) -> String {
        let tag = self.mac(subject, expires).finalize().into_bytes();
        format!("{expires}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// Whether `token` was signed here for `subject` and has not expired at `now`.
    pub fn verify_subject(&self, subject: &str, token: &str, now: DateTime<Utc>) -> bool {
        let Some((expires, tag)) = token.split_once('.') else {
            return false;
        };
        let (Ok(expires), Ok(tag)) = (expires.parse::<i64>(), URL_SAFE_NO_PAD.decode(tag)) else {
            return false;
        };
        // Constant-time comparison of the tag.
        now.timestamp() <= expires && self.mac(subject, expires).verify_slice(&tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::IdKind;

    fn doc() -> Id {
        Id::parse(IdKind::Document, "docu_test_5g5iiejzhyhbfyj6kzs").unwrap()
    }

    #[test]
    fn a_fresh_token_verifies_until_it_expires() {
        let signer = Signer::new(Some("a-long-enough-signing-secret"), TimeDelta::hours(1));
        let now = Utc::now();
        let token = signer.sign(&doc(), now);
        assert!(signer.verify(&doc(), &token, now));
        assert!(signer.verify(&doc(), &token, now + TimeDelta::minutes(59)));
        assert!(!signer.verify(&doc(), &token, now + TimeDelta::minutes(61)));
    }

    #[test]
    fn a_token_is_the_hmac_of_its_subject_and_expiry_and_the_same_for_every_link() {
        // HMAC-SHA256("a-long-enough-signing-secret", "<document>.1700000000"), by Python's hmac.
        let expected = "1700000000.zq37TW9-Vr58lm0NWBXadx_isOj1Oyxx8H0FsWhxCuM";
        let signer = Signer::new(Some("a-long-enough-signing-secret"), TimeDelta::hours(1));
        for _ in 0..3 {
            assert_eq!(signer.sign_until(doc().as_str(), 1_700_000_000), expected);
        }
    }

    #[test]
    fn tampered_or_foreign_tokens_do_not_verify() {
        let signer = Signer::new(Some("a-long-enough-signing-secret"), TimeDelta::hours(1));
        let now = Utc::now();
        let token = signer.sign(&doc(), now);
        let (expires, tag) = token.split_once('.').unwrap();
        let later = format!("{}.{tag}", expires.parse::<i64>().unwrap() + 3600);
        let other = Id::parse(IdKind::Document, "docu_test_53f7n2a4rzvii1p8tn7").unwrap();
        let stranger = Signer::new(Some("another-signing-secret-entirely"), TimeDelta::hours(1));
        assert!(!signer.verify(&doc(), &later, now));
        assert!(!signer.verify(&other, &token, now));
        assert!(!stranger.verify(&doc(), &token, now));
        for junk in ["", ".", "abc", "1.", "x.y", &token[..token.len() - 2]] {
            assert!(!signer.verify(&doc(), junk, now), "{junk:?}");
        }
    }
}
