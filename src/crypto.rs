//! Secrets: password hashing (argon2id), random tokens stored only as hashes, and TOTP.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// OWASP's argon2id configuration with the least memory: 7 MiB, 5 passes, 1 lane (OWASP rates
/// its five configurations as equal defence, trading memory for passes). Chosen because a burst
/// of sign-ins hashes on every core at once, and the smallest blocks contend least for the
/// shared cache: on the two-core reference machine, with nothing else running, two threads
/// made 82 hashes a second at 7 MiB x 5, 64 at 12 MiB x 3 and 57 at 19 MiB x 2 (one thread
/// alone: 28.8 ms a hash at 12 MiB x 3). Hashes made with other parameters still verify, and
/// are replaced at the next sign-in, since the stored string names its own.
pub fn argon2() -> Argon2<'static> {
    let params = Params::new(7 * 1024, 5, 1, None).expect("valid argon2 params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password. CPU-heavy: call from a blocking thread (see [`hash_password_blocking`]).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing does not fail with valid params")
        .to_string()
}

/// Verifies a password against a stored hash; `None` (unknown user) still spends the same
/// work on a dummy hash so timing does not reveal which accounts exist.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("dummy-password-for-timing"));
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && real
}

/// Whether a stored hash was made with other parameters than [`argon2`] uses now (an older
/// configuration, or not argon2id at all): such a hash still verifies, and is replaced at the
/// next successful sign-in so every account ends up on the current cost.
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let current = argon2();
    let wanted = current.params();
    let Ok(params) = Params::try_from(&parsed) else {
        return true;
    };
    parsed.algorithm != Algorithm::Argon2id.ident()
        || parsed.version != Some(Version::V0x13 as u32)
        || params.m_cost() != wanted.m_cost()
        || params.t_cost() != wanted.t_cost()
        || params.p_cost() != wanted.p_cost()
}

/// Argon2 takes 7 MiB and a core for each hash: without a cap, a burst of sign-ins grows
/// memory with the burst (60 at once took the server past 1 GB). Hashes wait here for one of
/// as many permits as there are cores, so memory stays flat and each hash runs at full speed.
fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores.clamp(1, 16))
    })
}

async fn capped<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let _permit = hashing_permits()
        .acquire()
        .await
        .expect("the hashing semaphore is never closed");
    tokio::task::spawn_blocking(work)
        .await
        .expect("hashing task does not panic")
}

pub async fn hash_password_blocking(password: String) -> String {
    capped(move || hash_password(&password)).await
}

pub async fn verify_password_blocking(password: String, stored: Option<String>) -> bool {
    capped(move || verify_password(&password, stored.as_deref())).await
}

/// A random token of `bytes` bytes, URL-safe. 32 bytes = 256 bits.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    B64.encode(buf)
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf
}

/// SHA-256 of a token, hex: how bearer secrets (refresh tokens, links, sessions) are stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub use crate::domain::secret::same_secret;

/// RFC 6238 TOTP with the parameters every authenticator app uses: SHA-1, 6 digits, 30 s,
/// and one step of clock skew either way.
pub fn totp(secret: &[u8]) -> Option<totp_rs::TOTP> {
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret.to_vec()).ok()
}

pub fn totp_check(secret: &[u8], code: &str, unix_secs: u64) -> bool {
    totp_step(secret, code, unix_secs).is_some()
}

/// The 30-second time step the code belongs to (the current one or one either side), or
/// `None` when it matches none. The step lets the caller refuse a code used before.
pub fn totp_step(secret: &[u8], code: &str, unix_secs: u64) -> Option<u64> {
    let t = totp(secret)?;
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = unix_secs / 30;
    [now, now.saturating_sub(1), now + 1]
        .into_iter()
        .find(|step| same_secret(&t.generate(step * 30), code))
}

