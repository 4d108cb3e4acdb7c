//! What operators watch: `GET /metrics` in the Prometheus text format (0.0.4), built on the
//! official `prometheus-client` crate. Each server keeps its own registry (nothing global, so
//! servers in one process — the tests — never mix their counts).
//!
//! - `http_request_duration_seconds{method,route,status}`: a histogram per route (the route as
//!   declared, never the raw path, whose ids would make every series unique) and status, from
//!   the request's arrival to its response head; its `_count` is the request count.
//! - `db_pool_connections{state="idle"|"in_use"}`, `db_pool_max_connections`,
//!   `db_pool_waiting`: the database pool at scrape time; waiting counts the callers queued
//!   for a connection.
//! - `blob_uploaded_bytes_total`, `blob_downloaded_bytes_total`: bytes written to and read
//!   from the blob store (documents' pages).
//! - `blob_store_errors_total{operation}`: failures of the blob store (a missing blob asked
//!   for is not one).
//! - `webhook_deliveries_total{outcome="succeeded"|"retrying"|"failed"}`: delivery attempts.
//!
//! With `METRICS=off` nothing is recorded and `/metrics` is not served: the hot path pays
//! nothing for it.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Latency buckets, in seconds: from a cached read to a slow 10 MB upload.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The service's metrics, or nothing when they are off (`Metrics::default()`); cheap to clone.
#[derive(Clone, Default)]
pub struct Metrics(Option<Arc<Inner>>);

struct Inner {
    registry: Registry,
    requests: Family<RequestLabels, Histogram, fn() -> Histogram>,
    uploaded: Counter,
    downloaded: Counter,
    blob_errors: Family<OperationLabels, Counter>,
    deliveries: Family<OutcomeLabels, Counter>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: MethodLabel,
    route: RouteLabel,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct MethodLabel(Method);

impl EncodeLabelValue for MethodLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.0.as_str())
    }
}

/// The route that matched, shared with the router (no copy per request); `unmatched` for a
/// path no route has.
#[derive(Clone, Debug)]
struct RouteLabel(Option<MatchedPath>);

impl RouteLabel {
    fn as_str(&self) -> &str {
        self.0.as_ref().map_or("unmatched", MatchedPath::as_str)
    }
}

impl PartialEq for RouteLabel {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RouteLabel {}

impl std::hash::Hash for RouteLabel {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl EncodeLabelValue for RouteLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// How a webhook delivery attempt ended.
#[derive(Clone, Copy, Debug)]
pub enum DeliveryOutcome {
    Succeeded,
    /// Not accepted; another attempt is scheduled.
    Retrying,
    /// Not accepted, and no attempt is left (or the endpoint cannot be told).
    Failed,
}

/// The pool's state, for the metrics.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolStats {
    /// Connections open, idle or in use.
    pub size: u32,
    pub idle: u32,
    pub max: u32,
    /// Callers waiting for a connection.
    pub waiting: usize,
}

/// Reads the database pool's state.
pub type PoolReader = Box<dyn Fn() -> PoolStats + Send + Sync>;

/// The database pool's gauges, read at each scrape.
struct PoolCollector(PoolReader);

impl std::fmt::Debug for PoolCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PoolCollector")
    }
}

impl Collector for PoolCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = (self.0)();
        let in_use = stats.size.saturating_sub(stats.idle);
        let connections = encoder.encode_descriptor(
            "db_pool_connections",
            "Open database connections, idle or in use",
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        let mut family = connections;
        for (state, value) in [("idle", stats.idle), ("in_use", in_use)] {
            let gauge = ConstGauge::new(i64::from(value));
            gauge.encode(family.encode_family(&[("state", state)])?)?;
        }
        for (name, help, value) in [
            (
                "db_pool_max_connections",
                "The most connections the pool opens",
                i64::from(stats.max),
            ),
            (
                "db_pool_waiting",
                "Callers waiting for a database connection",
                i64::try_from(stats.waiting).unwrap_or(i64::MAX),
            ),
        ] {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

impl Metrics {
    /// Metrics that record, with the pool gauges that `pool` reads.
    pub fn new(pool: PoolReader) -> Metrics {
        let mut registry = Registry::default();
        let requests =
            Family::<RequestLabels, Histogram, fn() -> Histogram>::new_with_constructor(|| {
                Histogram::new(BUCKETS)
            });
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its response head, by route and status",
            requests.clone(),
        );
        let uploaded = Counter::default();
        registry.register(
            "blob_uploaded_bytes",
            "Bytes written to the blob store",
            uploaded.clone(),
        );
        let downloaded = Counter::default();
        registry.register(
            "blob_downloaded_bytes",
            "Bytes read from the blob store",
            downloaded.clone(),
        );
        let blob_errors = Family::default();
        registry.register(
            "blob_store_errors",
            "Failed blob store operations",
            blob_errors.clone(),
        );
        let deliveries = Family::default();
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts, by outcome",
            deliveries.clone(),
        );
        registry.register_collector(Box::new(PoolCollector(pool)));
        Metrics(Some(Arc::new(Inner {
            registry,
            requests,
            uploaded,
            downloaded,
            blob_errors,
            deliveries,
        })))
    }

    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    pub fn uploaded(&self, bytes: usize) {
        if let Some(inner) = &self.0 {
            inner.uploaded.inc_by(bytes as u64);
        }
    }

    pub fn downloaded(&self, bytes: usize) {
        if let Some(inner) = &self.0 {
            inner.downloaded.inc_by(bytes as u64);
        }
    }

    /// A blob store `operation` failed.
    pub fn blob_error(&self, operation: &'static str) {
        if let Some(inner) = &self.0 {
            inner
                .blob_errors
                .get_or_create(&OperationLabels { operation })
                .inc();
        }
    }

    pub fn delivery(&self, outcome: DeliveryOutcome) {
        if let Some(inner) = &self.0 {
            let outcome = match outcome {
                DeliveryOutcome::Succeeded => "succeeded",
                DeliveryOutcome::Retrying => "retrying",
                DeliveryOutcome::Failed => "failed",
            };
            inner
                .deliveries
                .get_or_create(&OutcomeLabels { outcome })
                .inc();
        }
    }

    /// Everything, in the Prometheus text format.
    pub fn render(&self) -> Option<String> {
        let inner = self.0.as_ref()?;
        let mut text = String::with_capacity(16 * 1024);
        prometheus_client::encoding::prometheus_text::encode(&mut text, &inner.registry)
            .expect("writing to a String does not fail");
        Some(text)
    }
}

/// The middleware that times every request by its route (it runs inside the router, where the
/// matched route is known).
pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let Some(inner) = metrics.0.as_ref() else {
        return next.run(request).await;
    };
    let started = Instant::now();
    let method = MethodLabel(request.method().clone());
    let route = RouteLabel(request.extensions().get::<MatchedPath>().cloned());
    let response = next.run(request).await;
    let labels = RequestLabels {
        method,
        route,
        status: response.status().as_u16(),
    };
    inner
        .requests
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    response
}
