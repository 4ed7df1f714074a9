//! JSON response bodies. Serialized into one `Vec` that starts at a size fitting most single
//! resources and grows by doubling: a list page of a hundred customers is about 55 KB, and
//! writing it through a `Vec` costs about a quarter less CPU than through the `BytesMut`
//! writer `axum::Json` starts at 128 bytes (docs/performance.md, session 13). Every API
//! response body goes through here; request bodies are read by `extract::Body`.

use super::error::error_response;
use crate::domain::error::Code;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A value sent as `application/json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(1024);
        let written = serde_json::to_writer(&mut body, &self.0).map(|()| body);
        respond(written)
    }
}

/// A JSON body already written (by `Json`, or by hand as `customer_page` writes the customer
/// lists), or a 500 saying why it could not be.
pub fn respond(written: serde_json::Result<Vec<u8>>) -> Response {
    match written {
        Ok(body) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Err(e) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            Code::Internal,
            format!("the response could not be written: {e}"),
            Vec::new(),
        )
        .into_response(),
    }
}
