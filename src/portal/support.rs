//! The support area: my requests and those my organisation holds (with filters), raising a
//! request, the case page with its thread, files and service-level clock, answer / ask for
//! information / resolve / escalate (the last two confirmed on a second page), service-level
//! targets, and breach rates as a table and a server-rendered SVG chart.

use super::flash::{see_other, Flash};
use super::guard::{SignedIn, VerifiedForm, REFUSED};
use super::i18n::{t, tf};
use super::layout::{domain_error, page, problem, PageOpts};
use super::pager::{self, At, Pager, Start};
use super::session::Visit;
use crate::app::support::{self, CaseDetail, CaseFilter, CaseView, NewCase, RateRow, Update};
use crate::app::{App, Ctx};
use crate::domain::authz::{can, Action, Resource};
use crate::domain::support::{DraftInput, Goal, Severity, Status, Target, Tier};
use crate::domain::Error;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, PreEscaped};
use std::collections::BTreeMap;

fn when(ms: i64) -> String {
    crate::clock::from_ms(ms)
        .format("%Y-%m-%d %H:%M UTC")
        .to_string()
}

/// "2 h 5 min" left, or "late by 12 min".
fn duration(lang: &str, ms: i64) -> String {
    let mins = ms.abs() / 60_000;
    let text = if mins >= 24 * 60 {
        format!("{} d {} h", mins / (24 * 60), (mins / 60) % 24)
    } else if mins >= 60 {
        format!("{} h {} min", mins / 60, mins % 60)
    } else {
        format!("{mins} min")
    };
    let key = if ms >= 0 {
        "support.left"
    } else {
        "support.late"
    };
    tf(lang, key, &[("time", &text)])
}

fn respond(app: &App, visit: &Visit, title: &str, status: StatusCode, body: Markup) -> Response {
    let opts = PageOpts {
        title,
        active: "/portal/support",
        mail_public: app.config.mail_viewer_public,
    };
    (status, page(visit, opts, body)).into_response()
}

fn flash(msg: Option<&Result<(), String>>) -> Markup {
    html! {
        @match msg {
            Some(Ok(())) => {},
            Some(Err(m)) => div.alert.bad #problem role="alert" { (m) },
            None => {},
        }
    }
}

fn status_label(lang: &str, s: Status) -> String {
    t(lang, &format!("support.status.{}", s.as_str()))
}

fn severity_label(lang: &str, s: Severity) -> String {
    t(lang, &format!("support.severity.{}", s.as_str()))
}

fn tier_label(lang: &str, s: Tier) -> String {
    t(lang, &format!("support.tier.{}", s.as_str()))
}

// ---------------------------------------------------------------- list and raise

pub async fn list(
    State(app): State<App>,
    s: SignedIn,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    render_list(&app, &s.visit, &s.ctx, &q, None).await
}

fn filter_from(q: &BTreeMap<String, String>) -> (CaseView, CaseFilter) {
    let v = |k: &str| q.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let view = match v("view") {
        Some("mine") => CaseView::Mine,
        Some("assigned") => CaseView::Assigned,
        _ => CaseView::All,
    };
    let filter = CaseFilter {
        status: v("status").and_then(Status::parse),
        severity: v("severity").and_then(Severity::parse),
        customer: v("customer").and_then(|c| c.parse().ok()),
        topic: v("topic").map(str::to_string),
        breached: match v("breach") {
            Some("yes") => Some(true),
            Some("no") => Some(false),
            _ => None,
        },
    };
    (view, filter)
}

/// The filters of the list, in the order its address names them.
const FILTERS: [&str; 6] = ["view", "status", "severity", "breach", "topic", "customer"];

