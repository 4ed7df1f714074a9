//! The enrollment wizard (welcome, directory, membership, profile, company details, "enroll
//! now"), the contact's verification page, and the applicant's status page.

use super::flash::{see_other, Flash};
use super::form::{csrf, errors_for, input, FormData};
use super::guard::{SignedIn, VerifiedForm, REFUSED};
use super::i18n::{t, tf};
use super::layout::{domain_error, error_page, page, PageOpts};
use super::session::{self, NewSession, Visit};
use crate::app::enrollment::{self as uc, EnrollmentRow, LinkProblem, Profile};
use crate::app::identity::{self, NewTenant, NewUser, UserRow};
use crate::app::App;
use crate::domain::enrollment::{Application, Program, Status};
use crate::domain::identity::{Role, TenantKind};
use crate::domain::ids::EnrollmentId;
use crate::domain::{Error, FieldError};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;
use std::net::SocketAddr;

fn opts<'a>(app: &App, title: &'a str) -> PageOpts<'a> {
    PageOpts {
        title,
        active: "/portal/enroll",
        mail_public: app.config.mail_viewer_public,
    }
}

#[derive(Deserialize)]
pub struct ProgramQuery {
    program: Option<String>,
}

/// Welcome: choose a program, then see what the application needs.
pub async fn welcome(
    State(app): State<App>,
    visit: Visit,
    Query(q): Query<ProgramQuery>,
) -> Response {
    let lang = visit.lang();
    let title = t(lang, "enroll.title");
    let program = q.program.as_deref().and_then(Program::parse);
    page(&visit, opts(&app, &title), html! {
        h1 { (title) }
        @match program {
            None => {
                p { (t(lang, "enroll.choose")) }
                div.card {
                    h2 { (t(lang, "program.indirect_reseller")) }
                    p { (t(lang, "enroll.reseller_blurb")) }
                    a.button #choose-reseller href="/portal/enroll?program=indirect_reseller" { (t(lang, "enroll.next")) }
                }
                div.card {
                    h2 { (t(lang, "program.indirect_provider")) }
                    p { (t(lang, "enroll.provider_blurb")) }
                    a.button #choose-provider href="/portal/enroll?program=indirect_provider" { (t(lang, "enroll.next")) }
                }
            }
            Some(p) => {
                div.card #welcome-needs {
                    h2 { (t(lang, &format!("program.{}", p.as_str()))) }
                    p { (t(lang, "enroll.need")) }
                    ul {
                        li { (t(lang, "enroll.need_tenant")) }
                        li { (t(lang, "enroll.need_membership")) }
                        li { (t(lang, "enroll.need_legal")) }
                    }
                    p.muted { (t(lang, "enroll.review_time")) }
                    a.button #welcome-next href={"/portal/enroll/tenant?program=" (p.as_str())} { (t(lang, "enroll.next")) }
                }
            }
        }
    }).into_response()
}

struct TenantForm<'a> {
    program: Program,
    error: Option<String>,
    errors: &'a [FieldError],
    form: Option<&'a FormData>,
}

