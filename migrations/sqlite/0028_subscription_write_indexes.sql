-- Every order writes a subscription per line, and each index on `subscriptions` is one more
-- b-tree insert inside the writer's hold (a random leaf, for those keyed by customer).
-- Two indexes are dropped because no statement needs them:
-- * `subscriptions_by_customer` (customer, status): every statement keyed by customer finds
--   its rows through `subscriptions_by_customer_created` (customer, created_at, id), whose
--   first column is the same; a customer's subscriptions are few, so its status is checked
--   on the rows found.
-- * `subscriptions_by_order` (order): subscriptions are only ever looked up by order within
--   one customer (the list's order filter, an order's lines joined by subscription id).
DROP INDEX IF EXISTS subscriptions_by_customer;
DROP INDEX IF EXISTS subscriptions_by_order;
