//! An HTTP client for untrusted targets.

use crate::domain::webhook::{ip_refused, AllowList};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Resolves names and drops refused addresses, so a name that points (or is re-pointed) at
/// an internal address cannot be reached.
struct GuardedResolver {
    allow: Arc<AllowList>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let host_allowed = allow.permits_host(&host);
            let kept: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| host_allowed || allow.permits_ip(a.ip()) || !ip_refused(a.ip()))
                .collect();
            if kept.is_empty() {
                return Err(format!("{host} resolves only to refused addresses").into());
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

pub fn build(allow: AllowList, timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(3)))
        .user_agent(concat!("PartnerHub-Webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(GuardedResolver {
            allow: Arc::new(allow),
        }))
        .no_proxy()
        .build()
}
