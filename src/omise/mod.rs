//! The Omise dialect: authentication by secret key, Omise's parameters, paths, JSON shapes
//! (both API versions) and error objects, over the shared domain and store.

pub mod auth;
pub mod disputes;
pub mod documents;
pub mod error;
pub mod params;
pub mod render;
pub mod version;

use axum::Router;
use axum::routing::{get, patch, post};

use crate::app::AppState;

pub use error::{ApiError, ApiResult};

/// Every merchant route. Uploads and downloads are returned apart so that the app can give them
/// their own body and time limits.
pub fn routes() -> (Router<AppState>, Router<AppState>) {
    let api = Router::new()
        .route("/disputes", get(disputes::list_all))
        .route("/disputes/open", get(disputes::list_open))
        .route("/disputes/pending", get(disputes::list_pending))
        .route("/disputes/closed", get(disputes::list_closed))
        .route(
            "/disputes/{id}",
            get(disputes::retrieve).patch(disputes::update),
        )
        .route("/disputes/{id}/accept", patch(disputes::accept))
        .route("/charges/{id}/disputes", post(disputes::open))
        .route("/disputes/{id}/documents", get(documents::list))
        .route(
            "/disputes/{id}/documents/{document}",
            get(documents::retrieve).delete(documents::destroy),
        );
    let files = Router::new()
        .route("/disputes/{id}/documents", post(documents::upload))
        .route(
            "/disputes/{id}/documents/{document}/downloads/{token}",
            get(documents::download),
        );
    (api, files)
}

/// Path parameters, with extraction failures answered as Omise errors.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct PathParams<T>(pub T);

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> ApiError {
        ApiError::bad_request(format!("malformed path: {}", rejection.body_text()))
    }
}

/// An id from the path: malformed is 400; another mode's id names nothing the caller can see.
pub fn path_id(
    kind: crate::domain::IdKind,
    raw: &str,
    caller: &auth::Caller,
) -> ApiResult<crate::domain::Id> {
    let id =
        crate::domain::Id::parse(kind, raw).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if id.mode() != caller.scope.mode {
        return Err(match kind {
            crate::domain::IdKind::Document => ApiError::document_not_found(raw),
            crate::domain::IdKind::Charge => {
                ApiError::NotFound(format!("charge {raw} was not found"))
            }
            _ => ApiError::dispute_not_found(raw),
        });
    }
    Ok(id)
}
