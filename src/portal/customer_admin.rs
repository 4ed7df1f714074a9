//! Customer administration from the record (`/portal/customers/{id}/admin`): the customer's
//! users (create, edit, reset password, delete and restore), their licenses within the seats,
//! their directory roles within the caller's grant, the subscriptions (seats with the row
//! version, suspend, reactivate, cancel within the window) and the orders. Reads and changes
//! go through `app::customer_admin` and the use cases the API calls. Every form goes through
//! the shared guards (`SignedIn`, `VerifiedForm`); a success answers 303 back to the page with
//! a flash message, a refusal re-renders the page with the reason beside the control that
//! caused it, and deleting a user or cancelling a subscription needs the shared confirmation.

use super::flash::{see_other, Flash};
use super::form::{csrf, FormData};
use super::guard::{confirmed, needs_confirmation, SignedIn, VerifiedForm, REFUSED};
use super::i18n::{t, tf};
use super::labels;
use super::layout::{domain_error, page, PageOpts};
use super::session::{url_escape, Visit};
use crate::app::commerce::{update_subscription, SubscriptionPatch};
use crate::app::customer_admin::{self as uc, Overview, SubscriptionRow, UserDetail, UserRow};
use crate::app::customer_users::{self, NewCustomerUser, Patch};
use crate::app::licenses::SubscribedSku;
use crate::app::App;
use crate::domain::commerce::SubscriptionStatus;
use crate::domain::customer::GrantRole;
use crate::domain::error::Code;
use crate::domain::ids::SubscriptionId;
use crate::domain::refusal::Refusal;
use crate::domain::Error;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::BTreeSet;

/// The area's routes, mounted by `portal::router` inside the session layer.
pub fn routes() -> Router<App> {
    // Literal paths, so `tests/suite/portal_prg.rs` finds every form here as it does in
    // `portal::router`.
    Router::new()
        .route("/portal/customers/{id}/admin", get(page_view))
        .route("/portal/customers/{id}/admin/users", post(create_user))
        .route("/portal/customers/{id}/admin/password", get(reveal))
        .route(
            "/portal/customers/{id}/admin/subscriptions/{sid}",
            post(change_subscription),
        )
        .route("/portal/customers/{id}/admin/users/{uid}", get(user_view))
        .route(
            "/portal/customers/{id}/admin/users/{uid}/profile",
            post(edit_user),
        )
        .route(
            "/portal/customers/{id}/admin/users/{uid}/password",
            post(reset_password),
        )
        .route(
            "/portal/customers/{id}/admin/users/{uid}/delete",
            post(delete_user),
        )
        .route(
            "/portal/customers/{id}/admin/users/{uid}/restore",
            post(restore_user),
        )
        .route(
            "/portal/customers/{id}/admin/users/{uid}/licenses",
            post(set_licenses),
        )
        .route(
            "/portal/customers/{id}/admin/users/{uid}/roles",
            post(set_roles),
        )
}

/// Users per page of the user list.
const PAGE_SIZE: u32 = 20;

/// Where on the page a refusal belongs: beside the form that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Create,
    Profile,
    Password,
    Licenses,
    Roles,
    Delete,
    Restore,
    Subscription(SubscriptionId),
}

/// A refused form: where it goes, the reason in the reader's language, and the status.
struct Problem {
    slot: Slot,
    text: String,
    status: StatusCode,
}

impl Problem {
    fn at(&self, slot: &Slot) -> Option<&str> {
        (self.slot == *slot).then_some(self.text.as_str())
    }
}

/// A refusal whose form is not on the page (the caller may not use it): shown at the top.
fn orphan(p: Option<&Problem>, shown: impl Fn(&Slot) -> bool) -> Markup {
    html! {
        @if let Some(p) = p.filter(|p| !shown(&p.slot)) {
            div.alert.bad.refusal role="alert" { (p.text) }
        }
    }
}

/// Whether the user page draws the form a slot belongs to.
fn user_slot_shown(slot: &Slot, d: &UserDetail) -> bool {
    let active = d.user.state.is_active();
    match slot {
        Slot::Profile | Slot::Delete => d.may.manage_users && active,
        Slot::Password => d.may.reset_passwords && active,
        Slot::Licenses => d.may.read_licenses,
        Slot::Roles => d.may.manage_roles,
        Slot::Restore => d.may.manage_users && !active,
        Slot::Create | Slot::Subscription(_) => false,
    }
}

fn show_problem(p: Option<&Problem>, slot: Slot) -> Markup {
    html! {
        @if let Some(text) = p.and_then(|p| p.at(&slot)) {
            div.alert.bad.refusal role="alert" { (text) }
        }
    }
}

