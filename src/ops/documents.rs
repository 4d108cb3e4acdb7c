//! Documents, the bank's side: validating or refusing what a merchant submitted.

use super::{Body, OpsError, OpsResult, OpsState, PathParam, parse_id};
use crate::core::Core;
use crate::domain::document::ReviewRefusal;
use crate::domain::{Actor, Document, DocumentAction, Id, IdKind};
use crate::http::{json, lenient};
use crate::wire::omise::openapi::Error;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A reviewer's decision on a submitted document.
pub async fn review(
    core: &Core,
    dispute: &Id,
    document: &Id,
    refusal: Option<ReviewRefusal>,
) -> OpsResult<Document> {
    let action = if refusal.is_some() {
        DocumentAction::Refuse
    } else {
        DocumentAction::Validate
    };
    core.document_transition(
        None,
        dispute,
        document,
        action,
        refusal.as_ref(),
        &Actor::Operator,
    )
    .await
    .map_err(|r| match r {
        crate::store::Refusal::DocumentNotFound => {
            OpsError::NotFound(format!("document {document} was not found"))
        }
        crate::store::Refusal::Document(e) => OpsError::NotSubmitted(e.to_string()),
        other => OpsError::from_refusal(other, dispute.as_str()),
    })
}

#[derive(Serialize, ToSchema)]
pub(super) struct ReviewedJson {
    object: &'static str,
    id: String,
    /// validated or refused
    status: &'static str,
}

async fn review_over_http(
    state: &OpsState,
    dispute: &str,
    document: &str,
    refusal: Option<ReviewRefusal>,
) -> OpsResult<Response> {
    let dispute = parse_id(IdKind::Dispute, dispute)?;
    let document = parse_id(IdKind::Document, document)?;
    let doc = review(&state.core, &dispute, &document, refusal).await?;
    Ok(json(&ReviewedJson {
        object: "document",
        id: doc.id.into_string(),
        status: doc.status.as_str(),
    }))
}

#[utoipa::path(post, operation_id = "validateDocument", path = "/disputes/{id}/documents/{document}/validate", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A dispute id"), ("document" = String, Path, description = "A document id")),
    responses((status = 200, description = "The document, validated", body = ReviewedJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such dispute or document", body = Error),
        (status = 422, description = "The document is not submitted (document_not_submitted)", body = Error)))]
pub(super) async fn http_validate(
    State(state): State<OpsState>,
    PathParam((dispute, document)): PathParam<(String, String)>,
) -> OpsResult<Response> {
    review_over_http(&state, &dispute, &document, None).await
}

#[derive(Deserialize, ToSchema)]
pub(super) struct Refusal {
    /// Mangopay's RefusedReasonType (DOCUMENT_UNREADABLE, DOCUMENT_INCOMPLETE, …).
    #[schema(required = true)]
    #[serde(default, deserialize_with = "lenient::required_text")]
    reason_type: String,
    /// At most 255 characters.
    #[schema(max_length = 255)]
    #[serde(default, deserialize_with = "lenient::text")]
    message: Option<String>,
}

#[utoipa::path(post, operation_id = "refuseDocument", path = "/disputes/{id}/documents/{document}/refuse", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A dispute id"), ("document" = String, Path, description = "A document id")),
    request_body(content = Refusal, content_type = "application/json"),
    responses((status = 200, description = "The document, refused", body = ReviewedJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such dispute or document", body = Error),
        (status = 422, description = "The document is not submitted (document_not_submitted)", body = Error)))]
pub(super) async fn http_refuse(
    State(state): State<OpsState>,
    PathParam((dispute, document)): PathParam<(String, String)>,
    Body(body): Body<Refusal>,
) -> OpsResult<Response> {
    let reason =
        crate::wire::mangopay::vocab::parse_refusal(&body.reason_type).ok_or_else(|| {
            OpsError::bad_request(format!("unknown reason_type {}", body.reason_type))
        })?;
    if body
        .message
        .as_ref()
        .is_some_and(|m| m.chars().count() > 255)
    {
        return Err(OpsError::bad_request("message is at most 255 characters"));
    }
    let refusal = ReviewRefusal {
        reason,
        message: body.message,
    };
    review_over_http(&state, &dispute, &document, Some(refusal)).await
}
