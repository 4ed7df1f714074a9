//! Settings of the SQLite library itself (not of a connection), made once per process before
//! the first database is opened.

use std::sync::Once;

/// Turns off SQLite's memory statistics. With them on, every allocation SQLite makes (and
/// sqlx copies each column value it reads with one) takes a single process-wide mutex to
/// count bytes: profiled under read load, the reader threads spent about a tenth of the
/// server's CPU locking, waiting for and waking each other on it. The product never reads
/// those statistics.
pub fn configure() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: `sqlite3_config` must run before SQLite is initialized and while no other
        // thread uses the library. This runs once, before the process opens its first
        // connection (every connection is made through `Db::connect`, which calls this
        // first); should the library have been initialized anyway, SQLite refuses with
        // SQLITE_MISUSE and changes nothing.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_config(
                libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS,
                0 as std::os::raw::c_int,
            )
        };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::warn!(rc, "SQLite's memory statistics stay on");
        }
    });
}

/// Whether SQLite counts its allocations (for the test that pins [`configure`]).
pub fn memory_statistics_on() -> bool {
    // SQLITE_STATUS_MEMORY_USED stays at zero when the statistics are off.
    let (mut current, mut highwater) = (0i64, 0i64);
    // SAFETY: reads two counters into locals; valid at any time after initialization.
    let rc = unsafe {
        libsqlite3_sys::sqlite3_status64(
            libsqlite3_sys::SQLITE_STATUS_MEMORY_USED,
            &mut current,
            &mut highwater,
            0,
        )
    };
    rc == libsqlite3_sys::SQLITE_OK && current > 0
}
