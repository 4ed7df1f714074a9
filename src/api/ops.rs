//! Operations endpoints: liveness, readiness and Prometheus metrics.

use crate::app::App;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::OnceLock;

static PROMETHEUS: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the metrics recorder once per process.
pub fn prometheus() -> &'static PrometheusHandle {
    PROMETHEUS.get_or_init(|| {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .set_buckets(&[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
            .expect("valid buckets")
            // Write transactions are held for fractions of a millisecond.
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Prefix("partnerhub_db_".into()),
                &[
                    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5,
                ],
            )
            .expect("valid buckets")
            // How many transactions each SQLite commit carried (store::group_commit).
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Full(
                    "partnerhub_sqlite_group_commit_size".into(),
                ),
                &[1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0],
            )
            .expect("valid buckets")
            .install_recorder()
            .expect("one metrics recorder per process")
    })
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "alive")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "ready"), (status = 503, description = "database unavailable")))]
pub async fn readyz(State(app): State<App>) -> Response {
    if crate::app::health::ready(&app).await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "metrics")))]
pub async fn metrics_text() -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        prometheus().render(),
    )
        .into_response()
}
