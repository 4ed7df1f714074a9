//! Partnership pages: the provider directory (public and signed-in), the provider's listing,
//! its indirect resellers page with "request a partnership", the reseller's indirect
//! providers page, and the authorization page a reseller reaches from the invitation link.

use super::flash::{see_other, Detail, Flash};
use super::form::{csrf, errors_for, input, FormData};
use super::guard::{
    confirmed, needs_confirmation, typed_name_matches, SignedIn, VerifiedForm, REFUSED,
};
use super::i18n::{t, tf};
use super::layout::{domain_error, error_page, page, PageOpts};
use super::pager::{At, Pager, Start};
use super::session::{url_escape, Visit};
use crate::app::partnerships::{
    self as uc, Counterpart, DirectoryEntry, DirectoryFilter, InvitationRow, InviteInput,
    ListingInput,
};
use crate::app::App;
use crate::domain::authz::{can, Action, Resource};
use crate::domain::ids::{PartnerInvitationId, TenantId};
use crate::domain::partnership::{InvitationState, Service};
use crate::domain::{Error, FieldError};
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
    s: SignedIn,
    Query(q): Query<DirectoryQuery>,
) -> Response {
    if !can(s.actor(), Action::SearchProviders, Resource::Platform).allowed() {
        return error_page(
            &s.visit,
            StatusCode::FORBIDDEN,
            &t(s.lang(), "error.forbidden"),
        );
    }
    directory_page(&app, &s.visit, q, "/portal/directory").await
}

pub async fn listing(State(app): State<App>, s: SignedIn) -> Response {
    render_listing(&app, &s, &[], None).await
}

