//! Comparing secrets without leaking where they differ.

/// Constant-time comparison for short secrets (CSRF tokens, signatures, hashed client
/// secrets): the time taken depends on the length only, never on the first differing byte.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
