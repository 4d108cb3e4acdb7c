//! The evidence packet on the page: whether the evidence fits each profile (shown beside the
//! documents before the merchant submits) and the download of the packet in the account's
//! profile, the same PDF the API answers (frozen once the dispute has left "awaiting evidence").

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::WebState;
use super::access::Viewer;
use super::pages;
use crate::core::packets::{PacketError, Readiness};

/// The dispute's readiness, or nothing when it cannot be had (the page shows the rest).
pub async fn readiness(state: &WebState, viewer: &Viewer) -> Option<Readiness> {
    match state
        .core
        .packet_readiness(Some(&viewer.scope), &viewer.dispute)
        .await
    {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::warn!(dispute = %viewer.dispute, error = %e, "no packet readiness for the page");
            None
        }
    }
}

pub async fn download(
    State(state): State<WebState>,
    viewer: Viewer,
    request: HeaderMap,
) -> Response {
    match state
        .core
        .packet(Some(&viewer.scope), &viewer.dispute, None)
        .await
    {
        Ok(built) => {
            let filename = built.filename(&viewer.dispute);
            crate::http::pdf_attachment(built.pdf, &built.sha256, &filename, &request)
        }
        Err(PacketError::NotFound) => pages::error_page(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such dispute.",
        ),
        Err(PacketError::Over(over)) => pages::error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The evidence does not fit",
            &over.message(),
        ),
        Err(e) => {
            tracing::warn!(dispute = %viewer.dispute, error = %e, "no packet for the page");
            pages::error_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "No packet",
                &e.to_string(),
            )
        }
    }
}
