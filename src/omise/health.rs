//! Liveness and readiness, served at the root beside the merchant API.

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::render::json;
use super::{ApiError, OmiseState};

#[derive(utoipa::ToSchema, serde::Serialize)]
pub struct Health {
    object: &'static str,
    /// ok (the process is up) or ready (and the database answers).
    status: &'static str,
}

/// The process is up.
#[utoipa::path(get, operation_id = "healthz", path = "/healthz", tag = "health", security(()),
    responses((status = 200, description = "Up", body = Health)))]
pub async fn healthz() -> Response {
    json(&Health {
        object: "health",
        status: "ok",
    })
}

/// The process is up, its database answers, and so does clamd when `SCAN_URL` is set.
#[utoipa::path(get, operation_id = "readyz", path = "/readyz", tag = "health", security(()),
    responses((status = 200, description = "Ready", body = Health),
        (status = 503, description = "The database, or clamd when SCAN_URL is set, is unavailable", body = super::openapi::Error)))]
pub async fn readyz(State(state): State<OmiseState>) -> Response {
    if let Some(scanner) = &state.core.scanner {
        if let Err(e) = scanner.ping().await {
            return ApiError::Unavailable(e.into()).into_response();
        }
    }
    match state.core.store.ping().await {
        Ok(()) => json(&Health {
            object: "health",
            status: "ready",
        }),
        Err(e) => ApiError::Unavailable(e.into()).into_response(),
    }
}
