-- The rest of the public partner-center contract: the partner's own billing profile, the
-- reseller designated for a subscription's support, add-on products and add-on
-- subscriptions, and the payload shape a webhook registration chose.

-- One billing profile per partner organisation; members as the contract names them (JSON).
CREATE TABLE partner_billing_profiles (
    tenant_id   TEXT PRIMARY KEY REFERENCES tenants(id),
    profile     TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1
);

-- The reseller that supports a subscription's customer (one of its resellers under the
-- subscription's provider). No row: the subscription's reseller of record.
CREATE TABLE subscription_support_contacts (
    subscription_id     TEXT PRIMARY KEY REFERENCES subscriptions(id),
    reseller_tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    updated_at          BIGINT NOT NULL
);

-- An add-on product is bought on top of a subscription of its base product.
ALTER TABLE products ADD COLUMN base_product_id TEXT;

-- An add-on subscription and the subscription it was bought on.
CREATE TABLE subscription_addons (
    subscription_id  TEXT PRIMARY KEY REFERENCES subscriptions(id),
    parent_id        TEXT NOT NULL REFERENCES subscriptions(id)
);
CREATE INDEX subscription_addons_by_parent ON subscription_addons(parent_id);

-- 'standard' (Standard Webhooks envelope, camelCase) or 'partner_center' (the reference's
-- PascalCase members). Either way deliveries carry the Standard Webhooks signature headers.
ALTER TABLE webhook_registrations ADD COLUMN payload_shape TEXT NOT NULL DEFAULT 'standard';
