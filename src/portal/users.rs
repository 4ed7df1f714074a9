//! User management: the tenant's users, and adding one with roles.

use super::flash::{see_other, Detail, Flash};
use super::guard::{confirmed, needs_confirmation, SignedIn, VerifiedForm, REFUSED};
use super::i18n::{t, tf};
use super::layout::{page, PageOpts};
use super::pager::{At, Pager, Start};
use super::session::Visit;
use crate::app::identity::{self, NewUser, UserRow};
use crate::app::{App, Ctx};
use crate::domain::authz::{can, Action, Resource};
use crate::domain::identity::{Role, TenantKind};
use crate::domain::{Error, FieldError};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

fn field_error(errors: &[FieldError], field: &str) -> Markup {
    html! {
        @for e in errors.iter().filter(|e| e.field == field) {
            div.field-error data-field=(field) { (e.message) }
        }
    }
}

async fn render(
    app: &App,
    visit: &Visit,
    ctx: &Ctx,
    errors: &[FieldError],
    form: &[(String, String)],
) -> Response {
    render_with(app, visit, ctx, &At::default(), None, errors, form).await
}

/// One page of the organisation's users (by sign-in name) and what the page says of its
/// place in the list.
async fn users_page(
    app: &App,
    ctx: &Ctx,
    at: &At,
) -> Result<(Vec<(UserRow, Vec<Role>)>, Pager), Error> {
    let start = Start::read(app, &format!("users:{}", ctx.actor.tenant), at);
    let (mut views, total) =
        identity::users_page(app, ctx, start.position(), start.fetch()).await?;
    let pager = start.finish(app, &mut views, total, |v| {
        (v.user.upn.clone(), v.user.id.to_string())
    });
    let rows = views.into_iter().map(|v| (v.user, v.roles)).collect();
    Ok((rows, pager))
}

