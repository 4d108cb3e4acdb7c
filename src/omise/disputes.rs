//! Dispute endpoints: list (all, open, pending, closed), retrieve, update, accept, and the test
//! API's "open a dispute on a charge".

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::auth::Caller;
use super::input::{Input, ListParams};
use super::openapi::{DisputePath, Error};
use super::render::{DisputeJson, ListJson, json};
use super::{ApiError, ApiResult, OmiseState, PathParams, path_id, vocab};
use crate::core::disputes::Fields;
use crate::domain::list::DEFAULT_LIMIT;
use crate::domain::{Action, DisputeStatus, Id, IdKind, Mode, Scope};
use crate::http::lenient;
use crate::store::DisputeFilter;

/// The most metadata a dispute keeps, as compact JSON.
pub const MAX_METADATA_BYTES: usize = 16 * 1024;

/// The merchant's explanation. Sent as JSON or as a form (`metadata[key]=value`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateDispute {
    /// Required, and more than white space.
    #[schema(min_length = 1, pattern = "\\S", required = true)]
    #[serde(default, deserialize_with = "lenient::required_text")]
    message: String,
    /// Replaces the dispute's metadata (at most 16 KiB as JSON).
    #[schema(value_type = Option<Object>)]
    #[serde(default, deserialize_with = "lenient::object")]
    metadata: Option<Map<String, Value>>,
}

pub use crate::wire::omise::opening::OpenDispute;

async fn list(
    state: &OmiseState,
    caller: &Caller,
    params: &ListParams,
    statuses: &[DisputeStatus],
    location: &str,
) -> ApiResult<Response> {
    let render = state.renderer(caller.version, caller.now);
    let query = params.query(render.now)?;
    let core = &state.core;
    let filter = DisputeFilter::statuses(statuses);
    let page = core.list_disputes(&caller.scope, &filter, &query).await?;
    let items: Vec<_> = page.items.iter().collect();
    let documents = core.first_documents(&items, DEFAULT_LIMIT).await?;
    Ok(json(&render.disputes(&page, &documents, &query, location)))
}

#[utoipa::path(get, operation_id = "listDisputes", path = "/disputes", tag = "disputes", params(ListParams),
    responses((status = 200, description = "Every dispute, paged", body = ListJson<DisputeJson>)))]
pub async fn list_all(
    State(state): State<OmiseState>,
    caller: Caller,
    Input(params): Input<ListParams>,
) -> ApiResult<Response> {
    list(&state, &caller, &params, &[], "/disputes").await
}

#[utoipa::path(get, operation_id = "listOpenDisputes", path = "/disputes/open", tag = "disputes", params(ListParams),
    responses((status = 200, description = "Open disputes, paged", body = ListJson<DisputeJson>)))]
pub async fn list_open(
    State(state): State<OmiseState>,
    caller: Caller,
    Input(params): Input<ListParams>,
) -> ApiResult<Response> {
    let statuses = [DisputeStatus::AwaitingEvidence];
    list(&state, &caller, &params, &statuses, "/disputes/open").await
}

#[utoipa::path(get, operation_id = "listPendingDisputes", path = "/disputes/pending", tag = "disputes", params(ListParams),
    responses((status = 200, description = "Pending disputes, paged", body = ListJson<DisputeJson>)))]
pub async fn list_pending(
    State(state): State<OmiseState>,
    caller: Caller,
    Input(params): Input<ListParams>,
) -> ApiResult<Response> {
    let statuses = [DisputeStatus::UnderReview];
    list(&state, &caller, &params, &statuses, "/disputes/pending").await
}

#[utoipa::path(get, operation_id = "listClosedDisputes", path = "/disputes/closed", tag = "disputes", params(ListParams),
    responses((status = 200, description = "Closed (won and lost) disputes, paged", body = ListJson<DisputeJson>)))]
pub async fn list_closed(
    State(state): State<OmiseState>,
    caller: Caller,
    Input(params): Input<ListParams>,
) -> ApiResult<Response> {
    let statuses = [DisputeStatus::Won, DisputeStatus::Lost];
    list(&state, &caller, &params, &statuses, "/disputes/closed").await
}

/// A dispute as `scope` sees it now (`None`: the operator), rendered in `version`'s shape.
pub async fn render_dispute(
    state: &OmiseState,
    scope: Option<&Scope>,
    version: super::version::ApiVersion,
    now: DateTime<Utc>,
    id: &Id,
) -> ApiResult<Response> {
    let core = &state.core;
    let dispute = core
        .dispute(scope, id)
        .await?
        .ok_or_else(|| ApiError::dispute_not_found(id.as_str()))?;
    let mut documents = core.first_documents(&[&dispute], DEFAULT_LIMIT).await?;
    let documents = documents.remove(&dispute.id).unwrap_or_default();
    Ok(json(
        &state.renderer(version, now).dispute(&dispute, &documents),
    ))
}

