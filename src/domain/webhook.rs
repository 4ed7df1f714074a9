//! Webhooks: the events partners can subscribe to, Standard Webhooks signatures, and which
//! target addresses are refused (loopback, private, link-local, metadata).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::IpAddr;

use super::words::stored_words;

stored_words! {
    /// An event partners can subscribe to (webhooks, notification mail), as its name is sent
    /// and stored.
    pub enum EventName {
        TestCreated => "test-created",
        CustomerCreated => "customer-created",
        ResellerRelationshipAcceptedByCustomer => "reseller-relationship-accepted-by-customer",
        IndirectResellerRelationshipAcceptedByCustomer => "indirect-reseller-relationship-accepted-by-customer",
        PartnershipCreated => "partnership-created",
        PartnershipUpdated => "partnership-updated",
        PartnershipTerminated => "partnership-terminated",
        GranularAdminRelationshipApproved => "granular-admin-relationship-approved",
        GranularAdminRelationshipExpiring => "granular-admin-relationship-expiring",
        GranularAdminRelationshipExtended => "granular-admin-relationship-extended",
        GranularAdminRelationshipExpired => "granular-admin-relationship-expired",
        GranularAdminRelationshipTerminated => "granular-admin-relationship-terminated",
        OrderCreated => "order-created",
        CartCreated => "cart-created",
        CartUpdated => "cart-updated",
        SubscriptionUpdated => "subscription-updated",
        InvoiceReady => "invoice-ready",
        EnrollmentStatusChanged => "enrollment-status-changed",
        ReferralCreated => "referral-created",
        ReferralUpdated => "referral-updated",
        ServiceRequestCreated => "servicerequest-created",
        ServiceRequestUpdated => "servicerequest-updated",
        ServiceRequestEscalated => "servicerequest-escalated",
        ServiceRequestBreached => "servicerequest-breached",
        OrderUpdated => "order-updated",
        BillingProfileUpdated => "billing-profile-updated",
        CustomerDomainAdded => "customer-domain-added",
    }
}

/// Every event name, in the order the registration page lists them.
pub const EVENTS: &[&str] = EventName::TEXTS;

/// The JSON a registration's deliveries carry. Both are signed the Standard Webhooks way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PayloadShape {
    /// camelCase members with `eventId` (the default).
    #[default]
    Standard,
    /// The public partner-center reference's PascalCase members (`EventName`, `ResourceUri`,
    /// `ResourceName`, `AuditUri`, `ResourceChangeUtcDate`).
    PartnerCenter,
}

impl PayloadShape {
    pub fn parse(s: &str) -> Option<PayloadShape> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_'], "")
            .as_str()
        {
            "standard" => Some(PayloadShape::Standard),
            "partnercenter" => Some(PayloadShape::PartnerCenter),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PayloadShape::Standard => "standard",
            PayloadShape::PartnerCenter => "partner_center",
        }
    }
}

/// `v1,<base64 HMAC-SHA256(secret, "{id}.{timestamp}.{body}")>` per the Standard Webhooks
/// scheme.
pub fn sign(secret: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
}

/// Checks a `webhook-signature` header (several space-separated signatures allowed, as during
/// a secret rotation) in constant time, and the timestamp within `tolerance_secs` of `now`.
pub fn verify(
    secret: &[u8],
    id: &str,
    timestamp: i64,
    body: &[u8],
    header: &str,
    now: i64,
    tolerance_secs: i64,
) -> bool {
    // abs_diff: timestamps come from outside and may be anything; a subtraction overflows.
    if now.abs_diff(timestamp) > tolerance_secs.max(0) as u64 {
        return false;
    }
    let expected = sign(secret, id, timestamp, body);
    header
        .split(' ')
        .filter(|s| !s.is_empty())
        .any(|candidate| super::secret::same_secret(candidate, &expected))
}

/// The secret as receivers store it: `whsec_<base64>`.
pub fn secret_text(secret: &[u8]) -> String {
    format!("whsec_{}", B64.encode(secret))
}

pub fn secret_bytes(text: &str) -> Option<Vec<u8>> {
    B64.decode(text.strip_prefix("whsec_")?).ok()
}

/// Addresses a webhook may never reach unless explicitly allowed.
pub fn ip_refused(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_refused(v4),
        IpAddr::V6(v6) => v6_refused(v6),
    }
}

/// IPv4 blocks that are not the public internet (IANA special-purpose registry): this
/// network, private, shared (CGNAT), loopback, link-local (cloud metadata), IETF protocol
/// assignments (NAT64 discovery among them), documentation, the 6to4 relay anycast block,
/// benchmarking, multicast and the reserved 240/4 with broadcast.
fn v4_refused(v4: std::net::Ipv4Addr) -> bool {
    const BLOCKS: &[([u8; 4], u8)] = &[
        ([0, 0, 0, 0], 8),
        ([10, 0, 0, 0], 8),
        ([100, 64, 0, 0], 10),
        ([127, 0, 0, 0], 8),
        ([169, 254, 0, 0], 16),
        ([172, 16, 0, 0], 12),
        ([192, 0, 0, 0], 24),
        ([192, 0, 2, 0], 24),
        ([192, 88, 99, 0], 24),
        ([192, 168, 0, 0], 16),
        ([198, 18, 0, 0], 15),
        ([198, 51, 100, 0], 24),
        ([203, 0, 113, 0], 24),
        ([224, 0, 0, 0], 4),
        ([240, 0, 0, 0], 4),
    ];
    BLOCKS
        .iter()
        .any(|(net, bits)| in_net(IpAddr::V4(v4), IpAddr::from(*net), *bits))
}

