//! Customer pages: the partner's customers (with "invite a customer"), one customer's record,
//! the customer's answer to a relationship request, and the customer's own partners page.

use super::flash::{see_other, Detail, Flash};
use super::form::csrf;
use super::guard::{
    confirmed, needs_confirmation, typed_name_matches, SignedIn, VerifiedForm, REFUSED,
};
use super::i18n::{t, tf};
use super::layout::{domain_error, error_page, page, PageOpts};
use super::pager::{self, At, Start};
use super::session::{self, url_escape, NewSession, Visit};
use super::text::{Id, Text};
use crate::app::customer_lists as lists;
use crate::app::customers as uc;
use crate::app::identity::{self, NewTenant, NewUser};
use crate::app::sessions::ListAsk;
use crate::app::App;
use crate::domain::authz::{can, Action, Resource};
use crate::domain::customer::{AccessRequest, GrantRole};
use crate::domain::identity::TenantKind;
use crate::domain::ids::{GrantId, TenantId};
use crate::domain::partnership::InvitationState;
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
    /// Preselects the provider of the request form (the "invite a new customer" link of the
    /// indirect providers page).
    provider: Option<String>,
    #[serde(flatten)]
    at: At,
}

pub async fn list(State(app): State<App>, s: SignedIn, Query(q): Query<ListQuery>) -> Response {
    let provider = q.provider.and_then(|p| p.parse::<TenantId>().ok());
    render_list(&app, &s, q.q, &q.at, provider, None).await
}

/// The page of the customer list a request shows, for the session's statement to read with
/// the visitor (`app::seen`): a view of the list without a search, at its first page or at a
/// position this server signed. The page still checks its position belongs to this list,
/// and the use case that the visitor may list customers, before using what was read.
pub fn session_ask(app: &App, req: &axum::extract::Request) -> Option<ListAsk> {
    if req.method() != axum::http::Method::GET || req.uri().path() != "/portal/customers" {
        return None;
    }
    let q: ListQuery = serde_urlencoded::from_str(req.uri().query().unwrap_or("")).ok()?;
    if q.q.as_deref().is_some_and(|s| !s.trim().is_empty()) {
        return None;
    }
    Some(ListAsk {
        after: Start::signed_position(app, &q.at)?,
        limit: pager::PAGE_ROWS + 1,
    })
}

/// The customer list's name for its page links: the organisation and the search.
fn list_name(s: &SignedIn, search: Option<&str>) -> String {
    let search = search.map(str::trim).unwrap_or_default().to_lowercase();
    format!("customers:{}:{search}", s.ctx.actor.tenant)
}

async fn render_list(
    app: &App,
    s: &SignedIn,
    search: Option<String>,
    at: &At,
    provider: Option<TenantId>,
    problem: Option<String>,
) -> Response {
    let (visit, ctx) = (&s.visit, &s.ctx);
    let lang = visit.lang();
    let start = Start::read(app, &list_name(s, search.as_deref()), at);
    let listed = uc::grouped(app, ctx, search.as_deref(), start.position(), start.fetch()).await;
    let mut listed = match listed {
        Ok(g) => g,
        Err(Error::Forbidden(_)) => {
            return error_page(visit, StatusCode::FORBIDDEN, &t(lang, "error.forbidden"))
        }
        Err(e) => return domain_error(visit, e),
    };
    let pager = start.finish(app, &mut listed.rows, listed.total, |(r, _)| {
        lists::customer_sort_key(r)
    });
    let groups = listed.groups();
    let base = pager::base("/portal/customers", &[("q", search.as_deref())]);
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
                (pager.notice(lang))
                (customer_groups(lang, &groups))
                (pager.nav(lang, &base, &title))
                @if let Some((url, subject, body)) = created { (request_created(lang, url, subject, body)) }
                @if let Some(p) = &problem { div.alert.bad role="alert" #request-error { (p) } }
                @if may_invite { (request_form(visit, lang, &providers, provider)) }
            },
        ),
    )
        .into_response()
}