fn tenant_page(app: &App, visit: &Visit, f: TenantForm<'_>) -> Markup {
    let lang = visit.lang();
    let title = t(lang, "enroll.tenant_title");
    let v = |k: &str| f.form.map(|d| d.get(k)).unwrap_or_default();
    let program = f.program.as_str();
    page(
        visit,
        opts(app, &title),
        html! {
            h1 { (title) }
            @if let Some(e) = &f.error { div.alert.bad #tenant-error role="alert" { (e) } }
            @if let Some((_, user)) = visit.signed_in() {
                div.card {
                    form method="post" action="/portal/enroll/start" {
                        (csrf(visit.csrf()))
                        input type="hidden" name="program" value=(program);
                        button #continue-as type="submit" { (tf(lang, "enroll.continue_as", &[("upn", &user.upn)])) }
                    }
                }
            }
            div.card {
                h2 { (t(lang, "enroll.existing")) }
                p.muted { (t(lang, "enroll.existing_hint")) }
                form method="post" action="/portal/enroll/tenant/signin" {
                    (csrf(visit.csrf()))
                    input type="hidden" name="program" value=(program);
                    label for="existing-upn" { (t(lang, "signin.upn")) }
                    input #existing-upn type="email" name="upn" value=(v("upn")) autocomplete="username";
                    label for="existing-password" { (t(lang, "signin.password")) }
                    input #existing-password type="password" name="password" autocomplete="current-password";
                    p { button #existing-submit type="submit" { (t(lang, "signin.submit")) } }
                }
            }
            div.card {
                h2 { (t(lang, "enroll.create")) }
                form method="post" action="/portal/enroll/tenant/create" #create-tenant {
                    (csrf(visit.csrf()))
                    input type="hidden" name="program" value=(program);
                    (input(&t(lang, "enroll.org_name"), "displayName", "text", &v("displayName"), f.errors))
                    label for="domain" { (t(lang, "enroll.domain")) }
                    input #domain name="domain" type="text" value=(v("domain")) data-availability="/v1/tenants/domainavailability"
                        data-free=(t(lang, "enroll.domain_free")) data-taken=(t(lang, "enroll.domain_taken"));
                    div.muted #domain-status aria-live="polite" { (t(lang, "enroll.domain_hint")) }
                    (errors_for(f.errors, "domain"))
                    label for="country" { (t(lang, "enroll.country")) }
                    select #country name="country" {
                        @for (code, name) in COUNTRIES {
                            option value=(code) selected[v("country") == *code] { (name) " (" (code) ")" }
                        }
                    }
                    (errors_for(f.errors, "country"))
                    (input(&t(lang, "enroll.admin_name"), "adminName", "text", &v("adminName"), f.errors))
                    (errors_for(f.errors, "admin.displayName"))
                    label for="new-password" { (t(lang, "signin.password")) }
                    input #new-password type="password" name="password" autocomplete="new-password";
                    (errors_for(f.errors, "admin.password"))
                    (errors_for(f.errors, "admin.userPrincipalName"))
                    p { button #create-submit type="submit" { (t(lang, "enroll.create_submit")) } }
                }
            }
        },
    )
}

/// Countries offered in forms: the ones the demo and tests use, plus common markets.
pub const COUNTRIES: &[(&str, &str)] = &[
    ("US", "United States"),
    ("KR", "대한민국 / Korea"),
    ("GB", "United Kingdom"),
    ("DE", "Deutschland"),
    ("FR", "France"),
    ("JP", "日本 / Japan"),
    ("CA", "Canada"),
    ("AU", "Australia"),
    ("IN", "India"),
    ("BR", "Brasil"),
    ("SG", "Singapore"),
    ("NL", "Nederland"),
];

pub async fn tenant_step(
    State(app): State<App>,
    visit: Visit,
    Query(q): Query<ProgramQuery>,
) -> Response {
    let Some(program) = q.program.as_deref().and_then(Program::parse) else {
        return Redirect::to("/portal/enroll").into_response();
    };
    tenant_page(
        &app,
        &visit,
        TenantForm {
            program,
            error: None,
            errors: &[],
            form: None,
        },
    )
    .into_response()
}

/// Starts (or continues) the application as `user` and sends the browser to it.
async fn start_as(
    app: &App,
    visit: &Visit,
    user: &UserRow,
    program: Program,
    new_session: Option<NewSession>,
) -> Response {
    let actor = match identity::actor_for_user(app, user.id).await {
        Ok(Some((actor, _))) => actor,
        Ok(None) => {
            return error_page(
                visit,
                StatusCode::UNAUTHORIZED,
                &t(visit.lang(), "signin.failed"),
            )
        }
        Err(e) => return domain_error(visit, e),
    };
    let ctx = crate::app::Ctx {
        actor,
        upn: Some(user.upn.clone()),
        correlation_id: visit.request_id.clone(),
    };
    let mut resp = match uc::start(app, &ctx, program).await {
        Ok((e, _)) => Redirect::to(&format!("/portal/enrollment/{}", e.id)).into_response(),
        Err(e) => domain_error(visit, e),
    };
    if let Some(s) = new_session {
        resp.extensions_mut().insert(s);
    }
    resp
}

async fn new_session_for(app: &App, visit: &Visit, user: &UserRow) -> Result<NewSession, Response> {
    let _ = crate::app::sessions::end(app, &visit.token_hash).await;
    match session::create(app, Some(user), visit.lang(), false).await {
        Ok((token, row)) => Ok(NewSession(token, row.expires_at - app.clock.now_ms())),
        Err(e) => Err(domain_error(visit, e)),
    }
}

pub async fn start_signed_in(
    State(app): State<App>,
    s: SignedIn,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let Some(program) = Program::parse(&f.get("program")) else {
        return Redirect::to("/portal/enroll").into_response();
    };
    let (visit, actor, user) = (&s.visit, s.actor(), &s.user);
    if let Some(msg) = refusal(actor, visit.lang()) {
        let page = tenant_page(
            &app,
            visit,
            TenantForm {
                program,
                error: Some(msg),
                errors: &[],
                form: None,
            },
        );
        return (REFUSED, page).into_response();
    }
    start_as(&app, visit, user, program, None).await
}

/// Why this account cannot apply, in words for the person.
fn refusal(actor: &crate::domain::authz::Actor, lang: &str) -> Option<String> {
    if actor.tenant_kind != TenantKind::Partner {
        Some(t(lang, "enroll.not_partner_tenant"))
    } else if !actor.has(Role::GlobalAdministrator) {
        Some(t(lang, "enroll.not_admin"))
    } else {
        None
    }
}

pub async fn tenant_signin(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    visit: Visit,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let Some(program) = Program::parse(&f.get("program")) else {
        return Redirect::to("/portal/enroll").into_response();
    };
    let lang = visit.lang().to_string();
    let fail = |msg: String| {
        let page = tenant_page(
            &app,
            &visit,
            TenantForm {
                program,
                error: Some(msg),
                errors: &[],
                form: Some(&f),
            },
        );
        (REFUSED, page).into_response()
    };
    let user = match identity::authenticate(
        &app,
        &f.get("upn"),
        &f.get("password"),
        &peer.ip().to_string(),
    )
    .await
    {
        Ok(u) => u,
        Err(Error::Throttled { retry_after_secs }) => {
            return fail(tf(
                &lang,
                "signin.throttled",
                &[("secs", &retry_after_secs.to_string())],
            ))
        }
        Err(Error::Unauthenticated(_)) => return fail(t(&lang, "signin.failed")),
        Err(e) => return domain_error(&visit, e),
    };
    let actor = match identity::actor_for_user(&app, user.id).await {
        Ok(Some((actor, _))) => actor,
        Ok(None) => return fail(t(&lang, "signin.failed")),
        Err(e) => return domain_error(&visit, e),
    };
    if let Some(msg) = refusal(&actor, &lang) {
        return fail(msg);
    }
    match new_session_for(&app, &visit, &user).await {
        Ok(s) => start_as(&app, &visit, &user, program, Some(s)).await,
        Err(r) => r,
    }
}

pub async fn tenant_create(
    State(app): State<App>,
    visit: Visit,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let Some(program) = Program::parse(&f.get("program")) else {
        return Redirect::to("/portal/enroll").into_response();
    };
    let domain = f.get("domain").trim().to_ascii_lowercase();
    let created = identity::create_tenant_with_admin(
        &app,
        None,
        NewTenant {
            domain: domain.clone(),
            display_name: f.get("displayName"),
            country: f.get("country"),
            kind: TenantKind::Partner,
        },
        NewUser {
            upn: format!("admin@{domain}"),
            display_name: f.get("adminName"),
            password: Some(f.get("password")),
            language: Some(visit.lang().to_string()),
            ..Default::default()
        },
    )
    .await;
    match created {
        Ok((_, user, _)) => match new_session_for(&app, &visit, &user).await {
            Ok(s) => start_as(&app, &visit, &user, program, Some(s)).await,
            Err(r) => r,
        },
        Err(Error::Validation(errors)) => (
            StatusCode::BAD_REQUEST,
            tenant_page(
                &app,
                &visit,
                TenantForm {
                    program,
                    error: Some(t(visit.lang(), "form.invalid")),
                    errors: &errors,
                    form: Some(&f),
                },
            ),
        )
            .into_response(),
        Err(e) => domain_error(&visit, e),
    }
}

/// Loads the visitor's own application.
async fn own(app: &App, s: &SignedIn, id: &str) -> Result<EnrollmentRow, Response> {
    let id = EnrollmentId::named(id).map_err(|e| domain_error(&s.visit, e))?;
    uc::visible(app, &s.ctx, id)
        .await
        .map_err(|e| domain_error(&s.visit, e))
}

#[derive(Default)]
struct StepState<'a> {
    errors: &'a [FieldError],
    error: Option<String>,
    form: Option<&'a FormData>,
}

