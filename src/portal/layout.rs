//! The page frame: header with language switch and sign-out, a menu built from what the
//! user's roles allow, and error pages.

use super::i18n::{t, LANGUAGES};
use super::session::Visit;
use crate::domain::authz::{can, Action, Resource};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

/// Menu entries: (path, label key, shown when).
fn menu(visit: &Visit, mail_public: bool) -> Vec<(&'static str, &'static str)> {
    let mut items = Vec::new();
    if let Some((actor, _)) = visit.signed_in() {
        items.push(("/portal", "nav.dashboard"));
        if can(
            actor,
            Action::ReadActivityLog,
            Resource::Tenant(actor.tenant),
        )
        .allowed()
        {
            items.push(("/portal/audit", "nav.audit"));
        }
        if can(actor, Action::ReadUsers, Resource::Tenant(actor.tenant)).allowed() {
            items.push(("/portal/users", "nav.users"));
        }
        if can(actor, Action::ManageApps, Resource::Tenant(actor.tenant)).allowed() {
            items.push(("/portal/applications", "nav.applications"));
        }
        if can(
            actor,
            Action::ManageEnrollment,
            Resource::Tenant(actor.tenant),
        )
        .allowed()
        {
            items.push(("/portal/enrollment", "nav.enrollment"));
        }
        if let Some(p) = &actor.partner {
            if p.is_provider {
                items.push(("/portal/resellers", "nav.resellers"));
                if can(actor, Action::ManageListing, Resource::Tenant(actor.tenant)).allowed() {
                    items.push(("/portal/listing", "nav.listing"));
                }
            }
            if p.is_reseller {
                items.push(("/portal/providers", "nav.providers"));
            }
            items.push(("/portal/customers", "nav.customers"));
            items.push(("/portal/catalog", "nav.catalog"));
            if p.is_provider {
                items.push(("/portal/invoices", "nav.invoices"));
            }
            items.push(("/portal/directory", "nav.directory"));
            items.push(("/portal/agreement", "nav.agreement"));
        }
        let referral_scope = Resource::Referral {
            creator: actor.tenant,
            target: actor.tenant,
            partnered: false,
        };
        if can(actor, Action::ReadReferral, referral_scope).allowed() {
            items.push(("/portal/referrals", "nav.referrals"));
        }
        if can(
            actor,
            Action::ReadServiceRequests,
            Resource::Tenant(actor.tenant),
        )
        .allowed()
        {
            items.push(("/portal/support", "nav.support"));
        }
        if can(actor, Action::ReadWebhooks, Resource::Tenant(actor.tenant)).allowed() {
            items.push(("/portal/webhooks", "nav.webhooks"));
        }
        if can(
            actor,
            Action::ManageOwnNotifications,
            Resource::Tenant(actor.tenant),
        )
        .allowed()
        {
            items.push(("/portal/notifications", "nav.notifications"));
        }
        if can(
            actor,
            Action::ManageOwnPartners,
            Resource::Tenant(actor.tenant),
        )
        .allowed()
        {
            items.push(("/portal/customer/partners", "nav.my_partners"));
        }
        if can(actor, Action::ReviewEnrollments, Resource::Platform).allowed() {
            items.push(("/portal/operator/enrollments", "nav.review"));
            items.push(("/portal/operator/memberships", "nav.memberships"));
        }
        if mail_public || can(actor, Action::ReadCapturedMail, Resource::Platform).allowed() {
            items.push(("/portal/mail", "nav.mail"));
        }
    } else {
        items.push(("/portal/enroll", "nav.enroll"));
        if mail_public {
            items.push(("/portal/mail", "nav.mail"));
        }
    }
    items
}

pub struct PageOpts<'a> {
    pub title: &'a str,
    pub active: &'a str,
    pub mail_public: bool,
}

