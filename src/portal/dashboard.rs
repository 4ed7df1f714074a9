//! The dashboard: who you are, your organisation and your roles.

use super::i18n::{t, tf};
use super::layout::{page, PageOpts};
use super::session::{to_signin, Visit};
use crate::app::App;
use crate::store::identity as repo;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;

pub async fn dashboard(State(app): State<App>, visit: Visit) -> Response {
    let Some((actor, user)) = visit.signed_in() else {
        return to_signin("/portal");
    };
    let lang = visit.lang();
    let tenant = match repo::tenant(&app.db, actor.tenant).await {
        Ok(Some(t)) => t,
        Ok(None) => {
            return super::layout::domain_error(&visit, crate::domain::Error::NotFound("tenant"))
        }
        Err(e) => return super::layout::domain_error(&visit, e.into()),
    };
    let open_applications: Vec<_> = crate::store::enrollments::of_tenant(&app.db, actor.tenant)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.status != crate::domain::enrollment::Status::Authorized)
        .collect();
    let title = t(lang, "dashboard.title");
    page(
        &visit,
        PageOpts { title: &title, active: "/portal", mail_public: app.config.mail_viewer_public },
        html! {
            @if actor.partner.as_ref().is_some_and(|p| !p.agreement_accepted) {
                div.alert.info #agreement-banner {
                    (t(lang, "agreement.banner")) " "
                    a href="/portal/agreement" { (t(lang, "agreement.read")) }
                }
            }
            @for e in &open_applications {
                div.alert.info.application-banner {
                    (t(lang, &format!("program.{}", e.program.as_str()))) ": "
                    (t(lang, &format!("enroll.status.{}", e.status.as_str()))) " "
                    a href={"/portal/enrollment/" (e.id)} { (t(lang, "enroll.continue")) }
                }
            }
            h1 #welcome { (tf(lang, "dashboard.welcome", &[("name", &user.display_name)])) }
            div.card {
                dl.facts {
                    dt { (t(lang, "dashboard.tenant")) } dd #tenant-name { (tenant.display_name) }
                    dt { (t(lang, "dashboard.domain")) } dd { (tenant.domain) }
                    dt { (t(lang, "dashboard.kind")) } dd #tenant-kind { (t(lang, &format!("kind.{}", tenant.kind.as_str()))) }
                    dt { (t(lang, "mfa.setup_title")) }
                    dd { a #mfa-link href="/portal/mfa" { (t(lang, "mfa.link")) } }
                    dt { (t(lang, "dashboard.roles")) }
                    dd #roles {
                        @for r in &actor.roles { span.tag { (t(lang, &format!("role.{}", r.as_str()))) } }
                    }
                }
            }
        },
    )
    .into_response()
}
