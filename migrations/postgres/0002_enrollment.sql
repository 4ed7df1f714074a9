-- Enrollment in the partner programs, one-time links, partner accounts and the agreement.

CREATE TABLE enrollments (
    id                   TEXT PRIMARY KEY,
    tenant_id            TEXT NOT NULL REFERENCES tenants(id),
    program              TEXT NOT NULL CHECK (program IN ('indirect_reseller','indirect_provider')),
    status               TEXT NOT NULL,
    applicant_user_id    TEXT NOT NULL REFERENCES users(id),
    support_only         BIGINT NOT NULL DEFAULT 0,
    mpn_id               BIGINT,
    profile_id           BIGINT,
    application          TEXT NOT NULL DEFAULT '{}',
    review_note          TEXT,
    reviewed_by          TEXT,
    submitted_at         BIGINT,
    verified_at          BIGINT,
    decided_at           BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    version              BIGINT NOT NULL DEFAULT 1,
    UNIQUE (tenant_id, program)
);
CREATE INDEX enrollments_by_status ON enrollments(status, updated_at);

-- Personal links sent by mail (verification, invitations). Only the token's hash is kept.
CREATE TABLE one_time_links (
    token_hash   TEXT PRIMARY KEY,
    purpose      TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX links_by_subject ON one_time_links(purpose, subject_id);

CREATE TABLE partners (
    tenant_id            TEXT PRIMARY KEY REFERENCES tenants(id),
    mpn_id               BIGINT NOT NULL UNIQUE,
    org_mpn_id           BIGINT NOT NULL,
    is_reseller          BIGINT NOT NULL DEFAULT 0,
    is_provider          BIGINT NOT NULL DEFAULT 0,
    status               TEXT NOT NULL DEFAULT 'active',
    legal                TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    version              BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE partner_agreements (
    version        TEXT PRIMARY KEY,
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    published_at   BIGINT NOT NULL
);

CREATE TABLE agreement_acceptances (
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    version        TEXT NOT NULL REFERENCES partner_agreements(version),
    user_id        TEXT NOT NULL,
    user_upn       TEXT NOT NULL,
    accepted_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

INSERT INTO partner_agreements (version, title, body, published_at) VALUES (
    '2026-01',
    'Partner Hub channel partner agreement',
    'This agreement sets the terms under which your organisation resells the vendor''s cloud services through Partner Hub.

1. You act in your own name and keep your customers'' information confidential.
2. You place orders only for customers who asked you to, and only within your authorised program and region.
3. Administrative access to a customer''s or partner''s directory is used only for the services that customer bought, and only by users you have assigned a role.
4. You keep your company profile, primary contact and support details current.
5. The vendor may suspend the partner account if these terms are broken.

By accepting, you confirm you are authorised to bind your organisation to these terms.',
    1767225600000
);
