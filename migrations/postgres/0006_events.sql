-- Events leave the platform: webhook registrations and their delivery log, users' notification
-- choices and digests, referrals, the data key that seals secrets, audit retention marks.

-- Secrets the platform must read back (webhook signing secrets) are sealed with this key
-- (AES-256-GCM), unless the operator supplies one outside the database.
CREATE TABLE data_keys (
    id          TEXT PRIMARY KEY,
    key_bytes   BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

-- One registration per organisation, as in the public partner-center API.
CREATE TABLE webhook_registrations (
    tenant_id            TEXT PRIMARY KEY REFERENCES tenants(id),
    subscriber_id        TEXT NOT NULL UNIQUE,
    url                  TEXT NOT NULL,
    events               TEXT NOT NULL,
    secret_sealed        BYTEA NOT NULL,
    -- After a rotation the previous secret keeps signing until it expires.
    previous_sealed      BYTEA,
    previous_until       BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    version              BIGINT NOT NULL DEFAULT 1
);

-- One row per (organisation, event): the unique key makes fan-out idempotent.
CREATE TABLE webhook_deliveries (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL,
    event_id          TEXT NOT NULL,
    event_name        TEXT NOT NULL,
    payload           TEXT NOT NULL,
    correlation_id    TEXT,
    status            TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','delivered','failed')),
    attempts          BIGINT NOT NULL DEFAULT 0,
    next_attempt_at   BIGINT NOT NULL,
    locked_until      BIGINT NOT NULL DEFAULT 0,
    last_status_code  BIGINT,
    last_error        TEXT,
    created_at        BIGINT NOT NULL,
    delivered_at      BIGINT,
    UNIQUE (tenant_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
CREATE INDEX webhook_deliveries_by_tenant ON webhook_deliveries(tenant_id, created_at);
CREATE INDEX webhook_deliveries_by_correlation ON webhook_deliveries(correlation_id);

CREATE TABLE webhook_attempts (
    id            TEXT PRIMARY KEY,
    delivery_id   TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempted_at  BIGINT NOT NULL,
    status_code   BIGINT,
    error         TEXT,
    duration_ms   BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts(delivery_id, attempted_at);

-- Which events mail a user, and whether at once or in a daily digest.
CREATE TABLE notification_settings (
    user_id        TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    events         TEXT NOT NULL,
    digest         BIGINT NOT NULL DEFAULT 0,
    last_digest_at BIGINT NOT NULL DEFAULT 0,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE notification_digest_items (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    event_id    TEXT NOT NULL,
    event_name  TEXT NOT NULL,
    resource    TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    UNIQUE (user_id, event_id)
);

CREATE TABLE referrals (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    created_by_tenant TEXT NOT NULL REFERENCES tenants(id),
    target_tenant     TEXT NOT NULL REFERENCES tenants(id),
    status            TEXT NOT NULL CHECK (status IN ('new','active','closed')),
    substatus         TEXT NOT NULL,
    deal_value        TEXT NOT NULL,
    currency          TEXT NOT NULL,
    customer_name     TEXT NOT NULL,
    customer_country  TEXT NOT NULL,
    contact_name      TEXT NOT NULL,
    contact_email     TEXT NOT NULL,
    contact_phone     TEXT NOT NULL DEFAULT '',
    consent_at        BIGINT NOT NULL,
    notes             TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    version           BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX referrals_by_target ON referrals(target_tenant, created_at);
CREATE INDEX referrals_by_creator ON referrals(created_by_tenant, created_at);

-- Where each organisation's chain starts online after records past retention were archived.
ALTER TABLE audit_heads ADD COLUMN pruned_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_heads ADD COLUMN pruned_hash TEXT NOT NULL DEFAULT '';
