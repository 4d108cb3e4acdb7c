//! Omise's Search API for disputes: `GET /search?scope=dispute` (and `/search/`, which PHP and
//! Python send), as SEARCH.md describes it. Parameters come from the query string, a form body
//! or a JSON body on the GET, the query string winning a name both have; `filters` is an object
//! of strings (`filters[status]=open`, or JSON), and `filters=` with no brackets (Node's) is
//! none. The answer is Omise's `search` object in the caller's API version, its items exactly as
//! `GET /disputes/{id}` renders them.
//!
//! `request` reads the parameters (`filters` the values of the filters), `params` documents
//! them; this file answers.

mod filters;
mod params;
mod request;

use axum::extract::State;
use axum::response::Response;
use serde::{Serialize, Serializer};
use utoipa::ToSchema;

use super::auth::Caller;
use super::render::{DisputeJson, json};
use super::{ApiResult, OmiseState};
use crate::domain::list::DEFAULT_LIMIT;
use params::SearchParams;
use request::{SearchInput, SearchRequest};

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
    #[schema(schema_with = crate::omise::openapi::order_schema)]
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

#[utoipa::path(get, operation_id = "searchDisputes", path = "/search", tag = "search", params(SearchParams),
    responses((status = 200, description = "The disputes that match, paged", body = SearchJson),
        (status = 400, description = "A bad parameter: invalid_scope, invalid_filter, invalid_page or bad_request", body = crate::omise::openapi::Error)))]
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