#[utoipa::path(get, operation_id = "retrieveDispute", path = "/disputes/{id}", tag = "disputes", params(DisputePath),
    responses((status = 200, description = "The dispute", body = DisputeJson)))]
pub async fn retrieve(
    State(state): State<OmiseState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> ApiResult<Response> {
    let id = path_id(IdKind::Dispute, &id, &caller)?;
    render_dispute(&state, Some(&caller.scope), caller.version, caller.now, &id).await
}

#[utoipa::path(patch, operation_id = "updateDispute", path = "/disputes/{id}", tag = "disputes", params(DisputePath),
    request_body(content((UpdateDispute = "application/json"), (UpdateDispute = "application/x-www-form-urlencoded"))),
    responses((status = 200, description = "The dispute, now pending", body = DisputeJson),
        (status = 422, description = "The dispute is not open (dispute_not_open)", body = Error)))]
/// Submits the merchant's explanation: `message` (required) and `metadata` (optional, replaces).
pub async fn update(
    State(state): State<OmiseState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    Input(body): Input<UpdateDispute>,
) -> ApiResult<Response> {
    let id = path_id(IdKind::Dispute, &id, &caller)?;
    // Blank as the OpenAPI pattern `\S` has it: white space, and the four separators
    // (U+001C..U+001F) that count as white space there too.
    let blank = |c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c);
    if body.message.chars().all(blank) {
        return Err(ApiError::bad_request("message is required"));
    }
    let metadata = body.metadata.map(checked_metadata).transpose()?;
    let fields = Fields {
        message: Some(body.message),
        metadata,
        ..Fields::default()
    };
    transition(&state, &caller, &id, Action::Submit, fields).await
}

#[utoipa::path(patch, operation_id = "acceptDispute", path = "/disputes/{id}/accept", tag = "disputes", params(DisputePath),
    responses((status = 200, description = "The dispute, now lost", body = DisputeJson),
        (status = 422, description = "The dispute is not open (dispute_not_open)", body = Error)))]
pub async fn accept(
    State(state): State<OmiseState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> ApiResult<Response> {
    let id = path_id(IdKind::Dispute, &id, &caller)?;
    let fields = Fields {
        message: Some(vocab::ACCEPT_MESSAGE.to_owned()),
        ..Fields::default()
    };
    transition(&state, &caller, &id, Action::Concede, fields).await
}

async fn transition(
    state: &OmiseState,
    caller: &Caller,
    id: &Id,
    action: Action,
    fields: Fields,
) -> ApiResult<Response> {
    state
        .core
        .transition(Some(&caller.scope), id, action, fields, &caller.actor)
        .await
        .map_err(|r| ApiError::from_refusal(r, id.as_str(), None))?;
    render_dispute(state, Some(&caller.scope), caller.version, caller.now, id).await
}

fn checked_metadata(metadata: Map<String, Value>) -> ApiResult<Map<String, Value>> {
    let size = serde_json::to_vec(&metadata).map_or(usize::MAX, |v| v.len());
    if size > MAX_METADATA_BYTES {
        return Err(ApiError::bad_request(format!(
            "metadata is too large (at most {MAX_METADATA_BYTES} bytes)"
        )));
    }
    Ok(metadata)
}

#[utoipa::path(post, operation_id = "openTestDispute", path = "/charges/{id}/disputes", tag = "disputes",
    params(("id" = String, Path, description = "A test charge id (chrg_test_…); live keys get 404")),
    request_body(content((OpenDispute = "application/json"), (OpenDispute = "application/x-www-form-urlencoded"))),
    responses((status = 200, description = "The new open dispute", body = DisputeJson)))]
/// The test API: opens a dispute on a charge. Live keys cannot: the bank opens live disputes.
pub async fn open(
    State(state): State<OmiseState>,
    caller: Caller,
    PathParams(charge): PathParams<String>,
    Input(body): Input<OpenDispute>,
) -> ApiResult<Response> {
    let charge_id = path_id(IdKind::Charge, &charge, &caller)?;
    if caller.scope.mode == Mode::Live {
        return Err(ApiError::NotFound(format!("charge {charge} was not found")));
    }
    let new = body
        .new_dispute(caller.scope.account.clone(), Mode::Test, charge_id)
        .map_err(ApiError::bad_request)?;
    let dispute = state.core.open_dispute(&new, &caller.actor).await?;
    render_dispute(
        &state,
        Some(&caller.scope),
        caller.version,
        caller.now,
        &dispute.id,
    )
    .await
}
