-- A customer list page reads every column it shows from the relationship rows it walks in
-- name order, instead of looking up each customer's tenant row: the customer's name and
-- country are kept beside the lower-cased name the list sorts and searches by. A rename
-- updates all three in the same transaction as the tenant.
ALTER TABLE customer_relationships ADD COLUMN customer_name TEXT NOT NULL DEFAULT '';
ALTER TABLE customer_relationships ADD COLUMN customer_country TEXT NOT NULL DEFAULT '';
UPDATE customer_relationships SET
    customer_name = (SELECT t.display_name FROM tenants t WHERE t.id = customer_relationships.customer_tenant_id),
    customer_country = (SELECT t.country FROM tenants t WHERE t.id = customer_relationships.customer_tenant_id);
