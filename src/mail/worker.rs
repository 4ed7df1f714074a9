//! Delivers queued mail: over SMTP (lettre) with retries and exponential backoff, or into the
//! built-in capture. Several nodes may run it; the outbox claim hands each message to one.

use super::Outgoing;
use crate::app::{mailing, App};
use crate::config::MailMode;
use anyhow::Context;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;
use tokio::sync::watch;

/// Give up on a message after this long and keep it, with its last error, for operators.
const GIVE_UP_AFTER_MS: i64 = 48 * 3600 * 1000;

pub enum Sender {
    Capture,
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Sender {
    pub fn from_config(app: &App) -> anyhow::Result<Sender> {
        match app.config.mail_mode {
            MailMode::Capture => Ok(Sender::Capture),
            MailMode::Smtp => {
                let url = app
                    .config
                    .smtp_url
                    .as_deref()
                    .context("--mail-mode smtp needs --smtp-url")?;
                Ok(Sender::Smtp(smtp_transport(url)?))
            }
        }
    }
}

/// Builds a transport from `smtp://[user:pass@]host:port[?tls=none|starttls|tls]`.
pub fn smtp_transport(url: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let rest = url
        .strip_prefix("smtp://")
        .context("the SMTP URL starts with smtp://")?;
    let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (creds, hostport) = match authority.rsplit_once('@') {
        Some((c, h)) => (Some(c), h),
        None => (None, authority),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().context("SMTP port")?),
        None => (hostport, 25),
    };
    let tls = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("tls="))
        .unwrap_or("none");
    let mut b = match tls {
        "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
        other => anyhow::bail!("unknown tls mode {other} (none, starttls, tls)"),
    }
    .port(port)
    .timeout(Some(Duration::from_secs(20)));
    if let Some(c) = creds {
        let (u, p) = c.split_once(':').unwrap_or((c, ""));
        b = b.credentials(Credentials::new(u.to_string(), p.to_string()));
    }
    Ok(b.build())
}

fn build_message(from: &str, m: &Outgoing) -> anyhow::Result<Message> {
    let from: Mailbox = from.parse().context("sender address")?;
    let to: Mailbox = m.to.parse().context("recipient address")?;
    Ok(Message::builder()
        .from(from)
        .to(to)
        .subject(m.subject.clone())
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(m.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(m.html.clone()),
                ),
        )?)
}

/// Backoff: 10 s, 20 s, 40 s ... capped at one hour.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = (attempts - 1).clamp(0, 10) as u32;
    (10_000i64 * 2i64.pow(exp)).min(3_600_000)
}

/// Messages claimed per pass.
const BATCH: i64 = 20;

/// Delivers what is due once; returns how many messages were handled.
pub async fn run_once(app: &App, sender: &Sender) -> anyhow::Result<usize> {
    let lease_ms = app.config.outbox_lease_secs.max(1) * 1000;
    let batch = mailing::claim_due(app, lease_ms, BATCH).await?;
    let n = batch.len();
    let mut captured = Vec::new();
    for msg in batch {
        let out: Outgoing = match serde_json::from_str(&msg.payload) {
            Ok(o) => o,
            Err(e) => {
                mailing::failed(app, msg.id, &format!("bad payload: {e}"), i64::MAX / 2).await?;
                continue;
            }
        };
        let result = match sender {
            Sender::Capture => {
                captured.push((msg.id, out));
                continue;
            }
            Sender::Smtp(t) => match build_message(&app.config.mail_from, &out) {
                Ok(m) => t.send(m).await.map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            },
        };
        match result {
            Ok(()) => {
                mailing::sent(app, msg.id).await?;
                metrics::counter!("partnerhub_mail_delivered_total", "mode" => "smtp").increment(1);
            }
            Err(e) => {
                metrics::counter!("partnerhub_mail_failures_total").increment(1);
                let now = app.clock.now_ms();
                let retry_at = if now - msg.created_at > GIVE_UP_AFTER_MS {
                    tracing::error!(id = %msg.id, error = %e, "giving up on mail");
                    i64::MAX / 2
                } else {
                    tracing::warn!(id = %msg.id, attempt = msg.attempts, error = %e, "mail delivery failed");
                    now + backoff_ms(msg.attempts)
                };
                mailing::failed(app, msg.id, &e, retry_at).await?;
            }
        }
    }
    // The built-in capture keeps the whole batch in one transaction.
    mailing::capture_all(app, &captured).await?;
    metrics::counter!("partnerhub_mail_delivered_total", "mode" => "capture")
        .increment(captured.len() as u64);
    Ok(n)
}

/// Runs until `stop` turns true.
pub async fn run(app: App, mut stop: watch::Receiver<bool>) {
    let sender = match Sender::from_config(&app) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "mail worker cannot start");
            return;
        }
    };
    loop {
        let handled = run_once(&app, &sender).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "mail worker pass failed");
            0
        });
        if *stop.borrow() {
            return;
        }
        if let Some(wait) = crate::app::pacing::after(handled, BATCH as usize) {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff_ms(1), 10_000);
        assert_eq!(backoff_ms(2), 20_000);
        assert_eq!(backoff_ms(30), 3_600_000);
    }

    #[test]
    fn smtp_urls_parse() {
        assert!(smtp_transport("smtp://127.0.0.1:2525").is_ok());
        assert!(smtp_transport("smtp://u:p@mail.example:587?tls=starttls").is_ok());
        assert!(smtp_transport("http://x").is_err());
        assert!(smtp_transport("smtp://h:1?tls=maybe").is_err());
    }
}
