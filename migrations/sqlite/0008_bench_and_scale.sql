-- Benchmark ceilings and scale-out: the tables behind the bare two-insert route (mounted only
-- with --bench-routes), the shared rate-limit windows, and leases for singleton jobs.

CREATE TABLE bench_ceiling_orders (
    id          TEXT PRIMARY KEY,
    subject     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE bench_ceiling_lines (
    order_id     TEXT NOT NULL REFERENCES bench_ceiling_orders(id),
    line_number  INTEGER NOT NULL,
    payload      TEXT NOT NULL,
    PRIMARY KEY (order_id, line_number)
);

-- Per-key request counts per one-minute window, shared by every node.
CREATE TABLE rate_limit_windows (
    limit_key     TEXT NOT NULL,
    window_start  INTEGER NOT NULL,
    used          INTEGER NOT NULL,
    PRIMARY KEY (limit_key, window_start)
);

-- Singleton jobs (housekeeping): the node holding an unexpired lease runs them.
CREATE TABLE job_leases (
    job         TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
