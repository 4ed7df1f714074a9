//! The operator's review queue and decisions on applications.

use super::flash::{see_other, Flash};
use super::form::csrf;
use super::guard::{confirmed, needs_confirmation, SignedIn, VerifiedForm, REFUSED};
use super::i18n::t;
use super::layout::{domain_error, page, PageOpts};
use super::pager::{At, Start};
use super::session::Visit;
use crate::app::enrollment::{self as uc, Decision};
use crate::app::App;
use crate::domain::authz::{Action, Resource};
use crate::domain::enrollment::Status;
use crate::domain::ids::EnrollmentId;
use crate::domain::Error;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

fn opts<'a>(app: &App, title: &'a str) -> PageOpts<'a> {
    PageOpts {
        title,
        active: "/portal/operator/enrollments",
        mail_public: app.config.mail_viewer_public,
    }
}

/// The operator's pages need the review permission on top of being signed in.
fn operator(s: &SignedIn) -> Result<(), Response> {
    s.ctx
        .require(Action::ReviewEnrollments, Resource::Platform)
        .map_err(|e| domain_error(&s.visit, e))
}

#[derive(Deserialize)]
pub struct QueueQuery {
    status: Option<String>,
    #[serde(flatten)]
    at: At,
}

pub async fn queue(State(app): State<App>, s: SignedIn, Query(q): Query<QueueQuery>) -> Response {
    if let Err(r) = operator(&s) {
        return r;
    }
    let (visit, ctx) = (s.visit, s.ctx);
    let lang = visit.lang();
    let status = match q.status.as_deref() {
        None => Some(Status::UnderReview),
        Some("") | Some("all") => None,
        Some(s) => Status::parse(s),
    };
    let shown = status.map(|s| s.as_str()).unwrap_or("all");
    let start = Start::read(&app, &format!("review:{shown}"), &q.at);
    let (mut named, total) =
        match uc::review_queue(&app, &ctx, status, start.timed(), start.fetch()).await {
            Ok(r) => r,
            Err(e) => return domain_error(&visit, e),
        };
    let pager = start.finish(&app, &mut named, total, |(e, _)| {
        (e.updated_at.to_string(), e.id.to_string())
    });
    let base = format!("/portal/operator/enrollments?status={shown}");
    let title = t(lang, "review.title");
    let filters = [
        "under_review",
        "awaiting_email_verification",
        "more_info_needed",
        "draft",
        "authorized",
        "rejected",
    ];
    page(&visit, opts(&app, &title), html! {
        h1 { (title) }
        p #queue-filters {
            (t(lang, "review.filter")) ": "
            @for f in filters {
                a href={"/portal/operator/enrollments?status=" (f)} { (t(lang, &format!("enroll.status.{f}"))) } " · "
            }
            a href="/portal/operator/enrollments?status=all" { (t(lang, "review.all")) }
        }
        (pager.notice(lang))
        @if named.is_empty() && pager.is_first() {
            p #queue-empty { (t(lang, "review.empty")) }
        } @else {
            table #queue {
                thead { tr { th { (t(lang, "review.org")) } th { (t(lang, "review.program")) } th { (t(lang, "enroll.status")) } th { (t(lang, "review.updated")) } } }
                tbody {
                    @for (e, name) in &named {
                        tr {
                            td { a.review-link href={"/portal/operator/enrollments/" (e.id)} { (name) } }
                            td { (t(lang, &format!("program.{}", e.program.as_str()))) }
                            td { (t(lang, &format!("enroll.status.{}", e.status.as_str()))) }
                            td { (crate::clock::from_ms(e.updated_at).format("%Y-%m-%d %H:%M")) }
                        }
                    }
                }
            }
        }
        (pager.nav(lang, &base, &title))
    }).into_response()
}

pub async fn detail(State(app): State<App>, s: SignedIn, Path(id): Path<String>) -> Response {
    if let Err(r) = operator(&s) {
        return r;
    }
    match EnrollmentId::named(&id) {
        Ok(id) => render(&app, &s, id, None).await,
        Err(e) => domain_error(&s.visit, e),
    }
}