async fn render_with(
    app: &App,
    visit: &Visit,
    ctx: &Ctx,
    at: &At,
    problem: Option<String>,
    errors: &[FieldError],
    form: &[(String, String)],
) -> Response {
    let lang = visit.lang();
    let tenant = match identity::own_tenant(app, ctx).await {
        Ok(t) => t,
        Err(e) => return super::layout::domain_error(visit, e),
    };
    let (rows, pager) = match users_page(app, ctx, at).await {
        Ok(page) => page,
        Err(e) => return super::layout::domain_error(visit, e),
    };
    let can_manage = can(
        &ctx.actor,
        Action::ManageUsers,
        Resource::Tenant(ctx.actor.tenant),
    )
    .allowed();
    let grantable: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| match r {
            Role::OperatorAdmin => tenant.kind == TenantKind::Operator,
            r if r.is_directory_role() => true,
            _ => tenant.kind == TenantKind::Partner,
        })
        .collect();
    let value = |k: &str| {
        form.iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let title = t(lang, "users.title");
    let status = if errors.is_empty() && problem.is_none() {
        StatusCode::OK
    } else {
        REFUSED
    };
    (
        status,
        page(
            visit,
            PageOpts { title: &title, active: "/portal/users", mail_public: app.config.mail_viewer_public },
            html! {
                h1 { (title) }
                @if let Some(p) = &problem { div.alert.bad #problem role="alert" { (p) } }
                (super::flash::secret_card(lang, visit.flash(), "temporary-password", "users.temporary_password"))
                (pager.notice(lang))
                (users_table(visit, ctx, &rows, can_manage))
                (pager.nav(lang, "/portal/users", &title))
                @if can_manage {
                    div.card {
                        h2 { (t(lang, "users.add")) }
                        @if !errors.is_empty() { div.alert.bad role="alert" { (t(lang, "form.invalid")) } }
                        form method="post" action="/portal/users" #add-user {
                            input type="hidden" name="csrf" value=(visit.csrf());
                            label for="upn" { (t(lang, "users.upn")) }
                            input #upn type="email" name="upn" value=(value("upn")) placeholder={"name@" (tenant.domain)};
                            (field_error(errors, "userPrincipalName"))
                            label for="display_name" { (t(lang, "users.name")) }
                            input #display_name type="text" name="display_name" value=(value("display_name"));
                            (field_error(errors, "displayName"))
                            fieldset {
                                legend { (t(lang, "users.roles")) }
                                @for r in &grantable {
                                    label.choice {
                                        input type="checkbox" name="role" value=(r.as_str()) checked[form.iter().any(|(k, v)| k == "role" && v == r.as_str())];
                                        " " (t(lang, &format!("role.{}", r.as_str())))
                                    }
                                }
                                (field_error(errors, "roles"))
                            }
                            p { button #add-user-submit type="submit" { (t(lang, "users.submit")) } }
                        }
                    }
                }
            },
        ),
    )
        .into_response()
}

/// The page's users, with a remove form per user for those who manage users.
fn users_table(
    visit: &Visit,
    ctx: &Ctx,
    rows: &[(UserRow, Vec<Role>)],
    can_manage: bool,
) -> Markup {
    let lang = visit.lang();
    html! {
        table #users {
            thead { tr { th { (t(lang, "users.upn")) } th { (t(lang, "users.name")) } th { (t(lang, "users.roles")) } th { (t(lang, "users.state")) } @if can_manage { th { (t(lang, "users.actions")) } } } }
            tbody {
                @for (u, roles) in rows {
                    tr {
                        td.upn {
                            @if can_manage { a href={"/portal/users/" (u.id)} { (u.upn) } } @else { (u.upn) }
                        }
                        td { (u.display_name) }
                        td { @for r in roles { span.tag { (t(lang, &format!("role.{}", r.as_str()))) } } }
                        td.state { (super::labels::pill(lang, u.state.as_str())) }
                        @if can_manage {
                            td {
                                @if u.state.is_active() && Some(u.id) != ctx.actor.user_id() {
                                    form.confirm-form method="post" action={"/portal/users/" (u.id) "/remove"} {
                                        input type="hidden" name="csrf" value=(visit.csrf());
                                        label.choice {
                                            input.confirm type="checkbox" name="confirm" value="yes";
                                            " " (tf(lang, "users.remove_confirm", &[("upn", &u.upn)]))
                                        }
                                        " "
                                        button.link.danger.remove-user type="submit" data-upn=(u.upn) { (t(lang, "users.remove")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn list(State(app): State<App>, s: SignedIn, Query(at): Query<At>) -> Response {
    if let Err(e) = s
        .ctx
        .require(Action::ReadUsers, Resource::Tenant(s.actor().tenant))
    {
        return super::layout::domain_error(&s.visit, e);
    }
    render_with(&app, &s.visit, &s.ctx, &at, None, &[], &[]).await
}

pub async fn add(
    State(app): State<App>,
    s: SignedIn,
    VerifiedForm(form): VerifiedForm,
) -> Response {
    // Repeated keys (one per ticked role) need the pair list, not a struct.
    let roles: Vec<Role> = form
        .all("role")
        .iter()
        .filter_map(|v| Role::parse(v))
        .collect();
    let result = identity::create_user(
        &app,
        &s.ctx,
        s.actor().tenant,
        NewUser {
            upn: form.get("upn"),
            display_name: form.get("display_name"),
            roles,
            ..Default::default()
        },
    )
    .await;
    match result {
        Ok((user, temp)) => {
            let mut flash = Flash::ok("users.added_flash").with("upn", &user.upn);
            if let Some(password) = temp {
                flash = flash.detail(Detail::Secret(password));
            }
            see_other("/portal/users", flash)
        }
        Err(Error::Validation(errors)) => render(&app, &s.visit, &s.ctx, &errors, &form.0).await,
        Err(e) => super::layout::domain_error(&s.visit, e),
    }
}

pub async fn remove(
    State(app): State<App>,
    s: SignedIn,
    axum::extract::Path(id): axum::extract::Path<String>,
    VerifiedForm(form): VerifiedForm,
) -> Response {
    let Ok(user_id) = id.parse() else {
        return super::layout::domain_error(&s.visit, Error::NotFound("user"));
    };
    if !confirmed(&form) {
        let msg = needs_confirmation(s.lang(), None);
        return render_with(&app, &s.visit, &s.ctx, &At::default(), Some(msg), &[], &[]).await;
    }
    let upn = match identity::user_view(&app, &s.ctx, user_id).await {
        Ok(v) => v.user.upn,
        Err(e) => return super::layout::domain_error(&s.visit, e),
    };
    match identity::remove_user(&app, &s.ctx, user_id).await {
        Ok(()) => see_other("/portal/users", Flash::ok("users.removed").with("upn", upn)),
        Err(Error::Conflict { message, .. }) => {
            render_with(
                &app,
                &s.visit,
                &s.ctx,
                &At::default(),
                Some(message),
                &[],
                &[],
            )
            .await
        }
        Err(e) => super::layout::domain_error(&s.visit, e),
    }
}

fn grantable_roles(kind: TenantKind) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|r| match r {
            Role::OperatorAdmin => kind == TenantKind::Operator,
            r if r.is_directory_role() => true,
            _ => kind == TenantKind::Partner,
        })
        .collect()
}

/// One user: change display name, state and roles.
pub async fn edit_page(
    State(app): State<App>,
    s: SignedIn,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    render_edit(&app, &s, &id, None).await
}

async fn render_edit(app: &App, s: &SignedIn, id: &str, problem: Option<String>) -> Response {
    let (visit, ctx) = (&s.visit, &s.ctx);
    let lang = visit.lang();
    let view = match id.parse().ok() {
        Some(uid) => identity::user_view(app, ctx, uid).await,
        None => Err(Error::NotFound("user")),
    };
    let view = match view {
        Ok(v) => v,
        Err(e) => return super::layout::domain_error(visit, e),
    };
    if let Err(e) = ctx.require(Action::ManageUsers, Resource::Tenant(ctx.actor.tenant)) {
        return super::layout::domain_error(visit, e);
    }
    let kind = ctx.actor.tenant_kind;
    let (user, roles) = (view.user, view.roles);
    let title = t(lang, "users.title");
    let status = if problem.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    (status, page(visit, PageOpts { title: &title, active: "/portal/users", mail_public: app.config.mail_viewer_public }, html! {
        p { a href="/portal/users" { (title) } }
        h1 #edit-user { (user.upn) }
        @if let Some(p) = &problem { div.alert.bad #problem role="alert" { (p) } }
        form.card method="post" action={"/portal/users/" (user.id)} {
            input type="hidden" name="csrf" value=(visit.csrf());
            input type="hidden" name="version" value=(user.version);
            label for="display_name" { (t(lang, "users.name")) }
            input #display_name type="text" name="display_name" value=(user.display_name);
            fieldset {
                legend { (t(lang, "users.roles")) }
                @for r in grantable_roles(kind) {
                    label.choice {
                        input type="checkbox" name="role" value=(r.as_str()) checked[roles.contains(&r)];
                        " " (t(lang, &format!("role.{}", r.as_str())))
                    }
                }
            }
            p { button #save-user type="submit" { (t(lang, "enroll.save")) } }
        }
    })).into_response()
}

pub async fn edit(
    State(app): State<App>,
    s: SignedIn,
    axum::extract::Path(id): axum::extract::Path<String>,
    VerifiedForm(form): VerifiedForm,
) -> Response {
    let Ok(user_id) = id.parse() else {
        return super::layout::domain_error(&s.visit, Error::NotFound("user"));
    };
    let roles: Vec<Role> = form
        .all("role")
        .iter()
        .filter_map(|r| Role::parse(r))
        .collect();
    let patch = identity::UserPatch {
        display_name: Some(form.get("display_name")),
        roles: Some(roles),
        ..Default::default()
    };
    let version = form.get("version").parse().ok();
    match identity::update_user(&app, &s.ctx, user_id, patch, version).await {
        Ok(_) => see_other(&format!("/portal/users/{id}"), Flash::ok("enroll.saved")),
        Err(Error::Conflict { message, .. }) => render_edit(&app, &s, &id, Some(message)).await,
        Err(Error::PreconditionFailed) => {
            let msg = Error::PreconditionFailed.to_string();
            render_edit(&app, &s, &id, Some(msg)).await
        }
        Err(Error::Validation(errs)) => {
            let msg = errs
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            render_edit(&app, &s, &id, Some(msg)).await
        }
        Err(e) => super::layout::domain_error(&s.visit, e),
    }
}
