//! The Omise dialect: authentication by secret key, Omise's parameters, paths, JSON shapes
//! (both API versions), error objects, and its own answers for unknown paths, wrong methods,
//! time-outs and panics. It owns the root of the URL space (`/disputes`, `/charges` and the
//! health checks), and maps its vocabulary onto the core's at this edge.

pub mod auth;
pub mod disputes;
pub mod documents;
pub mod error;
pub mod events;
pub mod evidence_links;
pub mod health;
pub mod idempotency;
pub mod input;
pub mod packets;
pub mod previews;
pub mod search;
pub mod test_mode;

pub use crate::wire::omise::{keys, openapi, render, version, vocab};

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::response::IntoResponse;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::Settings;
use crate::core::Core;
use crate::domain::{Id, IdKind};
use crate::http::{TimeLimit, time_limit};
use crate::rate_limit::RateLimiter;
use auth::{Caller, KeyCache};
use render::Renderer;
use version::ApiVersion;

pub use error::{ApiError, ApiResult};

/// What the Omise handlers need: the core, and this dialect's own parts.
#[derive(Clone)]
pub struct OmiseState {
    pub core: Core,
    pub keys: Arc<KeyCache>,
    /// Per-key request budgets, when `RATE_LIMIT` is set.
    pub limiter: Option<Arc<RateLimiter>>,
    /// `settings.public_base_url()`, computed once: the base of every `download_uri`.
    pub base_url: Arc<str>,
}

impl OmiseState {
    pub fn new(core: Core, settings: &Settings, limiter: Option<Arc<RateLimiter>>) -> OmiseState {
        let keys = Arc::new(KeyCache::new(Duration::from_secs(
            settings.auth_cache_ttl.into(),
        )));
        OmiseState {
            core,
            keys,
            limiter,
            base_url: settings.public_base_url().into(),
        }
    }

    /// A renderer for `version` at `now` (the caller's time: lists end there, links expire
    /// from there).
    pub fn renderer(
        &self,
        version: ApiVersion,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Renderer<'_> {
        Renderer {
            version,
            now,
            base_url: &self.base_url,
            signer: &self.core.signer,
        }
    }
}

/// The routes that answer quickly with JSON: the merchant API and the health checks.
fn quick_routes() -> OpenApiRouter<OmiseState> {
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
        .routes(routes!(events::list_all))
        .routes(routes!(events::retrieve))
        .routes(routes!(events::list_for_dispute))
        .routes(routes!(search::search))
        .routes(routes!(evidence_links::create))
        .routes(routes!(evidence_links::revoke))
        .routes(routes!(test_mode::reset))
        .routes(routes!(test_mode::clock))
        .routes(routes!(test_mode::advance))
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
}

/// Uploads and downloads: bodies that stream for as long as the file takes, uncompressed.
fn file_routes() -> OpenApiRouter<OmiseState> {
    OpenApiRouter::new()
        .routes(routes!(documents::upload))
        .routes(routes!(documents::download))
        .routes(routes!(previews::preview))
        .routes(routes!(packets::packet))
        .routes(routes!(packets::packet_readiness))
}

/// Every annotated route, unlayered: what the OpenAPI document describes.
pub fn routes() -> OpenApiRouter<OmiseState> {
    quick_routes().merge(file_routes())
}

/// The dialect's router, with its middleware and its own fallback answers. Uploads and
/// downloads have no overall time limit (a slow client may take minutes over 10 MB) and are
/// never compressed (a download's Content-Length and Repr-Digest describe the stored bytes);
/// everything else has `REQUEST_TIMEOUT` and gzip when the client asks.
pub fn router(state: OmiseState, request_timeout: Duration) -> Router {
    let limit = TimeLimit {
        limit: request_timeout,
        expired: |limit| {
            ApiError::Unavailable(anyhow::anyhow!("the request took longer than {limit:?}"))
                .into_response()
        },
    };
    // Idempotency keys see what the handler answered, time-outs included, before any
    // compression: a replay is then compressed, or not, as its own request asks.
    let idempotent = middleware::from_fn_with_state(state.clone(), idempotency::idempotency);
    let (quick, _) = quick_routes().split_for_parts();
    let quick = quick
        .layer(middleware::from_fn_with_state(limit, time_limit))
        .layer(idempotent.clone())
        .layer(crate::http::compression());
    let (files, _) = file_routes().split_for_parts();
    let files = files.layer(idempotent);
    Router::new()
        .merge(quick)
        .merge(files)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("the requested resource was not found".into())
}

/// The answer to a known path with another method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
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

/// An id from the path: malformed is 400; an id marked for the other mode names nothing the
/// caller can see.
pub fn path_id(kind: IdKind, raw: &str, caller: &Caller) -> ApiResult<Id> {
    let id = Id::parse(kind, raw).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if id.marked_mode() != caller.scope.mode {
        return Err(match kind {
            IdKind::Document => ApiError::document_not_found(raw),
            IdKind::Charge => ApiError::NotFound(format!("charge {raw} was not found")),
            IdKind::Event => ApiError::NotFound(format!("event {raw} was not found")),
            IdKind::EvidenceLink => {
                ApiError::NotFound(format!("evidence link {raw} was not found"))
            }
            _ => ApiError::dispute_not_found(raw),
        });
    }
    Ok(id)
}
