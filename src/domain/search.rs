//! A search of an account's disputes, in neutral words: free text, the conditions a dispute must
//! meet, and the page. Each dialect parses its own syntax into this (the Omise dialect's
//! `GET /search`); the store runs it. Also the money rule searches need: an amount given in a
//! currency's base unit (THB 900.00) is a range of amounts in its smallest unit (90000 satang),
//! which depends on how many decimals the currency has (ISO 4217).

use chrono::{DateTime, Utc};

use super::{DisputeStatus, Id, Order, Reason};

/// The longest text a search takes, in characters.
pub const MAX_TEXT_CHARS: usize = 256;
/// The shortest: a substring index works on runs of three characters.
pub const MIN_TEXT_CHARS: usize = 3;

/// What a search asks for. Every condition must hold (AND); an empty list means any.
#[derive(Debug, Clone, PartialEq)]
pub struct DisputeSearch {
    /// A case-insensitive substring of the searchable text (see `SearchText`).
    pub text: Option<SearchText>,
    pub statuses: Vec<DisputeStatus>,
    pub reasons: Vec<Reason>,
    /// An ISO 4217 code, upper case.
    pub currency: Option<String>,
    /// The amount, in its currency's base unit.
    pub amount: Option<AmountRange>,
    pub created: Vec<TimeRange>,
    /// A dispute that is not closed never matches.
    pub closed: Vec<TimeRange>,
    pub charge: Option<Id>,
    /// A condition no dispute can meet (a field disputes here never have): the answer is empty.
    pub matches_none: bool,
    pub order: Order,
    pub offset: i64,
    pub limit: i64,
}

/// Free text: a dispute matches when its id, charge id, message or a value of its metadata
/// contains `text` (ignoring case), or when its reason is one of `reasons` (those whose words,
/// in the caller's dialect, contain the text: the store knows no dialect's words).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchText {
    pub text: String,
    pub reasons: Vec<Reason>,
}

/// `[from, until)`; an end that is `None` is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// A non-negative decimal, as written: `digits` × 10^-`scale` (`900.50` is 90050, 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub digits: u128,
    pub scale: u32,
}

impl Decimal {
    /// At most 18 digits before the point and 18 after; no sign, no exponent.
    pub fn parse(s: &str) -> Option<Decimal> {
        let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
        let digits_only = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || whole.len() > 18
            || fraction.len() > 18
            || s.ends_with('.')
            || !digits_only(whole)
            || !digits_only(fraction)
        {
            return None;
        }
        let digits = format!("{whole}{fraction}").parse().ok()?;
        Some(Decimal {
            digits,
            scale: u32::try_from(fraction.len()).ok()?,
        })
    }

    /// In units of 10^-`exponent`: rounded up (`ceil`) or down, saturating at i64::MAX.
    fn in_minor_units(self, exponent: u32, ceil: bool) -> i64 {
        let value = i128::try_from(self.digits).unwrap_or(i128::MAX);
        let scaled = if exponent >= self.scale {
            value.saturating_mul(10_i128.pow(exponent - self.scale))
        } else {
            let divisor = 10_i128.pow(self.scale - exponent);
            let floor = value / divisor;
            if ceil && value % divisor != 0 {
                floor + 1
            } else {
                floor
            }
        };
        i64::try_from(scaled).unwrap_or(i64::MAX)
    }
}

/// An amount or a range of amounts in base units, both ends included; `None` is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmountRange {
    pub low: Option<Decimal>,
    pub high: Option<Decimal>,
}

