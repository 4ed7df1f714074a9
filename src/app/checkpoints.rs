//! SQLite's WAL checkpoints, taken off the single writer, and the WAL kept to a size.
//!
//! A checkpoint copies the pages the WAL holds into the database file and syncs both. SQLite
//! runs one by default in the connection that commits, once the WAL passes a thousand
//! pages: with one writer connection, the writer was held for it (a sixth of the writer's
//! CPU during the order workload, plus the syncs). The server turns that off with [`start`]
//! and calls [`Checkpointer::pass`] on a timer instead: a passive checkpoint on a read
//! connection, which runs beside the writer.
//!
//! A passive checkpoint never starts the WAL again from its beginning: only a write that
//! begins when every frame is copied and no reader holds a snapshot in the WAL does. Under
//! steady load some reader always does, so the WAL grew as long as the load lasted (past
//! the database file's own size in a minute of the bench's licence updates), and a server
//! stopped then left it for the next start to read through. Once the WAL passes its limit,
//! a pass resets it on the writer's connection (`Db::reset_wal`), and the last pass, when
//! the server stops, empties it. Tools that run without the server (`bench generate`,
//! `migrate`) keep SQLite's default. On PostgreSQL all of this is a no-op.

use super::store::WalReset;
use super::App;
use std::time::Duration;

/// The pause after a pass that copied pages (the WAL is growing) ...
pub const BUSY: Duration = Duration::from_millis(100);
/// ... and after one that found nothing to copy.
pub const IDLE: Duration = Duration::from_secs(1);

/// From now on the writer leaves checkpoints to [`Checkpointer::pass`], and cuts the WAL's
/// file back to its limit whenever the WAL starts again.
pub async fn start(app: &App) -> Result<(), sqlx::Error> {
    app.db.checkpoint_off_the_writer(limit_bytes(app)).await
}

/// `--sqlite-wal-limit-mb` in bytes (at least one MiB).
fn limit_bytes(app: &App) -> i64 {
    i64::from(app.config.sqlite_wal_limit_mb.max(1)) << 20
}

/// The timer's memory between passes.
pub struct Checkpointer {
    /// How many frames the WAL held at the last pass.
    last_log: i64,
    /// The WAL's size limit, in bytes (`--sqlite-wal-limit-mb`).
    limit_bytes: i64,
    /// The database's page size, read at the first pass (a WAL frame holds one page).
    page_size: Option<i64>,
}

impl Checkpointer {
    pub fn new(app: &App) -> Checkpointer {
        Checkpointer {
            last_log: 0,
            limit_bytes: limit_bytes(app),
            page_size: None,
        }
    }

    /// One passive checkpoint, and a reset of the WAL once it holds more than its limit;
    /// returns how long to wait before the next. The WAL's frame count is exported as
    /// `partnerhub_sqlite_wal_frames`, with those not yet copied as
    /// `partnerhub_sqlite_wal_frames_behind` (a busy reader can hold a checkpoint back), and
    /// the resets as `partnerhub_sqlite_wal_resets_total` (with `outcome`: `reset`, or
    /// `readers_stayed` when readers kept it from happening); how long each held the writer
    /// is `partnerhub_sqlite_wal_reset_held_seconds`.
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
                // Without writes there is nothing to reset: the passive pass has copied it
                // all, and the next write starts it again by itself (a reset keeps the frame
                // count until then, so an idle WAL would be reset at every pass).
                if busy && self.over_limit(app, wal.frames).await {
                    self.reset(app, WalReset::Restart).await;
                }
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

    /// The server's last pass: copies the WAL into the database file and empties it, so the
    /// next start does not read through it.
    pub async fn finish(&mut self, app: &App) {
        if app.db.checkpoint().await.is_ok() {
            self.reset(app, WalReset::Truncate).await;
        }
    }

    async fn over_limit(&mut self, app: &App, frames: i64) -> bool {
        if self.page_size.is_none() {
            match app.db.page_size().await {
                Ok(size) => self.page_size = size,
                Err(e) => tracing::warn!(error = %e, "reading SQLite's page size failed"),
            }
        }
        self.page_size
            .is_some_and(|page| frames.saturating_mul(page) >= self.limit_bytes)
    }

    async fn reset(&mut self, app: &App, mode: WalReset) {
        match app.db.reset_wal(mode).await {
            Ok(Some(done)) => {
                let outcome = if done { "reset" } else { "readers_stayed" };
                metrics::counter!("partnerhub_sqlite_wal_resets_total", "outcome" => outcome)
                    .increment(1);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "WAL reset failed"),
        }
    }
}
