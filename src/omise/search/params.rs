//! How a search's parameters are documented in the OpenAPI document: each with the pattern its
//! parser takes, so that generated requests that follow the document are answered 200.

use utoipa::IntoParams;

use super::filters;
use crate::omise::vocab;

/// How the search's parameters are documented (the handler reads them itself, to answer each
/// mistake with its own Omise error code).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SearchParams {
    /// What to search: only dispute is served here (Omise has more scopes).
    #[param(pattern = "^dispute$")]
    scope: String,
    /// Free text: a case-insensitive substring of a dispute's id, charge id, message, reason
    /// code or reason message, or a value of its metadata, taken literally. Leading and
    /// trailing spaces are ignored; what is left is empty (no text search) or 3 to 256
    /// characters.
    #[param(
        max_length = 256,
        pattern = "^[ \\t\\n\\f\\r]*([^ \\t\\n\\f\\r][\\s\\S]+[^ \\t\\n\\f\\r][ \\t\\n\\f\\r]*)?$"
    )]
    query: Option<String>,
    /// Default 1.
    #[param(minimum = 1)]
    page: Option<i64>,
    /// Default 30.
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<i64>,
    /// chronological (default, oldest first) or reverse_chronological.
    #[param(schema_with = crate::omise::openapi::order_schema)]
    order: Option<String>,
    #[param(rename = "filters[status]", schema_with = status_filter_schema)]
    filter_status: Option<String>,
    /// An amount in the currency's base unit (900 or 900.50 for THB 900.50 = 90050 satang;
    /// JPY 5000 for 5000 yen), or a range a..b, a.. or ..b, both ends included.
    #[param(
        rename = "filters[amount]",
        pattern = r"^(\d{1,18}(\.\d{1,18})?(\.\.(\d{1,18}(\.\d{1,18})?)?)?|\.\.\d{1,18}(\.\d{1,18})?)$"
    )]
    filter_amount: Option<String>,
    /// An ISO 4217 code, in any case.
    #[param(rename = "filters[currency]", pattern = "^[A-Za-z]{3}$")]
    filter_currency: Option<String>,
    /// When the dispute was created (UTC): a date (its whole day), a datetime (its second), a
    /// relative period (today, yesterday, this_week, last_week, this_month, last_month,
    /// this_year, last_year; weeks start on Monday) or a range a..b, a.. or ..b of them,
    /// within 1970-01-01 to 9999-12-31.
    #[param(rename = "filters[created]", schema_with = date_filter_schema)]
    filter_created: Option<String>,
    /// The same as filters[created].
    #[param(rename = "filters[created_at]", schema_with = date_filter_schema)]
    filter_created_at: Option<String>,
    /// When the dispute was closed, as filters[created]; a dispute not closed never matches.
    #[param(rename = "filters[closed_at]", schema_with = date_filter_schema)]
    filter_closed_at: Option<String>,
    /// The disputed charge.
    #[param(rename = "filters[charge_id]", schema_with = charge_schema)]
    filter_charge_id: Option<String>,
    #[param(rename = "filters[reason_code]", schema_with = crate::omise::openapi::reason_schema)]
    filter_reason_code: Option<String>,
    /// Digits; disputes here carry no card, so none matches.
    #[param(rename = "filters[card_last_digits]", pattern = r"^\d{1,19}$")]
    filter_card_last_digits: Option<String>,
    /// Digits; disputes here carry no card, so none matches.
    #[param(rename = "filters[card_first_digits]", pattern = r"^\d{1,19}$")]
    filter_card_first_digits: Option<String>,
    /// true/false, yes/no or on/off, in any case; no dispute here is delayed.
    #[param(
        rename = "filters[delayed]",
        pattern = "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[Yy][Ee][Ss]|[Nn][Oo]|[Oo][Nn]|[Oo][Ff][Ff])$"
    )]
    filter_delayed: Option<String>,
}

/// What a date filter takes: a date (1970 to 9999, `-` or `/`, month and day with or without
/// their zero), a datetime, a relative period, or a range of them.
pub fn date_filter_pattern() -> String {
    let value = format!(
        r"({}|(19[7-9]\d|[2-9]\d{{3}})[-/](0?[1-9]|1[0-2])[-/](0?[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{{1,9}})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?)?)",
        filters::PERIODS.join("|")
    );
    format!(r"^({value}|{value}\.\.({value})?|\.\.{value})$")
}

fn date_filter_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(date_filter_pattern()))
        .build()
}

fn status_filter_schema() -> utoipa::openapi::schema::Object {
    crate::omise::openapi::string_enum(vocab::STATUSES, "open, pending, won or lost")
}

fn charge_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(crate::domain::IdKind::Charge.pattern()))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-03-19T15:30:00Z")
            .unwrap()
            .to_utc()
    }

    /// The documented patterns say what the parsers take, so that generated requests that
    /// follow the document are answered 200 (bar the few rules a pattern cannot state).
    #[test]
    fn the_documented_patterns_agree_with_the_parsers() {
        let dates = regex::Regex::new(&date_filter_pattern()).unwrap();
        for v in [
            "today",
            "last_year..this_week",
            "2017-01-01",
            "2017/1/1",
            "2017-01-01T10:00:00Z",
            "2017-01-01T10:00:00.123+07:00",
            "2017-01-01T10:00:00",
            "2017-01-01..",
            "..2017-01-01",
            "1970-01-01..9999-12-31",
        ] {
            assert!(dates.is_match(v), "{v}");
            assert!(filters::time_range(v, now()).is_ok(), "{v}");
        }
        for v in [
            "",
            "..",
            "Today",
            "1969-12-31",
            "10000-01-01",
            "2017-13-01",
            "2017-01-01 10:00:00",
            "x..today",
        ] {
            assert!(!dates.is_match(v), "{v}");
            assert!(filters::time_range(v, now()).is_err(), "{v}");
        }
        let amounts = regex::Regex::new(
            r"^(\d{1,18}(\.\d{1,18})?(\.\.(\d{1,18}(\.\d{1,18})?)?)?|\.\.\d{1,18}(\.\d{1,18})?)$",
        )
        .unwrap();
        for v in ["900", "900.50", "100..1000", "100..", "..1000", "0"] {
            assert!(amounts.is_match(v) && filters::amount(v).is_ok(), "{v}");
        }
        for v in ["", "..", ".5", "5.", "-1", "1e3", "1..2..3"] {
            assert!(!amounts.is_match(v) && filters::amount(v).is_err(), "{v}");
        }
        let query = regex::Regex::new(
            "^[ \\t\\n\\f\\r]*([^ \\t\\n\\f\\r][\\s\\S]+[^ \\t\\n\\f\\r][ \\t\\n\\f\\r]*)?$",
        )
        .unwrap();
        for v in ["", "   ", "abc", " a b ", "\u{a0}ab", "a\u{1f}b"] {
            assert!(
                query.is_match(v) && super::super::request::search_text(v).is_ok(),
                "{v:?}"
            );
        }
        for v in ["a", "ab", " ab\t", "\na\n"] {
            assert!(
                !query.is_match(v) && super::super::request::search_text(v).is_err(),
                "{v:?}"
            );
        }
    }
}
