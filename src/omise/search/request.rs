//! A search's parameters, read: from the query string over the body (form or JSON), each
//! mistake answered with its Omise error code (SEARCH.md §4).

use axum::extract::{FromRequest, Request};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::filters;
use crate::domain::Order;
use crate::domain::Reason;
use crate::domain::search::{DisputeSearch, MAX_TEXT_CHARS, MIN_TEXT_CHARS, SearchText};
use crate::omise::input::{Input, parse_form};
use crate::omise::{ApiError, ApiResult, vocab};

/// The page size when none is asked for (Omise's).
pub const DEFAULT_PER_PAGE: i64 = 30;
/// The largest page (ours; SPEC's largest list page).
pub const MAX_PER_PAGE: i64 = 100;

/// The scopes Omise's Search API has (https://www.omise.co/search-api); only `dispute` is
/// served here.
const OMISE_SCOPES: [&str; 15] = [
    "charge",
    "charge_schedule",
    "customer",
    "dispute",
    "event",
    "fund_account",
    "link",
    "log_entry",
    "receipt",
    "recipient",
    "refund",
    "sub_merchant",
    "transfer",
    "transfer_schedule",
    "transaction",
];

/// The search's parameters, from wherever the client put them: the query string's over the
/// body's (form or JSON).
pub struct SearchInput(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for SearchInput {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<SearchInput, ApiError> {
        let query = req
            .uri()
            .query()
            .map(|q| parse_form(q.as_bytes()))
            .transpose()?;
        let Input(mut params) = Input::<Map<String, Value>>::from_request(req, state).await?;
        params.extend(query.unwrap_or_default());
        Ok(SearchInput(params))
    }
}

/// A value shown in a message: at most 64 characters of it.
fn shown(s: &str) -> String {
    match s.char_indices().nth(64) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// A parameter as text: strings as they are, numbers and booleans written out; `None` when
/// absent, null or empty; `Err` for an array or object.
fn text(params: &Map<String, Value>, name: &str) -> Result<Option<String>, ()> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(()),
    }
}

/// A whole number, written as digits or a JSON integer.
fn integer(params: &Map<String, Value>, name: &str) -> Result<Option<i64>, ()> {
    match params.get(name) {
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or(()),
        _ => text(params, name)?
            .map(|s| s.parse::<i64>().map_err(|_| ()))
            .transpose(),
    }
}

/// A search request, read and checked.
#[derive(Debug)]
pub struct SearchRequest {
    pub search: DisputeSearch,
    /// As received (`""` when absent).
    pub query: String,
    /// Each filter applied, its key as sent and its value as a string.
    pub filters: Vec<(String, String)>,
    pub page: i64,
    pub per_page: i64,
}

impl SearchRequest {
    /// Reads the parameters; `now` is the caller's time (relative dates count from it).
    pub fn read(params: &Map<String, Value>, now: DateTime<Utc>) -> ApiResult<SearchRequest> {
        let scope = text(params, "scope")
            .ok()
            .flatten()
            .ok_or_else(|| ApiError::InvalidScope("scope is required: dispute".into()))?;
        if scope != "dispute" {
            return Err(ApiError::InvalidScope(
                if OMISE_SCOPES.contains(&scope.as_str()) {
                    format!("scope {scope} is not supported (only dispute is)")
                } else {
                    format!("unknown scope {}", shown(&scope))
                },
            ));
        }
        let bad_page = |name: &str, rule: &str| ApiError::InvalidPage(format!("{name} {rule}"));
        let page = integer(params, "page")
            .ok()
            .and_then(|p| p.map_or(Some(1), |p| (p >= 1).then_some(p)))
            .ok_or_else(|| bad_page("page", "must be a positive integer"))?;
        let per_page = integer(params, "per_page")
            .ok()
            .and_then(|p| {
                p.map_or(Some(DEFAULT_PER_PAGE), |p| {
                    (1..=MAX_PER_PAGE).contains(&p).then_some(p)
                })
            })
            .ok_or_else(|| bad_page("per_page", "must be an integer from 1 to 100"))?;
        let order = match text(params, "order") {
            Ok(None) => Some(Order::Chronological),
            Ok(Some(s)) => Order::parse(&s),
            Err(()) => None,
        }
        .ok_or_else(|| {
            ApiError::bad_request("order must be chronological or reverse_chronological")
        })?;
        let query = text(params, "query")
            .map_err(|()| ApiError::bad_request("query must be a string"))?
            .unwrap_or_default();
        let mut search = DisputeSearch {
            text: search_text(&query)?,
            statuses: Vec::new(),
            reasons: Vec::new(),
            currency: None,
            amount: None,
            created: Vec::new(),
            closed: Vec::new(),
            charge: None,
            matches_none: false,
            order,
            offset: (page - 1).saturating_mul(per_page),
            limit: per_page,
        };
        let filters = read_filters(params.get("filters"), &mut search, now)?;
        Ok(SearchRequest {
            search,
            query,
            filters,
            page,
            per_page,
        })
    }
}

