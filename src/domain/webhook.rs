//! Webhooks: the events partners can subscribe to, Standard Webhooks signatures, and which
//! target addresses are refused (loopback, private, link-local, metadata).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::IpAddr;

pub const EVENTS: &[&str] = &[
    "test-created",
    "customer-created",
    "reseller-relationship-accepted-by-customer",
    "indirect-reseller-relationship-accepted-by-customer",
    "partnership-created",
    "partnership-updated",
    "partnership-terminated",
    "granular-admin-relationship-approved",
    "granular-admin-relationship-expiring",
    "granular-admin-relationship-extended",
    "granular-admin-relationship-expired",
    "granular-admin-relationship-terminated",
    "order-created",
    "subscription-updated",
    "invoice-ready",
    "enrollment-status-changed",
    "referral-created",
    "referral-updated",
];

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
        .any(|candidate| crate::crypto::same_secret(candidate, &expected))
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
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| ip_refused(IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
