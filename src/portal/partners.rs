//! Partnership pages: the provider directory (public and signed-in), the provider's listing,
//! its indirect resellers page with "request a partnership", the reseller's indirect
//! providers page, and the authorization page a reseller reaches from the invitation link.

use super::form::{csrf, errors_for, input, FormData};
use super::i18n::{t, tf};
use super::layout::{domain_error, error_page, page, PageOpts};
use super::session::{to_signin, url_escape, Visit};
use crate::app::partnerships::{
    self as uc, DirectoryEntry, DirectoryFilter, InviteInput, ListingInput,
};
use crate::app::App;
use crate::domain::authz::{can, Action, Resource};
use crate::domain::partnership::{InvitationState, Service};
use crate::domain::{Error, FieldError};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
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
pub struct DirectoryQuery {
    country: Option<String>,
    service: Option<String>,
    name: Option<String>,
}

fn directory_table(lang: &str, found: &[DirectoryEntry]) -> Markup {
    html! {
        @if found.is_empty() {
            p #directory-empty { (t(lang, "directory.none")) }
        } @else {
            table #directory {
                thead { tr { th { (t(lang, "partners.name")) } th { (t(lang, "directory.serves")) } th { (t(lang, "directory.service")) } th { (t(lang, "directory.contact")) } } }
                tbody {
                    @for e in found {
                        tr.provider {
                            td { strong.provider-name { (e.name) } br; span.muted { (e.listing.as_ref().map(|l| l.description.clone()).unwrap_or_default()) } }
                            td { (uc::served(e).join(", ")) }
                            td { @for s in e.listing.as_ref().map(|l| l.services.clone()).unwrap_or_default() { span.tag { (t(lang, &format!("service.{s}"))) } } }
                            td {
                                @if let Some(l) = &e.listing {
                                    (l.contact_email) br; (l.contact_phone) br;
                                    @if !l.website.is_empty() { a href=(l.website) rel="noopener noreferrer" { (l.website) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn search_form(lang: &str, action: &str, q: &DirectoryQuery) -> Markup {
    html! {
        form.card method="get" action=(action) #directory-search {
            label for="country" { (t(lang, "directory.country")) }
            input #country type="text" name="country" value=(q.country.clone().unwrap_or_default()) placeholder="US";
            label for="service" { (t(lang, "directory.service")) }
            select #service name="service" {
                option value="" { (t(lang, "directory.any")) }
                @for s in Service::ALL {
                    option value=(s.as_str()) selected[q.service.as_deref() == Some(s.as_str())] { (t(lang, &format!("service.{}", s.as_str()))) }
                }
            }
            label for="name" { (t(lang, "directory.name")) }
            input #name type="text" name="name" value=(q.name.clone().unwrap_or_default());
            p { button #search type="submit" { (t(lang, "directory.search")) } }
        }
    }
}

async fn directory_page(app: &App, visit: &Visit, q: DirectoryQuery, action: &str) -> Response {
    let lang = visit.lang();
    let found = match uc::search(
        app,
        &DirectoryFilter {
            country: q.country.clone(),
            service: q.service.clone(),
            name: q.name.clone(),
        },
    )
    .await
    {
        Ok(f) => f,
        Err(e) => return domain_error(visit, e),
    };
    let title = t(lang, "directory.title");
    page(
        visit,
        opts(app, &title, action),
        html! {
            h1 { (title) }
            p.muted { (t(lang, "directory.intro")) }
            (search_form(lang, action, &q))
            (directory_table(lang, &found))
        },
    )
    .into_response()
}

/// The public provider list: no sign-in needed.
pub async fn public_directory(
    State(app): State<App>,
    visit: Visit,
    Query(q): Query<DirectoryQuery>,
) -> Response {
    directory_page(&app, &visit, q, "/providers").await
}

/// "Find a provider" for signed-in partners.
pub async fn directory(
    State(app): State<App>,
    visit: Visit,
    Query(q): Query<DirectoryQuery>,
) -> Response {
    let Some((actor, _)) = visit.signed_in() else {
        return to_signin("/portal/directory");
    };
    if !can(actor, Action::SearchProviders, Resource::Platform).allowed() {
        return error_page(
            &visit,
            StatusCode::FORBIDDEN,
            &t(visit.lang(), "error.forbidden"),
        );
    }
    directory_page(&app, &visit, q, "/portal/directory").await
}

pub async fn listing(State(app): State<App>, visit: Visit) -> Response {
    render_listing(&app, &visit, None, &[], None).await
}

async fn render_listing(
    app: &App,
    visit: &Visit,
    notice: Option<String>,
    errors: &[FieldError],
    form: Option<&FormData>,
) -> Response {
    let Some(ctx) = visit.ctx() else {
        return to_signin("/portal/listing");
    };
    let lang = visit.lang();
    let e = match uc::own_listing(app, &ctx).await {
        Ok(e) => e,
        Err(err) => return domain_error(visit, err),
    };
    let l = e.listing.clone();
    let get = |k: &str, current: String| form.map(|f| f.get(k)).unwrap_or(current);
    let services: Vec<String> = form
        .map(|f| f.all("services"))
        .unwrap_or_else(|| l.as_ref().map(|l| l.services.clone()).unwrap_or_default());
    let title = t(lang, "listing.title");
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    (status, page(visit, opts(app, &title, "/portal/listing"), html! {
        h1 { (title) }
        @if let Some(n) = &notice { div.alert.ok #notice { (n) } }
        form.card method="post" action="/portal/listing" {
            (csrf(visit.csrf()))
            input type="hidden" name="version" value=(l.as_ref().map(|l| l.version).unwrap_or(0));
            (input(&t(lang, "listing.countries"), "countries", "text", &get("countries", uc::served(&e).join(", ")), errors))
            fieldset {
                legend { (t(lang, "listing.services")) }
                @for s in Service::ALL {
                    label.choice {
                        input type="checkbox" name="services" value=(s.as_str()) checked[services.iter().any(|x| x == s.as_str())];
                        " " (t(lang, &format!("service.{}", s.as_str())))
                    }
                }
                (errors_for(errors, "services"))
            }
            label for="description" { (t(lang, "listing.description")) }
            textarea #description name="description" rows="3" { (get("description", l.as_ref().map(|l| l.description.clone()).unwrap_or_default())) }
            (errors_for(errors, "description"))
            (input(&t(lang, "listing.contact_email"), "contactEmail", "email", &get("contactEmail", l.as_ref().map(|l| l.contact_email.clone()).unwrap_or_default()), errors))
            (input(&t(lang, "listing.contact_phone"), "contactPhone", "tel", &get("contactPhone", l.as_ref().map(|l| l.contact_phone.clone()).unwrap_or_default()), errors))
            (input(&t(lang, "listing.website"), "website", "url", &get("website", l.as_ref().map(|l| l.website.clone()).unwrap_or_default()), errors))
            p { button #save-listing type="submit" { (t(lang, "enroll.save")) } }
        }
    })).into_response()
}

pub async fn save_listing(State(app): State<App>, visit: Visit, body: Bytes) -> Response {
    let f = FormData::parse(&body);
    if let Err(r) = visit.check_csrf(&f.get("csrf")) {
        return r;
    }
    let Some(ctx) = visit.ctx() else {
        return to_signin("/portal/listing");
    };
    let input = ListingInput {
        countries: f
            .get("countries")
            .split([',', ' '])
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect(),
        services: f.all("services"),
        description: f.get("description"),
        contact_email: f.get("contactEmail"),
        contact_phone: f.get("contactPhone"),
        website: f.get("website"),
    };
    let expected = f.get("version").parse::<i64>().ok();
    match uc::save_listing(&app, &ctx, input, expected).await {
        Ok(_) => {
            render_listing(
                &app,
                &visit,
                Some(t(visit.lang(), "listing.saved")),
                &[],
                None,
            )
            .await
        }
        Err(Error::Validation(errs)) => render_listing(&app, &visit, None, &errs, Some(&f)).await,
        Err(e) => domain_error(&visit, e),
    }
}

/// A partner list for either side, with the actions the caller may take.
async fn partner_rows(app: &App, visit: &Visit, as_provider: bool) -> Result<Markup, Error> {
    let lang = visit.lang();
    let (actor, _) = visit.signed_in().expect("caller checked");
    let ctx = visit
        .ctx()
        .ok_or_else(|| Error::Unauthenticated("sign in first".into()))?;
    let (rows, _) = uc::relationships_page(app, &ctx, as_provider, None, 500).await?;
    Ok(html! {
        @if rows.is_empty() {
            p #partners-empty { (t(lang, if as_provider { "resellers.none" } else { "providers.none" })) }
        } @else {
            table #partners {
                thead { tr { th { (t(lang, "partners.name")) } th { (t(lang, "partners.mpn")) } th { (t(lang, "partners.location")) } th { (t(lang, "partners.state")) } th { (t(lang, "partners.admin")) } th { span.sr-only { (t(lang, "common.actions")) } } } }
                tbody {
                    @for c in &rows {
                        @let p = &c.partnership;
                        @let res = Resource::Partnership { provider: p.provider_tenant_id, reseller: p.reseller_tenant_id };
                        tr.partner data-state=(p.state.as_str()) {
                            td.partner-name { (c.name) }
                            td { (c.mpn_id) }
                            td { (c.country) }
                            td.partner-state { (super::labels::pill(lang, p.state.wire())) }
                            td.partner-admin { (t(lang, if p.admin_access { "partners.yes" } else { "partners.no" })) }
                            td {
                                @if p.is_active() {
                                    a href={"/portal/partnerships/" (p.id) "/customers"} { (t(lang, "partners.customers")) }
                                    @if p.admin_access && can(actor, Action::RevokeProviderAdmin, res).allowed() {
                                        form method="post" action={"/portal/partnerships/" (p.id) "/revoke-admin"} {
                                            (csrf(visit.csrf()))
                                            button.link.revoke-admin type="submit" { (t(lang, "partners.revoke_admin")) }
                                        }
                                    }
                                    @if can(actor, Action::EndPartnership, res).allowed() {
                                        form method="post" action={"/portal/partnerships/" (p.id) "/end"} {
                                            (csrf(visit.csrf()))
                                            button.link.end-partnership type="submit" { (t(lang, "partners.end")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}

/// The reseller's "indirect providers" page.
pub async fn providers(State(app): State<App>, visit: Visit) -> Response {
    let Some((actor, _)) = visit.signed_in() else {
        return to_signin("/portal/providers");
    };
    if !can(
        actor,
        Action::ReadPartnerships,
        Resource::Tenant(actor.tenant),
    )
    .allowed()
    {
        return error_page(
            &visit,
            StatusCode::FORBIDDEN,
            &t(visit.lang(), "error.forbidden"),
        );
    }
    let lang = visit.lang();
    let rows = match partner_rows(&app, &visit, false).await {
        Ok(r) => r,
        Err(e) => return domain_error(&visit, e),
    };
    let title = t(lang, "providers.title");
    page(
        &visit,
        opts(&app, &title, "/portal/providers"),
        html! {
            h1 { (title) }
            p { a href="/portal/directory" { (t(lang, "nav.directory")) } }
            (rows)
        },
    )
    .into_response()
}

struct Created {
    url: String,
    subject: String,
    body: String,
    sent_to: Option<String>,
}

/// The provider's "indirect resellers" page, with "request a partnership".
pub async fn resellers(State(app): State<App>, visit: Visit) -> Response {
    render_resellers(&app, &visit, None, &[], None).await
}

async fn render_resellers(
    app: &App,
    visit: &Visit,
    created: Option<Created>,
    errors: &[FieldError],
    form: Option<&FormData>,
) -> Response {
    let Some((actor, _)) = visit.signed_in() else {
        return to_signin("/portal/resellers");
    };
    if !can(
        actor,
        Action::ReadPartnerships,
        Resource::Tenant(actor.tenant),
    )
    .allowed()
    {
        return error_page(
            visit,
            StatusCode::FORBIDDEN,
            &t(visit.lang(), "error.forbidden"),
        );
    }
    let lang = visit.lang();
    let rows = match partner_rows(app, visit, true).await {
        Ok(r) => r,
        Err(e) => return domain_error(visit, e),
    };
    let may_invite = can(
        actor,
        Action::InviteResellers,
        Resource::Tenant(actor.tenant),
    )
    .allowed();
    let invitations = match visit.ctx() {
        Some(ctx) => uc::invitations_page(app, &ctx, None, 500)
            .await
            .map(|(rows, _)| rows)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let now = app.clock.now_ms();
    let v = |k: &str| form.map(|f| f.get(k)).unwrap_or_default();
    let title = t(lang, "resellers.title");
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    (status, page(visit, opts(app, &title, "/portal/resellers"), html! {
        h1 { (title) }
        (rows)
        @if let Some(c) = &created {
            div.card #invitation-created {
                h2 { (t(lang, "resellers.draft")) }
                @if let Some(to) = &c.sent_to { div.alert.ok #invitation-sent { (tf(lang, "resellers.sent", &[("email", to)])) } }
                label for="invite-link" { (t(lang, "resellers.link")) }
                input #invite-link type="text" readonly value=(c.url);
                p {
                    button type="button" data-copy="invite-link" data-copied=(t(lang, "resellers.copied")) { (t(lang, "resellers.copy")) }
                    " "
                    a.button #mailto href={"mailto:?subject=" (url_escape(&c.subject)) "&body=" (url_escape(&c.body))} { (t(lang, "resellers.mailto")) }
                }
                p { strong { (c.subject) } }
                pre.mail #draft-body { (c.body) }
            }
        }
        @if may_invite {
            form.card method="post" action="/portal/resellers/invite" #request-partnership {
                h2 { (t(lang, "resellers.request")) }
                p.muted { (t(lang, "resellers.request_intro")) }
                (csrf(visit.csrf()))
                (input(&t(lang, "resellers.mpn"), "resellerMpnId", "text", &v("resellerMpnId"), errors))
                (input(&t(lang, "resellers.email"), "email", "email", &v("email"), errors))
                label.choice { input #send type="checkbox" name="send" value="yes"; " " (t(lang, "resellers.send")) }
                @for e in errors.iter().filter(|e| e.field == "resellers") { div.field-error { (e.message) } }
                p { button #create-invitation type="submit" { (t(lang, "resellers.create")) } }
            }
        }
        @if !invitations.is_empty() {
            h2 { (t(lang, "resellers.pending")) }
            table #invitations {
                tbody {
                    @for i in &invitations {
                        @let state = i.state.seen_at(i.expires_at, now);
                        tr.invitation data-state=(state.as_str()) {
                            td { (crate::clock::from_ms(i.created_at).format("%Y-%m-%d")) }
                            td { (i.email.clone().unwrap_or_default()) }
                            td { (super::labels::pill(lang, state.as_str())) }
                            td {
                                @if state == InvitationState::Pending && may_invite {
                                    form method="post" action={"/portal/resellers/invitations/" (i.id) "/revoke"} {
                                        (csrf(visit.csrf()))
                                        button.link.revoke-invitation type="submit" { (t(lang, "resellers.revoke")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    })).into_response()
}

pub async fn create_invitation(State(app): State<App>, visit: Visit, body: Bytes) -> Response {
    let f = FormData::parse(&body);
    if let Err(r) = visit.check_csrf(&f.get("csrf")) {
        return r;
    }
    let Some(ctx) = visit.ctx() else {
        return to_signin("/portal/resellers");
    };
    let mpn = f.get("resellerMpnId");
    let reseller_mpn_id = match mpn.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let errs = [FieldError::new(
                    "resellerMpnId",
                    "enter the numeric partner-network id",
                )];
                return render_resellers(&app, &visit, None, &errs, Some(&f)).await;
            }
        },
    };
    let send = f.get("send") == "yes";
    let email = Some(f.get("email")).filter(|e| !e.trim().is_empty());
    match uc::invite(
        &app,
        &ctx,
        InviteInput {
            reseller_mpn_id,
            email: email.clone(),
            send,
            days: None,
        },
    )
    .await
    {
        Ok(inv) => {
            let created = Created {
                url: inv.url,
                subject: inv.subject,
                body: inv.body,
                sent_to: if send { email } else { None },
            };
            render_resellers(&app, &visit, Some(created), &[], None).await
        }
        Err(Error::Validation(errs)) => render_resellers(&app, &visit, None, &errs, Some(&f)).await,
        Err(Error::Conflict { message, .. }) => {
            render_resellers(
                &app,
                &visit,
                None,
                &[FieldError::new("resellers", message)],
                Some(&f),
            )
            .await
        }
        Err(e) => domain_error(&visit, e),
    }
}

pub async fn revoke_invitation(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let f = FormData::parse(&body);
    if let Err(r) = visit.check_csrf(&f.get("csrf")) {
        return r;
    }
    let Some(ctx) = visit.ctx() else {
        return to_signin("/portal/resellers");
    };
    match uc::revoke_invitation(&app, &ctx, &id).await {
        Ok(_) => Redirect::to("/portal/resellers").into_response(),
        Err(e) => domain_error(&visit, e),
    }
}

/// Where the acting side lands after a change to a partnership.
fn back_to(visit: &Visit, p: &uc::PartnershipRow) -> String {
    let me = visit.signed_in().map(|(a, _)| a.tenant);
    if me == Some(p.provider_tenant_id) {
        "/portal/resellers".into()
    } else {
        "/portal/providers".into()
    }
}

pub async fn end(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let f = FormData::parse(&body);
    if let Err(r) = visit.check_csrf(&f.get("csrf")) {
        return r;
    }
    let Some(ctx) = visit.ctx() else {
        return to_signin("/portal");
    };
    match uc::end(&app, &ctx, &id).await {
        Ok(p) => Redirect::to(&back_to(&visit, &p)).into_response(),
        Err(e) => domain_error(&visit, e),
    }
}

pub async fn revoke_admin(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let f = FormData::parse(&body);
    if let Err(r) = visit.check_csrf(&f.get("csrf")) {
        return r;
    }
    let Some(ctx) = visit.ctx() else {
        return to_signin("/portal");
    };
    match uc::revoke_admin(&app, &ctx, &id).await {
        Ok(p) => Redirect::to(&back_to(&visit, &p)).into_response(),
        Err(e) => domain_error(&visit, e),
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// The reseller follows the link: who invites, what it may do, consent, authorize.
pub async fn accept_page(
    State(app): State<App>,
    visit: Visit,
    Query(q): Query<TokenQuery>,
) -> Response {
    let token = q.token.unwrap_or_default();
    let Some((_actor, _)) = visit.signed_in() else {
        return to_signin(&format!("/portal/partnership/accept?token={token}"));
    };
    render_accept(&app, &visit, &token, None).await
}

async fn render_accept(app: &App, visit: &Visit, token: &str, error: Option<String>) -> Response {
    let lang = visit.lang();
    let title = t(lang, "accept.title");
    let preview = match uc::preview(app, token).await {
        Ok(p) => p,
        Err(Error::Conflict { message, .. }) => {
            return error_page(visit, StatusCode::CONFLICT, &message)
        }
        Err(e) => return domain_error(visit, e),
    };
    if preview.state != InvitationState::Pending {
        let msg = match preview.state {
            InvitationState::Accepted => "this invitation was already accepted",
            InvitationState::Revoked => "the provider withdrew this invitation",
            _ => "this invitation has expired: ask the provider for a new one",
        };
        return error_page(visit, StatusCode::CONFLICT, msg);
    }
    let org = match visit.ctx() {
        Some(ctx) => uc::own_name(app, &ctx).await.unwrap_or_default(),
        None => String::new(),
    };
    let provider = preview.provider.name.clone();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (status, page(visit, opts(app, &title, ""), html! {
        div.card {
            h1 { (title) }
            p #accept-intro { (tf(lang, "accept.intro", &[("provider", &provider), ("org", &org)])) }
            dl.facts {
                dt { (t(lang, "partners.mpn")) } dd { (preview.provider.mpn_id) }
                dt { (t(lang, "partners.location")) } dd { (preview.provider.country) }
                dt { (t(lang, "directory.serves")) } dd { (uc::served(&preview.provider).join(", ")) }
            }
            p { (tf(lang, "accept.allowed", &[("provider", &provider)])) }
            ul #permissions {
                li { (t(lang, "accept.permission0")) }
                li { (t(lang, "accept.permission1")) }
            }
            @if let Some(e) = &error { div.alert.bad role="alert" #accept-error { (e) } }
            form method="post" action="/portal/partnership/accept" {
                (csrf(visit.csrf()))
                input type="hidden" name="token" value=(token);
                label.choice {
                    input #consent type="checkbox" name="consent" value="yes";
                    " " (tf(lang, "accept.consent", &[("provider", &provider), ("org", &org)]))
                }
                p { button #authorize type="submit" { (t(lang, "accept.submit")) } }
            }
        }
    })).into_response()
}

pub async fn accept(State(app): State<App>, visit: Visit, body: Bytes) -> Response {
    let f = FormData::parse(&body);
    if let Err(r) = visit.check_csrf(&f.get("csrf")) {
        return r;
    }
    let token = f.get("token");
    let Some(ctx) = visit.ctx() else {
        return to_signin(&format!("/portal/partnership/accept?token={token}"));
    };
    match uc::accept(&app, &ctx, &token, f.get("consent") == "yes").await {
        Ok(_) => Redirect::to("/portal/providers").into_response(),
        Err(Error::Validation(errs)) => {
            let msg = errs.first().map(|e| e.message.clone()).unwrap_or_default();
            render_accept(&app, &visit, &token, Some(msg)).await
        }
        Err(Error::Conflict { message, .. }) => error_page(&visit, StatusCode::CONFLICT, &message),
        Err(Error::Forbidden(message)) => error_page(&visit, StatusCode::FORBIDDEN, &message),
        Err(e) => domain_error(&visit, e),
    }
}