/// The words for a refused change, in the reader's language; never the domain's English.
fn refusal_text(lang: &str, slot: &Slot, domain: &str, e: &Error) -> String {
    let key = match e {
        Error::Refused(Refusal::TargetOutranksCaller) => "cadmin.refused.outranks",
        Error::Refused(Refusal::RoleNotGrantable) => "cadmin.refused.not_grantable",
        Error::Refused(Refusal::NoDelegatedGrant) => "cadmin.refused.no_grant",
        Error::Refused(Refusal::NoCustomerRelationship) => "cadmin.refused.no_relationship",
        Error::Refused(_) | Error::Forbidden(_) => "cadmin.refused.missing_role",
        Error::PreconditionFailed => "cadmin.refused.stale",
        Error::Conflict { code, .. } => match code {
            Code::LastGlobalAdministrator => "cadmin.refused.last_admin",
            Code::CannotActOnSelf => "cadmin.refused.self",
            Code::NotEnoughSeats => "cadmin.refused.seats",
            Code::QuantityCannotDecrease => "cadmin.refused.assigned",
            Code::CancellationWindowClosed => "cadmin.refused.window",
            Code::InvalidSubscriptionChange => "cadmin.refused.change",
            Code::QuantityOutOfRange => "cadmin.refused.range",
            _ if *slot == Slot::Licenses => "cadmin.refused.inactive",
            _ => "cadmin.refused.conflict",
        },
        Error::Validation(fields) => {
            let field = fields.first().map(|f| f.field.as_str()).unwrap_or_default();
            match field {
                "userPrincipalName" => {
                    return tf(lang, "cadmin.invalid.upn", &[("domain", domain)]);
                }
                "displayName" => "cadmin.invalid.name",
                "usageLocation" => "cadmin.invalid.location",
                _ => "form.invalid",
            }
        }
        _ => "error.title",
    };
    t(lang, key)
}

fn status_for(e: &Error) -> StatusCode {
    crate::web::status_of(e)
}

fn opts<'a>(app: &App, title: &'a str) -> PageOpts<'a> {
    PageOpts {
        title,
        active: "/portal/customers",
        mail_public: app.config.mail_viewer_public,
    }
}

fn admin_path(id: &str) -> String {
    format!("/portal/customers/{id}/admin")
}

fn user_path(id: &str, uid: &str) -> String {
    format!("/portal/customers/{id}/admin/users/{uid}")
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    after: Option<String>,
    after_id: Option<String>,
    /// Where the subscriptions continue (created time, id of the last one shown).
    subs_after: Option<String>,
    subs_after_id: Option<String>,
}

impl PageQuery {
    fn pages(&self) -> uc::Pages<'_> {
        fn pair<'a>(k: &'a Option<String>, i: &'a Option<String>) -> Option<(&'a str, &'a str)> {
            Some((k.as_deref()?, i.as_deref()?))
        }
        uc::Pages {
            users: pair(&self.after, &self.after_id),
            subscriptions: pair(&self.subs_after, &self.subs_after_id),
        }
    }

    /// The query of the subscriptions page shown (empty for the first page).
    fn subscriptions_query(&self) -> String {
        match (&self.subs_after, &self.subs_after_id) {
            (Some(k), Some(i)) => {
                format!(
                    "?subs_after={}&subs_after_id={}",
                    url_escape(k),
                    url_escape(i)
                )
            }
            _ => String::new(),
        }
    }
}

/// The administration page of one customer.
pub async fn page_view(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    render_admin(&app, &s, &id, &q, None, None).await
}