async fn render(app: &App, s: &SignedIn, id: EnrollmentId, error: Option<String>) -> Response {
    let (visit, ctx) = (&s.visit, &s.ctx);
    let lang = visit.lang();
    let e = match uc::visible(app, ctx, id).await {
        Ok(e) => e,
        Err(e) => return domain_error(visit, e),
    };
    let tenant = match uc::step_facts(app, ctx, &e).await {
        Ok(f) => Some(f.tenant),
        Err(Error::NotFound(_)) => None,
        Err(e) => return domain_error(visit, e),
    };
    let a = &e.application;
    let title = t(lang, "review.title");
    let status = if error.is_some() {
        REFUSED
    } else {
        StatusCode::OK
    };
    (status, page(visit, opts(app, &title), html! {
        p { a href="/portal/operator/enrollments" { (title) } }
        h1 #review-org { (tenant.as_ref().map(|t| t.display_name.clone()).unwrap_or_default()) }
        @if let Some(er) = &error { div.alert.bad role="alert" #review-error { (er) } }
        div.card {
            dl.facts {
                dt { (t(lang, "review.program")) } dd { (t(lang, &format!("program.{}", e.program.as_str()))) }
                dt { (t(lang, "enroll.status")) } dd #review-status data-status=(e.status.as_str()) { (t(lang, &format!("enroll.status.{}", e.status.as_str()))) }
                dt { (t(lang, "dashboard.domain")) } dd { (tenant.as_ref().map(|t| t.domain.clone()).unwrap_or_default()) " (" (tenant.as_ref().map(|t| t.country.clone()).unwrap_or_default()) ")" }
                dt { (t(lang, "review.membership")) } dd { (e.mpn_id.map(|m| m.to_string()).unwrap_or_default()) " / " (e.profile_id.map(|m| m.to_string()).unwrap_or_default()) }
                dt { (t(lang, "enroll.legal_name")) } dd { (a.legal_name) }
                dt { (t(lang, "enroll.address1")) } dd { (a.address_line1) " " (a.address_line2) ", " (a.city) " " (a.region) " " (a.postal_code) ", " (a.country) }
                dt { (t(lang, "enroll.registration")) } dd { (a.registration_number) }
                dt { (t(lang, "enroll.contact")) } dd { (a.contact_first_name) " " (a.contact_last_name) ", " (a.contact_email) ", " (a.contact_phone) }
                dt { (t(lang, "enroll.support")) } dd { (a.support_email) ", " (a.support_phone) ", " (a.support_website) }
                @if let Some(n) = &e.review_note { dt { (t(lang, "enroll.note")) } dd { (n) } }
            }
        }
        @if e.status == Status::UnderReview {
            div.card {
                form method="post" action={"/portal/operator/enrollments/" (e.id) "/decide"} {
                    (csrf(visit.csrf()))
                    input type="hidden" name="decision" value="approve";
                    button #approve type="submit" { (t(lang, "review.approve")) }
                }
            }
            div.card {
                form method="post" action={"/portal/operator/enrollments/" (e.id) "/decide"} {
                    (csrf(visit.csrf()))
                    input type="hidden" name="decision" value="request_info";
                    label for="info-note" { (t(lang, "review.message")) }
                    textarea #info-note name="note" rows="3" {}
                    p { button #request-info type="submit" { (t(lang, "review.request_info")) } }
                }
            }
            div.card {
                form method="post" action={"/portal/operator/enrollments/" (e.id) "/decide"} {
                    (csrf(visit.csrf()))
                    input type="hidden" name="decision" value="reject";
                    label for="reject-note" { (t(lang, "review.reason")) }
                    textarea #reject-note name="note" rows="3" {}
                    label.choice {
                        input #reject-confirm type="checkbox" name="confirm" value="yes";
                        " " (t(lang, "review.reject_confirm"))
                    }
                    p { button.danger #reject type="submit" { (t(lang, "review.reject")) } }
                }
            }
        }
    })).into_response()
}

pub async fn decide(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    if let Err(r) = operator(&s) {
        return r;
    }
    let id = match EnrollmentId::named(&id) {
        Ok(id) => id,
        Err(e) => return domain_error(&s.visit, e),
    };
    let decision = match f.get("decision").as_str() {
        "approve" => Decision::Approve,
        "reject" if !confirmed(&f) => {
            return render(&app, &s, id, Some(needs_confirmation(s.lang(), None))).await;
        }
        "reject" => Decision::Reject {
            reason: f.get("note"),
        },
        "request_info" => Decision::RequestInfo {
            message: f.get("note"),
        },
        _ => return Redirect::to(&format!("/portal/operator/enrollments/{id}")).into_response(),
    };
    match uc::review(&app, &s.ctx, id, decision).await {
        Ok(_) => see_other(
            &format!("/portal/operator/enrollments/{id}"),
            Flash::ok("review.decided"),
        ),
        Err(Error::Validation(errs)) => {
            let msg = errs.first().map(|e| e.message.clone()).unwrap_or_default();
            render(&app, &s, id, Some(msg)).await
        }
        Err(Error::Conflict { message, .. }) => render(&app, &s, id, Some(message)).await,
        Err(e) => domain_error(&s.visit, e),
    }
}

/// The partner-network registry: paste or upload CSV rows to import them.
pub async fn memberships_page(State(app): State<App>, s: SignedIn) -> Response {
    if let Err(r) = operator(&s) {
        return r;
    }
    render_memberships(&app, &s.visit, None)
}

fn render_memberships(
    app: &App,
    visit: &Visit,
    errors: Option<Vec<crate::domain::FieldError>>,
) -> Response {
    let lang = visit.lang();
    let title = t(lang, "memberships.title");
    let status = if errors.is_some() {
        REFUSED
    } else {
        StatusCode::OK
    };
    (status, page(visit, PageOpts { title: &title, active: "/portal/operator/memberships", mail_public: app.config.mail_viewer_public }, html! {
        h1 { (title) }
        p.muted { (t(lang, "memberships.intro")) }
        @if let Some(errs) = &errors {
            div.alert.bad role="alert" #import-errors {
                ul { @for e in errs { li { (e.field) ": " (e.message) } } }
            }
        }
        form.card method="post" action="/portal/operator/memberships" {
            (csrf(visit.csrf()))
            label for="csv" { "CSV" }
            textarea #csv name="csv" rows="10" placeholder="mpn_id,org_name,country,username,password,profile_id,profile_name,profile_country" {}
            p { button #import-submit type="submit" { (t(lang, "memberships.import")) } }
        }
    })).into_response()
}

pub async fn import_memberships(
    State(app): State<App>,
    s: SignedIn,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    if let Err(r) = operator(&s) {
        return r;
    }
    match crate::app::memberships::import(&app, Some(&s.ctx), f.get("csv").as_bytes()).await {
        Ok(n) => see_other(
            "/portal/operator/memberships",
            Flash::ok("memberships.imported").with("n", n.to_string()),
        ),
        Err(Error::Validation(errs)) => render_memberships(&app, &s.visit, Some(errs)),
        Err(e) => domain_error(&s.visit, e),
    }
}
