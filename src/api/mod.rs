//! HTTP adapter: the REST API (`/v1`, OAuth, operations). `server::router` mounts it beside
//! the portal.

pub mod audit;
pub mod collection;
pub mod commerce;
pub mod compat_ops;
pub mod customer_page;
pub mod customers;
pub mod domains;
pub mod enrollment;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod json;
pub mod lenient;
pub mod lookups;
pub mod middleware;
pub mod notifications;
pub mod oauth;
pub mod offers;
pub mod oidc;
pub mod openapi;
pub mod operator;
pub mod ops;
pub mod partnerships;
pub mod profiles;
pub mod referrals;
pub mod sdk_ops;
pub mod support;
pub mod users;
pub mod webhooks;

use crate::app::App;
use crate::domain::error::Code;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every documented route. Only routes added here appear in the OpenAPI document, and the
/// test suite checks that every `#[utoipa::path]` handler is registered. The groups are added
/// in a fixed order, so the document lists operations the same way on every build.
pub fn documented() -> OpenApiRouter<App> {
    let groups: [fn(OpenApiRouter<App>) -> OpenApiRouter<App>; 5] = [
        partner_side_routes,
        enrollment_and_partnership_routes,
        customer_routes,
        commerce_routes,
        identity_and_operation_routes,
    ];
    groups.into_iter().fold(
        OpenApiRouter::with_openapi(openapi::ApiDoc::openapi()),
        |r, add| add(r),
    )
}

/// Partner-side work: audit, webhooks, referrals, support, notifications, users and applications.
fn partner_side_routes(r: OpenApiRouter<App>) -> OpenApiRouter<App> {
    r.routes(routes!(users::me))
        .routes(routes!(audit::records))
        .routes(routes!(audit::record))
        .routes(routes!(webhooks::events))
        .routes(routes!(
            webhooks::register,
            webhooks::get_registration,
            webhooks::update,
            webhooks::remove
        ))
        .routes(routes!(webhooks::rotate))
        .routes(routes!(webhooks::send_test))
        .routes(routes!(webhooks::test_status))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::delivery))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(referrals::create, referrals::list))
        .routes(routes!(referrals::get_one, referrals::patch))
        .routes(routes!(support::list, support::create))
        .routes(routes!(support::topics))
        .routes(routes!(support::breach_rates))
        .routes(routes!(support::get_one, support::patch))
        .routes(routes!(support::notes, support::add_note))
        .routes(routes!(support::attachments, support::upload))
        .routes(routes!(support::download))
        .routes(routes!(
            support::list_for_customer,
            support::create_for_customer
        ))
        .routes(routes!(support::get_targets, support::put_targets))
        .routes(routes!(
            notifications::get_settings,
            notifications::put_settings
        ))
        .routes(routes!(users::mfa_setup))
        .routes(routes!(users::mfa_confirm))
        .routes(routes!(users::mfa_recovery_codes))
        .routes(routes!(
            users::get_application,
            users::patch_application,
            users::delete_application
        ))
        .routes(routes!(users::rotate_application_secret))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(
            users::get_user,
            users::patch_user,
            users::delete_user
        ))
}

/// Enrollment, profiles, the provider directory and partnerships.
fn enrollment_and_partnership_routes(r: OpenApiRouter<App>) -> OpenApiRouter<App> {
    r.routes(routes!(enrollment::create_tenant))
        .routes(routes!(enrollment::list, enrollment::start))
        .routes(routes!(enrollment::get_one))
        .routes(routes!(
            enrollment::link_membership,
            enrollment::choose_profile,
            enrollment::unlink_membership
        ))
        .routes(routes!(enrollment::save_application))
        .routes(routes!(enrollment::submit))
        .routes(routes!(enrollment::verify))
        .routes(routes!(enrollment::approve))
        .routes(routes!(enrollment::reject))
        .routes(routes!(enrollment::request_info))
        .routes(routes!(enrollment::agreement))
        .routes(routes!(enrollment::accept_agreement))
        .routes(routes!(profiles::get_legal, profiles::put_legal))
        .routes(routes!(profiles::get_support, profiles::put_support))
        .routes(routes!(
            profiles::get_organization,
            profiles::put_organization
        ))
        .routes(routes!(profiles::get_mpn))
        .routes(routes!(partnerships::directory))
        .routes(routes!(partnerships::provider))
        .routes(routes!(partnerships::my_listing, partnerships::put_listing))
        .routes(routes!(
            partnerships::list_invitations,
            partnerships::create_invitation
        ))
        .routes(routes!(partnerships::revoke_invitation))
        .routes(routes!(partnerships::preview))
        .routes(routes!(partnerships::accept))
        .routes(routes!(partnerships::relationships))
        .routes(routes!(
            partnerships::relationship,
            partnerships::end,
            partnerships::patch
        ))
        .routes(routes!(partnerships::validate_resellers))
}

