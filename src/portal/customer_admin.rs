//! Customer administration from the record (`/portal/customers/{id}/admin`): the customer's
//! users (create, edit, reset password, delete and restore), their licenses within the seats,
//! their directory roles within the caller's grant, the subscriptions (seats with the row
//! version, suspend, reactivate, cancel within the window) and the orders. Reads and changes
//! go through `app::customer_admin` and the use cases the API calls; a success answers 303
//! back to the page with `?done=<what>`, a refusal re-renders the page with the reason
//! beside the control that caused it.

use super::form::{csrf, FormData};
use super::i18n::{t, tf};
use super::labels;
use super::layout::{domain_error, page, PageOpts};
use super::session::{to_signin, url_escape, Visit};
use crate::app::commerce::{update_subscription, SubscriptionPatch};
use crate::app::customer_admin::{self as uc, Overview, SubscriptionRow, UserDetail, UserRow};
use crate::app::customer_users::{self, NewCustomerUser, Patch};
use crate::app::licenses::SubscribedSku;
use crate::app::{App, Ctx};
use crate::domain::commerce::SubscriptionStatus;
use crate::domain::customer::GrantRole;
use crate::domain::error::Code;
use crate::domain::refusal::Refusal;
use crate::domain::Error;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::BTreeSet;

/// The area's routes, mounted by `portal::router` inside the session layer.
pub fn routes() -> Router<App> {
    let base = "/portal/customers/{id}/admin";
    let user = "/portal/customers/{id}/admin/users/{uid}";
    Router::new()
        .route(base, get(page_view))
        .route(&format!("{base}/users"), post(create_user))
        .route(&format!("{base}/password"), get(reveal))
        .route(
            &format!("{base}/subscriptions/{{sid}}"),
            post(change_subscription),
        )
        .route(user, get(user_view))
        .route(&format!("{user}/profile"), post(edit_user))
        .route(&format!("{user}/password"), post(reset_password))
        .route(&format!("{user}/delete"), post(delete_user))
        .route(&format!("{user}/restore"), post(restore_user))
        .route(&format!("{user}/licenses"), post(set_licenses))
        .route(&format!("{user}/roles"), post(set_roles))
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
    Subscription(String),
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

/// The success message for `?done=<what>`; an unknown word shows nothing.
fn done_text(lang: &str, done: Option<&str>) -> Option<String> {
    const KNOWN: [&str; 9] = [
        "saved",
        "deleted",
        "restored",
        "licenses",
        "roles",
        "quantity",
        "suspended",
        "reactivated",
        "cancelled",
    ];
    let d = done.filter(|d| KNOWN.contains(d))?;
    Some(t(lang, &format!("cadmin.done.{d}")))
}

fn notice(text: Option<String>) -> Markup {
    html! { @if let Some(n) = text { div.alert.ok #notice role="status" { (n) } } }
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    done: Option<String>,
    after: Option<String>,
    after_id: Option<String>,
}

/// The administration page of one customer.
pub async fn page_view(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    render_admin(&app, &visit, &id, &q, None, None).await
}

async fn render_admin(
    app: &App,
    visit: &Visit,
    id: &str,
    q: &PageQuery,
    problem: Option<Problem>,
    prefill: Option<&FormData>,
) -> Response {
    let Some(ctx) = visit.ctx() else {
        return to_signin(&admin_path(id));
    };
    let after = match (&q.after, &q.after_id) {
        (Some(u), Some(i)) => Some((u.as_str(), i.as_str())),
        _ => None,
    };
    let o = match uc::overview(app, &ctx, id, after, PAGE_SIZE).await {
        Ok(o) => o,
        Err(e) => return domain_error(visit, e),
    };
    let lang = visit.lang();
    let title = tf(lang, "cadmin.title", &[("name", &o.customer.display_name)]);
    let p = problem.as_ref();
    let body = html! {
        p { a #back-to-record href={"/portal/customers/" (o.customer.id)} { (t(lang, "cadmin.back")) } }
        h1 #cadmin-title { (title) }
        (notice(done_text(lang, q.done.as_deref())))
        (orphan(p, |slot| matches!(slot, Slot::Subscription(_)) || (*slot == Slot::Create && o.may.read_users && o.may.manage_users)))
        @if o.may.read_users { (users_section(visit, &o, p, prefill)) }
        @if o.may.read_licenses { (seats_section(lang, &o.seats)) }
        (subscriptions_section(app, visit, &o, p))
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

fn subscriptions_section(app: &App, visit: &Visit, o: &Overview, p: Option<&Problem>) -> Markup {
    let lang = visit.lang();
    html! {
        section #subscriptions-section aria-labelledby="subscriptions-heading" {
            h2 #subscriptions-heading { (t(lang, "cadmin.subscriptions")) }
            @if o.subscriptions.is_empty() { p #subscriptions-empty { (t(lang, "services.none")) } }
            @for s in &o.subscriptions {
                div.card.admin-subscription data-subscription=(s.id) {
                    h3 { (s.friendly_name) " " (labels::pill(lang, s.status.as_str())) }
                    p.muted { (tf(lang, "cadmin.sub_facts", &[("n", &s.quantity.to_string()), ("price", &format!("{} {}", s.unit_price, s.currency)), ("cycle", &labels::billing_cycle(lang, &s.billing_cycle))])) }
                    @if o.may.manage_subscriptions && changeable(s) {
                        (subscription_forms(app, visit, &o.customer.id.to_string(), s))
                    }
                    (show_problem(p, Slot::Subscription(s.id.clone())))
                }
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

fn subscription_forms(app: &App, visit: &Visit, id: &str, s: &SubscriptionRow) -> Markup {
    let lang = visit.lang();
    let action = format!("{}/subscriptions/{}", admin_path(id), s.id);
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

#[derive(Deserialize, Default)]
pub struct UserQuery {
    done: Option<String>,
}

/// One user of the customer: profile, password, licenses, roles, delete or restore.
pub async fn user_view(
    State(app): State<App>,
    visit: Visit,
    Path((id, uid)): Path<(String, String)>,
    Query(q): Query<UserQuery>,
) -> Response {
    render_user(&app, &visit, &id, &uid, q.done.as_deref(), None).await
}

async fn render_user(
    app: &App,
    visit: &Visit,
    id: &str,
    uid: &str,
    done: Option<&str>,
    problem: Option<Problem>,
) -> Response {
    let Some(ctx) = visit.ctx() else {
        return to_signin(&user_path(id, uid));
    };
    let d = match uc::user_detail(app, &ctx, id, uid).await {
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
        (notice(done_text(lang, done)))
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

/// The signed-in context and the form of a POST, or the answer that ends it (sign-in or a
/// refused CSRF token).
fn begin(visit: &Visit, body: &Bytes, back: &str) -> Result<(Ctx, FormData), Response> {
    let f = FormData::parse(body);
    visit.check_csrf(&f.get("csrf"))?;
    let ctx = visit.ctx().ok_or_else(|| to_signin(back))?;
    Ok((ctx, f))
}

/// The refused form shown on the user's page, or the error page when the user or customer
/// is not there for the caller.
async fn user_refused(
    app: &App,
    visit: &Visit,
    id: &str,
    uid: &str,
    slot: Slot,
    e: Error,
) -> Response {
    if matches!(e, Error::NotFound(_) | Error::Internal(_)) {
        return domain_error(visit, e);
    }
    // A customer the caller cannot see at all gives nothing away: the page load refuses.
    let domain = match visit.ctx() {
        Some(ctx) => crate::app::customers::visible(app, &ctx, id)
            .await
            .map(|(t, _)| t.domain)
            .unwrap_or_default(),
        None => String::new(),
    };
    let problem = Problem {
        text: refusal_text(visit.lang(), &slot, &domain, &e),
        status: status_for(&e),
        slot,
    };
    render_user(app, visit, id, uid, None, Some(problem)).await
}

fn confirm_missing(visit: &Visit, slot: Slot) -> Problem {
    Problem {
        slot,
        text: t(visit.lang(), "cadmin.invalid.confirm"),
        status: StatusCode::BAD_REQUEST,
    }
}

pub async fn create_user(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (ctx, f) = match begin(&visit, &body, &admin_path(&id)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let new = NewCustomerUser {
        upn: f.trimmed("upn"),
        display_name: f.trimmed("display_name"),
        first_name: f.trimmed("first_name"),
        last_name: f.trimmed("last_name"),
        password: None,
        usage_location: Some(f.trimmed("usage_location")),
    };
    match customer_users::create(&app, &ctx, &id, new).await {
        Ok((u, password)) => reveal_redirect(&app, &visit, &id, &u, password).await,
        Err(e @ (Error::NotFound(_) | Error::Internal(_))) => domain_error(&visit, e),
        Err(e) => {
            let domain = crate::app::customers::visible(&app, &ctx, &id)
                .await
                .map(|(t, _)| t.domain)
                .unwrap_or_default();
            let problem = Problem {
                text: refusal_text(visit.lang(), &Slot::Create, &domain, &e),
                status: status_for(&e),
                slot: Slot::Create,
            };
            let q = PageQuery::default();
            render_admin(&app, &visit, &id, &q, Some(problem), Some(&f)).await
        }
    }
}

pub async fn edit_user(
    State(app): State<App>,
    visit: Visit,
    Path((id, uid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (ctx, f) = match begin(&visit, &body, &user_path(&id, &uid)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let patch = Patch {
        display_name: Some(f.trimmed("display_name")),
        first_name: Some(f.trimmed("first_name")),
        last_name: Some(f.trimmed("last_name")),
        usage_location: Some(f.trimmed("usage_location")),
        ..Default::default()
    };
    match customer_users::update(&app, &ctx, &id, &uid, patch).await {
        Ok(_) => done(&user_path(&id, &uid), "saved"),
        Err(e) => user_refused(&app, &visit, &id, &uid, Slot::Profile, e).await,
    }
}

pub async fn reset_password(
    State(app): State<App>,
    visit: Visit,
    Path((id, uid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (ctx, _) = match begin(&visit, &body, &user_path(&id, &uid)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match uc::reset_password(&app, &ctx, &id, &uid).await {
        Ok((u, password)) => reveal_redirect(&app, &visit, &id, &u, password).await,
        Err(e) => user_refused(&app, &visit, &id, &uid, Slot::Password, e).await,
    }
}

pub async fn delete_user(
    State(app): State<App>,
    visit: Visit,
    Path((id, uid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (ctx, f) = match begin(&visit, &body, &user_path(&id, &uid)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if f.get("confirm") != "yes" {
        let problem = confirm_missing(&visit, Slot::Delete);
        return render_user(&app, &visit, &id, &uid, None, Some(problem)).await;
    }
    match customer_users::delete(&app, &ctx, &id, &uid).await {
        Ok(()) => done(&user_path(&id, &uid), "deleted"),
        Err(e) => user_refused(&app, &visit, &id, &uid, Slot::Delete, e).await,
    }
}

pub async fn restore_user(
    State(app): State<App>,
    visit: Visit,
    Path((id, uid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (ctx, _) = match begin(&visit, &body, &user_path(&id, &uid)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let patch = Patch {
        state: Some("active".into()),
        ..Default::default()
    };
    match customer_users::update(&app, &ctx, &id, &uid, patch).await {
        Ok(_) => done(&user_path(&id, &uid), "restored"),
        Err(e) => user_refused(&app, &visit, &id, &uid, Slot::Restore, e).await,
    }
}

pub async fn set_licenses(
    State(app): State<App>,
    visit: Visit,
    Path((id, uid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (ctx, f) = match begin(&visit, &body, &user_path(&id, &uid)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let wanted: BTreeSet<String> = f.all("sku").into_iter().collect();
    match uc::set_licenses(&app, &ctx, &id, &uid, &wanted).await {
        Ok(_) => done(&user_path(&id, &uid), "licenses"),
        Err(e) => user_refused(&app, &visit, &id, &uid, Slot::Licenses, e).await,
    }
}

pub async fn set_roles(
    State(app): State<App>,
    visit: Visit,
    Path((id, uid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (ctx, f) = match begin(&visit, &body, &user_path(&id, &uid)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let wanted: BTreeSet<GrantRole> = f
        .all("role")
        .iter()
        .filter_map(|r| GrantRole::parse(r))
        .collect();
    match uc::set_roles(&app, &ctx, &id, &uid, &wanted).await {
        Ok(_) => done(&user_path(&id, &uid), "roles"),
        Err(e) => user_refused(&app, &visit, &id, &uid, Slot::Roles, e).await,
    }
}

/// What a subscription form asks for, read from its `do` field.
fn subscription_patch(f: &FormData) -> Result<(SubscriptionPatch, &'static str), &'static str> {
    let status = |s: &str| SubscriptionPatch {
        status: Some(s.into()),
        ..Default::default()
    };
    match f.get("do").as_str() {
        "suspend" => Ok((status("suspended"), "suspended")),
        "reactivate" => Ok((status("active"), "reactivated")),
        "cancel" if f.get("confirm") == "yes" => Ok((status("deleted"), "cancelled")),
        "cancel" => Err("cadmin.invalid.confirm"),
        _ => match f.get("quantity").trim().parse::<i64>() {
            Ok(q) => Ok((
                SubscriptionPatch {
                    quantity: Some(q),
                    ..Default::default()
                },
                "quantity",
            )),
            Err(_) => Err("cadmin.invalid.quantity"),
        },
    }
}

pub async fn change_subscription(
    State(app): State<App>,
    visit: Visit,
    Path((id, sid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (ctx, f) = match begin(&visit, &body, &admin_path(&id)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let slot = Slot::Subscription(sid.clone());
    let q = PageQuery::default();
    let (patch, what) = match subscription_patch(&f) {
        Ok(x) => x,
        Err(key) => {
            let problem = Problem {
                slot,
                text: t(visit.lang(), key),
                status: StatusCode::BAD_REQUEST,
            };
            return render_admin(&app, &visit, &id, &q, Some(problem), None).await;
        }
    };
    // The version the form was drawn with: a form older than the subscription is refused.
    let version = f.get("version").parse().ok();
    match update_subscription(&app, &ctx, &id, &sid, patch, version).await {
        Ok(_) => done(&admin_path(&id), what),
        Err(e @ (Error::NotFound(_) | Error::Internal(_))) => domain_error(&visit, e),
        Err(e) => {
            let problem = Problem {
                text: refusal_text(visit.lang(), &slot, "", &e),
                status: status_for(&e),
                slot,
            };
            render_admin(&app, &visit, &id, &q, Some(problem), None).await
        }
    }
}

/// 303 back to a page with its success message (post/redirect/get).
fn done(path: &str, what: &str) -> Response {
    Redirect::to(&format!("{path}?done={what}")).into_response()
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
/// session: never in the address, never in a log.
async fn reveal_redirect(
    app: &App,
    visit: &Visit,
    id: &str,
    u: &UserRow,
    password: String,
) -> Response {
    let sealed = match uc::seal_reveal(app, &visit.token_hash, id, u, password).await {
        Ok(s) => s,
        Err(e) => return domain_error(visit, e),
    };
    let mut resp = Redirect::to(&format!("{}/password", admin_path(id))).into_response();
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
    visit: Visit,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if visit.ctx().is_none() {
        return to_signin(&admin_path(&id));
    }
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
