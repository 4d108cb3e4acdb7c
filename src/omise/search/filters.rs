//! The `filters` of an Omise dispute search (SEARCH.md §2.2), each read into the neutral search:
//! statuses and reason codes in Omise's words, amounts in base units with ranges (`100..1000`,
//! `100..`, `..1000`), dates, datetimes, relative periods and their ranges, booleans as Omise
//! writes them (`yes`, `on`, `true`, in any case), card digits. A value that cannot be read is
//! an error naming the key; the caller answers it as `invalid_filter`.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, TimeDelta, Utc};

use crate::domain::search::{AmountRange, Decimal, DisputeSearch, TimeRange};
use crate::domain::{DisputeStatus, Id, IdKind, Reason};
use crate::omise::vocab;

/// The filter keys a dispute search takes (`created_at` is Swift's spelling of `created`).
pub const KEYS: [&str; 11] = [
    "status",
    "amount",
    "currency",
    "created",
    "created_at",
    "closed_at",
    "charge_id",
    "reason_code",
    "card_last_digits",
    "card_first_digits",
    "delayed",
];

/// The relative periods a date filter takes.
pub const PERIODS: [&str; 8] = [
    "today",
    "yesterday",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "this_year",
    "last_year",
];

/// Applies filter `key` with `value` (not empty) to `search`; `now` is the caller's time, for
/// relative dates. `Err` says what is wrong with the value.
pub fn apply(
    search: &mut DisputeSearch,
    key: &str,
    value: &str,
    now: DateTime<Utc>,
) -> Result<(), String> {
    match key {
        "status" => {
            let i = vocab::STATUSES
                .iter()
                .position(|s| *s == value)
                .ok_or("must be open, pending, won or lost")?;
            search.statuses.push(DisputeStatus::ALL[i]);
        }
        "amount" => search.amount = Some(amount(value)?),
        "currency" => {
            let code = crate::domain::dispute::parse_currency(value)
                .ok_or("must be a 3-letter ISO 4217 code")?;
            search.currency = Some(code);
        }
        "created" | "created_at" => search.created.push(time_range(value, now)?),
        "closed_at" => search.closed.push(time_range(value, now)?),
        "charge_id" => {
            let charge = Id::parse(IdKind::Charge, value).map_err(|e| e.to_string())?;
            search.charge = Some(charge);
        }
        "reason_code" => {
            if vocab::parse_reason(value).is_none() {
                return Err("must be one of Omise's reason codes".into());
            }
            // Every domain reason Omise shows with this code (Mangopay's fraud shows as
            // unauthorized_charge, for one).
            search.reasons.extend(
                Reason::ALL
                    .into_iter()
                    .filter(|r| vocab::reason(*r).0 == value),
            );
        }
        "card_last_digits" | "card_first_digits" => {
            if value.is_empty() || value.len() > 19 || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err("must be 1 to 19 digits".into());
            }
            // Disputes here carry no card: no dispute has these digits.
            search.matches_none = true;
        }
        "delayed" => {
            // No dispute here is ever delayed.
            if boolean(value).ok_or("must be true or false (or yes/no, on/off)")? {
                search.matches_none = true;
            }
        }
        _ => return Err("is not a dispute filter".into()),
    }
    Ok(())
}

/// `true`/`false`, `yes`/`no`, `on`/`off`, in any case.
pub fn boolean(value: &str) -> Option<bool> {
    let lower = value.to_ascii_lowercase();
    match lower.as_str() {
        "true" | "yes" | "on" => Some(true),
        "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// `a`, `a..b`, `a..` or `..b`: the two ends, either open; `..` alone is not a range.
fn ends(value: &str) -> Result<(Option<&str>, Option<&str>), String> {
    match value.split_once("..") {
        None => Ok((Some(value), Some(value))),
        Some(("", "")) => Err("is a range with no ends".into()),
        Some((a, b)) => Ok(((!a.is_empty()).then_some(a), (!b.is_empty()).then_some(b))),
    }
}

/// An amount in the currency's base unit (`900`, `900.50`) or a range of them.
pub fn amount(value: &str) -> Result<AmountRange, String> {
    let (a, b) = ends(value)?;
    let read = |s: Option<&str>| {
        s.map(|s| {
            Decimal::parse(s).ok_or_else(|| {
                "must be an amount in the currency's base unit (900 or 900.50), or a range a..b"
                    .to_owned()
            })
        })
        .transpose()
    };
    let (low, high) = (read(a)?, read(b)?);
    if let (Some(l), Some(h)) = (low, high) {
        // Compare as rationals: l.digits / 10^l.scale > h.digits / 10^h.scale.
        let scale = l.scale.max(h.scale);
        let widen = |d: Decimal| d.digits.saturating_mul(10_u128.pow(scale - d.scale));
        if widen(l) > widen(h) {
            return Err("is a range whose first end is above its last".into());
        }
    }
    Ok(AmountRange { low, high })
}

/// The earliest time a search takes, and the first it does not.
fn earliest() -> DateTime<Utc> {
    DateTime::UNIX_EPOCH
}

fn beyond_latest() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(10000, 1, 1)
        .expect("a date")
        .and_time(Default::default())
        .and_utc()
}

/// A date, a datetime, a relative period or a range of them, as `[from, until)`: a date is its
/// whole UTC day, a datetime its second, a period its days (weeks start on Monday).
pub fn time_range(value: &str, now: DateTime<Utc>) -> Result<TimeRange, String> {
    let (a, b) = ends(value)?;
    let from = a
        .map(|s| period(s, now).map(|(start, _)| start))
        .transpose()?;
    let until = b.map(|s| period(s, now).map(|(_, end)| end)).transpose()?;
    if let (Some(f), Some(u)) = (from, until) {
        if f >= u {
            return Err("is a range whose first end is after its last".into());
        }
    }
    Ok(TimeRange { from, until })
}

fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(Default::default()).and_utc()
}

