-- Keyset pages of a customer's subscriptions (oldest first) and of the delegated-admin grants
-- on a customer (newest first) seek in these indexes instead of sorting every row.
CREATE INDEX subscriptions_by_customer_created ON subscriptions(customer_tenant_id, created_at, id);
CREATE INDEX grants_by_customer_created ON admin_grants(customer_tenant_id, created_at, id);
