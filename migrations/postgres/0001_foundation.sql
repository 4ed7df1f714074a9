-- Foundation: directory tenants, users, roles, OAuth, sessions, outbox, mail capture,
-- idempotency, sign-in throttling, audit records, the partner-network registry.
-- Times are milliseconds since the Unix epoch; ids are UUID text.

CREATE TABLE tenants (
    id            TEXT PRIMARY KEY,
    domain        TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    country       TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('operator','partner','customer')),
    mfa_required  BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    upn            TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    first_name     TEXT NOT NULL DEFAULT '',
    last_name      TEXT NOT NULL DEFAULT '',
    password_hash  TEXT NOT NULL,
    totp_secret    BYTEA,
    state          TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active','inactive')),
    deleted_at     BIGINT,
    language       TEXT NOT NULL DEFAULT 'en-US',
    created_at     BIGINT NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX users_by_tenant ON users(tenant_id, upn);

CREATE TABLE user_roles (
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role     TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE app_registrations (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    display_name  TEXT NOT NULL,
    secret_hash   TEXT NOT NULL,
    roles         TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    disabled_at   BIGINT
);
CREATE INDEX apps_by_tenant ON app_registrations(tenant_id);

CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY,
    private_der  BYTEA NOT NULL,
    public_raw   BYTEA NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE refresh_tokens (
    token_hash   TEXT PRIMARY KEY,
    family_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX refresh_by_family ON refresh_tokens(family_id);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      TEXT REFERENCES users(id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    language     TEXT NOT NULL DEFAULT 'en-US',
    mfa_pending  BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE signin_throttle (
    throttle_key   TEXT PRIMARY KEY,
    failures       BIGINT NOT NULL,
    window_start   BIGINT NOT NULL,
    locked_until   BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE idempotency_keys (
    scope          TEXT NOT NULL,
    request_id     TEXT NOT NULL,
    method         TEXT NOT NULL,
    path           TEXT NOT NULL,
    body_hash      TEXT NOT NULL,
    status_code    BIGINT,
    response_body  BYTEA,
    content_type   TEXT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (scope, request_id)
);

CREATE TABLE outbox (
    id             TEXT PRIMARY KEY,
    topic          TEXT NOT NULL,
    payload        TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    available_at   BIGINT NOT NULL,
    attempts       BIGINT NOT NULL DEFAULT 0,
    last_error     TEXT,
    locked_until   BIGINT NOT NULL DEFAULT 0,
    done_at        BIGINT
);
CREATE INDEX outbox_pending ON outbox(topic, available_at) WHERE done_at IS NULL;

CREATE TABLE captured_mail (
    id           TEXT PRIMARY KEY,
    outbox_id    TEXT NOT NULL UNIQUE,
    to_addr      TEXT NOT NULL,
    subject      TEXT NOT NULL,
    text_body    TEXT NOT NULL,
    html_body    TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE audit_records (
    id               TEXT PRIMARY KEY,
    org_tenant_id    TEXT NOT NULL,
    seq              BIGINT NOT NULL,
    actor_user_id    TEXT,
    actor_app_id     TEXT,
    actor_upn        TEXT,
    customer_id      TEXT,
    operation        TEXT NOT NULL,
    resource_type    TEXT NOT NULL,
    resource_id      TEXT,
    old_value        TEXT,
    new_value        TEXT,
    correlation_id   TEXT,
    outcome          TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    prev_hash        TEXT NOT NULL,
    hash             TEXT NOT NULL,
    UNIQUE (org_tenant_id, seq)
);
CREATE INDEX audit_by_time ON audit_records(org_tenant_id, created_at);

CREATE TABLE membership_records (
    mpn_id          BIGINT PRIMARY KEY,
    org_name        TEXT NOT NULL,
    country         TEXT NOT NULL,
    username        TEXT NOT NULL UNIQUE,
    password_hash   TEXT NOT NULL,
    imported_at     BIGINT NOT NULL
);

CREATE TABLE membership_profiles (
    profile_id   BIGINT PRIMARY KEY,
    mpn_id       BIGINT NOT NULL REFERENCES membership_records(mpn_id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    country      TEXT NOT NULL
);
CREATE INDEX profiles_by_membership ON membership_profiles(mpn_id);

-- The head of each organisation's audit hash chain; locking it serialises appends.
CREATE TABLE audit_heads (
    org_tenant_id  TEXT PRIMARY KEY,
    seq            BIGINT NOT NULL,
    hash           TEXT NOT NULL
);
