//! The HTTP server: one router composed of the API and the portal with the layers both share,
//! started and stopped with the background workers.

use crate::app::App;
use axum::extract::DefaultBodyLimit;
use axum::http::Uri;
use axum::response::Response;
use axum::Router;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Running {
    pub addr: SocketAddr,
    pub app: App,
    stop: watch::Sender<bool>,
    server: JoinHandle<()>,
    workers: Vec<JoinHandle<()>>,
    /// The checkpoint timer, with its own stop: it stops after everything else that writes,
    /// so its last pass empties a WAL nothing writes to afterwards.
    checkpoints: (watch::Sender<bool>, JoinHandle<()>),
}

impl Running {
    /// Stops accepting connections, lets in-flight requests finish, stops the workers, and
    /// then the checkpoint timer.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.server.await;
        for w in self.workers {
            let _ = w.await;
        }
        let (stop, timer) = self.checkpoints;
        let _ = stop.send(true);
        let _ = timer.await;
    }
}

/// Every route of the product: the API, the portal and (with `--bench-routes`) the bench
/// ceilings, under the layers both adapters share (request id, security headers, body limit,
/// idempotency, panic catcher), with a fallback that answers in the door's own format.
pub fn router(app: App) -> Router {
    let max_body = app.config.max_body_bytes;
    let bench = if app.config.bench_routes {
        crate::bench::routes::router()
    } else {
        Router::new()
    };
    crate::api::routes(&app)
        .merge(crate::portal::router(app.clone()))
        .merge(bench)
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            crate::api::idempotency::layer,
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            crate::api::middleware::security_headers,
        ))
        .layer(axum::middleware::from_fn(
            crate::api::middleware::request_context,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            crate::api::on_panic,
        ))
        .with_state(app)
}

/// Nothing here: a page for portal addresses, an API error body for the rest.
async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/portal") {
        return crate::portal::not_found_page().await;
    }
    crate::api::not_found(&uri)
}

pub async fn spawn(app: App, listener: TcpListener) -> anyhow::Result<Running> {
    let addr = listener.local_addr()?;
    let (stop, stop_rx) = watch::channel(false);
    let router = router(app.clone());
    let mut rx = stop_rx.clone();
    let server = tokio::spawn(async move {
        let shutdown = async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        {
            tracing::error!(error = %e, "server stopped with an error");
        }
    });
    let mut workers = Vec::new();
    crate::app::checkpoints::start(&app).await?;
    let (checkpoints_stop, checkpoints_rx) = watch::channel(false);
    let checkpoints = (
        checkpoints_stop,
        tokio::spawn(checkpoints(app.clone(), checkpoints_rx)),
    );
    if app.config.workers {
        workers.push(tokio::spawn(crate::mail::worker::run(
            app.clone(),
            stop_rx.clone(),
        )));
        workers.push(tokio::spawn(crate::webhooks::worker::run(
            app.clone(),
            stop_rx.clone(),
        )));
        workers.push(tokio::spawn(housekeeping(app.clone(), stop_rx.clone())));
    }
    Ok(Running {
        addr,
        app,
        stop,
        server,
        workers,
        checkpoints,
    })
}

/// The housekeeping timer: every minute, the node holding the lease runs a pass
/// (`app::housekeeping`).
async fn housekeeping(app: App, mut stop: watch::Receiver<bool>) {
    let holder = uuid::Uuid::new_v4().to_string();
    loop {
        match crate::app::housekeeping::take_lease(&app, &holder).await {
            Ok(true) => crate::app::housekeeping::pass(&app).await,
            Ok(false) => tracing::debug!("another node holds the housekeeping lease"),
            Err(e) => tracing::warn!(error = %e, "housekeeping lease failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            _ = stop.changed() => {
                crate::app::housekeeping::release_lease(&app, &holder).await;
                return;
            }
        }
    }
}

/// The WAL checkpoint timer (`app::checkpoints`): every node checkpoints its own SQLite
/// file, and empties its WAL when the server stops.
async fn checkpoints(app: App, mut stop: watch::Receiver<bool>) {
    let mut checkpointer = crate::app::checkpoints::Checkpointer::new(&app);
    loop {
        let pause = checkpointer.pass(&app).await;
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => {
                checkpointer.finish(&app).await;
                return;
            }
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
