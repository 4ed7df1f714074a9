//! The role panels of the home page: next steps, the figures that matter and charts, from
//! `app::dashboard_figures`. Charts are inline SVG (`portal::svg`); each has a title, a
//! description and its figures in a data table under a disclosure, so screen readers and
//! anyone who prefers numbers get them exactly.

use super::i18n::{t, tf};
use super::svg::{self, Share};
use crate::app::dashboard_figures::{
    self as figures, CustomerFigures, Figures, Monthly, NextStep, OperatorFigures, PartnerFigures,
    ProductSeats,
};
use crate::app::{App, Ctx};
use crate::domain::authz::{can, Action, Resource};
use crate::domain::figures::{AgeBucket, Month};
use crate::domain::Result;
use maud::{html, Markup};

/// The caller's panels, ready to place under the welcome line.
pub async fn load(app: &App, ctx: &Ctx, lang: &str) -> Result<Markup> {
    let now = app.clock.now_ms();
    Ok(match figures::for_caller(app, ctx).await? {
        Figures::Partner(f) => partner(lang, &f),
        Figures::Operator(f) => operator(lang, &f, now),
        Figures::Customer(f) => customer(lang, ctx, &f),
        Figures::Nothing(next) if next.is_empty() => html! {},
        Figures::Nothing(next) => next_steps(lang, &next),
    })
}

/// 12345 -> "12,345" (both languages group digits by thousands with a comma).
pub(super) fn number(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

fn date(ms: i64) -> String {
    crate::clock::from_ms(ms).format("%Y-%m-%d").to_string()
}

fn month_name(lang: &str, m: u32) -> String {
    t(lang, &format!("month.{m}"))
}

/// "Mar" / "3월": the label under a chart's column.
fn month_short(lang: &str, m: Month) -> String {
    t(lang, &format!("month.short.{}", m.month))
}

/// "March 2026" / "2026년 3월": the row heading of a data table.
fn month_long(lang: &str, m: Month) -> String {
    tf(
        lang,
        "dashboard.month_year",
        &[
            ("month", &month_name(lang, m.month)),
            ("year", &m.year.to_string()),
        ],
    )
}

/// What one next step says and where it leads.
fn step_text(
    lang: &str,
    step: &NextStep,
) -> (&'static str, String, Option<(&'static str, String)>) {
    match step {
        NextStep::AcceptAgreement => (
            "agreement",
            t(lang, "dashboard.next.agreement"),
            Some(("/portal/agreement", t(lang, "agreement.read"))),
        ),
        NextStep::SetUpTwoStep => (
            "two-step",
            t(lang, "dashboard.next.two_step"),
            Some(("/portal/mfa", t(lang, "mfa.link"))),
        ),
        NextStep::InvitationReceived {
            provider,
            expires_at,
        } => (
            "invitation-received",
            tf(
                lang,
                "dashboard.next.invitation_received",
                &[("provider", provider), ("date", &date(*expires_at))],
            ),
            None,
        ),
        NextStep::InvitationsSent(n) => (
            "invitations-sent",
            tf(
                lang,
                "dashboard.next.invitations_sent",
                &[("n", &number(*n))],
            ),
            Some(("/portal/resellers", t(lang, "nav.resellers"))),
        ),
        NextStep::CustomersAwaiting(n) => (
            "customers-awaiting",
            tf(
                lang,
                "dashboard.next.customers_awaiting",
                &[("n", &number(*n))],
            ),
            Some(("/portal/customers", t(lang, "nav.customers"))),
        ),
        NextStep::GrantsExpiring(n) => (
            "grants-expiring",
            tf(
                lang,
                "dashboard.next.grants_expiring",
                &[
                    ("n", &number(*n)),
                    ("days", &figures::GRANT_HORIZON_DAYS.to_string()),
                ],
            ),
            Some(("/portal/customers", t(lang, "nav.customers"))),
        ),
        NextStep::OpenRequests(n) => (
            "open-requests",
            tf(lang, "dashboard.next.open_requests", &[("n", &number(*n))]),
            Some(("/portal/support", t(lang, "nav.support"))),
        ),
        NextStep::ApplicationsToReview(n) => (
            "review",
            tf(lang, "dashboard.next.review", &[("n", &number(*n))]),
            Some(("/portal/operator/enrollments", t(lang, "nav.review"))),
        ),
    }
}

