//! Customer pages: the partner's customers (with "invite a customer"), one customer's record,
//! the customer's answer to a relationship request, and the customer's own partners page.

use super::flash::{see_other, Detail, Flash};
use super::form::csrf;
use super::guard::{
    confirmed, needs_confirmation, typed_name_matches, SignedIn, VerifiedForm, REFUSED,
};
use super::i18n::{t, tf};
use super::layout::{domain_error, error_page, page, PageOpts};
use super::session::{self, url_escape, NewSession, Visit};
use crate::app::customer_lists as lists;
use crate::app::customers as uc;
use crate::app::identity::{self, NewTenant, NewUser};
use crate::app::App;
use crate::domain::authz::{can, Action, Resource};
use crate::domain::customer::{AccessRequest, GrantRole};
use crate::domain::identity::TenantKind;
use crate::domain::ids::TenantId;
use crate::domain::Error;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;

fn opts<'a>(app: &App, title: &'a str, active: &'a str) -> PageOpts<'a> {
    PageOpts {
        title,
        active,
        mail_public: app.config.mail_viewer_public,
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
}

pub async fn list(State(app): State<App>, s: SignedIn, Query(q): Query<ListQuery>) -> Response {
    render_list(&app, &s, q.q, None).await
}

async fn render_list(
    app: &App,
    s: &SignedIn,
    search: Option<String>,
    problem: Option<String>,
) -> Response {
    let (visit, ctx) = (&s.visit, &s.ctx);
    let lang = visit.lang();
    let groups = match uc::grouped(app, ctx, search.as_deref(), 500).await {
        Ok(g) => g,
        Err(Error::Forbidden(_)) => {
            return error_page(visit, StatusCode::FORBIDDEN, &t(lang, "error.forbidden"))
        }
        Err(e) => return domain_error(visit, e),
    };
    let providers = match uc::request_providers(app, ctx).await {
        Ok(p) => p,
        Err(e) => return domain_error(visit, e),
    };
    let may_invite = can(
        &ctx.actor,
        Action::InviteCustomers,
        Resource::Tenant(ctx.actor.tenant),
    )
    .allowed();
    let title = t(lang, "customers.title");
    let status = if problem.is_some() {
        REFUSED
    } else {
        StatusCode::OK
    };
    let created = match visit.flash().and_then(|f| f.detail.as_ref()) {
        Some(Detail::Link {
            url, subject, body, ..
        }) => Some((url, subject, body)),
        _ => None,
    };
    (
        status,
        page(
            visit,
            opts(app, &title, "/portal/customers"),
            html! {
                h1 { (title) }
                form method="get" action="/portal/customers" {
                    label for="q" { (t(lang, "customers.search")) }
                    input #q type="text" name="q" value=(search.clone().unwrap_or_default());
                    " " button type="submit" { (t(lang, "directory.search")) }
                }
                (customer_groups(lang, &groups))
                @if let Some((url, subject, body)) = created { (request_created(lang, url, subject, body)) }
                @if let Some(p) = &problem { div.alert.bad role="alert" #request-error { (p) } }
                @if may_invite { (request_form(visit, lang, &providers)) }
            },
        ),
    )
        .into_response()
}

/// The customers, one table per reseller they are served through.
fn customer_groups(lang: &str, groups: &[uc::CustomerGroup]) -> Markup {
    html! {
        @if groups.is_empty() { p #customers-empty { (t(lang, "customers.none")) } }
        @for g in groups {
            h2.customer-group { (g.reseller_name.clone().unwrap_or_else(|| t(lang, "customers.direct"))) }
            table.customers {
                thead { tr { th { (t(lang, "customers.name")) } th { (t(lang, "customers.domain")) } th { (t(lang, "customers.country")) } } }
                tbody {
                    @for r in &g.rows {
                        tr.customer {
                            td { a.customer-link href={"/portal/customers/" (r.id)} { (r.name) } }
                            td { (r.domain) }
                            td { (r.country) }
                        }
                    }
                }
            }
        }
    }
}

/// The link a new customer request made, to copy or mail.
fn request_created(lang: &str, url: &str, subject: &str, body: &str) -> Markup {
    html! {
        div.card #request-created {
            label for="request-link" { (t(lang, "resellers.link")) }
            input #request-link type="text" readonly value=(url);
            p {
                button type="button" data-copy="request-link" data-copied=(t(lang, "resellers.copied")) { (t(lang, "resellers.copy")) }
                " "
                a.button href={"mailto:?subject=" (url_escape(subject)) "&body=" (url_escape(body))} { (t(lang, "resellers.mailto")) }
            }
            pre.mail { (body) }
        }
    }
}

/// The form that creates a customer relationship request.
fn request_form(visit: &Visit, lang: &str, providers: &[(TenantId, String)]) -> Markup {
    html! {
        form.card method="post" action="/portal/customers/request" #customer-request {
            h2 { (t(lang, "customers.request")) }
            p.muted { (t(lang, "customers.request_intro")) }
            (csrf(visit.csrf()))
            label for="provider" { (t(lang, "customers.provider")) }
            select #provider name="provider" {
                option value="" { (t(lang, "customers.no_provider")) }
                @for (id, name) in providers { option value=(id) { (name) } }
            }
            fieldset {
                legend { (t(lang, "customers.roles")) }
                @for r in GrantRole::ALL {
                    label.choice {
                        input type="checkbox" name="role" value=(r.as_str());
                        " " (t(lang, &format!("grant.{}", r.as_str())))
                    }
                }
            }
            label for="days" { (t(lang, "customers.duration")) }
            input #days type="text" name="days" value="90";
            label.choice { input type="checkbox" name="auto_extend" value="yes"; " " (t(lang, "customers.auto_extend")) }
            label for="email" { (t(lang, "customers.email")) }
            input #email type="email" name="email";
            p { button #create-request type="submit" { (t(lang, "customers.create_link")) } }
        }
    }
}

pub async fn request(
    State(app): State<App>,
    s: SignedIn,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let provider = f.get("provider").parse::<TenantId>().ok();
    let roles: Vec<GrantRole> = f
        .all("role")
        .iter()
        .filter_map(|r| GrantRole::parse(r))
        .collect();
    let access = AccessRequest {
        duration_days: if roles.is_empty() {
            0
        } else {
            f.get("days").trim().parse().unwrap_or(0)
        },
        auto_extend: f.get("auto_extend") == "yes",
        roles: roles.into_iter().collect(),
    };
    let email = f.get("email");
    match uc::request(&app, &s.ctx, provider, access, Some(email.as_str())).await {
        Ok(r) => {
            let link = Detail::Link {
                url: r.url,
                subject: r.subject,
                body: r.body,
                sent_to: None,
            };
            see_other(
                "/portal/customers",
                Flash::ok("customers.request_created").detail(link),
            )
        }
        Err(Error::Validation(errs)) => {
            let msg = errs
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            render_list(&app, &s, None, Some(msg)).await
        }
        Err(e) => domain_error(&s.visit, e),
    }
}

/// One customer: company, partners, users (with a grant) and seats.
pub async fn record(State(app): State<App>, s: SignedIn, Path(id): Path<String>) -> Response {
    let (visit, ctx) = (s.visit, s.ctx);
    let lang = visit.lang();
    let record = match lists::record(&app, &ctx, &id).await {
        Ok(r) => r,
        Err(e) => return domain_error(&visit, e),
    };
    let (tenant, facts, partners, seats, subs) = (
        record.tenant,
        record.facts,
        record.partners,
        record.seats,
        record.services,
    );
    let directory = record.users.is_some();
    let users = record.users.unwrap_or_default();
    page(&visit, opts(&app, &tenant.display_name, "/portal/customers"), html! {
        p { a href="/portal/customers" { (t(lang, "customers.title")) } }
        h1 #customer-name { (tenant.display_name) }
        p.actions {
            @if can(&ctx.actor, Action::OrderForCustomer, Resource::Customer(facts)).allowed() {
                a.button #order-link href={"/portal/customers/" (tenant.id) "/order"} { (t(lang, "order.title")) }
            }
            @if crate::app::customer_admin::Abilities::of(&ctx, facts).any() {
                a.button.secondary #admin-link href={"/portal/customers/" (tenant.id) "/admin"} { (t(lang, "cadmin.open")) }
            }
        }
        div.card { dl.facts {
            dt { (t(lang, "customers.domain")) } dd { (tenant.domain) }
            dt { (t(lang, "customers.country")) } dd { (tenant.country) }
        } }
        h2 { (t(lang, "record.partners")) }
        ul #customer-partners { @for p in &partners { li { (p.name) } } }
        (super::commerce::services_table(lang, &subs))
        h2 { (t(lang, "record.seats")) }
        @if seats.is_empty() { p.muted { "-" } } @else {
            table #seats {
                thead { tr { th { (t(lang, "record.sku")) } th { (t(lang, "record.purchased")) } th { (t(lang, "record.assigned")) } th { (t(lang, "record.available")) } } }
                tbody { @for s in &seats { tr { td { (s.name) } td { (s.active_units) } td { (s.consumed_units) } td { (s.available()) } } } }
            }
        }
        h2 { (t(lang, "record.users")) }
        @if directory {
            table #customer-users { tbody { @for u in &users { tr { td { (u.upn) } td { (u.display_name) } td { (super::labels::pill(lang, u.state.as_str())) } } } } }
        } @else {
            p #no-directory { (t(lang, "record.no_directory")) }
        }
    }).into_response()
}

