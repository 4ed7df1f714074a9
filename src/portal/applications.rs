//! The organisation's applications (client credentials): listed, turned off and on, given a
//! new secret (shown once) and deleted. Registration stays in the API, where the secret is
//! handed to the automation that uses it.

use super::flash::{see_other, Detail, Flash};
use super::guard::{needs_confirmation, SignedIn, VerifiedForm, REFUSED};
use super::i18n::t;
use super::layout::{page, PageOpts};
use crate::app::oauth::{self, AppChange};
use crate::app::App;
use crate::domain::ids::AppId;
use crate::domain::Error;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

/// The list, with a new secret shown above it right after a rotation (handed over once by the
/// flash message).
async fn render(app: &App, s: &SignedIn, problem: Option<String>) -> Response {
    let visit = &s.visit;
    let apps = match oauth::list_apps(app, &s.ctx).await {
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
    let secret = match visit.flash().and_then(|f| f.detail.as_ref()) {
        Some(Detail::Secret(secret)) => Some(secret),
        _ => None,
    };
    let rotated = visit
        .flash()
        .and_then(|f| f.args.iter().find(|(k, _)| k == "id"))
        .map(|(_, v)| v.clone());
    let status = if problem.is_some() {
        REFUSED
    } else {
        StatusCode::OK
    };
    (status, page(visit, opts, html! {
        h1 { (title) }
        @if let Some(p) = &problem { div.alert.bad #problem role="alert" { (p) } }
        @if let Some(secret) = secret {
            div.alert.ok #app-secret data-app=[rotated] {
                p { (t(lang, "apps.secret_once")) }
                code { (secret) }
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
                            }
                            form.confirm-form method="post" action=(format!("/portal/applications/{id}")) {
                                input type="hidden" name="csrf" value=(visit.csrf());
                                label.choice {
                                    input.confirm type="checkbox" name="confirm" value="yes";
                                    " " (t(lang, "apps.delete_confirm"))
                                }
                                " "
                                button.link.danger name="change" value="delete" { (t(lang, "apps.delete")) }
                            }
                        }
                    }
                }
            }
        }
    }))
    .into_response()
}

pub async fn list(State(app): State<App>, s: SignedIn) -> Response {
    render(&app, &s, None).await
}

#[derive(Deserialize)]
pub struct ChangeForm {
    change: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    VerifiedForm(f): VerifiedForm<ChangeForm>,
) -> Response {
    let Ok(id) = id.parse::<AppId>() else {
        return super::layout::domain_error(&s.visit, Error::NotFound("application"));
    };
    let (change, done) = match f.change.as_str() {
        "enable" => (AppChange::Enable, Flash::ok("apps.enabled")),
        "disable" => (AppChange::Disable, Flash::ok("apps.disabled")),
        "delete" => (AppChange::Delete, Flash::ok("apps.deleted")),
        "rotate" => {
            return match oauth::rotate_app_secret(&app, &s.ctx, id).await {
                Ok((reg, secret)) => see_other(
                    "/portal/applications",
                    Flash::ok("apps.rotated")
                        .with("id", reg.id.to_string())
                        .detail(Detail::Secret(secret)),
                ),
                Err(e) => super::layout::domain_error(&s.visit, e),
            }
        }
        _ => {
            return super::layout::domain_error(&s.visit, Error::field("change", "unknown change"))
        }
    };
    // Deleting cannot be undone: the box that says so must be ticked.
    if matches!(change, AppChange::Delete) && f.confirm.trim() != "yes" {
        let msg = needs_confirmation(s.lang(), None);
        return render(&app, &s, Some(msg)).await;
    }
    match oauth::change_app(&app, &s.ctx, id, change).await {
        Ok(()) => see_other("/portal/applications", done),
        Err(e) => super::layout::domain_error(&s.visit, e),
    }
}