/// Base32 (RFC 4648, no padding) as authenticator apps expect for the shared secret.
pub fn base32(data: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in data {
        buffer = (buffer << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Decodes base32 (RFC 4648, padding and case ignored).
pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in s.trim().trim_end_matches('=').chars() {
        let v = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u32 - 'A' as u32,
            c @ '2'..='7' => c as u32 - '2' as u32 + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hash of `password` made with OWASP's 19 MiB, 2-pass configuration (an earlier one).
    fn older_hash(password: &str) -> String {
        let params = Params::new(19 * 1024, 2, 1, None).unwrap();
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(password.as_bytes(), &salt)
            .unwrap()
            .to_string()
    }

    #[test]
    fn hashes_of_other_parameters_still_verify_and_ask_for_a_rehash() {
        let old = older_hash("Correct-Horse-9");
        assert!(verify_password("Correct-Horse-9", Some(&old)));
        assert!(needs_rehash(&old));
        let current = hash_password("Correct-Horse-9");
        assert!(!needs_rehash(&current));
        let argon2i = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            argon2().params().clone(),
        )
        .hash_password(b"x", &SaltString::generate(&mut rand::rngs::OsRng))
        .unwrap()
        .to_string();
        assert!(needs_rehash(&argon2i));
        assert!(!needs_rehash("not a hash"));
    }

    #[test]
    fn passwords_verify_only_with_the_right_secret() {
        let h = hash_password("Correct-Horse-9");
        assert!(h.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"));
        assert!(verify_password("Correct-Horse-9", Some(&h)));
        assert!(!verify_password("wrong", Some(&h)));
        assert!(!verify_password("Correct-Horse-9", None));
    }

    #[test]
    fn totp_matches_rfc6238_vectors() {
        // RFC 6238 appendix B, SHA-1, truncated to 6 digits.
        let secret = b"12345678901234567890";
        assert!(totp_check(secret, "287082", 59));
        assert!(totp_check(secret, "081804", 1111111109));
        assert!(!totp_check(secret, "000000", 59));
    }

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32_decode("MZXW6YTBOI").unwrap(), b"foobar");
        assert_eq!(
            base32_decode(&base32(b"any bytes \x00\xff")).unwrap(),
            b"any bytes \x00\xff"
        );
        assert!(base32_decode("not base32!").is_none());
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = random_token(32);
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token(32));
        assert_eq!(token_hash("x").len(), 64);
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
    }
}

/// Marks a value sealed by [`seal`] (rows written before encryption lack it).
const SEALED_V1: u8 = 1;

/// Encrypts `plain` with AES-256-GCM under `key`, bound to `context` (so a sealed value
/// cannot be moved to another row). Output: version, nonce, ciphertext and tag.
pub fn seal(key: &[u8; 32], context: &[u8], plain: &[u8]) -> Vec<u8> {
    use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("32-byte key"));
    let nonce_bytes: [u8; NONCE_LEN] = random_bytes(NONCE_LEN).try_into().expect("nonce length");
    let mut buf = plain.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce_bytes),
        Aad::from(context),
        &mut buf,
    )
    .expect("sealing cannot fail for in-memory sizes");
    let mut out = Vec::with_capacity(1 + NONCE_LEN + buf.len());
    out.push(SEALED_V1);
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&buf);
    out
}

/// Decrypts what [`seal`] produced; `None` when the value is not sealed, was changed, or
/// belongs to another context.
pub fn open(key: &[u8; 32], context: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
    let (&version, rest) = sealed.split_first()?;
    if version != SEALED_V1 || rest.len() < NONCE_LEN {
        return None;
    }
    let (nonce, body) = rest.split_at(NONCE_LEN);
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).ok()?);
    let mut buf = body.to_vec();
    let plain = key
        .open_in_place(
            Nonce::try_assume_unique_for_key(nonce).ok()?,
            Aad::from(context),
            &mut buf,
        )
        .ok()?;
    Some(plain.to_vec())
}

#[cfg(test)]
mod sealing_tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let key = [7u8; 32];
        let sealed = seal(&key, b"row-1", b"client secret");
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(
            open(&key, b"row-1", &sealed).as_deref(),
            Some(&b"client secret"[..])
        );
        assert_eq!(open(&key, b"row-2", &sealed), None);
        assert_eq!(open(&[8u8; 32], b"row-1", &sealed), None);
        let mut changed = sealed.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert_eq!(open(&key, b"row-1", &changed), None);
        assert_eq!(open(&key, b"row-1", b"{\"plain\": true}"), None);
    }
}
