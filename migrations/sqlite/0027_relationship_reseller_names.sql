-- The portal's customer list groups a provider's customers under their indirect reseller's
-- name. The page statement looked that name up in `tenants` once per row: at 1,000,000
-- customers a provider's page spans a hundred resellers, a hundred lookups of two b-tree
-- descents each, a third of the page statement. The relationship row now keeps the name
-- beside the reseller's id, as it keeps the customer's own name (0024): written with the
-- relationship, and updated in the same transaction as a rename of the reseller.
ALTER TABLE customer_relationships ADD COLUMN reseller_name TEXT;
UPDATE customer_relationships SET
    reseller_name = (SELECT t.display_name FROM tenants t WHERE t.id = customer_relationships.indirect_reseller_tenant_id)
WHERE indirect_reseller_tenant_id IS NOT NULL;

-- The list's index carries the name too, so a portal page still reads index pages only.
DROP INDEX relationships_for_lists;
CREATE INDEX relationships_for_lists ON customer_relationships(
    partner_tenant_id, state, customer_name_lower, customer_tenant_id,
    customer_domain, customer_name, customer_country, indirect_reseller_tenant_id, reseller_name
);