async fn render_admin(
    app: &App,
    s: &SignedIn,
    id: &str,
    q: &PageQuery,
    problem: Option<Problem>,
    prefill: Option<&FormData>,
) -> Response {
    let (visit, ctx) = (&s.visit, &s.ctx);
    let o = match uc::overview(app, ctx, id, q.pages(), PAGE_SIZE).await {
        Ok(o) => o,
        Err(e) => return domain_error(visit, e),
    };
    let lang = visit.lang();
    let title = tf(lang, "cadmin.title", &[("name", &o.customer.display_name)]);
    let p = problem.as_ref();
    let body = html! {
        p { a #back-to-record href={"/portal/customers/" (o.customer.id)} { (t(lang, "cadmin.back")) } }
        h1 #cadmin-title { (title) }
        (orphan(p, |slot| match slot {
            Slot::Subscription(sid) => o.subscriptions.iter().any(|s| s.id == *sid),
            Slot::Create => o.may.read_users && o.may.manage_users,
            _ => false,
        }))
        @if o.may.read_users { (users_section(visit, &o, p, prefill)) }
        @if o.may.read_licenses { (seats_section(lang, &o.seats)) }
        (subscriptions_section(app, visit, &o, q, p))
        (orders_section(lang, &o))
    };
    let status = problem.as_ref().map_or(StatusCode::OK, |p| p.status);
    (status, page(visit, opts(app, &title), body)).into_response()
}

/// Names of SKUs by `productId:skuId`, for license lists.
fn sku_name<'a>(seats: &'a [SubscribedSku], id: &'a str) -> &'a str {
    seats
        .iter()
        .find(|s| s.sku_id == id)
        .map_or(id, |s| s.name.as_str())
}

fn role_names(lang: &str, roles: &[GrantRole]) -> Markup {
    html! {
        @if roles.is_empty() { span.muted { (t(lang, "cadmin.none")) } }
        @for r in roles { span.tag { (labels::role(lang, r.as_str())) } }
    }
}

fn users_section(
    visit: &Visit,
    o: &Overview,
    p: Option<&Problem>,
    prefill: Option<&FormData>,
) -> Markup {
    let lang = visit.lang();
    let id = o.customer.id.to_string();
    let value = |k: &str| prefill.map(|f| f.get(k)).unwrap_or_default();
    html! {
        section #users-section aria-labelledby="users-heading" {
            h2 #users-heading { (t(lang, "cadmin.users")) " " span.muted { "(" (o.total_users) ")" } }
            table #admin-users {
                thead { tr {
                    th scope="col" { (t(lang, "cadmin.upn")) } th scope="col" { (t(lang, "cadmin.name")) }
                    th scope="col" { (t(lang, "cadmin.state")) } th scope="col" { (t(lang, "cadmin.roles")) }
                    th scope="col" { (t(lang, "cadmin.licenses")) }
                } }
                tbody {
                    @for l in &o.users {
                        tr.admin-user data-user=(l.user.id) {
                            td { a.user-link href=(user_path(&id, &l.user.id.to_string())) { (l.user.upn) } }
                            td { (l.user.display_name) }
                            td { (labels::pill(lang, l.user.state.as_str())) }
                            td { (role_names(lang, &l.roles)) }
                            td.user-licenses {
                                @if l.licenses.is_empty() { span.muted { (t(lang, "cadmin.none")) } }
                                @for s in &l.licenses { span.tag { (sku_name(&o.seats, s)) } }
                            }
                        }
                    }
                }
            }
            @if let Some((upn, uid)) = &o.next {
                p { a #next-users href={(admin_path(&id)) "?after=" (url_escape(upn)) "&after_id=" (url_escape(uid))} { (t(lang, "cadmin.next_page")) } }
            }
            @if o.may.manage_users {
                form.card method="post" action={(admin_path(&id)) "/users"} #create-user {
                    h3 { (t(lang, "cadmin.create")) }
                    p.muted { (t(lang, "cadmin.create_hint")) }
                    (csrf(visit.csrf()))
                    label for="new-upn" { (t(lang, "cadmin.upn")) }
                    input #new-upn type="email" name="upn" value=(value("upn")) placeholder={"name@" (o.customer.domain)} autocomplete="off";
                    label for="new-display-name" { (t(lang, "cadmin.name")) }
                    input #new-display-name type="text" name="display_name" value=(value("display_name"));
                    label for="new-first-name" { (t(lang, "cadmin.first_name")) }
                    input #new-first-name type="text" name="first_name" value=(value("first_name"));
                    label for="new-last-name" { (t(lang, "cadmin.last_name")) }
                    input #new-last-name type="text" name="last_name" value=(value("last_name"));
                    (location_select(lang, "new-usage-location", Some(value("usage_location").as_str())))
                    (show_problem(p, Slot::Create))
                    p { button #create-user-submit type="submit" { (t(lang, "cadmin.create_submit")) } }
                }
            }
        }
    }
}

fn seats_section(lang: &str, seats: &[SubscribedSku]) -> Markup {
    html! {
        section #seats-section aria-labelledby="seats-heading" {
            h2 #seats-heading { (t(lang, "cadmin.seats")) }
            @if seats.is_empty() { p #seats-empty { (t(lang, "cadmin.no_seats")) } } @else {
                table #admin-seats {
                    thead { tr { th scope="col" { (t(lang, "cadmin.product")) } th scope="col" { (t(lang, "cadmin.used")) } th scope="col" { (t(lang, "cadmin.available")) } } }
                    tbody { @for s in seats {
                        tr.seat data-sku=(s.sku_id) {
                            td { (s.name) }
                            td.seat-use { (tf(lang, "cadmin.used_of", &[("used", &s.consumed_units.to_string()), ("total", &s.active_units.to_string())])) }
                            td { (s.available()) }
                        }
                    } }
                }
            }
        }
    }
}