/// IPv6: only global unicast (2000::/3) can be a target, and within it not the transition
/// and special blocks that reach IPv4 or nowhere: Teredo and the other IETF protocol
/// assignments (2001::/23), documentation (2001:db8::/32, 3fff::/20), 6to4 (2002::/16, which
/// embeds any IPv4 address) and segment-routing identifiers (5f00::/16). Everything outside
/// 2000::/3 is refused: loopback, unspecified, IPv4-mapped and -compatible, NAT64 (64:ff9b::/96
/// and 64:ff9b:1::/48), discard, unique local, site-local, link-local and multicast. A mapped
/// address is refused even when its IPv4 address is public: it is a spelling meant for
/// software that then checks only IPv4 rules.
fn v6_refused(v6: std::net::Ipv6Addr) -> bool {
    const REFUSED: &[(&str, u8)] = &[
        ("2001::", 23),
        ("2001:db8::", 32),
        ("2002::", 16),
        ("3fff::", 20),
        ("5f00::", 16),
    ];
    let ip = IpAddr::V6(v6);
    let global_unicast = (v6.segments()[0] & 0xe000) == 0x2000;
    !global_unicast
        || REFUSED
            .iter()
            .any(|(net, bits)| in_net(ip, net.parse().expect("valid IPv6 block"), *bits))
}

/// Targets the operator allows although private or plain HTTP (tests, on-premises receivers):
/// exact host names, IP addresses and CIDR blocks.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    hosts: Vec<String>,
    nets: Vec<(IpAddr, u8)>,
}

impl AllowList {
    pub fn parse(entries: &[String]) -> Result<AllowList, String> {
        let mut list = AllowList::default();
        for raw in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            if let Some((ip, bits)) = raw.split_once('/') {
                let ip: IpAddr = ip.parse().map_err(|_| format!("{raw}: not a CIDR block"))?;
                let max = if ip.is_ipv4() { 32 } else { 128 };
                let bits: u8 = bits
                    .parse()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| format!("{raw}: prefix length 0 to {max}"))?;
                list.nets.push((ip, bits));
            } else if let Ok(ip) = raw.parse::<IpAddr>() {
                list.nets.push((ip, if ip.is_ipv4() { 32 } else { 128 }));
            } else {
                list.hosts.push(raw.to_ascii_lowercase());
            }
        }
        Ok(list)
    }

    pub fn permits_host(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
            || host.parse::<IpAddr>().is_ok_and(|ip| self.permits_ip(ip))
    }

    pub fn permits_ip(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|(net, bits)| in_net(ip, *net, *bits))
    }
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            (u32::from(a) & mask) == (u32::from(b) & mask)
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            (u128::from(a) & mask) == (u128::from(b) & mask)
        }
        _ => false,
    }
}

/// Why a target URL is refused before any address lookup, or the parsed URL.
pub fn check_url(raw: &str, allow: &AllowList) -> Result<url::Url, String> {
    let raw = raw.trim();
    if raw.len() > 2048 {
        return Err("the URL is longer than 2048 characters".into());
    }
    let url = url::Url::parse(raw).map_err(|e| format!("the URL is not valid ({e})"))?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or("the URL has no host")?
        .to_string();
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the URL may not carry a user name or password".into());
    }
    if url.fragment().is_some() {
        return Err("the URL may not have a fragment".into());
    }
    let allowed = allow.permits_host(&host);
    match url.scheme() {
        "https" => {}
        "http" if allowed => {}
        "http" => return Err("the URL must use https".into()),
        other => return Err(format!("the scheme {other} is not supported; use https")),
    }
    // The parser has already turned every spelling of an address (hex, octal, dotted or not,
    // bracketed IPv6 with an embedded IPv4) into one value.
    let literal = match url.host() {
        Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        _ => None,
    };
    if let Some(ip) = literal {
        if ip_refused(ip) && !allowed {
            return Err(format!(
                "{ip} is a loopback, private, link-local, transition or reserved address"
            ));
        }
    }
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    if !allowed && (name == "localhost" || name.ends_with(".localhost")) {
        return Err("the URL points at this machine".into());
    }
    Ok(url)
}

/// Checks a set of event names against [`EVENTS`]; returns the unknown ones.
pub fn unknown_events(names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter(|n| !EVENTS.contains(&n.as_str()))
        .cloned()
        .collect()
}

/// Delay before the next attempt: 30 s doubling to at most 2 h. Attempts stop once an event
/// is older than [`GIVE_UP_AFTER_MS`], so a receiver down for a day still gets it.
pub fn retry_delay_ms(attempts: i64) -> i64 {
    let exp = (attempts - 1).clamp(0, 12) as u32;
    (30_000i64 * 2i64.pow(exp)).min(2 * 3_600_000)
}

