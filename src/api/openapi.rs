//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Partner Hub API",
        description = "REST API of Partner Hub, shaped like the public partner-center API: camelCase JSON with \
                       attributes.objectType, collections with totalCount/items/links and MS-ContinuationToken \
                       paging, errors as {code, description, data, source}, MS-RequestId idempotency on POST.",
        license(name = "Apache-2.0")
    ),
    modifiers(&Bearer),
    tags(
        (name = "identity", description = "The caller's directory: users and applications"),
        (name = "oauth", description = "Tokens and keys"),
        (name = "enrollment", description = "Joining a partner program: tenant sign-up, application, verification, review, agreement"),
        (name = "partnerships", description = "Provider directory, partnership invitations and provider-reseller relationships"),
        (name = "customers", description = "Customers: relationship requests, acceptance, delegated admin, the customer record, users, roles and licenses"),
        (name = "commerce", description = "Catalog, price lists, carts, orders, subscriptions and invoices"),
        (name = "audit", description = "The activity log"),
        (name = "webhooks", description = "Webhook registration, test events and the delivery log"),
        (name = "referrals", description = "Referrals (sales leads) between the operator, providers and resellers"),
        (name = "notifications", description = "Which events mail the signed-in user"),
        (name = "profiles", description = "The partner's legal, support, organisation and partner-network profiles"),
        (name = "operator", description = "Functions of the program's operator"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