/// The application page: the next step while it is being filled in, its status after.
pub async fn enrollment(State(app): State<App>, s: SignedIn, Path(id): Path<String>) -> Response {
    let e = match own(&app, &s, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    render_step(&app, &s.visit, &s.ctx, &e, StepState::default()).await
}

fn status_card(lang: &str, e: &EnrollmentRow) -> Markup {
    html! {
        div.card #enrollment-status {
            dl.facts {
                dt { (t(lang, "review.program")) } dd { (t(lang, &format!("program.{}", e.program.as_str()))) }
                dt { (t(lang, "enroll.status")) } dd #status-text data-status=(e.status.as_str()) { (t(lang, &format!("enroll.status.{}", e.status.as_str()))) }
                dt { (t(lang, "enroll.vetting")) } dd #vetting { ({ let (v, step) = e.status.vetting(); super::labels::vetting(lang, (v.as_str(), step.as_str())) }) }
            }
            @if let Some(n) = &e.review_note { div.alert.info #review-note { strong { (t(lang, "enroll.note")) ": " } (n) } }
            @if e.status == Status::AwaitingEmailVerification {
                p #check-mail { (tf(lang, "enroll.check_mail", &[("email", &e.application.contact_email)])) }
            }
        }
    }
}

/// Step one: sign in to the partner-network membership.
fn membership_step(visit: &Visit, e: &EnrollmentRow, st: &StepState<'_>) -> Markup {
    let lang = visit.lang();
    let v = |k: &str| st.form.map(|d| d.get(k)).unwrap_or_default();
    html! {
        h1 { (t(lang, "enroll.membership_title")) }
        @if let Some(err) = &st.error { div.alert.bad role="alert" { (err) } }
        div.card {
            p { (t(lang, "enroll.membership_intro")) }
            form method="post" action={"/portal/enrollment/" (e.id) "/membership"} {
                (csrf(visit.csrf()))
                (input(&t(lang, "enroll.membership_user"), "membershipUsername", "text", &v("membershipUsername"), st.errors))
                label for="membershipPassword" { (t(lang, "enroll.membership_password")) }
                input #membershipPassword type="password" name="membershipPassword";
                p { button #membership-submit type="submit" { (t(lang, "enroll.membership_submit")) } }
            }
        }
    }
}

/// Step two: choose one of the membership's profiles.
fn profile_step(
    visit: &Visit,
    e: &EnrollmentRow,
    country: &str,
    profiles: &[Profile],
    st: &StepState<'_>,
) -> Markup {
    let lang = visit.lang();
    html! {
        h1 { (t(lang, "enroll.profile_title")) }
        div.card {
            p { (tf(lang, "enroll.profile_intro", &[("country", country)])) }
            form method="post" action={"/portal/enrollment/" (e.id) "/profile"} {
                (csrf(visit.csrf()))
                @for p in profiles {
                    label.choice {
                        input type="radio" name="profileId" value=(p.profile_id) id={"profile-" (p.profile_id)};
                        " " (p.name) " (" (p.profile_id) ", " (p.country) ")"
                        @if p.country != country { " " span.muted { (t(lang, "enroll.profile_other_country")) } }
                    }
                }
                (errors_for(st.errors, "profileId"))
                p { button #profile-submit type="submit" { (t(lang, "enroll.profile_submit")) } }
            }
            form method="post" action={"/portal/enrollment/" (e.id) "/membership/cancel"} {
                (csrf(visit.csrf()))
                button.link #cancel-membership type="submit" { (t(lang, "enroll.cancel_membership")) }
            }
        }
    }
}

/// Step three: the application itself (legal business, contact, support).
fn application_step(
    visit: &Visit,
    e: &EnrollmentRow,
    tenant_country: &str,
    st: &StepState<'_>,
) -> Markup {
    let lang = visit.lang();
    let a = &e.application;
    let v = |k: &str, current: &str| {
        st.form
            .map(|d| d.get(k))
            .unwrap_or_else(|| current.to_string())
    };
    let country = if a.country.is_empty() {
        tenant_country.to_string()
    } else {
        a.country.clone()
    };
    html! {
        h1 { (t(lang, "enroll.application_title")) }
        @if e.status == Status::MoreInfoNeeded { (status_card(lang, e)) }
        @if !st.errors.is_empty() { div.alert.bad role="alert" #form-invalid { (t(lang, "form.invalid")) } }
        form method="post" action={"/portal/enrollment/" (e.id) "/application"} #application {
            (csrf(visit.csrf()))
            @if e.support_only {
                div.alert.info { (t(lang, "enroll.support_only")) }
            } @else {
                div.card {
                    h2 { (t(lang, "enroll.legal")) }
                    (input(&t(lang, "enroll.legal_name"), "legalName", "text", &v("legalName", &a.legal_name), st.errors))
                    (input(&t(lang, "enroll.address1"), "addressLine1", "text", &v("addressLine1", &a.address_line1), st.errors))
                    (input(&t(lang, "enroll.address2"), "addressLine2", "text", &v("addressLine2", &a.address_line2), st.errors))
                    (input(&t(lang, "enroll.city"), "city", "text", &v("city", &a.city), st.errors))
                    (input(&t(lang, "enroll.region"), "region", "text", &v("region", &a.region), st.errors))
                    (input(&t(lang, "enroll.postal"), "postalCode", "text", &v("postalCode", &a.postal_code), st.errors))
                    (input(&t(lang, "enroll.country"), "country", "text", &v("country", &country), st.errors))
                    (input(&t(lang, "enroll.registration"), "registrationNumber", "text", &v("registrationNumber", &a.registration_number), st.errors))
                }
                div.card {
                    h2 { (t(lang, "enroll.contact")) }
                    (input(&t(lang, "enroll.first_name"), "contactFirstName", "text", &v("contactFirstName", &a.contact_first_name), st.errors))
                    (input(&t(lang, "enroll.last_name"), "contactLastName", "text", &v("contactLastName", &a.contact_last_name), st.errors))
                    (input(&t(lang, "enroll.email"), "contactEmail", "email", &v("contactEmail", &a.contact_email), st.errors))
                    (input(&t(lang, "enroll.phone"), "contactPhone", "tel", &v("contactPhone", &a.contact_phone), st.errors))
                }
            }
            div.card {
                h2 { (t(lang, "enroll.support")) }
                (input(&t(lang, "enroll.support_email"), "supportEmail", "email", &v("supportEmail", &a.support_email), st.errors))
                (input(&t(lang, "enroll.support_phone"), "supportPhone", "tel", &v("supportPhone", &a.support_phone), st.errors))
                (input(&t(lang, "enroll.support_website"), "supportWebsite", "url", &v("supportWebsite", &a.support_website), st.errors))
            }
            p {
                button #enroll-now type="submit" name="action" value="submit" { (t(lang, "enroll.submit")) }
                " "
                button.link #save-draft type="submit" name="action" value="save" { (t(lang, "enroll.save")) }
            }
        }
    }
}

/// The application page: the status once it is no longer editable, else the next step.
async fn render_step(
    app: &App,
    visit: &Visit,
    ctx: &crate::app::Ctx,
    e: &EnrollmentRow,
    st: StepState<'_>,
) -> Response {
    let lang = visit.lang();
    let facts = match uc::step_facts(app, ctx, e).await {
        Ok(f) => f,
        Err(err) => return domain_error(visit, err),
    };
    let title = t(lang, "enroll.status_title");
    let body: Markup = if !e.status.editable() {
        html! { h1 { (title) } (status_card(lang, e)) }
    } else if !e.support_only && e.mpn_id.is_none() {
        membership_step(visit, e, &st)
    } else if !e.support_only && e.profile_id.is_none() {
        profile_step(visit, e, &facts.tenant.country, &facts.profiles, &st)
    } else {
        application_step(visit, e, &facts.tenant.country, &st)
    };
    let status = if st.errors.is_empty() && st.error.is_none() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    (status, page(visit, opts(app, &title), body)).into_response()
}

pub async fn membership(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let (visit, ctx) = (&s.visit, &s.ctx);
    let e = match own(&app, &s, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match uc::link_membership(
        &app,
        ctx,
        e.id,
        &f.get("membershipUsername"),
        &f.get("membershipPassword"),
    )
    .await
    {
        Ok(_) => see_other(
            &format!("/portal/enrollment/{id}"),
            Flash::ok("enroll.membership_linked"),
        ),
        Err(Error::Validation(errors)) => {
            render_step(
                &app,
                visit,
                ctx,
                &e,
                StepState {
                    errors: &errors,
                    form: Some(&f),
                    ..Default::default()
                },
            )
            .await
        }
        Err(Error::Throttled { retry_after_secs }) => {
            let msg = tf(
                visit.lang(),
                "signin.throttled",
                &[("secs", &retry_after_secs.to_string())],
            );
            render_step(
                &app,
                visit,
                ctx,
                &e,
                StepState {
                    error: Some(msg),
                    form: Some(&f),
                    ..Default::default()
                },
            )
            .await
        }
        Err(err) => domain_error(visit, err),
    }
}

pub async fn profile(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let (visit, ctx) = (&s.visit, &s.ctx);
    let e = match own(&app, &s, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let chosen = f.get("profileId").parse::<i64>().unwrap_or(0);
    match uc::choose_profile(&app, ctx, e.id, chosen).await {
        Ok(_) => see_other(
            &format!("/portal/enrollment/{id}"),
            Flash::ok("enroll.profile_chosen"),
        ),
        Err(Error::Validation(errors)) => {
            render_step(
                &app,
                visit,
                ctx,
                &e,
                StepState {
                    errors: &errors,
                    ..Default::default()
                },
            )
            .await
        }
        Err(err) => domain_error(visit, err),
    }
}

pub async fn cancel_membership(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    VerifiedForm(_): VerifiedForm,
) -> Response {
    let (visit, ctx) = (&s.visit, &s.ctx);
    let e = match own(&app, &s, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match uc::unlink_membership(&app, ctx, e.id).await {
        Ok(_) => see_other(
            &format!("/portal/enrollment/{id}"),
            Flash::ok("enroll.membership_unlinked"),
        ),
        Err(err) => domain_error(visit, err),
    }
}

fn application_from(f: &FormData, base: &Application, support_only: bool) -> Application {
    let g = |k: &str| f.get(k).trim().to_string();
    let mut a = if support_only {
        base.clone()
    } else {
        Application {
            legal_name: g("legalName"),
            address_line1: g("addressLine1"),
            address_line2: g("addressLine2"),
            city: g("city"),
            region: g("region"),
            postal_code: g("postalCode"),
            country: g("country").to_ascii_uppercase(),
            registration_number: g("registrationNumber"),
            contact_first_name: g("contactFirstName"),
            contact_last_name: g("contactLastName"),
            contact_email: g("contactEmail"),
            contact_phone: g("contactPhone"),
            ..Default::default()
        }
    };
    a.support_email = g("supportEmail");
    a.support_phone = g("supportPhone");
    a.support_website = g("supportWebsite");
    a
}

pub async fn application(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let (visit, ctx) = (&s.visit, &s.ctx);
    let e = match own(&app, &s, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let a = application_from(&f, &e.application, e.support_only);
    // What was typed is kept even when it does not validate yet.
    let saved = match uc::save_draft(&app, ctx, e.id, a).await {
        Ok(s) => s,
        Err(err) => return domain_error(visit, err),
    };
    if f.get("action") != "submit" {
        return see_other(
            &format!("/portal/enrollment/{id}"),
            Flash::ok("enroll.saved"),
        );
    }
    match uc::submit(&app, ctx, e.id, None).await {
        Ok(_) => see_other(
            &format!("/portal/enrollment/{id}"),
            Flash::ok("enroll.submitted"),
        ),
        Err(Error::Validation(errors)) => {
            render_step(
                &app,
                visit,
                ctx,
                &saved,
                StepState {
                    errors: &errors,
                    form: Some(&f),
                    ..Default::default()
                },
            )
            .await
        }
        Err(err) => domain_error(visit, err),
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// The link in the contact's mail opens this page; confirming is a deliberate click, so mail
/// scanners that open links do not use the token up.
pub async fn verify_page(
    State(app): State<App>,
    visit: Visit,
    Query(q): Query<TokenQuery>,
) -> Response {
    let lang = visit.lang();
    let title = t(lang, "verify.title");
    let token = q.token.unwrap_or_default();
    // After confirming, the browser lands here: the page itself says it is done, so the
    // message is not repeated above it.
    let mut shown = visit.clone();
    let done = shown.flash.take_if(|f| f.key == "verify.done");
    page(
        &shown,
        opts(&app, &title),
        html! {
            div.card.narrow {
                h1 { (title) }
                @if let Some(done) = &done {
                    div.alert.ok #verify-result role="status" { (done.text(lang)) }
                } @else {
                    p { (t(lang, "verify.intro")) }
                    form method="post" action="/portal/enroll/verify" {
                        (csrf(visit.csrf()))
                        input type="hidden" name="token" value=(token);
                        button #verify-submit type="submit" { (t(lang, "verify.submit")) }
                    }
                }
            }
        },
    )
    .into_response()
}

pub async fn verify_submit(
    State(app): State<App>,
    visit: Visit,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let lang = visit.lang();
    let title = t(lang, "verify.title");
    let (status, message) = match uc::verify_email(&app, &f.get("token")).await {
        Ok(Ok(_)) => return see_other("/portal/enroll/verify", Flash::ok("verify.done")),
        Ok(Err(LinkProblem::Unknown)) => (StatusCode::BAD_REQUEST, t(lang, "verify.invalid")),
        Ok(Err(LinkProblem::Expired)) => (StatusCode::GONE, t(lang, "verify.expired")),
        Ok(Err(LinkProblem::Used)) => (StatusCode::CONFLICT, t(lang, "verify.used")),
        Err(e) => return domain_error(&visit, e),
    };
    (
        status,
        page(
            &visit,
            opts(&app, &title),
            html! {
                div.card.narrow {
                    h1 { (title) }
                    div.alert.bad #verify-result role="alert" { (message) }
                }
            },
        ),
    )
        .into_response()
}

/// The signed-in organisation's applications (menu entry "My application").
pub async fn mine(State(app): State<App>, s: SignedIn) -> Response {
    match uc::newest_own(&app, &s.ctx).await {
        Ok(Some(e)) => Redirect::to(&format!("/portal/enrollment/{}", e.id)).into_response(),
        Ok(None) => Redirect::to("/portal/enroll").into_response(),
        Err(e) => domain_error(&s.visit, e),
    }
}