fn subscriptions_section(
    app: &App,
    visit: &Visit,
    o: &Overview,
    q: &PageQuery,
    p: Option<&Problem>,
) -> Markup {
    let lang = visit.lang();
    // The subscription forms come back to the page of subscriptions they were drawn on.
    let here = q.subscriptions_query();
    html! {
        section #subscriptions-section aria-labelledby="subscriptions-heading" {
            h2 #subscriptions-heading { (t(lang, "cadmin.subscriptions")) }
            @if o.subscriptions.is_empty() { p #subscriptions-empty { (t(lang, "services.none")) } }
            @for s in &o.subscriptions {
                div.card.admin-subscription data-subscription=(s.id) {
                    h3 { (s.friendly_name) " " (labels::pill(lang, s.status.as_str())) }
                    p.muted { (tf(lang, "cadmin.sub_facts", &[("n", &s.quantity.to_string()), ("price", &format!("{} {}", s.unit_price, s.currency)), ("cycle", &labels::billing_cycle(lang, &s.billing_cycle))])) }
                    @if o.may.manage_subscriptions && changeable(s) {
                        (subscription_forms(app, visit, &o.customer.id.to_string(), &here, s))
                    }
                    (show_problem(p, Slot::Subscription(s.id)))
                }
            }
            @if let Some((at, sid)) = &o.subscriptions_next {
                p { a #next-subscriptions href={(admin_path(&o.customer.id.to_string())) "?subs_after=" (url_escape(at)) "&subs_after_id=" (url_escape(sid)) "#subscriptions-section"} { (t(lang, "cadmin.next_subscriptions")) } }
            }
        }
    }
}

/// Only a running or suspended subscription changes seats or state.
fn changeable(s: &SubscriptionRow) -> bool {
    matches!(
        s.status,
        SubscriptionStatus::Active | SubscriptionStatus::Suspended
    )
}

fn day(ms: i64) -> String {
    crate::clock::from_ms(ms).format("%Y-%m-%d").to_string()
}

fn subscription_forms(
    app: &App,
    visit: &Visit,
    id: &str,
    here: &str,
    s: &SubscriptionRow,
) -> Markup {
    let lang = visit.lang();
    let action = format!("{}/subscriptions/{}{here}", admin_path(id), s.id);
    let qty_id = format!("quantity-{}", s.id);
    let confirm_id = format!("cancel-confirm-{}", s.id);
    let open = app.clock.now_ms() <= s.cancel_until;
    html! {
        form.inline-form method="post" action=(action) {
            (csrf(visit.csrf()))
            input type="hidden" name="version" value=(s.version);
            input type="hidden" name="do" value="quantity";
            label for=(qty_id) { (t(lang, "cadmin.quantity")) }
            input id=(qty_id) type="number" name="quantity" min="1" value=(s.quantity);
            " " button.change-quantity type="submit" { (t(lang, "cadmin.change_quantity")) }
        }
        form method="post" action=(action) {
            (csrf(visit.csrf()))
            input type="hidden" name="version" value=(s.version);
            @if s.status == SubscriptionStatus::Active {
                button.secondary.suspend type="submit" name="do" value="suspend" { (t(lang, "cadmin.suspend")) }
            } @else {
                button.secondary.reactivate type="submit" name="do" value="reactivate" { (t(lang, "cadmin.reactivate")) }
            }
        }
        @if open {
            form method="post" action=(action) {
                (csrf(visit.csrf()))
                input type="hidden" name="version" value=(s.version);
                p.muted { (tf(lang, "cadmin.cancel_until", &[("date", &day(s.cancel_until))])) }
                label.choice {
                    input id=(confirm_id) type="checkbox" name="confirm" value="yes";
                    " " (tf(lang, "cadmin.cancel_confirm", &[("n", &s.quantity.to_string())]))
                }
                button.danger.cancel type="submit" name="do" value="cancel" { (t(lang, "cadmin.cancel")) }
            }
        } @else {
            p.muted.cancel-closed { (tf(lang, "cadmin.cancel_closed", &[("date", &day(s.cancel_until))])) }
        }
    }
}

fn orders_section(lang: &str, o: &Overview) -> Markup {
    html! {
        section #orders-section aria-labelledby="orders-heading" {
            h2 #orders-heading { (t(lang, "cadmin.orders")) }
            @if o.orders.is_empty() { p #orders-empty { (t(lang, "cadmin.orders_none")) } } @else {
                table #admin-orders {
                    thead { tr { th scope="col" { (t(lang, "cadmin.order_date")) } th scope="col" { (t(lang, "cadmin.status")) } th scope="col" { (t(lang, "cadmin.order_total")) } } }
                    tbody { @for ord in &o.orders {
                        tr.order data-order=(ord.id) {
                            td { (day(ord.created_at)) }
                            td { (labels::pill(lang, ord.status.as_str())) }
                            td { (ord.total) " " (ord.currency) }
                        }
                    } }
                }
            }
        }
    }
}

/// One user of the customer: profile, password, licenses, roles, delete or restore.
pub async fn user_view(
    State(app): State<App>,
    s: SignedIn,
    Path((id, uid)): Path<(String, String)>,
) -> Response {
    render_user(&app, &s, &id, &uid, None).await
}

