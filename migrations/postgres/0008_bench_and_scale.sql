-- Benchmark ceilings and scale-out: the tables behind the bare two-insert route (mounted only
-- with --bench-routes), the shared rate-limit windows, and leases for singleton jobs.

CREATE TABLE bench_ceiling_orders (
    id          TEXT PRIMARY KEY,
    subject     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE bench_ceiling_lines (
    order_id     TEXT NOT NULL REFERENCES bench_ceiling_orders(id),
    line_number  BIGINT NOT NULL,
    payload      TEXT NOT NULL,
    PRIMARY KEY (order_id, line_number)
);

-- Per-key request counts per one-minute window, shared by every node.
CREATE TABLE rate_limit_windows (
    limit_key     TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    used          BIGINT NOT NULL,
    PRIMARY KEY (limit_key, window_start)
);

-- Singleton jobs (housekeeping): the node holding an unexpired lease runs them.
CREATE TABLE job_leases (
    job         TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);

-- Active customers per partner, kept by a trigger, so a list's totalCount does not count
-- half a million index entries on every page.
CREATE TABLE customer_counts (
    partner_tenant_id  TEXT PRIMARY KEY,
    active             BIGINT NOT NULL
);
INSERT INTO customer_counts (partner_tenant_id, active)
    SELECT partner_tenant_id, COUNT(*) FROM customer_relationships WHERE state = 'active'
    GROUP BY partner_tenant_id;

CREATE FUNCTION customer_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta    BIGINT := 0;
    partner  TEXT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        partner := NEW.partner_tenant_id;
        IF NEW.state = 'active' THEN delta := 1; END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        partner := NEW.partner_tenant_id;
        delta := (CASE WHEN NEW.state = 'active' THEN 1 ELSE 0 END)
               - (CASE WHEN OLD.state = 'active' THEN 1 ELSE 0 END);
    ELSE
        partner := OLD.partner_tenant_id;
        IF OLD.state = 'active' THEN delta := -1; END IF;
    END IF;
    IF delta <> 0 THEN
        INSERT INTO customer_counts (partner_tenant_id, active) VALUES (partner, delta)
            ON CONFLICT (partner_tenant_id)
            DO UPDATE SET active = customer_counts.active + EXCLUDED.active;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER customer_counts_track AFTER INSERT OR DELETE OR UPDATE OF state
    ON customer_relationships FOR EACH ROW EXECUTE FUNCTION customer_counts_track();

-- The purge of deleted customer users looks only at deleted users.
CREATE INDEX users_deleted ON users(deleted_at) WHERE deleted_at IS NOT NULL;