/// Amounts in the smallest unit, both ends included, for the currencies of `currencies`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountBand {
    pub currencies: Currencies,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Currencies {
    In(Vec<&'static str>),
    /// Every currency but these.
    NotIn(Vec<&'static str>),
}

/// ISO 4217 currencies whose smallest unit is not a hundredth of the base unit, by the number
/// of decimals they have; every other code has two.
const DECIMALS: [(u32, &[&str]); 3] = [
    (
        0,
        &[
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
            "VND", "VUV", "XAF", "XOF", "XPF",
        ],
    ),
    (3, &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]),
    (4, &["CLF", "UYW"]),
];

/// How many decimals a currency (an upper-case ISO 4217 code) has.
pub fn decimals(currency: &str) -> u32 {
    DECIMALS
        .iter()
        .find(|(_, codes)| codes.contains(&currency))
        .map_or(2, |(n, _)| *n)
}

impl AmountRange {
    /// The ranges of smallest-unit amounts this range is, one per number of decimals (or one,
    /// for `currency`). A range no whole amount falls in is left out, so an empty answer means
    /// that no amount matches (`900.005` in THB).
    pub fn bands(&self, currency: Option<&str>) -> Vec<AmountBand> {
        let band = |currencies: Currencies, exponent: u32| {
            let min = self.low.map(|d| d.in_minor_units(exponent, true));
            let max = self.high.map(|d| d.in_minor_units(exponent, false));
            let empty = matches!((min, max), (Some(a), Some(b)) if a > b);
            (!empty).then_some(AmountBand {
                currencies,
                min,
                max,
            })
        };
        if let Some(code) = currency {
            let code = DECIMALS
                .iter()
                .flat_map(|(_, codes)| codes.iter())
                .find(|c| **c == code)
                .copied();
            // A two-decimal currency is named by the search's own currency condition.
            let currencies = match code {
                Some(c) => Currencies::In(vec![c]),
                None => Currencies::NotIn(Vec::new()),
            };
            return band(currencies, code.map_or(2, decimals))
                .into_iter()
                .collect();
        }
        let mut bands: Vec<AmountBand> = DECIMALS
            .iter()
            .filter_map(|(exponent, codes)| band(Currencies::In(codes.to_vec()), *exponent))
            .collect();
        let others = DECIMALS
            .iter()
            .flat_map(|(_, codes)| codes.iter().copied())
            .collect();
        bands.extend(band(Currencies::NotIn(others), 2));
        bands
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    fn exact(s: &str) -> AmountRange {
        AmountRange {
            low: Some(dec(s)),
            high: Some(dec(s)),
        }
    }

    #[test]
    fn decimals_parse_as_written_and_nothing_else() {
        assert_eq!(
            dec("900.50"),
            Decimal {
                digits: 90050,
                scale: 2
            }
        );
        assert_eq!(
            dec("0"),
            Decimal {
                digits: 0,
                scale: 0
            }
        );
        for bad in [
            "", ".", "1.", ".5", "-1", "+1", "1e3", "1.2.3", "abc", " 1", "1,5",
        ] {
            assert_eq!(Decimal::parse(bad), None, "{bad:?}");
        }
        assert!(Decimal::parse(&"9".repeat(18)).is_some());
        assert!(Decimal::parse(&"9".repeat(19)).is_none());
    }

    #[test]
    fn a_base_unit_amount_is_an_amount_per_number_of_decimals() {
        let bands = exact("900").bands(None);
        let of = |currency: &str| {
            bands
                .iter()
                .find(|b| match &b.currencies {
                    Currencies::In(c) => c.contains(&currency),
                    Currencies::NotIn(c) => !c.contains(&currency),
                })
                .map(|b| (b.min, b.max))
        };
        assert_eq!(of("THB"), Some((Some(90000), Some(90000))));
        assert_eq!(of("JPY"), Some((Some(900), Some(900))));
        assert_eq!(of("KWD"), Some((Some(900_000), Some(900_000))));
        assert_eq!(of("CLF"), Some((Some(9_000_000), Some(9_000_000))));
    }

    #[test]
    fn fractions_smaller_than_the_unit_match_no_amount_but_bound_a_range() {
        // 900.005 THB is no whole number of satang; JPY 900.5 no whole number of yen.
        assert!(exact("900.005").bands(Some("THB")).is_empty());
        assert!(exact("900.5").bands(Some("JPY")).is_empty());
        let range = AmountRange {
            low: Some(dec("100.005")),
            high: Some(dec("200.999")),
        };
        let thb = &range.bands(Some("THB"))[0];
        assert_eq!((thb.min, thb.max), (Some(10001), Some(20099)));
        assert_eq!(thb.currencies, Currencies::NotIn(Vec::new()));
        let jpy = &range.bands(Some("JPY"))[0];
        assert_eq!((jpy.min, jpy.max), (Some(101), Some(200)));
        assert_eq!(jpy.currencies, Currencies::In(vec!["JPY"]));
    }

    #[test]
    fn open_ends_stay_open_and_huge_amounts_saturate() {
        let range = AmountRange {
            low: None,
            high: Some(dec(&"9".repeat(18))),
        };
        let band = &range.bands(Some("CLF"))[0];
        assert_eq!((band.min, band.max), (None, Some(i64::MAX)));
    }

    #[test]
    fn currencies_have_their_iso_4217_decimals() {
        assert_eq!(
            [
                decimals("THB"),
                decimals("USD"),
                decimals("JPY"),
                decimals("KWD"),
                decimals("CLF")
            ],
            [2, 2, 0, 3, 4]
        );
    }
}
