//! Access tokens whose signature was already checked, keyed by the SHA-256 of the whole
//! token. A signature over given bytes is valid or not forever, so checking it once per
//! token is enough; expiry and the actor are still checked on every request by the caller.
//!
//! The cache is bounded: two generations of at most `per_generation` entries each. When the
//! current one is full it becomes the previous one (the older previous one is dropped), and
//! a hit in the previous generation moves the entry back to the current one.

use super::oauth::Claims;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// Entries per generation used by the server: about 32,000 tokens at most, some 16 MB. A
/// working set larger than one generation drops live tokens at every turn and verifies them
/// again: at 8,192 a channel of 10,000 resellers' admins verified about one request in
/// thirty (1.5% of the server's time in the bench's authorized read).
pub const DEFAULT_PER_GENERATION: usize = 16_384;

type Key = [u8; 32];

pub struct VerifiedTokens {
    per_generation: usize,
    gens: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    current: HashMap<Key, Claims>,
    previous: HashMap<Key, Claims>,
}

impl VerifiedTokens {
    pub fn new(per_generation: usize) -> VerifiedTokens {
        VerifiedTokens {
            per_generation: per_generation.max(1),
            gens: Mutex::new(Generations::default()),
        }
    }

    /// The cache key of a token: the SHA-256 of all its bytes (header, claims, signature),
    /// so any change to a token is another key.
    pub fn key(token: &str) -> Key {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The claims of a token whose signature was verified before.
    pub fn get(&self, key: &Key) -> Option<Claims> {
        let mut g = self.gens.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = g.current.get(key) {
            return Some(c.clone());
        }
        let c = g.previous.remove(key)?;
        self.put(&mut g, *key, c.clone());
        Some(c)
    }

    /// Remembers the claims of a token whose signature was just verified.
    pub fn insert(&self, key: Key, claims: Claims) {
        let mut g = self.gens.lock().unwrap_or_else(|e| e.into_inner());
        self.put(&mut g, key, claims);
    }

    fn put(&self, g: &mut Generations, key: Key, claims: Claims) {
        if g.current.len() >= self.per_generation {
            g.previous = std::mem::take(&mut g.current);
        }
        g.current.insert(key, claims);
    }

    /// How many tokens are remembered (both generations).
    pub fn len(&self) -> usize {
        let g = self.gens.lock().unwrap_or_else(|e| e.into_inner());
        g.current.len() + g.previous.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(n: usize) -> Claims {
        Claims {
            iss: "http://x".into(),
            aud: "partnerhub".into(),
            sub: format!("user-{n}"),
            tid: "t".into(),
            kind: "user".into(),
            iat: 0,
            exp: 60,
            jti: n.to_string(),
        }
    }

    #[test]
    fn the_cache_never_holds_more_than_two_generations() {
        let cache = VerifiedTokens::new(4);
        for n in 0..100 {
            cache.insert(VerifiedTokens::key(&format!("token-{n}")), claims(n));
            assert!(cache.len() <= 8, "{} entries after {n}", cache.len());
        }
        // The newest tokens are kept, the oldest are gone.
        let newest = cache.get(&VerifiedTokens::key("token-99")).unwrap();
        assert_eq!(newest.sub, "user-99");
        assert!(cache.get(&VerifiedTokens::key("token-0")).is_none());
    }

    #[test]
    fn a_token_used_again_survives_a_generation_change() {
        let cache = VerifiedTokens::new(2);
        let hot = VerifiedTokens::key("hot");
        cache.insert(hot, claims(1));
        for n in 0..20 {
            cache.insert(VerifiedTokens::key(&format!("cold-{n}")), claims(n));
            assert!(cache.get(&hot).is_some(), "the hot token stays after {n}");
        }
    }

    #[test]
    fn another_token_is_another_key() {
        assert_ne!(VerifiedTokens::key("a.b.c"), VerifiedTokens::key("a.b.d"));
    }
}
