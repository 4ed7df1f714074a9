//! Per-tenant request rate limit: a fixed one-minute window per tenant, in memory.

use std::collections::HashMap;
use std::sync::Mutex;

pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request; `Err(seconds)` tells how long to wait when over the limit.
    pub fn check(&self, key: &str, now_ms: i64) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let window = now_ms / 60_000;
        let mut map = self.windows.lock().expect("limiter lock");
        if map.len() > 100_000 {
            map.retain(|_, (w, _)| *w == window);
        }
        let entry = map.entry(key.to_string()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= self.per_minute {
            let wait_ms = (window + 1) * 60_000 - now_ms;
            return Err(((wait_ms + 999) / 1000).max(1) as u64);
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_window() {
        let l = RateLimiter::new(2);
        assert!(l.check("a", 1_000).is_ok());
        assert!(l.check("a", 2_000).is_ok());
        assert_eq!(l.check("a", 30_000), Err(30));
        assert!(l.check("b", 30_000).is_ok());
        assert!(l.check("a", 60_000).is_ok());
    }
}
