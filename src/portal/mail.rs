//! The mail viewer: mail kept by the built-in capture, for the operator (or anyone, when the
//! server runs with a public viewer, as the demo does).

use super::i18n::t;
use super::layout::{page, PageOpts};
use super::pager::{self, At, Start};
use super::session::{to_signin, Visit};
use crate::app::{mailbox, App};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

/// A refusal of the viewer as a page: signed-out visitors go to sign in first.
fn refused(visit: &Visit, e: crate::domain::Error) -> Response {
    match e {
        crate::domain::Error::Unauthenticated(_) => to_signin("/portal/mail"),
        crate::domain::Error::Forbidden(_) => super::layout::error_page(
            visit,
            StatusCode::FORBIDDEN,
            &t(visit.lang(), "error.forbidden"),
        ),
        e => super::layout::domain_error(visit, e),
    }
}

fn viewer(visit: &Visit) -> Option<&crate::domain::authz::Actor> {
    visit.signed_in().map(|(a, _)| a)
}

#[derive(Deserialize)]
pub struct MailFilter {
    to: Option<String>,
    #[serde(flatten)]
    at: At,
}

pub async fn list(State(app): State<App>, visit: Visit, Query(q): Query<MailFilter>) -> Response {
    let lang = visit.lang();
    let to = q.to.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let start = Start::read(&app, &format!("mail:{}", to.unwrap_or_default()), &q.at);
    let listed = mailbox::list(&app, viewer(&visit), to, start.timed(), start.fetch());
    let (mut mails, total) = match listed.await {
        Ok(m) => m,
        Err(e) => return refused(&visit, e),
    };
    let pager = start.finish(&app, &mut mails, total, |m| {
        (m.created_at.to_string(), m.id.clone())
    });
    let base = pager::base("/portal/mail", &[("to", to)]);
    let title = t(lang, "mail.title");
    page(
        &visit,
        PageOpts { title: &title, active: "/portal/mail", mail_public: app.config.mail_viewer_public },
        html! {
            h1 { (title) }
            p.muted { (t(lang, "mail.intro")) }
            (pager.notice(lang))
            @if mails.is_empty() && pager.is_first() {
                p #mail-empty { (t(lang, "mail.empty")) }
            } @else {
                table #mail-list {
                    thead { tr { th { (t(lang, "mail.received")) } th { (t(lang, "mail.to")) } th { (t(lang, "mail.subject")) } } }
                    tbody {
                        @for m in &mails {
                            tr {
                                td { (crate::clock::from_ms(m.created_at).format("%Y-%m-%d %H:%M:%S UTC")) }
                                td.mail-to { (m.to) }
                                td { a.mail-subject href={"/portal/mail/" (m.id)} { (m.subject) } }
                            }
                        }
                    }
                }
            }
            (pager.nav(lang, &base, &title))
        },
    )
    .into_response()
}

pub async fn show(State(app): State<App>, visit: Visit, Path(id): Path<String>) -> Response {
    let lang = visit.lang();
    let m = match mailbox::get(&app, viewer(&visit), &id).await {
        Ok(m) => m,
        Err(crate::domain::Error::NotFound(_)) => {
            return super::layout::error_page(
                &visit,
                StatusCode::NOT_FOUND,
                &t(lang, "error.notfound"),
            )
        }
        Err(e) => return refused(&visit, e),
    };
    page(
        &visit,
        PageOpts {
            title: &m.subject,
            active: "/portal/mail",
            mail_public: app.config.mail_viewer_public,
        },
        html! {
            p { a href="/portal/mail" { (t(lang, "mail.back")) } }
            h1 #mail-subject { (m.subject) }
            p { strong { (t(lang, "mail.to")) ": " } span #mail-to { (m.to) } }
            // The text part is shown: it carries the same content as the HTML part, and
            // showing it as text keeps message markup out of the portal.
            pre.mail #mail-body { (super::layout::linkify(&m.text_body)) }
        },
    )
    .into_response()
}
