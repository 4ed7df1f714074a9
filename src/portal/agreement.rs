//! The partner agreement: read it and accept it for the organisation.

use super::form::{csrf, FormData};
use super::i18n::{t, tf};
use super::layout::{domain_error, page, PageOpts};
use super::session::{to_signin, Visit};
use crate::app::enrollment as uc;
use crate::app::App;
use crate::domain::authz::{can, Action, Resource};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

pub async fn show(State(app): State<App>, visit: Visit) -> Response {
    render(&app, &visit, None).await
}

async fn render(app: &App, visit: &Visit, error: Option<String>) -> Response {
    let (Some((actor, _)), Some(ctx)) = (visit.signed_in(), visit.ctx()) else {
        return to_signin("/portal/agreement");
    };
    let lang = visit.lang();
    let (a, accepted) = match uc::agreement_status(app, &ctx).await {
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
        StatusCode::BAD_REQUEST
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

pub async fn accept(State(app): State<App>, visit: Visit, body: Bytes) -> Response {
    let f = FormData::parse(&body);
    if let Err(r) = visit.check_csrf(&f.get("csrf")) {
        return r;
    }
    let Some(ctx) = visit.ctx() else {
        return to_signin("/portal/agreement");
    };
    if f.get("accept") != "yes" {
        return render(&app, &visit, Some(t(visit.lang(), "agreement.must_check"))).await;
    }
    match uc::accept_agreement(&app, &ctx, &f.get("version")).await {
        Ok(_) => axum::response::Redirect::to("/portal").into_response(),
        Err(e) => domain_error(&visit, e),
    }
}