/// Customers: relationship requests, partners and grants, the customer's directory.
fn customer_routes(r: OpenApiRouter<App>) -> OpenApiRouter<App> {
    r.routes(routes!(customers::list, customers::create))
        .routes(routes!(customers::request_link, customers::request_post))
        .routes(routes!(customers::revoke_request))
        .routes(routes!(
            customers::get_one,
            customers::patch,
            sdk_ops::delete_customer
        ))
        .routes(routes!(customers::relationships))
        .routes(routes!(customers::preview))
        .routes(routes!(customers::accept))
        .routes(routes!(customers::decline))
        .routes(routes!(customers::my_partners))
        .routes(routes!(customers::my_grants))
        .routes(routes!(customers::revoke_partner))
        .routes(routes!(customers::revoke_grant))
        .routes(routes!(customers::company_profile))
        .routes(routes!(customers::billing, customers::put_billing))
        .routes(routes!(customers::users, customers::create_user))
        .routes(routes!(
            customers::get_user,
            customers::patch_user,
            customers::delete_user
        ))
        .routes(routes!(customers::directory_roles))
        .routes(routes!(customers::user_directory_roles))
        .routes(routes!(customers::role_members, customers::add_member))
        .routes(routes!(customers::remove_member))
        .routes(routes!(customers::subscribed_skus))
        .routes(routes!(customers::user_licenses))
        .routes(routes!(customers::license_updates))
        .routes(routes!(domains::add_verified_domain))
        .routes(routes!(customers::shared))
}

/// Catalog, offers, orders, carts, subscriptions, invoices and price lists.
fn commerce_routes(r: OpenApiRouter<App>) -> OpenApiRouter<App> {
    r.routes(routes!(commerce::products))
        .routes(routes!(commerce::product))
        .routes(routes!(commerce::skus))
        .routes(routes!(commerce::availabilities))
        .routes(routes!(lookups::domain))
        .routes(routes!(lookups::agreement_status))
        .routes(routes!(offers::offers))
        .routes(routes!(offers::offer))
        .routes(routes!(offers::addons))
        .routes(routes!(offers::categories))
        .routes(routes!(sdk_ops::customer_offers))
        .routes(routes!(sdk_ops::customer_offer_categories))
        .routes(routes!(sdk_ops::customer_offer_addons))
        .routes(routes!(sdk_ops::remove_partner_relationship))
        .routes(routes!(offers::sku))
        .routes(routes!(offers::availability))
        .routes(routes!(offers::provisioning_status))
        .routes(routes!(compat_ops::subscription_addons))
        .routes(routes!(
            compat_ops::get_partner_billing,
            compat_ops::put_partner_billing
        ))
        .routes(routes!(
            compat_ops::get_support_contact,
            compat_ops::put_support_contact
        ))
        .routes(routes!(compat_ops::order_provisioning_status))
        .routes(routes!(offers::upgrades, compat_ops::upgrade))
        .routes(routes!(commerce::import))
        .routes(routes!(commerce::orders, commerce::create_order))
        .routes(routes!(commerce::order, compat_ops::patch_order))
        .routes(routes!(commerce::create_cart))
        .routes(routes!(commerce::get_cart, commerce::put_cart))
        .routes(routes!(commerce::checkout))
        .routes(routes!(commerce::subscriptions))
        .routes(routes!(
            commerce::subscription,
            commerce::update_subscription
        ))
        .routes(routes!(commerce::invoices))
        .routes(routes!(commerce::invoice))
        .routes(routes!(commerce::invoice_lines))
        .routes(routes!(commerce::invoice_csv))
        .routes(routes!(commerce::statements))
        .routes(routes!(commerce::generate))
        .routes(routes!(
            commerce::provider_prices,
            commerce::put_provider_prices
        ))
        .routes(routes!(commerce::put_reseller_prices))
}

/// Sign-in names, applications, operator tasks, OAuth, consents and operations.
fn identity_and_operation_routes(r: OpenApiRouter<App>) -> OpenApiRouter<App> {
    r.routes(routes!(users::domain_availability))
        .routes(routes!(users::list_applications, users::create_application))
        .routes(routes!(operator::import_memberships))
        .routes(routes!(operator::captured_mail))
        .routes(routes!(oauth::token))
        .routes(routes!(oauth::jwks))
        .routes(routes!(oauth::discovery))
        .routes(routes!(oidc::list_consents))
        .routes(routes!(oidc::revoke_consent))
        .routes(routes!(oidc::get_redirect_uris, oidc::put_redirect_uris))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics_text))
}

pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let mut doc = documented().split_for_parts().1;
    openapi::finish(&mut doc);
    doc
}

/// The API's routes: every documented operation and the OpenAPI document (the server adds
/// the portal, the layers and the fallback, `server::router`).
pub fn routes(app: &App) -> Router<App> {
    ops::prometheus();
    let (api, mut doc) = documented().split_for_parts();
    openapi::finish(&mut doc);
    doc.servers = Some(vec![utoipa::openapi::Server::new(app.config.public_url())]);
    let doc = Arc::new(doc);
    api.route(
        "/v1/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { json::Json(doc.as_ref().clone()) }
        }),
    )
}

/// The API's answer for an address nothing serves.
pub fn not_found(uri: &Uri) -> Response {
    error::error_response(
        StatusCode::NOT_FOUND,
        Code::NotFound,
        format!("no resource at {}", uri.path()),
        vec![],
    )
}

/// The answer when a handler panicked.
pub fn on_panic(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    error::error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        Code::Internal,
        "internal error".into(),
        vec![],
    )
    .into_response()
}
