//! Standard Webhooks signatures: verifying any header, id, timestamp and body never panics;
//! a signature made with the secret verifies, and the same one fails for another body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use partnerhub::domain::webhook::{sign, verify};

fuzz_target!(|data: &[u8]| {
    if data.len() < 24 {
        return;
    }
    let (head, rest) = data.split_at(16);
    let timestamp = i64::from_le_bytes(head[..8].try_into().unwrap());
    let now = i64::from_le_bytes(head[8..16].try_into().unwrap());
    let (secret, rest) = rest.split_at(8);
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.splitn(2, '\n');
    let id = parts.next().unwrap_or_default();
    let header = parts.next().unwrap_or_default();
    let _ = verify(secret, id, timestamp, rest, header, now, 300);
    let good = sign(secret, id, timestamp, rest);
    assert!(verify(
        secret,
        id,
        timestamp,
        rest,
        &format!("v1,bad {good}"),
        timestamp,
        300
    ));
    let mut other = rest.to_vec();
    other.push(b'!');
    assert!(!verify(
        secret, id, timestamp, &other, &good, timestamp, 300
    ));
});
