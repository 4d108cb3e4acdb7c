//! Previews for the bank's side: the PNG of a page of any document's file, as the merchant's
//! `preview_uri` gives it, behind the operator's token instead of a signed link.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::{OpsError, OpsResult, OpsState, PathParam, parse_id};
use crate::domain::IdKind;
use crate::files::PreviewError;
use crate::wire::omise::openapi::Error;

#[utoipa::path(get, operation_id = "previewDocumentPage", path = "/disputes/{id}/documents/{document}/pages/{page}/preview", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A dispute id"), ("document" = String, Path, description = "A document id"),
        ("page" = u32, Path, minimum = 1, description = "A page of the document's file, from 1")),
    responses((status = 200, description = "A PNG of the page, at most 512 pixels on its long side, without metadata; with an ETag and Cache-Control", content(("image/png"))),
        (status = 304, description = "The If-None-Match named this preview's ETag"),
        (status = 400, description = "Bad input", body = Error), (status = 401, description = "No valid operator token", body = Error),
        (status = 404, description = "No such dispute, document or page, or no preview of the file", body = Error)))]
pub(super) async fn http_preview(
    State(state): State<OpsState>,
    PathParam((dispute, document, page)): PathParam<(String, String, String)>,
    request: HeaderMap,
) -> OpsResult<Response> {
    let dispute = parse_id(IdKind::Dispute, &dispute)?;
    let document = parse_id(IdKind::Document, &document)?;
    let number = page
        .parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| OpsError::bad_request("page must be a number from 1"))?;
    let doc = state
        .core
        .document(None, &dispute, &document)
        .await?
        .ok_or_else(|| OpsError::NotFound(format!("document {document} was not found")))?;
    let file = doc
        .first_page
        .ok_or_else(|| OpsError::NotFound(format!("document {document} has no file")))?;
    match state.core.preview(&file, number).await {
        Ok(preview) => Ok(crate::http::png_preview(
            preview.png,
            &preview.etag,
            &request,
        )),
        Err(PreviewError::NoSuchPage(n)) => Err(OpsError::NotFound(format!(
            "the document's file has no page {n}"
        ))),
        Err(PreviewError::Unreadable) => Err(OpsError::NotFound(
            "no preview can be made of this document's file".into(),
        )),
    }
}
