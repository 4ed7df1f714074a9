-- Housekeeping removes expired rows once a minute by their time: indexes on that time, so a
-- pass reads what it removes instead of every row (request ids grow with every retried POST,
-- sessions with every sign-in), and does not hold SQLite's writer for a scan.
CREATE INDEX idempotency_keys_by_created ON idempotency_keys(created_at);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);
CREATE INDEX rate_limit_windows_by_start ON rate_limit_windows(window_start);
