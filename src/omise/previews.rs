//! A document's previews (`preview_uri`): PNGs of its file's pages rendered by the server,
//! behind a signed, expiring link as downloads are, served with `ETag` and `Cache-Control`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::input::Input;
use super::openapi::{DisputePath, DocumentPath, Error};
use super::{ApiError, ApiResult, OmiseState, PathParams};
use crate::domain::{Id, IdKind, Mode};
use crate::files::PreviewError;
use crate::http::lenient;
use crate::wire::omise::render::preview_subject;

/// Which page a preview shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewParams {
    /// The page, from 1 (default 1, the first).
    #[param(minimum = 1, maximum = 2147483647, value_type = Option<i64>)]
    #[serde(default, deserialize_with = "lenient::int")]
    page: Option<i64>,
}

#[utoipa::path(get, operation_id = "previewDocument", path = "/disputes/{id}/documents/{document}/previews/{token}", tag = "documents", security(()),
    params(DisputePath, DocumentPath, ("token" = String, Path, description = "The signed token from preview_uri"), PreviewParams),
    responses((status = 200, description = "A PNG of the page, at most 512 pixels on its long side, without metadata; with an ETag and Cache-Control",
            content(("image/png"))),
        (status = 304, description = "The If-None-Match named this preview's ETag"),
        (status = 400, description = "A page that is not a number from 1 (bad_request)", body = Error),
        (status = 404, description = "Unknown, deleted, expired or tampered, or no such page", body = Error)))]
/// A preview of the document's file, for anyone holding an unexpired signed link; no key
/// needed.
pub async fn preview(
    State(state): State<OmiseState>,
    PathParams((dispute, document, token)): PathParams<(String, String, String)>,
    request: HeaderMap,
    Input(params): Input<PreviewParams>,
) -> ApiResult<Response> {
    let gone = || ApiError::NotFound("the preview link is invalid or has expired".into());
    let number = match params.page {
        None => 1,
        // A page past any file's (past u32) is a page the document does not have: 404 below.
        Some(n) if n >= 1 => u32::try_from(n).unwrap_or(u32::MAX),
        Some(_) => return Err(ApiError::bad_request("page must be a number from 1")),
    };
    let (Ok(dispute), Ok(document)) = (
        Id::parse(IdKind::Dispute, &dispute),
        Id::parse(IdKind::Document, &document),
    ) else {
        return Err(gone());
    };
    let core = &state.core;
    let subject = preview_subject(&document);
    if !core
        .signer
        .verify_subject(&subject, &token, core.clock.now())
    {
        return Err(gone());
    }
    let doc = core
        .document(None, &dispute, &document)
        .await?
        .ok_or_else(gone)?;
    // As for downloads: a test clock only runs ahead, so test mode checks again on its own.
    if doc.mode == Mode::Test
        && !core
            .signer
            .verify_subject(&subject, &token, core.now_in(&doc.account, doc.mode).await?)
    {
        return Err(gone());
    }
    let file = doc.first_page.ok_or_else(gone)?;
    match core.preview(&file, number).await {
        Ok(preview) => Ok(crate::http::png_preview(
            preview.png,
            &preview.etag,
            &request,
        )),
        Err(PreviewError::NoSuchPage(n)) => Err(ApiError::NotFound(format!(
            "the document's file has no page {n}"
        ))),
        Err(PreviewError::Unreadable) => Err(ApiError::NotFound(
            "no preview can be made of this document's file".into(),
        )),
    }
}