async fn render_user(
    app: &App,
    s: &SignedIn,
    id: &str,
    uid: &str,
    problem: Option<Problem>,
) -> Response {
    let visit = &s.visit;
    let d = match uc::user_detail(app, &s.ctx, id, uid).await {
        Ok(d) => d,
        Err(e) => return domain_error(visit, e),
    };
    let lang = visit.lang();
    let title = d.user.upn.clone();
    let p = problem.as_ref();
    let active = d.user.state.is_active();
    let body = html! {
        p { a #back-to-admin href=(admin_path(id)) { (tf(lang, "cadmin.title", &[("name", &d.customer.display_name)])) } }
        h1 #cadmin-user { (d.user.upn) }
        (orphan(p, |slot| user_slot_shown(slot, &d)))
        div.card { dl.facts {
            dt { (t(lang, "cadmin.name")) } dd #user-name { (d.user.display_name) }
            dt { (t(lang, "cadmin.state")) } dd #user-state { (labels::pill(lang, d.user.state.as_str())) }
            dt { (t(lang, "cadmin.usage_location")) } dd #user-location { (d.user.usage_location.clone().unwrap_or_else(|| t(lang, "cadmin.usage_location_none"))) }
            dt { (t(lang, "cadmin.roles")) } dd #user-roles { (role_names(lang, &d.roles)) }
        } }
        @if d.may.manage_users && active { (profile_form(visit, id, &d, p)) }
        @if d.may.reset_passwords && active { (password_form(visit, id, &d, p)) }
        @if d.may.read_licenses { (licenses_form(visit, id, &d, p)) }
        @if d.may.manage_roles { (roles_form(visit, id, &d, p)) }
        @if d.may.manage_users { (removal_form(visit, id, &d, p)) }
    };
    let status = problem.as_ref().map_or(StatusCode::OK, |p| p.status);
    (status, page(visit, opts(app, &title), body)).into_response()
}

/// A usage-location choice: empty (not set) or one of the portal's countries.
fn location_select(lang: &str, id: &str, current: Option<&str>) -> Markup {
    html! {
        label for=(id) { (t(lang, "cadmin.usage_location")) }
        select id=(id) name="usage_location" {
            option value="" selected[current.is_none_or(str::is_empty)] { (t(lang, "cadmin.usage_location_none")) }
            @for (code, name) in super::enroll::COUNTRIES {
                option value=(code) selected[current == Some(*code)] { (name) }
            }
        }
    }
}

fn profile_form(visit: &Visit, id: &str, d: &UserDetail, p: Option<&Problem>) -> Markup {
    let lang = visit.lang();
    let u = &d.user;
    html! {
        form.card method="post" action={(user_path(id, &u.id.to_string())) "/profile"} #profile-form {
            h2 { (t(lang, "cadmin.profile")) }
            (csrf(visit.csrf()))
            label for="display_name" { (t(lang, "cadmin.name")) }
            input #display_name type="text" name="display_name" value=(u.display_name);
            label for="first_name" { (t(lang, "cadmin.first_name")) }
            input #first_name type="text" name="first_name" value=(u.first_name);
            label for="last_name" { (t(lang, "cadmin.last_name")) }
            input #last_name type="text" name="last_name" value=(u.last_name);
            (location_select(lang, "usage_location", u.usage_location.as_deref()))
            (show_problem(p, Slot::Profile))
            p { button #save-profile type="submit" { (t(lang, "cadmin.save")) } }
        }
    }
}

fn password_form(visit: &Visit, id: &str, d: &UserDetail, p: Option<&Problem>) -> Markup {
    let lang = visit.lang();
    html! {
        form.card method="post" action={(user_path(id, &d.user.id.to_string())) "/password"} #password-form {
            h2 { (t(lang, "cadmin.password")) }
            p.muted { (t(lang, "cadmin.reset_hint")) }
            (csrf(visit.csrf()))
            (show_problem(p, Slot::Password))
            button.secondary #reset-password type="submit" { (t(lang, "cadmin.reset")) }
        }
    }
}

fn licenses_form(visit: &Visit, id: &str, d: &UserDetail, p: Option<&Problem>) -> Markup {
    let lang = visit.lang();
    let editable = d.may.assign_licenses && d.user.state.is_active();
    html! {
        form.card method="post" action={(user_path(id, &d.user.id.to_string())) "/licenses"} #licenses-form {
            h2 { (t(lang, "cadmin.licenses")) }
            (csrf(visit.csrf()))
            @if d.seats.is_empty() { p #licenses-empty { (t(lang, "cadmin.no_seats")) } } @else {
                fieldset {
                    legend { (t(lang, "cadmin.licenses_legend")) }
                    @for s in &d.seats {
                        label.choice {
                            input type="checkbox" name="sku" value=(s.sku_id) checked[d.licenses.contains(&s.sku_id)] disabled[!editable];
                            " " (s.name) " "
                            span.muted { "(" (tf(lang, "cadmin.used_of", &[("used", &s.consumed_units.to_string()), ("total", &s.active_units.to_string())])) ")" }
                        }
                    }
                }
            }
            (show_problem(p, Slot::Licenses))
            @if editable && !d.seats.is_empty() { button #save-licenses type="submit" { (t(lang, "cadmin.licenses_save")) } }
        }
    }
}

