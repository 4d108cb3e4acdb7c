//! The application: its state (the core and the settings), the composition of every edge's
//! router under the shared middleware, and serving with graceful shutdown. `app(state)` is what
//! tests serve on port 0.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tower::{Layer, ServiceBuilder};
use tower_http::LatencyUnit;
use tower_http::normalize_path::NormalizePathLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::blobs::Blobs;
use crate::config::Settings;
use crate::core::Core;
use crate::domain::Clock;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::signing::Signer;
use crate::store::DynStore;

#[derive(Clone)]
pub struct AppState {
    pub core: Core,
    pub settings: Arc<Settings>,
    /// Per-key request budgets, when `RATE_LIMIT` is set: this process's, or Redis's.
    pub rate_limiter: Option<Arc<RateLimiter>>,
}

impl AppState {
    pub fn new(store: DynStore, blobs: Blobs, settings: Settings, clock: Clock) -> AppState {
        let signer = Signer::new(
            settings.signing_secret.as_ref().map(|s| s.expose()),
            settings.download_url_ttl(),
        );
        let metrics = if settings.metrics {
            {
                let store = store.clone();
                Metrics::new(Box::new(move || store.pool_stats()))
            }
        } else {
            Metrics::default()
        };
        let blobs = blobs.with_metrics(metrics.clone());
        let scanner = settings.scan_url.clone().map(|url| {
            let timeout = Duration::from_secs(settings.scan_timeout.into());
            Arc::new(crate::scan::Scanner::new(url, timeout).with_metrics(metrics.clone()))
        });
        let auth_cache_ttl = Duration::from_secs(settings.auth_cache_ttl.into());
        AppState {
            core: Core::from(crate::core::Parts {
                metrics,
                scanner,
                evidence_days: settings.evidence_days,
                test_decision_delay: Duration::from_secs(settings.test_decision_delay.into()),
                deadlines: crate::core::deadlines::DeadlineSettings {
                    reminders: settings
                        .evidence_reminders
                        .iter()
                        .map(|h| chrono::TimeDelta::hours((*h).into()))
                        .collect(),
                    on_deadline: settings.on_deadline,
                },
                test_clocks: crate::core::test_clock::TestClocks::new(auth_cache_ttl),
                tokens: crate::core::ttl_cache::TtlCache::new(auth_cache_ttl),
                files: crate::files::Files::new(crate::files::Limits {
                    max_pdf_pages: settings.max_pdf_pages,
                    ..crate::files::Limits::default()
                }),
                packet_max_input: settings.packet_max_input_mb * 1_000_000,
                ..crate::core::Parts::new(store, blobs, clock, signer)
            }),
            rate_limiter: std::num::NonZeroU32::new(settings.rate_limit).map(|per_minute| {
                Arc::new(RateLimiter::new(per_minute, settings.redis_url.as_ref()))
            }),
            settings: Arc::new(settings),
        }
    }

    /// Opens the configured store and blob store and migrates the store.
    pub async fn from_settings(settings: Settings) -> anyhow::Result<AppState> {
        let store = crate::store::connect(
            &settings.database_url,
            settings.database_max_connections,
            settings.database_acquire_timeout(),
        )
        .await?;
        store.migrate().await?;
        let blobs = Blobs::from_url(&settings.blob_store_url)?;
        Ok(AppState::new(store, blobs, settings, Clock::default()))
    }

    /// The webhook delivery worker, with every dialect that sends.
    pub fn worker(&self) -> crate::webhooks::Worker {
        self.worker_with(|_| {})
    }

    /// The worker, its settings adjusted first (tests).
    pub fn worker_with(
        &self,
        adjust: impl FnOnce(&mut crate::webhooks::WorkerSettings),
    ) -> crate::webhooks::Worker {
        let settings = &self.settings;
        let mut dialects: std::collections::HashMap<String, Arc<dyn crate::webhooks::Dialect>> =
            std::collections::HashMap::new();
        dialects.insert(
            crate::omise::events::SCHEME.to_owned(),
            Arc::new(crate::omise::events::OmiseWebhooks {
                base_url: settings.public_base_url().into(),
                signer: self.core.signer.clone(),
            }),
        );
        dialects.insert(
            crate::mangopay::hooks::SCHEME.to_owned(),
            Arc::new(crate::mangopay::hooks::MangopayHooks),
        );
        let mut worker_settings = crate::webhooks::WorkerSettings {
            allow: settings.webhook_allow_cidrs.clone(),
            schedule: settings.webhook_retry_schedule.clone().map(|s| s.0),
            timeout: settings
                .webhook_timeout
                .map(|s| Duration::from_secs(s.into())),
            poll: Duration::from_millis(settings.webhook_poll_ms.into()),
            deadlines: self.core.deadlines.clone(),
        };
        adjust(&mut worker_settings);
        crate::webhooks::Worker::new(self.core.clone(), dialects, worker_settings)
    }

    /// `PUBLIC_BASE_URL`, or where the server listens.
    pub fn base_url(&self) -> String {
        self.settings.public_base_url()
    }

    /// The state of a server bound to `addr`: without `PUBLIC_BASE_URL`, links name the address
    /// bound (with the port the system chose for a `LISTEN_ADDR` of port 0).
    pub fn listening_on(mut self, addr: std::net::SocketAddr) -> AppState {
        if self.settings.public_base_url.is_none() {
            let mut settings = (*self.settings).clone();
            settings.listen_addr = addr;
            self.settings = Arc::new(settings);
        }
        self
    }
}

