-- Provider directory listings, partnership invitations and provider-reseller partnerships.

CREATE TABLE provider_listings (
    tenant_id      TEXT PRIMARY KEY REFERENCES tenants(id),
    countries      TEXT NOT NULL,
    services       TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    contact_email  TEXT NOT NULL DEFAULT '',
    contact_phone  TEXT NOT NULL DEFAULT '',
    website        TEXT NOT NULL DEFAULT '',
    updated_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE partnership_invitations (
    id                  TEXT PRIMARY KEY,
    provider_tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    reseller_tenant_id  TEXT REFERENCES tenants(id),
    email               TEXT,
    token_hash          TEXT NOT NULL UNIQUE,
    state               TEXT NOT NULL DEFAULT 'pending',
    created_by          TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL,
    accepted_at         INTEGER,
    accepted_by         TEXT,
    accepted_tenant_id  TEXT
);
CREATE INDEX invitations_by_provider ON partnership_invitations(provider_tenant_id, created_at);

CREATE TABLE partnerships (
    id                  TEXT PRIMARY KEY,
    provider_tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    reseller_tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    state               TEXT NOT NULL,
    admin_access        INTEGER NOT NULL DEFAULT 1,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    ended_at            INTEGER,
    ended_by            TEXT,
    UNIQUE (provider_tenant_id, reseller_tenant_id)
);
CREATE INDEX partnerships_by_reseller ON partnerships(reseller_tenant_id, state);
CREATE INDEX partnerships_by_provider ON partnerships(provider_tenant_id, state);