/// One page of the requests the filters of `q` select, how many match, the pager and the
/// address of the first page with those filters.
async fn case_rows(
    app: &App,
    ctx: &Ctx,
    q: &BTreeMap<String, String>,
) -> Result<(Vec<support::Case>, i64, Pager, String), Error> {
    let (view, filter) = filter_from(q);
    let filters: Vec<(&str, Option<&str>)> = FILTERS
        .iter()
        .map(|k| (*k, q.get(*k).map(String::as_str)))
        .collect();
    let base = pager::base("/portal/support", &filters);
    let at = At {
        after: q.get("after").cloned(),
        from: q.get("from").cloned(),
    };
    let start = Start::read(app, &format!("support:{}:{base}", ctx.actor.tenant), &at);
    let (mut rows, total) =
        support::list(app, ctx, view, &filter, start.timed(), start.fetch()).await?;
    let pager = start.finish(app, &mut rows, total, |r| {
        (r.created_at.to_string(), r.id.to_string())
    });
    Ok((rows, total, pager, base))
}

async fn render_list(
    app: &App,
    visit: &Visit,
    ctx: &Ctx,
    q: &BTreeMap<String, String>,
    outcome: Option<Result<(), String>>,
) -> Response {
    let lang = visit.lang();
    let (rows, total, pager, base) = match case_rows(app, ctx, q).await {
        Ok(r) => r,
        Err(e) => return domain_error(visit, e),
    };
    let topics = match support::topics(app, ctx).await {
        Ok(t) => t,
        Err(e) => return domain_error(visit, e),
    };
    let may_raise = can(
        &ctx.actor,
        Action::RaiseServiceRequest,
        Resource::Tenant(ctx.actor.tenant),
    )
    .allowed();
    let customers = if may_raise {
        match support::customers_for_raising(app, ctx).await {
            Ok(c) => c,
            Err(e) => return domain_error(visit, e),
        }
    } else {
        Vec::new()
    };
    let now = app.clock.now_ms();
    let sel = |k: &str| q.get(k).cloned().unwrap_or_default();
    let title = t(lang, "support.title");
    let body = html! {
        h1 { (title) }
        (flash(outcome.as_ref()))
        p.muted { (t(lang, "support.intro")) }
        (subnav(lang, ctx))
        form.card.filters method="get" action="/portal/support" #support-filters {
            (select(lang, "view", &sel("view"), &[("all", "support.view.all"), ("mine", "support.view.mine"), ("assigned", "support.view.assigned")]))
            (select(lang, "status", &sel("status"), &[("", "support.any"), ("open", "support.status.open"), ("attentionNeeded", "support.status.attentionNeeded"), ("closed", "support.status.closed")]))
            (select(lang, "severity", &sel("severity"), &[("", "support.any"), ("critical", "support.severity.critical"), ("high", "support.severity.high"), ("normal", "support.severity.normal")]))
            (select(lang, "breach", &sel("breach"), &[("", "support.any"), ("yes", "support.breach.yes"), ("no", "support.breach.no")]))
            label { (t(lang, "support.topic")) " "
                select name="topic" {
                    option value="" { (t(lang, "support.any")) }
                    @for tp in &topics { option value=(tp.id) selected[sel("topic") == tp.id] { (tp.name) } }
                }
            }
            label { (t(lang, "support.customer_id")) " " input name="customer" value=(sel("customer")) size="38"; }
            " " button type="submit" { (t(lang, "support.filter")) }
        }
        p.muted #support-count { (tf(lang, "support.count", &[("n", &total.to_string())])) }
        (pager.notice(lang))
        @if rows.is_empty() && pager.is_first() { p #support-empty { (t(lang, "support.none")) } } @else {
            table #support-list {
                thead { tr {
                    th { (t(lang, "support.field.title")) } th { (t(lang, "support.field.status")) }
                    th { (t(lang, "support.field.severity")) } th { (t(lang, "support.field.tier")) }
                    th { (t(lang, "support.field.organization")) } th { (t(lang, "support.field.clock")) }
                } }
                tbody {
                    @for c in &rows {
                        @let clock = support::clock_of(c);
                        tr {
                            td { a href={"/portal/support/" (c.id)} { (c.title) } }
                            td { (status_label(lang, c.status)) }
                            td { (severity_label(lang, c.severity)) }
                            td { (tier_label(lang, c.tier)) " · " (c.assignee_name) }
                            td { (c.requester_name) }
                            td {
                                @if let Some(left) = clock.time_left(now) { (duration(lang, left)) }
                                @if c.breached { " " span.badge.bad { (t(lang, "support.breached")) } }
                            }
                        }
                    }
                }
            }
        }
        (pager.nav(lang, &base, &title))
        @if may_raise { (raise_form(lang, visit, &topics, &customers, ctx)) }
    };
    let status = match &outcome {
        Some(Err(_)) => REFUSED,
        _ => StatusCode::OK,
    };
    respond(app, visit, &title, status, body)
}