fn next_steps(lang: &str, steps: &[NextStep]) -> Markup {
    html! {
        section.card #next-steps aria-labelledby="next-steps-title" {
            h2 #next-steps-title { (t(lang, "dashboard.next.title")) }
            @if steps.is_empty() {
                p #next-steps-empty { (t(lang, "dashboard.next.none")) }
            } @else {
                ul.next-steps {
                    @for s in steps {
                        @let (code, text, link) = step_text(lang, s);
                        li.next-step data-step=(code) {
                            span { (text) }
                            @if let Some((href, label)) = link {
                                " " a href=(href) { (label) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A row of headline numbers: `(id, label, value)`.
fn tiles(lang: &str, items: &[(&str, &str, i64)]) -> Markup {
    html! {
        section #figures aria-label=(t(lang, "dashboard.figures")) {
            ul.figure-tiles {
                @for (id, key, value) in items {
                    li.figure-tile {
                        span.figure-value id={"figure-" (id)} { (number(*value)) }
                        span.figure-label { (t(lang, key)) }
                    }
                }
            }
        }
    }
}

/// A chart with its figures as a table: `columns` are the table's headings, `rows` a key
/// (for `data-key`), a row heading and the cells.
fn chart_panel(
    lang: &str,
    id: &str,
    title: &str,
    chart: Markup,
    columns: &[String],
    rows: &[(String, String, Vec<i64>)],
) -> Markup {
    html! {
        figure.chart-panel id={"chart-" (id)} {
            figcaption { (title) }
            (chart)
            details {
                summary { (t(lang, "dashboard.chart_data")) }
                table id={"chart-" (id) "-data"} {
                    caption.sr-only { (title) }
                    thead { tr { @for c in columns { th scope="col" { (c) } } } }
                    tbody {
                        @for (key, heading, cells) in rows {
                            tr data-key=(key) {
                                th scope="row" { (heading) }
                                @for c in cells { td data-value=(c) { (number(*c)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A monthly series as a line or bar chart with its table.
fn monthly_panel(
    lang: &str,
    id: &str,
    title_key: &str,
    unit_key: &str,
    s: &Monthly,
    bars: bool,
) -> Markup {
    let (title, unit) = (t(lang, title_key), t(lang, unit_key));
    let points: Vec<(String, f64)> = s
        .months
        .iter()
        .zip(&s.values)
        .map(|(m, v)| (month_short(lang, *m), *v as f64))
        .collect();
    let chart = if bars {
        svg::bar_chart(&title, &unit, &points)
    } else {
        svg::line_chart(&title, &unit, &points)
    };
    let rows: Vec<_> = s
        .months
        .iter()
        .zip(&s.values)
        .map(|(m, v)| (m.key(), month_long(lang, *m), vec![*v]))
        .collect();
    chart_panel(
        lang,
        id,
        &title,
        chart,
        &[t(lang, "dashboard.month"), unit],
        &rows,
    )
}

/// Licenses assigned against seats bought, per product.
fn seat_use_panel(lang: &str, products: &[ProductSeats]) -> Markup {
    let title = t(lang, "dashboard.chart.seat_use");
    if products.is_empty() {
        return html! {
            figure.chart-panel #chart-seat-use {
                figcaption { (title) }
                p #chart-seat-use-empty { (t(lang, "dashboard.no_subscriptions")) }
            }
        };
    }
    let shares: Vec<Share> = products
        .iter()
        .map(|p| Share {
            label: p.title.clone(),
            part: p.assigned as f64,
            whole: p.purchased as f64,
        })
        .collect();
    let rows: Vec<_> = products
        .iter()
        .map(|p| {
            (
                p.product_id.clone(),
                p.title.clone(),
                vec![p.assigned, p.purchased],
            )
        })
        .collect();
    let columns = [
        t(lang, "dashboard.product"),
        t(lang, "dashboard.assigned"),
        t(lang, "dashboard.purchased"),
    ];
    chart_panel(
        lang,
        "seat-use",
        &title,
        svg::share_chart(&title, &shares),
        &columns,
        &rows,
    )
}

fn partner(lang: &str, f: &PartnerFigures) -> Markup {
    html! {
        (next_steps(lang, &f.next))
        (tiles(lang, &[
            ("customers", "dashboard.customers", f.customers),
            ("subscriptions", "dashboard.subscriptions", f.sales.subscriptions),
            ("seats", "dashboard.seats", f.sales.seats),
        ]))
        div.charts {
            (monthly_panel(lang, "customers", "dashboard.chart.customers", "dashboard.customers", &f.customers_by_month, false))
            (monthly_panel(lang, "seats", "dashboard.chart.seats", "dashboard.seats", &f.seats_by_month, true))
            (monthly_panel(lang, "orders", "dashboard.chart.orders", "dashboard.orders", &f.orders_by_month, true))
            (seat_use_panel(lang, &f.seat_use))
        }
    }
}

/// The label of an age bucket (literal keys, so the catalog test sees each).
fn age_label(lang: &str, b: AgeBucket) -> String {
    match b {
        AgeBucket::UnderOneDay => t(lang, "dashboard.age.under_1d"),
        AgeBucket::OneToThreeDays => t(lang, "dashboard.age.1d_3d"),
        AgeBucket::ThreeToSevenDays => t(lang, "dashboard.age.3d_7d"),
        AgeBucket::OneToTwoWeeks => t(lang, "dashboard.age.7d_14d"),
        AgeBucket::OverTwoWeeks => t(lang, "dashboard.age.over_14d"),
    }
}

fn operator(lang: &str, f: &OperatorFigures, now: i64) -> Markup {
    let title = t(lang, "dashboard.chart.queue_age");
    let unit = t(lang, "dashboard.applications");
    let points: Vec<(String, f64)> = f
        .ages
        .iter()
        .map(|(b, n)| (age_label(lang, *b), *n as f64))
        .collect();
    let rows: Vec<_> = f
        .ages
        .iter()
        .map(|(b, n)| (b.as_str().to_string(), age_label(lang, *b), vec![*n]))
        .collect();
    let columns = [t(lang, "dashboard.waiting_for"), unit.clone()];
    html! {
        (next_steps(lang, &f.next))
        (tiles(lang, &[
            ("queue", "dashboard.queue", f.queue),
            ("authorized", "dashboard.authorized_month", f.authorized_this_month),
            ("rejected", "dashboard.rejected_month", f.rejected_this_month),
        ]))
        section.card #oldest-waiting {
            h2 { (t(lang, "dashboard.oldest")) }
            @if let Some(w) = &f.oldest {
                p {
                    a #oldest-link href={"/portal/operator/enrollments/" (w.id)} { (w.organisation) } " "
                    span #oldest-days { (tf(lang, "dashboard.waiting_days", &[("n", &number((now - w.since) / crate::clock::DAY_MS))])) }
                    " (" (tf(lang, "dashboard.since", &[("date", &date(w.since))])) ")"
                }
            } @else {
                p #oldest-empty { (t(lang, "dashboard.queue_empty")) }
            }
        }
        div.charts {
            (chart_panel(lang, "queue-age", &title, svg::bar_chart(&title, &unit, &points), &columns, &rows))
        }
    }
}

fn customer(lang: &str, ctx: &Ctx, f: &CustomerFigures) -> Markup {
    let assigned: i64 = f.seat_use.iter().map(|p| p.assigned).sum();
    let manage = can(
        &ctx.actor,
        Action::ManageOwnPartners,
        Resource::Tenant(ctx.actor.tenant),
    )
    .allowed();
    html! {
        @if !f.next.is_empty() { (next_steps(lang, &f.next)) }
        (tiles(lang, &[
            ("subscriptions", "dashboard.subscriptions", f.sales.subscriptions),
            ("seats", "dashboard.seats", f.sales.seats),
            ("assigned", "dashboard.assigned", assigned),
        ]))
        div.charts { (seat_use_panel(lang, &f.seat_use)) }
        section.card #serving-partners {
            h2 { (t(lang, "dashboard.partners")) }
            @if f.partners.is_empty() {
                p #serving-partners-empty { (t(lang, "dashboard.no_partners")) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (t(lang, "dashboard.partner")) }
                        th scope="col" { (t(lang, "dashboard.partner_kind")) }
                        th scope="col" { (t(lang, "dashboard.partner_since")) }
                    } }
                    tbody {
                        @for p in &f.partners {
                            tr.serving-partner data-partner=(p.partner) {
                                td { (p.name) }
                                td { @if p.is_provider { (t(lang, "program.indirect_provider")) } @else { (t(lang, "program.indirect_reseller")) } }
                                td { (date(p.since)) }
                            }
                        }
                    }
                }
            }
            @if manage {
                p { a href="/portal/customer/partners" { (t(lang, "dashboard.manage_partners")) } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_group_by_thousands() {
        assert_eq!(number(0), "0");
        assert_eq!(number(999), "999");
        assert_eq!(number(1000), "1,000");
        assert_eq!(number(1234567), "1,234,567");
        assert_eq!(number(-4200), "-4,200");
    }

    #[test]
    fn months_read_per_language() {
        let m = Month {
            year: 2026,
            month: 3,
        };
        assert_eq!(month_short("en-US", m), "Mar");
        assert_eq!(month_long("en-US", m), "March 2026");
        assert_eq!(month_short("ko-KR", m), "3월");
        assert_eq!(month_long("ko-KR", m), "2026년 3월");
    }
}
