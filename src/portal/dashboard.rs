//! The dashboard: who you are, your organisation and your roles.

use super::guard::SignedIn;
use super::i18n::{t, tf};
use super::layout::{page, PageOpts};
use super::pager::{At, Start};
use crate::app::App;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;

pub async fn dashboard(State(app): State<App>, s: SignedIn) -> Response {
    let (visit, actor, user, ctx) = (&s.visit, s.actor(), &s.user, &s.ctx);
    let lang = visit.lang();
    let crate::app::dashboard::Overview {
        tenant,
        open_applications,
        own_ids: own,
    } = match crate::app::dashboard::overview(&app, ctx).await {
        Ok(o) => o,
        Err(e) => return super::layout::domain_error(visit, e),
    };
    let panels = match super::dashboard_panels::load(&app, ctx, lang).await {
        Ok(m) => m,
        Err(e) => return super::layout::domain_error(visit, e),
    };
    let title = t(lang, "dashboard.title");
    page(
        visit,
        PageOpts { title: &title, active: "/portal", mail_public: app.config.mail_viewer_public },
        html! {
            @if actor.partner.as_ref().is_some_and(|p| !p.agreement_accepted) {
                div.alert.info #agreement-banner {
                    (t(lang, "agreement.banner")) " "
                    a href="/portal/agreement" { (t(lang, "agreement.read")) }
                }
            }
            @for e in &open_applications {
                div.alert.info.application-banner {
                    (t(lang, &format!("program.{}", e.program.as_str()))) ": "
                    (t(lang, &format!("enroll.status.{}", e.status.as_str()))) " "
                    a href={"/portal/enrollment/" (e.id)} { (t(lang, "enroll.continue")) }
                }
            }
            h1 #welcome { (tf(lang, "dashboard.welcome", &[("name", &user.display_name)])) }
            (panels)
            div.card {
                dl.facts {
                    dt { (t(lang, "dashboard.tenant")) } dd #tenant-name { (tenant.display_name) }
                    dt { (t(lang, "dashboard.domain")) } dd { (tenant.domain) }
                    dt { (t(lang, "dashboard.tenant_id")) } dd #tenant-id { (tenant.id) }
                    @if let Some(ids) = &own {
                        dt { (t(lang, "dashboard.mpn_id")) } dd #mpn-id { (ids.mpn_id) }
                        dt { (t(lang, "dashboard.org_mpn_id")) } dd #org-mpn-id { (ids.org_mpn_id) }
                    }
                    dt { (t(lang, "dashboard.kind")) } dd #tenant-kind { (t(lang, &format!("kind.{}", tenant.kind.as_str()))) }
                    dt { (t(lang, "mfa.setup_title")) }
                    dd {
                        @if user.totp_secret.is_some() {
                            span #mfa-state.pill.ok { (t(lang, "mfa.on_short")) } " "
                            a #mfa-link href="/portal/mfa" { (t(lang, "mfa.manage")) }
                        } @else {
                            a #mfa-link href="/portal/mfa" { (t(lang, "mfa.link")) }
                        }
                    }
                    dt { (t(lang, "dashboard.roles")) }
                    dd #roles {
                        @for r in &actor.roles { span.tag { (t(lang, &format!("role.{}", r.as_str()))) } }
                    }
                }
            }
        },
    )
    .into_response()
}

/// The organisation's activity log for the last 30 days.
pub async fn audit(State(app): State<App>, s: SignedIn, Query(at): Query<At>) -> Response {
    let (visit, ctx) = (s.visit, s.ctx);
    let lang = visit.lang();
    let start = Start::read(&app, &format!("audit:{}", ctx.actor.tenant), &at);
    let listed = crate::app::audit::recent(&app, &ctx, 30, start.timed(), start.fetch());
    let (mut rows, total) = match listed.await {
        Ok(r) => r,
        Err(e) => return super::layout::domain_error(&visit, e),
    };
    let pager = start.finish(&app, &mut rows, total, |r| {
        (r.entry.created_at.to_string(), r.id.clone())
    });
    let title = t(lang, "audit.title");
    page(&visit, PageOpts { title: &title, active: "/portal/audit", mail_public: app.config.mail_viewer_public }, html! {
        h1 { (title) }
        p.muted { (t(lang, "audit.intro")) }
        (pager.notice(lang))
        @if rows.is_empty() && pager.is_first() { p #audit-empty { (t(lang, "audit.none")) } } @else {
            table #audit {
                thead { tr { th { (t(lang, "audit.when")) } th { (t(lang, "audit.who")) } th { (t(lang, "audit.what")) } th { (t(lang, "audit.resource")) } th { (t(lang, "audit.customer")) } } }
                tbody {
                    @for r in &rows {
                        tr.audit-row {
                            td { (crate::clock::from_ms(r.entry.created_at).format("%Y-%m-%d %H:%M:%S")) }
                            td.audit-who { (r.entry.actor_upn.clone().unwrap_or_else(|| "system".into())) }
                            td.audit-op data-code=(r.entry.operation) { (super::labels::operation(lang, &r.entry.operation)) }
                            td { (super::labels::resource(lang, &r.entry.resource_type)) }
                            td { (r.customer_name.clone().unwrap_or_default()) }
                        }
                    }
                }
            }
        }
        (pager.nav(lang, "/portal/audit", &title))
    })
    .into_response()
}