fn subnav(lang: &str, ctx: &Ctx) -> Markup {
    let own = Resource::Tenant(ctx.actor.tenant);
    html! {
        p.actions {
            a href="/portal/support" { (t(lang, "support.title")) }
            @if can(&ctx.actor, Action::ReadSupportTargets, own).allowed() {
                " · " a href="/portal/support/targets" #support-targets-link { (t(lang, "support.targets")) }
            }
            @if can(&ctx.actor, Action::ReadSupportStats, own).allowed() {
                " · " a href="/portal/support/rates" #support-rates-link { (t(lang, "support.rates")) }
            }
        }
    }
}

fn select(lang: &str, name: &str, current: &str, options: &[(&str, &str)]) -> Markup {
    html! {
        label { (t(lang, &format!("support.filter.{name}"))) " "
            select name=(name) {
                @for (v, key) in options { option value=(v) selected[current == *v] { (t(lang, key)) } }
            }
        }
        " "
    }
}

fn raise_form(
    lang: &str,
    visit: &Visit,
    topics: &[support::Topic],
    customers: &[(crate::domain::ids::TenantId, String)],
    ctx: &Ctx,
) -> Markup {
    let partner = ctx.actor.partner.is_some();
    html! {
        div.card {
            h2 { (t(lang, "support.new")) }
            form method="post" action="/portal/support" #support-form {
                input type="hidden" name="csrf" value=(visit.csrf());
                label for="sr-title" { (t(lang, "support.field.title")) }
                input #sr-title name="title" required maxlength="200";
                label for="sr-description" { (t(lang, "support.field.description")) }
                textarea #sr-description name="description" rows="5" required {}
                label for="sr-severity" { (t(lang, "support.field.severity")) }
                select #sr-severity name="severity" {
                    @for s in Severity::ALL { option value=(s.as_str()) selected[*s == Severity::Normal] { (severity_label(lang, *s)) } }
                }
                label for="sr-topic" { (t(lang, "support.topic")) }
                select #sr-topic name="supportTopicId" {
                    @for tp in topics { option value=(tp.id) { (tp.name) } }
                }
                @if partner {
                    label for="sr-customer" { (t(lang, "support.on_behalf")) }
                    select #sr-customer name="customerId" {
                        option value="" { (t(lang, "support.for_us")) }
                        @for (id, name) in customers { option value=(id) { (name) } }
                    }
                    label for="sr-subscription" { (t(lang, "support.subscription")) }
                    input #sr-subscription name="subscriptionId" size="38";
                }
                p { button #support-submit type="submit" { (t(lang, "support.raise")) } }
            }
        }
    }
}

