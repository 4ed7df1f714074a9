//! Sign-in (password, then TOTP when the user has it), sign-out and the language switch.

use super::flash::{see_other, Detail, Flash};
use super::guard::{SignedIn, VerifiedForm};
use super::i18n::{t, tf};
use super::layout::{page, PageOpts};
use super::session::{self, safe_next, NewSession, Visit};
use crate::app::{identity, mfa, App};
use crate::crypto;
use crate::domain::Error;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

fn signin_form(visit: &Visit, next: &str, upn: &str, error: Option<&str>) -> Markup {
    let lang = visit.lang();
    let title = t(lang, "signin.title");
    page(
        visit,
        PageOpts {
            title: &title,
            active: "",
            mail_public: false,
        },
        html! {
            div.card.narrow {
                h1 { (title) }
                @if let Some(e) = error { div.alert.bad #signin-error role="alert" { (e) } }
                form method="post" action="/portal/signin" {
                    input type="hidden" name="csrf" value=(visit.csrf());
                    input type="hidden" name="next" value=(next);
                    label for="upn" { (t(lang, "signin.upn")) }
                    input #upn type="email" name="upn" value=(upn) autocomplete="username" required;
                    label for="password" { (t(lang, "signin.password")) }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    p { button #signin-submit type="submit" { (t(lang, "signin.submit")) } }
                }
                p.muted #signin-directory { a href="/providers" { (t(lang, "signin.directory")) } }
            }
        },
    )
}

pub async fn signin_page(visit: Visit, Query(q): Query<NextQuery>) -> Response {
    if visit.signed_in().is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    signin_form(&visit, &safe_next(q.next.as_deref()), "", None).into_response()
}

#[derive(Deserialize)]
pub struct SigninForm {
    upn: String,
    password: String,
    next: Option<String>,
}

pub async fn signin_submit(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    visit: Visit,
    VerifiedForm(f): VerifiedForm<SigninForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    let lang = visit.lang().to_string();
    match identity::authenticate(&app, &f.upn, &f.password, &peer.ip().to_string()).await {
        Ok(user) => {
            // A fresh session for the signed-in user; the anonymous one is dropped.
            let _ = crate::app::sessions::end(&app, &visit.token_hash).await;
            let mfa = user.totp_secret.is_some();
            let lang = if user.language.is_empty() {
                lang
            } else {
                user.language.clone()
            };
            let (token, row) = match session::create(&app, Some(&user), &lang, mfa).await {
                Ok(x) => x,
                Err(e) => return super::layout::domain_error(&visit, e),
            };
            let target = if mfa {
                format!("/portal/signin/mfa?next={}", session::url_escape(&next))
            } else {
                match identity::mfa_setup_needed(&app, &user).await {
                    Ok(true) => "/portal/mfa".to_string(),
                    Ok(false) => next,
                    Err(e) => return super::layout::domain_error(&visit, e),
                }
            };
            let mut resp = Redirect::to(&target).into_response();
            resp.extensions_mut()
                .insert(NewSession(token, row.expires_at - app.clock.now_ms()));
            resp
        }
        Err(Error::Throttled { retry_after_secs }) => (
            StatusCode::TOO_MANY_REQUESTS,
            signin_form(
                &visit,
                &next,
                &f.upn,
                Some(&tf(
                    &lang,
                    "signin.throttled",
                    &[("secs", &retry_after_secs.to_string())],
                )),
            ),
        )
            .into_response(),
        Err(Error::Unauthenticated(_)) => (
            StatusCode::UNAUTHORIZED,
            signin_form(&visit, &next, &f.upn, Some(&t(&lang, "signin.failed"))),
        )
            .into_response(),
        Err(e) => super::layout::domain_error(&visit, e),
    }
}

fn mfa_form(visit: &Visit, next: &str, error: Option<&str>) -> Markup {
    let lang = visit.lang();
    let title = t(lang, "mfa.title");
    page(
        visit,
        PageOpts {
            title: &title,
            active: "",
            mail_public: false,
        },
        html! {
            div.card.narrow {
                h1 { (title) }
                @if let Some(e) = error { div.alert.bad role="alert" { (e) } }
                form method="post" action="/portal/signin/mfa" {
                    input type="hidden" name="csrf" value=(visit.csrf());
                    input type="hidden" name="next" value=(next);
                    label for="code" { (t(lang, "mfa.code")) }
                    input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required;
                    p { button #mfa-submit type="submit" { (t(lang, "mfa.submit")) } }
                }
            }
        },
    )
}

pub async fn mfa_page(visit: Visit, Query(q): Query<NextQuery>) -> Response {
    if !visit.session.mfa_pending {
        return Redirect::to("/portal/signin").into_response();
    }
    mfa_form(&visit, &safe_next(q.next.as_deref()), None).into_response()
}

#[derive(Deserialize)]
pub struct MfaForm {
    code: String,
    next: Option<String>,
}

pub async fn mfa_submit(
    State(app): State<App>,
    visit: Visit,
    VerifiedForm(f): VerifiedForm<MfaForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    let (Some(uid), true) = (visit.session.user_id, visit.session.mfa_pending) else {
        return Redirect::to("/portal/signin").into_response();
    };
    // One guard for portal and API: guesses counted per account before the code is read.
    let user = match crate::app::mfa::verify_pending(&app, uid, &f.code).await {
        Ok(Some(u)) => u,
        Ok(None) => return Redirect::to("/portal/signin").into_response(),
        Err(Error::Throttled { retry_after_secs }) => {
            let msg = tf(
                visit.lang(),
                "signin.throttled",
                &[("secs", &retry_after_secs.to_string())],
            );
            return (
                StatusCode::TOO_MANY_REQUESTS,
                mfa_form(&visit, &next, Some(&msg)),
            )
                .into_response();
        }
        Err(Error::Unauthenticated(_)) => {
            return (
                StatusCode::UNAUTHORIZED,
                mfa_form(&visit, &next, Some(&t(visit.lang(), "mfa.failed"))),
            )
                .into_response()
        }
        Err(e) => return super::layout::domain_error(&visit, e),
    };
    let _ = crate::app::sessions::end(&app, &visit.token_hash).await;
    let (token, row) = match session::create(&app, Some(&user), visit.lang(), false).await {
        Ok(x) => x,
        Err(e) => return super::layout::domain_error(&visit, e),
    };
    let mut resp = Redirect::to(&next).into_response();
    resp.extensions_mut()
        .insert(NewSession(token, row.expires_at - app.clock.now_ms()));
    resp
}

pub async fn signout(
    State(app): State<App>,
    visit: Visit,
    VerifiedForm(_): VerifiedForm,
) -> Response {
    let _ = crate::app::sessions::end(&app, &visit.token_hash).await;
    let (token, row) = match session::create(&app, None, visit.lang(), false).await {
        Ok(x) => x,
        Err(e) => return super::layout::domain_error(&visit, e),
    };
    let mut resp = Redirect::to("/portal/signin").into_response();
    resp.extensions_mut()
        .insert(NewSession(token, row.expires_at - app.clock.now_ms()));
    resp
}

#[derive(Deserialize)]
pub struct LangForm {
    lang: String,
}

pub async fn switch_language(
    State(app): State<App>,
    visit: Visit,
    headers: axum::http::HeaderMap,
    VerifiedForm(f): VerifiedForm<LangForm>,
) -> Response {
    let lang = super::i18n::normalize(&f.lang);
    let _ = crate::app::sessions::set_language(&app, &visit.token_hash, lang).await;
    // Back to the page the switch was used on, when it is one of ours.
    let back = headers
        .get(axum::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("/portal").map(|i| r[i..].to_string()));
    Redirect::to(&safe_next(back.as_deref())).into_response()
}

/// Sets up TOTP for the signed-in user: a fresh key, confirmed with a code.
pub async fn mfa_setup_page(State(app): State<App>, s: SignedIn) -> Response {
    render_mfa_setup(&app, &s, None).await
}

/// Two-step verification is on: new recovery codes, or replace the authenticator.
fn mfa_manage(visit: &Visit, secret: &str, error: Option<&str>) -> Markup {
    let lang = visit.lang();
    let codes = match visit.flash().and_then(|f| f.detail.as_ref()) {
        Some(Detail::Codes(codes)) => Some(codes),
        _ => None,
    };
    html! {
        div.alert.ok #mfa-on { (t(lang, "mfa.enabled")) }
        @if let Some(e) = error { div.alert.bad role="alert" #mfa-error { (e) } }
        @if let Some(codes) = codes {
            div.alert.ok #recovery-codes {
                p { (t(lang, "mfa.recovery_shown")) }
                ul { @for c in codes { li { code.recovery-code { (c) } } } }
            }
        }
        form method="post" action="/portal/mfa/recovery" {
            input type="hidden" name="csrf" value=(visit.csrf());
            label for="recovery-current" { (t(lang, "mfa.current_code")) }
            input #recovery-current type="text" name="code" autocomplete="one-time-code";
            p { button #recovery-new type="submit" { (t(lang, "mfa.recovery_new")) } }
        }
        h2 { (t(lang, "mfa.replace")) }
        p { (t(lang, "mfa.secret")) ": " code #mfa-secret { (secret) } }
        form method="post" action="/portal/mfa" {
            input type="hidden" name="csrf" value=(visit.csrf());
            input type="hidden" name="secret" value=(secret);
            label for="current_code" { (t(lang, "mfa.current_code")) }
            input #current_code type="text" name="current_code" autocomplete="one-time-code";
            label for="code" { (t(lang, "mfa.code")) }
            input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code";
            p { button #mfa-enable type="submit" { (t(lang, "mfa.enable")) } }
        }
    }
}

/// Two-step verification is off: a fresh key to confirm with a code.
fn mfa_first_setup(
    visit: &Visit,
    upn: &str,
    secret: &str,
    required: bool,
    error: Option<&str>,
) -> Markup {
    let lang = visit.lang();
    let uri = format!("otpauth://totp/Partner%20Hub:{upn}?secret={secret}&issuer=Partner%20Hub");
    html! {
        @if required { div.alert.bad role="alert" #mfa-required { (t(lang, "mfa.required")) } }
        p #mfa-why { (t(lang, "mfa.why")) }
        p { (t(lang, "mfa.setup_intro")) }
        @if let Some(e) = error { div.alert.bad role="alert" #mfa-error { (e) } }
        p { (t(lang, "mfa.secret")) ": " code #mfa-secret { (secret) } }
        (super::qr::svg(&uri, &t(lang, "mfa.qr")))
        p.muted { code { (uri) } }
        form method="post" action="/portal/mfa" {
            input type="hidden" name="csrf" value=(visit.csrf());
            input type="hidden" name="secret" value=(secret);
            label for="code" { (t(lang, "mfa.code")) }
            input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code";
            p { button #mfa-enable type="submit" { (t(lang, "mfa.enable")) } }
        }
    }
}

async fn render_mfa_setup(app: &App, s: &SignedIn, error: Option<String>) -> Response {
    let (visit, user) = (&s.visit, &s.user);
    let lang = visit.lang();
    let title = t(lang, "mfa.setup_title");
    let secret = crypto::base32(&crypto::random_bytes(20));
    let required = match identity::mfa_setup_needed(app, user).await {
        Ok(r) => r,
        Err(e) => return super::layout::domain_error(visit, e),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = if user.totp_secret.is_some() {
        mfa_manage(visit, &secret, error.as_deref())
    } else {
        mfa_first_setup(visit, &user.upn, &secret, required, error.as_deref())
    };
    let opts = PageOpts {
        title: &title,
        active: "",
        mail_public: app.config.mail_viewer_public,
    };
    (
        status,
        page(
            visit,
            opts,
            html! { div.card.narrow { h1 { (title) } (body) } },
        ),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct MfaSetupForm {
    secret: String,
    code: String,
    #[serde(default)]
    current_code: String,
}

pub async fn mfa_setup_submit(
    State(app): State<App>,
    s: SignedIn,
    VerifiedForm(f): VerifiedForm<MfaSetupForm>,
) -> Response {
    let Some(secret) = crypto::base32_decode(&f.secret).filter(|s| s.len() >= 16) else {
        return render_mfa_setup(&app, &s, Some(t(s.lang(), "mfa.failed"))).await;
    };
    let current = f.current_code.trim();
    let proof = if current.is_empty() {
        mfa::Proof::Nothing
    } else {
        mfa::Proof::Code(current)
    };
    match mfa::enable(
        &app,
        &s.ctx,
        &secret,
        &f.code,
        proof,
        mfa::FirstCodes::Issue,
    )
    .await
    {
        // A first set-up hands over its recovery codes with the redirect, shown this once;
        // reloading the page shows them no more.
        Ok(codes) if !codes.is_empty() => see_other(
            "/portal/mfa",
            Flash::ok("mfa.enabled_flash").detail(Detail::Codes(codes)),
        ),
        Ok(_) => see_other("/portal/mfa", Flash::ok("mfa.enabled_flash")),
        Err(Error::Validation(_)) => {
            render_mfa_setup(&app, &s, Some(t(s.lang(), "mfa.failed"))).await
        }
        Err(e) => super::layout::domain_error(&s.visit, e),
    }
}

#[derive(Deserialize)]
pub struct RecoveryForm {
    code: String,
}

/// A new set of recovery codes, handed to the page the redirect lands on, once.
pub async fn mfa_recovery_submit(
    State(app): State<App>,
    s: SignedIn,
    VerifiedForm(f): VerifiedForm<RecoveryForm>,
) -> Response {
    match mfa::new_recovery_codes(&app, &s.ctx, &f.code).await {
        Ok(codes) => see_other(
            "/portal/mfa",
            Flash::ok("mfa.recovery_made").detail(Detail::Codes(codes)),
        ),
        Err(Error::Validation(_)) => {
            render_mfa_setup(&app, &s, Some(t(s.lang(), "mfa.failed"))).await
        }
        Err(e) => super::layout::domain_error(&s.visit, e),
    }
}
