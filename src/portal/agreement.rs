//! The partner agreement: read it and accept it for the organisation.

use super::flash::{see_other, Flash};
use super::form::csrf;
use super::guard::{SignedIn, VerifiedForm, REFUSED};
use super::i18n::{t, tf};
use super::layout::{domain_error, page, PageOpts};
use crate::app::enrollment as uc;
use crate::app::App;
use crate::domain::authz::{can, Action, Resource};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

pub async fn show(State(app): State<App>, s: SignedIn) -> Response {
    render(&app, &s, None).await
}

async fn render(app: &App, s: &SignedIn, error: Option<String>) -> Response {
    let (visit, actor) = (&s.visit, s.actor());
    let lang = visit.lang();
    let (a, accepted) = match uc::agreement_status(app, &s.ctx).await {
        Ok(x) => x,
        Err(e) => return domain_error(visit, e),
    };
    let may_accept = can(
        actor,
        Action::AcceptAgreement,
        Resource::Tenant(actor.tenant),
    )
    .allowed();
    let title = t(lang, "agreement.title");
    let status = if error.is_some() {
        REFUSED
    } else {
        StatusCode::OK
    };
    (status, page(visit, PageOpts { title: &title, active: "/portal/agreement", mail_public: app.config.mail_viewer_public }, html! {
        @let (a_title, a_body, translated) = super::labels::agreement(lang, &a.version, &a.title, &a.body);
        h1 { (a_title) " (" (a.version) ")" }
        @if translated { p.muted #agreement-translation { (t(lang, "agreement.translation_note")) } }
        div.card { pre.mail #agreement-text { (a_body) } }
        @if let Some(acc) = &accepted {
            div.alert.ok #agreement-accepted {
                (tf(lang, "agreement.accepted", &[("upn", &acc.user_upn), ("date", &crate::clock::from_ms(acc.accepted_at).format("%Y-%m-%d %H:%M UTC").to_string())]))
            }
        } @else if may_accept {
            @if let Some(e) = &error { div.alert.bad role="alert" #agreement-error { (e) } }
            form method="post" action="/portal/agreement" {
                (csrf(visit.csrf()))
                input type="hidden" name="version" value=(a.version);
                label.choice {
                    input #agreement-check type="checkbox" name="accept" value="yes";
                    " " (t(lang, "agreement.check"))
                }
                p { button #agreement-accept type="submit" { (t(lang, "agreement.accept")) } }
            }
        }
    })).into_response()
}

#[derive(serde::Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    accept: String,
    #[serde(default)]
    version: String,
}

pub async fn accept(
    State(app): State<App>,
    s: SignedIn,
    VerifiedForm(f): VerifiedForm<AcceptForm>,
) -> Response {
    if f.accept != "yes" {
        return render(&app, &s, Some(t(s.lang(), "agreement.must_check"))).await;
    }
    match uc::accept_agreement(&app, &s.ctx, &f.version).await {
        Ok(_) => see_other("/portal", Flash::ok("agreement.accepted_flash")),
        Err(e) => domain_error(&s.visit, e),
    }
}