pub async fn raise(
    State(app): State<App>,
    s: SignedIn,
    VerifiedForm(form): VerifiedForm,
) -> Response {
    let (visit, ctx) = (&s.visit, &s.ctx);
    let customer = form.trimmed("customerId");
    let customer = match customer.parse() {
        Ok(c) => Some(c),
        Err(_) if customer.is_empty() => None,
        Err(_) => {
            let e = Error::field("customerId", "a customer id");
            return render_list(&app, visit, ctx, &BTreeMap::new(), Some(Err(problem(&e)))).await;
        }
    };
    let (title, description, severity, topic) = (
        form.trimmed("title"),
        form.trimmed("description"),
        form.trimmed("severity"),
        form.trimmed("supportTopicId"),
    );
    let r = support::raise(
        &app,
        ctx,
        NewCase {
            input: DraftInput {
                title: &title,
                description: &description,
                severity: &severity,
                topic_id: &topic,
                product_name: "",
                contact_name: "",
                contact_email: "",
            },
            customer,
            subscription_id: Some(form.trimmed("subscriptionId")),
        },
    )
    .await;
    match r {
        Ok(d) => see_other(
            &format!("/portal/support/{}", d.case.id),
            Flash::ok("support.raised"),
        ),
        Err(e) => render_list(&app, visit, ctx, &BTreeMap::new(), Some(Err(problem(&e)))).await,
    }
}

// ---------------------------------------------------------------- the case page

pub async fn case_page(State(app): State<App>, s: SignedIn, Path(id): Path<String>) -> Response {
    render_case(&app, &s.visit, &s.ctx, &id, None, StatusCode::OK).await
}

async fn render_case(
    app: &App,
    visit: &Visit,
    ctx: &Ctx,
    id: &str,
    outcome: Option<Result<(), String>>,
    status: StatusCode,
) -> Response {
    let lang = visit.lang();
    let d = match support::detail(app, ctx, id).await {
        Ok(d) => d,
        Err(e) => return domain_error(visit, e),
    };
    let c = &d.case;
    let body = html! {
        h1 #case-title { (c.title) }
        (flash(outcome.as_ref()))
        (clock_card(app, lang, &d))
        dl.card #case {
            dt { (t(lang, "support.field.status")) } dd #case-status { (status_label(lang, c.status)) }
            dt { (t(lang, "support.field.severity")) } dd { (severity_label(lang, c.severity)) }
            dt { (t(lang, "support.field.tier")) } dd #case-tier { (tier_label(lang, c.tier)) " · " (c.assignee_name) }
            dt { (t(lang, "support.field.organization")) } dd { (c.requester_name) }
            dt { (t(lang, "support.topic")) } dd { (c.topic_name) @if !c.product_name.is_empty() { " · " (c.product_name) } }
            @if let Some(s) = &c.subscription_id { dt { (t(lang, "support.subscription")) } dd { code { (s) } } }
            dt { (t(lang, "support.field.created")) } dd { (when(c.created_at)) }
            dt { (t(lang, "support.field.description")) } dd { (c.description) }
        }
        (thread(lang, &d))
        (files(lang, &d))
        (actions(lang, visit, &d))
        p { a href="/portal/support" { (t(lang, "support.back")) } }
    };
    respond(app, visit, &c.title.clone(), status, body)
}

fn clock_card(app: &App, lang: &str, d: &CaseDetail) -> Markup {
    let c = &d.case;
    let now = app.clock.now_ms();
    html! {
        div.card #sla-clock {
            strong { (t(lang, "support.clock")) ": " }
            @match (d.running_goal, d.time_left_ms) {
                (Some(goal), Some(left)) => {
                    span #sla-left class=(if left < 0 { "bad" } else { "ok" }) {
                        (t(lang, if goal == Goal::FirstResponse { "support.goal.firstResponse" } else { "support.goal.resolution" }))
                        " · " (duration(lang, left))
                    }
                    " " span.muted { "(" (when(if goal == Goal::FirstResponse { c.first_response_due } else { c.resolution_due })) ")" }
                }
                _ => span #sla-left { (t(lang, "support.clock_stopped")) }
            }
            @if c.breached { " " span.badge.bad #sla-breached { (t(lang, "support.breached")) } }
            span.muted { " · " (t(lang, "support.now")) " " (when(now)) }
        }
    }
}

