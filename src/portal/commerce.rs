//! Commerce pages: the catalog, the order form and services on a customer's record, and the
//! provider's invoices with CSV download.

use super::flash::{see_other, Flash};
use super::form::csrf;
use super::guard::{confirmed, needs_confirmation, SignedIn, VerifiedForm, REFUSED};
use super::i18n::{t, tf};
use super::layout::{domain_error, error_page, page, PageOpts};
use super::pager::{self, At, Start};
use crate::app::commerce::{self as uc, LineInput, OrderInput, SubscriptionPatch};
use crate::app::subscriptions::SubscriptionRow;
use crate::app::{catalog, orders, App};
use crate::domain::ids::SubscriptionId;
use crate::domain::Error;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;

/// The services (subscriptions) table of a customer's record.
pub fn services_table(lang: &str, subs: &[SubscriptionRow]) -> Markup {
    html! {
        h2 { (t(lang, "services.title")) }
        @if subs.is_empty() { p #services-empty { (t(lang, "services.none")) } } @else {
            table #services {
                thead { tr { th { (t(lang, "record.sku")) } th { (t(lang, "catalog.quantity")) } th { (t(lang, "services.status")) } th { (t(lang, "catalog.price")) } } }
                tbody {
                    @for s in subs {
                        tr.service data-subscription=(s.id) {
                            td.service-name { (s.friendly_name) }
                            td.service-quantity { (s.quantity) }
                            td.service-status { (super::labels::pill(lang, s.status.as_str())) }
                            td { (s.unit_price) " " (s.currency) }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct CatalogQuery {
    country: Option<String>,
    #[serde(flatten)]
    at: At,
}

pub async fn catalog(
    State(app): State<App>,
    s: SignedIn,
    Query(q): Query<CatalogQuery>,
) -> Response {
    let (visit, ctx) = (&s.visit, &s.ctx);
    let lang = visit.lang();
    let asked = q.country.filter(|c| !c.trim().is_empty());
    let country = match catalog::country_for(&app, ctx, asked.as_deref()).await {
        Ok(c) if c.is_empty() => "US".to_string(),
        Ok(c) => c,
        Err(Error::Refused(_)) => {
            return error_page(visit, StatusCode::FORBIDDEN, &t(lang, "error.forbidden"))
        }
        Err(e) => return domain_error(visit, e),
    };
    let start = Start::read(&app, &format!("catalog:{country}"), &q.at);
    let listed = catalog::offers_page(&app, ctx, Some(&country), start.position(), start.fetch());
    let (mut rows, total) = match listed.await {
        Ok(page) => page,
        Err(e) => return domain_error(visit, e),
    };
    let pager = start.finish(&app, &mut rows, total, catalog::Offer::sort_key);
    let base = pager::base("/portal/catalog", &[("country", Some(country.as_str()))]);
    let title = t(lang, "catalog.title");
    page(visit, PageOpts { title: &title, active: "/portal/catalog", mail_public: app.config.mail_viewer_public }, html! {
        h1 { (title) }
        form method="get" action="/portal/catalog" {
            label for="country" { (t(lang, "catalog.country")) }
            input #country type="text" name="country" value=(country);
            " " button type="submit" { (t(lang, "directory.search")) }
        }
        (pager.notice(lang))
        table #catalog {
            thead { tr { th { (t(lang, "record.sku")) } th { (t(lang, "catalog.item")) } th { (t(lang, "catalog.price")) } th { (t(lang, "catalog.term")) } th { (t(lang, "catalog.billing")) } th { (t(lang, "catalog.quantity")) } } }
            tbody {
                @for o in &rows {
                    @let (s, a) = (&o.sku, &o.availability);
                    tr.catalog-item {
                        td { strong { (o.product.title) } br; (s.title) }
                        td.catalog-id { code { (a.product_id) ":" (a.sku_id) ":" (a.id) } }
                        td { (a.list_price) " " (a.currency) }
                        td { (super::labels::term(lang, &a.term)) }
                        td { (super::labels::billing_cycle(lang, &a.billing_cycle)) }
                        td { (s.minimum_quantity) "–" (s.maximum_quantity) }
                    }
                }
            }
        }
        (pager.nav(lang, &base, &title))
    }).into_response()
}

/// The order form on a customer's record: the provider names the reseller of record, a
/// reseller names the provider it orders through.
pub async fn order_form(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<OrderPageQuery>,
) -> Response {
    // After a placed order the browser lands here by a redirect (post/redirect/get), so a
    // reload repeats this read, never the order. The flash says "placed" once; the address
    // keeps naming the order, so a reload still says which order this page follows.
    let placed = q.placed.filter(|_| s.visit.flash().is_none());
    let notice = placed.map(|_| t(s.lang(), "order.placed"));
    render_order(&app, &s, &id, notice, None).await
}

#[derive(Deserialize)]
pub struct OrderPageQuery {
    placed: Option<String>,
}

async fn render_order(
    app: &App,
    s: &SignedIn,
    id: &str,
    notice: Option<String>,
    problem: Option<String>,
) -> Response {
    let (visit, ctx) = (&s.visit, &s.ctx);
    let lang = visit.lang();
    let form = match orders::order_form(app, ctx, id).await {
        Ok(f) => f,
        Err(Error::Refused(_)) => {
            return error_page(visit, StatusCode::FORBIDDEN, &t(lang, "error.forbidden"))
        }
        Err(e) => return domain_error(visit, e),
    };
    let (tenant, is_provider, items, partners, subs) = (
        form.customer,
        form.is_provider,
        form.items,
        form.partners,
        form.services,
    );
    let title = t(lang, "order.title");
    let status = if problem.is_some() {
        REFUSED
    } else {
        StatusCode::OK
    };
    (status, page(visit, PageOpts { title: &title, active: "/portal/customers", mail_public: app.config.mail_viewer_public }, html! {
        p { a href={"/portal/customers/" (tenant.id)} { (tenant.display_name) } }
        h1 { (title) }
        @if let Some(n) = &notice { div.alert.ok #notice { (n) } }
        @if let Some(p) = &problem { div.alert.bad role="alert" #order-error { (p) } }
        form.card method="post" action={"/portal/customers/" (tenant.id) "/order"} #order-form {
            (csrf(visit.csrf()))
            // One request id per rendered form: sending the same form twice (a double click,
            // back and submit again) finds the first order instead of placing a second.
            input type="hidden" name="request_id" value=(uuid::Uuid::new_v4());
            label for="item" { (t(lang, "catalog.item")) }
            select #item name="item" { @for (id, label) in &items { option value=(id) { (label) } } }
            label for="quantity" { (t(lang, "catalog.quantity")) }
            input #quantity type="text" name="quantity" value="1";
            @if is_provider {
                label for="reseller" { (t(lang, "order.reseller")) }
                select #reseller name="reseller" { @for p in &partners { option value=(p.mpn_id) { (p.name) " (" (p.mpn_id) ")" } } }
            } @else {
                label for="provider" { (t(lang, "order.provider")) }
                select #provider name="provider" { @for p in &partners { option value=(p.other_tenant) { (p.name) } } }
            }
            p { button #place-order type="submit" { (t(lang, "order.submit")) } }
        }
        (services_table(lang, &subs))
        @for s in subs.iter().filter(|s| s.status.live()) {
            form.card.change-subscription method="post" action={"/portal/customers/" (tenant.id) "/subscriptions/" (s.id)} {
                (csrf(visit.csrf()))
                input type="hidden" name="version" value=(s.version);
                strong { (s.friendly_name) } " "
                input type="text" name="quantity" value=(s.quantity) aria-label=(t(lang, "catalog.quantity"));
                " " button.change-quantity type="submit" name="action" value="quantity" { (t(lang, "services.change")) }
            }
            form.card.confirm-form.cancel-form method="post" action={"/portal/customers/" (tenant.id) "/subscriptions/" (s.id)} {
                (csrf(visit.csrf()))
                input type="hidden" name="version" value=(s.version);
                label.choice {
                    input.confirm type="checkbox" name="confirm" value="yes";
                    " " (tf(lang, "services.cancel_confirm", &[("name", &s.friendly_name)]))
                }
                " " button.link.danger.cancel-subscription type="submit" name="action" value="cancel" { (t(lang, "services.cancel")) }
            }
        }
    })).into_response()
}

pub async fn place(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let ctx = &s.ctx;
    let Ok(quantity) = f.get("quantity").trim().parse::<i64>() else {
        let msg = t(s.lang(), "order.quantity_whole");
        return render_order(&app, &s, &id, None, Some(msg)).await;
    };
    let is_provider = ctx.actor.partner.as_ref().is_some_and(|p| p.is_provider);
    let request_id = f.get("request_id");
    let input = OrderInput {
        request_id: uuid::Uuid::parse_str(request_id.trim())
            .ok()
            .map(|u| format!("portal:{u}")),
        lines: vec![LineInput {
            catalog_item_id: f.get("item"),
            quantity,
            partner_id_on_record: is_provider
                .then(|| f.get("reseller"))
                .filter(|s| !s.is_empty()),
            friendly_name: None,
        }],
        provider_id: if is_provider {
            None
        } else {
            f.get("provider").parse().ok()
        },
    };
    match uc::place_order(&app, ctx, &id, input).await {
        Ok((view, _)) => see_other(
            &format!(
                "/portal/customers/{}/order?placed={}",
                view.order.customer, view.order.id
            ),
            Flash::ok("order.placed"),
        ),
        Err(Error::Validation(e)) => {
            render_order(
                &app,
                &s,
                &id,
                None,
                Some(
                    e.iter()
                        .map(|x| x.message.clone())
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            )
            .await
        }
        Err(Error::Conflict { message, .. }) => {
            render_order(&app, &s, &id, None, Some(message)).await
        }
        Err(e) => domain_error(&s.visit, e),
    }
}

pub async fn change(
    State(app): State<App>,
    s: SignedIn,
    Path((id, sid)): Path<(String, String)>,
    VerifiedForm(f): VerifiedForm,
) -> Response {
    let sid = match SubscriptionId::named(&sid) {
        Ok(sid) => sid,
        Err(e) => return domain_error(&s.visit, e),
    };
    let cancel = f.get("action") == "cancel";
    let patch = if cancel {
        if !confirmed(&f) {
            let msg = needs_confirmation(s.lang(), None);
            return render_order(&app, &s, &id, None, Some(msg)).await;
        }
        SubscriptionPatch {
            status: Some("deleted".into()),
            ..Default::default()
        }
    } else {
        match f.get("quantity").trim().parse::<i64>() {
            Ok(q) => SubscriptionPatch {
                quantity: Some(q),
                ..Default::default()
            },
            Err(_) => {
                let msg = t(s.lang(), "order.quantity_whole");
                return render_order(&app, &s, &id, None, Some(msg)).await;
            }
        }
    };
    let version = f.get("version").parse().ok();
    match uc::update_subscription(&app, &s.ctx, &id, sid, patch, version).await {
        Ok(_) => see_other(
            &format!("/portal/customers/{id}/order"),
            if cancel {
                Flash::ok("services.cancelled")
            } else {
                Flash::ok("services.saved")
            },
        ),
        Err(Error::Conflict { message, .. }) => {
            render_order(&app, &s, &id, None, Some(message)).await
        }
        Err(Error::PreconditionFailed) => {
            let msg = Error::PreconditionFailed.to_string();
            render_order(&app, &s, &id, None, Some(msg)).await
        }
        Err(e) => domain_error(&s.visit, e),
    }
}

/// The provider's invoices, newest period first, a page at a time.
pub async fn invoices(State(app): State<App>, s: SignedIn, Query(at): Query<At>) -> Response {
    let (visit, ctx) = (s.visit, s.ctx);
    let lang = visit.lang();
    let start = Start::read(&app, &format!("invoices:{}", ctx.actor.tenant), &at);
    let listed = crate::app::commerce::invoices(&app, &ctx, start.position(), start.fetch());
    let (mut rows, total) = match listed.await {
        Ok(page) => page,
        Err(e) => return domain_error(&visit, e),
    };
    let pager = start.finish(&app, &mut rows, total, crate::app::invoices::sort_key);
    let title = t(lang, "invoices.title");
    page(&visit, PageOpts { title: &title, active: "/portal/invoices", mail_public: app.config.mail_viewer_public }, html! {
        h1 { (title) }
        (pager.notice(lang))
        @if rows.is_empty() && pager.is_first() { p #invoices-empty { (t(lang, "invoices.none")) } } @else {
            table #invoices {
                thead { tr { th { (t(lang, "invoices.period")) } th { (t(lang, "invoices.total")) } th { span.sr-only { (t(lang, "common.actions")) } } } }
                tbody {
                    @for i in &rows {
                        tr.invoice {
                            td { (crate::clock::from_ms(i.period_start).format("%Y-%m")) }
                            td { (i.total) " " (i.currency) }
                            td { a href={"/portal/invoices/" (i.id) "/csv"} { (t(lang, "invoices.download")) } }
                        }
                    }
                }
            }
        }
        (pager.nav(lang, "/portal/invoices", &title))
    }).into_response()
}

pub async fn invoice_csv(State(app): State<App>, s: SignedIn, Path(id): Path<String>) -> Response {
    let (visit, ctx) = (s.visit, s.ctx);
    match crate::app::commerce::invoice(&app, &ctx, &id).await {
        Ok((i, lines)) => match crate::web::invoice_csv(&lines, &i.currency) {
            Ok(body) => (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"invoice-{id}.csv\""),
                    ),
                ],
                body,
            )
                .into_response(),
            Err(e) => domain_error(&visit, Error::Internal(e.into())),
        },
        Err(e) => domain_error(&visit, e),
    }
}
