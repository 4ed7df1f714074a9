-- Portal flash messages (post/redirect/get): what an action did, kept for the one page view
-- that follows its redirect. The browser holds a random token in a cookie; the row is found by
-- the token's hash and its body is sealed with a key derived from the token, so the database
-- alone cannot read it (it may carry a one-time link, a new secret or recovery codes).
CREATE TABLE portal_flashes (
    id          TEXT PRIMARY KEY,
    sealed      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX portal_flashes_by_expiry ON portal_flashes(expires_at);
