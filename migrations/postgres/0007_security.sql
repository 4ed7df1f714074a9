-- Two-step verification policy per organisation: admin agents, account admins and operator
-- admins must use it unless the organisation exempts them explicitly; `mfa_required` (0001)
-- extends it to every user.
ALTER TABLE tenants ADD COLUMN admin_mfa_exempt BIGINT NOT NULL DEFAULT 0;
