-- Security hardening: a per-account guard on second-factor guesses (counted before a code is
-- checked, with the last accepted time step so a code works once), hashed single-use recovery
-- codes, and session activity for the idle timeout.

CREATE TABLE mfa_guards (
    user_id       TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    window_start  BIGINT NOT NULL,
    guesses       BIGINT NOT NULL,
    last_step     BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE recovery_codes (
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    used_at     BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
-- Sessions open at the upgrade count as used when they were made.
UPDATE sessions SET last_seen_at = created_at;
