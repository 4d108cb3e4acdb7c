//! Dispute endpoints: list (all, open, pending, closed), retrieve, update, accept, and the test
//! API's "open a dispute on a charge".

use axum::extract::State;
use axum::response::Response;
use serde_json::{Map, Value};

use super::auth::Caller;
use super::params::Params;
use super::render::{DisputeJson, ListJson, json};
use super::{ApiError, ApiResult, PathParams, path_id};
use crate::app::AppState;
use crate::domain::dispute::{NewDispute, parse_currency};
use crate::domain::{Action, DisputeStatus, Id, IdKind, Mode, ReasonCode};
use crate::openapi::{DisputePath, Error, ListParams, OpenDispute, UpdateDispute};
use crate::service;
use crate::store::{Change, StatusFilter, StoreError};

/// The most metadata a dispute keeps, as compact JSON.
pub const MAX_METADATA_BYTES: usize = 16 * 1024;

async fn list(
    state: &AppState,
    caller: &Caller,
    params: &Params,
    filter: StatusFilter,
    location: &str,
) -> ApiResult<Response> {
    let render = state.renderer(caller.version);
    let query = params.list_query(render.now)?;
    let page = state
        .store
        .list_disputes(&caller.scope, filter, &query)
        .await?;
    Ok(json(&render.disputes(&page, &query, location)))
}

#[utoipa::path(get, operation_id = "listDisputes", path = "/disputes", tag = "disputes", params(ListParams),
    responses((status = 200, description = "Every dispute, paged", body = ListJson<DisputeJson>)))]
pub async fn list_all(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    list(&state, &caller, &params, StatusFilter::All, "/disputes").await
}

#[utoipa::path(get, operation_id = "listOpenDisputes", path = "/disputes/open", tag = "disputes", params(ListParams),
    responses((status = 200, description = "Open disputes, paged", body = ListJson<DisputeJson>)))]
pub async fn list_open(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    list(
        &state,
        &caller,
        &params,
        StatusFilter::Only(DisputeStatus::Open),
        "/disputes/open",
    )
    .await
}

#[utoipa::path(get, operation_id = "listPendingDisputes", path = "/disputes/pending", tag = "disputes", params(ListParams),
    responses((status = 200, description = "Pending disputes, paged", body = ListJson<DisputeJson>)))]
pub async fn list_pending(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    list(
        &state,
        &caller,
        &params,
        StatusFilter::Only(DisputeStatus::Pending),
        "/disputes/pending",
    )
    .await
}

#[utoipa::path(get, operation_id = "listClosedDisputes", path = "/disputes/closed", tag = "disputes", params(ListParams),
    responses((status = 200, description = "Closed (won and lost) disputes, paged", body = ListJson<DisputeJson>)))]
pub async fn list_closed(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    list(
        &state,
        &caller,
        &params,
        StatusFilter::Closed,
        "/disputes/closed",
    )
    .await
}

/// The dispute as the caller sees it now, rendered.
async fn render_dispute(state: &AppState, caller: &Caller, id: &Id) -> ApiResult<Response> {
    let view = state
        .store
        .dispute(Some(&caller.scope), id)
        .await?
        .ok_or_else(|| ApiError::dispute_not_found(id.as_str()))?;
    Ok(json(&state.renderer(caller.version).dispute(&view)))
}

#[utoipa::path(get, operation_id = "retrieveDispute", path = "/disputes/{id}", tag = "disputes", params(DisputePath),
    responses((status = 200, description = "The dispute", body = DisputeJson)))]
pub async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> ApiResult<Response> {
    let id = path_id(IdKind::Dispute, &id, &caller)?;
    render_dispute(&state, &caller, &id).await
}

#[utoipa::path(patch, operation_id = "updateDispute", path = "/disputes/{id}", tag = "disputes", params(DisputePath),
    request_body(content((UpdateDispute = "application/json"), (UpdateDispute = "application/x-www-form-urlencoded"))),
    responses((status = 200, description = "The dispute, now pending", body = DisputeJson),
        (status = 422, description = "The dispute is not open (dispute_not_open)", body = Error)))]
