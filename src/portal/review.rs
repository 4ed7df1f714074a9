//! The operator's review queue and decisions on applications.

use super::form::{csrf, FormData};
use super::i18n::t;
use super::layout::{domain_error, page, PageOpts};
use super::session::{to_signin, Visit};
use crate::app::enrollment::{self as uc, Decision};
use crate::app::App;
use crate::domain::authz::{Action, Resource};
use crate::domain::enrollment::Status;
use crate::domain::Error;
use axum::body::Bytes;
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

fn operator(visit: &Visit, path: &str) -> Result<crate::app::Ctx, Response> {
    let Some(ctx) = visit.ctx() else {
        return Err(to_signin(path));
    };
    ctx.require(Action::ReviewEnrollments, Resource::Platform)
        .map_err(|e| domain_error(visit, e))?;
    Ok(ctx)
}

#[derive(Deserialize)]
pub struct QueueQuery {
    status: Option<String>,
}

pub async fn queue(State(app): State<App>, visit: Visit, Query(q): Query<QueueQuery>) -> Response {
    let ctx = match operator(&visit, "/portal/operator/enrollments") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = visit.lang();
    let status = match q.status.as_deref() {
        None => Some(Status::UnderReview),
        Some("") | Some("all") => None,
        Some(s) => Status::parse(s),
    };
    let named = match uc::review_queue(&app, &ctx, status, 500).await {
        Ok(r) => r,
        Err(e) => return domain_error(&visit, e),
    };
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
        @if named.is_empty() {
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
    }).into_response()
}

pub async fn detail(State(app): State<App>, visit: Visit, Path(id): Path<String>) -> Response {
    let path = format!("/portal/operator/enrollments/{id}");
    if let Err(r) = operator(&visit, &path) {
        return r;
    }
    render(&app, &visit, &id, None, None).await
}

async fn render(
    app: &App,
    visit: &Visit,
    id: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let lang = visit.lang();
    let Some(ctx) = visit.ctx() else {
        return to_signin(&format!("/portal/operator/enrollments/{id}"));
    };
    let e = match uc::visible(app, &ctx, id).await {
        Ok(e) => e,
        Err(e) => return domain_error(visit, e),
    };
    let tenant = uc::step_facts(app, &ctx, &e).await.ok().map(|f| f.tenant);
    let a = &e.application;
    let title = t(lang, "review.title");
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (status, page(visit, opts(app, &title), html! {
        p { a href="/portal/operator/enrollments" { (title) } }
        h1 #review-org { (tenant.as_ref().map(|t| t.display_name.clone()).unwrap_or_default()) }
        @if let Some(n) = &notice { div.alert.ok #notice { (n) } }
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
                    p { button #reject type="submit" { (t(lang, "review.reject")) } }
                }
            }
        }
    })).into_response()
}

pub async fn decide(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let f = FormData::parse(&body);
    if let Err(r) = visit.check_csrf(&f.get("csrf")) {
        return r;
    }
    let ctx = match operator(&visit, &format!("/portal/operator/enrollments/{id}")) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let decision = match f.get("decision").as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject {
            reason: f.get("note"),
        },
        "request_info" => Decision::RequestInfo {
            message: f.get("note"),
        },
        _ => return Redirect::to(&format!("/portal/operator/enrollments/{id}")).into_response(),
    };
    match uc::review(&app, &ctx, &id, decision).await {
        Ok(_) => {
            render(
                &app,
                &visit,
                &id,
                Some(t(visit.lang(), "review.decided")),
                None,
            )
            .await
        }
        Err(Error::Validation(errs)) => {
            let msg = errs.first().map(|e| e.message.clone()).unwrap_or_default();
            render(&app, &visit, &id, None, Some(msg)).await
        }
        Err(Error::Conflict { message, .. }) => {
            render(&app, &visit, &id, None, Some(message)).await
        }
        Err(e) => domain_error(&visit, e),
    }
}

/// The partner-network registry: paste or upload CSV rows to import them.
pub async fn memberships_page(State(app): State<App>, visit: Visit) -> Response {
    if let Err(r) = operator(&visit, "/portal/operator/memberships") {
        return r;
    }
    render_memberships(&app, &visit, None, None)
}

fn render_memberships(
    app: &App,
    visit: &Visit,
    notice: Option<String>,
    errors: Option<Vec<crate::domain::FieldError>>,
) -> Response {
    let lang = visit.lang();
    let title = t(lang, "memberships.title");
    let status = if errors.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (status, page(visit, PageOpts { title: &title, active: "/portal/operator/memberships", mail_public: app.config.mail_viewer_public }, html! {
        h1 { (title) }
        p.muted { (t(lang, "memberships.intro")) }
        @if let Some(n) = &notice { div.alert.ok #notice { (n) } }
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

pub async fn import_memberships(State(app): State<App>, visit: Visit, body: Bytes) -> Response {
    let f = FormData::parse(&body);
    if let Err(r) = visit.check_csrf(&f.get("csrf")) {
        return r;
    }
    let ctx = match operator(&visit, "/portal/operator/memberships") {
        Ok(c) => c,
        Err(r) => return r,
    };
    match crate::app::memberships::import(&app, Some(&ctx), f.get("csv").as_bytes()).await {
        Ok(n) => render_memberships(
            &app,
            &visit,
            Some(super::i18n::tf(
                visit.lang(),
                "memberships.imported",
                &[("n", &n.to_string())],
            )),
            None,
        ),
        Err(Error::Validation(errs)) => render_memberships(&app, &visit, None, Some(errs)),
        Err(e) => domain_error(&visit, e),
    }
}
