//! Portal adapter: server-rendered HTML pages (maud), sessions by secure cookie, CSRF tokens
//! on every form, en-US and ko-KR.

// Handlers return a ready page as their error; boxing it would buy nothing.
#![allow(clippy::result_large_err)]

pub mod agreement;
pub mod applications;
pub mod auth;
pub mod commerce;
pub mod consent;
pub mod customer_admin;
pub mod customers;
pub mod dashboard;
pub mod dashboard_panels;
pub mod enroll;
pub mod events;
pub mod flash;
pub mod form;
pub mod guard;
pub mod i18n;
pub mod labels;
pub mod layout;
pub mod mail;
pub mod pager;
pub mod partners;
pub mod qr;
pub mod review;
pub mod session;
pub mod support;
pub mod svg;
pub mod text;
pub mod users;

use crate::app::App;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

/// Every portal page and form. Pages behind the session layer get a `Visit` (and through
/// it `guard::SignedIn` and `guard::VerifiedForm`); static files and the root redirect do not
/// need one.
pub fn router(app: App) -> Router<App> {
    Router::new()
        .merge(session_routes())
        .merge(organisation_routes())
        .merge(enrollment_routes())
        .merge(channel_routes())
        .route_layer(axum::middleware::from_fn_with_state(app, session::layer))
        .route("/", get(|| async { Redirect::to("/portal") }))
        .route("/portal/static/app.css", get(css))
        .route("/portal/static/app.js", get(js))
        .route("/favicon.ico", get(favicon))
        .route("/portal/static/favicon.svg", get(favicon))
}

/// Signing in and out, language, two-step setup, the dashboard, the agreement and the mail viewer.
fn session_routes() -> Router<App> {
    Router::new()
        .route("/portal", get(dashboard::dashboard))
        .route(
            "/portal/signin",
            get(auth::signin_page).post(auth::signin_submit),
        )
        .route(
            "/portal/signin/mfa",
            get(auth::mfa_page).post(auth::mfa_submit),
        )
        .route("/portal/signout", axum::routing::post(auth::signout))
        .route("/portal/lang", axum::routing::post(auth::switch_language))
        .route("/portal/mail", get(mail::list))
        .route("/portal/mail/{id}", get(mail::show))
        .route(
            "/portal/mfa",
            get(auth::mfa_setup_page).post(auth::mfa_setup_submit),
        )
        .route(
            "/portal/mfa/recovery",
            axum::routing::post(auth::mfa_recovery_submit),
        )
        .route(
            "/portal/agreement",
            get(agreement::show).post(agreement::accept),
        )
}

/// The organisation's own affairs: users, applications and consents, activity log, webhooks, notifications, referrals, support.
fn organisation_routes() -> Router<App> {
    Router::new()
        .route("/portal/users", get(users::list).post(users::add))
        .route("/portal/applications", get(applications::list))
        .route(
            "/portal/oauth2/authorize",
            get(consent::authorize).post(consent::decide),
        )
        .route("/portal/consents", get(consent::list))
        .route(
            "/portal/consents/{id}/revoke",
            axum::routing::post(consent::revoke),
        )
        .route(
            "/portal/applications/{id}",
            axum::routing::post(applications::change),
        )
        .route("/portal/audit", get(dashboard::audit))
        .route(
            "/portal/webhooks",
            get(events::webhook_page).post(events::webhook_action),
        )
        .route(
            "/portal/webhooks/{what}",
            axum::routing::post(events::webhook_action),
        )
        .route(
            "/portal/webhooks/deliveries/{id}/redeliver",
            axum::routing::post(events::redeliver),
        )
        .route(
            "/portal/notifications",
            get(events::notifications_page).post(events::save_notifications),
        )
        .route(
            "/portal/referrals",
            get(events::referrals_page).post(events::create_referral),
        )
        .route(
            "/portal/referrals/{id}",
            get(events::referral_page).post(events::move_referral),
        )
        .route("/portal/support", get(support::list).post(support::raise))
        .route(
            "/portal/support/targets",
            get(support::targets_page).post(support::save_targets),
        )
        .route("/portal/support/rates", get(support::rates_page))
        .route(
            "/portal/support/{id}",
            get(support::case_page).post(support::act),
        )
        .route("/portal/support/{id}/files/{file}", get(support::download))
        .route(
            "/portal/users/{id}",
            get(users::edit_page).post(users::edit),
        )
        .route(
            "/portal/users/{id}/remove",
            axum::routing::post(users::remove),
        )
}

