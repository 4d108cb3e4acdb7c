//! The evidence packet (beyond Omise; FILES.md §5): `GET /disputes/{id}/packet` answers the PDF a
//! card network takes as it is, `GET /disputes/{id}/packet/readiness` whether the evidence fits
//! each profile and what the reason calls for.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::input::Input;
use super::openapi::{DisputePath, Error};
use super::{ApiError, ApiResult, OmiseState, PathParams, path_id};
use crate::core::packets::PacketError;
use crate::domain::IdKind;
use crate::http::json;
use crate::packet::Profile;
use crate::wire::omise::packet::{ReadinessJson, readiness};

/// Whom the packet is for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PacketParams {
    /// generic, visa, mastercard, amex or stripe; default the account's profile (generic
    /// unless the operator set another).
    #[param(value_type = Option<String>, pattern = "^(generic|visa|mastercard|amex|stripe)$")]
    profile: Option<String>,
}

/// The answer to a packet that cannot be had.
pub fn packet_error(e: PacketError, id: &str) -> ApiError {
    match e {
        PacketError::NotFound => ApiError::dispute_not_found(id),
        PacketError::Over(over) => ApiError::EvidenceOverBudget(over.message()),
        PacketError::Unreadable(message) | PacketError::TooHeavy(message) => {
            ApiError::EvidenceOverBudget(message)
        }
        PacketError::Store(e) => e.into(),
        PacketError::Blob(e) => ApiError::Internal(e.into()),
    }
}

#[utoipa::path(get, operation_id = "retrievePacket", path = "/disputes/{id}/packet", tag = "disputes", params(DisputePath, PacketParams),
    responses((status = 200, description = "The evidence packet: one PDF (a cover with the dispute, the merchant's explanation and an index, then every document's pages), as an attachment, its SHA-256 as the ETag and in Repr-Digest. Once the dispute has left open, the packet frozen then.",
            content(("application/pdf"))),
        (status = 304, description = "The If-None-Match named this packet's ETag"),
        (status = 400, description = "An unknown profile (bad_request)", body = Error),
        (status = 404, description = "No such dispute (not_found)", body = Error),
        (status = 422, description = "The evidence does not fit the profile's budget, or a file cannot be put in a packet, or the files weigh more together than PACKET_MAX_INPUT_MB (evidence_over_budget): the message names the budget, what the packet would be (or what the files weigh) and the documents that weigh most", body = Error)))]
/// The dispute's evidence packet.
pub async fn packet(
    State(state): State<OmiseState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    request: HeaderMap,
    Input(params): Input<PacketParams>,
) -> ApiResult<Response> {
    let dispute = path_id(IdKind::Dispute, &id, &caller)?;
    let profile = match params.profile.as_deref() {
        None => None,
        Some(p) => Some(p.parse::<Profile>().map_err(ApiError::BadRequest)?),
    };
    let built = state
        .core
        .packet(Some(&caller.scope), &dispute, profile)
        .await
        .map_err(|e| packet_error(e, &id))?;
    let filename = built.filename(&dispute);
    Ok(crate::http::pdf_attachment(
        built.pdf,
        &built.sha256,
        &filename,
        &request,
    ))
}

#[utoipa::path(get, operation_id = "retrievePacketReadiness", path = "/disputes/{id}/packet/readiness", tag = "disputes", params(DisputePath),
    responses((status = 200, description = "For every profile, whether the evidence fits; and the reason's checklist", body = ReadinessJson),
        (status = 404, description = "No such dispute (not_found)", body = Error)))]
/// Whether the dispute's evidence fits each profile, before the one-shot submission.
pub async fn packet_readiness(
    State(state): State<OmiseState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> ApiResult<Response> {
    let dispute = path_id(IdKind::Dispute, &id, &caller)?;
    let r = state
        .core
        .packet_readiness(Some(&caller.scope), &dispute)
        .await
        .map_err(|e| packet_error(e, &id))?;
    Ok(json(&readiness(&r)))
}
