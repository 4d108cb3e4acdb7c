//! Evidence links: a URL on this server that lets whoever holds it answer one dispute from a
//! browser, for a limited time, acting for the key that made it. Only the secret's SHA-256 is
//! kept; the URL is shown once, when the link is made.

use chrono::{DateTime, TimeDelta, Utc};

use super::{Id, Mode};

/// How long a link lives when the caller does not say.
pub const DEFAULT_LIFETIME: TimeDelta = TimeDelta::days(7);
/// The longest a link may live.
pub const MAX_LIFETIME: TimeDelta = TimeDelta::days(30);

/// A stored evidence link.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceLink {
    pub id: Id,
    pub dispute: Id,
    pub account: Id,
    pub mode: Mode,
    /// The key that made it, and for which whoever holds it acts.
    pub key: Id,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Why a link does not open its dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkClosed {
    #[error("this link was revoked")]
    Revoked,
    #[error("this link has expired")]
    Expired,
    /// The key that made it was revoked: the link goes with it.
    #[error("this link is no longer valid")]
    KeyRevoked,
}

impl EvidenceLink {
    /// Whether the link opens its dispute at `now`, and if not, why.
    pub fn check(&self, key_revoked: bool, now: DateTime<Utc>) -> Result<(), LinkClosed> {
        if self.revoked_at.is_some() {
            Err(LinkClosed::Revoked)
        } else if key_revoked {
            Err(LinkClosed::KeyRevoked)
        } else if now >= self.expires_at {
            Err(LinkClosed::Expired)
        } else {
            Ok(())
        }
    }
}

/// The lifetime a caller asked for, in seconds: the default when unsaid, else between one
/// second and the maximum.
pub fn lifetime(requested_seconds: Option<i64>) -> Result<TimeDelta, String> {
    match requested_seconds {
        None => Ok(DEFAULT_LIFETIME),
        Some(s) if s >= 1 && s <= MAX_LIFETIME.num_seconds() => Ok(TimeDelta::seconds(s)),
        Some(_) => Err(format!(
            "expires_in must be between 1 and {} seconds",
            MAX_LIFETIME.num_seconds()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_default_to_a_week_and_stop_at_thirty_days() {
        assert_eq!(lifetime(None), Ok(TimeDelta::days(7)));
        assert_eq!(lifetime(Some(60)), Ok(TimeDelta::seconds(60)));
        assert_eq!(lifetime(Some(30 * 86_400)), Ok(TimeDelta::days(30)));
        assert!(lifetime(Some(30 * 86_400 + 1)).is_err());
        assert!(lifetime(Some(0)).is_err());
        assert!(lifetime(Some(-5)).is_err());
    }

    #[test]
    fn a_link_closes_when_revoked_expired_or_its_key_revoked() {
        let now = Utc::now();
        let link = EvidenceLink {
            id: Id::from_trusted("evlk_test_1".into()),
            dispute: Id::from_trusted("dspt_test_1".into()),
            account: Id::from_trusted("acct_1".into()),
            mode: Mode::Test,
            key: Id::from_trusted("key_1".into()),
            created_at: now,
            expires_at: now + TimeDelta::hours(1),
            revoked_at: None,
        };
        assert_eq!(link.check(false, now), Ok(()));
        assert_eq!(link.check(true, now), Err(LinkClosed::KeyRevoked));
        assert_eq!(
            link.check(false, now + TimeDelta::hours(1)),
            Err(LinkClosed::Expired)
        );
        let revoked = EvidenceLink {
            revoked_at: Some(now),
            ..link
        };
        assert_eq!(revoked.check(false, now), Err(LinkClosed::Revoked));
    }
}
