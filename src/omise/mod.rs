//! The Omise dialect: authentication by secret key, Omise's parameters, paths, JSON shapes
//! (both API versions) and error objects, over the shared domain and store.

pub mod auth;
pub mod disputes;
pub mod documents;
pub mod error;
pub mod params;
pub mod render;
pub mod version;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;

pub use error::{ApiError, ApiResult};

/// The merchant routes that read parameters and answer with JSON.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(disputes::list_all))
        .routes(routes!(disputes::list_open))
        .routes(routes!(disputes::list_pending))
        .routes(routes!(disputes::list_closed))
        .routes(routes!(disputes::retrieve, disputes::update))
        .routes(routes!(disputes::accept))
        .routes(routes!(disputes::open))
        .routes(routes!(documents::list))
        .routes(routes!(documents::retrieve, documents::destroy))
}

/// Uploads and downloads: bodies that stream for as long as the file takes, uncompressed.
pub fn file_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(documents::upload))
        .routes(routes!(documents::download))
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
