//! The organisation's applications (client credentials): listed, turned off and on, given a
//! new secret (shown once) and deleted. Registration stays in the API, where the secret is
//! handed to the automation that uses it.

use super::i18n::t;
use super::layout::{page, PageOpts};
use super::session::{to_signin, Visit};
use crate::app::oauth::{self, AppChange};
use crate::app::App;
use crate::domain::ids::AppId;
use crate::domain::Error;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;

/// The list, with a new secret shown above it right after a rotation.
async fn render(app: &App, visit: &Visit, secret: Option<(String, String)>) -> Response {
    let Some(ctx) = visit.ctx() else {
        return to_signin("/portal/applications");
    };
    let apps = match oauth::list_apps(app, &ctx).await {
        Ok(a) => a,
        Err(e) => return super::layout::domain_error(visit, e),
    };
    let lang = visit.lang();
    let title = t(lang, "apps.title");
    let opts = PageOpts {
        title: &title,
        active: "/portal/applications",
        mail_public: app.config.mail_viewer_public,
    };
    page(visit, opts, html! {
        h1 { (title) }
        @if let Some((id, s)) = &secret {
            div.alert.ok #app-secret data-app=(id) {
                p { (t(lang, "apps.secret_once")) }
                code { (s) }
            }
        }
        table #apps {
            thead { tr { th { (t(lang, "apps.name")) } th { "client_id" } th { (t(lang, "apps.roles")) } th { (t(lang, "apps.state")) } th { span.sr-only { (t(lang, "common.actions")) } } } }
            tbody {
                @for a in &apps {
                    @let id = a.id.to_string();
                    tr data-app=(id) {
                        td { (a.display_name) }
                        td { code { (id) } }
                        td { (super::labels::roles(lang, a.roles.iter().map(|r| r.as_str()))) }
                        td.state { (if a.disabled { t(lang, "apps.off") } else { t(lang, "apps.on") }) }
                        td {
                            form method="post" action=(format!("/portal/applications/{id}")) {
                                input type="hidden" name="csrf" value=(visit.csrf());
                                @if a.disabled {
                                    button name="change" value="enable" { (t(lang, "apps.enable")) }
                                } @else {
                                    button name="change" value="disable" { (t(lang, "apps.disable")) }
                                }
                                button name="change" value="rotate" { (t(lang, "apps.rotate")) }
                                button name="change" value="delete" { (t(lang, "apps.delete")) }
                            }
                        }
                    }
                }
            }
        }
    })
    .into_response()
}

pub async fn list(State(app): State<App>, visit: Visit) -> Response {
    render(&app, &visit, None).await
}

#[derive(Deserialize)]
pub struct ChangeForm {
    csrf: String,
    change: String,
}

pub async fn change(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(f): Form<ChangeForm>,
) -> Response {
    if let Err(r) = visit.check_csrf(&f.csrf) {
        return r;
    }
    let Some(ctx) = visit.ctx() else {
        return to_signin("/portal/applications");
    };
    let Ok(id) = id.parse::<AppId>() else {
        return super::layout::domain_error(&visit, Error::NotFound("application"));
    };
    let change = match f.change.as_str() {
        "enable" => AppChange::Enable,
        "disable" => AppChange::Disable,
        "delete" => AppChange::Delete,
        "rotate" => {
            return match oauth::rotate_app_secret(&app, &ctx, id).await {
                Ok((reg, secret)) => render(&app, &visit, Some((reg.id.to_string(), secret))).await,
                Err(e) => super::layout::domain_error(&visit, e),
            }
        }
        _ => return super::layout::domain_error(&visit, Error::field("change", "unknown change")),
    };
    match oauth::change_app(&app, &ctx, id, change).await {
        Ok(()) => Redirect::to("/portal/applications").into_response(),
        Err(e) => super::layout::domain_error(&visit, e),
    }
}
