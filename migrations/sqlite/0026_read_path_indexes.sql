-- Every request rebuilds its caller with one statement, and that statement asks whether the
-- partner accepted the newest agreement. Without an index on the publication time, finding
-- the newest agreement sorted the table into a temporary b-tree on every request.
CREATE INDEX partner_agreements_by_published ON partner_agreements(published_at);

-- A customer list page walks a partner's active relationships in name order and shows the
-- customer's domain, name, country and reseller. With those columns in the index, the walk
-- reads index pages only, instead of one table row per customer on the page.
DROP INDEX relationships_for_lists;
CREATE INDEX relationships_for_lists ON customer_relationships(
    partner_tenant_id, state, customer_name_lower, customer_tenant_id,
    customer_domain, customer_name, customer_country, indirect_reseller_tenant_id
);
