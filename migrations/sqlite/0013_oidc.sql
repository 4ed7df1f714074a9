-- Sign-in for integrators (OpenID Connect authorization-code flow): the RS256 key that signs
-- id tokens (beside the EdDSA access-token key), the redirect addresses registered for each
-- application, the consents users give applications, the single-use authorization codes, and
-- which refresh-token families a consent issued (revoking the consent revokes them).

CREATE TABLE rsa_signing_keys (
    kid          TEXT PRIMARY KEY,
    private_der  BLOB NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE app_redirect_uris (
    app_id  TEXT NOT NULL REFERENCES app_registrations(id) ON DELETE CASCADE,
    uri     TEXT NOT NULL,
    PRIMARY KEY (app_id, uri)
);

CREATE TABLE oauth_consents (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    app_id      TEXT NOT NULL REFERENCES app_registrations(id) ON DELETE CASCADE,
    scopes      TEXT NOT NULL,
    granted_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX consents_by_user ON oauth_consents(user_id);

CREATE TABLE authorization_codes (
    code_hash       TEXT PRIMARY KEY,
    consent_id      TEXT NOT NULL REFERENCES oauth_consents(id) ON DELETE CASCADE,
    app_id          TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    nonce           TEXT,
    auth_time       INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER,
    family_id       TEXT
);

CREATE TABLE consent_token_families (
    family_id   TEXT PRIMARY KEY,
    consent_id  TEXT NOT NULL REFERENCES oauth_consents(id) ON DELETE CASCADE
);
CREATE INDEX families_by_consent ON consent_token_families(consent_id);