/// Submits the merchant's explanation: `message` (required) and `metadata` (optional, replaces).
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    params: Params,
) -> ApiResult<Response> {
    let id = path_id(IdKind::Dispute, &id, &caller)?;
    let message = params
        .str("message")?
        .filter(|m| !m.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("message is required"))?;
    let metadata = params
        .object("metadata")?
        .map(checked_metadata)
        .transpose()?;
    let change = Change {
        message: Some(message.to_owned()),
        metadata,
        ..Change::default()
    };
    transition(&state, &caller, &id, Action::Submit, change).await
}

#[utoipa::path(patch, operation_id = "acceptDispute", path = "/disputes/{id}/accept", tag = "disputes", params(DisputePath),
    responses((status = 200, description = "The dispute, now lost", body = DisputeJson),
        (status = 422, description = "The dispute is not open (dispute_not_open)", body = Error)))]
pub async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> ApiResult<Response> {
    let id = path_id(IdKind::Dispute, &id, &caller)?;
    let change = Change {
        message: Action::Accept.fixed_message().map(str::to_owned),
        closed_at: Some(state.clock.now()),
        ..Change::default()
    };
    transition(&state, &caller, &id, Action::Accept, change).await
}

async fn transition(
    state: &AppState,
    caller: &Caller,
    id: &Id,
    action: Action,
    change: Change,
) -> ApiResult<Response> {
    state
        .store
        .transition(Some(&caller.scope), id, action, &change, state.clock.now())
        .await
        .map_err(|r| ApiError::from_refusal(r, id.as_str(), None))?;
    render_dispute(state, caller, id).await
}

fn checked_metadata(metadata: &Map<String, Value>) -> ApiResult<Map<String, Value>> {
    let size = serde_json::to_vec(metadata).map_or(usize::MAX, |v| v.len());
    if size > MAX_METADATA_BYTES {
        return Err(ApiError::bad_request(format!(
            "metadata is too large (at most {MAX_METADATA_BYTES} bytes)"
        )));
    }
    Ok(metadata.clone())
}

#[utoipa::path(post, operation_id = "openTestDispute", path = "/charges/{id}/disputes", tag = "disputes",
    params(("id" = String, Path, description = "A test charge id (chrg_test_…); live keys get 404")),
    request_body(content((OpenDispute = "application/json"), (OpenDispute = "application/x-www-form-urlencoded"))),
    responses((status = 200, description = "The new open dispute", body = DisputeJson)))]
/// The test API: opens a dispute on a charge. Live keys cannot: the bank opens live disputes.
pub async fn open(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(charge): PathParams<String>,
    params: Params,
) -> ApiResult<Response> {
    let charge_id = path_id(IdKind::Charge, &charge, &caller)?;
    if caller.scope.mode == Mode::Live {
        return Err(ApiError::NotFound(format!("charge {charge} was not found")));
    }
    let new = new_dispute(&params, caller.scope.account.clone(), Mode::Test, charge_id)?;
    let dispute = service::open_dispute(&state, &new)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ApiError::bad_request(format!("charge {charge} is already disputed"))
            }
            other => other.into(),
        })?;
    let dispute = dispute
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("generated dispute id collided")))?;
    render_dispute(&state, &caller, &dispute.id).await
}

/// Defaults: 100000 (THB 1,000.00), THB, goods_or_services_not_provided.
pub fn new_dispute(params: &Params, account: Id, mode: Mode, charge: Id) -> ApiResult<NewDispute> {
    let amount = params.int("amount")?.unwrap_or(100_000);
    if amount <= 0 {
        return Err(ApiError::bad_request("amount must be a positive integer"));
    }
    let currency = match params.str("currency")? {
        None => "THB".to_owned(),
        Some(c) => parse_currency(c)
            .ok_or_else(|| ApiError::bad_request("currency must be a 3-letter ISO 4217 code"))?,
    };
    let reason = match params.str("reason_code")? {
        None => ReasonCode::DEFAULT,
        Some(r) => ReasonCode::parse(r)
            .ok_or_else(|| ApiError::bad_request(format!("unknown reason_code {r}")))?,
    };
    Ok(NewDispute {
        id: None,
        account,
        mode,
        charge,
        amount,
        currency,
        reason,
    })
}
