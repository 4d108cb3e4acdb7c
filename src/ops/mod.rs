//! The operator side: what the platform and the card issuer do, not the merchant. Creating
//! accounts and keys, opening disputes, and the bank's decisions. Reached through the CLI (the
//! plain functions here) and, when `OPS_TOKEN` is set, over HTTP under `/ops/` with that token as
//! a bearer token. It issues the Omise dialect's keys and answers with its dispute objects, the
//! shapes operators already consume; its errors are its own.

pub mod accounts;
pub mod disputes;
pub mod documents;
pub mod error;
pub mod packets;
pub mod previews;
pub mod scans;
pub mod webhooks;

use axum::Router;
use axum::extract::{FromRequest, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tower_http::catch_panic::CatchPanicLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::Secret;
use crate::core::Core;
use crate::domain::{Id, IdKind, Mode};
use crate::http::{TimeLimit, time_limit};
pub use accounts::{
    create_account, issue_api_key, issue_key, revoke_key, set_client_id, set_evidence_days,
    set_packet_profile,
};
pub use disputes::{deadline_from_unix, decide, open_dispute};
pub use documents::review;
pub use error::{OpsError, OpsResult};

/// What the operator's handlers need.
#[derive(Clone)]
pub struct OpsState {
    pub core: Core,
    pub token: Secret,
    /// The base of `download_uri` in the disputes it answers with.
    pub base_url: std::sync::Arc<str>,
}

/// Creates an account whose Omise responses default to `default_version`, with a Mangopay
/// ClientId when given; returns its id.
/// The routes, relative to `/ops`.
fn own_routes() -> OpenApiRouter<OpsState> {
    OpenApiRouter::new()
        .routes(routes!(accounts::http_create_account))
        .routes(routes!(accounts::http_update_account))
        .routes(routes!(accounts::http_issue_key))
        .routes(routes!(accounts::http_revoke_key))
        .routes(routes!(disputes::http_open_dispute))
        .routes(routes!(disputes::http_resolve))
        .routes(routes!(disputes::http_reopen))
        .routes(routes!(disputes::http_escalate))
        .routes(routes!(documents::http_validate))
        .routes(routes!(documents::http_refuse))
        .routes(routes!(previews::http_preview))
        .routes(routes!(packets::http_packet))
        .routes(routes!(packets::http_readiness))
        .routes(routes!(webhooks::http_add, webhooks::http_list))
        .routes(routes!(webhooks::http_remove))
        .routes(routes!(webhooks::http_rotate))
        .routes(routes!(webhooks::http_deliveries))
        .routes(routes!(webhooks::http_redeliver))
        .routes(routes!(scans::http_rescan))
        .routes(routes!(scans::http_quarantine))
}

/// `/ops/…`, for the OpenAPI document.
pub fn routes() -> OpenApiRouter<OpsState> {
    OpenApiRouter::new().nest("/ops", own_routes())
}

/// The operator's router, to nest at `/ops`: every route behind the bearer token, with this
/// surface's own fallback answers.
pub fn router(state: OpsState, request_timeout: std::time::Duration) -> Router {
    let limit = TimeLimit {
        limit: request_timeout,
        expired: |limit| {
            OpsError::Unavailable(anyhow::anyhow!("the request took longer than {limit:?}"))
                .into_response()
        },
    };
    let (routes, _) = own_routes().split_for_parts();
    routes
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token))
        .fallback(|| async { OpsError::NotFound("the requested resource was not found".into()) })
        .method_not_allowed_fallback(|| async { OpsError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(limit, time_limit))
        .layer(crate::http::compression())
        .layer(CatchPanicLayer::custom(|_| {
            OpsError::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .with_state(state)
}

/// Lets a request through only with `Authorization: Bearer $OPS_TOKEN`.
async fn require_token(State(state): State<OpsState>, request: Request, next: Next) -> Response {
    if crate::http::bearer(request.headers()).is_some_and(|given| state.token.matches(given)) {
        next.run(request).await
    } else {
        OpsError::Unauthorized.into_response()
    }
}

/// A JSON body read into `T`; an empty body is an empty object.
pub(crate) struct Body<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = OpsError;

    async fn from_request(req: Request, _: &S) -> Result<Body<T>, OpsError> {
        let bytes = axum::body::to_bytes(req.into_body(), 64 * 1024)
            .await
            .map_err(|_| OpsError::bad_request("request body is too large or unreadable"))?;
        let value = if bytes.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Map::new())
        } else {
            match serde_json::from_slice(&bytes) {
                Ok(Value::Null) => Value::Object(Map::new()),
                Ok(v @ Value::Object(_)) => v,
                Ok(_) => return Err(OpsError::bad_request("the JSON body must be an object")),
                Err(e) => return Err(OpsError::bad_request(format!("malformed JSON body: {e}"))),
            }
        };
        if crate::http::has_nul(&value) {
            return Err(OpsError::bad_request(
                "parameters must not contain NUL (\\u0000) characters",
            ));
        }
        serde_path_to_error::deserialize(value)
            .map(Body)
            .map_err(|e| {
                let path = e.path().to_string();
                OpsError::bad_request(format!("{path} {}", e.into_inner()))
            })
    }
}

/// A path parameter, with extraction failures answered as operator errors.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(OpsError))]
pub(crate) struct PathParam<T>(T);

impl From<axum::extract::rejection::PathRejection> for OpsError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> OpsError {
        OpsError::bad_request(format!("malformed path: {}", rejection.body_text()))
    }
}

pub(crate) fn parse_id(kind: IdKind, raw: &str) -> OpsResult<Id> {
    Id::parse(kind, raw).map_err(|e| OpsError::bad_request(e.to_string()))
}

pub(crate) fn parse_mode(mode: Option<&str>) -> OpsResult<Mode> {
    match mode.unwrap_or("test") {
        "test" => Ok(Mode::Test),
        "live" => Ok(Mode::Live),
        _ => Err(OpsError::bad_request("mode must be test or live")),
    }
}