/// The free text of `query`, trimmed of white space: none when nothing is left, else 3 to 256
/// characters, each matched literally (`%`, `_` and `\` too), with the reasons whose Omise code
/// or message contains it.
pub(super) fn search_text(query: &str) -> ApiResult<Option<SearchText>> {
    if query.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::bad_request(format!(
            "query must be at most {MAX_TEXT_CHARS} characters"
        )));
    }
    let text = query.trim_matches(|c: char| c.is_ascii_whitespace());
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() < MIN_TEXT_CHARS {
        return Err(ApiError::bad_request(format!(
            "query must be at least {MIN_TEXT_CHARS} characters (besides leading and trailing spaces)"
        )));
    }
    let lower = text.to_lowercase();
    let reasons = Reason::ALL
        .into_iter()
        .filter(|r| {
            let (code, message) = vocab::reason(*r);
            code.contains(&lower) || message.to_lowercase().contains(&lower)
        })
        .collect();
    Ok(Some(SearchText {
        text: text.to_owned(),
        reasons,
    }))
}

/// Applies `filters` (an object of scalars, or absent, null or `""`) to `search`; returns what
/// was applied, to echo. A filter whose value is empty is neither applied nor echoed.
fn read_filters(
    filters: Option<&Value>,
    search: &mut DisputeSearch,
    now: DateTime<Utc>,
) -> ApiResult<Vec<(String, String)>> {
    let object = match filters {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(s)) if s.is_empty() => return Ok(Vec::new()),
        Some(Value::Object(object)) => object,
        Some(_) => {
            return Err(ApiError::InvalidFilter(
                "filters must be an object of filter names and values (filters[status]=open)"
                    .into(),
            ));
        }
    };
    let mut applied = Vec::with_capacity(object.len());
    for (key, value) in object {
        let value = match value {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Array(_) | Value::Object(_) => {
                return Err(ApiError::InvalidFilter(format!(
                    "filters[{}] must be a single value, not a list or an object",
                    shown(key)
                )));
            }
        };
        if value.is_empty() {
            continue;
        }
        if !filters::KEYS.contains(&key.as_str()) {
            return Err(ApiError::InvalidFilter(format!(
                "unknown filter {}: a dispute search takes {}",
                shown(key),
                filters::KEYS.join(", ")
            )));
        }
        filters::apply(search, key, &value, now)
            .map_err(|why| ApiError::InvalidFilter(format!("filters[{key}] {why}")))?;
        applied.push((key.clone(), value));
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-03-19T15:30:00Z")
            .unwrap()
            .to_utc()
    }

    fn read(v: Value) -> ApiResult<SearchRequest> {
        let Value::Object(params) = v else { panic!() };
        SearchRequest::read(&params, now())
    }

    fn code(v: Value) -> &'static str {
        read(v.clone()).map_or_else(|e| e.code(), |_| panic!("accepted {v}"))
    }

    #[test]
    fn defaults_are_omises() {
        let r = read(json!({"scope": "dispute"})).unwrap();
        assert_eq!((r.page, r.per_page, r.query.as_str()), (1, 30, ""));
        assert_eq!(r.search.order, Order::Chronological);
        assert_eq!((r.search.offset, r.search.limit), (0, 30));
        assert!(r.filters.is_empty() && r.search.text.is_none());
        // Empty values and nulls are defaults too (Node writes null as an empty value).
        let r = read(json!({"scope": "dispute", "page": "", "per_page": null, "order": "", "query": null, "filters": ""})).unwrap();
        assert_eq!((r.page, r.per_page), (1, 30));
    }

    #[test]
    fn pages_become_offsets_and_numbers_may_be_strings_or_json() {
        let r = read(json!({"scope": "dispute", "page": "3", "per_page": 2, "order": "reverse_chronological"})).unwrap();
        assert_eq!((r.search.offset, r.search.limit), (4, 2));
        assert_eq!(r.search.order, Order::ReverseChronological);
        let far = read(json!({"scope": "dispute", "page": i64::MAX, "per_page": 100})).unwrap();
        assert_eq!(far.search.offset, i64::MAX);
    }

    #[test]
    fn each_mistake_has_its_omise_code() {
        for scope in [
            json!(null),
            json!(""),
            json!("charge"),
            json!("Dispute"),
            json!(["dispute"]),
        ] {
            assert_eq!(code(json!({"scope": scope})), "invalid_scope", "{scope}");
        }
        assert_eq!(code(json!({})), "invalid_scope");
        for (name, value) in [
            ("page", json!(0)),
            ("page", json!("x")),
            ("page", json!(1.5)),
            ("page", json!("99999999999999999999")),
            ("per_page", json!(0)),
            ("per_page", json!(101)),
            ("per_page", json!([1])),
        ] {
            assert_eq!(
                code(json!({"scope": "dispute", name: value})),
                "invalid_page",
                "{name}={value}"
            );
        }
        assert_eq!(
            code(json!({"scope": "dispute", "order": "up"})),
            "bad_request"
        );
        for filters in [
            json!(["status"]),
            json!("status=open"),
            json!({"status": {"eq": "open"}}),
            json!({"status": ["open"]}),
            json!({"__proto__": "x"}),
            json!({"colour": "red"}),
            json!({"status": "closed"}),
            json!({"amount": "abc"}),
            json!({"amount": "2000..1000"}),
            json!({"created": "1969-12-31"}),
            json!({"created": "2022-12-21..2017-01-01"}),
        ] {
            assert_eq!(
                code(json!({"scope": "dispute", "filters": filters})),
                "invalid_filter",
                "{filters}"
            );
        }
        for query in [
            json!("x".repeat(10 * 1024)),
            json!("ab"),
            json!(" a "),
            json!({"q": 1}),
        ] {
            assert_eq!(
                code(json!({"scope": "dispute", "query": query})),
                "bad_request",
                "{query}"
            );
        }
    }

    #[test]
    fn filters_echo_as_strings_and_empty_ones_are_dropped() {
        let r = read(json!({"scope": "dispute", "filters": {
            "amount": 1000, "delayed": false, "status": "", "created_at": null, "card_last_digits": "5454"
        }}))
        .unwrap();
        assert_eq!(
            r.filters,
            [
                ("amount".into(), "1000".into()),
                ("card_last_digits".into(), "5454".into()),
                ("delayed".into(), "false".into())
            ]
        );
        assert!(r.search.matches_none);
        assert_eq!(
            serde_json::to_string(&super::super::Filters(&r.filters)).unwrap(),
            r#"{"amount":"1000","card_last_digits":"5454","delayed":"false"}"#
        );
    }

    #[test]
    fn the_query_is_trimmed_taken_literally_and_finds_the_reasons_that_say_it() {
        let r = read(json!({"scope": "dispute", "query": "  50%_\\  "})).unwrap();
        assert_eq!(r.query, "  50%_\\  ");
        let text = r.search.text.unwrap();
        assert_eq!(text.text, "50%_\\");
        assert!(text.reasons.is_empty());
        let r = read(json!({"scope": "dispute", "query": "CREDIT not"})).unwrap();
        assert_eq!(r.search.text.unwrap().reasons, [Reason::RefundMissing]);
        let r = read(json!({"scope": "dispute", "query": "unauthorized_charge"})).unwrap();
        let reasons = r.search.text.unwrap().reasons;
        assert!(reasons.contains(&Reason::Unauthorised) && reasons.contains(&Reason::Counterfeit));
    }
}
