-- The dashboards count each partner's own rows: indexes that begin with the organisation, so
-- a partner with many customers reads its own range and nobody else's.
CREATE INDEX subscriptions_by_reseller ON subscriptions(reseller_tenant_id, status);
CREATE INDEX subscriptions_by_provider ON subscriptions(provider_tenant_id, status);
CREATE INDEX orders_by_reseller ON orders(reseller_tenant_id, created_at);
CREATE INDEX orders_by_provider ON orders(provider_tenant_id, created_at);
CREATE INDEX relationships_started ON customer_relationships(partner_tenant_id, created_at);
CREATE INDEX relationships_ended ON customer_relationships(partner_tenant_id, ended_at);
CREATE INDEX grants_by_partner_expiry ON admin_grants(partner_tenant_id, status, expires_at);
CREATE INDEX invitations_by_reseller ON partnership_invitations(reseller_tenant_id, state);
CREATE INDEX service_requests_open_by_assignee ON service_requests(assignee_tenant) WHERE status <> 'closed';
