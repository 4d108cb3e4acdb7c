//! The page's previews: a PNG of each page of a document's file, rendered by the server (the
//! core's previews, kept as blobs), in place of an embedded PDF viewer, which paints nothing in
//! a headless browser and is slow in a real one.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::WebState;
use super::access::Viewer;
use super::error::WebError;
use super::pages;
use crate::domain::{Id, IdKind};

pub async fn preview(
    State(state): State<WebState>,
    viewer: Viewer,
    axum::extract::Path(params): axum::extract::Path<Vec<(String, String)>>,
    request: HeaderMap,
) -> Response {
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let (Ok(document), Some(number)) = (
        Id::parse(IdKind::Document, param("document")),
        param("page").parse::<u32>().ok().filter(|n| *n >= 1),
    ) else {
        return not_found();
    };
    let core = &state.core;
    let doc = match core
        .document(Some(&viewer.scope), &viewer.dispute, &document)
        .await
    {
        Ok(Some(doc)) => doc,
        Ok(None) => return not_found(),
        Err(e) => return WebError::from(e).failure_page(),
    };
    let Some(file) = doc.first_page else {
        return not_found();
    };
    match core.preview(&file, number).await {
        Ok(preview) => crate::http::png_preview(preview.png, &preview.etag, &request),
        Err(_) => not_found(),
    }
}

fn not_found() -> Response {
    pages::error_page(
        StatusCode::NOT_FOUND,
        "No preview",
        "There is no preview of this page.",
    )
}
