-- Commerce: catalog, price lists, carts, orders, subscriptions and their change history,
-- licenses by seat, invoices. Money is a decimal string, never a float.

CREATE TABLE products (
    id              TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    product_type    TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);

CREATE TABLE skus (
    product_id      TEXT NOT NULL REFERENCES products(id),
    id              TEXT NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    min_quantity    BIGINT NOT NULL,
    max_quantity    BIGINT NOT NULL,
    is_trial        BIGINT NOT NULL DEFAULT 0,
    unit_type       TEXT NOT NULL DEFAULT 'licenses',
    PRIMARY KEY (product_id, id)
);

CREATE TABLE availabilities (
    product_id      TEXT NOT NULL,
    sku_id          TEXT NOT NULL,
    id              TEXT NOT NULL,
    country         TEXT NOT NULL,
    currency        TEXT NOT NULL,
    segment         TEXT NOT NULL,
    billing_cycle   TEXT NOT NULL,
    term            TEXT NOT NULL,
    list_price      TEXT NOT NULL,
    PRIMARY KEY (product_id, sku_id, id),
    FOREIGN KEY (product_id, sku_id) REFERENCES skus(product_id, id)
);
CREATE INDEX availabilities_by_country ON availabilities(country, segment);

-- A provider's price to its resellers: a markup on the operator's price or a fixed price.
CREATE TABLE provider_prices (
    provider_tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    product_id          TEXT NOT NULL,
    sku_id              TEXT NOT NULL,
    country             TEXT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('markup','fixed')),
    value               TEXT NOT NULL,
    PRIMARY KEY (provider_tenant_id, product_id, sku_id, country)
);

-- A reseller's price to its customers.
CREATE TABLE reseller_prices (
    reseller_tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    product_id          TEXT NOT NULL,
    sku_id              TEXT NOT NULL,
    country             TEXT NOT NULL,
    price               TEXT NOT NULL,
    PRIMARY KEY (reseller_tenant_id, product_id, sku_id, country)
);

CREATE TABLE carts (
    id                  TEXT PRIMARY KEY,
    customer_tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    owner_tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    status              TEXT NOT NULL,
    line_items          TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    order_id            TEXT,
    version             BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE orders (
    id                      TEXT PRIMARY KEY,
    customer_tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    placed_by_tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    provider_tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    reseller_tenant_id      TEXT REFERENCES tenants(id),
    request_id              TEXT,
    status                  TEXT NOT NULL,
    currency                TEXT NOT NULL,
    total                   TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    UNIQUE (placed_by_tenant_id, request_id)
);
CREATE INDEX orders_by_customer ON orders(customer_tenant_id, created_at);

CREATE TABLE order_lines (
    order_id            TEXT NOT NULL REFERENCES orders(id),
    line_number         BIGINT NOT NULL,
    catalog_item_id     TEXT NOT NULL,
    quantity            BIGINT NOT NULL,
    unit_price          TEXT NOT NULL,
    partner_id_on_record TEXT,
    subscription_id     TEXT NOT NULL,
    PRIMARY KEY (order_id, line_number)
);

CREATE TABLE subscriptions (
    id                  TEXT PRIMARY KEY,
    customer_tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    order_id            TEXT NOT NULL REFERENCES orders(id),
    provider_tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    reseller_tenant_id  TEXT REFERENCES tenants(id),
    product_id          TEXT NOT NULL,
    sku_id              TEXT NOT NULL,
    availability_id     TEXT NOT NULL,
    friendly_name       TEXT NOT NULL,
    quantity            BIGINT NOT NULL,
    unit_price          TEXT NOT NULL,
    currency            TEXT NOT NULL,
    billing_cycle       TEXT NOT NULL,
    term                TEXT NOT NULL,
    status              TEXT NOT NULL,
    auto_renew          BIGINT NOT NULL DEFAULT 1,
    created_at          BIGINT NOT NULL,
    term_start          BIGINT NOT NULL,
    term_end            BIGINT NOT NULL,
    cancel_until        BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    version             BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX subscriptions_by_customer ON subscriptions(customer_tenant_id, status);
CREATE INDEX subscriptions_by_order ON subscriptions(order_id);
CREATE INDEX subscriptions_due ON subscriptions(status, term_end);

-- Every change that affects charges: invoices are computed from this history.
CREATE TABLE subscription_events (
    id                  TEXT PRIMARY KEY,
    subscription_id     TEXT NOT NULL REFERENCES subscriptions(id),
    at                  BIGINT NOT NULL,
    quantity            BIGINT NOT NULL,
    status              TEXT NOT NULL,
    unit_price          TEXT NOT NULL
);
CREATE INDEX subscription_events_by_sub ON subscription_events(subscription_id, at);

CREATE TABLE license_assignments (
    user_id             TEXT NOT NULL REFERENCES users(id),
    customer_tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    product_id          TEXT NOT NULL,
    sku_id              TEXT NOT NULL,
    assigned_at         BIGINT NOT NULL,
    PRIMARY KEY (user_id, product_id, sku_id)
);
CREATE INDEX licenses_by_customer ON license_assignments(customer_tenant_id, product_id, sku_id);

CREATE TABLE invoices (
    id                  TEXT PRIMARY KEY,
    provider_tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    period_start        BIGINT NOT NULL,
    period_end          BIGINT NOT NULL,
    currency            TEXT NOT NULL,
    total               TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    UNIQUE (provider_tenant_id, period_start, currency)
);

CREATE TABLE invoice_lines (
    invoice_id          TEXT NOT NULL REFERENCES invoices(id),
    line_number         BIGINT NOT NULL,
    customer_tenant_id  TEXT NOT NULL,
    customer_name       TEXT NOT NULL,
    reseller_tenant_id  TEXT,
    reseller_mpn_id     TEXT,
    subscription_id     TEXT NOT NULL,
    product_id          TEXT NOT NULL,
    sku_id              TEXT NOT NULL,
    quantity            BIGINT NOT NULL,
    unit_price          TEXT NOT NULL,
    charge_start        BIGINT NOT NULL,
    charge_end          BIGINT NOT NULL,
    amount              TEXT NOT NULL,
    PRIMARY KEY (invoice_id, line_number)
);
