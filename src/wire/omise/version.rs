//! `Omise-Version`: which shape responses take.

/// The account preference that holds its default version.
pub const VERSION_PREFERENCE: &str = "omise_version";

/// A version Omise never published, in the words of the 400 that refuses it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnknownVersion(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    /// `created_at`, upper-case currencies, `transactions` and `funding_*`.
    V2019_05_29,
    /// `created`, lower-case currencies, a single `transaction` id.
    V2017_11_02,
}

impl ApiVersion {
    pub const DEFAULT: ApiVersion = ApiVersion::V2019_05_29;

    /// The versions Omise has published; those before 2019-05-29 share the older shapes.
    pub fn parse(s: &str) -> Result<ApiVersion, UnknownVersion> {
        match s.trim() {
            "2019-05-29" => Ok(ApiVersion::V2019_05_29),
            "2017-11-02" | "2015-11-17" | "2014-07-27" => Ok(ApiVersion::V2017_11_02),
            other => Err(UnknownVersion(format!(
                "unknown Omise-Version {other:?}: use 2019-05-29 or 2017-11-02"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V2019_05_29 => "2019-05-29",
            ApiVersion::V2017_11_02 => "2017-11-02",
        }
    }

    pub fn is_legacy(self) -> bool {
        self == ApiVersion::V2017_11_02
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_versions_parse_and_unknown_ones_are_refused() {
        assert_eq!(
            ApiVersion::parse("2019-05-29").unwrap(),
            ApiVersion::V2019_05_29
        );
        assert_eq!(
            ApiVersion::parse("2017-11-02").unwrap(),
            ApiVersion::V2017_11_02
        );
        assert_eq!(
            ApiVersion::parse("2015-11-17").unwrap(),
            ApiVersion::V2017_11_02
        );
        for bad in ["", "2020-01-01", "latest", "2019-5-29"] {
            assert!(ApiVersion::parse(bad).is_err(), "{bad:?}");
        }
    }
}
