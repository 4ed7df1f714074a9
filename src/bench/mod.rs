//! The benchmark harness: `bench generate` builds a large world in the real schema, `bench run`
//! drives a server over loopback HTTP and prints latency and throughput beside the ceilings
//! measured in the same run (the bare routes of [`routes`], mounted only with `--bench-routes`).

mod flows;
pub mod routes;
pub mod run;
mod targets;

use crate::app::App;
use crate::clock::Clock;
use crate::config::Config;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Build a large world in the database (scale 1.0: 20 providers, 10,000 resellers,
    /// 1,000,000 customers, 3,000,000 subscriptions). Use an empty database.
    Generate {
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        #[command(flatten)]
        config: Config,
    },
    /// Drive a server with the workloads and print throughput, latency, ceilings and memory.
    /// Without --url, starts `partnerhub serve --bench-routes` on the same database itself.
    Run {
        #[command(flatten)]
        run: RunArgs,
        #[command(flatten)]
        config: Config,
    },
}

#[derive(Args)]
pub struct RunArgs {
    /// A server already running with --bench-routes (otherwise one is started).
    #[arg(long)]
    url: Option<String>,
    /// Process id of that server, to report its peak memory.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Measured seconds per workload.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Unmeasured seconds before each workload.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Customers sampled for random requests.
    #[arg(long, default_value_t = 20_000)]
    sample: usize,
    /// Deep list page measured (the deepest available when the world is smaller).
    #[arg(long, default_value_t = 5_000)]
    deep_page: usize,
    /// A workload and its ceiling alternate in slices of this many seconds, so their ratio
    /// compares the two at the machine's same speed.
    #[arg(long, default_value_t = 1.0)]
    slice_seconds: f64,
    /// Run only these workloads (comma-separated names as printed); ceilings always run.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Extra argument for the server this command starts (repeatable), e.g.
    /// --serve-arg=--db-connections=8.
    #[arg(long, allow_hyphen_values = true)]
    serve_arg: Vec<String>,
}

pub async fn main(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCommand::Generate { scale, config } => {
            let app = App::start(config, Clock::system()).await?;
            let sizes = Sizes::of(scale);
            eprintln!(
                "generating scale {scale}: {} providers, {} resellers, {} customers into {}",
                sizes.providers,
                sizes.resellers,
                sizes.customers,
                crate::cli::redact(&app.config.database_url)
            );
            let r = crate::app::bench_world::generate(&app, scale).await?;
            println!(
                "generated {} providers, {} resellers, {} customers, {} users, {} subscriptions, {} licenses in {:.1} s; database size {:.1} MB",
                r.providers,
                r.resellers,
                r.customers,
                r.users,
                r.subscriptions,
                r.licenses,
                r.seconds,
                r.database_bytes as f64 / 1_048_576.0
            );
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Run { run: a, config } => {
            let database_url = config.database_url.clone();
            // A server already running owns its database's schema.
            let app = match &a.url {
                Some(_) => App::attach(config, Clock::system()).await?,
                None => App::start(config, Clock::system()).await?,
            };
            let mut child = None;
            let (base, pid) = match &a.url {
                Some(u) => (u.trim_end_matches('/').to_string(), a.server_pid),
                None => {
                    let (c, base) = start_server(&database_url, &a.serve_arg).await?;
                    let pid = c.id();
                    child = Some(c);
                    (base, pid)
                }
            };
            let opts = run::Options {
                base,
                server_pid: pid,
                concurrency: a.concurrency.max(1),
                duration: Duration::from_secs_f64(a.seconds.max(0.1)),
                warmup: Duration::from_secs_f64(a.warmup.max(0.0)),
                sample: a.sample.max(1),
                deep_page: a.deep_page.max(1),
                only: a.only.clone(),
                slice: Duration::from_secs_f64(a.slice_seconds.max(0.01)),
            };
            let result = run::run(&app, &opts).await;
            if let Some(mut c) = child {
                stop_server(&mut c).await;
            }
            let summary = result?;
            run::print(&summary);
            targets::print(&summary);
            if let Some(path) = &a.json {
                std::fs::write(path, serde_json::to_vec_pretty(&summary)?)?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Starts `partnerhub serve --bench-routes` on a free loopback port and waits until ready.
async fn start_server(
    database_url: &str,
    extra: &[String],
) -> anyhow::Result<(tokio::process::Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let exe = std::env::current_exe()?;
    let mut cmd = tokio::process::Command::new(exe);
    cmd.arg("serve")
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--database-url")
        .arg(database_url)
        .arg("--bench-routes")
        .arg("--rate-limit-per-minute=0")
        // The webhook workload's receiver listens on plain HTTP on loopback.
        .arg("--webhook-allow=127.0.0.1")
        .args(extra)
        .env(
            "PARTNERHUB_LOG",
            std::env::var("PARTNERHUB_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .kill_on_drop(true);
    let mut child = cmd.spawn()?;
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..300 {
        if let Ok(Ok(mut s)) = tokio::time::timeout(
            Duration::from_secs(1),
            tokio::net::TcpStream::connect(("127.0.0.1", port)),
        )
        .await
        {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let _ = s
                .write_all(b"GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                .await;
            let mut buf = vec![0u8; 64];
            if let Ok(n) = s.read(&mut buf).await {
                if buf[..n].starts_with(b"HTTP/1.1 200") {
                    return Ok((child, base));
                }
            }
        }
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("the server exited early: {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the server did not become ready on {base}")
}

/// Asks the server to stop (SIGTERM) and waits for it.
async fn stop_server(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status();
    }
    if tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}

pub use crate::app::bench_world::{
    customer_domain, operator_domain, provider_domain, reseller_domain, Sizes, DOMAIN_SUFFIX,
    PASSWORD, SUBSCRIPTIONS_PER_CUSTOMER,
};