fn thread(lang: &str, d: &CaseDetail) -> Markup {
    html! {
        div.card #thread {
            h2 { (t(lang, "support.thread")) }
            @if d.notes.is_empty() { p.muted { (t(lang, "support.no_notes")) } }
            @for n in &d.notes {
                div.note id={"note-" (n.id)} {
                    p.muted {
                        strong { (n.author_name) } " · " (n.organization)
                        @if let Some(tier) = n.tier { " (" (tier_label(lang, tier)) ")" }
                        " · " (when(n.created_at))
                    }
                    p { (n.text) }
                }
            }
        }
    }
}

fn files(lang: &str, d: &CaseDetail) -> Markup {
    html! {
        @if !d.attachments.is_empty() {
            div.card #files {
                h2 { (t(lang, "support.files")) }
                ul { @for a in &d.attachments {
                    li { a href={"/portal/support/" (d.case.id) "/files/" (a.id)} { (a.file_name) }
                        " · " (a.content_type) " · " (a.size_bytes) " B · " (a.author_name) }
                } }
            }
        }
    }
}

fn actions(lang: &str, visit: &Visit, d: &CaseDetail) -> Markup {
    let c = &d.case;
    let open = c.status != Status::Closed;
    let action = format!("/portal/support/{}", c.id);
    let button = |what: &str, key: &str| {
        html! {
            form method="post" action=(action).inline {
                input type="hidden" name="csrf" value=(visit.csrf());
                input type="hidden" name="do" value=(what);
                button.case-action type="submit" id={"do-" (what)} { (t(lang, key)) }
                " "
            }
        }
    };
    html! {
        @if open {
            div.card {
                form method="post" action=(action) #note-form {
                    input type="hidden" name="csrf" value=(visit.csrf());
                    input type="hidden" name="do" value="note";
                    label for="note-text" { (t(lang, if d.is_assignee { "support.answer" } else { "support.add_note" })) }
                    textarea #note-text name="note" rows="3" required {}
                    p { button #note-submit type="submit" { (t(lang, "support.send")) } }
                }
            }
        }
        @if d.may_update {
            div.actions #case-actions {
                @if d.is_assignee && c.status == Status::Open { (button("ask", "support.ask")) }
                @if open { (button("resolve", if d.is_assignee { "support.resolve" } else { "support.withdraw" })) }
                @if !open || (c.status == Status::AttentionNeeded && !d.is_assignee) { (button("reopen", "support.reopen")) }
                @if d.may_escalate { (button("escalate", "support.escalate")) }
            }
        }
    }
}

/// Escalating and resolving are confirmed on a page of their own (no script needed); it
/// answers the unconfirmed form, so it comes with the refusal status and changes nothing.
fn confirm_page(app: &App, visit: &Visit, d: &CaseDetail, what: &str, note: &str) -> Response {
    let lang = visit.lang();
    let c = &d.case;
    let question = match what {
        "escalate" => {
            let next = d
                .case
                .path
                .next_above(c.tier)
                .map(|(t, _)| tier_label(lang, t))
                .unwrap_or_default();
            tf(lang, "support.confirm_escalate", &[("tier", &next)])
        }
        _ => t(lang, "support.confirm_resolve"),
    };
    let body = html! {
        h1 { (c.title) }
        div.card #confirm {
            p #confirm-question { strong { (question) } }
            form method="post" action={"/portal/support/" (c.id)} {
                input type="hidden" name="csrf" value=(visit.csrf());
                input type="hidden" name="do" value=(what);
                input type="hidden" name="confirm" value="yes";
                label for="confirm-note" { (t(lang, "support.note_optional")) }
                textarea #confirm-note name="note" rows="3" { (note) }
                p {
                    button #confirm-yes type="submit" { (t(lang, "support.confirm")) }
                    " " a #confirm-no href={"/portal/support/" (c.id)} { (t(lang, "support.cancel")) }
                }
            }
        }
    };
    respond(app, visit, &c.title.clone(), REFUSED, body)
}

