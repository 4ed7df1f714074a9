-- Support requests through the tiers (customer -> reseller -> provider -> operator): topics,
-- each tier's service-level targets, the cases with their path and the running tier's clock,
-- the thread of notes, attached files, and service-level marks (warned, breached), one per
-- case, tier and goal so the worker records each once.

CREATE TABLE support_topics (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    product_name  TEXT NOT NULL DEFAULT '',
    active        BIGINT NOT NULL DEFAULT 1,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE support_targets (
    tenant_id               TEXT NOT NULL REFERENCES tenants(id),
    severity                TEXT NOT NULL,
    first_response_minutes  BIGINT NOT NULL,
    resolution_minutes      BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, severity)
);

CREATE TABLE service_requests (
    id                  TEXT PRIMARY KEY,
    title               TEXT NOT NULL,
    description         TEXT NOT NULL,
    severity            TEXT NOT NULL,
    topic_id            TEXT NOT NULL REFERENCES support_topics(id),
    product_name        TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL,
    origin_tier         TEXT NOT NULL,
    tier                TEXT NOT NULL,
    customer_tenant     TEXT REFERENCES tenants(id),
    reseller_tenant     TEXT REFERENCES tenants(id),
    provider_tenant     TEXT REFERENCES tenants(id),
    operator_tenant     TEXT REFERENCES tenants(id),
    assignee_tenant     TEXT NOT NULL REFERENCES tenants(id),
    requester_tenant    TEXT NOT NULL REFERENCES tenants(id),
    requester_user      TEXT,
    subscription_id     TEXT,
    contact_name        TEXT NOT NULL DEFAULT '',
    contact_email       TEXT NOT NULL DEFAULT '',
    assigned_at         BIGINT NOT NULL,
    first_response_due  BIGINT NOT NULL,
    resolution_due      BIGINT NOT NULL,
    responded_at        BIGINT,
    closed_at           BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    version             BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX service_requests_by_assignee ON service_requests(assignee_tenant, created_at, id);
CREATE INDEX service_requests_by_requester ON service_requests(requester_tenant, created_at, id);
CREATE INDEX service_requests_by_customer ON service_requests(customer_tenant, created_at, id);
CREATE INDEX service_requests_by_reseller ON service_requests(reseller_tenant, created_at, id);
CREATE INDEX service_requests_by_provider ON service_requests(provider_tenant, created_at, id);
CREATE INDEX service_requests_running ON service_requests(status, resolution_due) WHERE status <> 'closed';

CREATE TABLE service_request_notes (
    id              TEXT PRIMARY KEY,
    request_id      TEXT NOT NULL REFERENCES service_requests(id),
    reply_to        TEXT REFERENCES service_request_notes(id),
    author_tenant   TEXT NOT NULL REFERENCES tenants(id),
    author_name     TEXT NOT NULL,
    organization    TEXT NOT NULL,
    tier            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    text            TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX notes_by_request ON service_request_notes(request_id, created_at, id);

CREATE TABLE service_request_attachments (
    id              TEXT PRIMARY KEY,
    request_id      TEXT NOT NULL REFERENCES service_requests(id),
    file_name       TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size_bytes      BIGINT NOT NULL,
    sha256          TEXT NOT NULL,
    content         BYTEA,
    stored_path     TEXT,
    author_tenant   TEXT NOT NULL REFERENCES tenants(id),
    author_name     TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX attachments_by_request ON service_request_attachments(request_id, created_at, id);

CREATE TABLE service_level_marks (
    request_id      TEXT NOT NULL REFERENCES service_requests(id),
    tier            TEXT NOT NULL,
    goal            TEXT NOT NULL,
    mark            TEXT NOT NULL,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (request_id, tier, goal, mark)
);
