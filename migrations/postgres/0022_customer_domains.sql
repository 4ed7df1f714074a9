-- Domains added to a customer's directory beside its primary one (the partner-center
-- contract's verified domain). A name belongs to one directory: here or as a primary domain.
CREATE TABLE customer_domains (
    name                 TEXT PRIMARY KEY,
    tenant_id            TEXT NOT NULL REFERENCES tenants(id),
    capability           TEXT NOT NULL,
    authentication_type  TEXT NOT NULL,
    status               TEXT NOT NULL,
    verification_method  TEXT NOT NULL,
    added_by_tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    created_at           BIGINT NOT NULL
);
CREATE INDEX customer_domains_by_tenant ON customer_domains(tenant_id);