pub fn page(visit: &Visit, opts: PageOpts<'_>, body: Markup) -> Markup {
    let lang = visit.lang();
    let items = menu(visit, opts.mail_public);
    html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (opts.title) " · " (t(lang, "app.name")) }
                link rel="stylesheet" href="/portal/static/app.css";
                link rel="icon" type="image/svg+xml" href="/portal/static/favicon.svg";
                script src="/portal/static/app.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/portal" { (t(lang, "app.name")) }
                    form method="post" action="/portal/lang" {
                        input type="hidden" name="csrf" value=(visit.csrf());
                        label.inline for="lang-select" { (t(lang, "lang.label")) " " }
                        select #lang-select name="lang" {
                            @for (code, name) in LANGUAGES {
                                option value=(code) selected[code == lang] { (name) }
                            }
                        }
                        " "
                        button type="submit" #lang-submit { (t(lang, "lang.switch")) }
                    }
                    @if let Some((_, user)) = visit.signed_in() {
                        span.muted #signed-in-as { (user.upn) }
                        form method="post" action="/portal/signout" {
                            input type="hidden" name="csrf" value=(visit.csrf());
                            button.link type="submit" #signout { (t(lang, "nav.signout")) }
                        }
                    } @else {
                        a href="/portal/signin" { (t(lang, "nav.signin")) }
                    }
                }
                div.layout {
                    @if !items.is_empty() {
                        nav.side #menu {
                            @for (path, key) in &items {
                                a href=(path) class=[(opts.active == *path).then_some("active")] { (t(lang, key)) }
                            }
                        }
                    }
                    main {
                        (super::flash::banner(lang, visit.flash()))
                        (body)
                    }
                }
            }
        }
    }
}

pub fn error_page(visit: &Visit, status: StatusCode, message: &str) -> Response {
    let lang = visit.lang();
    let body = html! {
        h1 { (t(lang, "error.title")) }
        div.alert.bad #error-message { (message) }
        (request_line(lang, visit.request_id.as_deref()))
        p { a href="/portal" { (t(lang, "nav.dashboard")) } }
    };
    let title = t(lang, "error.title");
    (
        status,
        page(
            visit,
            PageOpts {
                title: &title,
                active: "",
                mail_public: false,
            },
            body,
        ),
    )
        .into_response()
}

/// The request id to quote when asking for help.
fn request_line(lang: &str, request_id: Option<&str>) -> Markup {
    html! {
        @if let Some(id) = request_id {
            p.muted #request-id { (t(lang, "error.request_id")) " " code { (id) } }
        }
    }
}

/// The page for a store that did not answer while the session was being read: no session to
/// render with, so no menu; the language from the browser; the request id to quote.
pub fn unavailable(lang: &str, request_id: Option<&str>) -> Response {
    let title = t(lang, "error.title");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        html! {
            (DOCTYPE)
            html lang=(lang) {
                head {
                    meta charset="utf-8";
                    title { (title) " · " (t(lang, "app.name")) }
                    link rel="stylesheet" href="/portal/static/app.css";
                }
                body { main {
                    h1 { (title) }
                    div.alert.bad #error-message { (t(lang, "error.unavailable")) }
                    (request_line(lang, request_id))
                } }
            }
        },
    )
        .into_response()
}

/// An error page for when there is no session to render with.
pub fn plain_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        html! { (DOCTYPE) html { body { h1 { "Partner Hub" } p { (message) } } } },
    )
        .into_response()
}

/// Renders a domain error for a person.
pub fn domain_error(visit: &Visit, e: crate::domain::Error) -> Response {
    use crate::domain::Error;
    let status = crate::web::status_of(&e);
    let msg = match &e {
        Error::Forbidden(_) => t(visit.lang(), "error.forbidden"),
        Error::Refused(r) => format!("{} ({})", t(visit.lang(), "error.forbidden"), r.describe()),
        Error::NotFound(_) => t(visit.lang(), "error.notfound"),
        Error::Internal(inner) => {
            tracing::error!(error = ?inner, "internal error in portal");
            t(visit.lang(), "error.title")
        }
        other => other.to_string(),
    };
    error_page(visit, status, &msg)
}

/// A refusal as one line beside the form that caused it: field errors with their fields.
pub fn problem(e: &crate::domain::Error) -> String {
    match e {
        crate::domain::Error::Validation(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Plain text with its http(s) links made clickable; everything else escaped.
pub fn linkify(text: &str) -> Markup {
    html! {
        @for (i, line) in text.split('\n').enumerate() {
            @if i > 0 { "\n" }
            @for (j, word) in line.split(' ').enumerate() {
                @if j > 0 { " " }
                @if word.starts_with("http://") || word.starts_with("https://") {
                    a href=(word) { (word) }
                } @else {
                    (word)
                }
            }
        }
    }
}