pub const GIVE_UP_AFTER_MS: i64 = 26 * 3_600_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_before_lookup() {
        let none = AllowList::default();
        assert!(check_url("https://hooks.example.com/partner", &none).is_ok());
        for (bad, why) in [
            ("not a url", "not valid"),
            ("http://hooks.example.com/", "https"),
            ("ftp://hooks.example.com/", "scheme"),
            ("https://10.0.0.5/hook", "private"),
            ("https://169.254.169.254/latest", "private"),
            ("https://[::1]:8443/", "loopback"),
            ("https://localhost/", "this machine"),
            ("https://user:pw@hooks.example.com/", "password"),
        ] {
            let e = check_url(bad, &none).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        for spelling in [
            "https://0x7f.1/",
            "https://2130706433/",
            "https://0177.0.0.1/",
            "https://127.1/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:7f00:1]/",
            "https://[::ffff:8.8.8.8]/",
            "https://[::127.0.0.1]/",
            "https://[64:ff9b::a00:1]/",
            "https://[64:ff9b::808:808]/",
            "https://[64:ff9b:1::1]/",
            "https://[2002:7f00:1::]/",
            "https://[2002:a00:1::1]/",
            "https://[2001:0:4136:e378::1]/",
            "https://[fec0::1]/",
            "https://[fc00::1]/",
            "https://[fe80::1]/",
            "https://[ff02::1]/",
            "https://[100::1]/",
            "https://[2001:db8::1]/",
            "https://[::]/",
            "https://0.0.0.0/",
            "https://192.0.0.170/",
            "https://192.88.99.1/",
            "https://198.18.0.1/",
            "https://240.0.0.1/",
            "https://255.255.255.255/",
            "https://224.0.0.1/",
            "https://100.100.100.200/",
            "https://localhost./",
            "https://x.LOCALHOST/",
        ] {
            assert!(check_url(spelling, &none).is_err(), "{spelling} accepted");
        }
        for public in [
            "https://8.8.8.8/",
            "https://[2606:4700:4700::1111]/",
            "https://93.184.216.34/",
        ] {
            assert!(check_url(public, &none).is_ok(), "{public} refused");
        }
        let allow = AllowList::parse(&["127.0.0.0/8".into(), "receiver.internal".into()]).unwrap();
        assert!(check_url("http://127.0.0.1:9000/h", &allow).is_ok());
        assert!(check_url("http://receiver.internal/h", &allow).is_ok());
        assert!(check_url("http://10.0.0.1/h", &allow).is_err());
        assert!(allow.permits_ip("127.9.9.9".parse().unwrap()));
        assert!(!allow.permits_ip("128.0.0.1".parse().unwrap()));
        assert!(AllowList::parse(&["10.0.0.0/40".into()]).is_err());
    }

    #[test]
    fn retries_back_off_and_cover_a_day() {
        assert_eq!(retry_delay_ms(1), 30_000);
        assert_eq!(retry_delay_ms(2), 60_000);
        assert_eq!(retry_delay_ms(50), 7_200_000);
        let mut at = 0;
        let mut n = 1;
        while at < 24 * 3_600_000 {
            at += retry_delay_ms(n);
            n += 1;
        }
        assert!(at < GIVE_UP_AFTER_MS, "attempts continue past 24 hours");
        assert!(n < 30, "but not forever: {n} attempts");
    }

    #[test]
    fn signatures_verify_and_tampering_fails() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let sig = sign(secret, "evt_1", 1_700_000_000, b"{\"a\":1}");
        assert!(sig.starts_with("v1,"));
        assert!(verify(
            secret,
            "evt_1",
            1_700_000_000,
            b"{\"a\":1}",
            &sig,
            1_700_000_010,
            300
        ));
        assert!(!verify(
            secret,
            "evt_1",
            1_700_000_000,
            b"{\"a\":2}",
            &sig,
            1_700_000_010,
            300
        ));
        assert!(!verify(
            secret,
            "evt_2",
            1_700_000_000,
            b"{\"a\":1}",
            &sig,
            1_700_000_010,
            300
        ));
        assert!(
            !verify(
                secret,
                "evt_1",
                1_700_000_000,
                b"{\"a\":1}",
                &sig,
                1_700_009_000,
                300
            ),
            "too old"
        );
        assert!(
            verify(
                secret,
                "evt_1",
                1_700_000_000,
                b"{\"a\":1}",
                &format!("v1,AAAA {sig}"),
                1_700_000_000,
                300
            ),
            "any of several"
        );
    }

    #[test]
    fn private_and_metadata_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(ip_refused(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111"] {
            assert!(!ip_refused(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn secrets_round_trip() {
        assert_eq!(secret_bytes(&secret_text(b"abc")).unwrap(), b"abc");
        assert!(secret_bytes("nope").is_none());
    }
}

/// Where one event's delivery to one organisation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    Delivered,
    /// Given up after a day of retries (re-sendable).
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}