/// The customers, one table per reseller they are served through.
fn customer_groups(lang: &str, groups: &[uc::CustomerGroup]) -> Markup {
    // Looked up once: a provider's page can hold a hundred groups of one customer each.
    let direct = t(lang, "customers.direct");
    let heads = [
        t(lang, "customers.name"),
        t(lang, "customers.domain"),
        t(lang, "customers.country"),
    ];
    html! {
        @if groups.is_empty() { p #customers-empty { (t(lang, "customers.none")) } }
        @for g in groups {
            @let name = g.reseller_name.as_deref().unwrap_or(&direct);
            h2.customer-group {
                @if g.continued { (tf(lang, "customers.group_continued", &[("group", name)])) } @else { (Text(name)) }
            }
            table.customers {
                thead { tr { @for h in &heads { th { (Text(h)) } } } }
                tbody {
                    @for r in &g.rows {
                        tr.customer {
                            td { a.customer-link href={"/portal/customers/" (Id(r.id))} { (Text(&r.name)) } }
                            td { (Text(&r.domain)) }
                            td { (Text(&r.country)) }
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
fn request_form(
    visit: &Visit,
    lang: &str,
    providers: &[(TenantId, String)],
    selected: Option<TenantId>,
) -> Markup {
    html! {
        form.card method="post" action="/portal/customers/request" #customer-request {
            h2 { (t(lang, "customers.request")) }
            p.muted { (t(lang, "customers.request_intro")) }
            (csrf(visit.csrf()))
            label for="provider" { (t(lang, "customers.provider")) }
            select #provider name="provider" {
                option value="" { (t(lang, "customers.no_provider")) }
                @for (id, name) in providers { option value=(id) selected[selected == Some(*id)] { (name) } }
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
            render_list(&app, &s, None, &At::default(), None, Some(msg)).await
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

/// Customers both sides of a partnership serve, a page at a time (by name).
pub async fn shared(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    Query(at): Query<At>,
) -> Response {
    let (visit, ctx) = (s.visit, s.ctx);
    let lang = visit.lang();
    let start = Start::read(&app, &format!("shared:{}:{id}", ctx.actor.tenant), &at);
    let (mut rows, total) =
        match lists::shared_page(&app, &ctx, &id, start.position(), start.fetch()).await {
            Ok(page) => page,
            Err(e) => return domain_error(&visit, e),
        };
    let pager = start.finish(&app, &mut rows, total, lists::customer_sort_key);
    let title = t(lang, "customers.shared");
    let base = format!("/portal/partnerships/{}/customers", url_escape(&id));
    page(&visit, opts(&app, &title, ""), html! {
        h1 { (title) }
        (pager.notice(lang))
        @if rows.is_empty() && pager.is_first() { p #shared-empty { (t(lang, "customers.none")) } }
        ul #shared { @for r in &rows { li { a href={"/portal/customers/" (r.id)} { (r.name) } } } }
        (pager.nav(lang, &base, &title))
    }).into_response()
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

fn day(ms: i64) -> String {
    crate::clock::from_ms(ms).format("%Y-%m-%d").to_string()
}

/// What the request asks for, in words: the relationship, each role with what it lets the
/// partner do, and until when.
fn asked_for(lang: &str, p: &uc::Preview) -> Markup {
    let roles = &p.invitation.roles;
    html! {
        h2 { (t(lang, "caccept.what")) }
        p #consent-relationship { (tf(lang, "caccept.relationship", &[("reseller", &p.reseller)])) }
        @if roles.is_empty() {
            p #requested-access { (t(lang, "caccept.no_roles")) }
        } @else {
            p { (tf(lang, "caccept.roles", &[("days", &p.invitation.duration_days.to_string())])) }
            ul #requested-access {
                @for r in roles {
                    li data-role=(r.as_str()) {
                        strong { (t(lang, &format!("grant.{}", r.as_str()))) }
                        " — " (t(lang, &format!("caccept.role_help.{}", r.as_str())))
                    }
                }
            }
        }
        h2 { (t(lang, "caccept.how_long")) }
        @if let Some(until) = p.access_until {
            p #consent-until {
                (tf(lang, "caccept.until", &[("date", &day(until)), ("days", &p.invitation.duration_days.to_string())]))
                @if p.renews { " " (t(lang, "caccept.renews")) }
            }
        } @else {
            p #consent-until { (t(lang, "caccept.until_relationship")) }
        }
        p.muted #consent-link-expiry { (tf(lang, "caccept.link_until", &[("date", &day(p.invitation.expires_at))])) }
    }
}

/// The customer's answer page for a relationship request.
pub async fn accept_page(
    State(app): State<App>,
    visit: Visit,
    Query(q): Query<TokenQuery>,
) -> Response {
    render_accept(&app, &visit, &q.token.unwrap_or_default(), None).await
}

/// Why a link cannot be answered, as a catalog key.
fn unusable(state: Option<InvitationState>) -> &'static str {
    match state {
        None => "caccept.link_invalid",
        Some(InvitationState::Accepted) => "caccept.link_answered",
        Some(InvitationState::Revoked) => "caccept.link_withdrawn",
        Some(InvitationState::Expired) => "caccept.link_expired",
        Some(InvitationState::Pending) => "caccept.unusable",
    }
}

/// The consent page: who asks (the reseller, and its provider if any), for what in words,
/// for how long, with Accept and Decline for the customer's global administrator; others are
/// asked to sign in, or to create the directory first (which grants nothing by itself).
async fn render_accept(app: &App, visit: &Visit, token: &str, error: Option<String>) -> Response {
    let lang = visit.lang();
    let title = t(lang, "caccept.title");
    let p = match uc::preview(app, token).await {
        Ok(p) => p,
        Err(Error::Conflict { .. }) => {
            return error_page(visit, StatusCode::CONFLICT, &t(lang, unusable(None)))
        }
        Err(e) => return domain_error(visit, e),
    };
    if p.state != InvitationState::Pending {
        return error_page(
            visit,
            StatusCode::CONFLICT,
            &t(lang, unusable(Some(p.state))),
        );
    }
    let org = match visit.ctx() {
        Some(ctx) => crate::app::identity::own_tenant(app, &ctx)
            .await
            .map(|t| t.display_name)
            .unwrap_or_default(),
        None => t(lang, "caccept.your_org"),
    };
    let may_answer = visit.signed_in().is_some_and(|(a, _)| {
        can(a, Action::ManageOwnPartners, Resource::Tenant(a.tenant)).allowed()
    });
    let who = match &p.provider {
        Some(provider) => tf(
            lang,
            "caccept.who_both",
            &[("reseller", &p.reseller), ("provider", provider)],
        ),
        None => p.reseller.clone(),
    };
    let status = if error.is_some() {
        REFUSED
    } else {
        StatusCode::OK
    };
    (status, page(visit, opts(app, &title, ""), html! {
        div.card #consent-page {
            h1 { (title) }
            h2 { (t(lang, "caccept.who")) }
            p #caccept-intro { (tf(lang, "caccept.intro", &[("reseller", &p.reseller), ("org", &org)])) }
            @if let Some(provider) = &p.provider { p #caccept-provider { (tf(lang, "caccept.with_provider", &[("provider", provider), ("reseller", &p.reseller)])) } }
            (asked_for(lang, &p))
            @if let Some(e) = &error { div.alert.bad role="alert" #caccept-error { (e) } }
            @if may_answer {
                (answer_forms(visit, token, &p, &who))
            } @else {
                (signin_or_create(visit, token))
            }
        }
    })).into_response()
}

/// Accept (with the consent box when delegated access is asked for) and Decline (confirmed).
fn answer_forms(visit: &Visit, token: &str, p: &uc::Preview, who: &str) -> Markup {
    let lang = visit.lang();
    html! {
        p.muted { (t(lang, "caccept.nothing_before")) }
        form method="post" action="/portal/customer/accept" #caccept-accept-form {
            (csrf(visit.csrf()))
            input type="hidden" name="token" value=(token);
            @if !p.invitation.roles.is_empty() {
                fieldset #caccept-consent-step {
                    legend { (t(lang, "caccept.consent_title")) }
                    label.choice {
                        input #caccept-consent type="checkbox" name="consent" value="yes";
                        " " (tf(lang, "caccept.consent", &[("who", who), ("days", &p.invitation.duration_days.to_string())]))
                    }
                }
            }
            button #caccept-accept type="submit" name="answer" value="accept" { (t(lang, "caccept.accept")) }
        }
        form.confirm-form method="post" action="/portal/customer/accept" #caccept-decline-form {
            (csrf(visit.csrf()))
            input type="hidden" name="token" value=(token);
            label.choice {
                input #caccept-decline-confirm type="checkbox" name="confirm" value="yes";
                " " (tf(lang, "caccept.decline_confirm", &[("who", who)]))
            }
            " "
            button.danger #caccept-decline type="submit" name="answer" value="decline" { (t(lang, "caccept.decline")) }
        }
    }
}

/// For a visitor who cannot answer: sign in as the customer's administrator, or create the
/// directory (answered on this page afterwards).
fn signin_or_create(visit: &Visit, token: &str) -> Markup {
    let lang = visit.lang();
    let next = format!("/portal/customer/accept?token={token}");
    html! {
        @if visit.signed_in().is_some() { div.alert.bad #caccept-not-admin { (t(lang, "caccept.not_admin")) } }
        p { a.button #caccept-signin href={"/portal/signin?next=" (url_escape(&next))} { (t(lang, "caccept.signin")) } }
        h2 { (t(lang, "caccept.create")) }
        p.muted #caccept-create-hint { (t(lang, "caccept.create_hint")) }
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
            p { button #caccept-create-submit type="submit" { (t(lang, "caccept.create_submit")) } }
        }
    }
}

/// The words for a refused answer, in the reader's language.
fn answer_refusal(lang: &str, e: &Error) -> Option<String> {
    match e {
        Error::Validation(f) if f.iter().any(|f| f.field == "consent") => {
            Some(t(lang, "caccept.consent_missing"))
        }
        Error::Conflict { .. } => Some(t(lang, "caccept.unusable")),
        _ => None,
    }
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
        return render_accept(&app, &s.visit, &token, Some(msg)).await;
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
        Err(Error::Conflict { .. }) => error_page(
            &s.visit,
            StatusCode::CONFLICT,
            &t(s.lang(), "caccept.unusable"),
        ),
        Err(e) => match answer_refusal(s.lang(), &e) {
            Some(msg) => render_accept(&app, &s.visit, &token, Some(msg)).await,
            None => domain_error(&s.visit, e),
        },
    }
}

/// Creates the customer's directory on the spot and signs its administrator in, then shows
/// the request again to be answered: creating a directory grants nothing by itself.
pub async fn create_and_accept(
    State(app): State<App>,
    visit: Visit,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let token = f.get("token");
    // A link that cannot be answered makes no directory either.
    if let Err(e) = uc::preview(&app, &token).await {
        return match e {
            Error::Conflict { .. } => error_page(
                &visit,
                StatusCode::CONFLICT,
                &t(visit.lang(), unusable(None)),
            ),
            e => domain_error(&visit, e),
        };
    }
    let domain = f.get("domain").trim().to_ascii_lowercase();
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
        // A directory made earlier (through the API, say) answers by signing in.
        Err(Error::Validation(errs))
            if errs
                .iter()
                .any(|e| e.field == "domain" && e.message.contains("taken")) =>
        {
            let msg = t(visit.lang(), "caccept.exists");
            return render_accept(&app, &visit, &token, Some(msg)).await;
        }
        Err(Error::Validation(errs)) => {
            let msg = errs
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            return render_accept(&app, &visit, &token, Some(msg)).await;
        }
        Err(e) => return domain_error(&visit, e),
    };
    let _ = crate::app::sessions::end(&app, &visit.token_hash).await;
    let (stoken, row) = match session::create(&app, Some(&user), visit.lang(), false).await {
        Ok(x) => x,
        Err(e) => return domain_error(&visit, e),
    };
    let back = format!("/portal/customer/accept?token={}", url_escape(&token));
    let mut resp = see_other(&back, Flash::ok("caccept.directory_created"));
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
                                td { (crate::clock::from_ms(g.expires_at).format("%Y-%m-%d")) @if g.auto_extend { " " (t(lang, "mypartners.auto")) } }
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
    let id = match GrantId::named(&id) {
        Ok(id) => id,
        Err(e) => return domain_error(&s.visit, e),
    };
    if !confirmed(&f) {
        let msg = needs_confirmation(s.lang(), None);
        return render_my_partners(&app, &s, Some(msg)).await;
    }
    match uc::revoke_grant(&app, &s.ctx, id).await {
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