fn roles_form(visit: &Visit, id: &str, d: &UserDetail, p: Option<&Problem>) -> Markup {
    let lang = visit.lang();
    html! {
        form.card method="post" action={(user_path(id, &d.user.id.to_string())) "/roles"} #roles-form {
            h2 { (t(lang, "cadmin.roles")) }
            (csrf(visit.csrf()))
            fieldset {
                legend { (t(lang, "cadmin.roles_legend")) }
                @for (g, _) in customer_users::DIRECTORY_ROLES {
                    @let held = d.roles.contains(&g);
                    @let may = d.grantable.contains(&g);
                    label.choice {
                        input type="checkbox" name="role" value=(g.as_str()) checked[held] disabled[!may];
                        " " (labels::role(lang, g.as_str()))
                        @if !may { " " span.muted { "(" (t(lang, "cadmin.role_outside")) ")" } }
                    }
                    // A held role the caller cannot hand out is kept as it is.
                    @if held && !may { input type="hidden" name="role" value=(g.as_str()); }
                }
            }
            (show_problem(p, Slot::Roles))
            button #save-roles type="submit" { (t(lang, "cadmin.roles_save")) }
        }
    }
}

fn removal_form(visit: &Visit, id: &str, d: &UserDetail, p: Option<&Problem>) -> Markup {
    let lang = visit.lang();
    let base = user_path(id, &d.user.id.to_string());
    html! {
        @if d.user.state.is_active() {
            form.card method="post" action={(base) "/delete"} #delete-form {
                h2 { (t(lang, "cadmin.delete")) }
                (csrf(visit.csrf()))
                label.choice {
                    input #delete-confirm type="checkbox" name="confirm" value="yes";
                    " " (tf(lang, "cadmin.delete_confirm", &[("upn", &d.user.upn)]))
                }
                (show_problem(p, Slot::Delete))
                button.danger #delete-user type="submit" { (t(lang, "cadmin.delete")) }
            }
        } @else {
            form.card method="post" action={(base) "/restore"} #restore-form {
                h2 { (t(lang, "cadmin.restore")) }
                p.muted { (t(lang, "cadmin.restore_hint")) }
                (csrf(visit.csrf()))
                (show_problem(p, Slot::Restore))
                button #restore-user type="submit" { (t(lang, "cadmin.restore")) }
            }
        }
    }
}

/// The refused form shown on the user's page, or the error page when the user or customer
/// is not there for the caller.
async fn user_refused(
    app: &App,
    s: &SignedIn,
    id: &str,
    uid: &str,
    slot: Slot,
    e: Error,
) -> Response {
    if matches!(e, Error::NotFound(_) | Error::Internal(_)) {
        return domain_error(&s.visit, e);
    }
    let problem = Problem {
        text: refusal_text(s.lang(), &slot, &customer_domain(app, s, id).await, &e),
        status: status_for(&e),
        slot,
    };
    render_user(app, s, id, uid, Some(problem)).await
}

/// The customer's domain, for the message about a sign-in name outside it (empty when the
/// caller cannot see the customer: the page load then refuses and gives nothing away).
async fn customer_domain(app: &App, s: &SignedIn, id: &str) -> String {
    crate::app::customers::visible(app, &s.ctx, id)
        .await
        .map(|(t, _)| t.domain)
        .unwrap_or_default()
}

/// The shared refusal of a destructive form sent without its ticked box.
fn confirm_missing(s: &SignedIn, slot: Slot) -> Problem {
    Problem {
        slot,
        text: needs_confirmation(s.lang(), None),
        status: REFUSED,
    }
}

pub async fn create_user(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let new = NewCustomerUser {
        upn: f.trimmed("upn"),
        display_name: f.trimmed("display_name"),
        first_name: f.trimmed("first_name"),
        last_name: f.trimmed("last_name"),
        password: None,
        usage_location: Some(f.trimmed("usage_location")),
    };
    match customer_users::create(&app, &s.ctx, &id, new).await {
        Ok((u, password)) => {
            let flash = Flash::ok("cadmin.done.created").with("upn", &u.upn);
            reveal_redirect(&app, &s.visit, &id, &u, password, flash).await
        }
        Err(e @ (Error::NotFound(_) | Error::Internal(_))) => domain_error(&s.visit, e),
        Err(e) => {
            let problem = Problem {
                text: refusal_text(
                    s.lang(),
                    &Slot::Create,
                    &customer_domain(&app, &s, &id).await,
                    &e,
                ),
                status: status_for(&e),
                slot: Slot::Create,
            };
            let q = PageQuery::default();
            render_admin(&app, &s, &id, &q, Some(problem), Some(&f)).await
        }
    }
}

