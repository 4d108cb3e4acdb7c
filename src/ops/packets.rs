//! The evidence packet for the bank's side (FILES.md §5): the same PDF and readiness the
//! merchant gets, behind the operator's token. Mangopay has no such call; its platforms get the
//! packet here.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::{OpsError, OpsResult, OpsState, PathParam, parse_id};
use crate::core::packets::PacketError;
use crate::domain::IdKind;
use crate::http::json;
use crate::packet::Profile;
use crate::wire::omise::openapi::Error;
use crate::wire::omise::packet::{ReadinessJson, readiness};

fn packet_error(e: PacketError, id: &str) -> OpsError {
    match e {
        PacketError::NotFound => OpsError::NotFound(format!("dispute {id} was not found")),
        PacketError::Over(over) => OpsError::OverBudget(over.message()),
        PacketError::Unreadable(message) | PacketError::TooHeavy(message) => {
            OpsError::OverBudget(message)
        }
        PacketError::Store(e) => e.into(),
        PacketError::Blob(e) => OpsError::Internal(e.into()),
    }
}

#[utoipa::path(get, operation_id = "retrieveDisputePacket", path = "/disputes/{id}/packet", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A dispute id"),
        ("profile" = Option<String>, Query, pattern = "^(generic|visa|mastercard|amex|stripe)$", description = "generic, visa, mastercard, amex or stripe; default the account's profile")),
    responses((status = 200, description = "The evidence packet: one PDF, as an attachment, its SHA-256 as the ETag and in Repr-Digest; once the dispute has left open, the packet frozen then", content(("application/pdf"))),
        (status = 304, description = "The If-None-Match named this packet's ETag"),
        (status = 400, description = "Bad input", body = Error), (status = 401, description = "No valid operator token", body = Error),
        (status = 404, description = "No such dispute", body = Error),
        (status = 422, description = "The evidence does not fit the profile's budget, a file cannot be put in a packet, or the files weigh more together than PACKET_MAX_INPUT_MB (evidence_over_budget)", body = Error)))]
pub(super) async fn http_packet(
    State(state): State<OpsState>,
    PathParam(id): PathParam<String>,
    RawQuery(query): RawQuery,
    request: HeaderMap,
) -> OpsResult<Response> {
    let dispute = parse_id(IdKind::Dispute, &id)?;
    let mut profile = None;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if name == "profile" && !value.is_empty() {
            profile = Some(value.parse::<Profile>().map_err(OpsError::BadRequest)?);
        }
    }
    let built = state
        .core
        .packet(None, &dispute, profile)
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

#[utoipa::path(get, operation_id = "retrieveDisputePacketReadiness", path = "/disputes/{id}/packet/readiness", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A dispute id")),
    responses((status = 200, description = "For every profile, whether the evidence fits; and the reason's checklist", body = ReadinessJson),
        (status = 400, description = "Bad input", body = Error), (status = 401, description = "No valid operator token", body = Error),
        (status = 404, description = "No such dispute", body = Error)))]
pub(super) async fn http_readiness(
    State(state): State<OpsState>,
    PathParam(id): PathParam<String>,
) -> OpsResult<Response> {
    let dispute = parse_id(IdKind::Dispute, &id)?;
    let r = state
        .core
        .packet_readiness(None, &dispute)
        .await
        .map_err(|e| packet_error(e, &id))?;
    Ok(json(&readiness(&r)))
}
