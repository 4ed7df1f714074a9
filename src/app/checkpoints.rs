//! SQLite's WAL checkpoints, taken off the single writer.
//!
//! A checkpoint copies the pages the WAL holds into the database file and syncs both. SQLite
//! runs one by default in the connection that commits, once the WAL passes a thousand
//! pages: with one writer connection, the writer was held for it (a sixth of the writer's
//! CPU during the order workload, plus the syncs). The server turns that off with [`start`]
//! and calls [`pass`] on a timer instead: a passive checkpoint on a read connection, which
//! runs beside the writer. Tools that run without the server (`bench generate`, `migrate`)
//! keep SQLite's default. On PostgreSQL both are no-ops.

use super::App;
use std::time::Duration;

/// The pause after a pass that copied pages (the WAL is growing) ...
pub const BUSY: Duration = Duration::from_millis(100);
/// ... and after one that found nothing to copy.
pub const IDLE: Duration = Duration::from_secs(1);

/// From now on the writer leaves checkpoints to [`pass`].
pub async fn start(app: &App) -> Result<(), sqlx::Error> {
    app.db.checkpoint_off_the_writer().await
}

/// The timer's memory between passes: how many frames the WAL held at the last one.
#[derive(Default)]
pub struct Checkpointer {
    last_log: i64,
}

impl Checkpointer {
    /// One passive checkpoint; returns how long to wait before the next. The WAL's frame
    /// count is exported as `partnerhub_sqlite_wal_frames`, with those not yet copied as
    /// `partnerhub_sqlite_wal_frames_behind` (a busy reader can hold a checkpoint back).
    pub async fn pass(&mut self, app: &App) -> Duration {
        match app.db.checkpoint().await {
            Ok(None) => IDLE,
            Ok(Some(wal)) => {
                metrics::gauge!("partnerhub_sqlite_wal_frames").set(wal.frames as f64);
                metrics::gauge!("partnerhub_sqlite_wal_frames_behind")
                    .set((wal.frames - wal.checkpointed) as f64);
                // The WAL grew (or restarted) since the last pass: writes are coming in.
                let busy = wal.frames != self.last_log;
                self.last_log = wal.frames;
                if busy {
                    BUSY
                } else {
                    IDLE
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "WAL checkpoint failed");
                IDLE
            }
        }
    }
}
