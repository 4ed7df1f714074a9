-- Customers: reseller relationships (denormalised name and domain for keyset lists),
-- delegated-admin grants, customer invitations and billing profiles.

CREATE TABLE customer_relationships (
    id                           TEXT PRIMARY KEY,
    customer_tenant_id           TEXT NOT NULL REFERENCES tenants(id),
    partner_tenant_id            TEXT NOT NULL REFERENCES tenants(id),
    indirect_reseller_tenant_id  TEXT REFERENCES tenants(id),
    customer_name_lower          TEXT NOT NULL,
    customer_domain              TEXT NOT NULL,
    state                        TEXT NOT NULL,
    created_at                   INTEGER NOT NULL,
    ended_at                     INTEGER,
    UNIQUE (customer_tenant_id, partner_tenant_id)
);
CREATE INDEX relationships_for_lists ON customer_relationships(partner_tenant_id, state, customer_name_lower, customer_tenant_id);
CREATE INDEX relationships_by_reseller ON customer_relationships(indirect_reseller_tenant_id, state);

CREATE TABLE admin_grants (
    id                  TEXT PRIMARY KEY,
    customer_tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    partner_tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    roles               TEXT NOT NULL,
    status              TEXT NOT NULL,
    duration_days       INTEGER NOT NULL,
    auto_extend         INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL,
    warned_at           INTEGER,
    ended_at            INTEGER
);
CREATE INDEX grants_by_pair ON admin_grants(partner_tenant_id, customer_tenant_id, status);
CREATE INDEX grants_by_expiry ON admin_grants(status, expires_at);

CREATE TABLE customer_invitations (
    id                  TEXT PRIMARY KEY,
    reseller_tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    provider_tenant_id  TEXT REFERENCES tenants(id),
    token_hash          TEXT NOT NULL UNIQUE,
    state               TEXT NOT NULL DEFAULT 'pending',
    roles               TEXT NOT NULL DEFAULT '',
    duration_days       INTEGER NOT NULL DEFAULT 0,
    auto_extend         INTEGER NOT NULL DEFAULT 0,
    created_by          TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL,
    closed_at           INTEGER,
    closed_by           TEXT,
    customer_tenant_id  TEXT
);
CREATE INDEX customer_invitations_by_reseller ON customer_invitations(reseller_tenant_id, created_at);

CREATE TABLE customer_profiles (
    tenant_id   TEXT PRIMARY KEY REFERENCES tenants(id),
    billing     TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