pub async fn edit_user(
    State(app): State<App>,
    s: SignedIn,
    Path((id, uid)): Path<(String, String)>,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let patch = Patch {
        display_name: Some(f.trimmed("display_name")),
        first_name: Some(f.trimmed("first_name")),
        last_name: Some(f.trimmed("last_name")),
        usage_location: Some(f.trimmed("usage_location")),
        ..Default::default()
    };
    match customer_users::update(&app, &s.ctx, &id, &uid, patch).await {
        Ok(u) => see_other(
            &user_path(&id, &uid),
            Flash::ok("cadmin.done.saved").with("upn", u.upn),
        ),
        Err(e) => user_refused(&app, &s, &id, &uid, Slot::Profile, e).await,
    }
}

pub async fn reset_password(
    State(app): State<App>,
    s: SignedIn,
    Path((id, uid)): Path<(String, String)>,
    VerifiedForm(_): VerifiedForm,
) -> Response {
    match uc::reset_password(&app, &s.ctx, &id, &uid).await {
        Ok((u, password)) => {
            let flash = Flash::ok("cadmin.done.reset").with("upn", &u.upn);
            reveal_redirect(&app, &s.visit, &id, &u, password, flash).await
        }
        Err(e) => user_refused(&app, &s, &id, &uid, Slot::Password, e).await,
    }
}

pub async fn delete_user(
    State(app): State<App>,
    s: SignedIn,
    Path((id, uid)): Path<(String, String)>,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    if !confirmed(&f) {
        let problem = confirm_missing(&s, Slot::Delete);
        return render_user(&app, &s, &id, &uid, Some(problem)).await;
    }
    match customer_users::delete(&app, &s.ctx, &id, &uid).await {
        Ok(()) => see_other(&user_path(&id, &uid), Flash::ok("cadmin.done.deleted")),
        Err(e) => user_refused(&app, &s, &id, &uid, Slot::Delete, e).await,
    }
}

pub async fn restore_user(
    State(app): State<App>,
    s: SignedIn,
    Path((id, uid)): Path<(String, String)>,
    VerifiedForm(_): VerifiedForm,
) -> Response {
    let patch = Patch {
        state: Some("active".into()),
        ..Default::default()
    };
    match customer_users::update(&app, &s.ctx, &id, &uid, patch).await {
        Ok(_) => see_other(&user_path(&id, &uid), Flash::ok("cadmin.done.restored")),
        Err(e) => user_refused(&app, &s, &id, &uid, Slot::Restore, e).await,
    }
}

pub async fn set_licenses(
    State(app): State<App>,
    s: SignedIn,
    Path((id, uid)): Path<(String, String)>,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let wanted: BTreeSet<String> = f.all("sku").into_iter().collect();
    match uc::set_licenses(&app, &s.ctx, &id, &uid, &wanted).await {
        Ok(_) => see_other(&user_path(&id, &uid), Flash::ok("cadmin.done.licenses")),
        Err(e) => user_refused(&app, &s, &id, &uid, Slot::Licenses, e).await,
    }
}

pub async fn set_roles(
    State(app): State<App>,
    s: SignedIn,
    Path((id, uid)): Path<(String, String)>,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let wanted: BTreeSet<GrantRole> = f
        .all("role")
        .iter()
        .filter_map(|r| GrantRole::parse(r))
        .collect();
    match uc::set_roles(&app, &s.ctx, &id, &uid, &wanted).await {
        Ok(_) => see_other(&user_path(&id, &uid), Flash::ok("cadmin.done.roles")),
        Err(e) => user_refused(&app, &s, &id, &uid, Slot::Roles, e).await,
    }
}

/// What a subscription form asks for, read from its `do` field, with the message its
/// success leaves.
enum SubscriptionAsk {
    Change(SubscriptionPatch, Flash),
    /// A cancellation without its ticked box.
    Unconfirmed,
    /// A seat count that is not a number.
    BadQuantity,
}

