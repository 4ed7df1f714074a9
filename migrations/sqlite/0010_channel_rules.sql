-- The channel story: a customer's explicit consent to the access a relationship request asks
-- for, recorded with its time and the user who gave it.

ALTER TABLE customer_invitations ADD COLUMN consent_at INTEGER;
ALTER TABLE customer_invitations ADD COLUMN consent_by TEXT;
ALTER TABLE customer_invitations ADD COLUMN consent_access TEXT;
