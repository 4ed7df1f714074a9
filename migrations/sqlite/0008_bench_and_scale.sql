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
