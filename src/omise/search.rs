//! Omise's Search API for disputes: `GET /search?scope=dispute` (and `/search/`, which PHP and
//! Python send), as SEARCH.md describes it. Parameters come from the query string, a form body
//! or a JSON body on the GET, the query string winning a name both have; `filters` is an object
//! of strings (`filters[status]=open`, or JSON), and `filters=` with no brackets (Node's) is
//! none. The answer is Omise's `search` object in the caller's API version, its items exactly as
//! `GET /disputes/{id}` renders them.

use axum::extract::{FromRequest, Request, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::input::{Input, parse_form};
use super::render::{DisputeJson, json};
use super::search_filters as filters;
use super::{ApiError, ApiResult, OmiseState, vocab};
use crate::domain::list::DEFAULT_LIMIT;
use crate::domain::search::{DisputeSearch, MAX_TEXT_CHARS, MIN_TEXT_CHARS, SearchText};
use crate::domain::{Order, Reason};

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
fn search_text(query: &str) -> ApiResult<Option<SearchText>> {
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

/// The filters as a JSON object of strings, in the order they came.
struct Filters<'a>(&'a [(String, String)]);

impl Serialize for Filters<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// A search's answer in the 2019-05-29 shape (keys in the recorded order). The 2017-11-02 shape
/// has the same fields but `export` and `aggregate_level`, in another order.
#[derive(Serialize, ToSchema)]
pub struct SearchJson<'a> {
    object: &'static str,
    /// Only in 2019-05-29; always null here.
    #[schema(value_type = Option<String>)]
    export: Option<()>,
    /// The matches on this page, each as `GET /disputes/{id}` renders it.
    data: Vec<DisputeJson<'a>>,
    /// As asked (a page past the end is an empty `data`).
    #[schema(minimum = 1)]
    page: i64,
    #[schema(minimum = 1, maximum = 100)]
    per_page: i64,
    /// How many disputes match in all.
    #[schema(minimum = 0)]
    total: i64,
    /// ceil(total / per_page).
    #[schema(minimum = 0)]
    total_pages: i64,
    /// Every filter applied, its value as a string.
    #[schema(value_type = HashMap<String, String>)]
    filters: Filters<'a>,
    location: &'static str,
    #[schema(schema_with = super::openapi::order_schema)]
    order: &'static str,
    /// As received; "" when none.
    query: &'a str,
    scope: &'static str,
    /// Only in 2019-05-29; always null here.
    #[schema(value_type = Option<String>)]
    aggregate_level: Option<()>,
}

/// The 2017-11-02 shape, keys in the order of the elixir recording.
#[derive(Serialize)]
struct LegacySearchJson<'a> {
    object: &'static str,
    order: &'static str,
    scope: &'static str,
    query: &'a str,
    filters: Filters<'a>,
    page: i64,
    per_page: i64,
    location: &'static str,
    total_pages: i64,
    total: i64,
    data: Vec<DisputeJson<'a>>,
}

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
    #[param(schema_with = super::openapi::order_schema)]
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
    #[param(rename = "filters[reason_code]", schema_with = super::openapi::reason_schema)]
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
    super::openapi::string_enum(vocab::STATUSES, "open, pending, won or lost")
}

fn charge_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(crate::domain::IdKind::Charge.pattern()))
        .build()
}

#[utoipa::path(get, operation_id = "searchDisputes", path = "/search", tag = "search", params(SearchParams),
    responses((status = 200, description = "The disputes that match, paged", body = SearchJson),
        (status = 400, description = "A bad parameter: invalid_scope, invalid_filter, invalid_page or bad_request", body = super::openapi::Error)))]
/// Omise's Search API, scope dispute: free text and filters, paged by `page` and `per_page`.
/// Parameters may also come as a form or JSON body on the GET (the query string wins).
pub async fn search(
    State(state): State<OmiseState>,
    caller: Caller,
    SearchInput(params): SearchInput,
) -> ApiResult<Response> {
    let request = SearchRequest::read(&params, caller.now)?;
    let core = &state.core;
    let found = core.search_disputes(&caller.scope, &request.search).await?;
    let items: Vec<_> = found.items.iter().collect();
    let documents = core.first_documents(&items, DEFAULT_LIMIT).await?;
    let render = state.renderer(caller.version, caller.now);
    let data = found
        .items
        .iter()
        .map(|d| render.dispute(d, documents.get(&d.id).map_or(&[], Vec::as_slice)))
        .collect();
    let total_pages = (found.total + request.per_page - 1) / request.per_page;
    let (filters, order) = (Filters(&request.filters), request.search.order.as_str());
    Ok(if caller.version.is_legacy() {
        json(&LegacySearchJson {
            object: "search",
            order,
            scope: "dispute",
            query: &request.query,
            filters,
            page: request.page,
            per_page: request.per_page,
            location: "/search",
            total_pages,
            total: found.total,
            data,
        })
    } else {
        json(&SearchJson {
            object: "search",
            export: None,
            data,
            page: request.page,
            per_page: request.per_page,
            total: found.total,
            total_pages,
            filters,
            location: "/search",
            order,
            query: &request.query,
            scope: "dispute",
            aggregate_level: None,
        })
    })
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
            serde_json::to_string(&Filters(&r.filters)).unwrap(),
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
            assert!(query.is_match(v) && search_text(v).is_ok(), "{v:?}");
        }
        for v in ["a", "ab", " ab\t", "\na\n"] {
            assert!(!query.is_match(v) && search_text(v).is_err(), "{v:?}");
        }
    }
}
