//! Disputes, the platform's and the bank's side: opening one, and the decisions (won, lost,
//! reopened, escalated), answered with the Omise dialect's dispute object.

use super::{Body, OpsError, OpsResult, OpsState, PathParam, parse_id, parse_mode};
use crate::core::Core;
use crate::core::disputes::Fields;
use crate::domain::dispute::NewDispute;
use crate::domain::list::DEFAULT_LIMIT;
use crate::domain::{Action, Actor, Dispute, Id, IdKind};
use crate::http::{json, lenient};
use crate::wire::omise::openapi::Error;
use crate::wire::omise::opening::OpenDispute;
use crate::wire::omise::render::{DisputeJson, Renderer};
use crate::wire::omise::version::ApiVersion;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;

pub async fn open_dispute(core: &Core, new: &NewDispute) -> OpsResult<Dispute> {
    Ok(core.open_dispute(new, &Actor::Operator).await?)
}

/// The bank's decision (win, lose, reopen) on a pending dispute, with an optional note.
pub async fn decide(
    core: &Core,
    id: &Id,
    action: Action,
    admin_message: Option<String>,
) -> OpsResult<Dispute> {
    let fields = Fields {
        admin_message,
        ..Fields::default()
    };
    core.transition(None, id, action, fields, &Actor::Operator)
        .await
        .map_err(|r| OpsError::from_refusal(r, id.as_str()))
}

