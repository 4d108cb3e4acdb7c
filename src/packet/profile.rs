//! The profiles a packet is built for (FILES.md §5): what each card network (or PSP) takes in
//! one submission. A MB is 1,000,000 bytes, the networks' own unit.

use std::str::FromStr;

/// Whom a packet is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Profile {
    /// No network's budget: 100 pages and 20 MB, so a packet stays something a person opens.
    Generic,
    /// One PDF of at most 2 MB.
    Visa,
    /// 19 pages, 14.5 MB.
    Mastercard,
    /// 20 pages, 25 MB.
    Amex,
    /// Stripe: under 50 pages, about 4.5 MB combined.
    Stripe,
}

/// What a profile allows; `None` is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub pages: Option<u32>,
    pub bytes: Option<u64>,
}

impl Profile {
    pub const ALL: [Profile; 5] = [
        Profile::Generic,
        Profile::Visa,
        Profile::Mastercard,
        Profile::Amex,
        Profile::Stripe,
    ];

    /// The account preference that holds an account's default profile.
    pub const PREFERENCE: &'static str = "packet_profile";

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Generic => "generic",
            Profile::Visa => "visa",
            Profile::Mastercard => "mastercard",
            Profile::Amex => "amex",
            Profile::Stripe => "stripe",
        }
    }

    pub fn budget(self) -> Budget {
        let (pages, bytes) = match self {
            Profile::Generic => (Some(100), Some(20_000_000)),
            Profile::Visa => (None, Some(2_000_000)),
            Profile::Mastercard => (Some(19), Some(14_500_000)),
            Profile::Amex => (Some(20), Some(25_000_000)),
            Profile::Stripe => (Some(49), Some(4_500_000)),
        };
        Budget { pages, bytes }
    }

    /// The resolution pictures are placed at, in dots per inch.
    pub fn dpi(self) -> u32 {
        match self {
            Profile::Visa | Profile::Stripe => 200,
            Profile::Generic | Profile::Mastercard | Profile::Amex => 300,
        }
    }
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Profile, String> {
        Profile::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "profile must be one of generic, visa, mastercard, amex or stripe, not {s:?}"
                )
            })
    }
}

/// A number of bytes as people read them: `2 MB`, `14.5 MB`, `812 kB`, `950 bytes`.
pub fn bytes_in_words(n: u64) -> String {
    if n >= 1_000_000 {
        let tenths = (n + 50_000) / 100_000;
        if tenths % 10 == 0 {
            format!("{} MB", tenths / 10)
        } else {
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    } else if n >= 1_000 {
        format!("{} kB", (n + 500) / 1_000)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_round_trip_and_carry_the_networks_budgets() {
        for p in Profile::ALL {
            assert_eq!(p.as_str().parse(), Ok(p));
        }
        assert!("discover".parse::<Profile>().is_err());
        assert_eq!(Profile::Mastercard.budget().pages, Some(19));
        assert_eq!(Profile::Visa.budget().bytes, Some(2_000_000));
    }

    #[test]
    fn sizes_read_in_the_networks_unit() {
        assert_eq!(bytes_in_words(2_000_000), "2 MB");
        assert_eq!(bytes_in_words(14_500_000), "14.5 MB");
        assert_eq!(bytes_in_words(812_345), "812 kB");
        assert_eq!(bytes_in_words(950), "950 bytes");
    }
}
