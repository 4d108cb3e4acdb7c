//! The application: its state, the router with its middleware, and serving with graceful
//! shutdown. `app(state)` is what tests serve on port 0.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower::{Layer, ServiceBuilder};
use tower_http::LatencyUnit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::normalize_path::NormalizePathLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::blobs::Blobs;
use crate::config::Settings;
use crate::domain::Clock;
use crate::omise::auth::KeyCache;
use crate::omise::render::{Renderer, json};
use crate::omise::version::ApiVersion;
use crate::omise::{self, ApiError};
use crate::signing::Signer;
use crate::store::DynStore;

#[derive(Clone)]
pub struct AppState {
    pub store: DynStore,
    pub blobs: Blobs,
    pub settings: Arc<Settings>,
    pub clock: Clock,
    pub signer: Signer,
    pub keys: Arc<KeyCache>,
    /// `settings.public_base_url()`, computed once.
    pub base_url: Arc<str>,
    /// Per-key request budget, when `RATE_LIMIT` is set.
    pub limiter: Option<Arc<KeyLimiter>>,
}

pub type KeyLimiter = governor::DefaultKeyedRateLimiter<crate::domain::Id>;

impl AppState {
    pub fn new(store: DynStore, blobs: Blobs, settings: Settings, clock: Clock) -> AppState {
        let signer = Signer::new(
            settings.signing_secret.as_ref().map(|s| s.expose()),
            settings.download_url_ttl(),
        );
        let keys = Arc::new(KeyCache::new(Duration::from_secs(
            settings.auth_cache_ttl.into(),
        )));
        let base_url = settings.public_base_url().into();
        let limiter = std::num::NonZeroU32::new(settings.rate_limit)
            .map(|per_minute| Arc::new(KeyLimiter::keyed(governor::Quota::per_minute(per_minute))));
        AppState {
            store,
            blobs,
            settings: Arc::new(settings),
            clock,
            signer,
            keys,
            base_url,
            limiter,
        }
    }

    /// Opens the configured store and blob store and migrates the store.
    pub async fn from_settings(settings: Settings) -> anyhow::Result<AppState> {
        let store =
            crate::store::connect(&settings.database_url, settings.database_max_connections)
                .await?;
        store.migrate().await?;
        let blobs = Blobs::from_url(&settings.blob_store_url)?;
        Ok(AppState::new(store, blobs, settings, Clock::default()))
    }

    pub fn renderer(&self, version: ApiVersion) -> Renderer<'_> {
        Renderer {
            version,
            now: self.clock.now(),
            base_url: &self.base_url,
            signer: &self.signer,
        }
    }
}

/// Every annotated route, unlayered: what the OpenAPI document describes.
pub fn routes() -> OpenApiRouter<AppState> {
    api_routes()
        .merge(omise::file_routes())
        .merge(crate::ops::routes())
}

/// The routes that answer quickly with JSON: the merchant API and the health checks.
fn api_routes() -> OpenApiRouter<AppState> {
    omise::routes()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(openapi_json))
}

/// The whole HTTP surface with its middleware. Uploads and downloads have no overall time
/// limit (a slow client may take minutes over 10 MB) and are never compressed (a download's
/// Content-Length and Repr-Digest describe the stored bytes); everything else has
/// `REQUEST_TIMEOUT` and gzip when the client asks.
pub fn app(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.settings.request_timeout.into());
    let (api, _) = api_routes().split_for_parts();
    let api = api
        .layer(middleware::from_fn_with_state(timeout, time_limit))
        .layer(CompressionLayer::new().gzip(true));
    let (files, _) = omise::file_routes().split_for_parts();
    let mut router = Router::new().merge(api).merge(files);
    if state.settings.ops_token.is_some() {
        let (ops, _) = crate::ops::routes().split_for_parts();
        let ops = ops
            .route_layer(middleware::from_fn_with_state(
                state.clone(),
                crate::ops::require_token,
            ))
            .layer(middleware::from_fn_with_state(timeout, time_limit))
            .layer(CompressionLayer::new().gzip(true));
        router = router.merge(ops);
    }
    let request_id = HeaderName::from_static("x-request-id");
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_response(
                            DefaultOnResponse::new()
                                .level(Level::INFO)
                                .latency_unit(LatencyUnit::Micros),
                        )
                        .on_failure(()),
                )
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(CatchPanicLayer::custom(|_| {
                    ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response()
                })),
        )
}

/// One span per request, named by the route that matched (never the raw path, whose ids would
/// make every span unique), with the request id. No header is recorded: keys stay out of logs.
fn request_span(req: &Request) -> tracing::Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!("request", method = %req.method(), route, request_id = %id)
}

/// Answers 503 `service_unavailable` (as JSON, like every answer) when a request takes longer
/// than `REQUEST_TIMEOUT`; the work in flight is dropped, and a transaction with it rolls back.
async fn time_limit(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Unavailable(anyhow::anyhow!("the request took longer than {limit:?}"))
            .into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::NotFound("the requested resource was not found".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

#[derive(utoipa::ToSchema, serde::Serialize)]
struct Health {
    object: &'static str,
    /// ok (the process is up) or ready (and the database answers).
    status: &'static str,
}

/// The process is up.
#[utoipa::path(get, operation_id = "healthz", path = "/healthz", tag = "health", security(()),
    responses((status = 200, description = "Up", body = Health)))]
async fn healthz() -> Response {
    json(&Health {
        object: "health",
        status: "ok",
    })
}

/// The process is up and its database answers.
#[utoipa::path(get, operation_id = "readyz", path = "/readyz", tag = "health", security(()),
    responses((status = 200, description = "Ready", body = Health),
        (status = 503, description = "The database is unavailable", body = crate::openapi::Error)))]
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => json(&Health {
            object: "health",
            status: "ready",
        }),
        Err(e) => ApiError::Unavailable(e.into()).into_response(),
    }
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, operation_id = "openapi", path = "/openapi.json", tag = "health", security(()),
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
async fn openapi_json() -> Response {
    static DOCUMENT: std::sync::LazyLock<bytes::Bytes> =
        std::sync::LazyLock::new(|| crate::openapi::document_json().into());
    let mut response = DOCUMENT.clone().into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// Serves until `shutdown` resolves, then finishes the requests in flight. Trailing slashes
/// are trimmed before routing, so `/disputes/` is `/disputes`.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let service = NormalizePathLayer::trim_trailing_slash().layer(app(state));
    axum::serve(
        listener,
        axum::ServiceExt::<Request>::into_make_service(service),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Sweeps orphaned blobs now and then every `SWEEP_INTERVAL` seconds, in the background.
pub fn spawn_sweeper(state: &AppState) {
    let (store, blobs, clock) = (
        state.store.clone(),
        state.blobs.clone(),
        state.clock.clone(),
    );
    let limiter = state.limiter.clone();
    let every = state.settings.sweep_interval;
    tokio::spawn(async move {
        loop {
            match crate::sweep::sweep(&store, &blobs, clock.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "blob sweep done"),
                Err(e) => tracing::warn!(error = %e, "blob sweep failed"),
            }
            if let Some(limiter) = &limiter {
                // Forget the budgets of keys that have been quiet for a while.
                limiter.retain_recent();
            }
            if every == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_secs(every.into())).await;
        }
    });
}
