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

/// Completes the merged document so generated clients and validators accept it: operation ids
/// unique (a shared handler name gets its tag in front), the partner-center headers declared
/// where the server reads them, and bodies that may be left out marked optional.
pub fn finish(doc: &mut utoipa::openapi::OpenApi) {
    use std::collections::HashMap;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (_, op) in operations(doc) {
        if let Some(id) = &op.operation_id {
            *seen.entry(id.clone()).or_default() += 1;
        }
    }
    let optional_bodies = schemas_without_required(doc);
    for (method, op) in operations(doc) {
        if let Some(id) = op.operation_id.clone() {
            if seen.get(&id).copied().unwrap_or(0) > 1 {
                let tag = op.tags.as_ref().and_then(|t| t.first()).cloned();
                op.operation_id = Some(format!("{}_{id}", tag.unwrap_or_else(|| "api".into())));
            }
        }
        declare_headers(method, op);
        if let Some(body) = op.request_body.as_mut() {
            let optional = body.content.get("application/json").is_some_and(|c| {
                matches!(&c.schema, Some(utoipa::openapi::RefOr::Ref(r))
                    if optional_bodies.iter().any(|n| r.ref_location.ends_with(&format!("/{n}"))))
            });
            if optional {
                body.required = Some(utoipa::openapi::Required::False);
            }
        }
    }
}

fn operations(
    doc: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = (&'static str, &mut utoipa::openapi::path::Operation)> {
    doc.paths.paths.values_mut().flat_map(|item| {
        [
            ("get", item.get.as_mut()),
            ("put", item.put.as_mut()),
            ("post", item.post.as_mut()),
            ("delete", item.delete.as_mut()),
            ("head", item.head.as_mut()),
            ("patch", item.patch.as_mut()),
        ]
        .into_iter()
        .filter_map(|(m, op)| op.map(|op| (m, op)))
    })
}

/// Component schemas of objects with no required property: a body of that type may be empty.
fn schemas_without_required(doc: &utoipa::openapi::OpenApi) -> Vec<String> {
    use utoipa::openapi::{RefOr, Schema};
    doc.components
        .as_ref()
        .map(|c| {
            c.schemas
                .iter()
                .filter(|(_, s)| matches!(s, RefOr::T(Schema::Object(o)) if o.required.is_empty()))
                .map(|(n, _)| n.clone())
                .collect()
        })
        .unwrap_or_default()
}

fn declare_headers(method: &str, op: &mut utoipa::openapi::path::Operation) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{schema::Type, ObjectBuilder, Required};
    let params = op.parameters.get_or_insert_with(Vec::new);
    let has = |params: &Vec<utoipa::openapi::path::Parameter>, name: &str| {
        params
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case(name) && p.parameter_in == ParameterIn::Header)
    };
    let paged = params
        .iter()
        .any(|p| p.name == "seekOperation" && p.parameter_in == ParameterIn::Query);
    let mut wanted = vec![(
        "MS-CorrelationId",
        "Echoed in the response; ties the calls of one business transaction together",
    )];
    if method == "post" {
        wanted.push((
            "MS-RequestId",
            "Idempotency key: a retried POST with the same key answers the first response",
        ));
    }
    if paged {
        wanted.push((
            "MS-ContinuationToken",
            "The token from links.next to read the next page (with seekOperation=Next)",
        ));
    }
    for (name, description) in wanted {
        if !has(params, name) {
            params.push(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some(description))
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .build(),
            );
        }
    }
}