/// How many shared customers the partnership's page lists.
const SHARED_ROWS: u32 = 500;

/// Customers both sides of a partnership serve.
pub async fn shared(State(app): State<App>, s: SignedIn, Path(id): Path<String>) -> Response {
    let (visit, ctx) = (s.visit, s.ctx);
    let lang = visit.lang();
    let rows = match lists::shared_page(&app, &ctx, &id, None, SHARED_ROWS).await {
        Ok((rows, _)) => rows,
        Err(e) => return domain_error(&visit, e),
    };
    let title = t(lang, "customers.shared");
    page(&visit, opts(&app, &title, ""), html! {
        h1 { (title) }
        @if rows.is_empty() { p #shared-empty { (t(lang, "customers.none")) } }
        ul #shared { @for r in &rows { li { a href={"/portal/customers/" (r.id)} { (r.name) } } } }
    }).into_response()
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

fn access_list(lang: &str, roles: &[GrantRole], days: i64) -> Markup {
    html! {
        @if roles.is_empty() {
            p #requested-access { (t(lang, "caccept.no_roles")) }
        } @else {
            p { (tf(lang, "caccept.roles", &[("days", &days.to_string())])) }
            ul #requested-access { @for r in roles { li { (t(lang, &format!("grant.{}", r.as_str()))) } } }
        }
    }
}

/// The customer's answer page for a relationship request.
pub async fn accept_page(
    State(app): State<App>,
    visit: Visit,
    Query(q): Query<TokenQuery>,
) -> Response {
    render_accept(&app, &visit, &q.token.unwrap_or_default(), None, None).await
}

async fn render_accept(
    app: &App,
    visit: &Visit,
    token: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let lang = visit.lang();
    let title = t(lang, "caccept.title");
    let p = match uc::preview(app, token).await {
        Ok(p) => p,
        Err(Error::Conflict { message, .. }) => {
            return error_page(visit, StatusCode::CONFLICT, &message)
        }
        Err(e) => return domain_error(visit, e),
    };
    if p.state != crate::domain::partnership::InvitationState::Pending {
        return error_page(visit, StatusCode::CONFLICT, &t(lang, "verify.used"));
    }
    let org = match visit.ctx() {
        Some(ctx) => crate::app::identity::own_tenant(app, &ctx)
            .await
            .map(|t| t.display_name)
            .unwrap_or_default(),
        None => "your organisation".into(),
    };
    let may_answer = visit.signed_in().is_some_and(|(a, _)| {
        can(a, Action::ManageOwnPartners, Resource::Tenant(a.tenant)).allowed()
    });
    let next = format!("/portal/customer/accept?token={token}");
    // Delegated access is consented to explicitly, naming who gets what for how long.
    let who = match &p.provider {
        Some(provider) => format!("{} and {provider}", p.reseller),
        None => p.reseller.clone(),
    };
    let consent = html! {
        @if !p.invitation.roles.is_empty() {
            fieldset #caccept-consent-step {
                legend { (t(lang, "caccept.consent_title")) }
                label {
                    input #caccept-consent type="checkbox" name="consent" value="yes";
                    " " (tf(lang, "caccept.consent", &[("who", &who), ("days", &p.invitation.duration_days.to_string())]))
                }
            }
        }
    };
    let status = if error.is_some() {
        REFUSED
    } else {
        StatusCode::OK
    };
    (status, page(visit, opts(app, &title, ""), html! {
        div.card {
            h1 { (title) }
            p #caccept-intro { (tf(lang, "caccept.intro", &[("reseller", &p.reseller), ("org", &org)])) }
            @if let Some(provider) = &p.provider { p #caccept-provider { (tf(lang, "caccept.with_provider", &[("provider", provider), ("reseller", &p.reseller)])) } }
            (access_list(lang, &p.invitation.roles, p.invitation.duration_days))
            @if let Some(n) = &notice { div.alert.ok { (n) } }
            @if let Some(e) = &error { div.alert.bad role="alert" #caccept-error { (e) } }
            @if may_answer {
                form.inline method="post" action="/portal/customer/accept" {
                    (csrf(visit.csrf()))
                    input type="hidden" name="token" value=(token);
                    (consent)
                    button #caccept-accept type="submit" name="answer" value="accept" { (t(lang, "caccept.accept")) }
                }
                form.confirm-form method="post" action="/portal/customer/accept" #caccept-decline-form {
                    (csrf(visit.csrf()))
                    input type="hidden" name="token" value=(token);
                    label.choice {
                        input #caccept-decline-confirm type="checkbox" name="confirm" value="yes";
                        " " (tf(lang, "caccept.decline_confirm", &[("who", &who)]))
                    }
                    " "
                    button.link.danger #caccept-decline type="submit" name="answer" value="decline" { (t(lang, "caccept.decline")) }
                }
            } @else {
                @if visit.signed_in().is_some() { div.alert.bad #caccept-not-admin { (t(lang, "caccept.not_admin")) } }
                p { a.button #caccept-signin href={"/portal/signin?next=" (url_escape(&next))} { (t(lang, "caccept.signin")) } }
                h2 { (t(lang, "caccept.create")) }
                form method="post" action="/portal/customer/accept/create" #caccept-create {
                    (csrf(visit.csrf()))
                    input type="hidden" name="token" value=(token);
                    label for="displayName" { (t(lang, "enroll.org_name")) }
                    input #displayName type="text" name="displayName";
                    label for="domain" { (t(lang, "enroll.domain")) }
                    input #domain type="text" name="domain";
                    label for="country" { (t(lang, "enroll.country")) }
                    select #country name="country" { @for (c, n) in super::enroll::COUNTRIES { option value=(c) { (n) } } }
                    label for="adminName" { (t(lang, "enroll.admin_name")) }
                    input #adminName type="text" name="adminName";
                    label for="new-password" { (t(lang, "signin.password")) }
                    input #new-password type="password" name="password";
                    (consent)
                    p { button #caccept-create-submit type="submit" { (t(lang, "enroll.create_submit")) } }
                }
            }
        }
    })).into_response()
}

pub async fn answer(
    State(app): State<App>,
    s: SignedIn,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let token = f.get("token");
    let declining = f.get("answer") == "decline";
    if declining && !confirmed(&f) {
        let msg = needs_confirmation(s.lang(), None);
        return render_accept(&app, &s.visit, &token, None, Some(msg)).await;
    }
    let result = if declining {
        uc::decline(&app, &s.ctx, &token)
            .await
            .map(|_| Flash::ok("caccept.declined"))
    } else {
        uc::accept(&app, &s.ctx, &token, f.get("consent") == "yes")
            .await
            .map(|_| Flash::ok("caccept.accepted"))
    };
    match result {
        Ok(done) => see_other("/portal/customer/partners", done),
        Err(Error::Conflict { message, .. }) => {
            error_page(&s.visit, StatusCode::CONFLICT, &message)
        }
        Err(e) => domain_error(&s.visit, e),
    }
}

/// Creates the customer's directory on the spot, signs its administrator in, and accepts.
pub async fn create_and_accept(
    State(app): State<App>,
    visit: Visit,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let token = f.get("token");
    let domain = f.get("domain").trim().to_ascii_lowercase();
    // Consent is asked before anything is created, so a missing tick never leaves behind a
    // directory that could not then accept.
    let consent = f.get("consent") == "yes";
    if let Ok(p) = uc::preview(&app, &token).await {
        if !p.invitation.roles.is_empty() && !consent {
            let msg = t(visit.lang(), "caccept.consent_title");
            return render_accept(&app, &visit, &token, None, Some(msg)).await;
        }
    }
    let created = identity::create_tenant_with_admin(
        &app,
        None,
        NewTenant {
            domain: domain.clone(),
            display_name: f.get("displayName"),
            country: f.get("country"),
            kind: TenantKind::Customer,
        },
        NewUser {
            upn: format!("admin@{domain}"),
            display_name: f.get("adminName"),
            password: Some(f.get("password")),
            language: Some(visit.lang().into()),
            ..Default::default()
        },
    )
    .await;
    let user = match created {
        Ok((_, u, _)) => u,
        // A directory made earlier (through the API, say) accepts by signing in.
        Err(Error::Validation(errs))
            if errs
                .iter()
                .any(|e| e.field == "domain" && e.message.contains("taken")) =>
        {
            let msg = t(visit.lang(), "caccept.exists");
            return render_accept(&app, &visit, &token, None, Some(msg)).await;
        }
        Err(Error::Validation(errs)) => {
            let msg = errs
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            return render_accept(&app, &visit, &token, None, Some(msg)).await;
        }
        Err(e) => return domain_error(&visit, e),
    };
    let actor = match identity::actor_for_user(&app, user.id).await {
        Ok(Some((actor, _))) => actor,
        Ok(None) => return domain_error(&visit, Error::NotFound("user")),
        Err(e) => return domain_error(&visit, e),
    };
    let ctx = crate::app::Ctx {
        actor,
        upn: Some(user.upn.clone()),
        correlation_id: visit.request_id.clone(),
    };
    let _ = crate::app::sessions::end(&app, &visit.token_hash).await;
    let (stoken, row) = match session::create(&app, Some(&user), visit.lang(), false).await {
        Ok(x) => x,
        Err(e) => return domain_error(&visit, e),
    };
    let mut resp = match uc::accept(&app, &ctx, &token, consent).await {
        Ok(_) => see_other("/portal/customer/partners", Flash::ok("caccept.accepted")),
        Err(Error::Conflict { message, .. }) => error_page(&visit, StatusCode::CONFLICT, &message),
        Err(e) => domain_error(&visit, e),
    };
    resp.extensions_mut()
        .insert(NewSession(stoken, row.expires_at - app.clock.now_ms()));
    resp
}

/// The customer's partners: relationships and grants, with revocation.
pub async fn my_partners(State(app): State<App>, s: SignedIn) -> Response {
    render_my_partners(&app, &s, None).await
}

async fn render_my_partners(app: &App, s: &SignedIn, problem: Option<String>) -> Response {
    let (visit, ctx) = (&s.visit, &s.ctx);
    let lang = visit.lang();
    let partners = match lists::own_partners(app, ctx).await {
        Ok(p) => p,
        Err(Error::Refused(_)) => {
            return error_page(visit, StatusCode::FORBIDDEN, &t(lang, "error.forbidden"))
        }
        Err(e) => return domain_error(visit, e),
    };
    let title = t(lang, "mypartners.title");
    let status = if problem.is_some() {
        REFUSED
    } else {
        StatusCode::OK
    };
    (status, page(visit, opts(app, &title, "/portal/customer/partners"), html! {
        h1 { (title) }
        p.muted { (t(lang, "mypartners.intro")) }
        @if let Some(p) = &problem { div.alert.bad #problem role="alert" { (p) } }
        @if partners.is_empty() { p #mypartners-empty { (t(lang, "mypartners.none")) } }
        @for pg in &partners {
            @let p = &pg.partner;
            div.card.my-partner data-partner=(p.partner) {
                h2.my-partner-name { (p.name) }
                table {
                    thead { tr { th { (t(lang, "mypartners.access")) } th { (t(lang, "mypartners.until")) } th { span.sr-only { (t(lang, "common.actions")) } } } }
                    tbody {
                        @for g in &pg.live_grants {
                            tr.grant {
                                td { @for r in &g.roles { span.tag { (t(lang, &format!("grant.{}", r.as_str()))) } } }
                                td { (crate::clock::from_ms(g.expires_at).format("%Y-%m-%d")) @if g.auto_extend { " (auto)" } }
                                td {
                                    form.confirm-form method="post" action={"/portal/customer/grants/" (g.id) "/revoke"} {
                                        (csrf(visit.csrf()))
                                        label.choice {
                                            input.confirm type="checkbox" name="confirm" value="yes";
                                            " " (tf(lang, "mypartners.revoke_grant_confirm", &[("name", &p.name)]))
                                        }
                                        " "
                                        button.link.danger.revoke-grant type="submit" { (t(lang, "mypartners.revoke_grant")) }
                                    }
                                }
                            }
                        }
                    }
                }
                (super::partners::named_confirm_form(visit, &format!("/portal/customer/partners/{}/revoke", p.partner), "revoke-partner", &tf(lang, "mypartners.revoke_confirm", &[("name", &p.name)]), &t(lang, "mypartners.revoke")))
            }
        }
    })).into_response()
}

pub async fn revoke_grant(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    if !confirmed(&f) {
        let msg = needs_confirmation(s.lang(), None);
        return render_my_partners(&app, &s, Some(msg)).await;
    }
    match uc::revoke_grant(&app, &s.ctx, &id).await {
        Ok(_) => see_other(
            "/portal/customer/partners",
            Flash::ok("mypartners.grant_revoked"),
        ),
        Err(e) => domain_error(&s.visit, e),
    }
}

pub async fn revoke_partner(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let Ok(partner) = id.parse() else {
        return domain_error(&s.visit, Error::NotFound("partner"));
    };
    let name = match uc::own_partner_name(&app, &s.ctx, partner).await {
        Ok(n) => n,
        Err(e) => return domain_error(&s.visit, e),
    };
    if !(confirmed(&f) && typed_name_matches(&f, &name)) {
        let msg = needs_confirmation(s.lang(), Some(&name));
        return render_my_partners(&app, &s, Some(msg)).await;
    }
    match uc::revoke_partner(&app, &s.ctx, partner).await {
        Ok(_) => see_other(
            "/portal/customer/partners",
            Flash::ok("mypartners.revoked").with("name", name),
        ),
        Err(e) => domain_error(&s.visit, e),
    }
}
