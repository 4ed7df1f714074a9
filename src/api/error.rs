//! The one mapping from domain errors to HTTP: status plus `{code, description, data, source}`.

use crate::domain::error::{Code, Error};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use crate::web::status_of;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiErrorBody {
    /// Stable numeric error code.
    pub code: u32,
    pub description: String,
    /// Details, such as one entry per invalid field.
    pub data: Vec<serde_json::Value>,
    pub source: String,
}

/// An error on its way out of a handler.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl<E: Into<Error>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Builds the error response for any status and message (used by rejections too).
pub fn error_response(
    status: StatusCode,
    code: Code,
    description: String,
    data: Vec<serde_json::Value>,
) -> Response {
    let body = ApiErrorBody {
        code: code as u32,
        description,
        data,
        source: "PartnerHub".into(),
    };
    let mut resp = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"partnerhub\""),
        );
    }
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        if let Error::Internal(inner) = &e {
            tracing::error!(error = ?inner, "internal error");
        }
        let status = status_of(&e);
        let data = match &e {
            Error::Validation(fields) => fields
                .iter()
                .map(|f| serde_json::json!({ "field": f.field, "message": f.message }))
                .collect(),
            _ => Vec::new(),
        };
        let retry = match &e {
            Error::RateLimited { retry_after_secs } | Error::Throttled { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            _ => None,
        };
        let mut resp = error_response(status, e.code(), e.to_string(), data);
        if let Some(secs) = retry {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}