fn subscription_ask(f: &FormData) -> SubscriptionAsk {
    let status = |s: &str| SubscriptionPatch {
        status: Some(s.into()),
        ..Default::default()
    };
    match f.get("do").as_str() {
        "suspend" => {
            SubscriptionAsk::Change(status("suspended"), Flash::ok("cadmin.done.suspended"))
        }
        "reactivate" => {
            SubscriptionAsk::Change(status("active"), Flash::ok("cadmin.done.reactivated"))
        }
        "cancel" if confirmed(f) => {
            SubscriptionAsk::Change(status("deleted"), Flash::ok("cadmin.done.cancelled"))
        }
        "cancel" => SubscriptionAsk::Unconfirmed,
        _ => match f.get("quantity").trim().parse::<i64>() {
            Ok(q) => SubscriptionAsk::Change(
                SubscriptionPatch {
                    quantity: Some(q),
                    ..Default::default()
                },
                Flash::ok("cadmin.done.quantity").with("n", q.to_string()),
            ),
            Err(_) => SubscriptionAsk::BadQuantity,
        },
    }
}

pub async fn change_subscription(
    State(app): State<App>,
    s: SignedIn,
    Path((id, sid)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let sid = match SubscriptionId::named(&sid) {
        Ok(sid) => sid,
        Err(e) => return domain_error(&s.visit, e),
    };
    let slot = Slot::Subscription(sid);
    let (patch, flash) = match subscription_ask(&f) {
        SubscriptionAsk::Change(patch, flash) => (patch, flash),
        SubscriptionAsk::Unconfirmed => {
            let problem = confirm_missing(&s, slot);
            return render_admin(&app, &s, &id, &q, Some(problem), None).await;
        }
        SubscriptionAsk::BadQuantity => {
            let problem = Problem {
                slot,
                text: t(s.lang(), "cadmin.invalid.quantity"),
                status: REFUSED,
            };
            return render_admin(&app, &s, &id, &q, Some(problem), None).await;
        }
    };
    // The version the form was drawn with: a form older than the subscription is refused.
    let version = f.get("version").parse().ok();
    match update_subscription(&app, &s.ctx, &id, sid, patch, version).await {
        Ok(_) => {
            let back = format!("{}{}", admin_path(&id), q.subscriptions_query());
            see_other(&back, flash)
        }
        Err(e @ (Error::NotFound(_) | Error::Internal(_))) => domain_error(&s.visit, e),
        Err(e) => {
            let problem = Problem {
                text: refusal_text(s.lang(), &slot, "", &e),
                status: status_for(&e),
                slot,
            };
            render_admin(&app, &s, &id, &q, Some(problem), None).await
        }
    }
}

fn reveal_cookie(app: &App) -> &'static str {
    if app.config.cookie_secure {
        "__Host-partnerhub-reveal"
    } else {
        "partnerhub_reveal"
    }
}

fn set_reveal_cookie(app: &App, resp: &mut Response, value: &str, max_age: i64) {
    let secure = if app.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let v = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
        reveal_cookie(app)
    );
    if let Ok(v) = HeaderValue::from_str(&v) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// A new password goes to the reveal page sealed in a short-lived cookie bound to this
/// session: never in the address, never in a log (the flash says what was done).
async fn reveal_redirect(
    app: &App,
    visit: &Visit,
    id: &str,
    u: &UserRow,
    password: String,
    flash: Flash,
) -> Response {
    let sealed = match uc::seal_reveal(app, &visit.token_hash, id, u, password).await {
        Ok(s) => s,
        Err(e) => return domain_error(visit, e),
    };
    let mut resp = see_other(&format!("{}/password", admin_path(id)), flash);
    set_reveal_cookie(app, &mut resp, &sealed, uc::REVEAL_SECS);
    resp
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Shows a generated password once, then forgets it (the cookie is cleared with the answer).
pub async fn reveal(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let visit = s.visit;
    let lang = visit.lang();
    let r = match cookie_value(&headers, reveal_cookie(&app)) {
        Some(v) => match uc::open_reveal(&app, &visit.token_hash, v).await {
            Ok(r) => r.filter(|r| r.customer == id),
            Err(e) => return domain_error(&visit, e),
        },
        None => None,
    };
    let title = t(lang, "cadmin.reveal_title");
    let body = html! {
        p { a #back-to-admin href=(admin_path(&id)) { (t(lang, "cadmin.back_admin")) } }
        h1 { (title) }
        @match &r {
            Some(r) => {
                div.card #password-reveal {
                    p { (tf(lang, "cadmin.reveal_intro", &[("upn", &r.upn)])) }
                    label for="new-password" { (t(lang, "cadmin.reveal_label")) }
                    input #new-password type="text" readonly value=(r.password) autocomplete="off";
                    p.actions {
                        button.secondary type="button" data-copy="new-password" data-copied=(t(lang, "resellers.copied")) { (t(lang, "cadmin.copy")) }
                        a.button #open-user href=(user_path(&id, &r.user)) { (t(lang, "cadmin.open_user")) }
                    }
                }
            }
            None => { p #reveal-gone { (t(lang, "cadmin.reveal_gone")) } }
        }
    };
    let mut resp = page(&visit, opts(&app, &title), body).into_response();
    set_reveal_cookie(&app, &mut resp, "", 0);
    resp
}
