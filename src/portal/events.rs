//! Portal pages for what leaves the platform: the webhook and its delivery log, the user's
//! notification choices, and referrals.

use super::flash::{see_other, Detail, Flash};
use super::form::FormData;
use super::guard::{confirmed, needs_confirmation, SignedIn, VerifiedForm, REFUSED};
use super::i18n::{t, tf};
use super::layout::{domain_error, page, problem, PageOpts};
use super::pager::{At, Pager, Start};
use super::session::Visit;
use crate::app::referrals::{Direction, ReferralRow};
use crate::app::webhooks::Delivery;
use crate::app::{notifications, referrals, webhooks, App, Ctx};
use crate::domain::authz::{Action, Resource};
use crate::domain::referral::{LeadInput, Substatus};
use crate::domain::webhook::{DeliveryStatus, EVENTS};
use crate::domain::Error;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

/// A refusal shown above the page (successes arrive as the flash of a redirect).
struct Refusal(Option<String>);

impl Refusal {
    const NONE: Refusal = Refusal(None);
    fn status(&self) -> StatusCode {
        match self.0 {
            Some(_) => REFUSED,
            None => StatusCode::OK,
        }
    }
    fn show(&self) -> Markup {
        html! {
            @if let Some(m) = &self.0 { div.alert.bad #problem role="alert" { (m) } }
        }
    }
}

/// A use case's answer as post/redirect/get: success goes to `to` with its message, a
/// refusal re-renders the page through `again`.
fn outcome<T>(r: &Result<T, Error>, to: &str, done: Flash) -> Result<Response, Refusal> {
    match r {
        Ok(_) => Ok(see_other(to, done)),
        Err(e) => Err(Refusal(Some(problem(e)))),
    }
}

/// The page in the portal frame, with the status the refusal calls for.
fn respond(
    app: &App,
    visit: &Visit,
    title: &str,
    active: &str,
    flash: &Refusal,
    body: Markup,
) -> Response {
    let opts = PageOpts {
        title,
        active,
        mail_public: app.config.mail_viewer_public,
    };
    (flash.status(), page(visit, opts, body)).into_response()
}

fn when(ms: i64) -> String {
    crate::clock::from_ms(ms)
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

// ---- webhooks ----

pub async fn webhook_page(State(app): State<App>, s: SignedIn, Query(at): Query<At>) -> Response {
    let ctx = &s.ctx;
    if let Err(e) = ctx.require(Action::ReadWebhooks, Resource::Tenant(ctx.actor.tenant)) {
        return domain_error(&s.visit, e);
    }
    render_webhook(&app, &s.visit, ctx, &at, Refusal::NONE).await
}

/// One page of the delivery log (newest first) and its pager.
async fn delivery_log(app: &App, ctx: &Ctx, at: &At) -> Result<(Vec<Delivery>, Pager), Error> {
    let start = Start::read(app, &format!("deliveries:{}", ctx.actor.tenant), at);
    let (mut log, total) =
        webhooks::deliveries(app, ctx, None, start.timed(), start.fetch()).await?;
    let pager = start.finish(app, &mut log, total, |d| {
        (d.created_at.to_string(), d.id.to_string())
    });
    Ok((log, pager))
}

async fn render_webhook(app: &App, visit: &Visit, ctx: &Ctx, at: &At, flash: Refusal) -> Response {
    let lang = visit.lang();
    let reg = match webhooks::get(app, ctx).await {
        Ok(r) => Some(r),
        Err(Error::NotFound(_)) => None,
        Err(e) => return domain_error(visit, e),
    };
    let (log, pager) = match delivery_log(app, ctx, at).await {
        Ok(l) => l,
        Err(e) => return domain_error(visit, e),
    };
    let chosen = |e: &str| {
        reg.as_ref()
            .is_some_and(|r| r.events.iter().any(|x| x == e))
    };
    let title = t(lang, "webhooks.title");
    let body = html! {
        h1 { (title) }
        p.muted { (t(lang, "webhooks.intro")) }
        (flash.show())
        (super::flash::secret_card(lang, visit.flash(), "webhook-secret", "webhooks.secret_once"))
        div.card {
            form method="post" action="/portal/webhooks" #webhook-form {
                input type="hidden" name="csrf" value=(visit.csrf());
                label for="url" { (t(lang, "webhooks.url")) }
                input #url type="url" name="url" value=(reg.as_ref().map(|r| r.url.clone()).unwrap_or_default()) placeholder="https://";
                fieldset {
                    legend { (t(lang, "webhooks.events")) }
                    @for e in EVENTS {
                        label.choice {
                            input type="checkbox" name="event" value=(e) checked[chosen(e)];
                            " " (super::labels::event(lang, e)) " " code { (e) }
                        }
                    }
                }
                p { button #webhook-save type="submit" { (t(lang, if reg.is_some() { "webhooks.update" } else { "webhooks.register" })) } }
            }
            @if reg.is_some() {
                div.actions {
                    form.inline method="post" action="/portal/webhooks/test" {
                        input type="hidden" name="csrf" value=(visit.csrf());
                        button #webhook-test type="submit" { (t(lang, "webhooks.test")) }
                    }
                    " "
                    form.inline method="post" action="/portal/webhooks/rotate" {
                        input type="hidden" name="csrf" value=(visit.csrf());
                        button #webhook-rotate type="submit" { (t(lang, "webhooks.rotate")) }
                    }
                    " "
                    form.inline.confirm-form method="post" action="/portal/webhooks/remove" {
                        input type="hidden" name="csrf" value=(visit.csrf());
                        label.choice {
                            input #webhook-remove-confirm type="checkbox" name="confirm" value="yes";
                            " " (t(lang, "webhooks.remove_confirm"))
                        }
                        " "
                        button.link.danger #webhook-remove type="submit" { (t(lang, "webhooks.remove")) }
                    }
                }
            }
        }
        h2 { (t(lang, "webhooks.log")) }
        (pager.notice(lang))
        (deliveries_table(visit, &log, pager.is_first()))
        (pager.nav(lang, "/portal/webhooks", &t(lang, "webhooks.log")))
    };
    respond(app, visit, &title, "/portal/webhooks", &flash, body)
}

/// A page of the delivery log, with "redeliver" on each finished delivery.
fn deliveries_table(visit: &Visit, log: &[Delivery], first: bool) -> Markup {
    let lang = visit.lang();
    html! {
        @if log.is_empty() && first { p #deliveries-empty { (t(lang, "webhooks.log_empty")) } } @else {
            table #deliveries {
                thead { tr {
                    th { (t(lang, "webhooks.when")) } th { (t(lang, "webhooks.event")) } th { (t(lang, "webhooks.status")) }
                    th { (t(lang, "webhooks.code")) } th { (t(lang, "webhooks.attempts")) } th { (t(lang, "webhooks.error")) } th { span.sr-only { (t(lang, "common.actions")) } }
                } }
                tbody {
                    @for d in log {
                        tr data-event=(d.event_name) {
                            td { (when(d.created_at)) }
                            td { (super::labels::event(lang, &d.event_name)) " " code { (d.event_name) } }
                            td.status { (super::labels::pill(lang, d.status.as_str())) }
                            td.code { (d.last_status_code.map(|c| c.to_string()).unwrap_or_default()) }
                            td { (d.attempts) }
                            td { (d.last_error.clone().unwrap_or_default()) }
                            td {
                                @if d.status != DeliveryStatus::Pending {
                                    form method="post" action={"/portal/webhooks/deliveries/" (d.id) "/redeliver"} {
                                        input type="hidden" name="csrf" value=(visit.csrf());
                                        button.link type="submit" { (t(lang, "webhooks.redeliver")) }
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

/// One handler for the webhook page's buttons: `what` says which.
pub async fn webhook_action(
    State(app): State<App>,
    s: SignedIn,
    what: Option<Path<String>>,
    VerifiedForm(form): VerifiedForm,
) -> Response {
    let ctx = &s.ctx;
    let what = what.map(|Path(w)| w).unwrap_or_default();
    let has = webhooks::get(&app, ctx).await.is_ok();
    let back = "/portal/webhooks";
    let done = match what.as_str() {
        "" => {
            let input = webhooks::Input {
                url: form.get("url"),
                events: form.all("event"),
                payload_shape: None,
            };
            if has {
                outcome(
                    &webhooks::update(&app, ctx, input, None).await,
                    back,
                    Flash::ok("webhooks.saved"),
                )
            } else {
                with_secret(
                    webhooks::register(&app, ctx, input).await,
                    Flash::ok("webhooks.registered"),
                )
            }
        }
        "rotate" => with_secret(
            webhooks::rotate_secret(&app, ctx).await,
            Flash::ok("webhooks.rotated"),
        ),
        "test" => outcome(
            &webhooks::send_test(&app, ctx).await,
            back,
            Flash::ok("webhooks.test_sent"),
        ),
        "remove" if !confirmed(&form) => Err(Refusal(Some(needs_confirmation(s.lang(), None)))),
        "remove" => outcome(
            &webhooks::remove(&app, ctx).await,
            back,
            Flash::ok("webhooks.removed"),
        ),
        _ => return super::not_found_page().await,
    };
    match done {
        Ok(r) => r,
        Err(refusal) => render_webhook(&app, &s.visit, ctx, &At::default(), refusal).await,
    }
}

/// A registration or rotation: the new secret is handed over once, by the flash.
fn with_secret(r: Result<webhooks::View, Error>, done: Flash) -> Result<Response, Refusal> {
    match r {
        Ok(v) => {
            let mut flash = done;
            if let Some(secret) = v.secret {
                flash = flash.detail(Detail::Secret(secret));
            }
            Ok(see_other("/portal/webhooks", flash))
        }
        Err(e) => Err(Refusal(Some(problem(&e)))),
    }
}

pub async fn redeliver(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    VerifiedForm(_): VerifiedForm,
) -> Response {
    let r = webhooks::redeliver(&app, &s.ctx, &id).await;
    match outcome(&r, "/portal/webhooks", Flash::ok("webhooks.requeued")) {
        Ok(r) => r,
        Err(refusal) => render_webhook(&app, &s.visit, &s.ctx, &At::default(), refusal).await,
    }
}

// ---- notifications ----

pub async fn notifications_page(State(app): State<App>, s: SignedIn) -> Response {
    render_notifications(&app, &s.visit, &s.ctx, Refusal::NONE).await
}

async fn render_notifications(app: &App, visit: &Visit, ctx: &Ctx, flash: Refusal) -> Response {
    let lang = visit.lang();
    let s = match notifications::settings(app, ctx).await {
        Ok(s) => s,
        Err(e) => return domain_error(visit, e),
    };
    let title = t(lang, "notifications.title");
    let body = html! {
        h1 { (title) }
        p.muted { (t(lang, "notifications.intro")) }
        (flash.show())
        form.card method="post" action="/portal/notifications" #notifications-form {
            input type="hidden" name="csrf" value=(visit.csrf());
            fieldset {
                legend { (t(lang, "webhooks.events")) }
                @for e in notifications::choosable() {
                    label.choice {
                        input type="checkbox" name="event" value=(e) checked[s.events.iter().any(|x| x == e)];
                        " " (super::labels::event(lang, e)) " " code { (e) }
                    }
                }
            }
            label.choice {
                input #digest type="checkbox" name="digest" value="1" checked[s.digest];
                " " (t(lang, "notifications.digest"))
            }
            p { button #notifications-save type="submit" { (t(lang, "notifications.save")) } }
        }
    };
    respond(app, visit, &title, "/portal/notifications", &flash, body)
}

pub async fn save_notifications(
    State(app): State<App>,
    s: SignedIn,
    VerifiedForm(form): VerifiedForm,
) -> Response {
    let r = notifications::save(&app, &s.ctx, form.all("event"), form.get("digest") == "1").await;
    match outcome(
        &r,
        "/portal/notifications",
        Flash::ok("notifications.saved"),
    ) {
        Ok(r) => r,
        Err(refusal) => render_notifications(&app, &s.visit, &s.ctx, refusal).await,
    }
}

// ---- referrals ----

pub async fn referrals_page(State(app): State<App>, s: SignedIn, Query(at): Query<At>) -> Response {
    let form = FormData::default();
    render_referrals(&app, &s.visit, &s.ctx, &at, Refusal::NONE, &form).await
}

/// Organisations the caller may send referrals to, as picker options.
async fn targets(app: &App, ctx: &Ctx) -> Result<Vec<(String, String)>, Error> {
    Ok(referrals::targets(app, ctx)
        .await?
        .into_iter()
        .map(|(t, name)| (t.to_string(), name))
        .collect())
}

/// One page of the caller's referrals, sent and received (newest first), and its pager.
async fn referral_rows(app: &App, ctx: &Ctx, at: &At) -> Result<(Vec<ReferralRow>, Pager), Error> {
    let start = Start::read(app, &format!("referrals:{}", ctx.actor.tenant), at);
    let (mut list, total) =
        referrals::list(app, ctx, Direction::All, None, start.timed(), start.fetch()).await?;
    let pager = start.finish(app, &mut list, total, |r| {
        (r.created_at.to_string(), r.id.to_string())
    });
    Ok((list, pager))
}

async fn render_referrals(
    app: &App,
    visit: &Visit,
    ctx: &Ctx,
    at: &At,
    flash: Refusal,
    form: &FormData,
) -> Response {
    let lang = visit.lang();
    let (list, pager) = match referral_rows(app, ctx, at).await {
        Ok(l) => l,
        Err(e) => return domain_error(visit, e),
    };
    let targets = match targets(app, ctx).await {
        Ok(t) => t,
        Err(e) => return domain_error(visit, e),
    };
    let me = ctx.actor.tenant;
    let v = |k: &str| form.get(k);
    let title = t(lang, "referrals.title");
    let body = html! {
        h1 { (title) }
        p.muted { (t(lang, "referrals.intro")) }
        (flash.show())
        (pager.notice(lang))
        @if list.is_empty() && pager.is_first() { p #referrals-empty { (t(lang, "referrals.none")) } } @else {
            table #referrals {
                thead { tr {
                    th { (t(lang, "referrals.name")) } th { (t(lang, "referrals.direction")) } th { (t(lang, "referrals.customer")) }
                    th { (t(lang, "referrals.value")) } th { (t(lang, "referrals.status")) } th { (t(lang, "referrals.updated")) }
                } }
                tbody {
                    @for r in &list {
                        tr {
                            td { a href={"/portal/referrals/" (r.id)} { (r.name) } }
                            td { (t(lang, direction_key(r, me))) }
                            td { (r.customer_name) " (" (r.customer_country) ")" }
                            td { (r.deal_value) " " (r.currency) }
                            td.status { (super::labels::state(lang, r.status.as_str())) " / " (t(lang, &format!("referrals.sub.{}", r.substatus))) }
                            td { (when(r.updated_at)) }
                        }
                    }
                }
            }
        }
        (pager.nav(lang, "/portal/referrals", &title))
        @if !targets.is_empty() {
            div.card {
                h2 { (t(lang, "referrals.new")) }
                form method="post" action="/portal/referrals" #referral-form {
                    input type="hidden" name="csrf" value=(visit.csrf());
                    label for="target" { (t(lang, "referrals.target")) }
                    select #target name="target" {
                        @for (id, name) in &targets {
                            option value=(id) selected[v("target") == *id] { (if *name == "—" { t(lang, "referrals.own") } else { name.clone() }) }
                        }
                    }
                    label for="name" { (t(lang, "referrals.name")) }
                    input #name type="text" name="name" value=(v("name"));
                    label for="customer_name" { (t(lang, "referrals.customer")) }
                    input #customer_name type="text" name="customer_name" value=(v("customer_name"));
                    label for="country" { (t(lang, "referrals.country")) }
                    input #country type="text" name="country" maxlength="2" value=(v("country"));
                    label for="contact_name" { (t(lang, "referrals.contact")) }
                    input #contact_name type="text" name="contact_name" value=(v("contact_name"));
                    label for="contact_email" { (t(lang, "referrals.email")) }
                    input #contact_email type="email" name="contact_email" value=(v("contact_email"));
                    label for="deal_value" { (t(lang, "referrals.value")) }
                    input #deal_value type="text" name="deal_value" value=(v("deal_value")) placeholder="10000.00";
                    label for="currency" { (t(lang, "referrals.currency")) }
                    input #currency type="text" name="currency" maxlength="3" value=(v("currency")) placeholder="USD";
                    label for="notes" { (t(lang, "referrals.notes")) }
                    textarea #notes name="notes" { (v("notes")) }
                    label.choice {
                        input #consent type="checkbox" name="consent" value="1";
                        " " (t(lang, "referrals.consent"))
                    }
                    p { button #referral-submit type="submit" { (t(lang, "referrals.create")) } }
                }
            }
        }
    };
    respond(app, visit, &title, "/portal/referrals", &flash, body)
}

fn direction_key(r: &ReferralRow, me: crate::domain::ids::TenantId) -> &'static str {
    if r.created_by_tenant == r.target_tenant {
        "referrals.own"
    } else if r.target_tenant == me {
        "referrals.received"
    } else {
        "referrals.sent"
    }
}

pub async fn create_referral(
    State(app): State<App>,
    s: SignedIn,
    VerifiedForm(form): VerifiedForm,
) -> Response {
    let target = form.get("target").parse().ok();
    let r = referrals::create(
        &app,
        &s.ctx,
        target,
        LeadInput {
            name: &form.get("name"),
            deal_value: &form.get("deal_value"),
            currency: &form.get("currency"),
            customer_name: &form.get("customer_name"),
            customer_country: &form.get("country"),
            contact_name: &form.get("contact_name"),
            contact_email: &form.get("contact_email"),
            contact_phone: "",
            notes: &form.get("notes"),
            consent: form.get("consent") == "1",
        },
    )
    .await;
    match r {
        Ok(_) => see_other("/portal/referrals", Flash::ok("referrals.created")),
        Err(e) => {
            let refusal = Refusal(Some(problem(&e)));
            render_referrals(&app, &s.visit, &s.ctx, &At::default(), refusal, &form).await
        }
    }
}

pub async fn referral_page(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
) -> Response {
    render_referral(&app, &s.visit, &s.ctx, &id, Refusal::NONE).await
}

async fn render_referral(
    app: &App,
    visit: &Visit,
    ctx: &Ctx,
    id: &str,
    flash: Refusal,
) -> Response {
    let lang = visit.lang();
    let r = match referrals::get(app, ctx, id).await {
        Ok(r) => r,
        Err(e) => return domain_error(visit, e),
    };
    let me = ctx.actor.tenant;
    let receiver = r.target_tenant == me;
    let current = r.substatus;
    let moves: Vec<Substatus> = Substatus::ALL
        .into_iter()
        .filter(|s| {
            *s != current && crate::domain::referral::may_move(current, *s, receiver).is_ok()
        })
        .collect();
    let title = r.name.clone();
    let body = html! {
        h1 { (r.name) }
        (flash.show())
        dl.card #referral {
            dt { (t(lang, "referrals.status")) } dd #referral-status data-status=(r.status) { (super::labels::state(lang, r.status.as_str())) " / " (t(lang, &format!("referrals.sub.{}", r.substatus))) }
            dt { (t(lang, "referrals.direction")) } dd { (t(lang, direction_key(&r, me))) }
            dt { (t(lang, "referrals.customer")) } dd { (r.customer_name) " (" (r.customer_country) ")" }
            dt { (t(lang, "referrals.contact")) } dd { (r.contact_name) " · " (r.contact_email) " " (r.contact_phone) }
            dt { (t(lang, "referrals.value")) } dd { (r.deal_value) " " (r.currency) }
            dt { (t(lang, "referrals.consent_at")) } dd { (when(r.consent_at)) }
            dt { (t(lang, "referrals.notes")) } dd { (r.notes) }
        }
        @if !moves.is_empty() {
            div.actions {
                @for s in &moves {
                    form.inline method="post" action={"/portal/referrals/" (r.id)} {
                        input type="hidden" name="csrf" value=(visit.csrf());
                        input type="hidden" name="substatus" value=(s.as_str());
                        button.move-referral type="submit" data-substatus=(s.as_str()) {
                            (tf(lang, "referrals.move", &[("to", &t(lang, &format!("referrals.sub.{}", s.as_str())))]))
                        }
                        " "
                    }
                }
            }
        }
        p { a href="/portal/referrals" { (t(lang, "referrals.back")) } }
    };
    respond(app, visit, &title, "/portal/referrals", &flash, body)
}

pub async fn move_referral(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    VerifiedForm(form): VerifiedForm,
) -> Response {
    let update = referrals::Update {
        substatus: Some(form.get("substatus")),
        deal_value: None,
        currency: None,
        notes: None,
    };
    let r = referrals::update(&app, &s.ctx, &id, update, None).await;
    match outcome(
        &r,
        &format!("/portal/referrals/{id}"),
        Flash::ok("referrals.moved"),
    ) {
        Ok(r) => r,
        Err(refusal) => render_referral(&app, &s.visit, &s.ctx, &id, refusal).await,
    }
}
