//! Prometheus metrics (`GET /metrics`) and the request log.
//!
//! Only the method, the route label and the path are logged, never the query string (it may
//! carry an account name the caller typed as a password by mistake) or any header.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

use crate::App;

/// The registry's metrics.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    bytes_in: IntCounterVec,
    bytes_out: IntCounterVec,
    latency: HistogramVec,
    uploads: HistogramVec,
    storage_bytes: IntGauge,
}

impl Metrics {
    /// Create the metrics. Fails only on an invalid metric name, which would be a bug here.
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "zoll_http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["route", "method", "status"],
        )?;
        let bytes_in = IntCounterVec::new(
            Opts::new(
                "zoll_http_request_bytes_total",
                "request body bytes received, by route",
            ),
            &["route"],
        )?;
        let bytes_out = IntCounterVec::new(
            Opts::new(
                "zoll_http_response_bytes_total",
                "response body bytes sent, by route",
            ),
            &["route"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "zoll_http_request_duration_seconds",
                "time to response headers, by route",
            )
            .buckets(vec![0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0]),
            &["route"],
        )?;
        let uploads = HistogramVec::new(
            HistogramOpts::new(
                "zoll_blob_upload_duration_seconds",
                "blob upload duration, from start to commit",
            )
            .buckets(vec![0.01, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0, 600.0]),
            &["size"],
        )?;
        let storage_bytes =
            IntGauge::new("zoll_storage_bytes", "bytes of blobs known to the registry")?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(bytes_in.clone()))?;
        registry.register(Box::new(bytes_out.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(uploads.clone()))?;
        registry.register(Box::new(storage_bytes.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            bytes_in,
            bytes_out,
            latency,
            uploads,
            storage_bytes,
        })
    }

    /// Record a finished upload.
    pub fn observe_upload(&self, took: Duration, size: u64) {
        let bucket = match size {
            0..=1_048_575 => "<1MiB",
            1_048_576..=104_857_599 => "<100MiB",
            _ => ">=100MiB",
        };
        self.uploads
            .with_label_values(&[bucket])
            .observe(took.as_secs_f64());
    }
}

/// The route of a `/v2/` response, set by [`crate::dist::dispatch`].
#[derive(Debug, Clone, Copy)]
pub struct RouteLabel(pub &'static str);

/// The label of a non-distribution path.
fn route_label(path: &str) -> &'static str {
    if path.starts_with("/v2") {
        "unknown"
    } else if path == "/token" {
        "token"
    } else if path.starts_with("/api/") {
        "admin"
    } else if path == "/metrics" || path == "/healthz" || path == "/readyz" {
        "ops"
    } else {
        "other"
    }
}

/// Middleware: count and log every request.
pub async fn track(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let len_in = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let resp = next.run(req).await;
    let route = resp
        .extensions()
        .get::<RouteLabel>()
        .map_or_else(|| route_label(&path), |l| l.0);
    let status = resp.status();
    let len_out = resp
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let m = &app.metrics;
    m.requests
        .with_label_values(&[route, method.as_str(), status.as_str()])
        .inc();
    m.bytes_in.with_label_values(&[route]).inc_by(len_in);
    if method != "HEAD" {
        m.bytes_out.with_label_values(&[route]).inc_by(len_out);
    }
    let took = start.elapsed();
    m.latency
        .with_label_values(&[route])
        .observe(took.as_secs_f64());
    tracing::info!(
        target: "zoll::access",
        method = %method,
        path = %path,
        status = status.as_u16(),
        ms = took.as_secs_f64() * 1000.0,
        "request"
    );
    resp
}

/// `GET /metrics` in the Prometheus text format.
pub async fn render(State(app): State<Arc<App>>) -> Response {
    if let Ok(total) = app.meta.blob_bytes().await {
        app.metrics
            .storage_bytes
            .set(i64::try_from(total).unwrap_or(i64::MAX));
    }
    let mut buf = Vec::new();
    let families = app.metrics.registry.gather();
    if let Err(e) = TextEncoder::new().encode(&families, &mut buf) {
        return crate::error::ApiError::internal("encode metrics", e).into_response();
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], buf).into_response()
}