async fn render_listing(
    app: &App,
    s: &SignedIn,
    errors: &[FieldError],
    form: Option<&FormData>,
) -> Response {
    let (visit, ctx) = (&s.visit, &s.ctx);
    let lang = visit.lang();
    let e = match uc::own_listing(app, ctx).await {
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
        REFUSED
    };
    (status, page(visit, opts(app, &title, "/portal/listing"), html! {
        h1 { (title) }
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

pub async fn save_listing(
    State(app): State<App>,
    s: SignedIn,
    VerifiedForm(f): VerifiedForm,
) -> Response {
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
    match uc::save_listing(&app, &s.ctx, input, expected).await {
        Ok(_) => see_other("/portal/listing", Flash::ok("listing.saved")),
        Err(Error::Validation(errs)) => render_listing(&app, &s, &errs, Some(&f)).await,
        Err(e) => domain_error(&s.visit, e),
    }
}

/// The paging parameters of the partner pages: the partner list's, and on the resellers page
/// the invitations' (`inv_after`, `inv_from`).
#[derive(Deserialize, Default)]
pub struct PartnersQuery {
    #[serde(flatten)]
    at: At,
    inv_after: Option<String>,
    inv_from: Option<String>,
}

impl PartnersQuery {
    fn invitations(&self) -> At {
        At {
            after: self.inv_after.clone(),
            from: self.inv_from.clone(),
        }
    }
}

/// One page of the partners on either side (by name) and its pager.
async fn partner_rows(
    app: &App,
    s: &SignedIn,
    as_provider: bool,
    at: &At,
) -> Result<(Vec<Counterpart>, Pager), Error> {
    let side = if as_provider {
        "resellers"
    } else {
        "providers"
    };
    let start = Start::read(app, &format!("{side}:{}", s.actor().tenant), at);
    let (mut rows, total) =
        uc::relationships_page(app, &s.ctx, as_provider, start.position(), start.fetch()).await?;
    let pager = start.finish(app, &mut rows, total, |c| {
        (c.name.to_lowercase(), c.partnership.id.to_string())
    });
    Ok((rows, pager))
}

/// A partner list for either side, with the actions the caller may take.
fn partner_table(s: &SignedIn, as_provider: bool, rows: &[Counterpart]) -> Markup {
    let (visit, actor) = (&s.visit, s.actor());
    let lang = visit.lang();
    html! {
        @if rows.is_empty() {
            p #partners-empty { (t(lang, if as_provider { "resellers.none" } else { "providers.none" })) }
        } @else {
            table #partners {
                thead { tr { th { (t(lang, "partners.name")) } th { (t(lang, "partners.mpn")) } th { (t(lang, "partners.location")) } th { (t(lang, "partners.state")) } th { (t(lang, "partners.admin")) } th { span.sr-only { (t(lang, "common.actions")) } } } }
                tbody {
                    @for c in rows {
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
                                    @if !as_provider && can(actor, Action::InviteCustomers, Resource::Tenant(actor.tenant)).allowed() {
                                        " " a.invite-customer href={"/portal/customers?provider=" (p.provider_tenant_id) "#customer-request"} { (t(lang, "providers.invite_customer")) }
                                    }
                                    @if p.admin_access && can(actor, Action::RevokeProviderAdmin, res).allowed() {
                                        (named_confirm_form(visit, &format!("/portal/partnerships/{}/revoke-admin", p.id), "revoke-admin", &tf(lang, "partners.revoke_admin_confirm", &[("name", &c.name)]), &t(lang, "partners.revoke_admin")))
                                    }
                                    @if can(actor, Action::EndPartnership, res).allowed() {
                                        (named_confirm_form(visit, &format!("/portal/partnerships/{}/end", p.id), "end-partnership", &tf(lang, "partners.end_confirm", &[("name", &c.name)]), &t(lang, "partners.end")))
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

/// A destructive action's form: a box that states the consequence and a field for the other
/// organisation's name, both required before the button does anything.
pub fn named_confirm_form(
    visit: &Visit,
    action: &str,
    class: &str,
    consequence: &str,
    button: &str,
) -> Markup {
    let lang = visit.lang();
    html! {
        form.confirm-form method="post" action=(action) {
            (csrf(visit.csrf()))
            label.choice {
                input.confirm type="checkbox" name="confirm" value="yes";
                " " (consequence)
            }
            label.confirm-name-label {
                (t(lang, "confirm.type_name")) " "
                input.confirm-name type="text" name="confirm_name" autocomplete="off";
            }
            button.link.danger type="submit" class=(class) { (button) }
        }
    }
}

/// The reseller's "indirect providers" page.
pub async fn providers(
    State(app): State<App>,
    s: SignedIn,
    Query(q): Query<PartnersQuery>,
) -> Response {
    render_providers(&app, &s, &q.at, None).await
}

async fn render_providers(app: &App, s: &SignedIn, at: &At, problem: Option<String>) -> Response {
    let actor = s.actor();
    if !can(
        actor,
        Action::ReadPartnerships,
        Resource::Tenant(actor.tenant),
    )
    .allowed()
    {
        return error_page(
            &s.visit,
            StatusCode::FORBIDDEN,
            &t(s.lang(), "error.forbidden"),
        );
    }
    let lang = s.lang();
    let (rows, pager) = match partner_rows(app, s, false, at).await {
        Ok(r) => r,
        Err(e) => return domain_error(&s.visit, e),
    };
    let title = t(lang, "providers.title");
    let status = if problem.is_some() {
        REFUSED
    } else {
        StatusCode::OK
    };
    let body = html! {
        h1 { (title) }
        p { a href="/portal/directory" { (t(lang, "nav.directory")) } }
        @if let Some(p) = &problem { div.alert.bad #problem role="alert" { (p) } }
        (pager.notice(lang))
        (partner_table(s, false, &rows))
        (pager.nav(lang, "/portal/providers", &title))
    };
    let opts = opts(app, &title, "/portal/providers");
    (status, page(&s.visit, opts, body)).into_response()
}

/// The provider's "indirect resellers" page, with "request a partnership".
pub async fn resellers(
    State(app): State<App>,
    s: SignedIn,
    Query(q): Query<PartnersQuery>,
) -> Response {
    render_resellers(&app, &s, &q, &[], None, None).await
}

/// One page of the provider's partnership invitations (newest first) and its pager.
async fn invitation_rows(
    app: &App,
    s: &SignedIn,
    at: &At,
) -> Result<(Vec<InvitationRow>, Pager), Error> {
    let list = format!("invitations:{}", s.actor().tenant);
    let start = Start::read_as(app, &list, "inv_", at);
    let (mut rows, total) = uc::invitations_page(app, &s.ctx, start.timed(), start.fetch()).await?;
    let pager = start.finish(app, &mut rows, total, |i| {
        (i.created_at.to_string(), i.id.to_string())
    });
    Ok((rows, pager))
}

async fn render_resellers(
    app: &App,
    s: &SignedIn,
    q: &PartnersQuery,
    errors: &[FieldError],
    form: Option<&FormData>,
    problem: Option<String>,
) -> Response {
    let (visit, actor) = (&s.visit, s.actor());
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
    let (rows, pager) = match partner_rows(app, s, true, &q.at).await {
        Ok(r) => r,
        Err(e) => return domain_error(visit, e),
    };
    let may_invite = can(
        actor,
        Action::InviteResellers,
        Resource::Tenant(actor.tenant),
    )
    .allowed();
    let (invitations, inv_pager) = match invitation_rows(app, s, &q.invitations()).await {
        Ok(r) => r,
        Err(e) => return domain_error(visit, e),
    };
    let v = |k: &str| form.map(|f| f.get(k)).unwrap_or_default();
    let title = t(lang, "resellers.title");
    let status = if errors.is_empty() && problem.is_none() {
        StatusCode::OK
    } else {
        REFUSED
    };
    let created = match visit.flash().and_then(|f| f.detail.as_ref()) {
        Some(Detail::Link {
            url,
            subject,
            body,
            sent_to,
        }) => Some((url, subject, body, sent_to)),
        _ => None,
    };
    (status, page(visit, opts(app, &title, "/portal/resellers"), html! {
        h1 { (title) }
        @if let Some(p) = &problem { div.alert.bad #problem role="alert" { (p) } }
        (pager.notice(lang))
        (inv_pager.notice(lang))
        (partner_table(s, true, &rows))
        (pager.nav(lang, &inv_pager.keep("/portal/resellers"), &title))
        @if let Some((url, subject, body, sent_to)) = created {
            div.card #invitation-created {
                h2 { (t(lang, "resellers.draft")) }
                @if let Some(to) = sent_to { div.alert.ok #invitation-sent { (tf(lang, "resellers.sent", &[("email", to)])) } }
                label for="invite-link" { (t(lang, "resellers.link")) }
                input #invite-link type="text" readonly value=(url);
                p {
                    button type="button" data-copy="invite-link" data-copied=(t(lang, "resellers.copied")) { (t(lang, "resellers.copy")) }
                    " "
                    a.button #mailto href={"mailto:?subject=" (url_escape(subject)) "&body=" (url_escape(body))} { (t(lang, "resellers.mailto")) }
                }
                p { strong { (subject) } }
                pre.mail #draft-body { (body) }
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
        (invitations_table(app, visit, &invitations, may_invite))
        (inv_pager.nav(lang, &pager.keep("/portal/resellers"), &t(lang, "resellers.pending")))
    })).into_response()
}

/// The provider's partnership invitations, with a withdraw form on those still pending.
fn invitations_table(
    app: &App,
    visit: &Visit,
    invitations: &[InvitationRow],
    may_invite: bool,
) -> Markup {
    let lang = visit.lang();
    let now = app.clock.now_ms();
    html! {
        @if !invitations.is_empty() {
            h2 { (t(lang, "resellers.pending")) }
            table #invitations {
                tbody {
                    @for i in invitations {
                        @let state = i.state.seen_at(i.expires_at, now);
                        tr.invitation data-state=(state.as_str()) {
                            td { (crate::clock::from_ms(i.created_at).format("%Y-%m-%d")) }
                            td { (i.email.clone().unwrap_or_default()) }
                            td { (super::labels::pill(lang, state.as_str())) }
                            td {
                                @if state == InvitationState::Pending && may_invite {
                                    form.confirm-form method="post" action={"/portal/resellers/invitations/" (i.id) "/revoke"} {
                                        (csrf(visit.csrf()))
                                        label.choice {
                                            input.confirm type="checkbox" name="confirm" value="yes";
                                            " " (t(lang, "resellers.revoke_confirm"))
                                        }
                                        " "
                                        button.link.danger.revoke-invitation type="submit" { (t(lang, "resellers.revoke")) }
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

pub async fn create_invitation(
    State(app): State<App>,
    s: SignedIn,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let mpn = f.get("resellerMpnId");
    let reseller_mpn_id = match mpn.trim() {
        "" => None,
        m => match m.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let errs = [FieldError::new(
                    "resellerMpnId",
                    t(s.lang(), "resellers.mpn_numeric"),
                )];
                return render_resellers(
                    &app,
                    &s,
                    &PartnersQuery::default(),
                    &errs,
                    Some(&f),
                    None,
                )
                .await;
            }
        },
    };
    let send = f.get("send") == "yes";
    let email = Some(f.get("email")).filter(|e| !e.trim().is_empty());
    let input = InviteInput {
        reseller_mpn_id,
        email: email.clone(),
        send,
        days: None,
    };
    match uc::invite(&app, &s.ctx, input).await {
        Ok(inv) => {
            let link = Detail::Link {
                url: inv.url,
                subject: inv.subject,
                body: inv.body,
                sent_to: if send { email } else { None },
            };
            see_other(
                "/portal/resellers",
                Flash::ok("resellers.created_flash").detail(link),
            )
        }
        Err(Error::Validation(errs)) => {
            render_resellers(&app, &s, &PartnersQuery::default(), &errs, Some(&f), None).await
        }
        Err(Error::Conflict { message, .. }) => {
            let errs = [FieldError::new("resellers", message)];
            render_resellers(&app, &s, &PartnersQuery::default(), &errs, Some(&f), None).await
        }
        Err(e) => domain_error(&s.visit, e),
    }
}

pub async fn revoke_invitation(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let id = match PartnerInvitationId::named(&id) {
        Ok(id) => id,
        Err(e) => return domain_error(&s.visit, e),
    };
    if !confirmed(&f) {
        let msg = needs_confirmation(s.lang(), None);
        return render_resellers(&app, &s, &PartnersQuery::default(), &[], None, Some(msg)).await;
    }
    match uc::revoke_invitation(&app, &s.ctx, id).await {
        Ok(_) => see_other("/portal/resellers", Flash::ok("resellers.revoked")),
        Err(e) => domain_error(&s.visit, e),
    }
}

/// Where the acting side lands after a change to a partnership (or sees its refusal).
async fn back_to(app: &App, s: &SignedIn, provider: TenantId, problem: Option<String>) -> Response {
    if s.actor().tenant == provider {
        render_resellers(app, s, &PartnersQuery::default(), &[], None, problem).await
    } else {
        render_providers(app, s, &At::default(), problem).await
    }
}

fn page_of(s: &SignedIn, provider: TenantId) -> &'static str {
    if s.actor().tenant == provider {
        "/portal/resellers"
    } else {
        "/portal/providers"
    }
}

/// The partnership and the other side's name, read before a destructive change so the
/// confirmation can be checked against that name.
async fn confirm_named(
    app: &App,
    s: &SignedIn,
    id: &str,
    f: &FormData,
) -> Result<(uc::PartnershipRow, String), Response> {
    let p = match uc::get(app, &s.ctx, id).await {
        Ok(p) => p,
        Err(e) => return Err(domain_error(&s.visit, e)),
    };
    let other = match uc::counterpart(app, &s.ctx, p.clone()).await {
        Ok(c) => c.name,
        Err(e) => return Err(domain_error(&s.visit, e)),
    };
    if confirmed(f) && typed_name_matches(f, &other) {
        return Ok((p, other));
    }
    let msg = needs_confirmation(s.lang(), Some(&other));
    Err(back_to(app, s, p.provider_tenant_id, Some(msg)).await)
}

pub async fn end(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let (p, other) = match confirm_named(&app, &s, &id, &f).await {
        Ok(x) => x,
        Err(refused) => return refused,
    };
    match uc::end(&app, &s.ctx, &id).await {
        Ok(_) => see_other(
            page_of(&s, p.provider_tenant_id),
            Flash::ok("partners.ended").with("name", other),
        ),
        Err(e) => domain_error(&s.visit, e),
    }
}

pub async fn revoke_admin(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let (p, other) = match confirm_named(&app, &s, &id, &f).await {
        Ok(x) => x,
        Err(refused) => return refused,
    };
    match uc::revoke_admin(&app, &s.ctx, &id).await {
        Ok(_) => see_other(
            page_of(&s, p.provider_tenant_id),
            Flash::ok("partners.admin_revoked").with("name", other),
        ),
        Err(e) => domain_error(&s.visit, e),
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// The reseller follows the link: who invites, what it may do, consent, authorize.
pub async fn accept_page(
    State(app): State<App>,
    s: SignedIn,
    Query(q): Query<TokenQuery>,
) -> Response {
    render_accept(&app, &s, &q.token.unwrap_or_default(), None).await
}

async fn render_accept(app: &App, s: &SignedIn, token: &str, error: Option<String>) -> Response {
    let visit = &s.visit;
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
    let org = match uc::own_name(app, &s.ctx).await {
        Ok(name) => name,
        Err(e) => return domain_error(visit, e),
    };
    let provider = preview.provider.name.clone();
    let status = if error.is_some() {
        REFUSED
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

pub async fn accept(
    State(app): State<App>,
    s: SignedIn,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let token = f.get("token");
    match uc::accept(&app, &s.ctx, &token, f.get("consent") == "yes").await {
        Ok(p) => {
            let name = match uc::counterpart(&app, &s.ctx, p).await {
                Ok(c) => c.name,
                Err(e) => return domain_error(&s.visit, e),
            };
            see_other(
                "/portal/providers",
                Flash::ok("accept.done").with("provider", name),
            )
        }
        Err(Error::Validation(errs)) => {
            let msg = errs.first().map(|e| e.message.clone()).unwrap_or_default();
            render_accept(&app, &s, &token, Some(msg)).await
        }
        Err(Error::Conflict { message, .. }) => {
            error_page(&s.visit, StatusCode::CONFLICT, &message)
        }
        Err(Error::Forbidden(message)) => error_page(&s.visit, StatusCode::FORBIDDEN, &message),
        Err(e) => domain_error(&s.visit, e),
    }
}