/// What one value covers, `[start, end)`, within 1970-01-01 to 9999-12-31.
fn period(s: &str, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    const FORMS: &str = "must be a date (YYYY-MM-DD), a datetime (YYYY-MM-DDThh:mm:ssZ), \
                         today, yesterday, this_week, last_week, this_month, last_month, \
                         this_year, last_year, or a range a..b of them";
    let today = now.date_naive();
    let monday = today - Days::new(today.weekday().num_days_from_monday().into());
    let month = today.with_day(1).expect("the first of a month");
    let year = month.with_month(1).expect("January");
    let days = |start: NaiveDate, end: Option<NaiveDate>| end.map(|e| (start, e));
    let range = match s {
        "today" => days(today, today.succ_opt()),
        "yesterday" => days(today.pred_opt().ok_or(FORMS)?, Some(today)),
        "this_week" => days(monday, monday.checked_add_days(Days::new(7))),
        "last_week" => days(
            monday.checked_sub_days(Days::new(7)).ok_or(FORMS)?,
            Some(monday),
        ),
        "this_month" => days(month, month.checked_add_months(Months::new(1))),
        "last_month" => days(
            month.checked_sub_months(Months::new(1)).ok_or(FORMS)?,
            Some(month),
        ),
        "this_year" => days(year, year.checked_add_months(Months::new(12))),
        "last_year" => days(
            year.checked_sub_months(Months::new(12)).ok_or(FORMS)?,
            Some(year),
        ),
        _ => None,
    };
    let (start, end) = match range {
        Some((start, end)) => (day_start(start), day_start(end)),
        None => match s.split_once('T') {
            Some((date_part, time_part)) => {
                let t = datetime(date(date_part).ok_or(FORMS)?, time_part).ok_or(FORMS)?;
                let second = t - TimeDelta::nanoseconds(t.timestamp_subsec_nanos().into());
                (second, second + TimeDelta::seconds(1))
            }
            None => {
                let d = date(s).ok_or(FORMS)?;
                (day_start(d), day_start(d.succ_opt().ok_or(FORMS)?))
            }
        },
    };
    if start < earliest() || end > beyond_latest() {
        return Err("must fall between 1970-01-01 and 9999-12-31".into());
    }
    Ok((start, end))
}