/// A dispute in the Omise dialect's current shape, as the operator sees it.
async fn render(state: &OpsState, id: &Id) -> OpsResult<Response> {
    let core = &state.core;
    let dispute = core
        .dispute(None, id)
        .await?
        .ok_or_else(|| OpsError::NotFound(format!("dispute {id} was not found")))?;
    let mut documents = core.first_documents(&[&dispute], DEFAULT_LIMIT).await?;
    let documents = documents.remove(&dispute.id).unwrap_or_default();
    let renderer = Renderer {
        version: ApiVersion::DEFAULT,
        now: core.clock.now(),
        base_url: &state.base_url,
        signer: &core.signer,
    };
    Ok(json(&renderer.dispute(&dispute, &documents)))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct OpsOpenDispute {
    #[schema(required = true)]
    #[serde(default, deserialize_with = "lenient::required_text")]
    account: String,
    /// test (default) or live; the charge id's mode must match.
    #[schema(schema_with = crate::wire::omise::openapi::mode_schema)]
    #[serde(default, deserialize_with = "lenient::text")]
    mode: Option<String>,
    #[schema(required = true)]
    #[serde(default, deserialize_with = "lenient::required_text")]
    charge: String,
    #[schema(minimum = 1)]
    #[serde(default, deserialize_with = "lenient::int")]
    amount: Option<i64>,
    #[schema(pattern = "^[A-Za-z]{3}$")]
    #[serde(default, deserialize_with = "lenient::text")]
    currency: Option<String>,
    #[schema(schema_with = crate::wire::omise::openapi::nullable_reason_schema)]
    #[serde(default, deserialize_with = "lenient::text")]
    reason_code: Option<String>,
    /// Mangopay's DisputeType: CONTESTABLE (default), NOT_CONTESTABLE or RETRIEVAL.
    #[schema(pattern = "^(CONTESTABLE|NOT_CONTESTABLE|RETRIEVAL)$")]
    #[serde(default, deserialize_with = "lenient::text")]
    dispute_type: Option<String>,
    /// Mangopay's DisputeReasonType, instead of reason_code.
    #[serde(default, deserialize_with = "lenient::text")]
    reason_type: Option<String>,
    /// The evidence deadline, in Unix seconds (Mangopay's ContestDeadlineDate), from 1970 to the
    /// end of 9999.
    #[schema(minimum = 0, maximum = 253_402_300_799_i64)]
    #[serde(default, deserialize_with = "lenient::int")]
    contest_deadline: Option<i64>,
}

/// The latest deadline kept: the last second of 9999, within both stores' range.
const LATEST_DEADLINE: i64 = 253_402_300_799;

/// A deadline given in Unix seconds, if it is between 1970 and the end of 9999.
pub fn deadline_from_unix(seconds: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    (0..=LATEST_DEADLINE)
        .contains(&seconds)
        .then(|| chrono::DateTime::from_timestamp(seconds, 0))
        .flatten()
}

#[utoipa::path(post, operation_id = "openDispute", path = "/disputes", tag = "ops", security(("ops_token" = [])),
    request_body(content = OpsOpenDispute, content_type = "application/json"),
    responses((status = 200, description = "The new open dispute", body = DisputeJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such account", body = Error)))]
pub(super) async fn http_open_dispute(
    State(state): State<OpsState>,
    Body(body): Body<OpsOpenDispute>,
) -> OpsResult<Response> {
    let account = parse_id(IdKind::Account, &body.account)?;
    let mode = parse_mode(body.mode.as_deref())?;
    let charge = parse_id(IdKind::Charge, &body.charge)?;
    if charge.marked_mode() != mode {
        return Err(OpsError::bad_request(
            "the charge id's mode and mode differ",
        ));
    }
    let terms = OpenDispute {
        amount: body.amount,
        currency: body.currency,
        reason_code: body.reason_code,
    };
    let mut new = terms
        .new_dispute(account, mode, charge)
        .map_err(OpsError::bad_request)?;
    if let Some(kind) = &body.dispute_type {
        new.kind = crate::wire::mangopay::vocab::parse_dispute_type(kind)
            .ok_or_else(|| OpsError::bad_request(format!("unknown dispute_type {kind}")))?;
    }
    if let Some(reason) = &body.reason_type {
        new.reason = crate::wire::mangopay::vocab::parse_reason(reason)
            .ok_or_else(|| OpsError::bad_request(format!("unknown reason_type {reason}")))?;
    }
    if let Some(deadline) = body.contest_deadline {
        new.evidence_due_at = Some(
            deadline_from_unix(deadline)
                .ok_or_else(|| OpsError::bad_request("contest_deadline is out of range"))?,
        );
    }
    let dispute = open_dispute(&state.core, &new).await?;
    render(&state, &dispute.id).await
}

#[derive(Deserialize, ToSchema)]
pub(super) struct Resolution {
    #[schema(schema_with = crate::wire::omise::openapi::outcome_schema)]
    #[schema(required = true)]
    #[serde(default, deserialize_with = "lenient::required_text")]
    outcome: String,
    #[serde(default, deserialize_with = "lenient::text")]
    admin_message: Option<String>,
}

#[utoipa::path(post, operation_id = "resolveDispute", path = "/disputes/{id}/resolve", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A dispute id")),
    request_body(content = Resolution, content_type = "application/json"),
    responses((status = 200, description = "The decided dispute", body = DisputeJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such dispute", body = Error),
        (status = 422, description = "The dispute is not pending (dispute_not_pending)", body = Error)))]
pub(super) async fn http_resolve(
    State(state): State<OpsState>,
    PathParam(id): PathParam<String>,
    Body(body): Body<Resolution>,
) -> OpsResult<Response> {
    let action = match body.outcome.as_str() {
        "won" => Action::Win,
        "lost" => Action::Lose,
        _ => return Err(OpsError::bad_request("outcome must be won or lost")),
    };
    decide_over_http(&state, &id, action, body.admin_message).await
}

#[derive(Deserialize, ToSchema)]
pub(super) struct AdminNote {
    #[serde(default, deserialize_with = "lenient::text")]
    admin_message: Option<String>,
}

#[utoipa::path(post, operation_id = "reopenDispute", path = "/disputes/{id}/reopen", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A dispute id")),
    request_body(content = AdminNote, content_type = "application/json"),
    responses((status = 200, description = "The dispute, open again", body = DisputeJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such dispute", body = Error),
        (status = 422, description = "The dispute is not pending (dispute_not_pending)", body = Error)))]
pub(super) async fn http_reopen(
    State(state): State<OpsState>,
    PathParam(id): PathParam<String>,
    Body(body): Body<AdminNote>,
) -> OpsResult<Response> {
    decide_over_http(&state, &id, Action::Reopen, body.admin_message).await
}

#[utoipa::path(post, operation_id = "escalateDispute", path = "/disputes/{id}/escalate", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A dispute id")),
    request_body(content = AdminNote, content_type = "application/json"),
    responses((status = 200, description = "The dispute, handed to the bank (still pending; Mangopay's PENDING_BANK_ACTION)", body = DisputeJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such dispute", body = Error),
        (status = 422, description = "The dispute is not pending (dispute_not_pending)", body = Error)))]
pub(super) async fn http_escalate(
    State(state): State<OpsState>,
    PathParam(id): PathParam<String>,
    Body(body): Body<AdminNote>,
) -> OpsResult<Response> {
    decide_over_http(&state, &id, Action::Escalate, body.admin_message).await
}

/// An operator decision, answered with the dispute.
async fn decide_over_http(
    state: &OpsState,
    id: &str,
    action: Action,
    admin_message: Option<String>,
) -> OpsResult<Response> {
    let id = parse_id(IdKind::Dispute, id)?;
    decide(&state.core, &id, action, admin_message).await?;
    render(state, &id).await
}
