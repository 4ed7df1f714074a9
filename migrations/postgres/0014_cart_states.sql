-- Cart states are stored lower-case like every other state (the API still shows `Active`
-- and `Ordered`).
UPDATE carts SET status = 'active' WHERE status = 'Active';
UPDATE carts SET status = 'ordered' WHERE status = 'Ordered';
