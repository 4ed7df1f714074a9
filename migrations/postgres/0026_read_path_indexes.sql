-- Every request rebuilds its caller with one statement: the user, its organisation, the
-- partner account, whether the newest agreement was accepted, the roles; on a customer's URL
-- also the customer, the relationship with it, the live grants and the billing profile.
-- The indexes below carry the columns the statement reads, so these lookups can be
-- index-only scans instead of an index entry and then a heap row.

-- The newest agreement, found by its publication time instead of by sorting the table.
CREATE INDEX partner_agreements_by_published ON partner_agreements(published_at) INCLUDE (version);

-- The partner account's kind and status.
CREATE INDEX partners_facts ON partners(tenant_id) INCLUDE (is_reseller, is_provider, status);

-- The relationship between the caller's organisation and the customer: state and reseller.
CREATE INDEX relationships_by_pair ON customer_relationships(customer_tenant_id, partner_tenant_id)
    INCLUDE (state, indirect_reseller_tenant_id);

-- The live grants of a partner on a customer: their end and roles.
DROP INDEX grants_by_pair;
CREATE INDEX grants_by_pair ON admin_grants(partner_tenant_id, customer_tenant_id, status, expires_at)
    INCLUDE (roles);

-- A customer list page walks a partner's active relationships in name order and shows the
-- customer's domain, name, country and reseller. With those columns carried by the index,
-- the walk can be an index-only scan instead of one heap row per customer on the page.
DROP INDEX relationships_for_lists;
CREATE INDEX relationships_for_lists ON customer_relationships(
    partner_tenant_id, state, customer_name_lower, customer_tenant_id
) INCLUDE (customer_domain, customer_name, customer_country, indirect_reseller_tenant_id);
