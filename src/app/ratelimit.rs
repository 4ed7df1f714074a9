//! Per-tenant request rate limit: a fixed one-minute window per key, counted in the database
//! so that every node behind a load balancer draws from the same budget.
//!
//! A node does not write the counter on every request: it leases a slice of the window's
//! budget (`used += slice`, one upsert) and spends it locally, then leases again. The
//! database total never passes the limit, so all nodes together never admit more than the
//! limit per window; a node may refuse a little early while another node still holds an
//! unspent slice. Small limits lease one request at a time, which is exact.

use crate::app::store::Db;
use std::collections::HashMap;
use std::sync::Mutex;

pub struct RateLimiter {
    per_minute: u32,
    db: Db,
    /// key -> (window, requests leased and not yet spent, the window's budget is gone)
    local: Mutex<HashMap<String, (i64, u32, bool)>>,
    /// One lease at a time: a burst on an empty local budget leases once and shares the
    /// slice, instead of every request of the burst leasing its own (which spent the
    /// window's budget many times faster than requests arrived).
    leasing: tokio::sync::Mutex<()>,
}

impl RateLimiter {
    pub fn new(per_minute: u32, db: Db) -> Self {
        Self {
            per_minute,
            db,
            local: Mutex::new(HashMap::new()),
            leasing: tokio::sync::Mutex::new(()),
        }
    }

    /// Requests leased from the shared counter at a time.
    fn slice(&self) -> u32 {
        (self.per_minute / 50).clamp(1, 100)
    }

    /// Counts one request; `Err(seconds)` tells how long to wait when over the limit.
    pub async fn check(&self, key: &str, now_ms: i64) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let window = now_ms.div_euclid(60_000);
        let retry = || {
            let wait_ms = (window + 1) * 60_000 - now_ms;
            ((wait_ms + 999) / 1000).max(1) as u64
        };
        if let Some(answer) = self.spend_local(key, window) {
            return answer.map_err(|_| retry());
        }
        let _leasing = self.leasing.lock().await;
        // Another request of a burst may have leased meanwhile.
        if let Some(answer) = self.spend_local(key, window) {
            return answer.map_err(|_| retry());
        }
        let slice = self.slice();
        let granted = match crate::app::store::ratelimit::lease(
            &self.db,
            key,
            window * 60_000,
            slice,
            self.per_minute,
        )
        .await
        {
            Ok(g) => g,
            Err(e) => {
                // The database is what every request needs anyway; if it cannot count,
                // the request will meet the same failure further on. Do not add a 429.
                tracing::warn!(error = %e, "rate limit counter unavailable");
                return Ok(());
            }
        };
        let mut map = self.local.lock().expect("limiter lock");
        let entry = map.entry(key.to_string()).or_insert((window, 0, false));
        if entry.0 != window {
            *entry = (window, 0, false);
        }
        if granted == 0 {
            entry.2 = true;
            return Err(retry());
        }
        entry.1 += granted - 1;
        if granted < slice {
            // The window's budget ran out with this lease.
            entry.2 = true;
        }
        Ok(())
    }
}

impl RateLimiter {
    /// Spends from the local slice: `Some(Ok)` admitted, `Some(Err)` the window's budget is
    /// gone, `None` a lease is needed.
    fn spend_local(&self, key: &str, window: i64) -> Option<Result<(), ()>> {
        let mut map = self.local.lock().expect("limiter lock");
        if map.len() > 100_000 {
            map.retain(|_, (w, _, _)| *w == window);
        }
        let (w, left, spent) = map.get_mut(key)?;
        if *w != window {
            return None;
        }
        if *left > 0 {
            *left -= 1;
            return Some(Ok(()));
        }
        spent.then_some(Err(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn limiter(per_minute: u32) -> (RateLimiter, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}/limits.db", dir.path().display());
        let db = Db::connect(&url, 2).await.unwrap();
        db.migrate().await.unwrap();
        (RateLimiter::new(per_minute, db), dir)
    }

    #[tokio::test]
    async fn a_burst_under_the_limit_is_admitted_whole() {
        let (l, _dir) = limiter(500).await;
        let l = std::sync::Arc::new(l);
        let burst = (0..100).map(|_| {
            let l = l.clone();
            async move { l.check("burst", 1_000).await }
        });
        let answers = futures::future::join_all(burst).await;
        assert!(answers.iter().all(|a| a.is_ok()), "{answers:?}");
    }

    #[tokio::test]
    async fn limits_per_key_and_window() {
        let (l, _dir) = limiter(2).await;
        assert!(l.check("a", 1_000).await.is_ok());
        assert!(l.check("a", 2_000).await.is_ok());
        assert_eq!(l.check("a", 30_000).await, Err(30));
        assert!(l.check("b", 30_000).await.is_ok());
        assert!(l.check("a", 60_000).await.is_ok());
    }

    #[tokio::test]
    async fn nodes_sharing_a_database_share_the_budget() {
        let (first, _dir) = limiter(120).await;
        let second = RateLimiter::new(120, first.db.clone());
        let mut admitted = 0;
        for i in 0..300 {
            let node = if i % 2 == 0 { &first } else { &second };
            if node.check("tenant", 5_000).await.is_ok() {
                admitted += 1;
            }
        }
        // Each node may strand at most one unspent slice.
        assert!(admitted <= 120, "admitted {admitted}");
        assert!(admitted >= 120 - 2 * first.slice(), "admitted {admitted}");
    }
}