/// The whole HTTP surface: the Omise dialect at the root, the operator's under `/ops` when
/// `OPS_TOKEN` is set, the OpenAPI document, and the middleware every request passes.
pub fn app(state: AppState) -> Router {
    let settings = &state.settings;
    let timeout = Duration::from_secs(settings.request_timeout.into());
    let omise =
        crate::omise::OmiseState::new(state.core.clone(), settings, state.rate_limiter.clone());
    let mut router = crate::omise::router(omise, timeout).route(
        "/openapi.json",
        get(crate::openapi::openapi_json).fallback(crate::omise::method_not_allowed),
    );
    let mangopay = crate::mangopay::MangopayState {
        core: state.core.clone(),
        base_url: settings.public_base_url().into(),
        token_ttl: chrono::TimeDelta::seconds(settings.mangopay_token_ttl.into()),
        limiter: state.rate_limiter.clone(),
    };
    router = router.nest("/v2.01", crate::mangopay::router(mangopay, timeout));
    let web = crate::web::WebState::new(state.core.clone(), settings, state.rate_limiter.clone());
    router = router.nest("/web", crate::web::router(web, timeout));
    if let Some(token) = &settings.ops_token {
        let ops = crate::ops::OpsState {
            core: state.core.clone(),
            token: token.clone(),
            base_url: settings.public_base_url().into(),
        };
        router = router.nest("/ops", crate::ops::router(ops, timeout));
    }
    let metrics = state.core.metrics.clone();
    if metrics.is_on() {
        router = router
            .route(
                "/metrics",
                get(serve_metrics)
                    .with_state((metrics.clone(), settings.ops_token.clone()))
                    .fallback(crate::omise::method_not_allowed),
            )
            .layer(axum::middleware::from_fn_with_state(
                metrics,
                crate::metrics::track,
            ));
    }
    let request_id = HeaderName::from_static("x-request-id");
    router.layer(
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
            .layer(PropagateRequestIdLayer::new(request_id)),
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

/// Paths as clients send them, made routable before routing: the Mangopay SDKs' doubled and
/// missing slashes (`mangopay::rewrite_path`).
fn rewrite(mut request: Request) -> Request {
    if let Some(path) = crate::mangopay::rewrite_path(request.uri().path()) {
        let uri = match request.uri().query() {
            Some(query) => format!("{path}?{query}"),
            None => path,
        };
        if let Ok(uri) = uri.parse() {
            *request.uri_mut() = uri;
        }
    }
    request
}

/// Serves until `shutdown` resolves, then finishes the requests in flight. Trailing slashes
/// are trimmed before routing, so `/disputes/` is `/disputes`. HTTP/1 header names go out in
/// title case (`serve`).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let service = NormalizePathLayer::trim_trailing_slash()
        .layer(tower::util::MapRequestLayer::new(rewrite).layer(app(state)));
    // With each connection's address (`serve` puts it in every request's extensions): the web
    // sign-in counts its budget per client address.
    crate::serve::serve(listener, service, shutdown).await?;
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

/// Starts the webhook delivery worker; it runs as long as the process. A delivery it was sending
/// when the process stopped is sent again once its lease ends (at least once). Beside it, the
/// packet freezer: the packets of disputes that left "awaiting evidence" (queued in the
/// transaction that moved them), built off the requests, every `WEBHOOK_POLL_MS` while idle.
pub fn spawn_webhook_worker(state: &AppState) {
    tokio::spawn(state.worker().run(std::future::pending()));
    let core = state.core.clone();
    let poll = Duration::from_millis(state.settings.webhook_poll_ms.into());
    tokio::spawn(async move {
        loop {
            if core.freeze_packets().await == 0 {
                tokio::time::sleep(poll).await;
            }
        }
    });
}

/// Sweeps orphaned blobs and partial uploads older than `SWEEP_GRACE` now and then every
/// `SWEEP_INTERVAL` seconds, in the background.
pub fn spawn_sweeper(state: &AppState) {
    let core = state.core.clone();
    let every = state.settings.sweep_interval;
    let grace = state.settings.sweep_grace();
    tokio::spawn(async move {
        loop {
            match crate::sweep::sweep(&core.store, &core.blobs, core.clock.now(), grace).await {
                Ok(swept) if swept == crate::sweep::Swept::default() => {}
                Ok(swept) => tracing::info!(
                    orphans = swept.orphans,
                    partial_uploads = swept.partial_uploads,
                    "blob sweep done"
                ),
                Err(e) => tracing::warn!(error = %e, "blob sweep failed"),
            }
            match core.count_stored_pages().await {
                Ok(done) if done == crate::core::page_counts::Counted::default() => {}
                Ok(done) => tracing::info!(
                    counted = done.counted,
                    unreadable = done.unreadable,
                    "counted the pages of files stored before the checks"
                ),
                Err(e) => tracing::warn!(error = %e, "counting stored files' pages failed"),
            }
            if every == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_secs(every.into())).await;
        }
    });
}

/// `GET /metrics`: with `OPS_TOKEN` set, only with `Authorization: Bearer $OPS_TOKEN` (as the
/// operator's API); without it, to anyone who reaches the port.
async fn serve_metrics(
    State((metrics, token)): State<(Metrics, Option<crate::config::Secret>)>,
    headers: axum::http::HeaderMap,
) -> Response {
    if let Some(token) = &token {
        if !crate::http::bearer(&headers).is_some_and(|given| token.matches(given)) {
            let mut response = StatusCode::UNAUTHORIZED.into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
            return response;
        }
    }
    let Some(text) = metrics.render() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(prometheus_client::encoding::prometheus_text::CONTENT_TYPE),
    );
    response
}
