//! The consent page of the OpenID Connect authorization-code flow, and the signed-in user's
//! list of consents (each revocable). The page names the application, the organisation that
//! registered it, what each scope lets it do and until when; approving or denying is a
//! CSRF-protected form. Refusals before the redirect address is known to be the
//! application's are shown here; after, they go back to the application.

use super::flash::{see_other, Flash};
use super::guard::{SignedIn, VerifiedForm};
use super::i18n::{t, tf};
use super::layout::{page, PageOpts};
use super::session::{to_signin, Visit};
use crate::app::oidc::{self, Authorization, AuthorizeError, AuthorizeRequest};
use crate::app::App;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

fn refused(visit: &Visit, e: AuthorizeError) -> Response {
    match e.location() {
        Some(to) => Redirect::to(&to).into_response(),
        None => {
            let AuthorizeError::Show(m) = e else {
                unreachable!()
            };
            super::layout::error_page(visit, StatusCode::BAD_REQUEST, &m)
        }
    }
}

fn day(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// `GET /portal/oauth2/authorize`: checks the request, sends a visitor to sign in first, and
/// shows the consent page (or answers at once when a standing consent covers the scopes).
pub async fn authorize(
    State(app): State<App>,
    visit: Visit,
    RawQuery(raw): RawQuery,
    axum::extract::Query(q): axum::extract::Query<AuthorizeRequest>,
) -> Response {
    let a = match oidc::check(&app, &q).await {
        Ok(a) => a,
        Err(e) => return refused(&visit, e),
    };
    let (Some(ctx), Some((_, user))) = (visit.ctx(), visit.signed_in()) else {
        return to_signin(&format!(
            "/portal/oauth2/authorize?{}",
            raw.unwrap_or_default()
        ));
    };
    if q.prompt.as_deref() != Some("consent") {
        match oidc::standing_consent(&app, user.id, &a).await {
            Ok(Some(_)) => {
                return match oidc::approve(&app, &ctx, user, &visit.token_hash, &a).await {
                    Ok(to) => Redirect::to(&to).into_response(),
                    Err(e) => super::layout::domain_error(&visit, e),
                }
            }
            Ok(None) => {}
            Err(e) => return super::layout::domain_error(&visit, e),
        }
    }
    consent_page(&app, &visit, &q, &a)
}

fn consent_page(app: &App, visit: &Visit, q: &AuthorizeRequest, a: &Authorization) -> Response {
    let lang = visit.lang();
    let title = t(lang, "oidc.title");
    let opts = PageOpts {
        title: &title,
        active: "",
        mail_public: app.config.mail_viewer_public,
    };
    let hidden = [
        ("response_type", q.response_type.as_deref()),
        ("client_id", q.client_id.as_deref()),
        ("redirect_uri", q.redirect_uri.as_deref()),
        ("scope", q.scope.as_deref()),
        ("state", q.state.as_deref()),
        ("nonce", q.nonce.as_deref()),
        ("code_challenge", q.code_challenge.as_deref()),
        ("code_challenge_method", q.code_challenge_method.as_deref()),
    ];
    let mut resp = page(visit, opts, html! {
        h1 { (title) }
        p #consent-who {
            (tf(lang, "oidc.asks", &[("app", &a.client.display_name), ("org", &a.organisation)]))
        }
        ul #consent-scopes {
            @for s in &a.scopes {
                @let key = oidc::SCOPES.iter().find(|(k, _)| k == s).map(|(_, d)| *d).unwrap_or("");
                li data-scope=(s) { code { (s) } " — " (t(lang, key)) }
            }
        }
        p #consent-until { (tf(lang, "oidc.until", &[("date", &day(oidc::consent_expiry(app)))])) }
        p { (tf(lang, "oidc.redirect", &[("uri", &a.redirect_uri)])) }
        form #consent method="post" action="/portal/oauth2/authorize" {
            input type="hidden" name="csrf" value=(visit.csrf());
            @for (k, v) in hidden {
                @if let Some(v) = v { input type="hidden" name=(k) value=(v); }
            }
            button name="decision" value="approve" { (t(lang, "oidc.approve")) }
            button name="decision" value="deny" { (t(lang, "oidc.deny")) }
        }
    })
    .into_response();
    // Browsers apply form-action to the redirect that follows the form, so the
    // application's own address must be allowed for this page only.
    if let Ok(u) = url::Url::parse(&a.redirect_uri) {
        let origin = u.origin().ascii_serialization();
        let csp = format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self' {origin}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
        );
        if let Ok(v) = HeaderValue::from_str(&csp) {
            resp.headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    resp
}

#[derive(Deserialize)]
pub struct Decision {
    decision: String,
    #[serde(flatten)]
    request: AuthorizeRequest,
}

/// `POST /portal/oauth2/authorize`: the user's answer. It leaves for the application's
/// redirect address either way, so a reload of what follows repeats nothing here.
pub async fn decide(
    State(app): State<App>,
    s: SignedIn,
    VerifiedForm(f): VerifiedForm<Decision>,
) -> Response {
    let a = match oidc::check(&app, &f.request).await {
        Ok(a) => a,
        Err(e) => return refused(&s.visit, e),
    };
    match f.decision.as_str() {
        "approve" => match oidc::approve(&app, &s.ctx, &s.user, &s.visit.token_hash, &a).await {
            Ok(to) => Redirect::to(&to).into_response(),
            Err(e) => super::layout::domain_error(&s.visit, e),
        },
        _ => Redirect::to(&oidc::deny(&a)).into_response(),
    }
}

/// The applications the user lets sign them in, each with a revoke button.
pub async fn list(State(app): State<App>, s: SignedIn) -> Response {
    let visit = s.visit;
    let consents = match oidc::my_consents(&app, &s.ctx).await {
        Ok(c) => c,
        Err(e) => return super::layout::domain_error(&visit, e),
    };
    let lang = visit.lang();
    let title = t(lang, "oidc.consents");
    let opts = PageOpts {
        title: &title,
        active: "/portal/consents",
        mail_public: app.config.mail_viewer_public,
    };
    page(&visit, opts, html! {
        h1 { (title) }
        @if consents.is_empty() { p { (t(lang, "oidc.none")) } }
        table #consents {
            thead { tr { th { (t(lang, "apps.name")) } th { "scope" } th { (t(lang, "oidc.granted")) } th { (t(lang, "oidc.expires")) } th {} } }
            tbody {
                @for (c, name) in &consents {
                    tr data-consent=(c.id) {
                        td { (name) }
                        td { code { (c.scopes) } }
                        td { (day(c.granted_at)) }
                        td { (day(c.expires_at)) }
                        td {
                            form method="post" action=(format!("/portal/consents/{}/revoke", c.id)) {
                                input type="hidden" name="csrf" value=(visit.csrf());
                                button { (t(lang, "oidc.revoke")) }
                            }
                        }
                    }
                }
            }
        }
    })
    .into_response()
}

pub async fn revoke(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    VerifiedForm(_): VerifiedForm,
) -> Response {
    match oidc::revoke(&app, &s.ctx, &id).await {
        Ok(()) => see_other("/portal/consents", Flash::ok("oidc.revoked")),
        Err(e) => super::layout::domain_error(&s.visit, e),
    }
}