/// Enrollment (the wizard, verification, the applicant's status) and the operator's review.
fn enrollment_routes() -> Router<App> {
    Router::new()
        .route(
            "/portal/operator/memberships",
            get(review::memberships_page).post(review::import_memberships),
        )
        .route("/portal/enroll", get(enroll::welcome))
        .route("/portal/enroll/tenant", get(enroll::tenant_step))
        .route(
            "/portal/enroll/tenant/signin",
            axum::routing::post(enroll::tenant_signin),
        )
        .route(
            "/portal/enroll/tenant/create",
            axum::routing::post(enroll::tenant_create),
        )
        .route(
            "/portal/enroll/start",
            axum::routing::post(enroll::start_signed_in),
        )
        .route(
            "/portal/enroll/verify",
            get(enroll::verify_page).post(enroll::verify_submit),
        )
        .route("/portal/enrollment", get(enroll::mine))
        .route("/portal/enrollment/{id}", get(enroll::enrollment))
        .route(
            "/portal/enrollment/{id}/membership",
            axum::routing::post(enroll::membership),
        )
        .route(
            "/portal/enrollment/{id}/membership/cancel",
            axum::routing::post(enroll::cancel_membership),
        )
        .route(
            "/portal/enrollment/{id}/profile",
            axum::routing::post(enroll::profile),
        )
        .route(
            "/portal/enrollment/{id}/application",
            axum::routing::post(enroll::application),
        )
        .route("/portal/operator/enrollments", get(review::queue))
        .route("/portal/operator/enrollments/{id}", get(review::detail))
        .route(
            "/portal/operator/enrollments/{id}/decide",
            axum::routing::post(review::decide),
        )
}

/// The channel: customers, orders and subscriptions, catalog, invoices, directory, listing, partnerships.
fn channel_routes() -> Router<App> {
    Router::new()
        .route("/portal/customers", get(customers::list))
        .route(
            "/portal/customers/request",
            axum::routing::post(customers::request),
        )
        .route("/portal/customers/{id}", get(customers::record))
        .merge(customer_admin::routes())
        .route(
            "/portal/customers/{id}/order",
            get(commerce::order_form).post(commerce::place),
        )
        .route(
            "/portal/customers/{id}/subscriptions/{sid}",
            axum::routing::post(commerce::change),
        )
        .route(
            "/portal/partnerships/{id}/customers",
            get(customers::shared),
        )
        .route(
            "/portal/customer/accept",
            get(customers::accept_page).post(customers::answer),
        )
        .route(
            "/portal/customer/accept/create",
            axum::routing::post(customers::create_and_accept),
        )
        .route("/portal/customer/partners", get(customers::my_partners))
        .route(
            "/portal/customer/grants/{id}/revoke",
            axum::routing::post(customers::revoke_grant),
        )
        .route(
            "/portal/customer/partners/{id}/revoke",
            axum::routing::post(customers::revoke_partner),
        )
        .route("/portal/catalog", get(commerce::catalog))
        .route("/portal/invoices", get(commerce::invoices))
        .route("/portal/invoices/{id}/csv", get(commerce::invoice_csv))
        .route("/portal/directory", get(partners::directory))
        .route("/providers", get(partners::public_directory))
        .route(
            "/portal/listing",
            get(partners::listing).post(partners::save_listing),
        )
        .route("/portal/providers", get(partners::providers))
        .route("/portal/resellers", get(partners::resellers))
        .route(
            "/portal/resellers/invite",
            axum::routing::post(partners::create_invitation),
        )
        .route(
            "/portal/resellers/invitations/{id}/revoke",
            axum::routing::post(partners::revoke_invitation),
        )
        .route(
            "/portal/partnerships/{id}/end",
            axum::routing::post(partners::end),
        )
        .route(
            "/portal/partnerships/{id}/revoke-admin",
            axum::routing::post(partners::revoke_admin),
        )
        .route(
            "/portal/partnership/accept",
            get(partners::accept_page).post(partners::accept),
        )
}

async fn favicon() -> Response {
    static_file("image/svg+xml", include_str!("static/favicon.svg"))
}

async fn css() -> Response {
    static_file("text/css; charset=utf-8", include_str!("static/app.css"))
}

async fn js() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("static/app.js"),
    )
}

fn static_file(ctype: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, ctype),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

pub async fn not_found_page() -> Response {
    layout::plain_error(StatusCode::NOT_FOUND, "This page does not exist.")
}