pub async fn act(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    VerifiedForm(form): VerifiedForm,
) -> Response {
    let (visit, ctx) = (&s.visit, &s.ctx);
    let what = form.trimmed("do");
    let note = Some(form.trimmed("note")).filter(|n| !n.is_empty());
    if matches!(what.as_str(), "escalate" | "resolve") && form.trimmed("confirm") != "yes" {
        return match support::detail(&app, ctx, &id).await {
            Ok(d) => confirm_page(&app, visit, &d, &what, note.as_deref().unwrap_or("")),
            Err(e) => domain_error(visit, e),
        };
    }
    let (u, done) = match what.as_str() {
        "note" => (
            Update {
                note,
                ..Default::default()
            },
            Flash::ok("support.answered"),
        ),
        "ask" => (
            Update {
                status: Some("attentionNeeded".into()),
                note,
                ..Default::default()
            },
            Flash::ok("support.asked"),
        ),
        "resolve" => (
            Update {
                status: Some("closed".into()),
                note,
                ..Default::default()
            },
            Flash::ok("support.resolved"),
        ),
        "reopen" => (
            Update {
                status: Some("open".into()),
                note,
                ..Default::default()
            },
            Flash::ok("support.reopened"),
        ),
        "escalate" => (
            Update {
                escalate: true,
                note,
                ..Default::default()
            },
            Flash::ok("support.escalated"),
        ),
        _ => return domain_error(visit, Error::field("do", "an action of this page")),
    };
    match support::update(&app, ctx, &id, u, None).await {
        Ok(_) => see_other(&format!("/portal/support/{id}"), done),
        Err(Error::NotFound(what)) => domain_error(visit, Error::NotFound(what)),
        Err(e) => render_case(&app, visit, ctx, &id, Some(Err(problem(&e))), REFUSED).await,
    }
}

pub async fn download(
    State(app): State<App>,
    s: SignedIn,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    match support::download(&app, &s.ctx, &id, &file).await {
        Ok((a, bytes)) => crate::web::file_response(&a.file_name, &a.content_type, bytes),
        Err(e) => domain_error(&s.visit, e),
    }
}

// ---------------------------------------------------------------- targets and rates

pub async fn targets_page(State(app): State<App>, s: SignedIn) -> Response {
    render_targets(&app, &s.visit, &s.ctx, None).await
}

