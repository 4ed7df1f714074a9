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

-- Active customers per partner, kept by triggers, so a list's totalCount does not count
-- half a million index entries on every page.
CREATE TABLE customer_counts (
    partner_tenant_id  TEXT PRIMARY KEY,
    active             INTEGER NOT NULL
);
INSERT INTO customer_counts (partner_tenant_id, active)
    SELECT partner_tenant_id, COUNT(*) FROM customer_relationships WHERE state = 'active'
    GROUP BY partner_tenant_id;

CREATE TRIGGER customer_counts_on_insert AFTER INSERT ON customer_relationships
WHEN NEW.state = 'active'
BEGIN
    INSERT INTO customer_counts (partner_tenant_id, active) VALUES (NEW.partner_tenant_id, 1)
        ON CONFLICT (partner_tenant_id) DO UPDATE SET active = active + 1;
END;

CREATE TRIGGER customer_counts_on_update AFTER UPDATE OF state ON customer_relationships
WHEN (OLD.state = 'active') <> (NEW.state = 'active')
BEGIN
    INSERT INTO customer_counts (partner_tenant_id, active) VALUES (NEW.partner_tenant_id, 0)
        ON CONFLICT (partner_tenant_id) DO NOTHING;
    UPDATE customer_counts
        SET active = active + (CASE WHEN NEW.state = 'active' THEN 1 ELSE -1 END)
        WHERE partner_tenant_id = NEW.partner_tenant_id;
END;

CREATE TRIGGER customer_counts_on_delete AFTER DELETE ON customer_relationships
WHEN OLD.state = 'active'
BEGIN
    UPDATE customer_counts SET active = active - 1 WHERE partner_tenant_id = OLD.partner_tenant_id;
END;

-- The purge of deleted customer users looks only at deleted users.
CREATE INDEX users_deleted ON users(deleted_at) WHERE deleted_at IS NOT NULL;