/// `YYYY-MM-DD`, with `-` or `/`, month and day with or without their leading zero.
fn date(s: &str) -> Option<NaiveDate> {
    let mut parts = s.split(['-', '/']);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |p: &str, lengths: std::ops::RangeInclusive<usize>| {
        lengths.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
    };
    if parts.next().is_some() || !digits(y, 4..=4) || !digits(m, 1..=2) || !digits(d, 1..=2) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// `hh:mm:ss[.fff]` with `Z` or `±hh:mm`, or none (UTC), on `day`.
fn datetime(day: NaiveDate, time: &str) -> Option<DateTime<Utc>> {
    let iso = format!("{}T{time}", day.format("%Y-%m-%d"));
    if let Ok(t) = DateTime::parse_from_rfc3339(&iso) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(&iso, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Order;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    /// Wednesday 2025-03-19, 15:30 UTC.
    fn now() -> DateTime<Utc> {
        at("2025-03-19T15:30:00Z")
    }

    fn range(value: &str) -> (String, String) {
        let r = time_range(value, now()).unwrap();
        let show = |t: Option<DateTime<Utc>>| t.map_or("open".into(), |t| t.to_rfc3339());
        (show(r.from), show(r.until))
    }

    fn empty() -> DisputeSearch {
        DisputeSearch {
            text: None,
            statuses: vec![],
            reasons: vec![],
            currency: None,
            amount: None,
            created: vec![],
            closed: vec![],
            charge: None,
            matches_none: false,
            order: Order::Chronological,
            offset: 0,
            limit: 30,
        }
    }

    #[test]
    fn dates_cover_their_whole_utc_day_in_every_written_form() {
        let day = (
            "2017-01-01T00:00:00+00:00".to_owned(),
            "2017-01-02T00:00:00+00:00".to_owned(),
        );
        for form in ["2017-01-01", "2017-1-1", "2017/01/01", "2017/1/1"] {
            assert_eq!(range(form), day, "{form}");
        }
        assert_eq!(
            range("2017-01-01..2022-12-21"),
            (
                "2017-01-01T00:00:00+00:00".into(),
                "2022-12-22T00:00:00+00:00".into()
            )
        );
        assert_eq!(
            range("2017-01-01.."),
            ("2017-01-01T00:00:00+00:00".into(), "open".into())
        );
        assert_eq!(
            range("..2017-01-01"),
            ("open".into(), "2017-01-02T00:00:00+00:00".into())
        );
    }

    #[test]
    fn datetimes_cover_their_second_in_utc() {
        assert_eq!(
            range("2019-05-29T17:00:00.75+07:00"),
            (
                "2019-05-29T10:00:00+00:00".into(),
                "2019-05-29T10:00:01+00:00".into()
            )
        );
        assert_eq!(range("2019-05-29T10:00:00"), range("2019-05-29T10:00:00Z"));
    }

    #[test]
    fn relative_periods_count_in_utc_with_weeks_from_monday() {
        let day = |a: &str, b: &str| (format!("{a}T00:00:00+00:00"), format!("{b}T00:00:00+00:00"));
        assert_eq!(range("today"), day("2025-03-19", "2025-03-20"));
        assert_eq!(range("yesterday"), day("2025-03-18", "2025-03-19"));
        assert_eq!(range("this_week"), day("2025-03-17", "2025-03-24"));
        assert_eq!(range("last_week"), day("2025-03-10", "2025-03-17"));
        assert_eq!(range("this_month"), day("2025-03-01", "2025-04-01"));
        assert_eq!(range("last_month"), day("2025-02-01", "2025-03-01"));
        assert_eq!(range("this_year"), day("2025-01-01", "2026-01-01"));
        assert_eq!(range("last_year"), day("2024-01-01", "2025-01-01"));
        assert_eq!(range("last_week..today"), day("2025-03-10", "2025-03-20"));
    }

    #[test]
    fn bad_dates_swapped_ranges_and_dates_outside_1970_to_9999_are_refused() {
        for bad in [
            "",
            "..",
            "tomorrow",
            "Today",
            "2017-13-01",
            "2017-02-30",
            "17-01-01",
            "2017-01-01-01",
            "2017.01.01",
            "2017-01-01T25:00:00Z",
            "2017-01-01 10:00:00",
            "2022-12-21..2017-01-01",
            "today..yesterday",
            "1969-12-31",
            "1970-01-01T00:00:00+01:00",
            "10000-01-01",
            "9999-12-31T23:59:59-01:00",
            "2017-01-01...2017-01-02",
        ] {
            assert!(time_range(bad, now()).is_err(), "{bad:?}");
        }
        assert!(time_range("1970-01-01..9999-12-31", now()).is_ok());
        assert!(time_range("2017-01-01..2017-01-01", now()).is_ok());
    }

    #[test]
    fn amounts_and_ranges_of_amounts() {
        let r = amount("100..1000").unwrap();
        assert_eq!((r.low.unwrap().digits, r.high.unwrap().digits), (100, 1000));
        assert_eq!(amount("100..").unwrap().high, None);
        assert_eq!(amount("..1000").unwrap().low, None);
        assert!(amount("900.00..900").is_ok());
        for bad in [
            "",
            "..",
            "abc",
            "-5",
            "1e3",
            "2000..1000",
            "900.01..900",
            "1..2..3",
        ] {
            assert!(amount(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn booleans_as_omise_writes_them() {
        for (s, b) in [("true", true), ("True", true), ("YES", true), ("on", true)] {
            assert_eq!(boolean(s), Some(b));
        }
        for s in ["false", "no", "Off"] {
            assert_eq!(boolean(s), Some(false));
        }
        assert_eq!(boolean("1"), None);
    }

    #[test]
    fn each_filter_sets_its_condition_and_unknown_ones_are_refused() {
        let mut s = empty();
        apply(&mut s, "status", "pending", now()).unwrap();
        apply(&mut s, "currency", "thb", now()).unwrap();
        apply(&mut s, "reason_code", "unauthorized_charge", now()).unwrap();
        apply(&mut s, "charge_id", "chrg_test_5demochrg0100000000", now()).unwrap();
        assert_eq!(s.statuses, [DisputeStatus::UnderReview]);
        assert_eq!(s.currency.as_deref(), Some("THB"));
        assert!(s.reasons.contains(&Reason::Unauthorised) && s.reasons.contains(&Reason::Fraud));
        assert!(!s.matches_none);
        apply(&mut s, "delayed", "false", now()).unwrap();
        assert!(!s.matches_none);
        apply(&mut s, "card_last_digits", "5454", now()).unwrap();
        assert!(s.matches_none);
        for (key, value) in [
            ("status", "closed"),
            ("status", "Open"),
            ("currency", "baht"),
            ("reason_code", "fraud"),
            ("charge_id", "dspt_test_5demochrg0100000000"),
            ("card_last_digits", "54a4"),
            ("card_first_digits", "12345678901234567890"),
            ("delayed", "maybe"),
            ("colour", "red"),
            ("__proto__", "x"),
        ] {
            assert!(
                apply(&mut empty(), key, value, now()).is_err(),
                "{key}={value}"
            );
        }
    }
}
