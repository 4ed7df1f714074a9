//! The portal's guards as extractors, so a handler cannot forget them: [`SignedIn`] is a
//! signed-in visitor with the acting context use cases take (anyone else is sent to sign in),
//! and [`VerifiedForm`] is a form body whose CSRF token matched the session's, parsed. A
//! handler that changes something takes both; a handler that shows a page takes `SignedIn`.

use super::form::FormData;
use super::i18n::{t, tf};
use super::layout::error_page;
use super::session::{to_signin, Visit};
use crate::app::sessions::UserRow;
use crate::app::Ctx;
use crate::domain::authz::Actor;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::de::DeserializeOwned;

/// A signed-in visitor (two-step verification done) and the context its actions run under.
pub struct SignedIn {
    pub visit: Visit,
    pub ctx: Ctx,
    pub user: UserRow,
}

impl SignedIn {
    pub fn actor(&self) -> &Actor {
        &self.ctx.actor
    }
    pub fn lang(&self) -> &str {
        self.visit.lang()
    }
}

fn visit_of(parts: &Parts) -> Result<Visit, Response> {
    parts.extensions.get::<Visit>().cloned().ok_or_else(|| {
        // Only a route mounted outside the session layer gets here: a bug, said plainly.
        tracing::error!(path = %parts.uri.path(), "portal handler without a session");
        super::layout::plain_error(StatusCode::INTERNAL_SERVER_ERROR, "Partner Hub")
    })
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let visit = visit_of(parts)?;
        let (Some(ctx), Some((_, user))) = (visit.ctx(), visit.user.clone()) else {
            // A page comes back after sign-in; a form sent after the session ended cannot be
            // replayed, so its sender starts again from the dashboard.
            let back = match parts.method {
                Method::GET | Method::HEAD => parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_else(|| "/portal".into()),
                _ => "/portal".into(),
            };
            return Err(to_signin(&back));
        };
        let ctx = Ctx {
            correlation_id: visit.request_id.clone(),
            ..ctx
        };
        Ok(SignedIn { visit, ctx, user })
    }
}

/// A form whose CSRF token is the session's, parsed into `T` (by default the raw fields, for
/// forms with repeated keys). A wrong token is refused with a page before `T` is read.
pub struct VerifiedForm<T = FormData>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for VerifiedForm<T> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let visit = visit_of(&parts)?;
        let req = Request::from_parts(parts, body);
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            let status = r.status();
            error_page(&visit, status, &t(visit.lang(), "form.unreadable"))
        })?;
        let fields = FormData::parse(&bytes);
        visit.check_csrf(&fields.trimmed("csrf"))?;
        let value = serde_urlencoded::from_bytes::<T>(&bytes).map_err(|e| {
            tracing::debug!(error = %e, "form did not parse");
            error_page(
                &visit,
                StatusCode::UNPROCESSABLE_ENTITY,
                &t(visit.lang(), "form.unreadable"),
            )
        })?;
        Ok(VerifiedForm(value))
    }
}

/// Whether a destructive form carries its confirmation (`confirm=yes`, the ticked box that
/// states the consequence).
pub fn confirmed(form: &FormData) -> bool {
    form.trimmed("confirm") == "yes"
}

/// Whether the name typed into the confirmation is `expected` (the other organisation's
/// name; letter case and surrounding space do not matter).
pub fn typed_name_matches(form: &FormData, expected: &str) -> bool {
    let typed = form.trimmed("confirm_name");
    !expected.trim().is_empty() && typed.to_lowercase() == expected.trim().to_lowercase()
}

/// The refusal of an unconfirmed destructive form, as a sentence for beside the form.
pub fn needs_confirmation(lang: &str, name: Option<&str>) -> String {
    match name {
        Some(n) => tf(lang, "confirm.type_name_missing", &[("name", n)]),
        None => t(lang, "confirm.missing"),
    }
}

/// A status for a refused form re-rendered beside its error.
pub const REFUSED: StatusCode = StatusCode::BAD_REQUEST;
