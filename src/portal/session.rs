//! Portal sessions: every visitor gets a server-side session (random cookie token, stored
//! hashed) holding the CSRF token and language; signing in replaces it with a new one so a
//! planted session id is worthless (no fixation).

use crate::app::sessions::{self, SessionRow, UserRow};
use crate::app::App;
use crate::crypto;
use crate::domain::authz::Actor;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Anonymous sessions live one hour; signed-in ones the configured time.
const ANON_TTL_MS: i64 = 3600 * 1000;

#[derive(Clone)]
pub struct Visit {
    pub token_hash: String,
    pub session: SessionRow,
    pub user: Option<(Actor, UserRow)>,
    /// What the action that redirected here did (read once, post/redirect/get).
    pub flash: Option<super::flash::Flash>,
    /// This request's id, shown on error pages.
    pub request_id: Option<String>,
}

impl Visit {
    pub fn lang(&self) -> &str {
        &self.session.language
    }
    pub fn csrf(&self) -> &str {
        &self.session.csrf_token
    }
    pub fn flash(&self) -> Option<&super::flash::Flash> {
        self.flash.as_ref()
    }
    pub fn signed_in(&self) -> Option<&(Actor, UserRow)> {
        self.user.as_ref()
    }
    /// The acting context of the signed-in user, for use cases.
    pub fn ctx(&self) -> Option<crate::app::Ctx> {
        self.user.as_ref().map(|(actor, user)| crate::app::Ctx {
            actor: actor.clone(),
            upn: Some(user.upn.clone()),
            correlation_id: None,
        })
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), Response> {
        if crypto::same_secret(sent, &self.session.csrf_token) {
            Ok(())
        } else {
            Err(super::layout::error_page(
                self,
                StatusCode::FORBIDDEN,
                &super::i18n::t(self.lang(), "error.csrf"),
            ))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Visit {
    type Rejection = StatusCode;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Visit>()
            .cloned()
            .ok_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// Put on a response to make the browser hold a new session (after sign-in or sign-out).
#[derive(Clone)]
pub struct NewSession(pub String, pub i64);

pub fn cookie_name(app: &App) -> &'static str {
    if app.config.cookie_secure {
        "__Host-partnerhub"
    } else {
        "partnerhub_session"
    }
}

/// The cookie that carries a flash message's token to the page after a redirect.
pub fn flash_cookie_name(app: &App) -> &'static str {
    if app.config.cookie_secure {
        "__Host-partnerhub-flash"
    } else {
        "partnerhub_flash"
    }
}

fn read_cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Creates a session row and returns (cookie token, row).
pub async fn create(
    app: &App,
    user: Option<&UserRow>,
    lang: &str,
    mfa_pending: bool,
) -> crate::domain::Result<(String, SessionRow)> {
    let token = crypto::random_token(32);
    let now = app.clock.now_ms();
    let ttl = if user.is_some() {
        app.config.session_ttl_hours * 3600 * 1000
    } else {
        ANON_TTL_MS
    };
    let row = SessionRow {
        token_hash: crypto::token_hash(&token),
        user_id: user.map(|u| u.id),
        csrf_token: crypto::random_token(24),
        language: lang.to_string(),
        mfa_pending,
        expires_at: now + ttl,
        last_seen_at: now,
    };
    sessions::start(app, &row, now).await?;
    Ok((token, row))
}

/// The session of an anonymous visitor who has no stored one: nothing is written (a page
/// view by anyone must not grow a table). Its CSRF token is derived from the cookie token,
/// which only that browser holds, so forms still carry a token no other site can know.
fn anonymous(token: &str, lang: &str, now: i64) -> SessionRow {
    SessionRow {
        token_hash: crypto::token_hash(token),
        user_id: None,
        csrf_token: crypto::sha256_hex(format!("portal-csrf\n{token}").as_bytes()),
        language: lang.to_string(),
        mfa_pending: false,
        expires_at: now + ANON_TTL_MS,
        last_seen_at: now,
    }
}

/// How long the user's session may sit unused, or `None` for no idle limit.
fn idle_limit_ms(app: &App, actor: &Actor) -> Option<i64> {
    use crate::domain::identity::Role;
    let admin = actor.roles.iter().any(|r| {
        matches!(
            r,
            Role::GlobalAdministrator
                | Role::UserAdministrator
                | Role::HelpdeskAdministrator
                | Role::AccountAdmin
                | Role::AdminAgent
                | Role::OperatorAdmin
        )
    });
    let minutes = if admin {
        app.config.session_idle_admin_minutes
    } else {
        app.config.session_idle_minutes
    };
    (minutes > 0).then_some(minutes * 60_000)
}

/// Activity is written at most once a minute per session.
const TOUCH_EVERY_MS: i64 = 60_000;

fn set_cookie(app: &App, resp: &mut Response, token: &str, max_age_secs: i64) {
    set_named_cookie(app, resp, cookie_name(app), token, max_age_secs);
}

fn set_named_cookie(app: &App, resp: &mut Response, name: &str, token: &str, max_age_secs: i64) {
    let secure = if app.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let v =
        format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    if let Ok(v) = HeaderValue::from_str(&v) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn accept_language(req: &Request) -> &'static str {
    let al = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if al.trim_start().starts_with("ko") {
        "ko-KR"
    } else {
        "en-US"
    }
}

pub async fn layer(State(app): State<App>, req: Request, next: Next) -> Response {
    let now = app.clock.now_ms();
    let request_id = req
        .extensions()
        .get::<crate::web::RequestId>()
        .map(|r| r.0.clone());
    let cookie = read_cookie(&req, cookie_name(&app)).filter(|t| !t.is_empty() && t.len() <= 64);
    // A store that does not answer shows an error page: never an empty page, and never a
    // signed-in person quietly treated as signed out.
    let browser_lang = accept_language(&req);
    let unavailable = |e: crate::domain::Error| {
        tracing::error!(error = %e, "portal session lookup failed");
        super::layout::unavailable(browser_lang, request_id.as_deref())
    };
    // The session, and the visitor with its two-step obligation, from one statement (with
    // the customer list's page when this is a view of it).
    let list = super::customers::session_ask(&app, &req);
    let existing = match &cookie {
        Some(t) => {
            match sessions::find_with_visitor(&app, &crypto::token_hash(t), now, list.as_ref())
                .await
            {
                Ok(found) => found,
                Err(e) => return unavailable(e),
            }
        }
        None => None,
    };
    let (mut session, fresh_token, visitor) = match (existing, cookie) {
        (Some((s, visitor)), _) => (s, None, visitor),
        (None, Some(t)) => (anonymous(&t, accept_language(&req), now), None, None),
        (None, None) => {
            let t = crypto::random_token(32);
            (anonymous(&t, accept_language(&req), now), Some(t), None)
        }
    };
    let (user, two_step_due) = match visitor {
        Some((actor, user, due)) => (Some((actor, user)), due),
        None => (None, false),
    };
    if let Some((actor, _)) = &user {
        let idle = now - session.last_seen_at;
        if idle_limit_ms(&app, actor).is_some_and(|limit| idle > limit) {
            // Idle too long: the session ends and the visitor is anonymous again.
            let _ = sessions::end(&app, &session.token_hash).await;
            let t = crypto::random_token(32);
            session = anonymous(&t, &session.language, now);
            let visit = Visit::new(session, None, request_id);
            return finish(&app, req, next, visit, Some(t), false).await;
        }
        if idle > TOUCH_EVERY_MS {
            if let Err(e) = sessions::touch(&app, &session.token_hash, now).await {
                tracing::warn!(error = %e, "session activity not recorded");
            }
        }
    }
    // An anonymous visitor's session is stored only when it posts something (a language
    // choice must outlive the request); page views write nothing.
    if session.user_id.is_none()
        && !matches!(
            *req.method(),
            axum::http::Method::GET | axum::http::Method::HEAD
        )
    {
        if let Err(e) = sessions::keep(&app, &session, now).await {
            return unavailable(e);
        }
    }
    let visit = Visit::new(session, user, request_id);
    finish(&app, req, next, visit, fresh_token, two_step_due).await
}

impl Visit {
    fn new(
        session: SessionRow,
        user: Option<(Actor, UserRow)>,
        request_id: Option<String>,
    ) -> Self {
        Visit {
            token_hash: session.token_hash.clone(),
            session,
            user,
            flash: None,
            request_id,
        }
    }
}

/// The flash message waiting for this page view, if the browser holds one (taken, so a
/// reload does not show it again).
async fn take_flash(app: &App, token: Option<String>) -> (Option<super::flash::Flash>, bool) {
    let Some(token) = token else {
        return (None, false);
    };
    match crate::app::flashes::take(app, &token).await {
        Ok(body) => (body.and_then(|b| super::flash::Flash::from_bytes(&b)), true),
        Err(e) => {
            tracing::warn!(error = %e, "flash message not read");
            (None, true)
        }
    }
}

/// Keeps the message a handler left on its redirect and gives the browser its token.
async fn leave_flash(app: &App, resp: &mut Response) -> bool {
    let Some(super::flash::Leave(flash)) = resp.extensions_mut().remove() else {
        return false;
    };
    match crate::app::flashes::keep(app, &flash.to_bytes()).await {
        Ok(token) => {
            set_named_cookie(app, resp, flash_cookie_name(app), &token, 300);
            true
        }
        Err(e) => {
            // The action is done; only its message is lost.
            tracing::warn!(error = %e, "flash message not kept");
            false
        }
    }
}

async fn finish(
    app: &App,
    mut req: Request,
    next: Next,
    mut visit: Visit,
    fresh_token: Option<String>,
    two_step_due: bool,
) -> Response {
    // A user who must use two-step verification and has not set it up does nothing else
    // (`two_step_due` was decided from the rows the visitor was rebuilt from).
    if visit.user.is_some() && two_step_due {
        let path = req.uri().path();
        let open = path == "/portal/mfa"
            || path == "/portal/signout"
            || path.starts_with("/portal/static");
        if !open {
            return axum::response::Redirect::to("/portal/mfa").into_response();
        }
    }
    // Only a page view reads the message (a form sent meanwhile leaves it for the page its
    // own redirect lands on).
    let token = read_cookie(&req, flash_cookie_name(app)).filter(|_| {
        matches!(
            *req.method(),
            axum::http::Method::GET | axum::http::Method::HEAD
        )
    });
    let (flash, had_flash) = take_flash(app, token).await;
    visit.flash = flash;
    req.extensions_mut().insert(visit);
    let mut resp = next.run(req).await;
    let left = leave_flash(app, &mut resp).await;
    if had_flash && !left {
        set_named_cookie(app, &mut resp, flash_cookie_name(app), "", 0);
    }
    if let Some(NewSession(token, ttl_ms)) = resp.extensions().get::<NewSession>().cloned() {
        set_cookie(app, &mut resp, &token, ttl_ms / 1000);
    } else if let Some(t) = fresh_token {
        set_cookie(app, &mut resp, &t, ANON_TTL_MS / 1000);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Redirect to sign-in, remembering where the user wanted to go.
pub fn to_signin(path: &str) -> Response {
    let target = format!("/portal/signin?next={}", url_escape(path));
    axum::response::Redirect::to(&target).into_response()
}

pub use crate::web::url_escape;

/// Only same-site relative paths are followed after sign-in (no open redirect), and only
/// those that can go into a `Location` header as they are.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        // Control characters and spaces would make an invalid Location header (a 500 before):
        // such an address is not ours, so it falls back to the dashboard.
        Some(n)
            if n.starts_with("/portal")
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.len() <= 2048
                && !n.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            n.to_string()
        }
        _ => "/portal".to_string(),
    }
}