async fn render_targets(
    app: &App,
    visit: &Visit,
    ctx: &Ctx,
    outcome: Option<Result<(), String>>,
) -> Response {
    let lang = visit.lang();
    let targets = match support::targets(app, ctx).await {
        Ok(t) => t,
        Err(e) => return domain_error(visit, e),
    };
    let editable = can(
        &ctx.actor,
        Action::ManageSupportTargets,
        Resource::Tenant(ctx.actor.tenant),
    )
    .allowed();
    let title = t(lang, "support.targets");
    let status = match &outcome {
        Some(Err(_)) => REFUSED,
        _ => StatusCode::OK,
    };
    let body = html! {
        h1 { (title) }
        (flash(outcome.as_ref()))
        p.muted { (t(lang, "support.targets_intro")) }
        (subnav(lang, ctx))
        form.card method="post" action="/portal/support/targets" #targets-form {
            input type="hidden" name="csrf" value=(visit.csrf());
            table {
                thead { tr { th { (t(lang, "support.field.severity")) } th { (t(lang, "support.goal.firstResponse")) " (min)" } th { (t(lang, "support.goal.resolution")) " (min)" } } }
                tbody { @for tg in &targets {
                    tr {
                        td { (severity_label(lang, tg.severity)) }
                        td { input type="number" min="1" name={"first-" (tg.severity.as_str())} value=(tg.first_response_minutes) disabled[!editable]; }
                        td { input type="number" min="1" name={"resolve-" (tg.severity.as_str())} value=(tg.resolution_minutes) disabled[!editable]; }
                    }
                } }
            }
            @if editable { p { button #targets-save type="submit" { (t(lang, "support.save")) } } }
        }
    };
    respond(app, visit, &title, status, body)
}

pub async fn save_targets(
    State(app): State<App>,
    s: SignedIn,
    VerifiedForm(form): VerifiedForm,
) -> Response {
    let num = |k: String| form.trimmed(&k).parse::<i64>().unwrap_or(0);
    let targets: Vec<Target> = Severity::ALL
        .iter()
        .map(|s| Target {
            severity: *s,
            first_response_minutes: num(format!("first-{}", s.as_str())),
            resolution_minutes: num(format!("resolve-{}", s.as_str())),
        })
        .collect();
    match support::set_targets(&app, &s.ctx, targets).await {
        Ok(_) => see_other("/portal/support/targets", Flash::ok("support.saved")),
        Err(e) => render_targets(&app, &s.visit, &s.ctx, Some(Err(problem(&e)))).await,
    }
}

pub async fn rates_page(
    State(app): State<App>,
    s: SignedIn,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let (visit, ctx) = (s.visit, s.ctx);
    let lang = visit.lang();
    let by_topic = q.get("by").is_some_and(|b| b == "topic");
    let rows = match support::breach_rates(&app, &ctx, by_topic).await {
        Ok(r) => r,
        Err(e) => return domain_error(&visit, e),
    };
    let title = t(lang, "support.rates");
    let body = html! {
        h1 { (title) }
        (subnav(lang, &ctx))
        p.actions {
            a href="/portal/support/rates" { (t(lang, "support.by_reseller")) } " · "
            a href="/portal/support/rates?by=topic" { (t(lang, "support.by_topic")) }
        }
        @if rows.is_empty() { p #rates-empty { (t(lang, "support.none")) } } @else {
            div.card { (chart(lang, &rows)) }
            table #rates {
                thead { tr { th { (t(lang, if by_topic { "support.topic" } else { "support.reseller" })) } th { (t(lang, "support.total")) } th { (t(lang, "support.breached")) } th { (t(lang, "support.rate")) } } }
                tbody { @for r in &rows {
                    tr { td { (name_of(lang, r)) } td { (r.total) } td { (r.breached) } td { (percent(r)) "%" } }
                } }
            }
        }
    };
    respond(&app, &visit, &title, StatusCode::OK, body)
}

fn name_of(lang: &str, r: &RateRow) -> String {
    if r.name.is_empty() {
        t(lang, "support.no_reseller")
    } else {
        r.name.clone()
    }
}

fn percent(r: &RateRow) -> i64 {
    if r.total == 0 {
        0
    } else {
        (r.breached * 100 + r.total / 2) / r.total
    }
}

/// A horizontal bar chart of breach rates, drawn on the server (no script, CSP-safe).
fn chart(lang: &str, rows: &[RateRow]) -> Markup {
    let (bar_h, gap, label_w, bar_w) = (22, 8, 220, 360);
    let height = rows.len() as i64 * (bar_h + gap) + gap;
    let width = label_w + bar_w + 60;
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut svg = format!(
        "<svg id=\"rates-chart\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\"><title>{}</title>",
        esc(&t(lang, "support.rates"))
    );
    for (i, r) in rows.iter().enumerate() {
        let y = gap + i as i64 * (bar_h + gap);
        let p = percent(r);
        let w = bar_w * p / 100;
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{bar_w}\" height=\"{bar_h}\" fill=\"#eef2f6\"/>\
             <rect class=\"bar\" x=\"{label_w}\" y=\"{y}\" width=\"{w}\" height=\"{bar_h}\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\">{p}%</text>",
            label_w - 8,
            y + bar_h - 6,
            esc(&name_of(lang, r)),
            if p >= 25 { "#d92d20" } else { "#039855" },
            label_w + bar_w + 6,
            y + bar_h - 6,
        ));
    }
    svg.push_str("</svg>");
    html! { (PreEscaped(svg)) }
}
