//! The `partnerhub` command line.

pub mod demo;

use crate::app::App;
use crate::clock::Clock;
use crate::config::Config;
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "partnerhub",
    version,
    about = "Partner Hub: two-tier cloud distribution"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (API, portal, workers). Migrations run on start.
    Serve {
        #[command(flatten)]
        config: Config,
        /// Load the demo world first and open the mail viewer to everyone.
        #[arg(long)]
        demo: bool,
    },
    /// Run the server with the demo world loaded (same as `serve --demo`).
    Demo {
        #[command(flatten)]
        config: Config,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        config: Config,
    },
    /// Operator administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Benchmark harness: build a large world, then measure the API against its ceilings.
    Bench {
        #[command(subcommand)]
        command: crate::bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create the operator organisation (if missing) and an operator administrator.
    CreateOperator {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[command(flatten)]
        config: Config,
    },
    /// Import partner-network membership records from a CSV file.
    ImportMemberships {
        file: PathBuf,
        #[command(flatten)]
        config: Config,
    },
    /// Import or update the catalog from a JSON file (format: docs/catalog.md).
    ImportCatalog {
        file: PathBuf,
        #[command(flatten)]
        config: Config,
    },
    /// Import or update support topics from a JSON file (`{"topics": [{id, name,
    /// description, productName}]}`, see demo/support-topics.json).
    ImportSupportTopics {
        file: PathBuf,
        #[command(flatten)]
        config: Config,
    },
    /// Create the invoices of a closed month (YYYY-MM) for every provider.
    Invoice {
        #[arg(long)]
        period: String,
        #[command(flatten)]
        config: Config,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every organisation's audit hash chain; report the first broken link of each.
    Verify {
        #[command(flatten)]
        config: Config,
    },
    /// Write audit records as JSON lines (all fields and hashes), in chain order.
    Export {
        /// Only this organisation (tenant id).
        #[arg(long)]
        org: Option<String>,
        /// First day included, YYYY-MM-DD.
        #[arg(long)]
        since: Option<String>,
        /// Last day included, YYYY-MM-DD.
        #[arg(long)]
        until: Option<String>,
        /// File to write; standard output without it.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        config: Config,
    },
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("PARTNERHUB_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let json = std::env::var("PARTNERHUB_LOG_FORMAT").is_ok_and(|f| f == "json");
    // Colours only for a terminal: escape codes in a file or a log collector are noise, and
    // writing them is a cost on every request's line.
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_target(false);
    if json {
        let _ = b.json().try_init();
    } else {
        let _ = b.try_init();
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match rt.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Serve { config, demo } => serve(config, demo).await,
        Command::Demo { config } => serve(config, true).await,
        Command::Migrate { config } => {
            let app = App::start(config, Clock::system()).await?;
            println!("migrations applied to {}", redact(&app.config.database_url));
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin { command } => admin(command).await,
        Command::Bench { command } => crate::bench::main(command).await,
        Command::Audit { command } => audit(command).await,
    }
}

async fn admin(command: AdminCommand) -> anyhow::Result<ExitCode> {
    match command {
        AdminCommand::CreateOperator {
            email,
            password,
            config,
        } => {
            let app = App::start(config, Clock::system()).await?;
            create_operator(&app, &email, &password).await?;
            println!("operator administrator {email} created");
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::ImportMemberships { file, config } => {
            let app = App::start(config, Clock::system()).await?;
            let data = std::fs::read(&file)?;
            imported(
                crate::app::memberships::import(&app, None, &data).await,
                "membership records",
            )
        }
        AdminCommand::ImportCatalog { file, config } => {
            let app = App::start(config, Clock::system()).await?;
            let data = std::fs::read_to_string(&file)?;
            let catalog: crate::app::commerce::CatalogFile = serde_json::from_str(&data)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            imported(
                crate::app::commerce::import_catalog(&app, None, &catalog).await,
                "availabilities",
            )
        }
        AdminCommand::ImportSupportTopics { file, config } => {
            let app = App::start(config, Clock::system()).await?;
            let data = std::fs::read_to_string(&file)?;
            let topics: crate::app::support::TopicFile = serde_json::from_str(&data)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            imported(
                crate::app::support::import_topics(&app, &topics).await,
                "support topics",
            )
        }
        AdminCommand::Invoice { period, config } => {
            let app = App::start(config, Clock::system()).await?;
            let start = chrono::NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d")?
                .and_hms_opt(0, 0, 0)
                .expect("midnight exists")
                .and_utc()
                .timestamp_millis();
            let n = crate::app::commerce::generate_invoices(&app, start)
                .await
                .map_err(describe)?;
            println!("created {n} invoices for {period}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// An import's outcome for a terminal: the count, or each refused field and exit code 2.
fn imported(result: crate::domain::Result<usize>, what: &str) -> anyhow::Result<ExitCode> {
    match result {
        Ok(n) => {
            println!("imported {n} {what}");
            Ok(ExitCode::SUCCESS)
        }
        Err(crate::domain::Error::Validation(errs)) => {
            for e in errs {
                eprintln!("{}: {}", e.field, e.message);
            }
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}

async fn audit(command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify { config } => {
            let app = App::start(config, Clock::system()).await?;
            let (checked, broken) = crate::app::admin_tasks::verify_audit(&app).await?;
            if broken.is_empty() {
                println!("audit chains intact: {checked} records checked");
                Ok(ExitCode::SUCCESS)
            } else {
                for b in &broken {
                    println!(
                        "broken chain: organisation {} at record #{} ({})",
                        b.org_tenant_id, b.seq, b.record_id
                    );
                }
                Ok(ExitCode::from(3))
            }
        }
        AuditCommand::Export {
            org,
            since,
            until,
            out,
            config,
        } => {
            let day = |s: &str| -> anyhow::Result<i64> {
                Ok(chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .context("dates are YYYY-MM-DD")?
                    .and_hms_opt(0, 0, 0)
                    .expect("midnight")
                    .and_utc()
                    .timestamp_millis())
            };
            let start = since.as_deref().map(day).transpose()?.unwrap_or(0);
            let before = match until.as_deref() {
                Some(u) => day(u)? + crate::clock::DAY_MS,
                None => i64::MAX,
            };
            let app = App::start(config, Clock::system()).await?;
            let mut sink: Box<dyn std::io::Write + Send> = match &out {
                Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p)?)),
                None => Box::new(std::io::BufWriter::new(std::io::stdout())),
            };
            let (n, _) = crate::app::admin_tasks::export_audit(
                &app,
                org.as_deref(),
                start,
                before,
                &mut *sink,
            )
            .await?;
            drop(sink);
            eprintln!("exported {n} audit records");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Hides the password in a database URL before it is printed.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub use crate::app::admin_tasks::create_operator;

use crate::app::admin_tasks::describe;

async fn serve(mut config: Config, demo: bool) -> anyhow::Result<ExitCode> {
    if demo {
        config.mail_viewer_public = true;
    }
    let app = App::start(config, Clock::system()).await?;
    if demo {
        demo::load(&app).await?;
    }
    let listener = tokio::net::TcpListener::bind(app.config.listen).await?;
    let running = crate::server::spawn(app, listener).await?;
    tracing::info!(
        addr = %running.addr,
        database = %redact(&running.app.config.database_url),
        mail = ?running.app.config.mail_mode,
        "Partner Hub is serving on {}/portal",
        running.app.config.public_url()
    );
    if demo {
        println!(
            "{}",
            demo::SUMMARY.replace("{url}", &running.app.config.public_url())
        );
    }
    crate::server::shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight requests");
    running.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact("postgres://ph:secret@127.0.0.1/db"),
            "postgres://ph:***@127.0.0.1/db"
        );
        assert_eq!(super::redact("sqlite:data/x.db"), "sqlite:data/x.db");
    }
}
