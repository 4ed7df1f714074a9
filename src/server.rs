//! Starting and stopping the HTTP server and the background workers.

use crate::app::App;
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
}

impl Running {
    /// Stops accepting connections, lets in-flight requests finish, then stops workers.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.server.await;
        for w in self.workers {
            let _ = w.await;
        }
    }
}

pub async fn spawn(app: App, listener: TcpListener) -> anyhow::Result<Running> {
    let addr = listener.local_addr()?;
    let (stop, stop_rx) = watch::channel(false);
    let router = crate::api::router(app.clone());
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
    })
}

/// The lease that lets one node run housekeeping while several share a database.
const HOUSEKEEPING_LEASE: &str = "housekeeping";
/// How long a lease outlives its holder's last pass (a crashed node's jobs resume then).
const LEASE_MS: i64 = 3 * 60_000;

/// Periodic work: expired sessions and request ids, rate-limit windows, grant expiry and
/// warnings, renewals, purge of deleted customer users, notification digests, audit retention,
/// support service levels.
/// With several nodes on one database, only the node holding the housekeeping lease runs a
/// pass, so nothing runs twice.
async fn housekeeping(app: App, mut stop: watch::Receiver<bool>) {
    let holder = uuid::Uuid::new_v4().to_string();
    loop {
        let now = app.clock.now_ms();
        match crate::store::ratelimit::take_lease(
            &app.db,
            HOUSEKEEPING_LEASE,
            &holder,
            now,
            now + LEASE_MS,
        )
        .await
        {
            Ok(true) => housekeeping_pass(&app, now).await,
            Ok(false) => tracing::debug!("another node holds the housekeeping lease"),
            Err(e) => tracing::warn!(error = %e, "housekeeping lease failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            _ = stop.changed() => {
                let _ = crate::store::ratelimit::release_lease(&app.db, HOUSEKEEPING_LEASE, &holder).await;
                return;
            }
        }
    }
}

async fn housekeeping_pass(app: &App, now: i64) {
    if let Err(e) = crate::store::sessions::delete_expired(&app.db, now).await {
        tracing::warn!(error = %e, "session cleanup failed");
    }
    if let Err(e) =
        crate::store::idempotency::purge_before(&app.db, now - crate::clock::DAY_MS).await
    {
        tracing::warn!(error = %e, "request id cleanup failed");
    }
    if let Err(e) = crate::app::customers::run_grant_expiry(app).await {
        tracing::warn!(error = %e, "grant expiry pass failed");
    }
    if let Err(e) = crate::app::commerce::run_renewals(app).await {
        tracing::warn!(error = %e, "subscription renewal pass failed");
    }
    if let Err(e) = crate::app::customer_users::purge_deleted(app).await {
        tracing::warn!(error = %e, "purge of deleted users failed");
    }
    if let Err(e) = crate::store::ratelimit::purge_windows(&app.db, now - 5 * 60_000).await {
        tracing::warn!(error = %e, "rate-limit window cleanup failed");
    }
    // Under the lease too: two nodes must not both mail a digest or both archive the same
    // audit records.
    if let Err(e) = crate::app::notifications::send_digests(app).await {
        tracing::warn!(error = %e, "notification digests failed");
    }
    if let Err(e) = crate::app::audit::apply_retention(app).await {
        tracing::warn!(error = %e, "audit retention pass failed");
    }
    // Support service levels: warnings before a target is missed, breaches recorded once.
    if let Err(e) = crate::app::support::run_service_levels(app).await {
        tracing::warn!(error = %e, "support service-level pass failed");
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
