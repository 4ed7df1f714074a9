//! How long a background worker waits before its next pass over its queue.
//!
//! A pass claims work with a write. Looping at once after a pass that found a message or two
//! would, under a steady stream of use cases, make a claim (and on SQLite a wait for the
//! single writer) for nearly every message. After a partial batch the worker waits a moment
//! for the queue to gather; after a full one it goes on at once; when idle it sleeps longer.

use std::time::Duration;

/// The wait after a pass that found less than a full batch: short beside the delivery
/// latency users see, long enough for a busy queue to fill the next claim.
pub const GATHER: Duration = Duration::from_millis(20);

/// The wait after a pass that found nothing.
pub const IDLE: Duration = Duration::from_millis(200);

/// The wait after a pass that handled `handled` of at most `batch` items (`None`: go on).
pub fn after(handled: usize, batch: usize) -> Option<Duration> {
    match handled {
        0 => Some(IDLE),
        n if n < batch => Some(GATHER),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_sleeps_partial_gathers_full_goes_on() {
        assert_eq!(after(0, 20), Some(IDLE));
        assert_eq!(after(3, 20), Some(GATHER));
        assert_eq!(after(20, 20), None);
    }
}
